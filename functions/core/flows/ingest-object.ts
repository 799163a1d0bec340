import { learnAliases } from '../store/aliases.ts';
import { RejectedInputError, type MailflowError } from '../errors.ts';
import type { Clock, Logger, Notifier, ObjectStore } from '../ports.ts';
import { readExport, type ExportSummary, type ReadExportOptions } from '../read/read-export.ts';
import type { RulesConfig } from '../rules/config.ts';
import { DEFAULT_CAS_BUDGET_MS, type CasOptions } from '../store/cas.ts';
import { receiptKey, sourceIdOf } from '../store/layout.ts';
import { asDuplicate, ensureIndexed, newReceipt, withSummary, writeReceipt, type Receipt } from '../store/receipts.ts';
import { evaluateAfterIngest } from './evaluate-tenant.ts';
import { PartCommitter } from './part-committer.ts';
import { kindOf } from '../aggregate/pair-days.ts';
import { SourceIdentity } from './source-identity.ts';
import type { DrillContext } from '../render/drill.ts';

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
  /** Days of rollups merged at the same time (default 8). */
  dayConcurrency?: number;
  /**
   * Counted events per part: a large file is merged into the rollups in parts of exactly this many
   * (default 250,000, about 10 MB), so memory stays flat however large the file, and a retry cuts
   * the same parts as the attempt it repeats.
   */
  flushEvents?: number;
  /**
   * Merge full parts while the read goes on, instead of pausing it (default false). For a store
   * with latency (S3: a dozen round trips a part), where it measured 9-12 % faster with 30 ms a
   * request; it holds up to one more part in memory (+10-30 MiB), and on a local disk gains nothing.
   */
  mergeWhileReading?: boolean;
  /** When set, alert rules are evaluated after the rollups and before the receipt. */
  alerts?: { rules: RulesConfig; notifier: Notifier; drill?: DrillContext };
}

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
  const cas: CasOptions = { clock, budgetMs: config.casBudgetMs ?? DEFAULT_CAS_BUDGET_MS };

  const identity = new SourceIdentity(ref, store);
  const known = typeof ref.etag === 'string' ? await identity.resolved : null;
  if (known?.existing) return duplicate(store, known.existing, known.receiptKey);

  const parts = new PartCommitter(store, ref.tenant, cas, {
    dayConcurrency: config.dayConcurrency ?? 8,
    trackDeferrals: Boolean(config.alerts),
    partEvents: config.flushEvents ?? 250_000,
  });
  // Rows dated after the ingestion (beyond a day's slack) are rejected rows, not counted.
  const read = await readAndCommit(ref, source, { ...config, read: { now: started, ...config.read } }, identity, parts);

  const id = await identity.resolved;
  if (id.existing) return duplicate(store, id.existing, id.receiptKey);
  // A read stops early only for a duplicate (handled above) or a failed identity (thrown above).
  if (read === null) throw new Error(`${ref.key}: the read stopped, yet the source is no duplicate`);
  const receipt = {
    ...newReceipt({ ...ref, etag: id.etag }, id.sourceId, clock.now()),
    ...(id.generation ? { generation: id.generation } : {}),
    // What the file was read with, so `reprocess` reads it the same way.
    ...(config.read?.dates && Object.keys(config.read.dates).length ? { dates: config.read.dates } : {}),
  };
  const finish = (r: Receipt) => writeReceipt(store, id.receiptKey, { ...r, durationMs: clock.now().getTime() - started }, cas);

  if (read instanceof RejectedInputError) {
    // Parts of a large file merged before the error stay: their events are real, and a corrected
    // upload of the same events will find their fingerprints.
    logger.warn('export rejected', { key: ref.key, code: read.code, line: read.line, byteOffset: read.byteOffset });
    // Counted events and `rejected` must never go together: with merged parts (by this attempt or an
    // earlier one, whose parts this one skipped) the receipt is `partial`.
    const status = parts.seen > 0 ? 'partial' : 'rejected';
    return finish({
      ...receipt,
      status,
      reason: read.message,
      errorCode: read.code,
      counted: parts.counted,
      alreadyCounted: parts.seen - parts.counted,
      repeatedInFile: parts.repeated,
      superseded: parts.superseded,
    });
  }
  if (read.empty) return finish({ ...withSummary(receipt, read), status: 'empty', reason: 'the file is empty: no header and no rows' });

  await parts.commitAll(id.sourceId, id.generation);
  // Before the alerts: their destinations are read through the table too.
  const aliases = await learnAliases(store, ref.tenant, parts.aliases, cas);
  if (config.alerts && parts.hours.size > 0) {
    const evaluation = { ...ports, notifier: config.alerts.notifier, ...(config.alerts.drill ? { drill: config.alerts.drill } : {}) };
    await evaluateAfterIngest(ref.tenant, latest(parts.hours), parts.deferrals!, config.alerts, evaluation, cas, aliases);
  }
  logger.info('export ingested', { key: ref.key, family: read.family, rows: read.rows, counted: parts.counted, hours: parts.hours.size });
  return finish({
    ...withSummary(receipt, read),
    status: 'ingested',
    counted: parts.counted,
    alreadyCounted: parts.seen - parts.counted,
    repeatedInFile: parts.repeated,
    superseded: parts.superseded,
    hours: parts.hours.size,
    casAttempts: parts.attempts,
  });
}

