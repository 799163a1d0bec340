import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { casUpdate } from '../../functions/core/store/cas.ts';
import { record } from '../../functions/core/store/records.ts';
import { generated } from '../helpers/bytes.ts';
import { fastClock, ingestBytes, snapshot } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 13 (2): an hour new to the tenant is created without reading it first (its day's pair
 * index was new, or its rollup was just created). The guess only saves requests: when it is
 * wrong, the create fails and the usual read → merge → write follows, with the same result.
 */
function counting(store: ObjectStore) {
  const gets: string[] = [];
  return {
    gets,
    store: { ...store, get: (key: string) => (gets.push(key), store.get(key)) } satisfies ObjectStore,
  };
}

const COUNTER = record<{ n: number }>('counter', { n: 'number' });
const cas = { clock: fastClock, budgetMs: 10_000 };
const day = (d: number) => generated({ family: 'trace-detail', rows: 600, seed: d, perHour: 50, start: Date.UTC(2026, 10, d), hours: 6 });

describe('creating what is probably absent without reading it first', () => {
  it('a wrong guess merges into what is there (no lost update), and is not counted as a lost race', async () => {
    const mem = createMemoryStore();
    await casUpdate(mem, 'k', COUNTER, (c) => ({ n: (c?.n ?? 0) + 1 }), cas);
    const r = await casUpdate(mem, 'k', COUNTER, (c) => ({ n: (c?.n ?? 0) + 1 }), cas, { absent: true });
    expect(r).toMatchObject({ wrote: true, created: false, attempts: 1, value: { n: 2 } });
    const fresh = await casUpdate(mem, 'new', COUNTER, (c) => ({ n: (c?.n ?? 0) + 1 }), cas, { absent: true });
    expect(fresh).toMatchObject({ wrote: true, created: true, attempts: 1 });
  });

  it('a day new to the tenant: its rollups, summaries and SQL companions are written without a single read', async () => {
    const { store, gets } = counting(createMemoryStore());
    expect((await ingestBytes(store, 'a.csv', day(10))).status).toBe('ingested');
    expect(gets.filter((k) => /^results\/(rollups|summaries|sql)\//.test(k))).toEqual([]);
  });

  it('a day whose hours exist but whose pair index does not (data from before it): the same results as reading first', async () => {
    const plain = createMemoryStore();
    await ingestBytes(plain, 'a.csv', day(10));
    await ingestBytes(
      plain,
      'b.csv',
      generated({ family: 'trace-detail', rows: 900, seed: 3, perHour: 50, start: Date.UTC(2026, 10, 10, 2), hours: 6 }),
    );

    const guessed = createMemoryStore();
    await ingestBytes(guessed, 'a.csv', day(10));
    // Without its pair index the day looks new: every hour of b.csv that a.csv holds is guessed wrong.
    const pairs = [...guessed.objects.keys()].filter((k) => k.startsWith('state/pairs/'));
    expect(pairs.length).toBeGreaterThan(0);
    for (const k of pairs) guessed.objects.delete(k);
    const { store, gets } = counting(guessed);
    const b = await ingestBytes(
      store,
      'b.csv',
      generated({ family: 'trace-detail', rows: 900, seed: 3, perHour: 50, start: Date.UTC(2026, 10, 10, 2), hours: 6 }),
    );
    expect(b.status).toBe('ingested');
    expect(gets.filter((k) => k.startsWith('results/rollups/')).length).toBeGreaterThan(0); // the guesses that failed, then read
    expect(await snapshot(guessed)).toEqual(await snapshot(plain));
  });
});
