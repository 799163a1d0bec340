import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describe as describeReceipt } from '../../functions/cli/local-ingest.ts';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { AREA, receiptKey } from '../../functions/core/store/layout.ts';
import type { HourlyRollup } from '../../functions/core/aggregate/rollup.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { generated } from '../helpers/bytes.ts';
import { fastClock, ingestBytes, joinExport, snapshot, splitExport, writesOfUpload } from '../helpers/ingest.ts';
import { ingestObject } from '../../functions/core/flows/ingest-object.ts';
import { silentLogger } from '../../functions/core/ports.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

const fsStore = () => createFsStore({ root: mkdtempSync(join(tmpdir(), 'mailflow-ingest-')) });
const detail = (rows: number, seed = 1) => generated({ family: 'trace-detail', rows, seed });

describe('ingestObject: never counting twice (concurrent duplicates, late replays, crash anywhere, concurrent distinct files: R1, R2, R4, R5)', () => {
  it('writes rollups, summaries and a receipt; a second ingestion of the same file is a duplicate and changes nothing', async () => {
    const store = fsStore();
    const bytes = detail(2000);
    const first = await ingestBytes(store, 'trace.csv', bytes);
    expect(first).toMatchObject({ status: 'ingested', family: 'trace-detail', rows: 2000 });
    expect(first.counted).toBeGreaterThan(0);
    const baseline = await snapshot(store);
    expect(Object.keys(baseline.rollups).length).toBe(first.hours);
    expect(Object.keys(baseline.summaries).length).toBe(first.hours);

    const again = await ingestBytes(store, 'trace.csv', bytes);
    expect(again.status).toBe('duplicate');
    expect(again.reason).toMatch(/already processed .* as ingested/);
    expect(await snapshot(store)).toEqual(baseline);
    // The stored receipt still says what happened the first time.
    const stored = JSON.parse(Buffer.from((await store.get(receiptKey('default', first.sourceId)))!.body).toString('utf8'));
    expect(stored.status).toBe('ingested');
  });

  it('R1: the same file three times concurrently counts once; one receipt says ingested, two say duplicate', async () => {
    const bytes = detail(3000);
    const single = fsStore();
    await ingestBytes(single, 'trace.csv', bytes);
    const store = fsStore();
    const receipts = await Promise.all([1, 2, 3].map(() => ingestBytes(store, 'trace.csv', bytes)));
    expect(receipts.map((r) => r.status).sort()).toEqual(['duplicate', 'duplicate', 'ingested']);
    expect(await snapshot(store)).toEqual(await snapshot(single));
  });

  it('R2: late replays of an upload (any time later) change nothing', async () => {
    const store = createMemoryStore();
    const bytes = detail(500);
    await ingestBytes(store, 'x.csv', bytes);
    const baseline = await snapshot(store);
    for (let i = 0; i < 3; i++) expect((await ingestBytes(store, 'x.csv', bytes)).status).toBe('duplicate');
    expect(await snapshot(store)).toEqual(baseline);
  });

  it('two exports overlapping by half count like one export of their union', async () => {
    const { head, rows } = splitExport(Buffer.from(detail(3000)).toString('utf8'));
    const a = joinExport(head, rows.slice(0, 2000));
    const b = joinExport(head, rows.slice(1000, 3000));
    const union = fsStore();
    await ingestBytes(union, 'union.csv', joinExport(head, rows));
    const store = fsStore();
    const ra = await ingestBytes(store, 'a.csv', a);
    const rb = await ingestBytes(store, 'b.csv', b);
    expect(rb.alreadyCounted).toBeGreaterThan(0);
    expect(ra.counted + rb.counted).toBe((await ingestBytes(fsStore(), 'u.csv', joinExport(head, rows))).counted);
    expect(await snapshot(store, false)).toEqual(await snapshot(union, false));
  });

  it('the same bytes under another name are another upload, but their events are still counted once', async () => {
    const store = createMemoryStore();
    const bytes = detail(800);
    const first = await ingestBytes(store, 'monday.csv', bytes);
    const copy = await ingestBytes(store, 'monday (copy).csv', bytes);
    expect(copy.status).toBe('ingested');
    expect(copy.counted).toBe(0);
    // Everything the first upload counted is already counted; rows repeated inside the file are
    // said to be that, in both (issue 12, 10), never "counted by other uploads".
    expect(first.alreadyCounted).toBe(0);
    expect(copy.alreadyCounted).toBe(first.counted);
    expect(copy.repeatedInFile).toBe(first.repeatedInFile);
  });

  it('tells rows repeated inside a file from events other uploads counted (issue 12, 10)', async () => {
    const { head, rows } = splitExport(Buffer.from(detail(300)).toString('utf8'));
    const store = createMemoryStore();
    const twice = await ingestBytes(store, 'twice.csv', joinExport(head, [...rows, ...rows.slice(0, 40)]));
    expect(twice).toMatchObject({ alreadyCounted: 0 });
    // The 40 rows again hold this many counted events ('other' rows, Receive and the like, count nothing).
    const again = await ingestBytes(createMemoryStore(), 'forty.csv', joinExport(head, rows.slice(0, 40)));
    expect(again.counted).toBeGreaterThan(0);
    const once = await ingestBytes(createMemoryStore(), 'once.csv', joinExport(head, rows));
    expect(twice.repeatedInFile).toBe((once.repeatedInFile ?? 0) + again.counted);
    const other = await ingestBytes(store, 'other.csv', joinExport(head, rows.slice(0, 100)));
    const alone = await ingestBytes(createMemoryStore(), 'alone.csv', joinExport(head, rows.slice(0, 100)));
    expect(other).toMatchObject({ counted: 0, repeatedInFile: alone.repeatedInFile, alreadyCounted: alone.counted });
    expect(other.alreadyCounted).toBeGreaterThan(0);
    expect(describeReceipt(twice)).toMatch(/\(\d+ duplicate row\(s\) inside this file\)/);
    expect(describeReceipt(other)).toMatch(/[(;] [\d,]+ already counted from other uploads\)/);
  });

  it('R5: 50 files × 1,000 rows of the same hours, 10 at a time: exact totals, no lost update, no writer gives up', async () => {
    const store = fsStore();
    const files = Array.from({ length: 50 }, (_, i) => generated({ family: 'trace-detail', rows: 1000, seed: 100 + i, perHour: 2000 }));
    const receipts = [];
    for (let i = 0; i < files.length; i += 10) {
      receipts.push(...(await Promise.all(files.slice(i, i + 10).map((f, j) => ingestBytes(store, `f${i + j}.csv`, f)))));
    }
    expect(receipts.every((r) => r.status === 'ingested')).toBe(true);
    const counted = receipts.reduce((n, r) => n + r.counted, 0);
    let inRollups = 0;
    for await (const o of store.list('results/rollups/')) {
      const r = JSON.parse(Buffer.from((await store.get(o.key))!.body).toString('utf8')) as HourlyRollup;
      inRollups += Object.values(r.totals).reduce((a, b) => a + b, 0);
      expect(r.sources.length).toBeGreaterThan(1); // these hours really were contended
    }
    expect(inRollups).toBe(counted);
    // The compare-and-swap attempt distribution, per rollup write (reported in test/artifacts/).
    const distribution: Record<string, number> = {};
    for (const r of receipts) for (const [k, v] of Object.entries(r.casAttempts)) distribution[k] = (distribution[k] ?? 0) + v;
    mkdirSync('test/artifacts', { recursive: true });
    writeFileSync('test/artifacts/cas-attempts-fs-store.json', JSON.stringify({ files: 50, concurrency: 10, distribution }, null, 1));
    expect(Object.keys(distribution).length).toBeGreaterThan(0);
  });
});

