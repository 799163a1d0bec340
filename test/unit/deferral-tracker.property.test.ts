import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeferralTracker, type DeferralEntry } from '../../functions/core/aggregate/deferrals.ts';

/**
 * The tracker keeps one upload's open deferrals in its own open-addressing index by message hash.
 * Whatever the events, it must hold exactly what a plain map keyed by "high:low" would: one entry per
 * deferred hash, in first-seen order, with the first and last time and the texts of the latest
 * retry. Hashes come from small ranges so that halves repeat (same high, other low, and the reverse)
 * and the index grows past its first 1,024 slots.
 */
const event = fc.record({
  hi: fc.nat(700),
  lo: fc.nat(3),
  outcome: fc.constantFrom('deferred', 'deferred', 'deferred', 'delivered', 'failed', 'other'),
  time: fc.nat(50),
  code: fc.option(fc.constantFrom('4.4.316', '4.4.317', '4.7.500'), { nil: null }),
  destination: fc.option(fc.constantFrom('mx1.example', 'mx2.example'), { nil: null }),
});

type Event = typeof event extends fc.Arbitrary<infer T> ? T : never;

function model(events: Event[]): DeferralEntry[] {
  const open = new Map<string, DeferralEntry>();
  for (const e of events) {
    if (e.outcome !== 'deferred') continue;
    const key = `${e.hi}:${e.lo}`;
    const o = open.get(key);
    if (!o) open.set(key, { hi: e.hi, lo: e.lo, first: e.time, last: e.time, code: e.code, destination: e.destination, connector: null });
    else {
      o.first = Math.min(o.first, e.time);
      if (e.time >= o.last) {
        o.last = e.time;
        o.code = e.code ?? o.code;
        o.destination = e.destination ?? o.destination;
      }
    }
  }
  return [...open.values()];
}

describe('DeferralTracker', () => {
  it('holds what a map keyed by "high:low" holds, in the same order', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 3_000, size: 'max' }), (events) => {
        const t = new DeferralTracker();
        for (const e of events) t.add(e.hi, e.lo, e.outcome, e.time, e.code, e.destination, null);
        const expected = model(events);
        expect(t.deferred.all).toEqual(expected);
        expect(t.deferred.size).toBe(expected.length);
        for (const entry of expected) expect(t.deferred.get(entry.hi, entry.lo)).toEqual(entry);
        expect(t.deferred.get(701, 0)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});
