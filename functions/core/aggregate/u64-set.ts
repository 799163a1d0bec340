/**
 * Sets of 64-bit hashes: an open-addressing table for membership while merging, and a compact
 * wire form (sorted, little-endian u64, base64) for the rollup file.
 */
/** Slots for an open-addressing table expected to hold `expected` entries: a power of two, at most half full. */
export function capacityFor(expected: number): number {
  let cap = 16;
  while (cap < expected * 2) cap *= 2;
  return cap;
}

export class U64Table {
  private keys: Uint32Array; // [hi, lo] pairs; 0/0 = empty
  private mask: number;
  size = 0;

  constructor(expected = 16) {
    const cap = capacityFor(expected);
    this.keys = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Adds the pair; returns true when it was not there yet. */
  add(hi: number, lo: number): boolean {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const k = this.find(hi, lo);
    if (this.keys[k] !== 0 || this.keys[k + 1] !== 0) return false;
    this.keys[k] = hi;
    this.keys[k + 1] = lo;
    this.size++;
    return true;
  }

  has(hi: number, lo: number): boolean {
    const k = this.find(hi, lo);
    return this.keys[k] !== 0 || this.keys[k + 1] !== 0;
  }

  /** Index of the pair's slot, or of the empty slot where it would go (linear probing). */
  private find(hi: number, lo: number): number {
    const keys = this.keys;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const k = slot * 2;
      const h = keys[k]!;
      const l = keys[k + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return k;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    this.size = 0;
    for (let k = 0; k < old.length; k += 2) if (old[k] !== 0 || old[k + 1] !== 0) this.add(old[k]!, old[k + 1]!);
  }

  /** The members, sorted ascending, as the wire form. */
  encode(): string {
    const out = new BigUint64Array(this.size);
    const halves = new Uint32Array(out.buffer);
    let j = 0;
    for (let k = 0; k < this.keys.length; k += 2) {
      const hi = this.keys[k]!;
      const lo = this.keys[k + 1]!;
      if (hi === 0 && lo === 0) continue;
      halves[j * 2] = lo; // little-endian u64: low half first
      halves[j * 2 + 1] = hi;
      j++;
    }
    out.sort();
    return Buffer.from(out.buffer).toString('base64');
  }

  /** Adds every member of a wire-form set (a union without decoding it into a table of its own). */
  addEncoded(encoded: string): void {
    const halves = wireHalves(encoded);
    for (let k = 0; k < halves.length; k += 2) this.add(halves[k + 1]!, halves[k]!);
  }

  static decode(encoded: string): U64Table {
    const halves = wireHalves(encoded);
    const table = new U64Table(halves.length / 2);
    for (let k = 0; k < halves.length; k += 2) table.add(halves[k + 1]!, halves[k]!);
    return table;
  }
}

/**
 * A wire-form set as u32 halves (low, high), decoded into one reused buffer: unions add thousands
 * of small sets, and a buffer of their own for each was a fifth of a long query's time. The view is
 * only valid until the next call; both callers consume it at once.
 */
let scratch = Buffer.allocUnsafeSlow(1 << 16);
function wireHalves(encoded: string): Uint32Array {
  const need = Math.ceil((encoded.length * 3) / 4);
  if (scratch.length < need) scratch = Buffer.allocUnsafeSlow(2 ** Math.ceil(Math.log2(need)));
  const n = scratch.write(encoded, 0, 'base64');
  return new Uint32Array(scratch.buffer, scratch.byteOffset, n / 4);
}

/** Number of members in a wire-form set, without decoding it. */
export function encodedSize(encoded: string): number {
  const pad = encoded.endsWith('==') ? 2 : encoded.endsWith('=') ? 1 : 0;
  return ((encoded.length * 3) / 4 - pad) / 8;
}

/**
 * A union of wire-form sets, worked out once at the end: every member decoded into one array, then
 * counted (hashed, a cache-sized table at a time) or, for the wire form, sorted and written without
 * its repeats. For the unions a long query makes (millions of members in thousands of small sets)
 * either is 1.5–3× faster than adding each member to one U64Table, which keeps growing and then
 * misses the cache on every insert.
 */
export class U64Union {
  private parts: string[] = [];
  /** Members of unions added already decoded (addUnion), as (low, high) halves. */
  private chunks: Uint32Array[] = [];
  private bytes = 0;
  /** Every member added, as u32 halves (low, high), repeats included until `sorted`. */
  private halves: Uint32Array | null = null;
  private sorted = false;
  private distinct = -1;

  add(encoded: string): void {
    this.parts.push(encoded);
    this.bytes += Buffer.byteLength(encoded, 'base64');
    this.halves = null;
    this.sorted = false;
    this.distinct = -1;
  }

  /**
   * Every member of another union: its sets as they are, or what it decoded already (a tenant's
   * union counted for its own view, then counted again among all tenants', is not decoded twice).
   */
  addUnion(other: U64Union): void {
    if (other.halves) {
      this.chunks.push(other.halves);
      this.bytes += other.halves.byteLength;
    } else {
      this.parts.push(...other.parts);
      this.chunks.push(...other.chunks);
      this.bytes += other.bytes;
    }
    this.halves = null;
    this.sorted = false;
    this.distinct = -1;
  }

  /** Whether a single set was added (its size and wire form are its own). */
  private get single(): boolean {
    return this.parts.length === 1 && this.chunks.length === 0;
  }

  /** Distinct members of all the sets added. */
  get size(): number {
    if (this.single) return encodedSize(this.parts[0]!);
    if (this.distinct >= 0) return this.distinct;
    const halves = this.decoded();
    if (this.sorted) return (this.distinct = halves.length / 2);
    // Counted and compacted to the distinct members: what is counted again with others (sizeOf,
    // addUnion) is those, not every repeat (a message deferred every hour is in each hour's set).
    this.distinct = countDistinct(halves, halves);
    this.halves = halves.subarray(0, 2 * this.distinct);
    return this.distinct;
  }

  /** The union in wire form (sorted, as U64Table.encode writes it). */
  encode(): string {
    if (this.single) return this.parts[0]!;
    const m = this.members();
    return Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString('base64');
  }

  /** Distinct members of several unions together (a message deferred, then expired, counts once). */
  static sizeOf(unions: readonly U64Union[]): number {
    const all = unions.map((u) => u.decoded());
    if (all.length === 1) return unions[0]!.size;
    const joined = new Uint32Array(all.reduce((n, h) => n + h.length, 0));
    let off = 0;
    for (const h of all) joined.set(h, (off += h.length) - h.length);
    return countDistinct(joined);
  }

  private decoded(): Uint32Array {
    if (this.halves) return this.halves;
    const buf = Buffer.allocUnsafeSlow(this.bytes);
    let off = 0;
    for (const p of this.parts) off += buf.write(p, off, 'base64');
    // Copied in with the rest: the unions they came from keep (and may later sort) their own.
    for (const c of this.chunks) off += (buf.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), off), c.byteLength);
    this.halves = new Uint32Array(buf.buffer, buf.byteOffset, off / 4);
    return this.halves;
  }

