import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { queryStore, summaryDaysInRange, summaryKeysInRange, type QueryOptions } from '../../functions/core/query/query.ts';
import { readSummaries } from '../../functions/core/store/hourly.ts';
import { AREA, summaryMonthKey } from '../../functions/core/store/layout.ts';
import { generated } from '../helpers/bytes.ts';
import { fastClock, ingestBytes } from '../helpers/ingest.ts';
import { MAX_COPIED_LINE, recordMonthDays } from '../../functions/core/store/summary-months.ts';
import { runCli } from '../helpers/io.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 13 (3): a month object holds copies of its days' day lines, each with the ETag of the
 * summary object it was copied from; a whole-day read uses a copy only when the listing shows that
 * ETag, and reads the day's own object otherwise. These tests hold it to that: the same answers
 * with and without the months, a read per month instead of one per day, and a copy that is older
 * than its day never used.
 */
const DAY = 86_400_000;
const START = Date.UTC(2026, 9, 27); // 10 days over the end of October
const first = generated({ family: 'trace-detail', rows: 9_600, seed: 3, perHour: 16, start: START, hours: 240 });
const second = generated({ family: 'trace-detail', rows: 2_000, seed: 4, perHour: 16, start: START + 3 * DAY, hours: 120 });
const question: QueryOptions = { by: ['day', 'outcome', 'code'], from: START, to: START + 10 * DAY };

/** A store that counts reads by area: day objects' heads and reads, and month objects. */
function counted(store: ObjectStore) {
  const c = { dayReads: 0, monthReads: 0 };
  const note = (key: string) => (key.startsWith(AREA.summaryMonths) ? c.monthReads++ : key.startsWith(AREA.summaries) && c.dayReads++);
  const wrapped: ObjectStore = {
    ...store,
    get: (key) => (note(key), store.get(key)),
    getHead: (key, bytes, until) => (note(key), store.getHead!(key, bytes, until)),
  };
  return { c, wrapped };
}

async function ingested() {
  const store = createMemoryStore();
  expect((await ingestBytes(store, 'a.csv', first)).status).toBe('ingested');
  return store;
}

/** The same objects without the months: as a mailflow from before them stored its days. */
function withoutMonths(store: ReturnType<typeof createMemoryStore>) {
  const copy = createMemoryStore();
  for (const [k, o] of store.objects) if (!k.startsWith(AREA.summaryMonths)) copy.objects.set(k, o);
  return copy;
}

describe("a month's copies of its day lines", () => {
  it('answer whole days as their own objects do, for a read per month instead of one per day', async () => {
    const store = await ingested();
    const months = [...store.objects.keys()].filter((k) => k.startsWith(AREA.summaryMonths)).sort();
    expect(months).toEqual([summaryMonthKey('default', START), summaryMonthKey('default', START + 9 * DAY)]);

    const viaMonths = counted(store);
    const rows = await queryStore(viaMonths.wrapped, question);
    expect(viaMonths.c).toEqual({ dayReads: 0, monthReads: 2 });

    const viaDays = counted(withoutMonths(store));
    expect(await queryStore(viaDays.wrapped, question)).toEqual(rows);
    expect(viaDays.c).toEqual({ dayReads: 10, monthReads: 2 }); // the months are looked for, and missing
    expect(rows.reduce((n, r) => n + r.events, 0)).toBeGreaterThan(3_000);
  });

  it('follow each later upload of their days', async () => {
    const store = await ingested();
    expect((await ingestBytes(store, 'b.csv', second)).status).toBe('ingested');
    const viaMonths = counted(store);
    const rows = await queryStore(viaMonths.wrapped, question);
    expect(viaMonths.c.dayReads).toBe(0);
    expect(rows).toEqual(await queryStore(withoutMonths(store), question));
  });

  it('are not used once their day was written again: a copy older than its day counts nothing twice and misses nothing', async () => {
    const store = await ingested();
    const stale = new Map([...store.objects].filter(([k]) => k.startsWith(AREA.summaryMonths)));
    expect((await ingestBytes(store, 'b.csv', second)).status).toBe('ingested');
    // As if the months' writes after the days' had been lost (a crash between them).
    for (const [k, o] of stale) store.objects.set(k, o);
    const viaMonths = counted(store);
    const rows = await queryStore(viaMonths.wrapped, question);
    expect(rows).toEqual(await queryStore(withoutMonths(store), question));
    // The 3 days the second upload changed are read from their own objects, the others from the copies.
    expect(viaMonths.c).toEqual({ dayReads: 3, monthReads: 2 });
  });

  it('leave out a day line over 256 KiB, and drop an older copy of that day: it is read from its own object', async () => {
    const store = await ingested();
    const key = summaryMonthKey('default', START);
    const before = Buffer.from(store.objects.get(key)!.body).toString('utf8');
    expect(before).toContain('{"day":"2026-10-28"');
    const huge = `{"day":"2026-10-28","filler":"${'x'.repeat(MAX_COPIED_LINE)}"}`;
    await recordMonthDays(store, 'default', [{ day: '2026-10-28', etag: '"new"', line: huge }], { clock: fastClock, budgetMs: 10_000 });
    const after = Buffer.from(store.objects.get(key)!.body).toString('utf8');
    expect(after).not.toContain('"2026-10-28"');
    expect(after.split('\n').filter(Boolean)).toHaveLength(before.split('\n').filter(Boolean).length - 1);
    const viaMonths = counted(store);
    expect(await queryStore(viaMonths.wrapped, question)).toEqual(await queryStore(withoutMonths(store), question));
    expect(viaMonths.c).toEqual({ dayReads: 1, monthReads: 2 });
  });

  it('that cannot be read name the month object and what was expected', async () => {
    const store = await ingested();
    const key = summaryMonthKey('default', START);
    store.objects.set(key, { body: Buffer.from('{"day":"2026-10-27","etag":"x"}\n'), etag: '"broken"' });
    await expect(queryStore(store, question)).rejects.toThrow(`${key}: the line of 2026-10-27 must be {"day":…,"etag":"…","summary":{…}}`);
  });
});

