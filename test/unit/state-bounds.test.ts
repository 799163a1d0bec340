import { describe, expect, it } from 'vitest';
import { DeferralTracker, hashKey, MAX_OPEN_DEFERRALS, mergeDeferrals } from '../../functions/core/aggregate/deferrals.ts';
import { FileAggregator, MAX_GROUPS_PER_HOUR, mergeBatch, MORE } from '../../functions/core/aggregate/rollup.ts';
import { decodeDeferralState, encodeDeferralState } from '../../functions/core/store/deferral-state.ts';
import type { DeliveryEvent } from '../../functions/core/classify/types.ts';
import { utf8 } from '../helpers/bytes.ts';

/** Issue 16 (2): state that stays small whatever an upload names, measured. */
const T0 = Date.parse('2026-11-20T00:00:00Z');
const MINUTE = 60_000;
const HOUR_MS = 60 * MINUTE;
const DAY_MS = 24 * HOUR_MS;

function tracker(from: number, to: number, minuteOf = (i: number) => i): DeferralTracker {
  const t = new DeferralTracker();
  for (let i = from; i < to; i++) t.add(i + 1, i * 7, 'deferred', T0 + minuteOf(i) * MINUTE, '4.4.316', `mx.d${i}.example`, null);
  return t;
}

describe('open deferrals: at most MAX_OPEN_DEFERRALS per tenant, the longest-deferred kept', () => {
  it('keeps the 50,000 oldest of 120,000 and says how many were left out', () => {
    const state = mergeDeferrals(null, tracker(0, 120_000), 't', T0 + DAY_MS)!;
    const kept = state.entries;
    expect(kept).toHaveLength(MAX_OPEN_DEFERRALS);
    expect(Math.max(...kept.map((e) => e.first))).toBe(T0 + (MAX_OPEN_DEFERRALS - 1) * MINUTE);
    expect(kept.filter((e) => e.destination !== `mx.d${e.hi - 1}.example`)).toEqual([]);
    // Later rows deferred earlier: the tracker's trim keeps the entries added last, whose texts move.
    const reversed = mergeDeferrals(
      null,
      tracker(0, 120_000, (i) => (120_000 - i) / 100),
      't',
      T0 + DAY_MS,
    )!;
    expect(reversed.entries).toHaveLength(MAX_OPEN_DEFERRALS);
    expect(reversed.entries.filter((e) => e.destination !== `mx.d${e.hi - 1}.example`)).toEqual([]);
    // The tracker trims in batches (at twice the cap), the merge to the cap: 70,000 left out in all.
    expect(state.dropped).toEqual({ count: 70_000, at: T0 + DAY_MS });
  });

  it('keeps the same entries whichever upload comes first', () => {
    const a = tracker(0, 40_000, (i) => (i * 13) % 1000);
    const b = tracker(40_000, 80_000, (i) => (i * 13) % 1000);
    const ab = mergeDeferrals(mergeDeferrals(null, a, 't', T0 + DAY_MS), b, 't', T0 + DAY_MS)!;
    const ba = mergeDeferrals(mergeDeferrals(null, b, 't', T0 + DAY_MS), a, 't', T0 + DAY_MS)!;
    expect(ab.entries.map(hashKey).sort()).toEqual(ba.entries.map(hashKey).sort());
    expect(ab.entries).toHaveLength(MAX_OPEN_DEFERRALS);
  });

  it('keeps exactly the first 50,000 by time and, among equal times, by key as text', () => {
    // 60,000 entries over 7 distinct times: the cap falls inside a run of ties.
    const t = tracker(0, 60_000, (i) => (i * 7919) % 7);
    const state = mergeDeferrals(null, t, 't', T0 + DAY_MS)!;
    const expected = [...t.deferred.all]
      .sort((a, b) => a.first - b.first || (hashKey(a) < hashKey(b) ? -1 : 1))
      .slice(0, MAX_OPEN_DEFERRALS)
      .map(hashKey);
    expect(state.entries.map(hashKey).sort()).toEqual(expected.sort());
  });

  it('forgets that entries were left out once all of them would have been pruned (48 hours)', () => {
    const full = mergeDeferrals(null, tracker(0, 60_000), 't', T0 + HOUR_MS)!;
    expect(full.dropped?.count).toBe(10_000);
    const later = mergeDeferrals(full, new DeferralTracker(), 't', T0 + HOUR_MS + 2 * DAY_MS + MINUTE)!;
    expect(later.dropped).toBeNull();
  });

  it('stores 50,000 entries in under 4 MB (schema 2: seven numbers an entry) and reads back what it wrote', () => {
    const state = mergeDeferrals(null, tracker(0, MAX_OPEN_DEFERRALS), 't', T0 + DAY_MS)!;
    const bytes = encodeDeferralState(state);
    expect(bytes.length).toBeLessThan(4_000_000);
    expect(decodeDeferralState(bytes, 'k')).toEqual({ ...state, dropped: null });
  });

  it('still reads schema 1 (one object per entry), as written before', () => {
    const entry = { first: T0, last: T0 + MINUTE, code: '4.4.316', destination: 'mx.example', connector: null };
    const v1 = utf8(JSON.stringify({ schema: 1, tenant: 't', asOf: T0 + HOUR_MS, entries: { '1:2': entry } }));
    expect(decodeDeferralState(v1, 'k')).toEqual({ tenant: 't', asOf: T0 + HOUR_MS, entries: [{ hi: 1, lo: 2, ...entry }], dropped: null });
  });

  it('ends a deferral with a final outcome of the same upload, before or after it in the file, or of a later upload', () => {
    // 40,000 finals (more than two of the log's chunks of 16,384) around 1,000 deferrals: every
    // third deferred message has a final, some before its deferral in the file, some after.
    const t = new DeferralTracker();
    const deferred = (i: number) => t.add(i + 1, i, 'deferred', T0 + i * MINUTE, '4.4.316', 'mx.example', null);
    for (let i = 0; i < 20_000; i++) t.add(100_000 + i, 0, 'delivered', T0, null, null, null);
    for (let i = 0; i < 1_000; i += 3) t.add(i + 1, i, 'delivered', T0 + DAY_MS, null, null, null);
    for (let i = 0; i < 1_000; i++) deferred(i);
    for (let i = 1; i < 1_000; i += 3) t.add(i + 1, i, 'failed', T0 + DAY_MS, '5.4.316', null, null);
    for (let i = 0; i < 20_000; i++) t.add(200_000 + i, 0, 'expired', T0, null, null, null);
    const state = mergeDeferrals(null, t, 't', T0 + DAY_MS)!;
    const open = state.entries.map((e) => e.lo);
    expect(open.sort((a, b) => a - b)).toEqual(Array.from({ length: 1_000 }, (_, i) => i).filter((i) => i % 3 === 2));
    // A later upload with the final of one of them ends it too.
    const later = new DeferralTracker();
    later.add(3, 2, 'delivered', T0 + DAY_MS, null, null, null);
    expect(mergeDeferrals(state, later, 't', T0 + DAY_MS)!.entries).toHaveLength(open.length - 1);
  });

  it('names the object when a schema 2 state is damaged', () => {
    const bad = utf8(JSON.stringify({ schema: 2, tenant: 't', asOf: T0, strings: [], rows: [1, 2, 0, 0, 5, 0, 0] }));
    expect(() => decodeDeferralState(bad, 'state/deferrals/t.json')).toThrow(/state\/deferrals\/t.json: .*string index 5/);
  });
});

