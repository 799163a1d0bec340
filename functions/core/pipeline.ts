import { casUpdate, casUpdateBytes } from './aggregate/cas.ts';
import { receiptKey, rollupKey, sourceIdOf, summaryKey } from './aggregate/keys.ts';
import { sqlLinesKey, sqlLinesVersion, toSqlLines } from './aggregate/sql-layout.ts';
import { FileAggregator, mergeBatch, toSummary, type HourlyRollup, type HourlySummary } from './aggregate/rollup.ts';
import { CsvFormatError, InputError, MailflowError, PreconditionFailedError, UnrecognizedFormatError } from './errors.ts';
import type { Clock, Logger, Notifier, ObjectStore } from './ports.ts';
import { resolveTenant, type RulesConfig } from './rules/config.ts';
import { evaluateTenant } from './rules/evaluate.ts';
import { DeferralTracker, mergeDeferrals, type DeferralState } from './rules/deferrals.ts';
import { readExport, type ExportSummary, type ReadExportOptions } from './read-export.ts';

/** Where the bytes come from: an S3 object, or a local file under the same key layout. */
export interface SourceRef {
  /** The bucket name, or `local:<data folder>`: part of the source id. */
  origin: string;
  /** `incoming/<tenant>/<name>`. */
  key: string;
  tenant: string;
  /**
   * S3's ETag; locally a hash of the file's bytes. The same bytes under the same key are one
   * source. A promise lets the hash be computed while the file is read (the CLI hashes on a
   * worker thread); a known duplicate then stops the read early.
   */
  etag: string | Promise<string>;
  size?: number;
  /** The local path, for people (not part of the identity). */
  file?: string;
}

export interface IngestPorts {
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
}

export interface IngestConfig {
  read?: ReadExportOptions;
  /** Time allowed for compare-and-swap retries on one object before giving up (transient). */
  casBudgetMs?: number;
  /** Hourly rollups merged at the same time (default 8). */
  hourConcurrency?: number;
  /**
   * Counted events held in memory before they are merged into the rollups mid-file (default
   * 250,000, about 10 MB), so memory stays flat however large the file.
   */
  flushEvents?: number;
  /** When set, alert rules are evaluated after the rollups and before the receipt. */
  alerts?: { rules: RulesConfig; notifier: Notifier };
}

export type ReceiptStatus = 'ingested' | 'duplicate' | 'empty' | 'rejected';

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
  /** Hourly rollups this upload touched, and how many compare-and-swap attempts each needed. */
  hours: number;
  casAttempts: Record<string, number>;
  ingestedAt: string;
  durationMs: number;
}

/** Row counts at which Exchange exports stop: a file that ends exactly there was probably cut. */
export const EXPORT_CAPS = [1_000, 5_000, 20_000, 50_000, 100_000];

const INPUT_ERRORS = [InputError, CsvFormatError, UnrecognizedFormatError];

/**
 * Ingests one export: the one function the CLI and the Lambda both call.
 * Order: rollups (compare-and-swap) → receipt (create-if-absent), so a crash before the receipt
 * only means the next attempt redoes work that the rollups' source and fingerprint sets make
 * harmless, and a later duplicate finds the receipt and stops. Bad input is not an exception:
 * it gets a `rejected` receipt. Anything else (store failures) throws, so the caller retries.
 */
