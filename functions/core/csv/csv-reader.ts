import { CsvFormatError, InputError } from '../errors.ts';

/**
 * A streaming RFC 4180 reader over UTF-8 bytes (the hot loop, kept in one file for locality).
 *
 * - `push(chunk)` any number of times, then `end()`; rows come out through synchronous callbacks,
 *   identical however the input is split into chunks (an incomplete record is re-parsed from its
 *   start once more bytes arrive).
 * - Fields are located by byte offsets; a string is built only when a consumer calls `text(i)`,
 *   so columns nobody reads cost a scan and nothing more.
 * - Quoted fields are skipped with `indexOf('"')` (native memchr) rather than byte by byte.
 * - Preambles: a `#TYPE …` line (Windows PowerShell), on-premises `#Software/#Version/#Date`
 *   directives, and `#Fields:` (which *is* the header). Delimiter `,` `;` or tab is detected on the
 *   header line.
 */

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;

const F_QUOTED = 1;
const F_ESCAPED = 2; // contains doubled quotes
const F_MESSY = 4; // text after a closing quote: rebuilt by the slow path

export interface CsvReaderOptions {
  maxRecordBytes: number;
  maxColumns: number;
  /** Force a delimiter instead of detecting it on the header line. */
  delimiter?: ',' | ';' | '\t';
}

export interface CsvPreamble {
  /** The `#TYPE …` line Windows PowerShell writes first, if any. */
  typeLine: string | null;
  /** `#Software`, `#Version`, `#Log-type`, `#Date` … keyed by lower-case name. */
  directives: Record<string, string>;
  /** True when the header came from a `#Fields:` line (on-premises tracking logs). */
  fieldsDirective: boolean;
}

export interface HeaderInfo {
  cells: string[];
  delimiter: ',' | ';' | '\t';
  preamble: CsvPreamble;
  line: number;
}

/** One record. Valid only during the `onRecord` callback. */
export interface RecordView {
  readonly fieldCount: number;
  /** Physical line (1-based) where the record starts. */
  readonly line: number;
  /** Offset of the record's first byte in the UTF-8 text. */
  readonly byteOffset: number;
  /** The field's text, quotes undone and UTF-8 validated; '' past the last field. */
  text(index: number): string;
}

export interface CsvHandlers {
  onHeader(header: HeaderInfo): void;
  onRecord(record: RecordView): void;
}

export interface CsvEndInfo {
  headerSeen: boolean;
  records: number;
  /** Lines read, preamble included. */
  lines: number;
  /** Set when the text ends inside a quoted field: the line where that incomplete record starts. */
  unterminatedQuoteLine: number | null;
}

type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string };

const EMPTY = Buffer.alloc(0) as Utf8Buffer;

export class CsvReader implements RecordView {
  private readonly opts: CsvReaderOptions;
  private readonly handlers: CsvHandlers;
  private buf: Utf8Buffer = EMPTY;
  private pos = 0;
  private base = 0; // stream offset of buf[0]
  private lineNo = 1;
  private delim = -1;
  private phase: 'preamble' | 'data' = 'preamble';
  private readonly preamble: CsvPreamble = { typeLine: null, directives: {}, fieldsDirective: false };
  private nextLf = -1;
  private recordCount = 0;
  private unterminated: number | null = null;
  // The current record: field spans in `buf`.
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly flags: Uint8Array;
  private nFields = 0;
  private recLines = 0;
  private recStart = 0;
  fieldCount = 0;
  line = 0;
  byteOffset = 0;

  constructor(options: CsvReaderOptions, handlers: CsvHandlers) {
    this.opts = options;
    this.handlers = handlers;
    this.starts = new Int32Array(options.maxColumns + 1);
    this.ends = new Int32Array(options.maxColumns + 1);
    this.flags = new Uint8Array(options.maxColumns + 1);
    if (options.delimiter) this.delim = options.delimiter.charCodeAt(0);
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const rest = this.buf.length - this.pos;
    const incoming = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.buf = (rest === 0 ? incoming : Buffer.concat([this.buf.subarray(this.pos), incoming])) as Utf8Buffer;
    this.base += this.pos;
    this.pos = 0;
    this.nextLf = -1;
    this.parse(false);
  }

  end(): CsvEndInfo {
    this.parse(true);
    return {
      headerSeen: this.phase === 'data',
      records: this.recordCount,
      lines: this.lineNo - 1 + (this.pos < this.buf.length ? 1 : 0),
      unterminatedQuoteLine: this.unterminated,
    };
  }

  text(index: number): string {
    if (index >= this.nFields || index < 0) return '';
    const s = this.starts[index]!;
    const e = this.ends[index]!;
    const fl = this.flags[index]!;
    let str = fl & F_MESSY ? this.messyText(s, e) : this.buf.utf8Slice(s, e);
    if (str.includes('\uFFFD')) this.validateUtf8(s, e);
    if (fl & F_ESCAPED) str = str.replaceAll('""', '"');
    return str;
  }

