import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleApiRequest } from '../../functions/query/api.ts';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { forgetSources } from '../../functions/core/flows/forget-sources.ts';
import type { Clock, ObjectStore } from '../../functions/core/ports.ts';
import { AREA, receiptKey, sourceIdOf } from '../../functions/core/store/layout.ts';
import { findUnreceipted } from '../../functions/reconcile/reconcile.ts';
import { encode } from '../../functions/core/store/records.ts';
import {
  indexReceipt,
  indexStoredReceipts,
  newReceipt,
  receiptPage,
  writeReceipt,
  type Receipt,
  type ReceiptStatus,
} from '../../functions/core/store/receipts.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { runCli } from '../helpers/io.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

const later = Date.parse('2026-11-21T00:00:00Z');
const get = (query: Record<string, string> = {}) => ({ method: 'GET', path: '/v1/sources', query });

/** A clock the test moves: every receipt write is named by the time it reads. */
function manualClock(start: number): Clock & { at: number } {
  return {
    at: start,
    now() {
      return new Date(this.at);
    },
    sleep: async () => {},
  };
}

function receipt(tenant: string, n: number, status: ReceiptStatus, at: Date): Receipt {
  const sourceId = `s${String(n).padStart(5, '0')}`;
  return { ...newReceipt({ tenant, key: `incoming/${tenant}/${n}.csv`, etag: `"${n}"` }, sourceId, at), status };
}

/** What the reads cost on S3: a request per listing page of 1,000 keys and per read, and the keys listed. */
function counting(store: ObjectStore) {
  const c = { requests: 0, reads: 0, listed: new Map<string, number>() };
  async function* paged(prefix: string, items: AsyncIterable<{ key: string } | string>) {
    c.requests++;
    let n = 0;
    for await (const item of items) {
      if (n++ > 0 && (n - 1) % 1000 === 0) c.requests++;
      const area = Object.values(AREA).find((a) => prefix.startsWith(a)) ?? prefix;
      c.listed.set(area, (c.listed.get(area) ?? 0) + 1);
      yield item;
    }
  }
  const wrapped: ObjectStore = {
    get: (key) => (c.requests++, c.reads++, store.get(key)),
    putIfAbsent: (key, body) => store.putIfAbsent(key, body),
    putIfMatch: (key, body, etag) => store.putIfMatch(key, body, etag),
    list: (prefix, options) => paged(prefix, store.list(prefix, options)) as AsyncIterable<never>,
    folders: (prefix) => paged(prefix, store.folders!(prefix)) as AsyncIterable<never>,
  };
  return { c, wrapped };
}

/** Every page of /v1/sources from the first, following its Link header: the rows, and the reads of each page. */
async function walk(store: ObjectStore, query: Record<string, string>): Promise<{ rows: Receipt[]; reads: number[] }> {
  const rows: Receipt[] = [];
  const reads: number[] = [];
  let q = query;
  for (let page = 0; page < 200; page++) {
    const { c, wrapped } = counting(store);
    const r = await handleApiRequest(get(q), wrapped, later);
    expect(r.statusCode).toBe(200);
    rows.push(...(JSON.parse(r.body) as Receipt[]));
    reads.push(c.reads);
    const link = r.headers.link;
    if (!link) return { rows, reads };
    q = Object.fromEntries(new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams);
  }
  throw new Error('the pages never ended');
}