/**
 * Reads the export into `parts`, merging each full part (`flushEvents` counted events) between
 * chunks, or while the read goes on (`mergeWhileReading`). Returns the file's summary, or the error
 * that rejects the file; a duplicate found mid-read returns null (the caller finds the receipt).
 * Anything else throws.
 */
async function readAndCommit(
  ref: SourceRef,
  source: AsyncIterable<Uint8Array>,
  config: IngestConfig,
  identity: SourceIdentity,
  parts: PartCommitter,
): Promise<ExportSummary | RejectedInputError | null> {
  const mergeFull = async () => {
    const { sourceId, existing, generation } = await identity.resolved;
    if (!existing) await parts.commitFull(sourceId, generation);
  };
  const merging = new BackgroundMerge(mergeFull);
  try {
    return await readExport(
      source,
      {
        ...config.read,
        signal: identity.signal,
        afterChunk: () => (config.mergeWhileReading ? merging.offer(parts.fullParts) : parts.fullParts > 0 ? mergeFull() : undefined),
        onFamily: (family) => (parts.kind = kindOf(family)),
        hashedEvents: true,
        ...(ref.file || ref.key ? { nameHint: ref.file ?? ref.key } : {}),
      },
      (e, messageHash) => parts.add(e, messageHash),
    );
  } catch (err) {
    // Stopped because the identity settled as a duplicate (or failed: the caller's await rethrows).
    if (identity.stopped) return null;
    if (err instanceof RejectedInputError) return err;
    throw err;
  } finally {
    // Whatever the read ended with, the parts it cut are merged (or their failure thrown) first.
    await merging.settled();
  }
}

/**
 * Full parts merged while the file is still being read: the store's round trips (a dozen per
 * part on S3, each tens of milliseconds) overlap parsing the next part instead of stalling it.
 * One merge at a time, parts in order (the committer takes them oldest first); when another part
 * fills while one is being merged, the read waits, so no more than one full part waits in memory.
 * A failed merge is thrown at the next chunk, or when the read ends.
 */
class BackgroundMerge {
  private running: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  private readonly merge: () => Promise<void>;

  constructor(merge: () => Promise<void>) {
    this.merge = merge;
  }

  /** After a chunk, with the number of full parts waiting: starts a merge, or waits for the one running. */
  offer(fullParts: number): Promise<void> | undefined {
    this.throwFailure();
    if (fullParts === 0) return undefined;
    if (this.running) return this.running.then(() => this.throwFailure());
    this.running = this.merge().then(
      () => {
        this.running = null;
      },
      (error: unknown) => {
        this.running = null;
        this.failure = { error };
      },
    );
    return undefined;
  }

  /** Waits for the merge running, if any; throws what a merge failed with. */
  async settled(): Promise<void> {
    if (this.running) await this.running;
    this.throwFailure();
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure.error;
  }
}

/** A file processed before: the receipt found, whose index entry is written if its first write stopped short of it. */
async function duplicate(store: ObjectStore, existing: Receipt, key: string): Promise<Receipt> {
  await ensureIndexed(store, existing);
  return asDuplicate(existing, key);
}

/**
 * A `rejected` receipt for a source that is given up on without reading it (too large to read, or
 * failing every time): the same receipt, so a later delivery finds it and stops.
 */
export async function rejectSource(ref: SourceRef & { etag: string }, error: MailflowError, ports: IngestPorts): Promise<Receipt> {
  const sourceId = sourceIdOf(ref.origin, ref.key, ref.etag);
  const rKey = receiptKey(ref.tenant, sourceId);
  ports.logger.warn('export rejected', { key: ref.key, code: error.code });
  return writeReceipt(
    ports.store,
    rKey,
    { ...newReceipt(ref, sourceId, ports.clock.now()), status: 'rejected', reason: error.message, errorCode: error.code },
    { clock: ports.clock, budgetMs: DEFAULT_CAS_BUDGET_MS },
  );
}

/** The latest hour an upload reached; a loop, since a file spanning decades touches 260,000 hours (too many to spread). */
function latest(hours: Iterable<number>): number {
  let max = -Infinity;
  for (const h of hours) if (h > max) max = h;
  return max;
}
