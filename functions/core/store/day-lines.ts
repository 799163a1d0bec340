import { StoredDataError } from './records.ts';

/**
 * The text of a day object: one JSON record per line, one line per hour, in hour order; a summary
 * day object starts with one more, its day line (the hours merged, `"day"` where the others have
 * `"hour"`). A writer parses only the hours it changes and copies the others through as text, so
 * updating one hour of a busy day (24 lines of up to a megabyte each) does not decode the other 23.
 */
export class DayLines {
  /** Lines as read stay bytes (views into the object read) until someone asks for their text. */
  private readonly lines = new Map<string, Uint8Array | string>();
  private dayLine: string | undefined;

  /** The lines of a stored day object (none when there is none yet) by their hour (the record's `hour` field, the first one in each line). */
  static of(body: Uint8Array | undefined, key: string): DayLines {
    const out = new DayLines();
    if (!body) return out;
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    let lineNo = 0;
    for (let start = 0; start < bytes.length;) {
      let end = bytes.indexOf(10, start);
      if (end < 0) end = bytes.length;
      lineNo++;
      if (end > start) {
        // The head only, to find the hour: a busy day's lines are hundreds of KB each.
        const head = bytes.toString('utf8', start, Math.min(end, start + HEAD));
        const hour = HOUR_FIELD.exec(head)?.[1];
        if (hour) out.lines.set(hour, bytes.subarray(start, end));
        else if (lineNo === 1 && DAY_FIELD.test(head)) out.dayLine = bytes.toString('utf8', start, end);
        else throw new StoredDataError(key, `line ${lineNo}: expected a JSON record of one hour (with "hour" near its start)`);
      }
      start = end + 1;
    }
    return out;
  }

  get(hour: string): string | undefined {
    return text(this.lines.get(hour));
  }

  set(hour: string, line: string): void {
    this.lines.set(hour, line);
  }

  private sortedHours(): string[] {
    return [...this.lines.keys()].sort();
  }

  /** The hour lines, in hour order (not the day line). */
  entries(): Array<[string, string]> {
    return this.sortedHours().map((h) => [h, text(this.lines.get(h))!]);
  }

  get day(): string | undefined {
    return this.dayLine;
  }

  set day(line: string | undefined) {
    this.dayLine = line;
  }

  /**
   * The day line first, so a reader that wants only it decodes one line (dayLineOf). Written into
   * one buffer of the object's size: lines that were not changed are copied as bytes, never decoded.
   */
  toBytes(): Buffer {
    const parts: Array<Uint8Array | string> = [];
    if (this.dayLine !== undefined) parts.push(this.dayLine);
    for (const h of this.sortedHours()) parts.push(this.lines.get(h)!);
    let size = 0;
    for (const p of parts) size += (typeof p === 'string' ? Buffer.byteLength(p) : p.length) + 1;
    const out = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (const p of parts) {
      if (typeof p === 'string') at += out.write(p, at);
      else at += (out.set(p, at), p.length);
      out[at++] = 10;
    }
    return out;
  }
}

function text(line: Uint8Array | string | undefined): string | undefined {
  return line === undefined || typeof line === 'string' ? line : Buffer.from(line.buffer, line.byteOffset, line.length).toString('utf8');
}

/**
 * A day object's day line, decoding nothing else; undefined when it has none, or when `body` is
 * only the object's start (`whole` false) and the line does not end in it.
 */
export function dayLineOf(body: Uint8Array, whole: boolean): string | undefined {
  const end = body.indexOf(10);
  if (end < 0 && !whole) return undefined;
  const first = Buffer.from(body.buffer, body.byteOffset, end < 0 ? body.length : end).toString('utf8');
  const head = first.slice(0, HEAD);
  return DAY_FIELD.test(head) && !HOUR_FIELD.test(head) ? first : undefined;
}

/** Records are written with `schema`, `tenant`, then `hour` (or `day`) first: it is within the first bytes. */
const HEAD = 200;
const HOUR_FIELD = /"hour":"([0-9T:Z-]{20})"/;
const DAY_FIELD = /"day":"\d{4}-\d{2}-\d{2}"/;

/** The number in `"<field>":N` among a line's first fields (a record's version), or null. */
export function headNumber(line: string, field: string): number | null {
  const m = new RegExp(`"${field}":(\\d+)`).exec(line.slice(0, HEAD));
  return m ? Number(m[1]) : null;
}
