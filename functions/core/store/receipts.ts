import { describedFields, type ExportSummary } from '../read/export-summary.ts';
import { mapLimit } from '../vocabulary/for-each-limit.ts';
import type { ObjectStore } from '../ports.ts';
import type { DateOptions } from '../formats/dates.ts';
import { casUpdate, createIfAbsent, type CasOptions } from './cas.ts';
import {
  countdown,
  isTenant,
  parseReceiptIndexKey,
  receiptIndexKey,
  receiptIndexPrefix,
  receiptKey,
  receiptPrefix,
  receiptSourceId,
} from './layout.ts';
import { encode, forEachKey, listFolders, listKeys, readJson, record } from './records.ts';
import { UsageError } from '../errors.ts';

/**
 * `partial`: the file failed part way (a cut gzip, a limit) after parts of it were merged; those
 * events stay counted (`counted`), and the receipt says so instead of `rejected` with 0.
 */
export type ReceiptStatus = 'ingested' | 'duplicate' | 'empty' | 'rejected' | 'partial' | 'forgotten';

/** `results/sources/<tenant>/<sourceId>.json`: what happened to one upload. */
export interface Receipt {
  schema: 1;
  sourceId: string;
  tenant: string;
  key: string;
  file: string | null;
  etag: string;
  status: ReceiptStatus;
  /** Why, for `rejected` (and `duplicate`): a sentence a person can act on. */
  reason: string | null;
  errorCode: string | null;
  family: ExportSummary['family'];
  encoding: ExportSummary['encoding'] | null;
  compression: ExportSummary['compression'] | null;
  delimiter: string | null;
  bytes: ExportSummary['bytes'] | null;
  rows: number;
  events: ExportSummary['events'] | null;
  codes: Record<string, number>;
  unknownCodes: string[];
  timeSpan: ExportSummary['timeSpan'];
  rejectedRows: ExportSummary['rejectedRows'];
  warnings: string[];
  truncationWarning: string | null;
  /** Events this upload added to the rollups, and events other uploads had counted already. */
  counted: number;
  alreadyCounted: number;
  /**
   * Rows repeated within the file (the same event twice), never counted; a repeat across two
   * parts of a file over 250,000 events is in `alreadyCounted`. Absent on older receipts.
   */
  repeatedInFile?: number;
  /**
   * Status rows taken out because events of the same messages supersede them: of this summary
   * export (detail exports have them), or, for an event export, of summaries ingested before it.
   */
  superseded?: number;
  /** Hourly rollups this upload touched, and how many compare-and-swap attempts each needed. */
  hours: number;
  casAttempts: Record<string, number>;
  ingestedAt: string;
  durationMs: number;
  /**
   * When this version of the receipt was written: the time its entry in the receipt index is named
   * by (an older entry of the same source is then an earlier write, passed over). Absent on
   * receipts from before the index.
   */
  writtenAt?: string;
  /**
   * Set once the source was forgotten (`mailflow forget`, `ingest --reprocess`): the generation of
   * its parts in the rollups (0 for the first reading, then 1, 2 …), and for `forgotten`, when.
   */
  generation?: number;
  forgottenAt?: string;
  /** The date options the file was read with (`--date-order`, `--tz`), when any: `reprocess` reads it with them again. */
  dates?: DateOptions;
}

export const RECEIPT = record<Receipt>('receipt', {
  schema: 'number',
  sourceId: 'string',
  tenant: 'string',
  key: 'string',
  status: 'string',
  ingestedAt: 'string',
  counted: 'number',
});

/** The newest receipts of the tenants by write time; only those are read. */
export async function recentReceipts(store: ObjectStore, tenants: readonly string[], limit: number): Promise<Receipt[]> {
  const { receipts } = await receiptPage(store, tenants, { limit });
  return receipts.sort((a, b) => (a.ingestedAt < b.ingestedAt ? 1 : a.ingestedAt > b.ingestedAt ? -1 : 0));
}

/** Every tenant with receipts: one listing of their folders. */
export async function tenantsWithReceipts(store: ObjectStore): Promise<string[]> {
  return (await listFolders(store, receiptPrefix())).map((f) => f.slice(receiptPrefix().length, -1));
}

/** One write of a receipt, as the index (or, for receipts from before it, the listing) names it. */
interface ReceiptWrite {
  at: number;
  tenant: string;
  sourceId: string;
  /** The status the write gave the receipt; null when only the receipt itself can say. */
  status: string | null;
  /** From the index (false: from a listing of receipts stored before it). */
  indexed: boolean;
}

