import { CsvFormatError, InputError } from '../errors.ts';
import { decodeWindows1252 } from '../input/windows-1252.ts';

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
const F_MESSY = 4; // text after a closing quote: rebuilt by the slow path (unquoteMessy)

export interface CsvReaderOptions {
  maxRecordBytes: number;
  maxColumns: number;
  /** Force a delimiter instead of detecting it on the header line. */
  delimiter?: ',' | ';' | '\t';
  /** The bytes were transcoded from UTF-16: bytes that are not UTF-8 mark an unpaired surrogate. */
  fromUtf16?: boolean;
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
  /** Physical lines the record spans (more than 1 when a quoted field holds line breaks). */
  readonly lineCount: number;
  /** Offset of the record's first byte in the UTF-8 text. */
  readonly byteOffset: number;
  /**
   * The field's text, quotes undone; bytes that are not UTF-8 read as Windows-1252 (see notUtf8); '' past the last field.
   * With `maxBytes`, only the field's first bytes are decoded (cut at a character boundary): a long
   * field is never materialised whole when only its head is read.
   */
  text(index: number, maxBytes?: number): string;
  /** The field's length in bytes as written (a doubled quote counts twice): an upper bound of its text's, known before decoding. */
  byteLength(index: number): number;
}

/** A CSV record's fields as bytes, for readers that need no strings (formats/quick-detail.ts). */
export interface RecordBytes extends RecordView {
  /**
   * The field's bytes (`bytes[fieldStart(i) … fieldEnd(i))`) when they are its text as written:
   * no doubled quote or text after a closing quote to undo (`plain`). `bytes` is the reader's
   * buffer, valid during the callback only.
   */
  readonly bytes: Uint8Array;
  plain(index: number): boolean;
  fieldStart(index: number): number;
  fieldEnd(index: number): number;
}

