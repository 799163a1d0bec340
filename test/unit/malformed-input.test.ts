import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readExport } from '../../functions/core/read/read-export.ts';
import { errorOf, generated, once, readAll, utf8 } from '../helpers/bytes.ts';

const HEADER = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\r\n';
const row = (i: number, status = 'Delivered') =>
  `"11/20/2026 10:${String(i % 60).padStart(2, '0')}:00 AM","a@contoso.com","r${i}@fabrikam.com","${status}","id-${i}"\r\n`;

describe('hostile and malformed input: bombs, gzip structure, giant fields, encodings, wrong shapes, totals (I22–I26, I28; the bounds of I21, I23 and I25 are in test/bounds/)', () => {
  it('I22 reads concatenated gzip members as one file', async () => {
    const a = HEADER + row(1);
    const b = row(2) + row(3);
    const { summary } = await readAll(Buffer.concat([gzipSync(a), gzipSync(b)]));
    expect(summary.rows).toBe(3);
  });

  it('I22 rejects a truncated gzip stream, trailing junk, and a .gz name on a non-gzip file', async () => {
    const gz = gzipSync(HEADER + row(1) + row(2));
    expect(await errorOf(readAll(gz.subarray(0, gz.length - 8)))).toMatchObject({ code: 'GZIP_TRUNCATED' });
    expect(await errorOf(readAll(Buffer.concat([gz, Buffer.from('junk after the member')])))).toMatchObject({ code: 'GZIP_TRAILING_DATA' });
    expect(await errorOf(readAll(utf8(HEADER + row(1)), { nameHint: 'trace.csv.gz' }))).toMatchObject({ code: 'NOT_GZIP' });
  });

  it('I22 detects gzip by magic bytes whatever the name; a lying ISIZE trailer is never trusted', async () => {
    const gz = Buffer.from(gzipSync(HEADER + row(1)));
    expect((await readAll(gz, { nameHint: 'export.csv' })).summary).toMatchObject({ compression: 'gzip', rows: 1 });
    // We never size anything from ISIZE; zlib verifies it against the data and calls a mismatch corrupt.
    gz.writeUInt32LE(7, gz.length - 4);
    expect(await errorOf(readAll(gz))).toMatchObject({ code: 'GZIP_CORRUPT' });
  });

  it('I23 rejects an unclosed quote at byte 10 with no complete row', async () => {
    const err = await errorOf(readAll(utf8('"Received,RecipientAddress,Status\r\nx,y,z\r\n')));
    expect(err).toMatchObject({ code: 'QUOTE_NOT_CLOSED', line: 1 });
  });

  it('I23 keeps the complete rows of a file cut inside a quoted field, with a warning naming the line', async () => {
    const { summary } = await readAll(utf8(HEADER + row(1) + row(2) + '"11/20/2026 10:03:00 AM","a@contoso.com","r3@fab'));
    expect(summary.rows).toBe(2);
    expect(summary.endsInsideRecord).toBe(true);
    expect(summary.warnings.join(' ')).toMatch(/line 4/);
  });

  it('I24 reads a used column that is not UTF-8 as Windows-1252 (Excel ANSI), counts the row and says so, never U+FFFD', async () => {
    const good = HEADER + row(1);
    const bad = Buffer.concat([
      utf8(good + '"11/20/2026 10:00:00 AM","a@contoso.com","j'),
      Buffer.from([0xfc, 0x80]), // "ü€" in Windows-1252, not UTF-8
      utf8('rgen@x.com","Delivered","id-2"\r\n'),
    ]);
    const { summary, events } = await readAll(bad);
    expect(summary).toMatchObject({ rows: 2, encoding: 'windows-1252', rejectedRows: { count: 0 } });
    expect(events.map((e) => e.recipient)).toEqual(['r1@fabrikam.com', 'jü€rgen@x.com']);
    expect(summary.warnings).toContain(
      'not UTF-8: looks like Excel ANSI (Windows-1252), and 1 field was read as such (the first on line 3); save as "CSV UTF-8" or export with -Encoding UTF8 to remove the guess',
    );
  });

  it('I24 does not validate columns it never reads (a Latin-1 subject is fine)', async () => {
    const bytes = Buffer.concat([
      utf8('"Received","RecipientAddress","Status","Subject"\r\n"11/20/2026 10:00:00 AM","r@x.com","Delivered","Caf'),
      Buffer.from([0xe9]),
      utf8('"\r\n'),
    ]);
    const { summary } = await readAll(bytes);
    expect(summary).toMatchObject({ rows: 1, rejectedRows: { count: 0 } });
  });

  it('I24 rejects the row with a lone UTF-16 surrogate in a used column, reads it in an unused one, and warns with the byte offset', async () => {
    const utf16 = (text: string) => Buffer.from(text, 'utf16le');
    const header = '"Received","RecipientAddress","Status","Subject"\r\n';
    const line = (n: number, subject: string) => `"11/20/2026 10:0${n}:00 AM","r${n}@contoso.com","Failed","${subject}"\r\n`;
    const lone = Buffer.from([0x00, 0xd8]); // a high surrogate followed by no low one
    const before = Buffer.concat([Buffer.from([0xff, 0xfe]), utf16(header + line(1, 'ok') + '"11/20/2026 10:02:00 AM","r2@con')]);
    const row3 = '"11/20/2026 10:03:00 AM","r3@contoso.com","Failed","x';
    const bytes = Buffer.concat([before, lone, utf16('toso.com","Failed","ok"\r\n' + row3), lone, utf16('"\r\n' + line(4, 'ok'))]);
    const { summary, events } = await readAll(bytes);
    expect(summary).toMatchObject({ rows: 4, events: { failed: 3 } });
    expect(summary.rejectedRows.samples).toEqual([{ line: 3, reason: 'an unpaired UTF-16 surrogate (half of a character) on line 3' }]);
    expect(events.map((e) => e.recipient)).toEqual(['r1@contoso.com', 'r3@contoso.com', 'r4@contoso.com']);
    expect(summary.warnings).toContain(
      `2 unpaired UTF-16 surrogates (half of a character; the first at byte ${before.length}): rows that use such a column were rejected, the others were read`,
    );
  });

  it('I24 ignores a stray last byte of a UTF-16 file, with a warning naming it', async () => {
    const text = Buffer.from(HEADER + row(1), 'utf16le');
    const odd = Buffer.concat([Buffer.from([0xff, 0xfe]), text, Buffer.from([0x41])]);
    const { summary } = await readAll(odd);
    expect(summary.rows).toBe(1);
    expect(summary.warnings).toContain(`the UTF-16 text ends with a stray byte (at byte ${2 + text.length}), which was ignored`);
  });

  it('I24 never lets a BOM into the first header name', async () => {
    for (const enc of ['utf-8-bom', 'utf-16le', 'utf-16be'] as const) {
      const { summary } = await readAll(generated({ family: 'trace-summary', rows: 5 }, enc));
      expect(summary.family).toBe('trace-summary');
      expect(summary.columnsUsed[0]).not.toMatch(/^\uFEFF/);
    }
  });

  it('I25 reports a zero-byte file as empty and a header-only file as 0 rows', async () => {
    const empty = await readExport(once(new Uint8Array(0)), {}, () => {});
    expect(empty.empty).toBe(true);
    const headerOnly = await readAll(utf8(HEADER));
    expect(headerOnly.summary).toMatchObject({ empty: false, family: 'trace-summary', rows: 0 });
  });

  it('I25 rejects an unrecognized header, listing the columns found and the families expected', async () => {
    const err = await errorOf(readAll(utf8('Name,Email,Phone\r\nAda,ada@x.com,1\r\n')));
    expect(err).toMatchObject({ code: 'UNRECOGNIZED_HEADER' });
    expect(err.message).toContain('Name, Email, Phone');
    expect(err.message).toContain('trace-summary');
    expect(err.message).toContain('onprem-tracking-log');
  });

  it('I26 skips exactly 100 bad rows among 10,000 and reports their line numbers', async () => {
    let text = HEADER;
    const badLines: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const line = i + 2;
      if (i % 100 === 37) {
        badLines.push(line);
        const kind = badLines.length % 3;
        if (kind === 0) text += `"13/45/2026 99:00:00 XM","a@contoso.com","r${i}@fabrikam.com","Failed","id-${i}"\r\n`;
        else if (kind === 1) text += `"11/20/2026 10:00:00 AM","only three fields","x"\r\n`;
        else text += `"","a@contoso.com","r${i}@fabrikam.com","Failed","id-${i}"\r\n`;
      } else text += row(i, i % 10 === 0 ? 'Failed' : 'Delivered');
    }
    const { summary, events } = await readAll(utf8(text), {}, [4096]);
    expect(summary.rows).toBe(10_000);
    expect(summary.rejectedRows.count).toBe(100);
    expect(summary.rejectedRows.samples.map((s) => s.line)).toEqual(badLines.slice(0, 20));
    expect(events).toHaveLength(9_900);
    expect(summary.rejectedRows.samples.map((s) => s.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/unreadable date/),
        expect.stringMatching(/has 3 fields where the header has 5/),
        'no timestamp',
      ]),
    );
  });

  it('I28 counts every classified row exactly once: per-code and per-outcome sums match', async () => {
    const bytes = generated({ family: 'trace-detail', rows: 20_000, seed: 11 });
    const { summary, events } = await readAll(bytes);
    const byOutcome = Object.values(summary.events).reduce((a, b) => a + b, 0);
    expect(byOutcome).toBe(events.length);
    const withCode = events.filter((e) => e.code).length;
    expect(Object.values(summary.codes).reduce((a, b) => a + b, 0)).toBe(withCode);
    // Every failure or deferral lands in a category, never nowhere.
    for (const e of events) if (e.outcome !== 'delivered' && e.outcome !== 'other') expect(e.category).not.toBeNull();
  });
});
