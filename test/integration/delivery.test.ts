import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createS3Store } from '../../functions/adapters/s3-store.ts';
import type { HourlyRollup } from '../../functions/core/aggregate/rollup.ts';
import { parseRuntimeConfig } from '../../functions/core/config.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { ingestS3Object } from '../../functions/ingest/ingest-s3-object.ts';
import { handler } from '../../functions/ingest/handler.ts';
import { normaliseEtag } from '../../functions/ingest/s3-event.ts';
import { generated } from '../helpers/bytes.ts';
import { fastClock, snapshot } from '../helpers/ingest.ts';
import { freshBucket } from '../helpers/rgw.ts';
import { s3Record } from '../helpers/s3-events.ts';

const config = parseRuntimeConfig({ MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true' });
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function upload(client: S3Client, bucket: string, key: string, body: Uint8Array) {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { bucket, key, size: head.ContentLength!, etag: normaliseEtag(head.ETag!), versionId: null, sequencer: null };
}

/** A store that fails like a crashed function right after its n-th successful write. */
function crashingAfter(store: ObjectStore, n: number): ObjectStore {
  let writes = 0;
  const crash = <T>(p: Promise<T>) => p.then((v) => {
    if (++writes === n) throw new Error(`simulated crash after write ${n}`);
    return v;
  });
  return { get: (k) => store.get(k), list: (p) => store.list(p), putIfAbsent: (k, b) => crash(store.putIfAbsent(k, b)), putIfMatch: (k, b, e) => crash(store.putIfMatch(k, b, e)) };
}

describe('delivery on Ceph RGW (reliability.md R4, R5)', () => {
  it('R4: a crash after any write, then Lambda retrying the event, gives the baseline', async () => {
    const bytes = generated({ family: 'trace-detail', rows: 500, seed: 81, perHour: 2000 });
    const clean = await freshBucket();
    const object = await upload(clean.client, clean.bucket, 'incoming/t/x.csv', bytes);
    const receipt = await ingestS3Object(clean.client, object, { store: clean.store, clock: fastClock, logger: quiet }, config);
    const { summaries: baseline, sql } = await snapshot(clean.store);
    const writes = receipt.hours * 3 + 1; // each hour: rollup, summary, SQL companion; then the receipt
    for (let n = 1; n <= writes; n++) {
      const run = await freshBucket();
      const obj = await upload(run.client, run.bucket, 'incoming/t/x.csv', bytes);
      await expect(ingestS3Object(run.client, obj, { store: crashingAfter(run.store, n), clock: fastClock, logger: quiet }, config)).rejects.toThrow(/simulated crash/);
      const retry = await ingestS3Object(run.client, obj, { store: run.store, clock: fastClock, logger: quiet }, config);
      expect(retry.status).toBe(n === writes ? 'duplicate' : 'ingested');
      const after = await snapshot(run.store);
      expect(after.summaries, `crash after write ${n}`).toEqual(baseline);
      expect(after.sql, `crash after write ${n}: SQL companions`).toEqual(sql);
    }
  }, 120_000);

  it('R5: 100 files × 1,000 rows through 25 concurrent handlers: exact totals, no writer gives up', async () => {
    const { bucket, client } = await freshBucket();
    const records: Array<ReturnType<typeof s3Record>> = [];
    for (let i = 0; i < 100; i++) {
      const o = await upload(client, bucket, `incoming/t/f${i}.csv`, generated({ family: 'trace-detail', rows: 1000, seed: 900 + i, perHour: 4000 }));
      records.push(s3Record(o.key, { bucket, size: o.size, etag: o.etag.replace(/"/g, '') }));
    }
    let next = 0;
    await Promise.all(Array.from({ length: 25 }, async () => {
      while (next < records.length) await handler({ Records: [records[next++]] }, { client, config, logger: quiet });
    }));
    const store = createS3Store(client, { bucket, unquotedIfMatch: true });
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
      inRollups += Object.values(r.totals).reduce((a, b) => a + b, 0);
    }
    expect(inRollups).toBe(counted);
    mkdirSync('test/artifacts', { recursive: true });
    writeFileSync('test/artifacts/cas-attempts-rgw.json', JSON.stringify({ files: 100, concurrency: 25, distribution }, null, 1));
    // All 100 files fall into the same hour: 25 writers race for one rollup. Reported, not bounded.
    expect(Object.values(distribution).reduce((a, b) => a + b, 0)).toBe(100);
  }, 240_000);
});