/** Newest write first; ties by tenant, then source: the order of pages and of their cursors. */
function newestFirst(a: ReceiptWrite, b: ReceiptWrite): number {
  return b.at - a.at || compare(a.tenant, b.tenant) || compare(a.sourceId, b.sourceId);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of receipts, newest receipt write first: only the page is read (and, with `status`, the
 * receipts whose index entry has that status). The index names each write, so a page lists its
 * tenants' newest entries, not every receipt. `after` is the `next` of the page before, opaque to
 * callers. Without tenants named, every tenant with receipts (one listing of their folders).
 */
export async function receiptPage(
  store: ObjectStore,
  tenants: readonly string[] | null,
  options: { limit: number; after?: string; status?: ReceiptStatus },
): Promise<{ receipts: Receipt[]; next: string | null }> {
  const cursor = options.after === undefined ? null : parseCursor(options.after);
  const scope = tenants ?? (await tenantsWithReceipts(store));
  const streams = scope.map((t) => writesOf(store, t, cursor)[Symbol.asyncIterator]());
  try {
    // Each tenant's first page of entries at the same time as the others' (on S3, a round trip each).
    const heads = await mapLimit(streams, 16, (s) => s.next());
    /** The stream whose next write is the newest of all, or -1 when every stream has ended. */
    const newest = (): number => {
      let best = -1;
      for (let i = 0; i < heads.length; i++)
        if (!heads[i]!.done && (best < 0 || newestFirst(heads[i]!.value as ReceiptWrite, heads[best]!.value as ReceiptWrite) < 0)) best = i;
      return best;
    };
    const take = async (): Promise<ReceiptWrite | null> => {
      const i = newest();
      if (i < 0) return null;
      const w = heads[i]!.value as ReceiptWrite;
      heads[i] = await streams[i]!.next();
      return w;
    };
    const receipts: Receipt[] = [];
    let last: ReceiptWrite | null = null;
    let pending: ReceiptWrite[] = [];
    while (receipts.length < options.limit) {
      // A batch of writes whose receipts are read at once; with a status, entries of another one are
      // passed over unread, and receipts that may not have it (from before the index) are read ahead.
      const missing = options.limit - receipts.length;
      const want = Math.min(32, missing + (options.status ? 16 : 0));
      let named = pending.filter((w) => w.status !== null).length;
      while (pending.length < want && named < missing) {
        const w = await take();
        if (!w) break;
        if (options.status && w.status !== null && w.status !== options.status) last = w;
        else {
          pending.push(w);
          if (w.status !== null) named++;
        }
      }
      if (pending.length === 0) break;
      const read = await Promise.all(pending.map((w) => readJson(store, receiptKey(w.tenant, w.sourceId), RECEIPT)));
      let used = 0;
      for (const [j, w] of pending.entries()) {
        if (receipts.length === options.limit) break;
        used++;
        last = w;
        const r = read[j];
        if (r && current(r, w) && (!options.status || r.status === options.status)) receipts.push(r);
      }
      pending = pending.slice(used);
    }
    const more = pending.length > 0 || newest() >= 0;
    return { receipts, next: more && last ? Buffer.from(`${last.at}.${last.tenant}.${last.sourceId}`).toString('base64url') : null };
  } finally {
    await Promise.all(streams.map((s) => s.return?.(undefined)));
  }
}

/**
 * Whether the receipt is what this write made: an entry of an earlier write (the receipt was
 * rewritten since: forgotten, read again) or of a write that lost a race is passed over, the
 * receipt's own entry being elsewhere in the order. An entry whose rewrite never came (a crash
 * between the entry and the receipt) is passed over the same way.
 */
function current(r: Receipt, w: ReceiptWrite): boolean {
  return !w.indexed || r.writtenAt === undefined || Date.parse(r.writtenAt) === w.at;
}

/**
 * A tenant's receipt writes after `cursor`, newest first: its index entries (each source once, at
 * its newest write). A tenant whose index is empty stored its receipts before there was one (until
 * `mailflow index-receipts` indexes them): they are listed, all of them, and ordered by write time.
 */
async function* writesOf(store: ObjectStore, tenant: string, cursor: ReceiptWrite | null): AsyncGenerator<ReceiptWrite> {
  const prefix = receiptIndexPrefix(tenant);
  const seen = new Set<string>();
  let indexed = false;
  for await (const key of listKeys(store, prefix, cursor ? { startAfter: resumeAfter(prefix, tenant, cursor) } : undefined)) {
    const e = parseReceiptIndexKey(key, tenant);
    if (!e) continue;
    indexed = true;
    if (seen.has(e.sourceId)) continue;
    seen.add(e.sourceId);
    yield { ...e, tenant, indexed: true };
  }
  if (indexed) return;
  // Nothing after the cursor: the index ended there, or the tenant has none (one key tells).
  if (cursor) for await (const _ of listKeys(store, prefix)) return;
  const listed: ReceiptWrite[] = [];
  for await (const o of store.list(receiptPrefix(tenant))) {
    const sourceId = receiptSourceId(o.key, tenant);
    listed.push({ at: o.lastModified.getTime(), tenant, sourceId, status: null, indexed: false });
  }
  listed.sort(newestFirst);
  for (const w of listed) if (!cursor || newestFirst(w, cursor) > 0) yield w;
}

/** Where a tenant's index listing resumes after the cursor: its keys are in the order of newestFirst. */
function resumeAfter(prefix: string, tenant: string, cursor: ReceiptWrite): string {
  const at = `${prefix}${countdown(cursor.at)}`;
  // The cursor's tenant: after the cursor's source at that time. Another: all its writes at that time
  // come after the cursor (a tenant sorting later) or before it (`.` sorts after `-`).
  if (tenant === cursor.tenant) return `${at}-${cursor.sourceId}.~`;
  return tenant > cursor.tenant ? at : `${at}.`;
}

function parseCursor(raw: string): ReceiptWrite {
  const [at, tenant, sourceId, ...rest] = Buffer.from(raw, 'base64url').toString('utf8').split('.');
  if (rest.length > 0 || !Number.isSafeInteger(Number(at)) || !tenant || !isTenant(tenant) || !sourceId || !SOURCE_ID.test(sourceId))
    throw new UsageError('BAD_CURSOR', `next "${raw.slice(0, 80)}" is not a cursor this API returned; start again without it`);
  return { at: Number(at), tenant, sourceId, status: null, indexed: true };
}

const SOURCE_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Names a rewrite of the receipt in the tenant's index, before the receipt is rewritten (a crash
 * between leaves an entry readers pass over, and the receipt as it was, listed by its older entry),
 * and returns the receipt stamped with the entry's time. The receipt exists already: every entry
 * names a receipt that exists, which the reconcile function relies on.
 */
