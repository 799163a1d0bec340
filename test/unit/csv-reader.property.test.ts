import fc from 'fast-check';
import { parse as csvParse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../helpers/csv.ts';
import { readExport } from '../../functions/core/read/read-export.ts';
import { isMailflowError } from '../../functions/core/errors.ts';
import { chunked } from '../helpers/bytes.ts';

const fieldText = fc.string({
  unit: fc.constantFrom('a', 'b', ' ', ',', ';', '"', '\n', '\r\n', 'é', '日', '😀', '#', '{', '}'),
  maxLength: 12,
});

/** Records as RFC 4180 text with a random line ending; fields quoted when they must be (or at random). */
const csvDocument = fc
  .record({
    records: fc.array(fc.array(fieldText, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }),
    eol: fc.constantFrom('\n', '\r\n'),
    quoteAll: fc.boolean(),
    trailingEol: fc.boolean(),
  })
  .map(({ records, eol, quoteAll, trailingEol }) => {
    // The first record is the header: give it plain names so detection picks the comma.
    const header = records[0]!.map((_, i) => `h${i}`);
    const body = [header, ...records.slice(1)].map((r) =>
      r.map((f) => (quoteAll || /[",\r\n;]/.test(f) || f === '' ? `"${f.replaceAll('"', '""')}"` : f)).join(','),
    );
    // A lone empty unquoted field would be a blank line, which we skip by design; it is quoted above.
    return { text: body.join(eol) + (trailingEol ? eol : ''), records: [header, ...records.slice(1)] };
  });

describe('CsvReader properties', () => {
  it('gives identical rows however the input is split into chunks', () => {
    fc.assert(
      fc.property(csvDocument, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), ({ text }, sizes) => {
        const bytes = Buffer.from(text);
        const whole = parseCsv(bytes);
        const split = parseCsv(bytes, sizes);
        expect(split.rows).toEqual(whole.rows);
        expect(split.header?.cells).toEqual(whole.header?.cells);
      }),
      { numRuns: 500 },
    );
  });

  it('reads what csv-parse reads (reference implementation)', () => {
    fc.assert(
      fc.property(csvDocument, ({ text, records }) => {
        const ours = parseCsv(Buffer.from(text));
        const theirs = csvParse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
        expect([ours.header!.cells, ...ours.rows.map((r) => r.fields)]).toEqual(theirs);
        expect(theirs).toEqual(records);
      }),
      { numRuns: 500 },
    );
  });

  it('turns random bytes into rows or typed errors, each in under a second', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 4096 }), fc.uint8Array({ min: 1, maxLength: 4096 })),
        fc.integer({ min: 1, max: 512 }),
        async (bytes, size) => {
          const started = performance.now();
          try {
            await readExport(chunked(bytes, [size]), {}, () => {});
          } catch (err) {
            if (!isMailflowError(err)) throw err;
          }
          expect(performance.now() - started).toBeLessThan(1000);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('turns grammar-generated exports with a real header into rows or typed errors', async () => {
    const header = '"Received","SenderAddress","RecipientAddress","Status"\r\n';
    const cell = fc.oneof(
      fieldText,
      fc.constantFrom('4/6/2021 2:46:03 PM', '28/10/2023 20:18:34', '2026-11-20T10:00:00Z', 'Delivered', 'Failed', 'Pending', 'a@b.com'),
    );
    const row = fc.array(cell, { minLength: 1, maxLength: 6 }).map((cells) => cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(','));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), fc.integer({ min: 1, max: 128 }), async (rows, size) => {
        const started = performance.now();
        const bytes = Buffer.from(header + rows.join('\r\n'));
        try {
          const s = await readExport(chunked(bytes, [size]), {}, () => {});
          expect(s.family).toBe('trace-summary');
          expect(s.rows).toBeGreaterThanOrEqual(s.rejectedRows.count);
        } catch (err) {
          if (!isMailflowError(err)) throw err;
        }
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 500 },
    );
  });
});
