import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateReader } from '../../functions/core/formats/dates.ts';

/**
 * Dates are read by a fast path over char codes (`fastParts`, the common forms) and by regexes
 * (every form, and whatever the fast path leaves). The fast path must change no answer.
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
});
