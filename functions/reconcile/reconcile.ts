import type { Context } from 'aws-lambda';
import { createS3Store } from '../adapters/s3-store.ts';
import type { FunctionRuntime } from '../adapters/lambda-runtime.ts';
import { PREFIX, receiptKey, sourceIdOf, uploadTenant } from '../core/store/layout.ts';
import { forEachKey, readJson } from '../core/store/records.ts';
import { mapLimit } from '../core/vocabulary/for-each-limit.ts';
import { ENV } from '../adapters/runtime-config.ts';
import { MailflowError, UsageError } from '../core/errors.ts';
import { rejectSource } from '../core/flows/ingest-object.ts';
import type { ObjectStore } from '../core/ports.ts';
import { readFailure } from '../core/store/failures.ts';
import { START_MARGIN_MS } from '../ingest/ingest-batch.ts';
import { ingestUpload } from '../ingest/ingest-upload.ts';
import { normalizeEtag, type S3ObjectRef } from '../adapters/s3-event.ts';
import { ensureIndexed, GIVEN_UP, RECEIPT, receiptedSince, receiptedSources, type Receipt } from '../core/store/receipts.ts';

/** Uploads re-driven at once: each is mostly waiting on S3. */
const PARALLEL = 4;

/** Given up on: re-driven this many times, failing every time. */
export class RepeatedFailureError extends MailflowError {}

/**
 * Uploads older than their receipt may look by this much: the receipt's time is the ingesting
 * machine's clock, the upload's is S3's. A receipt outside it is still found, by reading it.
 */
const CLOCK_SKEW_MS = 60 * 60_000;

/**
 * Lambda, SQS and S3 notifications can each drop an event (their delivery is best effort at the edges): uploads under
 * `incoming/` older than a few minutes that have no receipt are found here. Uploads whose queue
 * delivery failed are left to the queue and its dead-letter queue (`mailflow failures`).
 *
 * Each tenant's receipt index is read newest first, back to its oldest upload (uploads expire, the
 * receipts stay): a run costs what the retained uploads cost, not a listing of every receipt ever
 * written. An upload the index does not name is looked up by its receipt (an older receipt of the
 * same file uploaded again, a receipt whose entry never came: written now).
 */
export async function findUnreceipted(
  uploads: ObjectStore,
  results: ObjectStore,
  bucket: string,
  now: Date,
  minAgeMinutes: number,
): Promise<S3ObjectRef[]> {
  const cutoff = now.getTime() - minAgeMinutes * 60_000;
  const candidates: Array<{ ref: S3ObjectRef; tenant: string; sourceId: string }> = [];
  const oldest = new Map<string, number>();
  for await (const o of uploads.list(PREFIX.incoming)) {
    if (o.key.endsWith('/') || o.lastModified.getTime() > cutoff) continue; // folders; uploads whose event may still be on its way
    const etag = normalizeEtag(o.etag);
    const tenant = uploadTenant(o.key);
    candidates.push({
      ref: { bucket, key: o.key, size: o.size, etag, versionId: null, sequencer: null },
      tenant,
      sourceId: sourceIdOf(bucket, o.key, etag),
    });
    oldest.set(tenant, Math.min(oldest.get(tenant) ?? Infinity, o.lastModified.getTime()));
  }
  const receipted = new Map<string, { sources: Set<string>; complete: boolean }>();
  await forEachKey(
    oldest.keys(),
    async (tenant) => {
      const indexed = await receiptedSince(results, tenant, oldest.get(tenant)! - CLOCK_SKEW_MS);
      // A tenant whose receipts are from before the index: all of them, listed.
      receipted.set(
        tenant,
        indexed ? { sources: indexed, complete: false } : { sources: await receiptedSources(results, tenant), complete: true },
      );
    },
    TENANTS_AT_ONCE,
  );
  const unnamed = candidates.filter((c) => !receipted.get(c.tenant)!.sources.has(c.sourceId));
  const found = await mapLimit(unnamed, 16, async (c) => {
    const receipt = receipted.get(c.tenant)!.complete ? null : await readJson(results, receiptKey(c.tenant, c.sourceId), RECEIPT);
    if (receipt) await ensureIndexed(results, receipt);
    return receipt !== null;
  });
  return unnamed.filter((_, i) => !found[i]).map((c) => c.ref);
}

/** Tenants whose receipt index is read at once: each is a round trip or a few. */
const TENANTS_AT_ONCE = 8;

export interface ReconcileResult {
  /** Receipts of the uploads ingested now (or given up on: `rejected`, REPEATED_FAILURE). */
  receipts: Receipt[];
  /** Re-drives that failed again (retried by the next run, up to the limit). */
  failed: number;
  /** Left for the next run: the function had no time left to start them. */
  deferred: number;
  /** In the queue's hands (a delivery failed): not re-driven here. */
  queued: number;
}

/**
 * One run of the reconcile function: ingests each upload without a receipt the way the ingest
 * function does (rules and alerts included), a few at a time, starting none when too little time
 * is left. An upload that has failed `maxRedrives` re-drives gets a `rejected` receipt
 * (REPEATED_FAILURE, with the last error), so it stops costing a run every 15 minutes.
 */
export async function reconcileUploads(rt: FunctionRuntime, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ReconcileResult> {
  const uploadBucket = rt.uploadBucket;
  if (!uploadBucket) throw new UsageError('BAD_CONFIG', `${ENV.UPLOAD_BUCKET} is not set: the stack sets it to the upload bucket`);
  const uploads = createS3Store(rt.s3, { bucket: uploadBucket });
  const missing = await findUnreceipted(uploads, rt.store, uploadBucket, rt.clock.now(), rt.config.reconcileMinAgeMinutes);
  const result: ReconcileResult = { receipts: [], failed: 0, deferred: 0, queued: 0 };
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      const object = missing[next++]!;
      if (context && context.getRemainingTimeInMillis() < START_MARGIN_MS) {
        result.deferred++;
        continue;
      }
      const failure = await readFailure(rt.store, object);
      if (failure?.lastBy === 'delivery') {
        result.queued++;
        continue;
      }
      if (failure && failure.redrives >= rt.config.maxRedrives) {
        const error = new RepeatedFailureError(
          GIVEN_UP,
          `re-driven ${failure.redrives} times, failing each time; the last error (${failure.lastError.at}): ${failure.lastError.name}${failure.lastError.code ? ` ${failure.lastError.code}` : ''}: ${failure.lastError.message}`,
        );
        result.receipts.push(
          await rejectSource(
            { origin: object.bucket, key: object.key, tenant: uploadTenant(object.key), etag: object.etag, size: object.size },
            error,
            rt,
          ),
        );
        continue;
      }
      rt.logger.warn('upload had no receipt; ingesting it now', { key: object.key, redrives: failure?.redrives ?? 0 });
      try {
        result.receipts.push(await ingestUpload(rt, object, 'redrive'));
      } catch (err) {
        result.failed++;
        rt.logger.error('re-drive failed; the next run tries again', { key: object.key, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  rt.logger.info('reconcile finished', {
    missing: missing.length,
    ingested: result.receipts.length,
    failed: result.failed,
    deferred: result.deferred,
    queued: result.queued,
  });
  return result;
}
