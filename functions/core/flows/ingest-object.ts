import { RejectedInputError, type MailflowError, PreconditionFailedError } from '../errors.ts';
import type { Clock, Logger, Notifier, ObjectStore } from '../ports.ts';
import { readExport, type ExportSummary, type ReadExportOptions } from '../read/read-export.ts';
import type { RulesConfig } from '../rules/config.ts';
import { DEFAULT_CAS_BUDGET_MS, type CasOptions } from '../store/cas.ts';
import { receiptKey, sourceIdOf } from '../store/layout.ts';
import { encode, readJson } from '../store/records.ts';
import { RECEIPT, type Receipt } from '../store/receipts.ts';
import { evaluateAfterIngest } from './evaluate-tenant.ts';
import { PartCommitter } from './part-committer.ts';
import { SourceIdentity } from './source-identity.ts';

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
  /** Time allowed for compare-and-swap retries on one object before giving up (transient); the runtime config's when deployed. */
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

/** Row counts at which Exchange exports stop: a file that ends exactly there was probably cut. */
export const EXPORT_CAPS = [1_000, 5_000, 20_000, 50_000, 100_000];

/**
 * Ingests one export: the one function the CLI and the Lambda both call. Its steps: learn who the
 * source is → read and aggregate (merging large files in parts) → commit the last part → evaluate
 * the tenant's rules → write the receipt. Rollups first, receipt last (create-if-absent): a crash
 * before the receipt only means the next attempt redoes work that the rollups' source and
 * fingerprint sets make harmless, and a later duplicate finds the receipt and stops. Bad input is
 * not an exception: it gets a `rejected` receipt. Anything else (store failures) throws, so the
 * caller retries.
 */
export async function ingestObject(
  ref: SourceRef,
  source: AsyncIterable<Uint8Array>,
  ports: IngestPorts,
  config: IngestConfig = {},
): Promise<Receipt> {
  const { store, clock, logger } = ports;
  const started = clock.now().getTime();
  const elapsed = () => clock.now().getTime() - started;
  const cas: CasOptions = { clock, budgetMs: config.casBudgetMs ?? DEFAULT_CAS_BUDGET_MS };

  const identity = new SourceIdentity(ref, store);
  if (typeof ref.etag === 'string') {
    const known = await identity.resolved;
    if (known.existing) return asDuplicate(known.existing, known.receiptKey);
  }

  const parts = new PartCommitter(store, ref.tenant, cas, {
    hourConcurrency: config.hourConcurrency ?? 8,
    trackDeferrals: Boolean(config.alerts),
  });
  const read = await readAndCommit(ref, source, config, identity, parts);

  const { etag, sourceId, receiptKey: key, existing } = await identity.resolved;
  if (existing) return asDuplicate(existing, key);
  // A read stops early only for a duplicate (handled above) or a failed identity (thrown above).
  if (read === null) throw new Error(`${ref.key}: the read stopped, yet the source is no duplicate`);
  const base = newReceipt({ ...ref, etag }, sourceId, clock);
  if (read instanceof RejectedInputError) {
    // Parts of a large file merged before the error stay: their events are real, and a corrected
    // upload of the same events will find their fingerprints.
    logger.warn('export rejected', { key: ref.key, code: read.code, line: read.line, byteOffset: read.byteOffset });
    return writeReceipt(store, key, {
      ...base,
      status: 'rejected',
      reason: read.message,
      errorCode: read.code,
      counted: parts.counted,
      durationMs: elapsed(),
    });
  }
  Object.assign(base, fromSummary(read));
  if (read.empty)
    return writeReceipt(store, key, {
      ...base,
      status: 'empty',
      reason: 'the file is empty: no header and no rows',
      durationMs: elapsed(),
    });
  await parts.commit(sourceId);

  if (config.alerts && parts.hours.size > 0) {
    await evaluateAfterIngest(
      ref.tenant,
      Math.max(...parts.hours),
      parts.deferrals!,
      config.alerts,
      { store, clock, logger, notifier: config.alerts.notifier },
      cas,
    );
  }

  const receipt: Receipt = {
    ...base,
    status: 'ingested',
    counted: parts.counted,
    alreadyCounted: parts.seen - parts.counted,
    hours: parts.hours.size,
    casAttempts: parts.attempts,
    durationMs: elapsed(),
  };
  logger.info('export ingested', {
    key: ref.key,
    family: receipt.family,
    rows: receipt.rows,
    counted: receipt.counted,
    hours: receipt.hours,
  });
  return writeReceipt(store, key, receipt);
}

