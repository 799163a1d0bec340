import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairsByDay, STATUS_FINAL, type SourceKind } from '../../functions/core/aggregate/pair-days.ts';
import { HourBatch, type GroupFields } from '../../functions/core/aggregate/rollup.ts';
import { DAY, HOUR } from '../../functions/core/vocabulary/time.ts';

/**
 * What a part says about its pairs, per day, against the rule written out plainly with a Map: a
 * pair's day is its first row's (hours in order); an event pair keeps whether it has a final
 * outcome; a status pair its row's hour, and whether all its rows are final.
 */
const GROUPS: GroupFields[] = (['delivered', 'deferred', 'failed'] as const).map((outcome) => ({
  outcome,
  code: null,
  category: null,
  owner: null,
  connector: null,
  destination: null,
  domain: 'contoso.com',
}));
const FINAL = [true, false, true];

function expected(batches: HourBatch[], kind: SourceKind): Map<number, Array<[number, number, number, number]>> {
  const first = new Map<string, { day: number; a: number; b: number; hi: number; lo: number }>();
  for (const batch of [...batches].sort((x, y) => x.hour - y.hour)) {
    for (let i = 0; i < batch.n; i++) {
      const [hi, lo] = [batch.msgHi[i]!, batch.msgLo[i]!];
      const final = FINAL[batch.grp[i]!]!;
      const key = `${hi}:${lo}`;
      const cur = first.get(key);
      if (!cur) {
        const day = Math.floor(batch.hour / DAY) * DAY;
        first.set(
          key,
          kind === 'status'
            ? { day, hi, lo, a: batch.hour / HOUR, b: 1 + (final ? STATUS_FINAL : 0) }
            : { day, hi, lo, a: 1, b: final ? 1 : 0 },
        );
      } else if (kind === 'status') {
        if (!final && cur.b & STATUS_FINAL) cur.b = 1;
      } else if (final) cur.b = 1;
    }
  }
  const out = new Map<number, Array<[number, number, number, number]>>();
  for (const p of first.values()) {
    if (!out.has(p.day)) out.set(p.day, []);
    out.get(p.day)!.push([p.hi, p.lo, p.a, p.b]);
  }
  for (const list of out.values()) list.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  return out;
}

describe('pairsByDay', () => {
  it("files each pair under its first row's day with what the part says about it (events and statuses, across midnight)", () => {
    const start = Date.UTC(2026, 5, 1, 20);
    const batch = fc.record({
      hour: fc.integer({ min: 0, max: 30 }),
      // Few distinct pairs, so that pairs repeat within and across hours and days.
      rows: fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 })), { maxLength: 60 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(batch, { selector: (b) => b.hour, maxLength: 8 }),
        fc.constantFrom<SourceKind>('events', 'status'),
        (specs, kind) => {
          const batches = specs.map(({ hour, rows }) => {
            const col = (f: (r: [number, number]) => number) => Uint32Array.from(rows, f);
            return HourBatch.from(start + hour * HOUR, GROUPS, {
              fpHi: col(() => 0),
              fpLo: col((_) => 0),
              msgHi: col(([p]) => (p * 0x9e3779b1) >>> 0),
              msgLo: col(([p]) => (p % 3) + 1),
              grp: col(([, g]) => g),
            });
          });
          const got = pairsByDay(batches, kind);
          const want = expected(batches, kind);
          expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
          for (const [day, pairs] of got) {
            const quads: Array<[number, number, number, number]> = [];
            pairs.forEach((hi, lo, a, b) => quads.push([hi, lo, a, b]));
            expect(quads).toEqual(want.get(day));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
