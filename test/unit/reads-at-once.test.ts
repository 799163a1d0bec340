import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { runCli } from '../helpers/io.ts';
import type { ListOptions, ObjectStore } from '../../functions/core/ports.ts';
import { summaryKeysInRange, tenantsAhead, TENANTS_AHEAD } from '../../functions/core/query/query.ts';
import { renderReport } from '../../functions/core/render/report.ts';
import { forEachKey } from '../../functions/core/store/records.ts';
import { ingestTenants } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * A store whose every read and listing takes one round trip (`lagMs`), as S3's do (tens of ms),
 * counting requests and how many were in flight at once. Writes are not delayed: these tests read.
 */
function withRoundTrips(store: ObjectStore, lagMs: number) {
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0 };
  const trip = async <T>(work: () => Promise<T>): Promise<T> => {
    stats.requests++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    try {
      await new Promise((r) => setTimeout(r, lagMs));
      return await work();
    } finally {
      stats.inFlight--;
    }
  };
  const listed = <T>(items: () => AsyncIterable<T>) =>
    async function* () {
      const all = await trip(async () => {
        const out: T[] = [];
        for await (const x of items()) out.push(x);
        return out;
      });
      yield* all;
    };
  const lagged: ObjectStore = {
    ...store,
    get: (key) => trip(() => store.get(key)),
    getHead: (key, bytes, until) => trip(() => store.getHead!(key, bytes, until)),
    list: (prefix: string, options?: ListOptions) => listed(() => store.list(prefix, options))(),
    folders: (prefix: string) => listed(() => store.folders!(prefix))(),
  };
  return { store: lagged, stats };
}

