import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashFileInBackground } from '../../functions/adapters/local-files.ts';
import { runChild } from '../helpers/child.ts';

describe('the local ETag: SHA-256 of the file on a worker thread', () => {
  // A read stream gave the worker a fresh 1 MiB chunk per read, and the dead chunks waited for its
  // collector: 40 MiB more for this file (measured). One refilled buffer: 8 MiB.
  it('hashes 512 MiB in under 24 MiB more memory, with the hash of the bytes', async () => {
    const { result, peakRssMiB, baselineRssMiB } = await runChild('hash-file', ['512']);
    const zeros = createHash('sha256');
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < 512; i++) zeros.update(block);
    expect(result.etag).toBe(`"${zeros.digest('hex')}"`);
    expect(peakRssMiB - baselineRssMiB).toBeLessThan(24);
  });

  it('names the file when it cannot be read', async () => {
    await expect(hashFileInBackground('/nonexistent/trace.csv', 9 << 20)).rejects.toThrow(/^\/nonexistent\/trace\.csv: ENOENT/);
  });
});
