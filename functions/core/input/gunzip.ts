import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { InputError } from '../errors.ts';
import type { InputLimits } from './limits.ts';

export interface ByteCounters {
  compressedBytes: number;
  decompressedBytes: number;
}

/**
 * Streams a gzip file (concatenated members too) and enforces the decompressed-size and
 * ratio caps while it runs: `maxOutputLength` only guards zlib's buffer APIs, and the
 * trailer's ISIZE is attacker-controlled, so we count bytes ourselves.
 */
export async function* gunzip(source: AsyncIterable<Uint8Array>, limits: InputLimits, counters: ByteCounters): AsyncGenerator<Uint8Array> {
  async function* counted() {
    for await (const chunk of source) {
      counters.compressedBytes += chunk.length;
      yield chunk;
    }
  }
  const input = Readable.from(counted(), { objectMode: false });
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  input.on('error', (err) => gz.destroy(err));
  input.pipe(gz);
  try {
    for await (const out of gz as AsyncIterable<Buffer>) {
      counters.decompressedBytes += out.length;
      checkCaps(counters, limits);
      yield out;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message)) {
      throw new InputError(
        'GZIP_TRUNCATED',
        `the gzip stream ends early after ${counters.compressedBytes} compressed bytes: the file is incomplete (upload cut short?)`,
        { byteOffset: counters.compressedBytes, cause: err },
      );
    }
    // The first member's magic bytes were checked before we got here, so a bad header means
    // a later "member" that is not gzip at all: bytes appended after the compressed stream.
    if (e.code === 'Z_DATA_ERROR' && /header check/i.test(e.message)) {
      throw new InputError(
        'GZIP_TRAILING_DATA',
        'data that is not gzip follows the compressed stream: the file was appended to or damaged',
        { cause: err },
      );
    }
    if (e.code?.startsWith('Z_')) {
      throw new InputError('GZIP_CORRUPT', `the gzip data is corrupt (${e.message}) near compressed byte ${counters.compressedBytes}`, {
        byteOffset: counters.compressedBytes,
        cause: err,
      });
    }
    throw err;
  } finally {
    input.destroy();
    gz.destroy();
  }
  // zlib silently drops bytes after the last member that are not another gzip header.
  if (gz.bytesWritten < counters.compressedBytes) {
    throw new InputError(
      'GZIP_TRAILING_DATA',
      `${counters.compressedBytes - gz.bytesWritten} bytes of non-gzip data follow the compressed stream at byte ${gz.bytesWritten}`,
      { byteOffset: gz.bytesWritten },
    );
  }
}

export function checkCaps(counters: ByteCounters, limits: InputLimits): void {
  if (counters.decompressedBytes > limits.maxDecompressedBytes) {
    throw new InputError(
      'DECOMPRESSED_TOO_LARGE',
      `the file expands to more than ${limits.maxDecompressedBytes} bytes (the configured maximum); split the export or raise the limit`,
      { byteOffset: limits.maxDecompressedBytes },
    );
  }
  if (
    counters.compressedBytes > 0 &&
    counters.decompressedBytes > limits.ratioGraceBytes &&
    counters.decompressedBytes / counters.compressedBytes > limits.maxCompressionRatio
  ) {
    const ratio = Math.round(counters.decompressedBytes / counters.compressedBytes);
    throw new InputError(
      'COMPRESSION_RATIO_TOO_HIGH',
      `the gzip data expands ${ratio}:1 (the limit is ${limits.maxCompressionRatio}:1 after the first ${limits.ratioGraceBytes} bytes): this looks like a decompression bomb, not an export`,
      { byteOffset: counters.decompressedBytes },
    );
  }
}
