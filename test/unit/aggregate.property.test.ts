import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileAggregator, mergeBatch, type HourlyRollup } from '../../functions/core/aggregate/rollup.ts';
import { generated, readAll } from '../helpers/bytes.ts';
import { ingestBytes, snapshot } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import type { DeliveryEvent } from '../../functions/core/classify/types.ts';

const events: DeliveryEvent[] = [];
const pool: Uint8Array[] = Array.from({ length: 8 }, (_, i) =>
  generated({ family: 'trace-detail', rows: 25, seed: 500 + i, perHour: 3000 }),
);

describe('rollup merging (property)', () => {
  it('merging parts of a file in any order, in any split, gives the same rollups', async () => {
    if (!events.length) events.push(...(await readAll(generated({ family: 'trace-detail', rows: 600, seed: 21, perHour: 300 }))).events);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: events.length, maxLength: events.length }),
        fc.func(fc.integer()),
        (assignment, order) => {
          const parts = [0, 1, 2, 3].map(() => new FileAggregator());
          events.forEach((e, i) => parts[assignment[i]!]!.add(e));
          const merge = (sequence: number[]) => {
            const rollups = new Map<number, HourlyRollup>();
            for (const p of sequence) {
              for (const [hour, batch] of parts[p]!.hours)
                rollups.set(hour, mergeBatch(rollups.get(hour) ?? null, batch, 't', `source-${p}`).rollup);
            }
            return [...rollups.entries()].sort(([a], [b]) => a - b).map(([, r]) => r);
          };
          const shuffled = [0, 1, 2, 3].sort((a, b) => order(a) - order(b) || a - b);
          expect(merge(shuffled)).toEqual(merge([0, 1, 2, 3]));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('concurrent ingestion race: any interleaving (R6)', () => {
  const race = (unconditional: boolean) =>
    fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 8 }), async (s, k) => {
      const files = pool.slice(0, k);
      const expected = createMemoryStore();
      for (const [i, f] of files.entries()) await ingestBytes(expected, `f${i}.csv`, f);
      let racing = true; // once the race is over, reads for the comparison must not wait for the scheduler
      const store = createMemoryStore({ unconditional, yieldPoint: () => (racing ? s.schedule(Promise.resolve()) : Promise.resolve()) });
      await s.waitFor(Promise.all(files.map((f, i) => ingestBytes(store, `f${i}.csv`, f))));
      racing = false;
      expect(await snapshot(store, false)).toEqual(await snapshot(expected, false));
    });

  it('any interleaving of read → merge → conditional write gives the fold of all files', async () => {
    await fc.assert(race(false), { numRuns: 500 });
  });

  it('negative control: with unconditional writes the same property fails (the test can see lost updates)', async () => {
    const result = await fc.check(race(true), { numRuns: 500 });
    expect(result.failed).toBe(true);
  });
});
