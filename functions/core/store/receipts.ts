import { describedFields, type ExportSummary } from '../read/export-summary.ts';
import { mapLimit } from '../vocabulary/for-each-limit.ts';
import type { ObjectStore } from '../ports.ts';
import type { DateOptions } from '../formats/dates.ts';
import { casUpdate, createIfAbsent, type CasOptions } from './cas.ts';
import { receiptPrefix } from './layout.ts';
import { encode, readJson, record } from './records.ts';
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

/**
 * One page of receipts, newest receipt write first: only the page is read (and, with `match`, the
 * receipts skipped on the way). `after` is the `next` of the page before, opaque to callers.
 */
export async function receiptPage(
  store: ObjectStore,
  tenants: readonly (string | undefined)[],
  options: { limit: number; after?: string; match?: (r: Receipt) => boolean },
): Promise<{ receipts: Receipt[]; next: string | null }> {
  // Each tenant's listing at the same time as the others' (on S3, a round trip each).
  const lists = await mapLimit(tenants, 16, async (tenant) => {
    const out: Array<{ key: string; at: number }> = [];
    for await (const o of store.list(receiptPrefix(tenant))) out.push({ key: o.key, at: o.lastModified.getTime() });
    return out;
  });
  const listed = lists.flat();
  const order = (a: { key: string; at: number }, b: { key: string; at: number }) =>
    b.at - a.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  listed.sort(order);
  const cursor = options.after === undefined ? null : parseCursor(options.after);
  let i = cursor ? listed.findIndex((l) => order(l, cursor) > 0) : 0;
  if (i < 0) i = listed.length;
  const receipts: Receipt[] = [];
  let last: { key: string; at: number } | null = null;
  while (receipts.length < options.limit && i < listed.length) {
    const batch = listed.slice(i, i + Math.min(32, options.limit - receipts.length + (options.match ? 16 : 0)));
    const read = await Promise.all(batch.map((l) => readJson(store, l.key, RECEIPT)));
    for (const [j, l] of batch.entries()) {
      if (receipts.length === options.limit) break;
      i++;
      last = l;
      const r = read[j];
      if (r && (!options.match || options.match(r))) receipts.push(r);
    }
  }
  return { receipts, next: i < listed.length && last ? Buffer.from(`${last.at}.${last.key}`).toString('base64url') : null };
}

function parseCursor(raw: string): { key: string; at: number } {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const dot = text.indexOf('.');
  const at = Number(text.slice(0, dot));
  const key = text.slice(dot + 1);
  if (dot < 1 || !Number.isInteger(at) || !key.startsWith(receiptPrefix()))
    throw new UsageError('BAD_CURSOR', `next "${raw.slice(0, 80)}" is not a cursor this API returned; start again without it`);
  return { key, at };
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
  if (await createIfAbsent(store, key, encode(receipt))) return receipt;
  // Only the receipt of a file that is read again (readAgain) is replaced; any other one won the race.
  const r = await casUpdate(store, key, RECEIPT, (current) => (current === null || readAgain(current) ? receipt : null), cas);
  return r.wrote || !r.value ? receipt : asDuplicate(r.value, key);
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
