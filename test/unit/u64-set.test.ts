import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodedSize, U64Table, U64Union } from '../../functions/core/aggregate/u64-set.ts';

/**
 * The message sets behind exact counts: a union of wire-form sets must be the union of their
 * members, whatever their sizes and order. Sets past 8,192 members (64 KiB of wire form) take the
 * decoder's larger buffer; small ones after them reuse it.
 */
const pair = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffffffff }));
const setOf = (pairs: Array<[number, number]>) => {
  const t = new U64Table();
  for (const [hi, lo] of pairs) t.add(hi, lo);
  return t;
};
/** Members that share their high half: the order inside one high value counts too. */
const narrow = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 50 }));
const members = (pairs: Array<[number, number]>) => new Set(pairs.map(([hi, lo]) => `${hi}:${lo}`));

/** A large set from a seed (xorshift), so a failing case shrinks to a seed and a size, not 10,000 tuples. */
const large = fc
  .record({ seed: fc.integer({ min: 1, max: 0x7fffffff }), n: fc.integer({ min: 9_000, max: 12_000 }) })
  .map(({ seed, n }) => {
    let x = seed;
    const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
    // Some members twice, as hours of one deferred message repeat.
    return Array.from({ length: n }, (_, i): [number, number] => (i % 7 === 0 ? [i, i + 1] : [next(), next() || 1]));
  });

describe('U64Table wire form', () => {
  it('a union of encoded sets has exactly the distinct members of all of them (small and large sets, any order)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.array(pair, { maxLength: 40 }), large), {
          minLength: 1,
          maxLength: 5,
        }),
        (sets) => {
          const union = new U64Table();
          for (const s of sets) union.addEncoded(setOf(s).encode());
          expect(union.size).toBe(members(sets.flat()).size);
          for (const s of sets) for (const [hi, lo] of s) expect(union.has(hi, lo)).toBe(true);
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
  });

  it('decode gives back the set, and the wire form knows its size without decoding', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(pair, { maxLength: 40 }), large), (pairs) => {
        const encoded = setOf(pairs).encode();
        const back = U64Table.decode(encoded);
        expect(back.size).toBe(members(pairs).size);
        expect(encodedSize(encoded)).toBe(back.size);
        expect(back.encode()).toBe(encoded);
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });

  it('U64Union agrees with the table: size (hashed), wire form (sorted, repeats dropped), and unions of unions', () => {
    // Sets past 4,096 members together take the radix sort; smaller ones the typed-array sort.
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.oneof(fc.array(pair, { maxLength: 40 }), fc.array(narrow, { maxLength: 40 }), large), { minLength: 1, maxLength: 4 }),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        (groups) => {
          const unions = groups.map((sets) => {
            const u = new U64Union();
            for (const s of sets) u.add(setOf(s).encode());
            const table = new U64Table();
            for (const s of sets) table.addEncoded(setOf(s).encode());
            expect(u.size).toBe(members(sets.flat()).size);
            expect(u.encode()).toBe(table.encode());
            return u;
          });
          expect(U64Union.sizeOf(unions)).toBe(members(groups.flat(2)).size);
          // A union of unions (a view's tenants): counted, sorted or untouched ones alike.
          const fresh = groups.map((sets, i) => {
            const u = new U64Union();
            for (const x of sets) u.add(setOf(x).encode());
            if (i % 3 === 1) void u.size;
            if (i % 3 === 2) u.encode();
            return u;
          });
          const merged = new U64Union();
          for (const u of fresh) merged.addUnion(u);
          const table = new U64Table();
          for (const x of groups.flat()) table.addEncoded(setOf(x).encode());
          expect(merged.size).toBe(members(groups.flat(2)).size);
          expect(merged.encode()).toBe(table.encode());
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
  });

  it('a union past 65,536 members counts the same split into parts by its high bits as sorted, alone or with others', () => {
    let x = 2463534242;
    const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
    // Three sets of 100,000 that share a tenth of their members: 300,000 added, 280,000 distinct.
    const shared = Array.from({ length: 10_000 }, (): [number, number] => [next(), next() || 1]);
    const sets = [0, 1, 2].map(() => [...shared, ...Array.from({ length: 90_000 }, (): [number, number] => [next(), next() || 1])]);
    const distinct = members(sets.flat()).size;
    const whole = new U64Union();
    for (const s of sets) whole.add(setOf(s).encode());
    expect(whole.size).toBe(distinct);
    expect(Buffer.from(whole.encode(), 'base64').length / 8).toBe(distinct);
    expect(whole.size).toBe(distinct);
    // Unions of unions: one sorted already (encoded), one not; the shared members count once.
    const [first, second] = sets.map((s) => {
      const u = new U64Union();
      u.add(setOf(s.slice(0, 50_000)).encode());
      u.add(setOf(s.slice(50_000)).encode());
      return u;
    });
    first!.encode();
    expect(first!.size).toBe(100_000);
    expect(U64Union.sizeOf([first!, second!])).toBe(members(sets.slice(0, 2).flat()).size);
  });
});