/** ASCII bytes of a record's buffer (RecordBytes.bytes, a Buffer) as a string. */
export function asciiText(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? '' : (bytes as Uint8Array & { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);
}

/** A data record that was skipped because it breaks a per-record limit; reading goes on after it. */
export interface BadRecord {
  code: 'RECORD_TOO_LARGE' | 'TOO_MANY_COLUMNS';
  /** Physical line (1-based) where the record starts. */
  line: number;
  byteOffset: number;
  message: string;
}

export interface CsvHandlers {
  onHeader(header: HeaderInfo): void;
  onRecord(record: RecordBytes): void;
  onBadRecord(bad: BadRecord): void;
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

export class CsvReader implements RecordBytes {
  private readonly opts: CsvReaderOptions;
  private readonly handlers: CsvHandlers;
  private buf: Utf8Buffer = EMPTY;
  /** Where a record cut by a chunk's end is joined with the next chunk (see joined). */
  private own: Buffer = EMPTY;
  private pos = 0;
  private base = 0; // stream offset of buf[0]
  private lineNo = 1;
  private delim = -1;
  private phase: 'preamble' | 'data' = 'preamble';
  private readonly preamble: CsvPreamble = { typeLine: null, directives: {}, fieldsDirective: false };
  private nextLf = -1;
  private nextCr = -1;
  private recordCount = 0;
  private unterminated: number | null = null;
  // The current record: field spans in `buf`.
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly flags: Uint8Array;
  private nFields = 0;
  private recLines = 0;
  private wide = false; // the current record has more fields than maxColumns
  // Set while the rest of an oversized record's first line is discarded.
  private skipping: { line: number; byteOffset: number } | null = null;
  /** Fields read as Windows-1252 because they were not UTF-8, and the line of the first. */
  readonly legacy: { fields: number; firstLine: number | null } = { fields: 0, firstLine: null };
  fieldCount = 0;
  line = 0;
  lineCount = 0;
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
    this.buf = (rest === 0 ? incoming : this.joined(rest, incoming)) as Utf8Buffer;
    this.base += this.pos;
    this.pos = 0;
    this.nextLf = -1;
    this.nextCr = -1;
    this.parse(false);
  }

  /**
   * The unparsed rest of the buffer followed by `incoming`, in a buffer of the reader's own that is
   * reused chunk after chunk: a new buffer per chunk (nearly every chunk ends inside a record) was
   * the size of the file in garbage, freed only when the collector got round to it.
   */
  private joined(rest: number, incoming: Buffer): Buffer {
    const need = rest + incoming.length;
    if (this.own.length < need) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.own.length));
      this.buf.copy(grown, 0, this.pos);
      this.own = grown;
    } else this.buf.copy(this.own, 0, this.pos); // the rest may lie in `own` itself: copy handles the overlap
    incoming.copy(this.own, rest);
    return this.own.subarray(0, need);
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

  text(index: number, maxBytes?: number): string {
    if (index >= this.nFields || index < 0) return '';
    const s = this.starts[index]!;
    let e = this.ends[index]!;
    if (maxBytes !== undefined && e - s > maxBytes) {
      e = s + maxBytes;
      while (e > s && (this.buf[e]! & 0xc0) === 0x80) e--; // not inside a UTF-8 sequence
    }
    const fl = this.flags[index]!;
    let str = this.buf.utf8Slice(s, e);
    if (str.includes('\uFFFD')) str = this.notUtf8(str, s, e);
    if (fl & F_MESSY) return unquoteMessy(str);
    return fl & F_ESCAPED ? str.replaceAll('""', '"') : str;
  }

  byteLength(index: number): number {
    return index >= this.nFields || index < 0 ? 0 : this.ends[index]! - this.starts[index]!;
  }

  get bytes(): Uint8Array {
    return this.buf;
  }

  plain(index: number): boolean {
    return index < this.nFields && index >= 0 && (this.flags[index]! & (F_ESCAPED | F_MESSY)) === 0;
  }

  fieldStart(index: number): number {
    return this.starts[index]!;
  }

  fieldEnd(index: number): number {
    return this.ends[index]!;
  }

  /**
   * Bytes that are not UTF-8 in a field someone reads: from UTF-16, a broken surrogate (the row is
   * rejected); otherwise the field is Windows-1252, as Excel saves "CSV" (counted, for the summary).
   * A real U+FFFD in valid UTF-8 stays as it is.
   */
  private notUtf8(str: string, s: number, e: number): string {
    const bad = firstInvalidUtf8(this.buf, s, e);
    if (bad < 0) return str;
    const line = this.line || this.lineNo;
    if (this.opts.fromUtf16) {
      throw new InputError('INVALID_UTF16', `an unpaired UTF-16 surrogate (half of a character) on line ${line}`, {
        byteOffset: this.base + bad,
        line,
      });
    }
    this.legacy.fields++;
    this.legacy.firstLine ??= line;
    return decodeWindows1252(this.buf, s, e);
  }

  private parse(final: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    while (this.pos < len) {
      if (this.phase === 'preamble') {
        if (!this.preambleLine(final)) return;
        continue;
      }
      if (this.skipping) {
        if (!this.skipLine(final)) return;
        continue;
      }
      const next = this.parseRecord(this.pos, final);
      // Too large, whether it is complete yet or not (the same rule either way, so chunking cannot
      // change the outcome): the record costs its first line and reading resumes on the next one.
      // A giant field is rarer than a stray opening quote, whose record would run to the next quote.
      if ((next < 0 ? len : next) - this.pos > this.opts.maxRecordBytes) {
        this.skipping = { line: this.lineNo, byteOffset: this.base + this.pos };
        continue;
      }
      if (next < 0) {
        if (final) this.unterminated = this.lineNo;
        return;
      }
      if (this.wide) {
        const line = this.lineNo;
        const byteOffset = this.base + this.pos;
        this.lineNo += this.recLines;
        this.pos = next;
        this.recordCount++;
        const message = `more than ${this.opts.maxColumns} columns (the configured maximum)`;
        this.handlers.onBadRecord({ code: 'TOO_MANY_COLUMNS', line, byteOffset, message });
        continue;
      }
      this.emitRecord(next);
    }
  }

  /** Discards up to the end of the physical line an oversized record starts on. False when more bytes are needed. */
  private skipLine(final: boolean): boolean {
    const buf = this.buf;
    const len = buf.length;
    let eol = this.pos;
    const lf = buf.indexOf(LF, eol);
    const cr = buf.indexOf(CR, eol);
    eol = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
    if (eol < 0) {
      this.pos = len;
      if (!final) return false;
    } else if (buf[eol] === CR && eol + 1 === len && !final) {
      this.pos = eol; // CR or CRLF? one more byte tells
      return false;
    } else {
      this.pos = buf[eol] === CR && buf[eol + 1] === LF ? eol + 2 : eol + 1;
    }
    const { line, byteOffset } = this.skipping!;
    this.skipping = null;
    this.lineNo++;
    this.recordCount++;
    // The message must not depend on how much of the record was buffered when the cap was met.
    const max = this.opts.maxRecordBytes;
    const message = `a record longer than ${max} bytes (the configured maximum; or a quote that is never closed): its first line was skipped`;
    this.handlers.onBadRecord({ code: 'RECORD_TOO_LARGE', line, byteOffset, message });
    return true;
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
    this.lineCount = this.recLines;
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
    if (this.wide) {
      const { maxColumns } = this.opts;
      throw new CsvFormatError(
        'TOO_MANY_COLUMNS',
        `the header on line ${this.lineNo} has more than ${maxColumns} columns (the configured maximum)`,
        {
          line: this.lineNo,
          byteOffset: this.base + start,
        },
      );
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
    this.wide = false;
    for (;;) {
      if (f >= maxCols) {
        // Keep scanning to find where the record ends; its extra fields share the spare slot.
        this.wide = true;
        f = maxCols;
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
        // Count line breaks inside the quoted span for physical line numbers: LF, and a CR not
        // followed by LF (a line end too, as outside quotes). nextLf and nextCr only move forward.
        if (this.nextLf < s) {
          this.nextLf = buf.indexOf(LF, s);
          if (this.nextLf < 0) this.nextLf = len;
        }
        while (this.nextLf < q) {
          lines++;
          this.nextLf = buf.indexOf(LF, this.nextLf + 1);
          if (this.nextLf < 0) this.nextLf = len;
        }
        if (this.nextCr < s) {
          this.nextCr = buf.indexOf(CR, s);
          if (this.nextCr < 0) this.nextCr = len;
        }
        while (this.nextCr < q) {
          if (buf[this.nextCr + 1] !== LF) lines++;
          this.nextCr = buf.indexOf(CR, this.nextCr + 1);
          if (this.nextCr < 0) this.nextCr = len;
        }
        i = q + 1;
        c = i < len ? buf[i]! : -1;
        if (c !== delim && c !== LF && c !== CR && c !== -1) {
          // Text after a closing quote ("ab"cd"e): kept, quotes and all, up to the next delimiter or
          // line end, as Python's csv module reads it. Treating a quote there as a new quoted span
          // instead lets one stray quote pair up with the next field's and swallow the rows between.
          fl |= F_MESSY;
          while (i < len) {
            c = buf[i]!;
            if (c === delim || c === LF || c === CR) break;
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

  private tooLarge(): never {
    const inQuote = this.buf[this.pos] === QUOTE || this.buf.indexOf(QUOTE, this.pos) >= 0;
    throw new CsvFormatError(
      'RECORD_TOO_LARGE',
      `the record starting at line ${this.lineNo} is longer than ${this.opts.maxRecordBytes} bytes (the configured maximum)${inQuote ? '; a quote may never be closed' : ''}`,
      { line: this.lineNo, byteOffset: this.base + this.pos },
    );
  }
}

/** A field that starts with a quote and has text after its closing quote: the quoted part undone, the rest kept as is. */
function unquoteMessy(raw: string): string {
  let out = '';
  let k = 1;
  for (;;) {
    const q = raw.indexOf('"', k);
    if (q < 0) return out + raw.slice(k); // a head cut before the closing quote (text(i, maxBytes))
    if (raw[q + 1] === '"') {
      out += raw.slice(k, q + 1);
      k = q + 2;
      continue;
    }
    return out + raw.slice(k, q) + raw.slice(q + 1);
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
