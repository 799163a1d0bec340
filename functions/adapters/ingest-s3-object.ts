import { ReadStalledError } from './errors.ts';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { uploadTenant } from '../core/store/layout.ts';
import { InputError } from '../core/errors.ts';
import { ingestObject, rejectSource, type IngestConfig, type IngestPorts } from '../core/flows/ingest-object.ts';
import type { RuntimeConfig } from './runtime-config.ts';
import type { S3ObjectRef } from './s3-event.ts';
import type { Receipt } from '../core/store/receipts.ts';

/**
 * Ingests one uploaded object: the size gate before any download, then GetObject streamed into
 * ingestObject with a per-read idle timeout (the SDK's timeouts end at the response headers, and
 * a body that stalls mid-way would otherwise hang until the function times out).
 */
export async function ingestS3Object(
  client: S3Client,
  object: S3ObjectRef,
  ports: IngestPorts,
  config: RuntimeConfig,
  alerts?: IngestConfig['alerts'],
  /** Date options (`mailflow reprocess` reads an upload again with those of its first reading). */
  read?: IngestConfig['read'],
): Promise<Receipt> {
  const ref = { origin: object.bucket, key: object.key, tenant: uploadTenant(object.key), etag: object.etag, size: object.size };
  const ingestConfig: IngestConfig = {
    casBudgetMs: config.casBudgetMs,
    flushEvents: config.partEvents,
    mergeWhileReading: true,
    ...(alerts ? { alerts } : {}),
    ...(read ? { read } : {}),
  };
  if (object.size > config.maxObjectBytes) {
    const error = new InputError(
      'OBJECT_TOO_LARGE',
      `the upload is ${object.size} bytes; the limit is ${config.maxObjectBytes} (MAILFLOW_MAX_OBJECT_BYTES): split the export by time range`,
    );
    return rejectSource(ref, error, ports);
  }
  const body = await openBody(client, object, config.readIdleTimeoutMs);
  return ingestObject(ref, body, ports, ingestConfig);
}

async function openBody(client: S3Client, object: S3ObjectRef, idleMs: number): Promise<AsyncIterable<Uint8Array>> {
  const r = await client.send(
    new GetObjectCommand({ Bucket: object.bucket, Key: object.key, ...(object.versionId ? { VersionId: object.versionId } : {}) }),
  );
  return withIdleTimeout(r.Body as Readable, idleMs, object.key);
}

/** Fails a read that delivers nothing for `idleMs`, and destroys the body so its socket is freed. */
export async function* withIdleTimeout(body: Readable, idleMs: number, key: string): AsyncGenerator<Uint8Array> {
  const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ReadStalledError('READ_STALLED', `${key}: no bytes for ${idleMs} ms while downloading; will retry`)),
          idleMs,
        );
      });
      try {
        const r = await Promise.race([it.next(), stalled]);
        if (r.done) return;
        yield r.value;
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    body.destroy();
  }
}