/** A store that fails (like a crashed process) right after its n-th successful write. */
function crashingAfter(store: ObjectStore, n: number): ObjectStore {
  let writes = 0;
  const crash = <T>(p: Promise<T>) =>
    p.then((v) => {
      if (++writes === n) throw new Error(`simulated crash after write ${n}`);
      return v;
    });
  return {
    ...store,
    get: (k) => store.get(k),
    list: (p) => store.list(p),
    putIfAbsent: (k, b) => crash(store.putIfAbsent(k, b)),
    putIfMatch: (k, b, e) => crash(store.putIfMatch(k, b, e)),
  };
}

describe('a file rejected earlier is read again when ingested again (issue 12, 3)', () => {
  it('re-reads a rejected file, replaces its receipt, and counts it once; a given-up source stays given up', async () => {
    const store = createMemoryStore();
    const bytes = generated({ family: 'trace-summary', rows: 200, seed: 4 });
    // Rejected under tighter limits (as an older version, or other settings, would have).
    const first = await ingestBytes(store, 'x.csv', bytes, { config: { read: { limits: { maxColumns: 8 } } } });
    expect(first).toMatchObject({ status: 'rejected', errorCode: 'TOO_MANY_COLUMNS', counted: 0 });
    const again = await ingestBytes(store, 'x.csv', bytes);
    expect(again).toMatchObject({ status: 'ingested', rows: 200 });
    expect(again.counted).toBeGreaterThan(0);
    expect((await snapshot(store, false)).summaries).toEqual((await snapshot(await fresh(bytes), false)).summaries);
    expect(await ingestBytes(store, 'x.csv', bytes)).toMatchObject({ status: 'duplicate', reason: expect.stringMatching(/as ingested;/) });

    // A receipt that gave up on the source (it failed every re-drive) is not read again.
    const given = createMemoryStore();
    const r = await ingestBytes(given, 'y.csv', bytes, { config: { read: { limits: { maxColumns: 8 } } } });
    const key = receiptKey('default', r.sourceId);
    const body = JSON.parse(Buffer.from((await given.get(key))!.body).toString('utf8'));
    await given.putIfMatch(key, Buffer.from(JSON.stringify({ ...body, errorCode: 'REPEATED_FAILURE' })), (await given.get(key))!.etag);
    expect(await ingestBytes(given, 'y.csv', bytes)).toMatchObject({ status: 'duplicate', errorCode: 'REPEATED_FAILURE' });
  });
});

