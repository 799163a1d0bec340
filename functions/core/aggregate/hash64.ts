/**
 * 64-bit string hashes as two independent 32-bit halves (murmur3-style mixing with two seeds),
 * written into `out[0]` (high) and `out[1]` (low). Fast enough for every event of a large export,
 * and 64 bits keep collisions negligible at millions of events per hour (p ≈ n²/2⁶⁵).
 */
export function hash64(text: string, out: Uint32Array): void {
  let h1 = 0x9747b28c;
  let h2 = 0x85ebca77;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ c, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = Math.imul(h2, 5) + 0xe6546b64;
  }
  out[0] = fmix(h1 ^ n);
  out[1] = fmix(h2 ^ Math.imul(n, 0x2545f491));
  // 0/0 marks an empty slot in U64Table.
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
