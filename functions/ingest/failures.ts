import { casUpdate } from '../core/aggregate/cas.ts';
import { failureKey, sourceIdOf } from '../core/aggregate/keys.ts';
import type { Clock, ObjectStore } from '../core/ports.ts';
import { tenantForKey } from './ingest-s3-object.ts';
import type { S3ObjectRef } from './s3-event.ts';

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

export function failureKeyOf(object: Pick<S3ObjectRef, 'bucket' | 'key' | 'etag'>): string {
  return failureKey(tenantForKey(object.key), sourceIdOf(object.bucket, object.key, object.etag));
}

export async function readFailure(store: ObjectStore, object: Pick<S3ObjectRef, 'bucket' | 'key' | 'etag'>): Promise<FailureRecord | null> {
  const o = await store.get(failureKeyOf(object));
  return o ? (JSON.parse(Buffer.from(o.body).toString('utf8')) as FailureRecord) : null;
}

/** Adds one failed attempt to the upload's record. */
export async function recordFailure(store: ObjectStore, clock: Clock, object: S3ObjectRef, err: unknown, by: 'delivery' | 'redrive'): Promise<FailureRecord> {
  const e = err as { name?: string; code?: unknown; message?: string };
  const lastError = { name: e?.name ?? 'Error', code: typeof e?.code === 'string' ? e.code : null, message: String(e?.message ?? err).slice(0, 2000), at: clock.now().toISOString() };
  const r = await casUpdate<FailureRecord>(store, failureKeyOf(object), (current) => ({
    schema: 1,
    tenant: tenantForKey(object.key),
    sourceId: sourceIdOf(object.bucket, object.key, object.etag),
    bucket: object.bucket,
    key: object.key,
    etag: object.etag,
    failures: (current?.failures ?? 0) + 1,
    redrives: (current?.redrives ?? 0) + (by === 'redrive' ? 1 : 0),
    lastBy: by,
    lastError,
  }), { clock, budgetMs: 10_000 });
  return r.value!;
}