describe('hourly rollups: at most MAX_GROUPS_PER_HOUR groups, every event still counted', () => {
  const event = (i: number): DeliveryEvent =>
    ({
      time: T0 + (i % 60) * MINUTE,
      outcome: 'failed',
      code: '5.4.316',
      category: 'connection',
      owner: 'recipient-side',
      connector: null,
      server: `mx.d${i}.example`,
      ip: null,
      recipient: `u${i}@d${i}.example`,
      recipientDomain: `d${i}.example`,
      messageKey: `m${i}`,
    }) as unknown as DeliveryEvent;

  it('folds the destinations and domains past 20,000 into one group per outcome and code', () => {
    const agg = new FileAggregator();
    for (let i = 0; i < 25_000; i++) agg.add(event(i));
    const [batch] = [...agg.hours.values()];
    const { rollup } = mergeBatch(null, batch!, 't', 's1');
    expect(rollup.groups).toHaveLength(MAX_GROUPS_PER_HOUR + 1);
    expect(rollup.totals.failed).toBe(25_000);
    const more = rollup.groups.find((g) => g.destination === MORE.destination)!;
    expect(more).toMatchObject({ domain: MORE.domain, connector: MORE.connector, code: '5.4.316', events: 5_000, messages: 5_000 });
  });

  it('folds the new destinations of a second upload into the same group when the hour is full', () => {
    const first = new FileAggregator();
    for (let i = 0; i < MAX_GROUPS_PER_HOUR; i++) first.add(event(i));
    const second = new FileAggregator();
    for (let i = MAX_GROUPS_PER_HOUR; i < MAX_GROUPS_PER_HOUR + 300; i++) second.add(event(i));
    const r1 = mergeBatch(null, [...first.hours.values()][0]!, 't', 's1').rollup;
    const r2 = mergeBatch(r1, [...second.hours.values()][0]!, 't', 's2').rollup;
    expect(r2.groups).toHaveLength(MAX_GROUPS_PER_HOUR + 1);
    expect(r2.totals.failed).toBe(MAX_GROUPS_PER_HOUR + 300);
    expect(r2.groups.find((g) => g.destination === MORE.destination)?.events).toBe(300);
  });
});
