/**
 * Hashes a file of `argv[2]` MiB (a hole: zeros read at memory speed, nothing on the disk) on the
 * hash worker, and reports the hash and this process's peak memory. Used by hash-file.test.ts.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFileInBackground } from '../../../functions/adapters/local-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-hash-'));
const file = join(dir, 'zeros.csv');
const size = Number(process.argv[2]) * 1024 * 1024;
writeFileSync(file, '');
truncateSync(file, size);
const baselineRssKiB = process.resourceUsage().maxRSS;
try {
  const etag = await hashFileInBackground(file, size);
  console.log(JSON.stringify({ result: { etag }, peakRssKiB: process.resourceUsage().maxRSS, baselineRssKiB }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
