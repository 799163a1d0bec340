import type { ObjectStore } from '../ports.ts';
import { isoDay } from '../vocabulary/time.ts';
import { casUpdateBytes, type CasOptions } from './cas.ts';
import { parseSummaryDayKey, summaryMonthKey, summaryPrefix } from './layout.ts';
import { dayLineOf } from './day-lines.ts';
import { forEachKey, StoredDataError } from './records.ts';

/**
 * A month's day lines in one object, so a view of 30 days of 50 tenants reads ~100 objects instead
 * of 1,500 day objects' heads (on S3, each a round trip). The object is a copy, never the truth:
 * each day's line carries the ETag of the summary object it was copied from, and a reader uses it
 * only when the listing it already made shows that same ETag. Any other day (copied before a later
 * write, written by a path that does not copy, or from before months were kept) is read from its
 * own object as before. So a crash between the two writes, or a lost race, costs reads, never a
 * wrong count.
 *
 * One line per day, in day order: `{"day":"2026-06-01","etag":"…","summary":<the day line>}`.
 */
export interface MonthDay {
  /** `2026-06-01`. */
  day: string;
  /** The summary object's ETag when `line` was its day line. */
  etag: string;
  /** The day line's text (a JSON object). */
  line: string;
}

/**
 * The longest day line a month copies (its text). A tenant of thousands of destinations has day
 * lines of megabytes: 31 of them would make a month object every part of every upload rewrites and
 * every view reads whole. Such a day is left out (and any older copy of it dropped), and read from
 * its own object as before.
 */
export const MAX_COPIED_LINE = 256 * 1024;

/** Writes the days' lines into their months' objects: one compare-and-swap per month. */
export async function recordMonthDays(store: ObjectStore, tenant: string, days: readonly MonthDay[], cas: CasOptions): Promise<void> {
  const byMonth = new Map<string, MonthDay[]>();
  for (const d of days) {
    const key = summaryMonthKey(tenant, Date.parse(`${d.day}T00:00:00Z`));
    const list = byMonth.get(key);
    if (list) list.push(d);
    else byMonth.set(key, [d]);
  }
  await Promise.all(
    [...byMonth].map(([key, list]) =>
      casUpdateBytes(
        store,
        key,
        (current) => {
          const lines = current ? monthLines(current.body, key) : new Map<string, string>();
          let changed = false;
          for (const d of list) {
            if (d.line.length > MAX_COPIED_LINE) {
              changed = lines.delete(d.day) || changed;
              continue;
            }
            const text = `{"day":${JSON.stringify(d.day)},"etag":${JSON.stringify(d.etag)},"summary":${d.line}}`;
            if (lines.get(d.day) === text) continue;
            lines.set(d.day, text);
            changed = true;
          }
          if (!changed) return null;
          const sorted = [...lines.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
          return Buffer.from(sorted.map(([, t]) => t + '\n').join(''));
        },
        cas,
      ),
    ),
  );
}

/**
 * Copies the day lines of all of a tenant's summary objects into their months: for days stored
 * before months were kept (which are otherwise read one by one until an upload writes them again).
 * Returns the days copied. Safe at any time: a copy is used only for the ETag it was made from.
 */
export async function copyDayLines(store: ObjectStore, tenant: string, cas: CasOptions): Promise<number> {
  // Month by month, so that only one month's day lines are held (years of a busy tenant would not fit).
  const byMonth = new Map<string, string[]>();
  for await (const o of store.list(summaryPrefix(tenant))) {
    const k = parseSummaryDayKey(o.key);
    if (k?.tenant !== tenant) continue;
    const month = summaryMonthKey(tenant, k.day);
    const keys = byMonth.get(month);
    if (keys) keys.push(o.key);
    else byMonth.set(month, [o.key]);
  }
  let copied = 0;
  for (const keys of byMonth.values()) {
    const days: MonthDay[] = [];
    await forEachKey(
      keys,
      async (key) => {
        // The whole object: its ETag and its day line from the same read.
        const o = await store.get(key);
        const line = o && dayLineOf(o.body, true);
        if (o && line) days.push({ day: isoDay(parseSummaryDayKey(key)!.day), etag: o.etag, line });
      },
      16,
    );
    await recordMonthDays(store, tenant, days, cas);
    copied += days.filter((d) => d.line.length <= MAX_COPIED_LINE).length;
  }
  return copied;
}

/** The days of a month object: day → its line's text (parsed only for its day). */
function monthLines(body: Uint8Array, key: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [n, text] of Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8').split('\n').entries()) {
    if (text === '') continue;
    const day = DAY_FIELD.exec(text)?.[1];
    if (!day) throw new StoredDataError(key, `line ${n + 1}: expected a day of a month ({"day":"yyyy-mm-dd",…})`);
    out.set(day, text);
  }
  return out;
}

const DAY_FIELD = /^\{"day":"(\d{4}-\d{2}-\d{2})"/;

/**
 * The month objects a reader needs, each read once however many of its days are asked for: the
 * day line of `day` if the month holds it for exactly `etag`, else undefined (read the day's own object).
 */
export class MonthReader {
  private readonly months = new Map<string, Promise<Map<string, { etag: string; line: string }>>>();
  private readonly store: ObjectStore;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  /** The day line's text and the month object's key (for errors), or undefined. */
  async dayLine(tenant: string, day: number, etag: string): Promise<{ line: string; key: string } | undefined> {
    if (!etag) return undefined;
    const key = summaryMonthKey(tenant, day);
    let month = this.months.get(key);
    if (!month) this.months.set(key, (month = this.read(key)));
    const found = (await month).get(isoDay(day));
    return found && sameEtag(found.etag, etag) ? { line: found.line, key } : undefined;
  }

  private async read(key: string): Promise<Map<string, { etag: string; line: string }>> {
    const out = new Map<string, { etag: string; line: string }>();
    const o = await this.store.get(key);
    if (!o) return out;
    for (const [day, text] of monthLines(o.body, key)) {
      const head = HEAD.exec(text);
      if (!head || !text.endsWith('}')) throw new StoredDataError(key, `the line of ${day} must be {"day":…,"etag":"…","summary":{…}}`);
      out.set(day, { etag: JSON.parse(head[1]!) as string, line: text.slice(head[0].length, -1) });
    }
    return out;
  }
}

const HEAD = /^\{"day":"\d{4}-\d{2}-\d{2}","etag":("(?:[^"\\]|\\.)*"),"summary":/;

/** S3 quotes ETags; a store behind a proxy may not: the same tag either way. */
function sameEtag(a: string, b: string): boolean {
  return a.replace(/^"|"$/g, '') === b.replace(/^"|"$/g, '');
}
