import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { PreconditionFailedError } from '../../functions/core/errors.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes, joinExport, snapshot, splitExport } from '../helpers/ingest.ts';
import { freshBucket, rgwClient } from '../helpers/rgw.ts';
import { createS3Store } from '../../functions/adapters/s3-store.ts';
import { checkHeadContract, checkListingContract } from '../helpers/listing-contract.ts';

// Against a real S3 server (Ceph RGW on loopback): its conditional writes, not a fake's.
describe('createS3Store on Ceph RGW', () => {
  it('lists after a key (StartAfter) and names the folders that hold objects (common prefixes)', async () => {
    await checkListingContract((await freshBucket()).store);
  });

  it("reads an object's first bytes with a ranged GET (what a query of whole days reads)", async () => {
    await checkHeadContract((await freshBucket()).store);
  });

  it('says a bucket does not exist, at once, instead of taking it for missing objects and lost races', async () => {
    const store = createS3Store(rgwClient(), { bucket: 'mf-no-such-bucket', unquotedIfMatch: true });
    const missing = { code: 'NO_SUCH_BUCKET', message: expect.stringContaining('"mf-no-such-bucket"') };
    await expect(store.get('results/a.json')).rejects.toMatchObject(missing);
    await expect(store.getHead!('results/a.json', 100)).rejects.toMatchObject(missing);
    await expect(store.putIfAbsent('results/a.json', Buffer.from('1'))).rejects.toMatchObject(missing);
    await expect(store.putIfMatch('results/a.json', Buffer.from('1'), '"x"')).rejects.toMatchObject(missing);
    await expect(store.list('results/')[Symbol.asyncIterator]().next()).rejects.toMatchObject(missing);
  });

  it('creates exclusively, compare-and-swaps by ETag, reads, and lists with pagination', async () => {
    const { store } = await freshBucket();
    const { etag: v1 } = await store.putIfAbsent('results/a.json', Buffer.from('1'));
    await expect(store.putIfAbsent('results/a.json', Buffer.from('x'))).rejects.toBeInstanceOf(PreconditionFailedError);
    const { etag: v2 } = await store.putIfMatch('results/a.json', Buffer.from('2'), v1);
    await expect(store.putIfMatch('results/a.json', Buffer.from('3'), v1)).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(store.putIfMatch('results/missing.json', Buffer.from('3'), v2)).rejects.toBeInstanceOf(PreconditionFailedError);
    const got = await store.get('results/a.json');
    expect(Buffer.from(got!.body).toString()).toBe('2');
    expect(got!.etag).toBe(v2);
    expect(await store.get('results/nothing.json')).toBeNull();
    for (let i = 0; i < 1005; i++) await store.putIfAbsent(`results/many/${String(i).padStart(4, '0')}.json`, Buffer.from('{}'));
    const keys: string[] = [];
    for await (const o of store.list('results/many/')) keys.push(o.key);
    expect(keys).toHaveLength(1005); // more than one page of 1,000
    expect(keys[1004]).toBe('results/many/1004.json');
  });

  it('ingests like the data folder: same summaries; three concurrent deliveries count once', async () => {
    const { store } = await freshBucket();
    const local = createFsStore({ root: mkdtempSync(join(tmpdir(), 'mailflow-vs-s3-')) });
    const bytes = generated({ family: 'trace-detail', rows: 2000, seed: 31 });
    const receipts = await Promise.all([1, 2, 3].map(() => ingestBytes(store, 'trace.csv', bytes)));
    expect(receipts.map((r) => r.status).sort()).toEqual(['duplicate', 'duplicate', 'ingested']);
    await ingestBytes(local, 'trace.csv', bytes);
    const [s3, fs] = [await snapshot(store), await snapshot(local)];
    expect(Object.keys(s3.summaries).length).toBeGreaterThan(1);
    expect(s3.summaries).toEqual(fs.summaries);
    expect(s3.rollups).toEqual(fs.rollups);
  });

  it('counts two half-overlapping exports like their union', async () => {
    const { head, rows } = splitExport(Buffer.from(generated({ family: 'eac-extended', rows: 1600, seed: 32 })).toString('utf8'));
    const { store } = await freshBucket();
    await ingestBytes(store, 'a.csv', joinExport(head, rows.slice(0, 1000)));
    await ingestBytes(store, 'b.csv', joinExport(head, rows.slice(600)));
    const union = await freshBucket();
    await ingestBytes(union.store, 'u.csv', joinExport(head, rows));
    expect(await snapshot(store, false)).toEqual(await snapshot(union.store, false));
  });
});
