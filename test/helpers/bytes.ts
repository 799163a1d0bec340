import { gzipSync } from 'node:zlib';
import { readExport, type ExportSummary, type ReadExportOptions } from '../../functions/core/read/read-export.ts';
import { encodeChunks, renderExport, type OutputEncoding, type RenderOptions } from '../../functions/core/generate/render.ts';
import type { DeliveryEvent } from '../../functions/core/classify/types.ts';

/** Yields `bytes` in pieces of the given sizes (cycling), to exercise chunk boundaries. */
export async function* chunked(bytes: Uint8Array, sizes: number[] = [65536]): AsyncGenerator<Uint8Array> {
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

export async function readAll(
  bytes: Uint8Array,
  options: ReadExportOptions = {},
  sizes?: number[],
): Promise<{ summary: ExportSummary; events: DeliveryEvent[] }> {
  const events: DeliveryEvent[] = [];
  const summary = await readExport(chunked(bytes, sizes), options, (e) => events.push({ ...e }));
  return { summary, events };
}

export function generated(options: RenderOptions, encoding: OutputEncoding = 'utf-8', gzip = false): Uint8Array {
  const buf = Buffer.concat([...encodeChunks(renderExport(options), encoding)]);
  return gzip ? gzipSync(buf) : buf;
}

/** Runs a promise and returns its error (failing the test if it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; line?: number; byteOffset?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the promise to reject, but it resolved');
}
