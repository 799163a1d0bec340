import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateReader } from '../../functions/core/formats/dates.ts';

/**
 * Dates are read by a fast path over char codes (`fastParts`, the common forms) and by regexes
 * (every form, and whatever the fast path leaves). The fast path must change no answer, nor must
 * `parseAscii` (a field read where it lies in the file, remembering the texts it read last).
 */

// Date-like texts: the pieces the formats are made of, in any order, so most are near misses.
const piece = fc.constantFrom(
  '2026',
  '6',
  '06',
  '13',
  '31',
  '1',
  '12',
  '00',
  '59',
  '60',
  '2',
  '-',
  '/',
  '.',
  ':',
  'T',
  ' ',
  'Z',
  'AM',
  'PM',
  'am',
  ' PM',
  ',',
  '+02:00',
  '1234567',
  'x',
);
const dateLike = fc.oneof(
  fc.array(piece, { maxLength: 14 }).map((p) => p.join('')),
  fc.constantFrom('6/1/2026 12:00:04 AM', '2026-06-01T10:00:00.1234567Z', '28.10.2023 20:18:34', '13/06/2026 10:00', '2026-06-01'),
);
const readers = fc.constantFrom<Array<ConstructorParameters<typeof DateReader>[0]>>(
  {},
  { order: 'dmy' },
  { order: 'mdy' },
  { timeZone: 'Europe/Rome' },
);

/** What may follow a field in a file. */
const after = fc.array(fc.constantFrom('-', '/', '.', ':', '0', '9', 'Z', ' ', 'M', '"', ','), { maxLength: 4 }).map((a) => a.join(''));

const same = (a: number, b: number) => (Number.isNaN(a) ? Number.isNaN(b) : a === b);

describe('dates read by the fast path read as the regexes read them', () => {
  it('parse(text) equals the regexes’ answer (a leading space sends a text past the fast path) (3,000 runs)', () => {
    fc.assert(
      fc.property(readers, dateLike, (options, text) => {
        const d = new DateReader(options);
        expect(same(d.parse(text), d.parse(` ${text}`))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseAscii of a field in a buffer equals parse of its text, texts repeating while the order is learnt (500 runs)', () => {
    fc.assert(
      fc.property(readers, fc.array(fc.tuple(dateLike, after, fc.boolean()), { minLength: 1, maxLength: 60 }), (options, fields) => {
        const d = new DateReader(options);
        const reference = new DateReader(options);
        for (const [text, rest, learn] of [...fields, ...fields]) {
          // Both readers learn the same texts, so their orders stay the same.
          if (learn) expect(d.learn(text)).toBe(reference.learn(text));
          const bytes = Buffer.from(`"${text}${rest}`, 'latin1');
          expect(same(d.parseAscii(bytes, 1, 1 + text.length), reference.parse(text))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('parseAscii tells apart texts that share its table slot: 5,000 distinct seconds, each read twice', () => {
    const d = new DateReader();
    const reference = new DateReader();
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 5000; i++) {
        const text = new Date(Date.UTC(2026, 5, 1) + i * 1000).toISOString().replace('.000', '');
        const bytes = Buffer.from(text, 'latin1');
        expect(d.parseAscii(bytes, 0, bytes.length)).toBe(reference.parse(text));
      }
  });
});
