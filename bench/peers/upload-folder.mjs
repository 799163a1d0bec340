/**
 * Copies a data folder's `results/` into a bucket under the same keys (the data folder and the
 * bucket share one layout), 32 objects at a time, creating the bucket.
 * Usage: node upload-folder.mjs <endpoint> <bucket> <data folder>
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [endpoint, bucket, dir] = process.argv.slice(2);
const s3 = new S3Client({ endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (p) => files.push(p))(join(d, e.name));
};
walk(join(dir, 'results'));
let next = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < files.length) {
      const f = files[next++];
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: relative(dir, f), Body: readFileSync(f) }));
    }
  }),
);
console.log(`uploaded ${files.length} objects`);
