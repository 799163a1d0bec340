import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** A local file as the byte stream the core reads (the same shape as an S3 object body). */
export function readLocalFile(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: 256 * 1024 });
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
