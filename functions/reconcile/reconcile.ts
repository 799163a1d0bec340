import type { S3Client } from '@aws-sdk/client-s3';
import { sourceIdOf } from '../core/aggregate/keys.ts';
import type { RuntimeConfig } from '../core/config.ts';
import type { IngestPorts, Receipt } from '../core/pipeline.ts';
import type { ObjectStore } from '../core/ports.ts';
import { ingestS3Object, tenantForKey } from '../ingest/ingest-s3-object.ts';
import { INCOMING_PREFIX, normaliseEtag, type S3ObjectRef } from '../ingest/s3-event.ts';

/**
 * Lambda's async queue can drop events (reliability.md A2.2) and S3 notifications can be lost:
 * uploads under `incoming/` older than a few minutes that still have no receipt are ingested here.
 */
export async function findUnreceipted(store: ObjectStore, bucket: string, now: Date, minAgeMinutes: number): Promise<S3ObjectRef[]> {
  const receipts = new Map<string, Set<string>>();
  const receiptsOf = async (tenant: string) => {
    let ids = receipts.get(tenant);
    if (!ids) {
      ids = new Set();
      for await (const o of store.list(`results/sources/${tenant}/`)) ids.add(o.key.slice(o.key.lastIndexOf('/') + 1).replace(/\.json$/, ''));
      receipts.set(tenant, ids);
    }
    return ids;
  };
  const cutoff = now.getTime() - minAgeMinutes * 60_000;
  const missing: S3ObjectRef[] = [];
  for await (const o of store.list(INCOMING_PREFIX)) {
    if (o.key.endsWith('/') || o.lastModified.getTime() > cutoff) continue; // folders; uploads whose event may still be on its way
    const etag = normaliseEtag(o.etag);
    if (!(await receiptsOf(tenantForKey(o.key))).has(sourceIdOf(bucket, o.key, etag))) {
      missing.push({ bucket, key: o.key, size: o.size, etag, versionId: null, sequencer: null });
    }
  }
  return missing;
}

export async function reconcile(client: S3Client, bucket: string, ports: IngestPorts, config: RuntimeConfig): Promise<Receipt[]> {
  const missing = await findUnreceipted(ports.store, bucket, ports.clock.now(), config.reconcileMinAgeMinutes);
  const receipts: Receipt[] = [];
  for (const object of missing) {
    ports.logger.warn('upload had no receipt; ingesting it now', { key: object.key });
    receipts.push(await ingestS3Object(client, object, ports, config));
  }
  return receipts;
}
