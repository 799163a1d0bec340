/**
 * 64-bit hashes as two independent 32-bit halves (murmur3-style mixing with two seeds),
 * written into `out[0]` (high) and `out[1]` (low). 64 bits keep collisions negligible at
 * millions of events per hour (p ≈ n²/2⁶⁵). Never 0/0: that marks an empty slot in U64Table.
 */

const SEED_HI = 0x9747b28c;
const SEED_LO = 0x85ebca77;

/** Hash of `a`, a separator, and `b`, without building the concatenated string. */
export function hashPair(a: string, b: string, out: Uint32Array): void {
  let h1 = SEED_HI;
  let h2 = SEED_LO;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    h1 = step1(h1, c);
    h2 = step2(h2, c);
  }
  h1 = step1(h1, 0xffff); // separator: ("ab","c") and ("a","bc") differ
  h2 = step2(h2, 0xffff);
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    h1 = step1(h1, c);
    h2 = step2(h2, c);
  }
  const n = a.length + b.length + 1;
  finish(h1 ^ n, h2 ^ Math.imul(n, 0x2545f491), out);
}

/**
 * hashPair of two ASCII texts read straight from bytes, `b` lower-cased (A-Z only, as toLowerCase
 * does for ASCII): the same hash as `hashPair(a, b.toLowerCase())` of their decoded strings,
 * without making them. Only for bytes under 0x80.
 */
export function hashPairAscii(bytes: Uint8Array, a0: number, a1: number, b0: number, b1: number, out: Uint32Array): void {
  let h1 = SEED_HI;
  let h2 = SEED_LO;
  for (let i = a0; i < a1; i++) {
    const c = bytes[i]!;
    h1 = step1(h1, c);
    h2 = step2(h2, c);
  }
  h1 = step1(h1, 0xffff);
  h2 = step2(h2, 0xffff);
  for (let i = b0; i < b1; i++) {
    let c = bytes[i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    h1 = step1(h1, c);
    h2 = step2(h2, c);
  }
  const n = a1 - a0 + (b1 - b0) + 1;
  finish(h1 ^ n, h2 ^ Math.imul(n, 0x2545f491), out);
}

export function hash64(text: string, out: Uint32Array): void {
  hashPair(text, '', out);
}

/** Hash of a tuple of 32-bit words (a previous hash, a time, small ids …). */
export function hashWords(words: ArrayLike<number>, out: Uint32Array): void {
  let h1 = SEED_HI;
  let h2 = SEED_LO;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]! | 0;
    h1 = step1(h1, w);
    h2 = step2(h2, w);
  }
  finish(h1 ^ words.length, h2 ^ Math.imul(words.length, 0x2545f491), out);
}

function step1(h: number, c: number): number {
  h = Math.imul(h ^ c, 0xcc9e2d51);
  return (h << 15) | (h >>> 17);
}

function step2(h: number, c: number): number {
  h = Math.imul(h ^ c, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h1: number, h2: number, out: Uint32Array): void {
  out[0] = fmix(h1);
  out[1] = fmix(h2);
  if (out[0] === 0 && out[1] === 0) out[1] = 1;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
