/**
 * Pairs (64-bit hashes as high and low u32) with two u32 values each, sorted by hash: quadruples
 * [high, low, a, b] in one Uint32Array, 16 bytes a pair and nothing else. The pair index is kept
 * this way, stored and in memory alike: reading it is a view over the bytes, a lookup a binary
 * search, and merging a part's pairs into a day's a single pass writing the result, where a hash
 * table would cost twice the bytes to build and again to write out (a busy day: ~450,000 pairs).
 */
export class SortedPairs {
  readonly quads: Uint32Array;

  /** `quads` must be sorted by (high, low), each pair once (PairTable.sorted() makes them so). */
  constructor(quads: Uint32Array = new Uint32Array(0)) {
    this.quads = quads;
  }

  get size(): number {
    return this.quads.length >>> 2;
  }

  /** The pair's values, or null when it is absent. */
  get(hi: number, lo: number): [number, number] | null {
    hi >>>= 0;
    lo >>>= 0;
    // As PairTable keeps it: 0/0 is its empty slot, so that pair is filed as 0/1.
    const i = this.find(hi, hi === 0 && lo === 0 ? 1 : lo);
    return i < 0 ? null : [this.quads[4 * i + 2]!, this.quads[4 * i + 3]!];
  }

  /** Index of the pair, or -1. */
  private find(hi: number, lo: number): number {
    const q = this.quads;
    let a = 0;
    let b = q.length >>> 2;
    while (a < b) {
      const m = (a + b) >>> 1;
      const h = q[4 * m]!;
      const l = q[4 * m + 1]!;
      if (h === hi && l === lo) return m;
      if (h < hi || (h === hi && l < lo)) a = m + 1;
      else b = m;
    }
    return -1;
  }

  forEach(fn: (hi: number, lo: number, a: number, b: number) => void): void {
    const q = this.quads;
    for (let i = 0; i < q.length; i += 4) fn(q[i]!, q[i + 1]!, q[i + 2]!, q[i + 3]!);
  }

  /**
   * Both sets of pairs in one sorted pass: `combine` gets a pair's values here (0, 0 when absent)
   * and in `other` (0, 0 when absent) and writes the result's into `out`; a result of 0, 0 is left out.
   */
  merge(
    other: SortedPairs,
    combine: (x: number, y: number, a: number, b: number, out: Uint32Array) => void,
    /**
     * Bytes left free in the result's buffer before it (a multiple of 4) and after its largest size:
     * the caller writes there, so the result is never copied into another buffer.
     */
    room = 0,
    tail = 0,
  ): SortedPairs {
    const p = this.quads;
    const q = other.quads;
    const res = new Uint32Array(new ArrayBuffer(room + (p.length + q.length) * 4 + tail), room, p.length + q.length);
    const v = new Uint32Array(2);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < p.length || j < q.length) {
      let c: number;
      if (i >= p.length) c = 1;
      else if (j >= q.length) c = -1;
      else c = p[i]! !== q[j]! ? (p[i]! < q[j]! ? -1 : 1) : p[i + 1]! !== q[j + 1]! ? (p[i + 1]! < q[j + 1]! ? -1 : 1) : 0;
      const hi = c <= 0 ? p[i]! : q[j]!;
      const lo = c <= 0 ? p[i + 1]! : q[j + 1]!;
      combine(c <= 0 ? p[i + 2]! : 0, c <= 0 ? p[i + 3]! : 0, c >= 0 ? q[j + 2]! : 0, c >= 0 ? q[j + 3]! : 0, v);
      if (c <= 0) i += 4;
      if (c >= 0) j += 4;
      if (v[0] === 0 && v[1] === 0) continue;
      res[n] = hi;
      res[n + 1] = lo;
      res[n + 2] = v[0]!;
      res[n + 3] = v[1]!;
      n += 4;
    }
    return new SortedPairs(res.subarray(0, n));
  }
}
