import { describe, expect, it } from 'vitest';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { deferralExport, ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import type { Notification } from '../../functions/core/ports.ts';
import { scheduledTick } from '../../functions/core/flows/scheduled-tick.ts';

describe('the hourly tick', () => {
  it('resolves an incident when no upload arrives, and sends the digest once at the tenant hour', async () => {
    const store = createMemoryStore();
    const sent: Notification[] = [];
    const notifier = { publish: async (n: Notification) => void sent.push(n) };
    const rules = parseRulesConfig({ tenants: { contoso: { timeZone: 'Europe/Rome', digestHour: 8 } } });
    await ingestBytes(store, 'a.csv', deferralExport(30), { tenant: 'contoso', config: { alerts: { rules, notifier } } });
    expect(sent.map((n) => n.json.transition)).toEqual(['open']);
    const tick = (iso: string) =>
      scheduledTick(
        {
          store,
          notifier,
          logger: { debug() {}, info() {}, warn() {}, error() {} },
          clock: { now: () => new Date(iso), sleep: async () => {} },
        },
        rules,
      );

    await tick('2026-11-20T05:10:00Z'); // nothing since 04:00: below the close threshold from now on
    expect(sent).toHaveLength(1);
    const [r] = await tick('2026-11-20T06:15:00Z'); // a full hour below: resolved; 07:15 in Rome, not the digest hour
    expect(sent.map((n) => n.json.transition ?? n.json.kind)).toEqual(['open', 'resolved']);
    expect(r).toMatchObject({ tenant: 'contoso', digest: false });
    await tick('2026-11-20T07:05:00Z'); // 08:05 in Rome: the digest
    await tick('2026-11-20T07:40:00Z'); // same hour again (a retried or doubled tick): not again
    const digests = sent.filter((n) => n.json.kind === 'digest');
    expect(digests).toHaveLength(1);
    expect(digests[0]!.text).toContain('Mail flow digest: contoso');
    expect(digests[0]!.text).toContain('4.4.316');
    expect(digests[0]!.fullReportKey).toBe('reports/contoso/digest-2026-11-20.json');
    const report = JSON.parse(Buffer.from((await store.get('reports/contoso/digest-2026-11-20.json'))!.body).toString());
    expect(report).toMatchObject({ kind: 'digest', tenant: 'contoso' });
    expect(report.text).toBe(digests[0]!.text);
  });

  it('ticks tenants side by side: a slow tenant holds up its own lane, not the digests of the others', async () => {
    const mem = createMemoryStore();
    const rules = parseRulesConfig({ defaults: { digestHour: 7 } });
    const tenants = ['a-slow', 'b', 'c', 'd', 'e'];
    for (const tenant of tenants) await ingestBytes(mem, 'a.csv', deferralExport(5), { tenant });
    // Every read of the slow tenant's objects takes 40 ms (a throttled prefix, a cold cache …).
    const slowly = (key: string) => (key.includes('a-slow') ? new Promise((r) => setTimeout(r, 40)) : Promise.resolve());
    const store = { ...mem, get: async (key: string) => (await slowly(key), mem.get(key)) };
    const digests: string[] = [];
    const notifier = { publish: async (n: Notification) => void (n.json.kind === 'digest' && digests.push(String(n.json.tenant))) };
    const results = await scheduledTick(
      {
        store,
        notifier,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        clock: { now: () => new Date('2026-11-20T07:05:00Z'), sleep: async () => {} },
      },
      rules,
    );
    expect(results.map((r) => [r.tenant, r.digest])).toEqual(tenants.map((t) => [t, true])); // in tenant order
    expect(digests).toHaveLength(5);
    expect(digests.at(-1)).toBe('a-slow'); // first in line, last done: the others did not wait for it
  });
});
