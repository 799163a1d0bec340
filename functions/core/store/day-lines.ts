import { StoredDataError } from './records.ts';

/**
 * The text of a day object: one JSON record per line, one line per hour, in hour order; a summary
 * day object starts with one more, its day line (the hours merged, `"day"` where the others have
 * `"hour"`). A writer parses only the hours it changes and copies the others through as text, so
 * updating one hour of a busy day (24 lines of up to a megabyte each) does not decode the other 23.
 */
export class DayLines {
  private readonly lines = new Map<string, string>();
  private dayLine: string | undefined;

  /** The lines of a stored day object (none when there is none yet) by their hour (the record's `hour` field, the first one in each line). */
  static of(body: Uint8Array | undefined, key: string): DayLines {
    const out = new DayLines();
    if (!body) return out;
    let lineNo = 0;
    for (const line of Buffer.from(body).toString('utf8').split('\n')) {
      lineNo++;
      if (line === '') continue;
      const head = line.slice(0, HEAD);
      const hour = HOUR_FIELD.exec(head)?.[1];
      if (hour) out.lines.set(hour, line);
      else if (lineNo === 1 && DAY_FIELD.test(head)) out.dayLine = line;
      else throw new StoredDataError(key, `line ${lineNo}: expected a JSON record of one hour (with "hour" near its start)`);
    }
    return out;
  }

  get(hour: string): string | undefined {
    return this.lines.get(hour);
  }

  set(hour: string, line: string): void {
    this.lines.set(hour, line);
  }

  /** The hour lines, in hour order (not the day line). */
  entries(): Array<[string, string]> {
    return [...this.lines.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get day(): string | undefined {
    return this.dayLine;
  }

  set day(line: string | undefined) {
    this.dayLine = line;
  }

  /** The day line first, so a reader that wants only it decodes one line (dayLineOf). */
  toBytes(): Buffer {
    return Buffer.from(
      (this.dayLine === undefined ? '' : `${this.dayLine}\n`) +
        this.entries()
          .map(([, line]) => `${line}\n`)
          .join(''),
    );
  }
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