  private parse(final: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    while (this.pos < len) {
      if (this.phase === 'preamble') {
        if (!this.preambleLine(final)) return;
        continue;
      }
      const next = this.parseRecord(this.pos, final);
      if (next < 0) {
        if (len - this.pos > this.opts.maxRecordBytes) this.tooLarge();
        if (final) this.unterminated = this.lineNo;
        return;
      }
      if (next - this.pos > this.opts.maxRecordBytes) this.tooLarge();
      this.emitRecord(next);
    }
  }

  private emitRecord(next: number): void {
    const start = this.pos;
    const line = this.lineNo;
    this.lineNo += this.recLines;
    this.pos = next;
    const buf = this.buf;
    // Blank lines (and rows of bare delimiters, which EAC downloads end with) are noise, and
    // on-premises logs concatenated together repeat their `#` preamble.
    if (this.starts[0] === this.ends[0] && this.isBlank()) return;
    if (this.preamble.fieldsDirective && buf[start] === HASH) return;
    this.fieldCount = this.nFields;
    this.line = line;
    this.byteOffset = this.base + start;
    this.recordCount++;
    this.handlers.onRecord(this);
  }

  /** Handles one line before the header. Returns false when more bytes are needed. */
  private preambleLine(final: boolean): boolean {
    const buf = this.buf;
    const start = this.pos;
    let eol = start;
    const len = buf.length;
    while (eol < len && buf[eol] !== LF && buf[eol] !== CR) eol++;
    if (eol === len && !final) {
      if (len - start > this.opts.maxRecordBytes) this.tooLarge();
      return false;
    }
    if (eol - start > this.opts.maxRecordBytes) this.tooLarge();
    const after = eol < len && buf[eol] === CR && eol + 1 < len && buf[eol + 1] === LF ? eol + 2 : Math.min(eol + 1, len);
    if (eol < len && buf[eol] === CR && eol + 1 === len && !final) return false; // CR or CRLF? need one more byte
    if (eol === start) {
      this.pos = after;
      this.lineNo++;
      return true;
    }
    if (buf[start] === HASH) {
      const text = this.buf.utf8Slice(start, eol);
      const m = /^#\s*([A-Za-z-]+)\s*:?\s*(.*)$/.exec(text);
      const key = m?.[1]?.toLowerCase() ?? '';
      if (key === 'fields') {
        this.preamble.fieldsDirective = true;
        this.delim = this.delim < 0 ? 0x2c : this.delim;
        let hs = start + text.indexOf(':') + 1;
        while (buf[hs] === 0x20) hs++;
        return this.header(hs, final);
      }
      if (key === 'type') this.preamble.typeLine = text;
      else if (m && key) this.preamble.directives[key] = m[2] ?? '';
      this.pos = after;
      this.lineNo++;
      return true;
    }
    if (this.delim < 0) this.delim = detectDelimiter(buf, start, eol);
    return this.header(start, final);
  }

  private header(start: number, final: boolean): boolean {
    const next = this.parseRecord(start, final);
    if (next < 0) {
      if (final) this.unterminated = this.lineNo;
      else if (this.buf.length - start > this.opts.maxRecordBytes) this.tooLarge();
      return false;
    }
    const cells: string[] = [];
    for (let i = 0; i < this.nFields; i++) cells.push(this.text(i));
    const line = this.lineNo;
    this.lineNo += this.recLines;
    this.pos = next;
    this.phase = 'data';
    this.handlers.onHeader({ cells, delimiter: String.fromCharCode(this.delim) as HeaderInfo['delimiter'], preamble: this.preamble, line });
    return true;
  }