describe('a file that fails part way after parts were merged (issue 16, 6)', () => {
  it('gets a partial receipt that says what stays counted, never "rejected" with counted events', async () => {
    const { gzipSync } = await import('node:zlib');
    const whole = gzipSync(generated({ family: 'trace-summary', rows: 3000, seed: 6 }));
    const cut = whole.subarray(0, Math.floor(whole.length * 0.7)); // a download cut short
    const store = createMemoryStore();
    const r = await ingestBytes(store, 'cut.csv.gz', cut, { config: { flushEvents: 500 } });
    expect(r).toMatchObject({ status: 'partial', errorCode: 'GZIP_TRUNCATED' });
    expect(r.counted).toBeGreaterThan(0);
    const stored = Object.values((await snapshot(store, false)).summaries) as Array<{ groups: Array<{ events: number }> }>;
    expect(stored.flatMap((s) => s.groups).reduce((n, g) => n + g.events, 0)).toBe(r.counted);
    // Read again when it comes again (the parts already merged are skipped), and the whole file completes the counts once.
    const again = await ingestBytes(store, 'cut.csv.gz', cut, { config: { flushEvents: 500 } });
    expect(again).toMatchObject({ status: 'partial', counted: 0 });
    expect(again.alreadyCounted).toBeGreaterThanOrEqual(r.counted); // the parts it skipped (their in-file repeats included)
    await ingestBytes(store, 'whole.csv.gz', whole);
    expect((await snapshot(store, false)).summaries).toEqual((await snapshot(await fresh(whole), false)).summaries);
  });
});

async function fresh(bytes: Uint8Array): Promise<ObjectStore> {
  const store = createMemoryStore();
  await ingestBytes(store, 'x.csv', bytes);
  return store;
}