/**
 * Reads the export into `parts`, committing a part whenever `flushEvents` counted events are held.
 * Returns the file's summary, or the error that rejects the file; a duplicate found mid-read
 * returns null (the caller finds the receipt). Anything else throws.
 */
async function readAndCommit(
  ref: SourceRef,
  source: AsyncIterable<Uint8Array>,
  config: IngestConfig,
  identity: SourceIdentity,
  parts: PartCommitter,
): Promise<ExportSummary | RejectedInputError | null> {
  const flushEvents = config.flushEvents ?? 250_000;
  const commitPart = async () => {
    const { sourceId, existing } = await identity.resolved;
    if (!existing) await parts.commit(sourceId);
  };
  try {
    return await readExport(
      source,
      {
        ...config.read,
        signal: identity.signal,
        afterChunk: () => (parts.pending >= flushEvents ? commitPart() : undefined),
        ...(ref.file || ref.key ? { nameHint: ref.file ?? ref.key } : {}),
      },
      (e) => parts.add(e),
    );
  } catch (err) {
    // Stopped because the identity settled as a duplicate (or failed: the caller's await rethrows).
    if (identity.stopped) return null;
    if (err instanceof RejectedInputError) return err;
    throw err;
  }
}

/**
 * A `rejected` receipt for a source that is given up on without reading it (too large to read, or
 * failing every time): the same receipt, so a later delivery finds it and stops.
 */
export async function rejectSource(ref: SourceRef & { etag: string }, error: MailflowError, ports: IngestPorts): Promise<Receipt> {
  const sourceId = sourceIdOf(ref.origin, ref.key, ref.etag);
  const rKey = receiptKey(ref.tenant, sourceId);
  ports.logger.warn('export rejected', { key: ref.key, code: error.code });
  return writeReceipt(ports.store, rKey, {
    ...newReceipt(ref, sourceId, ports.clock),
    status: 'rejected',
    reason: error.message,
    errorCode: error.code,
  });
}

async function writeReceipt(store: ObjectStore, key: string, receipt: Receipt): Promise<Receipt> {
  try {
    // One line: SQL engines read one JSON object per line (the Athena table over results/sources/).
    await store.putIfAbsent(key, encode(receipt));
    return receipt;
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    // A concurrent delivery of the same upload finished first; its rollup writes and ours were the same.
    const winner = await readJson(store, key, RECEIPT);
    return winner ? asDuplicate(winner, key) : receipt;
  }
}

function asDuplicate(stored: Receipt, key: string): Receipt {
  const was = stored.status === 'rejected' ? `rejected (${stored.reason})` : stored.status;
  return { ...stored, status: 'duplicate', reason: `already processed at ${stored.ingestedAt} as ${was}; receipt ${key}` };
}

function newReceipt(ref: SourceRef & { etag: string }, sourceId: string, clock: Clock): Receipt {
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
    ingestedAt: clock.now().toISOString(),
    durationMs: 0,
  };
}

function fromSummary(s: ExportSummary): Partial<Receipt> {
  let truncationWarning: string | null = null;
  if (s.endsInsideRecord) truncationWarning = 'the file ends inside a record: the export was cut short; export it again';
  else if (EXPORT_CAPS.includes(s.rows))
    truncationWarning = `${s.rows.toLocaleString('en-US')} rows is exactly an export cap: the export is probably truncated; export shorter time ranges`;
  return {
    family: s.family,
    encoding: s.encoding,
    compression: s.compression,
    delimiter: s.delimiter,
    bytes: s.bytes,
    rows: s.rows,
    events: s.events,
    codes: s.codes,
    unknownCodes: s.unknownCodes,
    timeSpan: s.timeSpan,
    rejectedRows: s.rejectedRows,
    warnings: s.warnings,
    truncationWarning,
  };
}
