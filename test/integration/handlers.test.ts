import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../functions/core/config.ts';
import { silentLogger, systemClock } from '../../functions/core/ports.ts';
import { handler } from '../../functions/ingest/handler.ts';
import { reconcile } from '../../functions/reconcile/reconcile.ts';
import { generated } from '../helpers/bytes.ts';
import { snapshot } from '../helpers/ingest.ts';
import { freshBucket } from '../helpers/rgw.ts';
import { s3Record } from '../helpers/s3-events.ts';

const config = parseRuntimeConfig({ MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true', MAILFLOW_MAX_OBJECT_BYTES: String(4 << 20) });
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Uploads an object and returns the AWS-shaped ObjectCreated record for it (key form-encoded). */
async function upload(client: S3Client, bucket: string, key: string, body: Uint8Array) {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return s3Record(key, { bucket, size: head.ContentLength!, etag: head.ETag!.replace(/"/g, '') });
}

/** Counts GetObject requests for one key (to prove the size gate downloads nothing). */
function countGets(client: S3Client, key: string): () => number {
  let gets = 0;
  client.middlewareStack.add((next, context) => (args) => {
    if (context.commandName === 'GetObjectCommand' && (args.input as { Key?: string }).Key === key) gets++;
    return next(args);
  }, { step: 'initialize', name: `count-gets-${Math.random()}` });
  return () => gets;
}

describe('ingest handler on Ceph RGW', () => {
  it('ingests uploads named with spaces and plus signs; three concurrent deliveries of one event count once (R1, R10)', async () => {
    const { bucket, client, store } = await freshBucket();
    const record = await upload(client, bucket, 'incoming/contoso/trace export+monday.csv', generated({ family: 'trace-detail', rows: 1500, seed: 41 }));
    expect(record.s3.object.key).toBe('incoming/contoso/trace+export%2Bmonday.csv');
    const rt = { client, config, logger: quiet };
    const results = await Promise.all([1, 2, 3].map(() => handler({ Records: [record] }, rt)));
    expect(results).toEqual([1, 2, 3].map(() => ({ processed: 1, skipped: 0 })));
    const receipts = [];
    for await (const o of store.list('results/sources/contoso/')) receipts.push(JSON.parse(Buffer.from((await store.get(o.key))!.body).toString()));
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ status: 'ingested', key: 'incoming/contoso/trace export+monday.csv', tenant: 'contoso', family: 'trace-detail' });
    // A late replay changes nothing (R2).
    const before = await snapshot(store);
    await handler({ Records: [record] }, rt);
    expect(await snapshot(store)).toEqual(before);
  });

  it('rejects an upload over the size limit before downloading it (P40), and ignores other prefixes', async () => {
    const { bucket, client, store } = await freshBucket();
    const gets = countGets(client, 'incoming/t/huge.csv');
    const record = await upload(client, bucket, 'incoming/t/huge.csv', Buffer.alloc(5 << 20, 0x41));
    const outside = s3Record('results/hourly/x.json', { bucket });
    expect(await handler({ Records: [record, outside] }, { client, config, logger: quiet })).toEqual({ processed: 1, skipped: 1 });
    expect(gets()).toBe(0);
    let receipt;
    for await (const o of store.list('results/sources/t/')) receipt = JSON.parse(Buffer.from((await store.get(o.key))!.body).toString());
    expect(receipt).toMatchObject({ status: 'rejected', errorCode: 'OBJECT_TOO_LARGE' });
  });
});

describe('reconcile on Ceph RGW (reliability.md R12)', () => {
  it('re-drives exactly the uploads whose events were dropped; a second run finds none', async () => {
    const { bucket, client, store } = await freshBucket();
    const records = [];
    for (let i = 0; i < 40; i++) records.push(await upload(client, bucket, `incoming/t/day-${i}.csv`, generated({ family: 'eac-extended', rows: 60, seed: 600 + i })));
    const dropped = new Set([1, 4, 7, 9, 13, 17, 20, 22, 26, 29, 31, 35, 38]);
    const rt = { client, config, logger: quiet };
    for (const [i, r] of records.entries()) if (!dropped.has(i)) await handler({ Records: [r] }, rt);
    const later = { now: () => new Date(Date.now() + 20 * 60_000), sleep: systemClock.sleep };
    const first = await reconcile(client, bucket, { store, clock: later, logger: silentLogger }, config);
    expect(first.map((r) => r.key).sort()).toEqual([...dropped].map((i) => `incoming/t/day-${i}.csv`).sort());
    expect(first.every((r) => r.status === 'ingested')).toBe(true);
    expect(await reconcile(client, bucket, { store, clock: later, logger: silentLogger }, config)).toEqual([]);
    // Nothing is ingested before its event had time to arrive.
    expect(await reconcile(client, bucket, { store, clock: systemClock, logger: silentLogger }, config)).toEqual([]);
    // The end state equals every event delivered.
    const baseline = await freshBucket();
    for (let i = 0; i < 40; i++) await handler({ Records: [await upload(baseline.client, baseline.bucket, `incoming/t/day-${i}.csv`, generated({ family: 'eac-extended', rows: 60, seed: 600 + i }))] }, { client: baseline.client, config, logger: quiet });
    expect((await snapshot(store)).summaries).toEqual((await snapshot(baseline.store)).summaries);
  }, 120_000);
});