export async function ingestObject(ref: SourceRef, source: AsyncIterable<Uint8Array>, ports: IngestPorts, config: IngestConfig = {}): Promise<Receipt> {
  const { store, clock, logger } = ports;
  const started = clock.now().getTime();
  // The receipt check runs as soon as the ETag is known: before reading when it is given, during
  // the read when it is still being hashed (a duplicate then stops the read).
  const stop = new AbortController();
  const identity = Promise.resolve(ref.etag).then(async (etag) => {
    const sourceId = sourceIdOf(ref.origin, ref.key, etag);
    const rKey = receiptKey(ref.tenant, sourceId);
    const existing = await readJson<Receipt>(store, rKey);
    if (existing) stop.abort();
    return { etag, sourceId, rKey, existing };
  });
  identity.catch(() => stop.abort());
  if (typeof ref.etag === 'string') {
    const known = await identity;
    if (known.existing) return asDuplicate(known.existing, known.rKey);
  }

  const budgetMs = config.casBudgetMs ?? 60_000;
  const flushEvents = config.flushEvents ?? 250_000;
  const attempts: Record<string, number> = {};
  const deferrals = config.alerts ? new DeferralTracker() : undefined;
  let aggregator = new FileAggregator(deferrals);
  let counted = 0;
  let seen = 0;
  const hours = new Set<number>();
  let part = 0;

  // Merges what has been gathered so far. Each part of a large file is its own entry in the
  // rollups' source sets (`<sourceId>#<part>`), so a retry skips exactly the parts already merged.
  const flush = async () => {
    const { sourceId, existing } = await identity;
    if (existing) return;
    const marker = part === 0 ? sourceId : `${sourceId}#${part}`;
    const batches = [...aggregator.hours.values()].sort((a, b) => a.hour - b.hour);
    seen += aggregator.counted;
    aggregator = new FileAggregator(deferrals);
    part++;
    // Hours are independent objects: merge several at once (each store call waits on I/O).
    await forEachLimit(batches, config.hourConcurrency ?? 8, async (batch) => {
      hours.add(batch.hour);
      let added = 0;
      const r = await casUpdate<HourlyRollup>(store, rollupKey(ref.tenant, batch.hour), (current) => {
        const m = mergeBatch(current, batch, ref.tenant, marker);
        added = m.added;
        return m.changed ? m.rollup : null;
      }, { clock, budgetMs });
      attempts[r.attempts] = (attempts[r.attempts] ?? 0) + 1;
      if (r.wrote) counted += added;
      if (r.value) await syncSummary(store, r.value, { clock, budgetMs });
    });
  };

  let summary: ExportSummary | null = null;
  let failure: MailflowError | null = null;
  try {
    summary = await readExport(
      source,
      {
        ...config.read,
        signal: stop.signal,
        afterChunk: () => (aggregator.counted >= flushEvents ? flush() : undefined),
        ...(ref.file || ref.key ? { nameHint: ref.file ?? ref.key } : {}),
      },
      (e) => aggregator.add(e),
    );
  } catch (err) {
    if (!stop.signal.aborted && !INPUT_ERRORS.some((E) => err instanceof E)) throw err;
    if (!stop.signal.aborted) failure = err as MailflowError;
  }
  const { etag, sourceId, rKey, existing } = await identity;
  if (existing) return asDuplicate(existing, rKey);
  const base = newReceipt({ ...ref, etag }, sourceId, clock);
  if (failure || !summary) {
    const e = failure!;
    // Parts of a large file merged before the error stay: their events are real, and a corrected
    // upload of the same events will find their fingerprints.
    logger.warn('export rejected', { key: ref.key, code: e.code, line: e.line, byteOffset: e.byteOffset });
    return writeReceipt(store, rKey, { ...base, status: 'rejected', reason: e.message, errorCode: e.code, counted, durationMs: clock.now().getTime() - started });
  }
  Object.assign(base, fromSummary(summary));
  if (summary.empty) {
    return writeReceipt(store, rKey, { ...base, status: 'empty', reason: 'the file is empty: no header and no rows', durationMs: clock.now().getTime() - started });
  }
  await flush();

  if (config.alerts && hours.size > 0) {
    // Level-triggered, as of the tenant's latest data (an older upload does not move time back).
    const { rules, settings } = resolveTenant(config.alerts.rules, ref.tenant);
    const reached = Math.max(...hours) + 3_600_000;
    const state = await casUpdate<DeferralState>(store, `state/deferrals/${ref.tenant}.json`, (current) => mergeDeferrals(current, deferrals!, ref.tenant, reached), { clock, budgetMs });
    const asOf = state.value?.asOf ?? reached;
    await evaluateTenant(ref.tenant, rules, settings, asOf, { store, clock, logger, notifier: config.alerts.notifier });
  }

  const receipt: Receipt = {
    ...base,
    status: 'ingested',
    counted,
    alreadyCounted: seen - counted,
    hours: hours.size,
    casAttempts: attempts,
    durationMs: clock.now().getTime() - started,
  };
  logger.info('export ingested', { key: ref.key, family: receipt.family, rows: receipt.rows, counted, hours: receipt.hours });
  return writeReceipt(store, rKey, receipt);
}

/**
 * A `rejected` receipt for a source that is given up on without reading it (too large to read, or
 * failing every time): the same receipt, so a later delivery finds it and stops.
 */
