import { mergeBatch, toSummary, type HourBatch, type HourlyRollup, type HourlySummary } from '../aggregate/rollup.ts';
import { toSqlLines } from '../aggregate/sql-layout.ts';
import type { ObjectStore } from '../ports.ts';
import { DAY, isoDay, isoHour } from '../vocabulary/time.ts';
import { casUpdateBytes, type CasHint, type CasOptions } from './cas.ts';
import { dayLineOf, DayLines, headNumber } from './day-lines.ts';
import { asDaySpan, mergeDay, type DaySummary } from '../aggregate/day-summary.ts';
import { parseSummaryDayKey, rollupDayKey, sqlDayKey, summaryDayKey } from './layout.ts';
import { forEachKey, record, StoredDataError } from './records.ts';
import { readAliasTables, type AliasTables } from './aliases.ts';
import { withHostNames } from '../aggregate/destination-aliases.ts';
import { encodeSummaryLine, summaryGroupsOf } from './summary-lines.ts';
import { MonthReader, type MonthDay } from './summary-months.ts';

/**
 * A tenant's day is three objects, each one line per hour: the rollups (the authoritative counts,
 * with the source and fingerprint sets that make merging idempotent), their summaries (what
 * queries read) and the summaries' JSON-lines companion for SQL engines. Every hour keeps its own
 * version, and a summary line only ever moves forward to its rollup's.
 */
export const ROLLUP = record<HourlyRollup>('hourly rollup', {
  schema: 'number',
  tenant: 'string',
  hour: 'string',
  version: 'number',
  sources: 'array',
  groups: 'array',
  fingerprints: 'string',
});
/** Summary lines hold their groups as a table (store/summary-lines.ts): `groups` or `texts` and `rows`, by schema. */
export const SUMMARY = record<HourlySummary>('hourly summary', {
  schema: 'number',
  tenant: 'string',
  hour: 'string',
  rollupVersion: 'number',
});
export const DAY_SUMMARY = record<DaySummary>('day summary', {
  schema: 'number',
  tenant: 'string',
  day: 'string',
  hours: 'number',
});

/** One line of a day object, checked as the record its key holds. */
export function decodeLine<T>(line: string, key: string, kind: typeof ROLLUP | typeof SUMMARY | typeof DAY_SUMMARY): T {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new StoredDataError(key, `expected a ${kind.kind} as a JSON line: ${(err as Error).message}`);
  }
  const checked = kind.check(value, key);
  return (kind === ROLLUP ? checked : summaryGroupsOf(checked as HourlySummary | DaySummary, key)) as T;
}

export interface CommittedDay {
  /** Events of the batches the rollups did not hold yet (what this commit counted). */
  added: number;
  attempts: number;
  /** The day line written into the summaries, for its month's copy (null when they did not change). */
  dayLine: MonthDay | null;
}

/**
 * Merges one file part's events of one day (its hours' batches) into the day's rollups in one
 * compare-and-swap, then brings the summaries and the SQL companion up to the rollups' versions.
 * `marker` names the part in each hour's source set, so committing it again changes nothing.
 */
export async function commitDay(
  store: ObjectStore,
  tenant: string,
  batches: readonly HourBatch[],
  marker: string,
  cas: CasOptions,
  hint: CasHint = {},
): Promise<CommittedDay> {
  const key = rollupDayKey(tenant, batches[0]!.hour);
  let added = 0;
  // Summaries, not the merged rollups: a busy hour's fingerprint and message sets are hundreds of KB,
  // and holding a day of them while its summaries and SQL companion were written cost ~10 MiB of peak.
  let summaries: HourlySummary[] = [];
  const r = await casUpdateBytes(
    store,
    key,
    (current) => {
      const lines = DayLines.of(current?.body, key);
      added = 0;
      summaries = [];
      let changed = false;
      for (const batch of batches) {
        const hour = isoHour(batch.hour);
        const line = lines.get(hour);
        const m = mergeBatch(line === undefined ? null : decodeLine<HourlyRollup>(line, key, ROLLUP), batch, tenant, marker);
        summaries.push(toSummary(m.rollup));
        if (!m.changed) continue;
        added += m.added;
        changed = true;
        lines.set(hour, JSON.stringify(m.rollup));
      }
      return changed ? lines.toBytes() : null;
    },
    cas,
    hint,
  );
  // Also when nothing changed: a crash between the writes left the summaries behind, and this mends them.
  const dayLine = await syncSummaries(store, tenant, summaries, cas, { absent: r.created });
  return { added: r.wrote ? added : 0, attempts: r.attempts, dayLine };
}

