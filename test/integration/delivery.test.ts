import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FunctionRuntime } from '../../functions/adapters/lambda-runtime.ts';
import type { HourlyRollup } from '../../functions/core/aggregate/rollup.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { AREA } from '../../functions/core/store/layout.ts';
import { listKeys } from '../../functions/core/store/records.ts';
import { ingestBatch } from '../../functions/ingest/ingest-batch.ts';
import { ingestS3Object } from '../../functions/adapters/ingest-s3-object.ts';
import { generated } from '../helpers/bytes.ts';
import { inProcess } from '../helpers/deployed.ts';
import { fastClock, snapshot, writesOfUpload } from '../helpers/ingest.ts';
import { freshBuckets, upload } from '../helpers/rgw.ts';
import { recordOf, uploadBatch } from '../helpers/s3-events.ts';

/** A store that fails like a crashed function right after its n-th successful write. */
function crashingAfter(store: ObjectStore, n: number): ObjectStore {
  let writes = 0;
  const crash = <T>(p: Promise<T>) =>
    p.then((v) => {
      if (++writes === n) throw new Error(`simulated crash after write ${n}`);
      return v;
    });
  return {
    get: (k) => store.get(k),
    list: (p) => store.list(p),
    putIfAbsent: (k, b) => crash(store.putIfAbsent(k, b)),
    putIfMatch: (k, b, e) => crash(store.putIfMatch(k, b, e)),
  };
}

const ports = (rt: FunctionRuntime, store = rt.store) => ({ store, clock: fastClock, logger: rt.logger });

// Under the ingest function's role, on the stack's two buckets (versioned uploads, unversioned data).
describe('delivery on Ceph RGW: crash anywhere, concurrent distinct files (R4, R5)', () => {
  it('R4: a crash after any write, then the queue delivering the message again, gives the baseline', async () => {
    const bytes = generated({ family: 'trace-detail', rows: 500, seed: 81, perHour: 2000 });
    const clean = await freshBuckets();
    const object = await upload(clean.uploads.client, clean.uploads.bucket, 'incoming/t/x.csv', bytes);
    const cleanRt = await inProcess('Ingest', clean.local);
    const receipt = await ingestS3Object(cleanRt.s3, object, ports(cleanRt), cleanRt.config);
    const { summaries: baseline, sql } = await snapshot(clean.data.store);
    const writes = await writesOfUpload(clean.data.store, receipt);
    for (let n = 1; n <= writes; n++) {
      const run = await freshBuckets();
      const obj = await upload(run.uploads.client, run.uploads.bucket, 'incoming/t/x.csv', bytes);
      const rt = await inProcess('Ingest', run.local);
      await expect(ingestS3Object(rt.s3, obj, ports(rt, crashingAfter(rt.store, n)), rt.config)).rejects.toThrow(/simulated crash/);
      const retry = await ingestS3Object(rt.s3, obj, ports(rt), rt.config);
      // The receipt is the last write but one (its index entry follows): from there on, a retry is a duplicate.
      expect(retry.status).toBe(n >= writes - 1 ? 'duplicate' : 'ingested');
      const after = await snapshot(run.data.store);
      expect(after.summaries, `crash after write ${n}`).toEqual(baseline);
      expect(after.sql, `crash after write ${n}: SQL companions`).toEqual(sql);
      // One entry in the receipt index, whichever write the crash came after: a duplicate writes a lost one back.
      const entries: string[] = [];
      for await (const key of listKeys(run.data.store, AREA.receiptIndex)) entries.push(key);
      expect(entries, `crash after write ${n}: receipt index`).toHaveLength(1);
    }
  }, 180_000);

  it('R5: 100 files × 1,000 rows through 25 concurrent invocations: exact totals, no writer gives up', async () => {
    const b = await freshBuckets();
    const records: Array<ReturnType<typeof recordOf>> = [];
    for (let i = 0; i < 100; i++)
      records.push(
        recordOf(
          await upload(
            b.uploads.client,
            b.uploads.bucket,
            `incoming/t/f${i}.csv`,
            generated({ family: 'trace-detail', rows: 1000, seed: 900 + i, perHour: 4000 }),
          ),
        ),
      );
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        const rt = await inProcess('Ingest', b.local); // each concurrent function instance has its own runtime
        while (next < records.length) expect((await ingestBatch(uploadBatch(records[next++]!), rt)).batchItemFailures).toEqual([]);
      }),
    );
    const store = b.data.store;
    let counted = 0;
    const distribution: Record<string, number> = {};
    for await (const o of store.list('results/sources/t/')) {
      const r = JSON.parse(Buffer.from((await store.get(o.key))!.body).toString());
      expect(r.status).toBe('ingested');
      counted += r.counted;
      for (const [k, v] of Object.entries(r.casAttempts as Record<string, number>)) distribution[k] = (distribution[k] ?? 0) + v;
    }
    let inRollups = 0;
    for await (const o of store.list('results/rollups/')) {
      const r = JSON.parse(Buffer.from((await store.get(o.key))!.body).toString()) as HourlyRollup;
      inRollups += Object.values(r.totals).reduce((a, c) => a + c, 0);
    }
    expect(inRollups).toBe(counted);
    mkdirSync('test/artifacts', { recursive: true });
    writeFileSync('test/artifacts/cas-attempts-rgw.json', JSON.stringify({ files: 100, concurrency: 25, distribution }, null, 1));
    // All 100 files fall into the same hour: 25 writers race for one rollup. Reported, not bounded.
    expect(Object.values(distribution).reduce((a, c) => a + c, 0)).toBe(100);
  }, 300_000);
});
