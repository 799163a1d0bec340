import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3-client.ts';
import { OWNER } from '../helpers/lambda/iam.ts';

/**
 * Two test runs on one machine (two checkouts, a benchmark next to the tests) each start their own
 * Ceph cluster: scripts/ceph-up.sh takes free ports for the monitor and RGW, so a second cluster
 * starts while this run's is up, and both serve S3.
 */
describe('a second Ceph cluster next to the run’s', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mailflow-ceph-2-')), 'ceph');
  afterAll(() => execFileSync('scripts/ceph-down.sh', [dir]));

  it('starts on other ports while the run’s cluster is up, and both answer S3', async () => {
    execFileSync('scripts/ceph-up.sh', [dir], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    const second = `http://127.0.0.1:${readFileSync(join(dir, 'rgw.port'), 'utf8').trim()}`;
    expect(second).not.toBe(inject('s3Endpoint'));
    expect(readFileSync(join(dir, 'ceph.conf'), 'utf8')).not.toMatch(/mon host = v2:127\.0\.0\.1:3300\b/);
    for (const endpoint of [inject('s3Endpoint'), second]) {
      const client = createS3Client({ endpoint, forcePathStyle: true, credentials: OWNER });
      const bucket = `side-${Math.random().toString(16).slice(2, 10)}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: endpoint }));
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
      expect(await got.Body!.transformToString()).toBe(endpoint);
    }
  });
});
