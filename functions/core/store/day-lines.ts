import { StoredDataError } from './records.ts';

/**
 * The text of a day object: one JSON record per line, one line per hour, in hour order. A writer
 * parses only the hours it changes and copies the others through as text, so updating one hour
 * of a busy day (24 lines of up to a megabyte each) does not decode the other 23.
 */
export class DayLines {
  private readonly lines = new Map<string, string>();

  /** The lines of a stored day object (none when there is none yet) by their hour (the record's `hour` field, the first one in each line). */
  static of(body: Uint8Array | undefined, key: string): DayLines {
    const out = new DayLines();
    if (!body) return out;
    let lineNo = 0;
    for (const line of Buffer.from(body).toString('utf8').split('\n')) {
      lineNo++;
      if (line === '') continue;
      const hour = HOUR_FIELD.exec(line.slice(0, HEAD))?.[1];
      if (!hour) throw new StoredDataError(key, `line ${lineNo}: expected a JSON record of one hour (with "hour" near its start)`);
      out.lines.set(hour, line);
    }
    return out;
  }

  get(hour: string): string | undefined {
    return this.lines.get(hour);
  }

  set(hour: string, line: string): void {
    this.lines.set(hour, line);
  }

  entries(): Array<[string, string]> {
    return [...this.lines.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  toBytes(): Buffer {
    return Buffer.from(
      this.entries()
        .map(([, line]) => `${line}\n`)
        .join(''),
    );
  }
}

/** Records are written with `schema`, `tenant`, then `hour` first: the hour is within the first bytes. */
const HEAD = 200;
const HOUR_FIELD = /"hour":"([0-9T:Z-]{20})"/;

/** The number in `"<field>":N` among a line's first fields (a record's version), or null. */
export function headNumber(line: string, field: string): number | null {
  const m = new RegExp(`"${field}":(\\d+)`).exec(line.slice(0, HEAD));
  return m ? Number(m[1]) : null;
}