describe('reading through the months, as on S3', () => {
  it("a day waiting for its month's copy holds no read slot: the next tenant's months are asked for meanwhile", async () => {
    // Two tenants of 40 days each (more than the 32 reads at once). Month reads are held until a
    // third one has started: if a tenant's days waited for its months in the read slots, the other
    // tenant's months would never be asked for, and this would time out.
    const store = createMemoryStore();
    const days40 = generated({ family: 'trace-detail', rows: 4_800, seed: 5, perHour: 2, start: START, hours: 40 * 24 });
    for (const tenant of ['a', 'b']) expect((await ingestBytes(store, `${tenant}.csv`, days40, { tenant })).status).toBe('ingested');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const holding: ObjectStore = {
      ...store,
      get: async (key) => {
        if (key.startsWith(AREA.summaryMonths)) {
          started.push(key);
          if (started.length === 3) release();
          await held;
        }
        return store.get(key);
      },
    };
    const range = { from: START, to: START + 40 * DAY, grain: 'day' as const };
    const read = await readSummaries(holding, summaryDaysInRange(holding, range), range);
    expect(new Set(started).size).toBe(6); // three months a tenant
    // One summary per day and tenant (the range covers every stored day whole).
    expect(read).toHaveLength([...store.objects.keys()].filter((k) => k.startsWith(AREA.summaries)).length);
    expect(read).toEqual(await readSummaries(store, summaryKeysInRange(store, range), range));
  });
});

describe('mailflow months', () => {
  it('copies days stored before months were kept into the same month objects an upload writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-months-'));
    try {
      const file = join(dir, 'trace.csv');
      writeFileSync(file, first);
      const data = join(dir, 'data');
      expect((await runCli(['ingest', '--data-dir', data, file])).code).toBe(0);
      const months = join(data, AREA.summaryMonths, 'tenant=default');
      const written = Object.fromEntries(readdirSync(months).map((f) => [f, readFileSync(join(months, f), 'utf8')]));
      expect(Object.keys(written)).toEqual(['month=2026-10.jsonl', 'month=2026-11.jsonl']);
      rmSync(join(data, AREA.summaryMonths), { recursive: true });
      const r = await runCli(['months', '--data-dir', data]);
      expect([r.code, r.stdout]).toEqual([0, '✓ default: 10 day(s) copied into their months\n']);
      expect(Object.fromEntries(readdirSync(months).map((f) => [f, readFileSync(join(months, f), 'utf8')]))).toEqual(written);
      expect((await runCli(['months', '--data-dir', join(dir, 'empty')])).stderr).toMatch(/^mailflow months: no data folder at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
