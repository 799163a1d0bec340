import { SortedPairs } from './sorted-pairs.ts';
import { capacityFor, sortPairs } from './u64-set.ts';

/**
 * A table keyed by 64-bit pair hashes (high, low) with two u32 values each: open addressing over
 * typed arrays, ~32 bytes an entry at most, so an export naming a million messages costs tens of
 * MB, not the hundreds a Map of strings would. Entries whose values are both 0 read as absent.
 */
export class PairTable {
  private keys: Uint32Array;
  private a: Uint32Array;
  private b: Uint32Array;
  private mask: number;
  size = 0;

  constructor(expected = 16) {
    const cap = capacityFor(expected);
    this.keys = new Uint32Array(cap * 2);
    this.a = new Uint32Array(cap);
    this.b = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  private slot(hi: number, lo: number): number {
    const x = hi === 0 && lo === 0 ? 1 : lo; // 0/0 marks an empty slot (callers pass u32: `>>> 0`)
    let s = (x ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.keys[s * 2]!;
      const l = this.keys[s * 2 + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === x)) return s;
      s = (s + 1) & this.mask;
    }
  }

  /** The values of the pair, or null when it is absent. */
  get(hi: number, lo: number): [number, number] | null {
    hi >>>= 0;
    lo >>>= 0;
    const s = this.slot(hi, lo);
    if (this.keys[s * 2] === 0 && this.keys[s * 2 + 1] === 0) return null;
    return this.a[s] === 0 && this.b[s] === 0 ? null : [this.a[s]!, this.b[s]!];
  }

  /** Sets the pair's values (creating it); both 0 makes it read as absent. */
  set(hi: number, lo: number, a: number, b: number): void {
    hi >>>= 0;
    lo >>>= 0;
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const s = this.slot(hi, lo);
    if (this.keys[s * 2] === 0 && this.keys[s * 2 + 1] === 0) {
      this.keys[s * 2] = hi;
      this.keys[s * 2 + 1] = hi === 0 && lo === 0 ? 1 : lo;
      this.size++;
    }
    this.a[s] = a;
    this.b[s] = b;
  }

  *entries(): Generator<[number, number, number, number]> {
    for (let s = 0; s <= this.mask; s++) {
      const hi = this.keys[s * 2]!;
      const lo = this.keys[s * 2 + 1]!;
      if ((hi !== 0 || lo !== 0) && (this.a[s] !== 0 || this.b[s] !== 0)) yield [hi, lo, this.a[s]!, this.b[s]!];
    }
  }

  private grow(): void {
    const [keys, a, b] = [this.keys, this.a, this.b];
    const cap = (this.mask + 1) * 2;
    this.keys = new Uint32Array(cap * 2);
    this.a = new Uint32Array(cap);
    this.b = new Uint32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let s = 0; s < a.length; s++)
      if ((keys[s * 2] !== 0 || keys[s * 2 + 1] !== 0) && (a[s] !== 0 || b[s] !== 0))
        this.set(keys[s * 2]!, keys[s * 2 + 1]!, a[s]!, b[s]!);
  }

  /** The pairs sorted by hash, absent entries left out: what the pair index keeps. */
  sorted(): SortedPairs {
    const all = new Uint32Array(this.size * 2);
    let n = 0;
    for (let s = 0; s <= this.mask; s++) {
      const hi = this.keys[s * 2]!;
      const lo = this.keys[s * 2 + 1]!;
      if ((hi === 0 && lo === 0) || (this.a[s] === 0 && this.b[s] === 0)) continue;
      all[2 * n] = lo;
      all[2 * n + 1] = hi;
      n++;
    }
    const halves = sortPairs(all.subarray(0, 2 * n));
    const out = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const hi = halves[2 * i + 1]!;
      const lo = halves[2 * i]!;
      const s = this.slot(hi, lo);
      out[4 * i] = hi;
      out[4 * i + 1] = lo;
      out[4 * i + 2] = this.a[s]!;
      out[4 * i + 3] = this.b[s]!;
    }
    return new SortedPairs(out);
  }

  /** Little-endian u32 quadruples (high, low, a, b) in any order, as the first pair index kept them (base64 in JSON). */
  static ofQuads(q: Uint32Array): PairTable {
    const t = new PairTable(q.length / 4);
    for (let i = 0; i < q.length; i += 4) t.set(q[i]!, q[i + 1]!, q[i + 2]!, q[i + 3]!);
    return t;
  }
}