/**
 * Brings the summary lines of one day's hours (`summaries`, toSummary of their rollups), and their
 * SQL companion, up to the rollups' versions. Both only move forward, hour by hour: a writer
 * holding an older rollup version never overwrites a newer one. Every ingestion of the day (a
 * retry too) calls this, so a crash between the writes is mended by the next attempt.
 */
export async function syncSummaries(
  store: ObjectStore,
  tenant: string,
  summaries: readonly HourlySummary[],
  cas: CasOptions,
  hint: CasHint = {},
): Promise<MonthDay | null> {
  if (summaries.length === 0) return null;
  const day = Date.parse(summaries[0]!.hour);
  // The summary lines and the SQL companion are each made from these summaries alone: both at
  // once, and both settled before a failure of either is thrown (no write still in flight behind it).
  const settled = await Promise.allSettled([
    syncSummaryDay(store, tenant, day, summaries, cas, hint),
    syncSqlDay(store, tenant, day, summaries, cas, hint),
  ]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return (settled[0] as PromiseFulfilledResult<MonthDay | null>).value;
}

async function syncSummaryDay(
  store: ObjectStore,
  tenant: string,
  day: number,
  summaries: readonly HourlySummary[],
  cas: CasOptions,
  hint: CasHint,
): Promise<MonthDay | null> {
  const key = summaryDayKey(tenant, day);
  let dayLine = '';
  const r = await casUpdateBytes(
    store,
    key,
    (current) => {
      const lines = DayLines.of(current?.body, key);
      const written = new Map<string, HourlySummary>();
      for (const summary of summaries) {
        const line = lines.get(summary.hour);
        if (line !== undefined && (headNumber(line, 'rollupVersion') ?? 0) >= summary.rollupVersion) continue;
        lines.set(summary.hour, encodeSummaryLine(summary));
        written.set(summary.hour, summary);
      }
      if (written.size === 0 && lines.day !== undefined) return null;
      // The day line is rewritten with the hours, in the same object: it can never disagree with them.
      const hours = lines.entries().map(([hour, line]) => written.get(hour) ?? decodeLine<HourlySummary>(line, key, SUMMARY));
      lines.day = dayLine = encodeSummaryLine(mergeDay(tenant, isoDay(day), hours));
      return lines.toBytes();
    },
    cas,
    hint,
  );
  return r.wrote && r.etag ? { day: isoDay(day), etag: r.etag, line: dayLine } : null;
}

async function syncSqlDay(
  store: ObjectStore,
  tenant: string,
  day: number,
  summaries: readonly HourlySummary[],
  cas: CasOptions,
  hint: CasHint,
): Promise<void> {
  const sqlKey = sqlDayKey(tenant, day);
  await casUpdateBytes(
    store,
    sqlKey,
    (current) => {
      const hours = current ? sqlHours(Buffer.from(current.body).toString('utf8'), sqlKey) : new Map<string, SqlHour>();
      let changed = false;
      for (const summary of summaries) {
        const had = hours.get(summary.hour);
        // An hour without lines has nothing to count: no version to compare, nothing to write.
        if (had ? had.version >= summary.rollupVersion : summary.groups.length === 0) continue;
        hours.set(summary.hour, { version: summary.rollupVersion, text: toSqlLines(summary) });
        changed = true;
      }
      if (!changed) return null;
      return Buffer.from(
        [...hours.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([, h]) => h.text)
          .join(''),
      );
    },
    cas,
    hint,
  );
}

/** What a ranged read of a summary object's start asks for: a day line of a quiet to busy tenant's day fits. */
const DAY_HEAD_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

const DAY_OF_KEY = /date=(\d{4}-\d{2}-\d{2})\.jsonl$/;

interface SqlHour {
  version: number;
  text: string;
}

/** A SQL companion's lines by hour, with the rollup version each hour's lines came from. */
function sqlHours(text: string, key: string): Map<string, SqlHour> {
  const out = new Map<string, SqlHour>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let row: { hour?: unknown; rollup_version?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch (err) {
      throw new StoredDataError(key, `expected JSON lines of the SQL layout: ${(err as Error).message}`);
    }
    if (typeof row.hour !== 'string' || typeof row.rollup_version !== 'number')
      throw new StoredDataError(key, 'a SQL line without "hour" or "rollup_version"');
    const h = out.get(row.hour) ?? { version: row.rollup_version, text: '' };
    h.text += `${line}\n`;
    out.set(row.hour, h);
  }
  return out;
}

/** The rollups of one day, by hour (ISO). */
export function rollupsOf(body: Uint8Array, key: string): Map<string, HourlyRollup> {
  const out = new Map<string, HourlyRollup>();
  for (const [hour, line] of DayLines.of(body, key).entries()) out.set(hour, decodeLine<HourlyRollup>(line, key, ROLLUP));
  return out;
}

/**
 * `hour`: every hour's summary. `day`: a day the range covers whole as one summary spanning it
 * (its day line), the hours of the days it cuts; for anything that does not group or filter by hour.
 * `splitAt`: times inside the range that no day's summary may span either (periods read at once).
 */
export type Grain = 'hour' | 'day';

/**
 * Day objects read at once by a query or a view: most are ranged reads of a day line (~12 KB), and
 * a 30-day view of 50 tenants makes 2,900 of them; on S3 each is a round trip.
 */
const SUMMARY_READS_AT_ONCE = 32;

/** A summary day object to read: its key, or its key and the ETag a listing gave (its month's copy of the day line may then do). */
export type SummaryDayRef = string | { key: string; etag: string };

/** The hours of the day objects at `keys` that fall in [from, to), SUMMARY_READS_AT_ONCE days at a time, ordered by hour and tenant. */
export async function readSummaries(
  store: ObjectStore,
  keys: Iterable<SummaryDayRef> | AsyncIterable<SummaryDayRef>,
  range: { from?: number; to?: number; grain?: Grain; splitAt?: readonly number[]; aliases?: AliasTables } = {},
): Promise<HourlySummary[]> {
  const out: HourlySummary[] = [];
  const inRange = (hour: string) => {
    const t = Date.parse(hour);
    return (range.from === undefined || t >= range.from) && (range.to === undefined || t < range.to);
  };
  const splits = range.splitAt ?? [];
  const whole = (day: number) =>
    (range.from === undefined || day >= range.from) &&
    (range.to === undefined || day + DAY <= range.to) &&
    splits.every((t) => t <= day || t >= day + DAY);
  const read = async (key: string, wholeDay: boolean) => {
    if (wholeDay) {
      // The day line comes first: a ranged read of the object's start usually holds all of it.
      const head = store.getHead ? await store.getHead(key, DAY_HEAD_BYTES, NEWLINE) : null;
      const line = head && dayLineOf(head, head.length < DAY_HEAD_BYTES);
      if (line) return void out.push(asDaySpan(decodeLine<DaySummary>(line, key, DAY_SUMMARY)));
    }
    const o = await store.get(key);
    if (!o) return;
    if (wholeDay) {
      // Days written before day lines were kept have none: their hours answer the same.
      const line = dayLineOf(o.body, true);
      if (line !== undefined) return void out.push(asDaySpan(decodeLine<DaySummary>(line, key, DAY_SUMMARY)));
    }
    for (const [hour, line] of DayLines.of(o.body, key).entries())
      if (inRange(hour)) out.push(decodeLine<HourlySummary>(line, key, SUMMARY));
  };
  const months = new MonthReader(store);
  // Days that wait for their month's copy: they hold no read's slot (a tenant's 60 days waited on
  // its two months 32 at a time, one tenant after another), and those the month has no copy for
  // are read from their own objects afterwards, as many at once as any read.
  const copied: Array<Promise<void>> = [];
  const uncopied: string[] = [];
  await forEachKey(
    keys,
    async (ref) => {
      const key = typeof ref === 'string' ? ref : ref.key;
      const day = DAY_OF_KEY.exec(key);
      const wholeDay = range.grain === 'day' && day !== null && whole(Date.parse(`${day[1]}T00:00:00Z`));
      const etag = typeof ref === 'string' ? '' : ref.etag;
      const listed = wholeDay && etag ? parseSummaryDayKey(key) : null;
      if (!listed) return read(key, wholeDay);
      const copy = months.dayLine(listed.tenant, listed.day, etag).then((c) => {
        if (c) out.push(asDaySpan(decodeLine<DaySummary>(c.line, c.key, DAY_SUMMARY)));
        else uncopied.push(key);
      });
      copy.catch(() => {}); // thrown by the Promise.all below, never unhandled meanwhile
      copied.push(copy);
    },
    SUMMARY_READS_AT_ONCE,
  );
  await Promise.all(copied);
  await forEachKey(uncopied, (key) => read(key, true), SUMMARY_READS_AT_ONCE);
  out.sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : a.tenant < b.tenant ? -1 : 1));
  // One destination per receiving server: a summary's address shows as the host a detail named.
  return withHostNames(
    out,
    await readAliasTables(
      store,
      out.map((s) => s.tenant),
      range.aliases,
    ),
  );
}
