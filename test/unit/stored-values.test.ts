import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { recorder } from '../helpers/alerts.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Every string in every stored JSON object (results and state), with where it is. */
async function storedStrings(store: ObjectStore): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const walk = (key: string, v: unknown): void => {
    if (typeof v === 'string') out.push([key, v]);
    else if (Array.isArray(v)) v.forEach((x) => walk(key, x));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        walk(key, k);
        walk(key, x);
      }
  };
  for (const prefix of ['results/rollups/', 'results/hourly/', 'state/deferrals/']) {
    for await (const o of store.list(prefix)) walk(o.key, JSON.parse(Buffer.from((await store.get(o.key))!.body).toString('utf8')));
  }
  return out;
}

describe('control characters never reach stored values (issue 15, 5)', () => {
  it('a NUL in a recipient domain and ESC, BEL and a right-to-left override in server names are dropped from what is stored; the events still count', async () => {
    const head = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
    const led = (host: string) => `"Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=${host}]}]"`;
    const rows = [
      `"2026-11-20T10:01:00Z","Defer",${led('mail.\u001b[2Jcontoso.com')},"m1","a@fabri\u0000kam.com"`,
      `"2026-11-20T10:02:00Z","Defer",${led('mx\u0007.\u202eexample.com')},"m2","b@contoso.com"`,
      `"2026-11-20T10:03:00Z","Fail",${led('mail.contoso.com')},"m3","c@fabrikam.com"`,
    ];
    const store = createMemoryStore();
    const alerts = { rules: parseRulesConfig({}), notifier: recorder().notifier };
    const clock = { now: () => new Date('2026-11-20T12:00:00Z'), sleep: () => Promise.resolve() };
    const receipt = await ingestBytes(store, 'hostile.csv', utf8(head + rows.join('\r\n') + '\r\n'), { clock, config: { alerts } });
    expect(receipt).toMatchObject({ status: 'ingested', rows: 3, counted: 3, rejectedRows: { count: 0 } });
    const strings = await storedStrings(store);
    expect(strings.length).toBeGreaterThan(20);
    expect(strings.filter(([, s]) => CONTROL.test(s))).toEqual([]);
    const values = new Set(strings.map(([, s]) => s));
    expect(values.has('fabrikam.com')).toBe(true);
  });

  it('NUL bytes in a column mailflow never reads, in the first 4 KB, do not make the file binary: every row counts', async () => {
    let text = '"Received","SenderAddress","RecipientAddress","Subject","Status","MessageTraceId"\r\n';
    for (let i = 0; i < 40; i++)
      text += `"2026-11-20T10:${String(i).padStart(2, '0')}:00Z","a@contoso.com","r${i}@fabrikam.com","x\u0000y\u0000","Failed","m${i}"\r\n`;
    const receipt = await ingestBytes(createMemoryStore(), 'nuls.csv', utf8(text));
    expect(receipt).toMatchObject({ status: 'ingested', encoding: 'utf-8', rows: 40, counted: 40, rejectedRows: { count: 0 } });
  });
});