  /** The distinct members, sorted (the decoded array sorted and compacted in place). */
  private members(): Uint32Array {
    if (this.sorted) return this.decoded();
    const halves = sortPairs(this.decoded());
    let n = 0;
    for (let i = 0; i < halves.length; i += 2) {
      if (n > 0 && halves[i] === halves[n - 2] && halves[i + 1] === halves[n - 1]) continue;
      halves[n++] = halves[i]!;
      halves[n++] = halves[i + 1]!;
    }
    this.halves = halves.subarray(0, n);
    this.sorted = true;
    this.distinct = n / 2;
    return this.halves;
  }
}

/** Members a table counts at a time: its 2¹⁷ slots (1 MiB) stay in the cache, where the cost of a member is flat. */
const PARTITION = 1 << 16;

/**
 * Distinct members among (low, high) halves. Up to PARTITION members, in one table; past it, first
 * split by the high bits (one counting pass, one scatter) so that each part fits a table of that
 * size: a repeat always lands in its original's part, so the parts' counts add up.
 */
export function countDistinct(halves: Uint32Array, distinct: Uint32Array | null = null): number {
  const n = halves.length / 2;
  if (n <= PARTITION) return countInTable(halves, 0, n, distinct, 0);
  let bits = 1;
  while (n >>> bits > PARTITION) bits++;
  const shift = 32 - bits;
  const parts = 1 << bits;
  const start = new Uint32Array(parts + 1);
  for (let i = 0; i < n; i++) start[(halves[2 * i + 1]! >>> shift) + 1]!++;
  for (let b = 1; b <= parts; b++) start[b]! += start[b - 1]!;
  const next = start.slice(0, parts);
  const split = new Uint32Array(halves.length);
  for (let i = 0; i < n; i++) {
    const hi = halves[2 * i + 1]!;
    const k = next[hi >>> shift]!++;
    split[2 * k] = halves[2 * i]!;
    split[2 * k + 1] = hi;
  }
  let count = 0;
  for (let b = 0; b < parts; b++) count += countInTable(split, start[b]!, start[b + 1]!, distinct, count);
  return count;
}

