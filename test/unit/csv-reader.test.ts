import { describe, expect, it } from 'vitest';
import { parseCsv } from '../helpers/csv.ts';
import { utf8 } from '../helpers/bytes.ts';
import { CsvFormatError } from '../../functions/core/errors.ts';

const fields = (text: string, sizes?: number[]) => parseCsv(utf8(text), sizes).rows.map((r) => r.fields);

describe('CsvReader', () => {
  it('reads RFC 4180: quoted commas, doubled quotes, newlines inside quotes', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","line1\r\nline2"\r\nplain,,"" \r\n';
    expect(fields(text)).toEqual([
      ['x, y', 'say "hi"', 'line1\r\nline2'],
      ['plain', '', ' '],
    ]);
  });

  // Only a status text's head is decoded (a 1 MiB field is never materialised whole for classification).
  it('decodes only the head of a field when asked, cut at a character boundary, whatever its quoting', () => {
    const head = (text: string, headBytes: number) => parseCsv(utf8(text), undefined, { headBytes }).rows.map((r) => r.fields);
    expect(head('a,b\nabcdef,xy\n', 4)).toEqual([['abcd', 'xy']]);
    // "ä" is two bytes: a cut inside it backs off to the character before
    expect(head('a\nxäy\n', 2)).toEqual([['x']]);
    expect(head('a\n"say ""hi"" there"\n', 7)).toEqual([['say "h']]);
    // text after a closing quote (the messy path), cut before the closing quote and after it
    expect(head('a,b\n"ab"cd,z\n', 2)).toEqual([['a', 'z']]);
    expect(head('a,b\n"ab"cd,z\n', 5)).toEqual([['abc', 'z']]);
    expect(head('a,b\n"ab"cd,z\n', 100)).toEqual([['abcd', 'z']]);
  });

  it('accepts CRLF, LF and CR line endings alike', () => {
    const rows = ['h1,h2', '1,2', '"3\n3",4'];
    const lf = fields(rows.join('\n') + '\n');
    expect(fields(rows.join('\r\n') + '\r\n')).toEqual(lf);
    expect(fields(rows.join('\r') + '\r')).toEqual(lf);
    expect(lf).toEqual([
      ['1', '2'],
      ['3\n3', '4'],
    ]);
  });

  it('detects comma, semicolon and tab from the header line', () => {
    expect(parseCsv(utf8('a;b;"c,d"\n1;2;3\n')).header?.delimiter).toBe(';');
    expect(parseCsv(utf8('a\tb\tc\n1\t2\t3\n')).header?.delimiter).toBe('\t');
    expect(parseCsv(utf8('"a;x",b,c\n1,2,3\n')).header?.delimiter).toBe(',');
    expect(fields('a;b\n"1;1";2\n')).toEqual([['1;1', '2']]);
  });

  it('skips a #TYPE line and reads on-premises #Fields preambles', () => {
    const ps = parseCsv(
      utf8(
        '#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n"Received","Status"\r\n"1/2/2026 1:00:00 AM","Delivered"\r\n',
      ),
    );
    expect(ps.header?.cells).toEqual(['Received', 'Status']);
    expect(ps.header?.preamble.typeLine).toMatch(/^#TYPE Deserialized/);
    expect(ps.rows[0]).toEqual({ line: 3, fields: ['1/2/2026 1:00:00 AM', 'Delivered'] });

    const log = parseCsv(
      utf8(
        '#Software: Microsoft Exchange Server\r\n#Version: 15.02.1118.007\r\n#Log-type: Message Tracking Log\r\n#Date: 2026-11-20T00:00:00.000Z\r\n#Fields: date-time,event-id\r\n2026-11-20T00:00:01.000Z,RECEIVE\r\n#Software: Microsoft Exchange Server\r\n2026-11-20T00:00:02.000Z,DELIVER\r\n',
      ),
    );
    expect(log.header?.cells).toEqual(['date-time', 'event-id']);
    expect(log.header?.preamble.fieldsDirective).toBe(true);
    expect(log.header?.preamble.directives.version).toBe('15.02.1118.007');
    expect(log.rows.map((r) => r.fields[1])).toEqual(['RECEIVE', 'DELIVER']);
    expect(log.rows.map((r) => r.line)).toEqual([6, 8]);
  });

  it('numbers lines physically, counting newlines inside quoted fields', () => {
    const p = parseCsv(utf8('h1,h2\n"a\nb\nc",1\n\nx,2\n'), [3]);
    expect(p.rows.map((r) => r.line)).toEqual([2, 6]);
  });

  it('keeps text after a closing quote as is, quotes included, as Python csv does: a stray quote never opens a new span', () => {
    expect(fields('a,b\n"ab"cd,2\n')).toEqual([['abcd', '2']]);
    expect(fields('a,b\n"ab"cd"ef",2\n"x",3\n')).toEqual([
      ['abcd"ef"', '2'],
      ['x', '3'],
    ]);
    expect(fields('a,b\n"a""""b"x,2\n')).toEqual([['a""bx', '2']]);
  });

  it('counts a lone CR inside a quoted field as a line break, as it is outside quotes', () => {
    const p = parseCsv(utf8('h1,h2\n"a\rb\r\nc",1\nx,2\n'), [2]);
    expect(p.rows.map((r) => r.line)).toEqual([2, 5]);
  });

  it('gives identical rows for every chunk size', () => {
    const text = '#TYPE x\r\n"a","b","c"\r\n"1,1","2""2","3\r\n3"\r\n4,5,6\r\n"",,"z"';
    const whole = fields(text);
    for (let size = 1; size <= text.length; size++) expect(fields(text, [size])).toEqual(whole);
  });

  it('reports a file that ends inside a quoted field, with the line', () => {
    const p = parseCsv(utf8('a,b\n1,2\n3,"unclosed\nmore'));
    expect(p.rows.map((r) => r.fields)).toEqual([['1', '2']]);
    expect(p.end.unterminatedQuoteLine).toBe(3);
  });

  it('skips a record larger than the cap (its first line) as a bad record, and reads on, for any chunking', () => {
    const text = 'a,b\n1,2\n"' + 'x'.repeat(5000) + '\n3,4\n5,6\n';
    for (const size of [7, 512, 1 << 16]) {
      const p = parseCsv(utf8(text), [size], { maxRecordBytes: 1024 });
      expect(p.rows.map((r) => [r.line, ...r.fields])).toEqual([
        [2, '1', '2'],
        [4, '3', '4'],
        [5, '5', '6'],
      ]);
      expect(p.bad).toEqual([expect.objectContaining({ code: 'RECORD_TOO_LARGE', line: 3, byteOffset: 8 })]);
    }
  });

  it('still rejects a header larger than the cap, for the file', () => {
    expect(() => parseCsv(utf8('a'.repeat(5000) + '\n1\n'), [512], { maxRecordBytes: 1024 })).toThrow(CsvFormatError);
    expect(() => parseCsv(utf8('a'.repeat(5000) + '\n1\n'), [512], { maxRecordBytes: 1024 })).toThrow(
      expect.objectContaining({ code: 'RECORD_TOO_LARGE', line: 1 }),
    );
  });

  it('skips a row with more columns than the cap as a bad record, and reads on', () => {
    const p = parseCsv(utf8('a,b\n' + ','.repeat(100) + '\n1,2\n'), undefined, { maxColumns: 64 });
    expect(p.rows.map((r) => r.fields)).toEqual([['1', '2']]);
    expect(p.bad).toEqual([expect.objectContaining({ code: 'TOO_MANY_COLUMNS', line: 2 })]);
    expect(() => parseCsv(utf8(','.repeat(100) + '\n1,2\n'), undefined, { maxColumns: 64 })).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_COLUMNS', line: 1 }),
    );
  });
});
