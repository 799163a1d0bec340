import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3-client.ts';
import { createS3Store } from '../../functions/adapters/s3-store.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import type { S3ObjectRef } from '../../functions/adapters/s3-event.ts';
import { normalizeEtag } from '../../functions/adapters/s3-event.ts';
import { OWNER } from './lambda/iam.ts';
import type { LocalStandIns } from './lambda/template.ts';

/** A client of the run's Ceph RGW (test/global-setup.ts) as the user that owns the test buckets. */
export function rgwClient() {
  return createS3Client({ endpoint: inject('s3Endpoint'), forcePathStyle: true, credentials: OWNER });
}

export async function freshBucket(
  prefix = 'mailflow',
  options: { versioned?: boolean } = {},
): Promise<{ bucket: string; store: ObjectStore; client: S3Client }> {
  const client = rgwClient();
  const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  // On AWS the stack's buckets enforce bucket-owner ownership: the owner reads what the functions
  // wrote. RGW 16 has no object ownership setting (the writer owns an object), so a bucket policy
  // gives the owner that right; it grants the function roles nothing.
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam:::user/${OWNER.accessKeyId}`] },
        Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        Resource: [`arn:aws:s3:::${bucket}/*`],
      },
    ],
  };
  await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
  if (options.versioned)
    await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  return { bucket, client, store: createS3Store(client, { bucket, unquotedIfMatch: true }) };
}

export interface TestBuckets {
  /** The upload bucket, versioned as the stack makes it. */
  uploads: { bucket: string; client: S3Client };
  /** The data bucket, unversioned as the stack makes it; `store` reads it as its owner, for assertions. */
  data: { bucket: string; client: S3Client; store: ObjectStore };
  /** The report bucket (dashboard snapshots, full digests). */
  reports: { bucket: string; client: S3Client; store: ObjectStore };
  /** The names the template's tokens resolve to. */
  local: LocalStandIns;
}

/** The stack's buckets, fresh, on RGW, configured as the template configures them. */
export async function freshBuckets(prefix = 'mf'): Promise<TestBuckets> {
  const uploads = await freshBucket(`${prefix}-up`, { versioned: true });
  const data = await freshBucket(`${prefix}-data`);
  const reports = await freshBucket(`${prefix}-rep`);
  return {
    uploads,
    data,
    reports,
    local: {
      buckets: { UploadBucket: uploads.bucket, DataBucket: data.bucket, ReportBucket: reports.bucket },
      topicArn: 'arn:aws:sns:us-east-1:000000000000:mailflow-alerts',
    },
  };
}

/** Uploads an object (as its owner) and returns what its S3 event will say about it. */
export async function upload(client: S3Client, bucket: string, key: string, body: Uint8Array): Promise<S3ObjectRef> {
  const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const head = await client.send(
    new HeadObjectCommand({ Bucket: bucket, Key: key, ...(put.VersionId ? { VersionId: put.VersionId } : {}) }),
  );
  return { bucket, key, size: head.ContentLength!, etag: normalizeEtag(head.ETag!), versionId: put.VersionId ?? null, sequencer: null };
}
