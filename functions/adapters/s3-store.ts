import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3ServiceException,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import { EraseError, MailflowError, PreconditionFailedError } from '../core/errors.ts';
import type { ListedObject, ObjectEraser, ObjectStore, StoredObject } from '../core/ports.ts';

export interface S3StoreOptions {
  bucket: string;
  /**
   * Send If-Match ETags without their quotes. AWS accepts either form; Ceph RGW 16 answers 412 to
   * the quoted form the SDK returns (seen in this project's RGW tests), so local servers need this.
   */
  unquotedIfMatch?: boolean;
}

/**
 * The object store on an S3 bucket. Conditional writes map one to one: putIfAbsent is
 * `If-None-Match: *`, putIfMatch is `If-Match: <etag>`; a lost condition (412, 409, or 404 on
 * If-Match for a missing key) becomes PreconditionFailedError. Everything else (throttling, 5xx)
 * propagates after the SDK's own retries, so the Lambda retries the whole (idempotent) ingestion.
 */
export function createS3Store(client: S3Client, options: S3StoreOptions): ObjectStore {
  const { bucket } = options;
  const conditionLost = (err: unknown, key: string): never => {
    if (err instanceof S3ServiceException) {
      const status = err.$metadata.httpStatusCode;
      if (status === 412 || status === 409 || err.name === 'PreconditionFailed' || err.name === 'ConditionalRequestConflict') {
        throw new PreconditionFailedError(key, `${err.name} (${status})`);
      }
      if (status === 404 || err.name === 'NoSuchKey')
        throw new PreconditionFailedError(key, 'does not exist (If-Match on a missing object)');
    }
    throw err;
  };
  /** A GET, of a byte range with `range`; null when the object does not exist. */
  const read = async (key: string, range?: string): Promise<StoredObject | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await sent(bucket, client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) })));
        return { body: await r.Body!.transformToByteArray(), etag: r.ETag! };
      } catch (err) {
        if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)) return null;
        // A range of an empty object: it exists, with nothing in it.
        if (range && err instanceof S3ServiceException && err.$metadata.httpStatusCode === 416) return { body: new Uint8Array(), etag: '' };
        // S3 answers 403 instead of 404 for a missing key unless the caller may list the bucket, and
        // our roles may list only under their prefixes. A listing of exactly this key (allowed by
        // the prefix condition) tells a missing object from a real permission problem, and from an
        // object a concurrent writer created between the two requests (then the read is repeated).
        if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 403) {
          const listed = await sent(bucket, client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 })));
          if (!listed.Contents?.some((o) => o.Key === key)) return null;
          if (attempt < 3) continue;
        }
        throw err;
      }
    }
  };
  return {
    get: (key) => read(key),

    async getHead(key, bytes) {
      return (await read(key, `bytes=0-${bytes - 1}`))?.body ?? null;
    },

    async putIfAbsent(key, body) {
      try {
        const r = await sent(
          bucket,
          client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*', ContentType: contentType(key) })),
        );
        return { etag: r.ETag ?? '' };
      } catch (err) {
        return conditionLost(err, key);
      }
    },

    async putIfMatch(key, body, etag) {
      const ifMatch = options.unquotedIfMatch ? etag.replace(/^"|"$/g, '') : etag;
      try {
        const r = await sent(
          bucket,
          client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfMatch: ifMatch, ContentType: contentType(key) })),
        );
        return { etag: r.ETag ?? '' };
      } catch (err) {
        return conditionLost(err, key);
      }
    },

    async *list(prefix, options) {
      let token: string | undefined;
      do {
        const r = await sent(
          bucket,
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : options?.startAfter ? { StartAfter: options.startAfter } : {}),
            }),
          ),
        );
        for (const o of r.Contents ?? []) {
          yield { key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) } satisfies ListedObject;
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    },

    async *folders(prefix) {
      let token: string | undefined;
      do {
        const r = await sent(
          bucket,
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })),
        );
        for (const p of r.CommonPrefixes ?? []) if (p.Prefix) yield p.Prefix;
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    },
  };
}

/**
 * The bucket itself does not exist (a mistyped --bucket, a stack deleted): nothing a retry or a
 * compare-and-swap round can mend. S3 says 404 for it as for a missing key, and a read that took
 * it for a missing object, then a conditional write that took it for a lost race, spun until the
 * time budget ran out (two minutes) and named the wrong problem.
 */
export class MissingBucketError extends MailflowError {
  constructor(bucket: string) {
    super('NO_SUCH_BUCKET', `there is no bucket "${bucket}" at this endpoint (check --bucket, --region and --endpoint)`);
  }
}

/** The request's answer, or its error (a missing bucket told as such). */
async function sent<T>(bucket: string, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof S3ServiceException && err.name === 'NoSuchBucket') throw new MissingBucketError(bucket);
    throw err;
  }
}

function contentType(key: string): string {
  return key.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}

/**
 * `purge` on a bucket: lists every version and delete marker under the prefix
 * (ListObjectVersions) and deletes them by version id, 1,000 per request (DeleteObjects), so a
 * versioned upload bucket keeps nothing of them. Needs s3:ListBucketVersions, s3:DeleteObject and
 * s3:DeleteObjectVersion: the admin's rights, never a function's.
 */
export function createS3Eraser(client: S3Client, bucket: string): ObjectEraser {
  async function* versions(prefix: string, match?: (key: string) => boolean): AsyncGenerator<ObjectIdentifier> {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const r = await sent(
        bucket,
        client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker })),
      );
      for (const v of [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])])
        if (v.Key && (!match || match(v.Key))) yield { Key: v.Key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) };
      KeyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
      VersionIdMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
    } while (KeyMarker);
  }
  const denied = (what: string, detail: string) =>
    new EraseError(
      'ERASE_FAILED',
      `s3://${bucket}/${what}: could not delete (${detail}); the admin needs s3:ListBucketVersions, s3:DeleteObject and s3:DeleteObjectVersion there (the stack's TenantPurgePolicy)`,
    );
  const removeOne = async (v: ObjectIdentifier) => {
    try {
      await sent(
        bucket,
        client.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) })),
      );
    } catch (err) {
      if (err instanceof S3ServiceException) throw denied(v.Key!, `${err.name} ${err.$metadata.httpStatusCode ?? ''}`.trim());
      throw err;
    }
  };
  const remove = async (batch: ObjectIdentifier[]) => {
    let r;
    try {
      r = await sent(bucket, client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } })));
    } catch (err) {
      // Ceph RGW 16 checks a multi-object delete against the bucket, not each key as AWS does, so a
      // prefix-scoped right is refused as a whole: delete the batch one version at a time, 8 at once.
      if (!(err instanceof S3ServiceException && err.$metadata.httpStatusCode === 403)) throw err;
      for (let i = 0; i < batch.length; i += 8) await Promise.all(batch.slice(i, i + 8).map(removeOne));
      return;
    }
    if (r.Errors?.length) {
      const e = r.Errors[0]!;
      throw denied(e.Key ?? '?', `${e.Code}: ${e.Message}; ${r.Errors.length} of ${batch.length} failed`);
    }
  };
  return {
    async count(prefix, match) {
      let n = 0;
      for await (const _ of versions(prefix, match)) n++;
      return n;
    },
    async erase(prefix, match) {
      // Listed whole first: deleting while paging would move the markers under the listing.
      const all: ObjectIdentifier[] = [];
      for await (const v of versions(prefix, match)) all.push(v);
      for (let i = 0; i < all.length; i += 1000) await remove(all.slice(i, i + 1000));
      return all.length;
    },
  };
}