describe('reads of many tenants overlap, as on S3 (issue 13, 3)', () => {
  it('keeps `concurrency` reads going: a slow one does not hold back the keys after it', async () => {
    // The first read ends only once the fourth has started: a batch of two that waits for its
    // slowest would never start the fourth, and this would time out.
    let releaseFirst!: () => void;
    const first = new Promise<void>((r) => (releaseFirst = r));
    const started: string[] = [];
    await forEachKey(
      ['a', 'b', 'c', 'd'],
      async (key) => {
        started.push(key);
        if (key === 'a') await first;
        if (key === 'd') releaseFirst();
      },
      2,
    );
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('throws the first failure once the reads in flight have settled, and starts no new ones', async () => {
    const settled: string[] = [];
    const started: string[] = [];
    const run = forEachKey(
      ['ok-slow', 'bad', 'later-1', 'later-2', 'later-3'],
      async (key) => {
        started.push(key);
        if (key === 'bad') throw new Error('no such bucket');
        await new Promise((r) => setTimeout(r, 30));
        settled.push(key);
      },
      2,
    );
    await expect(run).rejects.toThrow('no such bucket');
    // Whatever had started has finished before the error came out.
    expect(settled.sort()).toEqual(started.filter((k) => k !== 'bad').sort());
    expect(started.length).toBeLessThan(5);
  });

  it("lists the next tenants' summaries while one tenant's keys are read, in the same order as one by one", async () => {
    const base = createMemoryStore();
    const seeds = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${String(i).padStart(2, '0')}`, i + 1]));
    await ingestTenants(base, seeds, { rows: 200, perHour: 20, start: Date.UTC(2026, 9, 1) });
    const { store, stats } = withRoundTrips(base, 10);
    const keys: string[] = [];
    for await (const k of summaryKeysInRange(store, { from: Date.UTC(2026, 9, 1), to: Date.UTC(2026, 9, 3) })) keys.push(k);
    const oneByOne: string[] = [];
    for (const t of Object.keys(seeds))
      for await (const k of summaryKeysInRange(base, { from: Date.UTC(2026, 9, 1), to: Date.UTC(2026, 9, 3), tenants: [t] }))
        oneByOne.push(k);
    expect(keys).toEqual(oneByOne);
    expect(keys.length).toBeGreaterThanOrEqual(12);
    // One listing of the tenant folders, then the twelve tenants' listings, most of them at once.
    expect(stats.requests).toBe(13);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(8);
  });

  it('an all-tenants view reads its tenants together: the same page, in a fraction of the round trips one by one', async () => {
    const base = createMemoryStore();
    const seeds = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${String(i).padStart(2, '0')}`, i + 1]));
    await ingestTenants(base, seeds, { rows: 300, perHour: 20, start: Date.UTC(2026, 9, 1) });
    const request = { mode: 'live', lang: 'en', tenant: null, range: '24h', now: Date.UTC(2026, 10, 1) } as const;
    const expected = await renderReport(base, request);
    const lagMs = 40;
    const { store, stats } = withRoundTrips(base, lagMs);
    const started = performance.now();
    const page = await renderReport(store, request);
    const elapsed = performance.now() - started;
    expect(page.html.replace(/Generated [^<]*/g, '')).toBe(expected.html.replace(/Generated [^<]*/g, ''));
    // Every tenant's data clock and newest day at once (up to 50 tenants at a time), their incidents
    // and receipts alongside.
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(40);
    // One after another these requests would take requests × lag; together, a small part of it. The
    // margin is wide (4×, where ~10× is usual) so that a busy machine cannot make this fail.
    expect(stats.requests).toBeGreaterThan(100);
    expect(elapsed).toBeLessThan((stats.requests * lagMs) / 4);
  });

  it("mailflow digest reads the next tenants while it prints one, and prints them in the tenants' order", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-digests-'));
    try {
      // More tenants than are read ahead (8 for 7 days), each its own seed: their digests differ.
      const names = Array.from({ length: 11 }, (_, i) => `t${String(i).padStart(2, '0')}`);
      await ingestTenants(createFsStore({ root: dir }), Object.fromEntries(names.map((t, i) => [t, i + 1])), {
        rows: 120,
        perHour: 20,
        start: Date.UTC(2026, 9, 1),
      });
      const r = await runCli(['digest', '--data-dir', dir, '--json', '--since', '7d']);
      expect(r.code).toBe(0);
      const digests = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { tenant: string; totals?: unknown });
      expect(digests.map((d) => d.tenant)).toEqual(names);
      // Each is its own tenant's: one at a time gives the same.
      for (const t of [names[0]!, names[9]!]) {
        const alone = await runCli(['digest', '--data-dir', dir, '--json', '--since', '7d', '--tenant', t]);
        expect(JSON.parse(alone.stdout.trim())).toEqual(digests.find((d) => d.tenant === t));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tenants read ahead by a grouping', () => {
  const DAY = 86_400_000;
  it('are 8 for 90 days, more for a shorter range (as many summaries held), at most 50, and 8 for hours', () => {
    expect(TENANTS_AHEAD).toBe(8);
    expect(tenantsAhead({ from: 0, to: 90 * DAY, by: ['code'] })).toBe(8);
    expect(tenantsAhead({ by: ['code'] })).toBe(8); // no range: everything stored
    // 14 days (a week and the week before): 15 day lines and two cut days of 23 hours, against 91 + 46.
    expect(tenantsAhead({ from: 0, to: 14 * DAY, by: ['code'] })).toBe(Math.floor((8 * 137) / 61));
    expect(tenantsAhead({ from: 0, to: 14 * DAY, by: ['hour'] })).toBe(8);
    // mailflow digest's default: 24 hours and the 24 before, by hour (3 days of 24 summaries).
    expect(tenantsAhead({ from: 0, to: 2 * DAY, by: ['hour'] })).toBe(15);
    expect(tenantsAhead({ from: 0, to: 3_600_000, by: ['code'], where: {} })).toBe(22);
    expect(tenantsAhead({ from: 0, to: 90 * DAY, by: ['code'], where: { hour: ['x'] } })).toBe(8);
  });
});
