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

  it('U64Union (decode all, sort, drop repeats) agrees with the table: size, wire form, and unions of unions by merging', () => {
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
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
  });
});