/** One table, reused (cleared as far as a part needs): a count allocates nothing once it has grown. */
let slots = new Uint32Array(0);

/**
 * Distinct members among halves[2·from … 2·to): linear probing, as U64Table, without its
 * bookkeeping. With `out`, each is also written there from member `at` on (which may be `halves`
 * itself at or before `from`: a member is written only after it is read).
 */
function countInTable(halves: Uint32Array, from: number, to: number, out: Uint32Array | null, at: number): number {
  const cap = capacityFor(to - from);
  if (slots.length < cap * 2) slots = new Uint32Array(cap * 2);
  else slots.fill(0, 0, cap * 2);
  const table = slots;
  const mask = cap - 1;
  let size = 0;
  for (let i = from; i < to; i++) {
    const lo = halves[2 * i]!;
    const hi = halves[2 * i + 1]!;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const k = slot * 2;
      const h = table[k]!;
      const l = table[k + 1]!;
      if (h === 0 && l === 0) {
        table[k] = hi;
        table[k + 1] = lo;
        if (out) {
          out[2 * (at + size)] = lo;
          out[2 * (at + size) + 1] = hi;
        }
        size++;
        break;
      }
      if (h === hi && l === lo) break;
      slot = (slot + 1) & mask;
    }
  }
  return size;
}

/**
 * u64 members as (low, high) halves, sorted by value. Large arrays by an LSD radix sort (four
 * passes of 16 bits: about twice as fast as the typed-array sort on a few hundred thousand),
 * small ones by that sort.
 */
export function sortPairs(halves: Uint32Array): Uint32Array {
  const n = halves.length / 2;
  if (n < 4096) {
    const sorted = new BigUint64Array(halves.buffer, halves.byteOffset, n).sort();
    return new Uint32Array(sorted.buffer, sorted.byteOffset, n * 2);
  }
  return sortRecords(halves, 2); // four passes: the sorted halves are back in the input's array
}

/**
 * Records of `stride` u32 whose first two are a u64's (low, high) halves, sorted by it, stably
 * (equal members keep their order): an LSD radix sort, four passes of 16 bits. The result is the
 * input's array again (an even number of passes), sorted.
 */
export function sortRecords(words: Uint32Array, stride: 2 | 3): Uint32Array {
  const n = words.length / stride;
  let src = words;
  let dst: Uint32Array = new Uint32Array(words.length);
  const count = new Uint32Array(65536);
  for (const [word, shift] of [
    [0, 0],
    [0, 16],
    [1, 0],
    [1, 16],
  ] as const) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[stride * i + word]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = stride * count[(src[stride * i + word]! >>> shift) & 0xffff]!++;
      dst[at] = src[stride * i]!;
      dst[at + 1] = src[stride * i + 1]!;
      if (stride === 3) dst[at + 2] = src[stride * i + 2]!;
    }
    [src, dst] = [dst, src];
  }
  return src;
}
