import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { readFailure } from '../../functions/core/store/failures.ts';
import { ingestBatch, START_MARGIN_MS } from '../../functions/ingest/ingest-batch.ts';
import { reconcileUploads } from '../../functions/reconcile/reconcile.ts';
import { generated } from '../helpers/bytes.ts';
import { inProcess } from '../helpers/deployed.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { snapshot } from '../helpers/ingest.ts';
import { freshBuckets, upload } from '../helpers/rgw.ts';
import { recordOf, sqsRecord, uploadBatch } from '../helpers/s3-events.ts';
import type { Receipt } from '../../functions/core/store/receipts.ts';

// The ingest and reconcile functions' code in the test process, every S3 call made with a session
// of the role the synthesized template gives the function (RGW enforces its statements).
const override = { MAILFLOW_MAX_OBJECT_BYTES: String(4 << 20) }; // a small size gate, so the test upload can pass it

async function receipts(store: ObjectStore, tenant: string): Promise<Receipt[]> {
  const out: Receipt[] = [];
  for await (const o of store.list(`results/sources/${tenant}/`))
    out.push(JSON.parse(Buffer.from((await store.get(o.key))!.body).toString()));
  return out;
}

/** Counts GetObject requests for one key (to prove the size gate downloads nothing). */
function countGets(client: S3Client, key: string): () => number {
  let gets = 0;
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetObjectCommand' && (args.input as { Key?: string }).Key === key) gets++;
      return next(args);
    },
    { step: 'initialize', name: `count-gets-${Math.random()}` },
  );
  return () => gets;
}

