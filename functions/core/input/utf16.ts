/** What was wrong in a UTF-16 text, filled in as it streams. Offsets are bytes of the source file. */
export interface Utf16Damage {
  loneSurrogates: number;
  firstLoneSurrogateAt: number | null;
  oddLastByteAt: number | null;
}

/**
 * An unpaired surrogate becomes this byte, which is never valid UTF-8: the CSV reader rejects the
 * row when a column it reads contains one, and a column nobody reads costs nothing. Never U+FFFD,
 * which would pass as text.
 */
export const BROKEN_UTF16 = 0xff;

/**
 * Transcodes UTF-16 (LE or BE) to UTF-8 as it streams, so the CSV reader only ever sees UTF-8 bytes.
 * A lone surrogate becomes BROKEN_UTF16 and a trailing odd byte is dropped; both are counted in
 * `damage` for the summary's warnings.
 */
export async function* utf16ToUtf8(
  source: AsyncIterable<Uint8Array>,
  littleEndian: boolean,
  startOffset: number,
  damage: Utf16Damage,
): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array = new Uint8Array(0);
  let offset = startOffset; // source offset of carry[0]
  for await (const raw of source) {
    const bytes = carry.length ? concat(carry, raw) : raw;
    const { out, consumed } = transcode(bytes, littleEndian, offset, false, damage);
    carry = bytes.slice(consumed);
    offset += consumed;
    if (out.length) yield out;
  }
  if (carry.length) {
    const { out } = transcode(carry, littleEndian, offset, true, damage);
    if (out.length) yield out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a, 0);
  r.set(b, a.length);
  return r;
}

function transcode(b: Uint8Array, le: boolean, base: number, final: boolean, damage: Utf16Damage): { out: Uint8Array; consumed: number } {
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
      if (i + 3 >= n && !final) break; // the low surrogate may be in the next chunk
      const lo = i + 3 < n ? (le ? b[i + 2]! | (b[i + 3]! << 8) : (b[i + 2]! << 8) | b[i + 3]!) : -1;
      if (lo < 0xdc00 || lo > 0xdfff) {
        broken(damage, base + i);
        out[o++] = BROKEN_UTF16;
        i += 2;
        continue;
      }
      const cp = 0x10000 + ((cu - 0xd800) << 10) + (lo - 0xdc00);
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
      i += 4;
    } else if (cu >= 0xdc00 && cu <= 0xdfff) {
      broken(damage, base + i);
      out[o++] = BROKEN_UTF16;
      i += 2;
    } else {
      out[o++] = 0xe0 | (cu >> 12);
      out[o++] = 0x80 | ((cu >> 6) & 0x3f);
      out[o++] = 0x80 | (cu & 0x3f);
      i += 2;
    }
  }
  if (final && i < n) {
    damage.oddLastByteAt = base + i;
    i = n;
  }
  return { out: out.subarray(0, o), consumed: i };
}

function broken(damage: Utf16Damage, at: number): void {
  damage.loneSurrogates++;
  damage.firstLoneSurrogateAt ??= at;
}