export async function rejectSource(ref: SourceRef & { etag: string }, error: MailflowError, ports: IngestPorts): Promise<Receipt> {
  const sourceId = sourceIdOf(ref.origin, ref.key, ref.etag);
  const rKey = receiptKey(ref.tenant, sourceId);
  ports.logger.warn('export rejected', { key: ref.key, code: error.code });
  return writeReceipt(ports.store, rKey, { ...newReceipt(ref, sourceId, ports.clock), status: 'rejected', reason: error.message, errorCode: error.code });
}

/**
 * Brings an hour's summary, and its JSON-lines companion for SQL, up to its rollup's version.
 * Both only move forward: a writer holding an older rollup version never overwrites newer
 * ones. Every ingestion of the hour (a retry too) calls this, so a crash between the two
 * writes is mended by the next attempt.
 */
export async function syncSummary(store: ObjectStore, rollup: HourlyRollup, cas: { clock: Clock; budgetMs: number }): Promise<void> {
  const hour = Date.parse(rollup.hour);
  const summary = toSummary(rollup);
  await casUpdate<HourlySummary>(store, summaryKey(rollup.tenant, hour), (current) => (current && current.rollupVersion >= rollup.version ? null : summary), cas);
  await casUpdateBytes(store, sqlLinesKey(rollup.tenant, rollup.hour), (current) => {
    // An empty companion is an hour with nothing to count (version unknown): replaced once there is.
    const text = current ? Buffer.from(current.body).toString('utf8') : null;
    if (text !== null && (text === '' ? rollup.groups.length === 0 : sqlLinesVersion(text) >= rollup.version)) return null;
    return Buffer.from(toSqlLines(summary));
  }, cas);
}

async function writeReceipt(store: ObjectStore, key: string, receipt: Receipt): Promise<Receipt> {
  try {
    // One line: SQL engines read one JSON object per line (the Athena table over results/sources/).
    await store.putIfAbsent(key, Buffer.from(JSON.stringify(receipt)));
    return receipt;
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    // A concurrent delivery of the same upload finished first; its rollup writes and ours were the same.
    const winner = await readJson<Receipt>(store, key);
    return winner ? asDuplicate(winner, key) : receipt;
  }
}

function asDuplicate(stored: Receipt, key: string): Receipt {
  const was = stored.status === 'rejected' ? `rejected (${stored.reason})` : stored.status;
  return { ...stored, status: 'duplicate', reason: `already processed at ${stored.ingestedAt} as ${was}; receipt ${key}` };
}

/** Runs `fn` over the items with at most `limit` in flight; the first error stops new work and is thrown. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  const o = await store.get(key);
  return o ? (JSON.parse(Buffer.from(o.body).toString('utf8')) as T) : null;
}

function newReceipt(ref: SourceRef & { etag: string }, sourceId: string, clock: Clock): Receipt {
  return {
    schema: 1, sourceId, tenant: ref.tenant, key: ref.key, file: ref.file ?? null, etag: ref.etag,
    status: 'ingested', reason: null, errorCode: null,
    family: null, encoding: null, compression: null, delimiter: null, bytes: null, rows: 0, events: null,
    codes: {}, unknownCodes: [], timeSpan: null, rejectedRows: { count: 0, samples: [] }, warnings: [], truncationWarning: null,
    counted: 0, alreadyCounted: 0, hours: 0, casAttempts: {}, ingestedAt: clock.now().toISOString(), durationMs: 0,
  };
}

function fromSummary(s: ExportSummary): Partial<Receipt> {
  let truncationWarning: string | null = null;
  if (s.endsInsideRecord) truncationWarning = 'the file ends inside a record: the export was cut short; export it again';
  else if (EXPORT_CAPS.includes(s.rows)) truncationWarning = `${s.rows.toLocaleString('en-US')} rows is exactly an export cap: the export is probably truncated; export shorter time ranges`;
  return {
    family: s.family, encoding: s.encoding, compression: s.compression, delimiter: s.delimiter, bytes: s.bytes, rows: s.rows,
    events: s.events, codes: s.codes, unknownCodes: s.unknownCodes, timeSpan: s.timeSpan, rejectedRows: s.rejectedRows,
    warnings: s.warnings, truncationWarning,
  };
}