describe('ingest function on Ceph RGW, under its role', () => {
  it('reads the version its event names; three concurrent deliveries of one event count once; keys with spaces and + (R1, R10)', async () => {
    const b = await freshBuckets();
    const o = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/contoso/trace export+monday.csv',
      generated({ family: 'trace-detail', rows: 1500, seed: 41 }),
    );
    expect(o.versionId).toBeTruthy();
    const record = recordOf(o);
    expect(record.s3.object.key).toBe('incoming/contoso/trace+export%2Bmonday.csv');
    const rt = await inProcess('Ingest', b.local, { override });
    const results = await Promise.all([1, 2, 3].map(() => ingestBatch(uploadBatch(record), rt)));
    expect(results.map((r) => r.batchItemFailures)).toEqual([[], [], []]);
    expect(results.map((r) => r.receipts[0]!.status).sort()).toEqual(['duplicate', 'duplicate', 'ingested'].sort());
    const [receipt] = await receipts(b.data.store, 'contoso');
    expect(await receipts(b.data.store, 'contoso')).toHaveLength(1);
    expect(receipt).toMatchObject({
      status: 'ingested',
      key: 'incoming/contoso/trace export+monday.csv',
      tenant: 'contoso',
      family: 'trace-detail',
    });
    // A late replay changes nothing (R2).
    const before = await snapshot(b.data.store);
    expect((await ingestBatch(uploadBatch(record), rt)).receipts[0]!.status).toBe('duplicate');
    expect(await snapshot(b.data.store)).toEqual(before);
  });

  it('negative control: without the statement that allows reading incoming/, the same delivery fails and says why', async () => {
    const b = await freshBuckets();
    const o = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/contoso/a.csv',
      generated({ family: 'trace-detail', rows: 50, seed: 42 }),
    );
    const dropRead = (s: { Action: string | string[]; Resource: unknown }) => [s.Action].flat().includes('s3:GetObjectVersion');
    const rt = await inProcess('Ingest', b.local, { override, drop: dropRead });
    const batch = uploadBatch(recordOf(o));
    const r = await ingestBatch(batch, rt);
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]!.messageId }]);
    expect(await readFailure(b.data.store, o)).toMatchObject({
      failures: 1,
      redrives: 0,
      lastBy: 'delivery',
      key: o.key,
      lastError: { name: 'AccessDenied' },
    });
    expect(await receipts(b.data.store, 'contoso')).toEqual([]);
  });

  it('reports only the failing message of a batch (partial batch response); the test event and bad input are not failures', async () => {
    const b = await freshBuckets();
    const good = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/t/good.csv',
      generated({ family: 'eac-extended', rows: 80, seed: 43 }),
    );
    const gone = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/t/gone.csv',
      generated({ family: 'eac-extended', rows: 80, seed: 44 }),
    );
    await b.uploads.client.send(new DeleteObjectCommand({ Bucket: b.uploads.bucket, Key: gone.key, VersionId: gone.versionId! }));
    const junk = await upload(b.uploads.client, b.uploads.bucket, 'incoming/t/junk.csv', Buffer.from('\x89PNG\r\n\x1a\n not an export'));
    const event = {
      Records: [
        sqsRecord({ Records: [recordOf(good)] }),
        sqsRecord({ Records: [recordOf(gone)] }, 3),
        sqsRecord({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-12-01T10:00:00.000Z', Bucket: b.uploads.bucket }),
        sqsRecord('this is not JSON'),
        sqsRecord({ Records: [recordOf(junk)] }),
      ],
    };
    const r = await ingestBatch(event, await inProcess('Ingest', b.local, { override }));
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]!.messageId }, { itemIdentifier: event.Records[3]!.messageId }]);
    expect(r.receipts.map((x) => [x.key, x.status, x.errorCode])).toEqual([
      ['incoming/t/good.csv', 'ingested', null],
      ['incoming/t/junk.csv', 'rejected', 'UNRECOGNIZED_HEADER'],
    ]);
  });

  it('hands back the messages it has no time left to start, instead of being cut off by the timeout', async () => {
    const b = await freshBuckets();
    const objects = [];
    for (let i = 0; i < 3; i++)
      objects.push(
        await upload(
          b.uploads.client,
          b.uploads.bucket,
          `incoming/t/f${i}.csv`,
          generated({ family: 'eac-extended', rows: 30, seed: 50 + i }),
        ),
      );
    const event = uploadBatch(...objects.map(recordOf));
    let left = START_MARGIN_MS + 1000;
    const context = { getRemainingTimeInMillis: () => (left -= 1500) };
    const r = await ingestBatch(event, await inProcess('Ingest', b.local, { override }), context);
    expect(r.receipts.map((x) => x.key)).toEqual(['incoming/t/f0.csv']);
    expect(r.batchItemFailures).toEqual(event.Records.slice(1).map((m) => ({ itemIdentifier: m.messageId })));
  });

  it('rejects an upload over the size limit before downloading it (P40), and skips keys outside incoming/', async () => {
    const b = await freshBuckets();
    const rt = await inProcess('Ingest', b.local, { override });
    const gets = countGets(rt.s3, 'incoming/t/huge.csv');
    const o = await upload(b.uploads.client, b.uploads.bucket, 'incoming/t/huge.csv', Buffer.alloc(5 << 20, 0x41));
    const outside = { ...recordOf(o), s3: { ...recordOf(o).s3, object: { ...recordOf(o).s3.object, key: 'results/hourly/x.json' } } };
    const r = await ingestBatch({ Records: [sqsRecord({ Records: [recordOf(o), outside] })] }, rt);
    expect(r.batchItemFailures).toEqual([]);
    expect(gets()).toBe(0);
    expect(await receipts(b.data.store, 't')).toEqual([expect.objectContaining({ status: 'rejected', errorCode: 'OBJECT_TOO_LARGE' })]);
  });
});