describe('the receipt index: newest receipts without listing them all', () => {
  it('a page of a tenant with 12,000 receipts lists a page of the index and reads its 100 receipts, not 12,000 keys', async () => {
    const store = createMemoryStore();
    const clock = manualClock(Date.parse('2026-11-01T00:00:00Z'));
    for (let i = 0; i < 12_000; i++) {
      clock.at += 60_000;
      await writeReceipt(
        store,
        receiptKey('t', receipt('t', i, 'ingested', clock.now()).sourceId),
        receipt('t', i, 'ingested', clock.now()),
        {
          clock,
          budgetMs: 1000,
        },
      );
    }
    const { c, wrapped } = counting(store);
    const r = await handleApiRequest(get({ tenant: 't' }), wrapped, later);
    expect(r.statusCode).toBe(200);
    const rows = JSON.parse(r.body) as Receipt[];
    // The newest hundred, newest first.
    expect(rows.map((x) => x.sourceId)).toEqual(Array.from({ length: 100 }, (_, i) => `s${String(11_999 - i).padStart(5, '0')}`));
    // One listing page of the index and the page's receipts; the receipts themselves are not listed.
    expect(c.requests).toBeLessThanOrEqual(1 + 100);
    expect(c.listed.get(AREA.receipts) ?? 0).toBe(0);
    expect(c.listed.get(AREA.receiptIndex)).toBeLessThanOrEqual(150);

    // The same receipts stored by a mailflow from before the index: every one of them is listed.
    const old = createMemoryStore();
    for (const [key, o] of store.objects) if (key.startsWith(AREA.receipts)) old.objects.set(key, o);
    const before = counting(old);
    expect((await handleApiRequest(get({ tenant: 't' }), before.wrapped, later)).statusCode).toBe(200);
    expect(before.c.listed.get(AREA.receipts)).toBe(12_000);
  });

  it("pages walk every tenant's receipts once, newest write first, each as it is now: rewritten, forgotten, or a write that never happened", async () => {
    const store = createMemoryStore();
    const clock = manualClock(Date.parse('2026-11-10T00:00:00Z'));
    const cas = { clock, budgetMs: 1000 };
    const tenants = ['contoso', 'contoso-eu', 'fabrikam'];
    const now = new Map<string, Receipt>();
    const write = async (r: Receipt) =>
      now.set(`${r.tenant} ${r.sourceId}`, await writeReceipt(store, receiptKey(r.tenant, r.sourceId), r, cas));
    for (let i = 0; i < 60; i++) {
      // Every third step, all tenants write in the same millisecond: ties are ordered by tenant, then source.
      if (i % 3) clock.at += 1000;
      const tenant = tenants[i % 3]!;
      await write(receipt(tenant, i, i % 4 === 0 ? 'rejected' : 'ingested', clock.now()));
    }
    // Rejected uploads read again later (a receipt that is replaced): their first entry is stale now.
    for (const i of [0, 12, 24]) {
      clock.at += 1000;
      await write(receipt(tenants[i % 3]!, i, 'ingested', clock.now()));
    }
    // An entry whose receipt write never came (a crash between the two).
    clock.at += 1000;
    await indexReceipt(store, receipt('fabrikam', 999, 'ingested', clock.now()), clock.now());

    const expected = [...now.values()].sort(
      (a, b) =>
        Date.parse(b.writtenAt!) - Date.parse(a.writtenAt!) ||
        (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0) ||
        (a.sourceId < b.sourceId ? -1 : 1),
    );
    const all = await walk(store, { limit: '7' });
    expect(all.rows.map((r) => `${r.tenant} ${r.sourceId} ${r.status}`)).toEqual(
      expected.map((r) => `${r.tenant} ${r.sourceId} ${r.status}`),
    );
    // A page reads its own receipts and at most the stale and missing ones on its way.
    for (const n of all.reads) expect(n).toBeLessThanOrEqual(7 + 4);

    // Rejected only: entries of other statuses are passed over unread.
    const rejected = await walk(store, { limit: '5', status: 'rejected' });
    expect(rejected.rows.map((r) => r.sourceId).sort()).toEqual(
      expected
        .filter((r) => r.status === 'rejected')
        .map((r) => r.sourceId)
        .sort(),
    );
    // 15 rejected writes, 3 of them replaced since: each page reads the rejected entries it passes, no others.
    expect(rejected.reads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(15 + 5);

    // One tenant; and a page of the first three only.
    const one = await walk(store, { tenant: 'contoso-eu', limit: '6' });
    expect(one.rows.map((r) => r.sourceId)).toEqual(expected.filter((r) => r.tenant === 'contoso-eu').map((r) => r.sourceId));
    const top = await receiptPage(store, null, { limit: 3 });
    expect(top.receipts.map((r) => r.sourceId)).toEqual(expected.slice(0, 3).map((r) => r.sourceId));
    expect(top.next).not.toBeNull();
  });

  it('a forgotten source, ingested again, is listed once, as it is now', async () => {
    const store = createMemoryStore();
    const bytes = generated({ family: 'trace-detail', rows: 200, seed: 3 });
    const first = await ingestBytes(store, 'a.csv', bytes);
    const cas = { clock: { now: () => new Date(), sleep: async () => {} }, budgetMs: 1000 };
    await forgetSources(store, 'default', [first.sourceId], cas);
    let page = await receiptPage(store, ['default'], { limit: 10 });
    expect(page.receipts.map((r) => r.status)).toEqual(['forgotten']);
    await ingestBytes(store, 'a.csv', bytes);
    page = await receiptPage(store, ['default'], { limit: 10 });
    expect(page.receipts.map((r) => [r.sourceId, r.status, r.generation])).toEqual([[first.sourceId, 'ingested', 1]]);
  });

  it('receipts from before the index are listed as before, and `indexStoredReceipts` indexes them without changing a page', async () => {
    const store = createMemoryStore();
    const clock = manualClock(Date.parse('2026-11-10T00:00:00Z'));
    // "old": receipts only, as an older mailflow stored them; "new": written with their index entries.
    for (let i = 0; i < 30; i++) {
      const r = receipt('old', i, i % 5 ? 'ingested' : 'rejected', clock.now());
      store.objects.set(receiptKey('old', r.sourceId), { body: encode(r), etag: `"${i}"` });
      clock.at += 1000;
      await writeReceipt(store, receiptKey('new', r.sourceId), receipt('new', i, 'ingested', clock.now()), { clock, budgetMs: 1000 });
    }
    const before = await walk(store, { limit: '8' });
    expect(before.rows).toHaveLength(60);
    expect(new Set(before.rows.map((r) => `${r.tenant} ${r.sourceId}`)).size).toBe(60);

    expect(await indexStoredReceipts(store, 'old')).toEqual({ receipts: 30, indexed: 30 });
    expect(await indexStoredReceipts(store, 'old')).toEqual({ receipts: 30, indexed: 0 });
    expect(await indexStoredReceipts(store, 'new')).toEqual({ receipts: 30, indexed: 0 });
    const after = await walk(store, { limit: '8' });
    expect(after.rows.map((r) => `${r.tenant} ${r.sourceId}`)).toEqual(before.rows.map((r) => `${r.tenant} ${r.sourceId}`));
    const { c, wrapped } = counting(store);
    expect((await handleApiRequest(get({ tenant: 'old', status: 'rejected' }), wrapped, later)).statusCode).toBe(200);
    expect(c.listed.get(AREA.receipts) ?? 0).toBe(0);
    expect(c.reads).toBe(6);
  });

  it('mailflow sources pages through the uploads newest first, the same rows as /v1/sources, and says why one was rejected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-sources-'));
    try {
      const data = join(dir, 'data');
      const files = ['a.csv', 'b.csv', 'not-an-export.csv', 'c.csv'];
      for (const [i, name] of files.entries()) {
        const file = join(dir, name);
        writeFileSync(
          file,
          name === 'not-an-export.csv' ? 'colour,size\nred,2\n' : generated({ family: 'trace-detail', rows: 30, seed: i + 1 }),
        );
        await runCli(['ingest', '--data-dir', data, '--tenant', 'contoso', file]);
      }
      const first = await runCli(['sources', '--data-dir', data, '--limit', '3', '--format', 'json']);
      expect(first.code).toBe(0);
      const next = /^more: the same command with --next (\S+)\n$/.exec(first.stderr)?.[1];
      expect(next).toBeDefined();
      const second = await runCli(['sources', '--data-dir', data, '--limit', '3', '--format', 'json', '--next', next!]);
      expect([second.code, second.stderr]).toEqual([0, '']);
      const rows = [...JSON.parse(first.stdout), ...JSON.parse(second.stdout)] as Array<{ key: string; status: string }>;
      expect(rows.map((r) => r.key)).toEqual([...files].reverse().map((f) => `incoming/contoso/${f}`));
      // The API's rows, for the same data.
      const api = await handleApiRequest(get({ limit: '10' }), createFsStore({ root: data }), later);
      expect(JSON.parse(api.body)).toEqual(rows);
      const rejected = await runCli(['sources', '--data-dir', data, '--status', 'rejected']);
      const lines = rejected.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatch(/ contoso +rejected +\d+ +0 +.*not-an-export\.csv +[A-Z_]+: \S/);
      expect((await runCli(['sources', '--data-dir', data, '--tenant', 'fabrikam'])).stderr).toBe(
        'mailflow sources: no receipts for tenant "fabrikam"; tenants with receipts: contoso\n',
      );
      expect((await runCli(['sources', '--data-dir', data, '--status', 'lost'])).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("mailflow index-receipts indexes a data folder's receipts under the names their uploads gave them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-index-'));
    try {
      const data = join(dir, 'data');
      for (const seed of [1, 2]) {
        const file = join(dir, `trace-${seed}.csv`);
        writeFileSync(file, generated({ family: 'trace-detail', rows: 50, seed }));
        expect((await runCli(['ingest', '--data-dir', data, file])).code).toBe(0);
      }
      const index = join(data, AREA.receiptIndex, 'default');
      const names = readdirSync(index).sort();
      expect(names).toHaveLength(2);
      rmSync(join(data, AREA.receiptIndex), { recursive: true });
      const r = await runCli(['index-receipts', '--data-dir', data]);
      expect([r.code, r.stdout]).toEqual([0, '✓ default: 2 of 2 receipt(s) added to the index\n']);
      expect(readdirSync(index).sort()).toEqual(names);
      expect((await runCli(['index-receipts', '--data-dir', data])).stdout).toBe('✓ default: 0 of 2 receipt(s) added to the index\n');
      expect((await runCli(['index-receipts', '--data-dir', join(dir, 'empty')])).stderr).toMatch(
        /^mailflow index-receipts: no data folder at /,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the reconcile function reads the receipt index back to its oldest upload, not every receipt', () => {
  const bucket = 'uploads';
  const quarter = 15 * 60_000;

  /** An upload bucket whose listing gives each object the time it was uploaded. */
  function uploadBucket() {
    const store = createMemoryStore();
    const uploadedAt = new Map<string, number>();
    const put = (key: string, etag: string, at: number) => {
      store.objects.set(key, { body: new Uint8Array(1), etag });
      uploadedAt.set(key, at);
    };
    const listing: ObjectStore = {
      ...store,
      async *list(prefix, options) {
        for await (const o of store.list(prefix, options)) yield { ...o, lastModified: new Date(uploadedAt.get(o.key)!) };
      },
    };
    return { put, listing };
  }

  const indexEntries = (store: ReturnType<typeof createMemoryStore>, sourceId: string) =>
    [...store.objects.keys()].filter((k) => k.startsWith(AREA.receiptIndex) && k.includes(`-${sourceId}.`));

  it('50 days of receipts, 2 days of uploads: one page of the index, only the uploads it does not name read', async () => {
    const results = createMemoryStore();
    const clock = manualClock(Date.parse('2026-09-01T00:00:00Z'));
    const uploads = uploadBucket();
    const write = (key: string, etag: string) => {
      const sourceId = sourceIdOf(bucket, key, etag);
      return writeReceipt(results, receiptKey('t', sourceId), newReceipt({ tenant: 't', key, etag }, sourceId, clock.now()), {
        clock,
        budgetMs: 1000,
      });
    };
    // A file ingested 50 days ago, and uploaded again (the same bytes, the same key) today.
    const same = 'incoming/t/same-file.csv';
    await write(same, '"same"');
    // 50 days of an automatic collector, 96 uploads a day; the upload bucket keeps the last 2 days.
    const total = 50 * 96;
    const kept = 2 * 96;
    const unreceipted: string[] = [];
    const crashed: string[] = [];
    for (let i = 0; i < total; i++) {
      clock.at += quarter;
      const key = `incoming/t/${i}.csv`;
      if (i >= total - kept) uploads.put(key, `"${i}"`, clock.at - 60_000);
      if (i >= total - kept && i % 40 === 7) unreceipted.push(key);
      else if (i >= total - kept && i % 40 === 8) {
        // A first write that stopped between the receipt and its index entry.
        const r = await write(key, `"${i}"`);
        for (const k of indexEntries(results, r.sourceId)) results.objects.delete(k);
        crashed.push(r.sourceId);
      } else await write(key, `"${i}"`);
    }
    uploads.put(same, '"same"', clock.at - 60_000);
    const now = new Date(clock.at + 20 * 60_000);

    const { c, wrapped } = counting(results);
    const missing = await findUnreceipted(uploads.listing, wrapped, bucket, now, 15);
    expect(missing.map((m) => m.key).sort()).toEqual(unreceipted.sort());
    // The index back to 2 days and an hour (~200 entries, one page), no receipt listed; read one by
    // one: the receipts of the uploads it does not name.
    expect(c.listed.get(AREA.receiptIndex)).toBeLessThanOrEqual(kept + 8);
    expect(c.listed.get(AREA.receipts) ?? 0).toBe(0);
    expect(c.reads).toBe(unreceipted.length + crashed.length + 1);
    // The receipts whose entries never came have them now: the next run reads only the unreceipted
    // uploads and the file uploaded again.
    for (const id of crashed) expect(indexEntries(results, id)).toHaveLength(1);
    const again = counting(results);
    expect((await findUnreceipted(uploads.listing, again.wrapped, bucket, now, 15)).map((m) => m.key).sort()).toEqual(unreceipted);
    expect(again.c.reads).toBe(unreceipted.length + 1);
  });

  it('a later delivery of the same file writes the entry its first write did not', async () => {
    const store = createMemoryStore();
    const bytes = generated({ family: 'trace-detail', rows: 20, seed: 3 });
    const first = await ingestBytes(store, 'a.csv', bytes);
    const entries = indexEntries(store, first.sourceId);
    expect(entries).toHaveLength(1);
    store.objects.delete(entries[0]!);
    expect((await ingestBytes(store, 'a.csv', bytes)).status).toBe('duplicate');
    expect(indexEntries(store, first.sourceId)).toEqual(entries);
  });

  it('a first write that fails leaves no entry naming it; a tenant with no index has its receipts listed', async () => {
    const results = createMemoryStore();
    const clock = manualClock(Date.parse('2026-11-01T00:00:00Z'));
    const uploads = uploadBucket();
    const failing: ObjectStore = {
      ...results,
      putIfAbsent: (key, body) =>
        key.startsWith(AREA.receipts) ? Promise.reject(new Error('S3 is down')) : results.putIfAbsent(key, body),
    };
    const key = 'incoming/t/a.csv';
    uploads.put(key, '"a"', clock.at);
    const sourceId = sourceIdOf(bucket, key, '"a"');
    const r = newReceipt({ tenant: 't', key, etag: '"a"' }, sourceId, clock.now());
    await expect(writeReceipt(failing, receiptKey('t', sourceId), r, { clock, budgetMs: 1000 })).rejects.toThrow('S3 is down');
    expect(indexEntries(results, sourceId)).toEqual([]);
    // Receipts from before the index (tenant "old"): listed, all of them, none read.
    const receipted = 'incoming/old/b.csv';
    const oldId = sourceIdOf(bucket, receipted, '"b"');
    results.objects.set(receiptKey('old', oldId), {
      body: encode(newReceipt({ tenant: 'old', key: receipted, etag: '"b"' }, oldId, clock.now())),
      etag: '"1"',
    });
    uploads.put(receipted, '"b"', clock.at);
    uploads.put('incoming/old/c.csv', '"c"', clock.at);
    const { c, wrapped } = counting(results);
    const missing = await findUnreceipted(uploads.listing, wrapped, bucket, new Date(clock.at + 20 * 60_000), 15);
    expect(missing.map((m) => m.key).sort()).toEqual(['incoming/old/c.csv', key]);
    expect(c.listed.get(AREA.receipts)).toBe(1);
  });
});
