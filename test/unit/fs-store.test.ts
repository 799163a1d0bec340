import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { PreconditionFailedError } from '../../functions/core/errors.ts';
import { checkHeadContract, checkListingContract } from '../helpers/listing-contract.ts';

const fresh = () => createFsStore({ root: mkdtempSync(join(tmpdir(), 'mailflow-store-')) });
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('createFsStore', () => {
  it('lists after a key and names the folders that hold objects, as S3 does', async () => {
    await checkListingContract(fresh());
  });

  it("reads an object's first bytes, as S3's ranged GET does", async () => {
    await checkHeadContract(fresh());
  });

  it('creates exclusively: of 20 concurrent putIfAbsent calls exactly one wins', async () => {
    const store = fresh();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.putIfAbsent('results/sources/t/x.json', Buffer.from(`writer ${i}`))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof PreconditionFailedError)).toHaveLength(19);
    expect(text((await store.get('results/sources/t/x.json'))!.body)).toMatch(/^writer \d+$/);
  });

  it('compare-and-swaps by version: a stale or missing ETag is refused', async () => {
    const store = fresh();
    const { etag: v1 } = await store.putIfAbsent('a/b.json', Buffer.from('1'));
    const { etag: v2 } = await store.putIfMatch('a/b.json', Buffer.from('2'), v1);
    expect(v2).not.toBe(v1);
    await expect(store.putIfMatch('a/b.json', Buffer.from('3'), v1)).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(store.putIfMatch('a/missing.json', Buffer.from('3'), v1)).rejects.toBeInstanceOf(PreconditionFailedError);
    const got = await store.get('a/b.json');
    expect({ body: text(got!.body), etag: got!.etag }).toEqual({ body: '2', etag: v2 });
  });

  it('loses no update when 10 writers increment one counter concurrently', async () => {
    const store = fresh();
    await store.putIfAbsent('c.json', Buffer.from('0'));
    let attempts = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (;;) {
          attempts++;
          const cur = (await store.get('c.json'))!;
          try {
            await store.putIfMatch('c.json', Buffer.from(String(Number(text(cur.body)) + 1)), cur.etag);
            return;
          } catch (err) {
            if (!(err instanceof PreconditionFailedError)) throw err;
          }
        }
      }),
    );
    expect(text((await store.get('c.json'))!.body)).toBe('10');
    expect(attempts).toBeGreaterThanOrEqual(10);
  });

  it('lists by prefix, in key order, without temp files or locks', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mailflow-store-'));
    const store = createFsStore({ root });
    for (const k of [
      'results/hourly/tenant=a/date=2026-11-20/hour=10.json',
      'results/hourly/tenant=a/date=2026-11-20/hour=09.json',
      'results/hourly/tenant=b/date=2026-11-20/hour=10.json',
      'results/sources/a/1.json',
    ]) {
      await store.putIfAbsent(k, Buffer.from('{}'));
    }
    const { etag } = (await store.get('results/sources/a/1.json'))!;
    await store.putIfMatch('results/sources/a/1.json', Buffer.from('{"x":1}'), etag);
    const keys: string[] = [];
    for await (const o of store.list('results/hourly/tenant=a/')) keys.push(o.key);
    expect(keys).toEqual(['results/hourly/tenant=a/date=2026-11-20/hour=09.json', 'results/hourly/tenant=a/date=2026-11-20/hour=10.json']);
    const all: string[] = [];
    for await (const o of store.list('')) all.push(o.key);
    expect(all).toHaveLength(4);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]); // temp files are linked or renamed away
  });

  it('refuses keys that would escape the data folder', async () => {
    const store = fresh();
    await expect(store.putIfAbsent('../outside.json', Buffer.from('x'))).rejects.toThrow(/invalid object key/);
    await expect(store.get('a/../../b')).rejects.toThrow(/invalid object key/);
  });
});