describe('large files are merged in parts, so memory stays flat', () => {
  it('gives the same rollups as one merge, and a rerun skips the parts already merged', async () => {
    const bytes = detail(3000, 5);
    const whole = createMemoryStore();
    const one = await ingestBytes(whole, 'x.csv', bytes);
    const parts = createMemoryStore();
    const many = await ingestBytes(parts, 'x.csv', bytes, { config: { flushEvents: 200 } });
    expect(many.counted).toBe(one.counted);
    expect(many.hours).toBe(one.hours);
    expect(await snapshot(parts, false)).toEqual(await snapshot(whole, false));
    const sources = new Set<string>();
    for (const r of Object.values((await snapshot(parts)).rollups) as HourlyRollup[]) r.sources.forEach((s) => sources.add(s));
    expect([...sources].some((s) => s.endsWith('#3'))).toBe(true);
  });

  it('recovers from a crash after any write of a multi-part ingestion', async () => {
    const bytes = detail(1200, 8);
    const config = { flushEvents: 150, dayConcurrency: 1 };
    const clean = createMemoryStore();
    await ingestBytes(clean, 'x.csv', bytes, { config });
    const baseline = await snapshot(clean);
    let writes = 0;
    for await (const _ of clean.list('')) writes++;
    writes += 20; // parts rewrite rollups and summaries more than once: crash well past the first writes too
    for (let n = 1; n <= writes; n += 3) {
      const store = createMemoryStore();
      const crashed = await ingestBytes(crashingAfter(store, n), 'x.csv', bytes, { config }).then(
        () => false,
        () => true,
      );
      await ingestBytes(store, 'x.csv', bytes, { config });
      expect(await snapshot(store), `crash after write ${n} (${crashed ? 'crashed' : 'finished'})`).toEqual(baseline);
    }
  });
});

describe('merging while reading (mergeWhileReading, as on S3): the same parts, their round trips overlapping the read', () => {
  /** A store whose requests take a few event-loop turns, as a remote one's take time. */
  const remote = () => createMemoryStore({ yieldPoint: () => new Promise((r) => setTimeout(r, 1)) });
  const config = { flushEvents: 150, dayConcurrency: 1, mergeWhileReading: true };

  it('gives the same results as merging between chunks, and a crash after any write, then a rerun, gives them too', async () => {
    const bytes = detail(1200, 8);
    const clean = createMemoryStore();
    await ingestBytes(clean, 'x.csv', bytes, { config: { ...config, mergeWhileReading: false } });
    const baseline = await snapshot(clean);
    const overlapped = remote();
    let writes = 0;
    const counting: ObjectStore = {
      ...overlapped,
      get: (k) => overlapped.get(k),
      list: (p) => overlapped.list(p),
      putIfAbsent: (k, b) => (writes++, overlapped.putIfAbsent(k, b)),
      putIfMatch: (k, b, e) => (writes++, overlapped.putIfMatch(k, b, e)),
    };
    await ingestBytes(counting, 'x.csv', bytes, { config });
    expect(await snapshot(overlapped)).toEqual(baseline);
    for (let n = 1; n < writes; n += 3) {
      const store = remote();
      // A merge failing in the background surfaces as the ingestion's error (unhandled, vitest would fail the run).
      await expect(ingestBytes(crashingAfter(store, n), 'x.csv', bytes, { config })).rejects.toThrow(/simulated crash/);
      await ingestBytes(store, 'x.csv', bytes, { config });
      expect(await snapshot(store), `crash after write ${n}`).toEqual(baseline);
      // One entry in the receipt index, whichever write the crash came after (store/receipts.ts).
      expect(
        [...store.objects.keys()].filter((k) => k.startsWith(AREA.receiptIndex)),
        `crash after write ${n}`,
      ).toHaveLength(1);
    }
  });

  it('reads on while a part is merged, and waits when the next one is full (at most one full part waits)', async () => {
    const bytes = detail(1200, 3);
    const pulled = async (mergeWhileReading: boolean) => {
      const store = createMemoryStore();
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // The first event part's write is held: the first merge cannot finish.
      const holding: ObjectStore = {
        ...store,
        get: (k) => store.get(k),
        list: (p) => store.list(p),
        putIfMatch: (k, b, e) => store.putIfMatch(k, b, e),
        putIfAbsent: async (k, b) => {
          if (k.startsWith('results/events/')) await held;
          return store.putIfAbsent(k, b);
        },
      };
      let chunks = 0;
      async function* source() {
        for (let at = 0; at < bytes.length; at += 1024) {
          chunks++;
          yield bytes.subarray(at, at + 1024);
        }
      }
      const done = ingestObject(
        { origin: 'local:test', key: 'incoming/default/x.csv', tenant: 'default', etag: '"x"', file: 'x.csv' },
        source(),
        { store: holding, clock: fastClock, logger: silentLogger },
        { ...config, mergeWhileReading },
      );
      await new Promise((r) => setTimeout(r, 200));
      const whileHeld = chunks;
      release();
      expect((await done).status).toBe('ingested');
      return { whileHeld, total: chunks };
    };
    const between = await pulled(false);
    const overlapped = await pulled(true);
    // Between chunks, the read stops once the first part is full (150 events); merging while reading,
    // it reads the second part too, then stops: far from the end of the file.
    expect(overlapped.whileHeld).toBeGreaterThan(1.6 * between.whileHeld);
    expect(overlapped.whileHeld).toBeLessThan(2.6 * between.whileHeld);
    expect(overlapped.whileHeld).toBeLessThan(overlapped.total / 2);
  });
});

