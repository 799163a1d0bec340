import type { Clock, ObjectStore } from '../ports.ts';
import { casUpdate } from './cas.ts';
import { failureKey, sourceIdOf, uploadTenant } from './layout.ts';
import { readJson, record } from './records.ts';

/** An upload, as the failure records name it. */
export interface UploadRef {
  bucket: string;
  key: string;
  etag: string;
}

/**
 * `state/failures/<tenant>/<sourceId>.json`: an upload that failed to ingest (not bad input, which
 * gets a `rejected` receipt): the last error, how many deliveries failed, and how many times the
 * reconcile function re-drove it. `mailflow failures list` shows it next to the dead-letter
 * message; reconcile stops re-driving after its limit.
 */
export interface FailureRecord {
  schema: 1;
  tenant: string;
  sourceId: string;
  bucket: string;
  key: string;
  etag: string;
  /** Deliveries (SQS receives, reconcile runs) that ended in an error. */
  failures: number;
  /** Of those, the ones the reconcile function started. */
  redrives: number;
  /** Who failed last: a queue delivery (the queue and its dead-letter queue own the retries) or reconcile. */
  lastBy: 'delivery' | 'redrive';
  lastError: { name: string; code: string | null; message: string; at: string };
}

export const FAILURE = record<FailureRecord>('failure record', {
  schema: 'number',
  tenant: 'string',
  key: 'string',
  failures: 'number',
  redrives: 'number',
  lastError: 'object',
});

export function failureKeyOf(object: UploadRef): string {
  return failureKey(uploadTenant(object.key), sourceIdOf(object.bucket, object.key, object.etag));
}

export function readFailure(store: ObjectStore, object: UploadRef): Promise<FailureRecord | null> {
  return readJson(store, failureKeyOf(object), FAILURE);
}

/** Adds one failed attempt to the upload's record. */
export async function recordFailure(
  store: ObjectStore,
  clock: Clock,
  object: UploadRef,
  err: unknown,
  by: 'delivery' | 'redrive',
): Promise<FailureRecord> {
  const e = err as { name?: string; code?: unknown; message?: string };
  const lastError = {
    name: e?.name ?? 'Error',
    code: typeof e?.code === 'string' ? e.code : null,
    message: String(e?.message ?? err).slice(0, 2000),
    at: clock.now().toISOString(),
  };
  // A short budget: this runs on the way out of a failed invocation, which must not hang.
  const r = await casUpdate(
    store,
    failureKeyOf(object),
    FAILURE,
    (current): FailureRecord => ({
      schema: 1,
      tenant: uploadTenant(object.key),
      sourceId: sourceIdOf(object.bucket, object.key, object.etag),
      bucket: object.bucket,
      key: object.key,
      etag: object.etag,
      failures: (current?.failures ?? 0) + 1,
      redrives: (current?.redrives ?? 0) + (by === 'redrive' ? 1 : 0),
      lastBy: by,
      lastError,
    }),
    { clock, budgetMs: 10_000 },
  );
  return r.value!;
}