export async function indexReceipt(store: ObjectStore, receipt: Receipt, at: Date): Promise<Receipt> {
  const stamped = { ...receipt, writtenAt: at.toISOString() };
  await ensureIndexed(store, stamped);
  return stamped;
}

/**
 * Writes the entry of the receipt's write when there is none: after a first write, and for a
 * receipt whose first write stopped between the receipt and its entry (found by the reconcile
 * function, and by a later delivery of the same file). An empty object: a listing gives everything
 * a reader needs from it, in its name.
 */
export async function ensureIndexed(store: ObjectStore, r: Receipt): Promise<boolean> {
  if (r.writtenAt === undefined) return false; // from before the index: `mailflow index-receipts`
  return createIfAbsent(store, receiptIndexKey(r.tenant, Date.parse(r.writtenAt), r.sourceId, r.status), new Uint8Array());
}

/**
 * The tenant's sources with an index entry at or after `since`, reading its index newest first down
 * to that time (an entry names a receipt that exists: see writeReceipt), or null when its index is
 * empty (its receipts are from before the index). A receipt written earlier, or one whose entry
 * never came, is not among them: read it to be sure.
 */
export async function receiptedSince(store: ObjectStore, tenant: string, since: number): Promise<Set<string> | null> {
  const found = new Set<string>();
  let indexed = false;
  for await (const key of listKeys(store, receiptIndexPrefix(tenant))) {
    const e = parseReceiptIndexKey(key, tenant);
    if (!e) continue;
    indexed = true;
    if (e.at < since) break;
    found.add(e.sourceId);
  }
  return indexed ? found : null;
}

/** Every source of the tenant with a receipt: a listing of all its receipts (~1,000 a request). */
export async function receiptedSources(store: ObjectStore, tenant: string): Promise<Set<string>> {
  const found = new Set<string>();
  for await (const key of listKeys(store, receiptPrefix(tenant))) found.add(receiptSourceId(key, tenant));
  return found;
}

/**
 * Indexes the tenant's receipts that have no index entry: those stored before the index, at their
 * write time as the listing gives it, and any whose entry is gone, at their `writtenAt`. Safe to
 * run again: an entry is named by the receipt's write, so a second run finds it there.
 */