describe('reconcile function on Ceph RGW, under its role: lost notifications (R12)', () => {
  const later = (minutes: number) => ({
    now: () => new Date(Date.now() + minutes * 60_000),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  });

  it('re-drives exactly the uploads whose events were dropped; a second run finds none', async () => {
    const b = await freshBuckets();
    const records: Array<ReturnType<typeof recordOf>> = [];
    for (let i = 0; i < 40; i++)
      records.push(
        recordOf(
          await upload(
            b.uploads.client,
            b.uploads.bucket,
            `incoming/t/day-${i}.csv`,
            generated({ family: 'eac-extended', rows: 60, seed: 600 + i }),
          ),
        ),
      );
    const dropped = new Set([1, 4, 7, 9, 13, 17, 20, 22, 26, 29, 31, 35, 38]);
    const ingest = await inProcess('Ingest', b.local);
    for (const [i, r] of records.entries())
      if (!dropped.has(i)) expect((await ingestBatch(uploadBatch(r), ingest)).batchItemFailures).toEqual([]);
    const first = await reconcileUploads(await inProcess('Reconcile', b.local, { clock: later(20) }));
    expect(first.receipts.map((r) => r.key).sort()).toEqual([...dropped].map((i) => `incoming/t/day-${i}.csv`).sort());
    expect(first.receipts.every((r) => r.status === 'ingested')).toBe(true);
    expect(first).toMatchObject({ failed: 0, deferred: 0, queued: 0 });
    expect((await reconcileUploads(await inProcess('Reconcile', b.local, { clock: later(20) }))).receipts).toEqual([]);
    // Nothing is re-driven before its event had time to arrive.
    const other = await freshBuckets();
    await upload(
      other.uploads.client,
      other.uploads.bucket,
      'incoming/t/new.csv',
      generated({ family: 'eac-extended', rows: 10, seed: 1 }),
    );
    expect((await reconcileUploads(await inProcess('Reconcile', other.local))).receipts).toEqual([]);
    // The end state equals every event delivered.
    const baseline = await freshBuckets();
    const ingestAll = await inProcess('Ingest', baseline.local);
    for (let i = 0; i < 40; i++)
      await ingestBatch(
        uploadBatch(
          recordOf(
            await upload(
              baseline.uploads.client,
              baseline.uploads.bucket,
              `incoming/t/day-${i}.csv`,
              generated({ family: 'eac-extended', rows: 60, seed: 600 + i }),
            ),
          ),
        ),
        ingestAll,
      );
    expect((await snapshot(b.data.store)).summaries).toEqual((await snapshot(baseline.data.store)).summaries);
  }, 180_000);

  it('gives up on an upload that fails every re-drive (REPEATED_FAILURE receipt), without blocking the others; leaves queue failures to the queue', async () => {
    const b = await freshBuckets();
    const poison = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/t/poison.csv',
      generated({ family: 'eac-extended', rows: 2000, seed: 70 }),
    );
    const queued = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/t/queued.csv',
      generated({ family: 'eac-extended', rows: 50, seed: 71 }),
    );
    const rgw = new URL(inject('s3Endpoint'));
    // Every download of poison.csv breaks off halfway: a transient error each time, never bad input.
    const proxy = await startFaultProxy({
      target: { host: rgw.hostname, port: Number(rgw.port) },
      body: { match: /poison/, share: 0.5, then: 'cut' },
    });
    try {
      // queued.csv's delivery failed once: the queue will deliver it again, reconcile keeps out of it.
      const failing = await inProcess('Ingest', b.local, {
        endpoint: proxy.endpoint,
        drop: (s) => [s.Action].flat().includes('s3:GetObjectVersion'),
      });
      expect((await ingestBatch(uploadBatch(recordOf(queued)), failing)).batchItemFailures).toHaveLength(1);
      const runs = [];
      for (let run = 1; run <= 5; run++) {
        const good = await upload(
          b.uploads.client,
          b.uploads.bucket,
          `incoming/t/good-${run}.csv`,
          generated({ family: 'eac-extended', rows: 40, seed: 700 + run }),
        );
        const r = await reconcileUploads(await inProcess('Reconcile', b.local, { endpoint: proxy.endpoint, clock: later(20) }));
        runs.push({ run, failed: r.failed, queued: r.queued, receipts: r.receipts.map((x) => [x.key, x.status, x.errorCode]) });
        expect(r.receipts).toContainEqual(expect.objectContaining({ key: good.key, status: 'ingested' }));
      }
      // MAILFLOW_MAX_REDRIVES is 3 in the template: three failed re-drives, then the receipt.
      expect(runs.map((r) => r.failed)).toEqual([1, 1, 1, 0, 0]);
      expect(runs.map((r) => r.queued)).toEqual([1, 1, 1, 1, 1]);
      expect(runs[3]!.receipts).toContainEqual(['incoming/t/poison.csv', 'rejected', 'REPEATED_FAILURE']);
      expect(runs[4]!.receipts.map((x) => x[0])).toEqual(['incoming/t/good-5.csv']);
      const [receipt] = (await receipts(b.data.store, 't')).filter((r) => r.key === poison.key);
      expect(receipt!.reason).toMatch(/^re-driven 3 times, failing each time; the last error \(.+\): /);
    } finally {
      await proxy.close();
    }
  }, 180_000);
});
