import { expect } from 'vitest';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { listFolders, listKeys } from '../../functions/core/store/records.ts';

/**
 * What every store must do for date-bounded reads (issue 13, 3), checked the same way on the data
 * folder and on Ceph RGW: `startAfter` lists only the keys after it, in key order (also past a
 * 1,000-key page), and `folders` names the folders that hold objects, one level down.
 */
export async function checkListingContract(store: ObjectStore): Promise<void> {
  const keys: string[] = [];
  for (const tenant of ['a', 'b', 'c-eu'])
    for (let d = 18; d <= 21; d++)
      for (const h of ['00', '09', '23']) keys.push(`results/hourly/tenant=${tenant}/date=2026-11-${d}/hour=${h}.json`);
  for (let i = 0; i < 1_010; i++) keys.push(`results/hourly/tenant=b/date=2026-12-01/x${String(i).padStart(4, '0')}.json`);
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.putIfAbsent(k, Buffer.from('{}'))));

  const listed = async (prefix: string, startAfter?: string) => {
    const out: string[] = [];
    for await (const o of store.list(prefix, startAfter ? { startAfter } : {})) out.push(o.key);
    return out;
  };
  const b = keys.filter((k) => k.startsWith('results/hourly/tenant=b/')).sort();
  expect(await listed('results/hourly/tenant=b/')).toEqual(b);
  expect(await listed('results/hourly/tenant=b/', 'results/hourly/tenant=b/date=2026-11-20')).toEqual(
    b.filter((k) => k > 'results/hourly/tenant=b/date=2026-11-20'),
  );
  expect(await listed('results/hourly/tenant=a/', 'results/hourly/tenant=a/date=2026-11-19/hour=09.json')).toEqual([
    'results/hourly/tenant=a/date=2026-11-19/hour=23.json',
    ...['20', '21'].flatMap((d) => ['00', '09', '23'].map((h) => `results/hourly/tenant=a/date=2026-11-${d}/hour=${h}.json`)),
  ]);
  expect(await listed('results/hourly/tenant=a/', 'results/hourly/tenant=a/date=2027')).toEqual([]);
  // Keys alone (a store's `keys`, else from `list`): the same keys, the same bounds.
  const keysOf = async (prefix: string, startAfter?: string) => {
    const out: string[] = [];
    for await (const k of listKeys(store, prefix, startAfter ? { startAfter } : {})) out.push(k);
    return out;
  };
  expect(await keysOf('results/hourly/tenant=b/')).toEqual(b);
  expect(await keysOf('results/hourly/tenant=b/', 'results/hourly/tenant=b/date=2026-11-20')).toEqual(
    b.filter((k) => k > 'results/hourly/tenant=b/date=2026-11-20'),
  );
  expect(await keysOf('results/hourly/tenant=', 'results/hourly/tenant=b/date=2026-11-21/hour=23.json')).toEqual(
    await listed('results/hourly/tenant=', 'results/hourly/tenant=b/date=2026-11-21/hour=23.json'),
  );

  const folders: string[] = [];
  if (store.folders) for await (const f of store.folders('results/hourly/')) folders.push(f);
  expect(folders).toEqual(['results/hourly/tenant=a/', 'results/hourly/tenant=b/', 'results/hourly/tenant=c-eu/']);
  expect(await listFolders(store, 'results/hourly/tenant=a/')).toEqual(
    ['18', '19', '20', '21'].map((d) => `results/hourly/tenant=a/date=2026-11-${d}/`),
  );
  expect(await listFolders(store, 'results/nothing/')).toEqual([]);
}

/**
 * `getHead` (S3's ranged GET), the same on every store: the object's first bytes, all of it when
 * it is shorter, an empty object as empty, a missing one as null. Asked to stop at a byte, a store
 * may answer less, but always the start of the object, holding that byte or the whole range.
 */
export async function checkHeadContract(store: ObjectStore): Promise<void> {
  expect(store.getHead).toBeTypeOf('function');
  const text = `${'{"day":"2026-11-20"}'.padEnd(100, ' ')}\n${'x'.repeat(5_000)}`;
  await store.putIfAbsent('results/head/a.jsonl', Buffer.from(text));
  await store.putIfAbsent('results/head/empty.jsonl', new Uint8Array());
  const head = async (key: string, n: number) => {
    const b = await store.getHead!(key, n);
    return b === null ? null : Buffer.from(b).toString('utf8');
  };
  expect(await head('results/head/a.jsonl', 101)).toBe(text.slice(0, 101));
  expect(await head('results/head/a.jsonl', 1)).toBe('{');
  expect(await head('results/head/a.jsonl', 1 << 20)).toBe(text);
  expect(await head('results/head/empty.jsonl', 64)).toBe('');
  expect(await head('results/head/missing.jsonl', 64)).toBeNull();

  // A first line longer than a file store's first read step (16 KiB), then more than the range.
  const long = `${'y'.repeat(20_000)}\n${'z'.repeat(70_000)}`;
  await store.putIfAbsent('results/head/long.jsonl', Buffer.from(long));
  const until = async (key: string, n: number) => Buffer.from((await store.getHead!(key, n, 0x0a))!).toString('utf8');
  const line = await until('results/head/long.jsonl', 64 * 1024);
  expect(long.startsWith(line)).toBe(true);
  expect(line.length).toBeLessThanOrEqual(64 * 1024);
  expect(line).toContain('\n');
  // No such byte within the range: the whole range, as without `until`.
  expect(await until('results/head/long.jsonl', 10_000)).toBe(long.slice(0, 10_000));
  expect(await until('results/head/a.jsonl', 1 << 20)).toMatch(/^\{"day":"2026-11-20"\} +\n/);
  expect(text.startsWith(await until('results/head/a.jsonl', 1 << 20))).toBe(true);
}
