import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3-client.ts';
import { createS3Store } from '../../functions/adapters/s3-store.ts';

/** A client for the run's Ceph RGW (started by test/global-setup.ts), and a fresh bucket. */
export function rgwClient() {
  return createS3Client({ endpoint: inject('s3Endpoint'), forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'testsecret' } });
}

export async function freshBucket(prefix = 'mailflow'): Promise<{ bucket: string; store: ReturnType<typeof createS3Store>; client: ReturnType<typeof rgwClient> }> {
  const client = rgwClient();
  const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { bucket, client, store: createS3Store(client, { bucket, unquotedIfMatch: true }) };
}