  /**
   * Locates the fields of the record starting at `start`. Returns the offset after its line
   * terminator, or -1 when the record is not complete in the buffer yet.
   */
  private parseRecord(start: number, final: boolean): number {
    const buf = this.buf;
    const len = buf.length;
    const delim = this.delim;
    const maxCols = this.opts.maxColumns;
    const starts = this.starts;
    const ends = this.ends;
    const flags = this.flags;
    let lines = 0;
    let f = 0;
    let i = start;
    this.recStart = start;
    for (;;) {
      if (f >= maxCols) {
        throw new CsvFormatError('TOO_MANY_COLUMNS', `line ${this.lineNo} has more than ${maxCols} columns (the configured maximum)`, {
          line: this.lineNo,
          byteOffset: this.base + start,
        });
      }
      let c = i < len ? buf[i]! : -1;
      if (c === QUOTE) {
        const s = i + 1;
        let q = s;
        let fl = F_QUOTED;
        for (;;) {
          q = buf.indexOf(QUOTE, q);
          if (q < 0) return -1; // unclosed so far; at the end of input the caller reports it
          if (q + 1 < len) {
            if (buf[q + 1] === QUOTE) {
              fl |= F_ESCAPED;
              q += 2;
              continue;
            }
          } else if (!final) {
            return -1; // can't tell yet whether this quote is doubled
          }
          break;
        }
        // Count line feeds inside the quoted span for line numbers; nextLf only moves forward.
        if (this.nextLf < s) {
          this.nextLf = buf.indexOf(LF, s);
          if (this.nextLf < 0) this.nextLf = len;
        }
        while (this.nextLf < q) {
          lines++;
          this.nextLf = buf.indexOf(LF, this.nextLf + 1);
          if (this.nextLf < 0) this.nextLf = len;
        }
        i = q + 1;
        c = i < len ? buf[i]! : -1;
        if (c !== delim && c !== LF && c !== CR && c !== -1) {
          // Text after a closing quote ("ab"cd): keep it, as csv-parse's relax mode does.
          fl |= F_MESSY;
          while (i < len) {
            c = buf[i]!;
            if (c === delim || c === LF || c === CR) break;
            if (c === QUOTE) {
              const q2 = buf.indexOf(QUOTE, i + 1);
              if (q2 < 0) return -1;
              i = q2 + 1;
              continue;
            }
            i++;
          }
          if (i >= len) c = -1;
          starts[f] = s - 1;
          ends[f] = i;
        } else {
          starts[f] = s;
          ends[f] = q;
        }
        flags[f] = fl;
        f++;
      } else {
        const s = i;
        while (i < len) {
          c = buf[i]!;
          if (c === delim || c === LF || c === CR) break;
          i++;
        }
        if (i >= len) c = -1;
        starts[f] = s;
        ends[f] = i;
        flags[f] = 0;
        f++;
      }
      if (c === delim) {
        i++;
        continue;
      }
      if (c === LF) {
        if (this.nextLf === i) this.nextLf = -1;
        this.nFields = f;
        this.recLines = lines + 1;
        return i + 1;
      }
      if (c === CR) {
        if (i + 1 < len) {
          this.nFields = f;
          this.recLines = lines + 1;
          if (buf[i + 1] === LF) {
            if (this.nextLf === i + 1) this.nextLf = -1;
            return i + 2;
          }
          return i + 1;
        }
        if (!final) return -1;
        this.nFields = f;
        this.recLines = lines + 1;
        return i + 1;
      }
      // End of buffer without a terminator.
      if (!final) return -1;
      this.nFields = f;
      this.recLines = lines + 1;
      return len;
    }
  }

  private isBlank(): boolean {
    for (let i = 0; i < this.nFields; i++) if (this.starts[i] !== this.ends[i] || this.flags[i]! & F_QUOTED) return false;
    return true;
  }

  private messyText(s: number, e: number): string {
    // Raw span starts at the opening quote: undo quoting segment by segment.
    const raw = this.buf.utf8Slice(s, e);
    let out = '';
    let inQuotes = false;
    for (let k = 0; k < raw.length; k++) {
      const ch = raw[k]!;
      if (ch === '"') {
        if (inQuotes && raw[k + 1] === '"') {
          out += '"';
          k++;
        } else inQuotes = !inQuotes;
      } else out += ch;
    }
    return out;
  }

  private validateUtf8(s: number, e: number): void {
    const bad = firstInvalidUtf8(this.buf, s, e);
    if (bad >= 0) {
      throw new InputError(
        'INVALID_UTF8',
        `invalid UTF-8 at byte ${this.base + bad} (line ${this.line || this.lineNo}): the file is not UTF-8 or UTF-16; re-export it with -Encoding UTF8 or Unicode`,
        {
          byteOffset: this.base + bad,
          line: this.line || this.lineNo,
        },
      );
    }
  }

  private tooLarge(): never {
    const inQuote = this.buf[this.pos] === QUOTE || this.buf.indexOf(QUOTE, this.pos) >= 0;
    throw new CsvFormatError(
      'RECORD_TOO_LARGE',
      `the record starting at line ${this.lineNo} is longer than ${this.opts.maxRecordBytes} bytes (the configured maximum)${inQuote ? '; a quote may never be closed' : ''}`,
      { line: this.lineNo, byteOffset: this.base + this.pos },
    );
  }
}

/** Counts `,` `;` and tab outside quotes on the header line; the most frequent wins (ties: comma). */
function detectDelimiter(buf: Uint8Array, start: number, end: number): number {
  let comma = 0;
  let semi = 0;
  let tab = 0;
  let inQ = false;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === QUOTE) inQ = !inQ;
    else if (!inQ) {
      if (c === 0x2c) comma++;
      else if (c === 0x3b) semi++;
      else if (c === 0x09) tab++;
    }
  }
  if (tab > comma && tab > semi) return 0x09;
  if (semi > comma) return 0x3b;
  return 0x2c;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence in [s, e), or -1. */
export function firstInvalidUtf8(b: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= e) return i; // sequence cut short by the end of the field
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k]!;
      if ((cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
