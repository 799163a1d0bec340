import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../functions/core/formats/event.ts';
import type { OutputEncoding } from '../../functions/core/generate/render.ts';
import { generated, readAll } from '../helpers/bytes.ts';

const ENCODINGS: OutputEncoding[] = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16le-nobom', 'utf-16be'];

/**
 * The whole read (bytes → text → records → events and the file's summary) is a function of the
 * bytes alone: an S3 body comes in pieces the network chose, a local file in 1 MiB chunks, a retry
 * in others. Every family, every encoding, gzip or not, cut at random.
 */
describe('readExport gives the same summary and events however the bytes are split', () => {
  it('for generated exports of every family and encoding, plain and gzip (150 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FAMILIES),
        fc.constantFrom(...ENCODINGS),
        fc.boolean(),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }),
        async (family, encoding, gzip, rows, seed, sizes) => {
          // Graph families are JSON: always UTF-8, as Graph writes them.
          const bytes = generated({ family, rows, seed }, family.startsWith('graph') ? 'utf-8' : encoding, gzip);
          const whole = await readAll(bytes, { now: Date.parse('2027-01-01T00:00:00Z') }, [bytes.length || 1]);
          const split = await readAll(bytes, { now: Date.parse('2027-01-01T00:00:00Z') }, sizes);
          expect(split.summary).toEqual(whole.summary);
          expect(split.events).toEqual(whole.events);
          expect(whole.summary.rows).toBeGreaterThan(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
