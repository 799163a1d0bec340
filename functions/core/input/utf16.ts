import { InputError } from '../errors.ts';

/**
 * Transcodes UTF-16 (LE or BE) to UTF-8 as it streams, so the CSV reader only ever sees UTF-8 bytes.
 * Lone surrogates and a trailing odd byte are errors with the byte offset in the source file:
 * never replaced with U+FFFD.
 */
export async function* utf16ToUtf8(
  source: AsyncIterable<Uint8Array>,
  littleEndian: boolean,
  startOffset: number,
): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array = new Uint8Array(0);
  let offset = startOffset; // source offset of carry[0]
  for await (const raw of source) {
    const bytes = carry.length ? concat(carry, raw) : raw;
    const { out, consumed } = transcode(bytes, littleEndian, offset, false);
    carry = bytes.slice(consumed);
    offset += consumed;
    if (out.length) yield out;
  }
  if (carry.length) {
    const { out } = transcode(carry, littleEndian, offset, true);
    if (out.length) yield out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a, 0);
  r.set(b, a.length);
  return r;
}

function transcode(b: Uint8Array, le: boolean, base: number, final: boolean): { out: Uint8Array; consumed: number } {
  const out = Buffer.allocUnsafe(Math.ceil(b.length / 2) * 3 + 4);
  let o = 0;
  let i = 0;
  const n = b.length;
  while (i + 1 < n) {
    const cu = le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
    if (cu < 0x80) {
      out[o++] = cu;
      i += 2;
    } else if (cu < 0x800) {
      out[o++] = 0xc0 | (cu >> 6);
      out[o++] = 0x80 | (cu & 0x3f);
      i += 2;
    } else if (cu >= 0xd800 && cu <= 0xdbff) {
      if (i + 3 >= n) {
        if (!final) break; // the low surrogate is in the next chunk
        throw new InputError(
          'INVALID_UTF16',
          `a UTF-16 high surrogate at byte ${base + i} is not followed by a low surrogate (the file ends)`,
          { byteOffset: base + i },
        );
      }
      const lo = le ? b[i + 2]! | (b[i + 3]! << 8) : (b[i + 2]! << 8) | b[i + 3]!;
      if (lo < 0xdc00 || lo > 0xdfff) {
        throw new InputError('INVALID_UTF16', `a UTF-16 high surrogate at byte ${base + i} is not followed by a low surrogate`, {
          byteOffset: base + i,
        });
      }
      const cp = 0x10000 + ((cu - 0xd800) << 10) + (lo - 0xdc00);
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
      i += 4;
    } else if (cu >= 0xdc00 && cu <= 0xdfff) {
      throw new InputError('INVALID_UTF16', `a lone UTF-16 low surrogate at byte ${base + i}`, { byteOffset: base + i });
    } else {
      out[o++] = 0xe0 | (cu >> 12);
      out[o++] = 0x80 | ((cu >> 6) & 0x3f);
      out[o++] = 0x80 | (cu & 0x3f);
      i += 2;
    }
  }
  if (final && i < n) {
    throw new InputError('INVALID_UTF16', `the UTF-16 text has an odd number of bytes: a stray byte at ${base + i}`, {
      byteOffset: base + i,
    });
  }
  return { out: out.subarray(0, o), consumed: i };
}