export async function indexStoredReceipts(store: ObjectStore, tenant: string): Promise<{ receipts: number; indexed: number }> {
  const written = new Map<string, number>();
  for await (const o of store.list(receiptPrefix(tenant))) written.set(o.key, o.lastModified.getTime());
  let indexed = 0;
  await forEachKey(
    written.keys(),
    async (key) => {
      const r = await readJson(store, key, RECEIPT);
      if (!r) return;
      const at = r.writtenAt === undefined ? written.get(key)! : Date.parse(r.writtenAt);
      if (await createIfAbsent(store, receiptIndexKey(tenant, at, r.sourceId, r.status), new Uint8Array())) indexed++;
    },
    16,
  );
  return { receipts: written.size, indexed };
}

/** Row counts at which Exchange exports stop: a file that ends exactly there was probably cut. */
export const EXPORT_CAPS = [1_000, 5_000, 20_000, 50_000, 100_000];

/**
 * Writes the receipt, last and create-if-absent (one JSON object on one line: SQL engines read the
 * receipts as JSON lines). When a concurrent delivery of the same upload wrote first, its receipt
 * is returned as a duplicate: its rollup writes and ours were the same.
 */
/** A receipt of a file that could not be read to its end. */
function unfinished(r: Receipt): boolean {
  return r.status === 'rejected' || r.status === 'partial';
}

/**
 * Whether a file with this receipt is read again when it comes again: one that could not be read to
 * its end (a newer mailflow, or other limits, may read it), unless it was given up on (GIVEN_UP).
 */
export function readAgain(r: Receipt): boolean {
  return r.status === 'forgotten' || (unfinished(r) && r.errorCode !== GIVEN_UP);
}

/** The error code of the receipt written when an upload failed every re-drive: it is not read again. */
export const GIVEN_UP = 'REPEATED_FAILURE';

export async function writeReceipt(store: ObjectStore, key: string, receipt: Receipt, cas: CasOptions): Promise<Receipt> {
  const now = cas.clock.now();
  const stamped = { ...receipt, writtenAt: now.toISOString() };
  // A first write: the receipt, then its entry, so that an entry never names a receipt that is not
  // there (a crash between leaves a receipt without an entry, which ensureIndexed writes later).
  if (await createIfAbsent(store, key, encode(stamped))) {
    await ensureIndexed(store, stamped);
    return stamped;
  }
  // A rewrite: its entry first (indexReceipt). Only the receipt of a file that is read again
  // (readAgain) is replaced; any other one won the race.
  await indexReceipt(store, receipt, now);
  const r = await casUpdate(store, key, RECEIPT, (current) => (current === null || readAgain(current) ? stamped : null), cas);
  return r.wrote || !r.value ? stamped : asDuplicate(r.value, key);
}

/** What a repeated upload is told: when and how it was processed before, and where the receipt is. */
export function asDuplicate(stored: Receipt, key: string): Receipt {
  const was = unfinished(stored) ? `${stored.status} (${stored.reason})` : stored.status;
  return { ...stored, status: 'duplicate', reason: `already processed at ${stored.ingestedAt} as ${was}; receipt ${key}` };
}

/** A receipt before anything is known of the file. */
export function newReceipt(ref: { tenant: string; key: string; etag: string; file?: string }, sourceId: string, at: Date): Receipt {
  return {
    schema: 1,
    sourceId,
    tenant: ref.tenant,
    key: ref.key,
    file: ref.file ?? null,
    etag: ref.etag,
    status: 'ingested',
    reason: null,
    errorCode: null,
    family: null,
    encoding: null,
    compression: null,
    delimiter: null,
    bytes: null,
    rows: 0,
    events: null,
    codes: {},
    unknownCodes: [],
    timeSpan: null,
    rejectedRows: { count: 0, samples: [] },
    warnings: [],
    truncationWarning: null,
    counted: 0,
    alreadyCounted: 0,
    hours: 0,
    casAttempts: {},
    ingestedAt: at.toISOString(),
    durationMs: 0,
  };
}

/** The receipt with what reading the file found, and a warning when the file looks cut short. */
export function withSummary(receipt: Receipt, s: ExportSummary): Receipt {
  let truncationWarning: string | null = null;
  if (s.endsInsideRecord) truncationWarning = 'the file ends inside a record: the export was cut short; export it again';
  else if (EXPORT_CAPS.includes(s.rows))
    truncationWarning = `${s.rows.toLocaleString('en-US')} rows is exactly an export cap: the export is probably truncated; export shorter time ranges`;
  return { ...receipt, ...describedFields(s), truncationWarning };
}
