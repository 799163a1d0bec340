import { describe, expect, it } from 'vitest';
import type { Clock } from '../../functions/core/ports.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { readDeferralState } from '../../functions/core/store/deferral-state.ts';
import { deferralStateKey } from '../../functions/core/store/layout.ts';
import { recorder } from '../helpers/alerts.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

const HEADER = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\r\n';
const row = (received: string, id: string, status = 'Failed') =>
  `"${received}","a@contoso.com","r${id}@fabrikam.com","${status}","${id}"\r\n`;
const NOW = Date.parse('2026-11-20T12:30:00Z');
const clockAt = (ms: number): Clock => ({ now: () => new Date(ms), sleep: () => Promise.resolve() });

/** Five good failures in the hour before the ingestion, and one row per implausible date. */
function exportWith(...dates: string[]): Uint8Array {
  let text = HEADER;
  for (let i = 0; i < 5; i++) text += row(`2026-11-20T11:0${i}:00Z`, `good${i}`);
  dates.forEach((d, i) => (text += row(d, `bad${i}`)));
  return utf8(text);
}

describe('dates no delivery can have: rejected rows, never counted, never a clock (issue 15, 2)', () => {
  it.each([
    ['9999-12-31T10:00:00Z', /date "9999-12-31T10:00:00Z" is in the future/],
    ['2026-11-22T10:00:00Z', /date "2026-11-22T10:00:00Z" is in the future \(more than a day after this ingestion\)/],
    ['1900-01-01T10:00:00Z', /date "1900-01-01T10:00:00Z" is before 1996/],
    ['0005-01-01T10:00:00Z', /date "0005-01-01T10:00:00Z" is before 1996/],
  ])('a row dated %s is rejected with its line and reason; the other rows count and the tenant clock stays', async (date, reason) => {
    const store = createMemoryStore();
    const { notifier } = recorder();
    const alerts = { rules: parseRulesConfig({}), notifier };
    const receipt = await ingestBytes(store, 'x.csv', exportWith(date), { clock: clockAt(NOW), config: { alerts } });
    expect(receipt).toMatchObject({
      status: 'ingested',
      rows: 6,
      counted: 5,
      rejectedRows: { count: 1, samples: [{ line: 7, reason: expect.stringMatching(reason) }] },
    });
    expect(receipt.timeSpan).toEqual({ from: '2026-11-20T11:00:00.000Z', to: '2026-11-20T11:04:00.000Z' });
    expect((await readDeferralState(store, 'default'))?.asOf).toBe(Date.parse('2026-11-20T12:00:00Z'));
  });

  it('keeps a row a few hours ahead (a server’s local time read as UTC), but the clock stops an hour past the wall clock', async () => {
    const store = createMemoryStore();
    const alerts = { rules: parseRulesConfig({}), notifier: recorder().notifier };
    const receipt = await ingestBytes(store, 'ahead.csv', exportWith('2026-11-20T20:00:00Z'), { clock: clockAt(NOW), config: { alerts } });
    expect(receipt).toMatchObject({ counted: 6, rejectedRows: { count: 0 } });
    expect((await readDeferralState(store, 'default'))?.asOf).toBe(NOW + 3_600_000);
  });

  it('brings back a clock that an earlier version let run into year 10000', async () => {
    const store = createMemoryStore();
    const broken = { schema: 1, tenant: 'default', asOf: Date.parse('+010000-01-01T00:00:00Z'), entries: {} };
    await store.putIfAbsent(deferralStateKey('default'), utf8(JSON.stringify(broken)));
    const alerts = { rules: parseRulesConfig({}), notifier: recorder().notifier };
    await ingestBytes(store, 'x.csv', exportWith(), { clock: clockAt(NOW), config: { alerts } });
    expect((await readDeferralState(store, 'default'))?.asOf).toBe(NOW + 3_600_000);
  });
});
