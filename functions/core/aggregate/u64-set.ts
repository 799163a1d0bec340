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