describe("a part's days are written several at once, in the protocol's order", () => {
  it("records every day's pairs before any rollup, with several days' indexes in flight at once", async () => {
    // 2,000 rows of 4 messages an hour: one part over a week or more.
    const bytes = generated({ family: 'trace-detail', rows: 2000, seed: 4, perHour: 4 });
    const store = createMemoryStore({ yieldPoint: () => new Promise((r) => setTimeout(r, 1)) });
    const writes: string[] = [];
    let inFlight = 0;
    let most = 0;
    const logged = (key: string, write: () => Promise<{ etag: string }>) => {
      const pairs = key.startsWith('state/pairs/');
      if (pairs) most = Math.max(most, ++inFlight);
      return write().finally(() => {
        if (pairs) inFlight--;
        writes.push(key);
      });
    };
    const watching: ObjectStore = {
      ...store,
      get: (k) => store.get(k),
      list: (p) => store.list(p),
      putIfAbsent: (k, b) => logged(k, () => store.putIfAbsent(k, b)),
      putIfMatch: (k, b, e) => logged(k, () => store.putIfMatch(k, b, e)),
    };
    const r = await ingestBytes(watching, 'x.csv', bytes);
    expect(r.status).toBe('ingested');
    const pairDays = writes.filter((k) => k.startsWith('state/pairs/'));
    expect(pairDays.length).toBeGreaterThanOrEqual(4);
    expect(most).toBeGreaterThan(1);
    const lastPairs = writes.findLastIndex((k) => k.startsWith('state/pairs/'));
    expect(lastPairs).toBeLessThan(writes.findIndex((k) => k.startsWith('results/rollups/')));
    expect(await snapshot(store)).toEqual(await snapshot(await fresh(bytes)));
  });
});

describe('crash points: a crash anywhere, then a rerun, gives one clean run (R4)', () => {
  it('a crash after any write, then a rerun of the same upload, gives the baseline', async () => {
    const bytes = detail(1500, 7);
    const clean = createMemoryStore();
    const receipt = await ingestBytes(clean, 'x.csv', bytes);
    const baseline = await snapshot(clean);
    const writes = await writesOfUpload(clean, receipt);
    for (let n = 1; n <= writes; n++) {
      const store = createMemoryStore();
      await expect(ingestBytes(crashingAfter(store, n), 'x.csv', bytes)).rejects.toThrow(/simulated crash/);
      const rerun = await ingestBytes(store, 'x.csv', bytes);
      // The receipt is the last write but one (its index entry follows): from there on, a rerun is a duplicate.
      expect(rerun.status).toBe(n >= writes - 1 ? 'duplicate' : 'ingested');
      expect(await snapshot(store), `crash after write ${n}`).toEqual(baseline);
      // One entry in the receipt index, whichever write the crash came after (store/receipts.ts).
      expect(
        [...store.objects.keys()].filter((k) => k.startsWith(AREA.receiptIndex)),
        `crash after write ${n}`,
      ).toHaveLength(1);
    }
  });
});
