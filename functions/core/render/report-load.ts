import type { AliasTables } from '../store/aliases.ts';
import { parseSummaryDayKey, summaryPrefix } from '../store/layout.ts';
import { UsageError } from '../errors.ts';
import { readDeferralState } from '../store/deferral-state.ts';
import { recentReceipts } from '../store/receipts.ts';
import type { ObjectStore } from '../ports.ts';
import { summariesInRange } from '../query/query.ts';
import { summariesByTenant, type ReportInput } from './report-model.ts';
import type { Incident } from '../store/incidents.ts';
import { readIncidents } from '../store/incidents.ts';
import { readCollectState } from '../store/collect-state.ts';
import { listKeys } from '../store/records.ts';
import { readSummaries } from '../store/hourly.ts';
import type { HourlySummary } from '../aggregate/rollup.ts';
import { mapLimit } from '../vocabulary/for-each-limit.ts';

import { HOUR, DAY, hourCeil, hourMs } from '../vocabulary/time.ts';

/** The ranges the selector offers; a view covers the range up to the tenant's latest data. */
export const RANGES = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const;
export type RangeName = keyof typeof RANGES;

export function parseRange(raw: string | undefined): RangeName {
  const r = raw ?? '24h';
  if (!(r in RANGES)) throw new UsageError('BAD_RANGE', `range must be one of ${Object.keys(RANGES).join(', ')}, not "${r}"`);
  return r as RangeName;
}

/**
 * When the tenant's data ends (end of its latest hour): its deferral clock when alerts run, else
 * the newest summary key. For all tenants, the latest of them. Null when there is no data.
 */
export async function dataUntil(store: ObjectStore, tenants: readonly string[], aliases?: AliasTables): Promise<number | null> {
  let latest: number | null = null;
  for (const tenant of tenants) {
    let t: number | null = null;
    const clock = await readDeferralState(store, tenant);
    if (clock) t = clock.asOf;
    else {
      // The newest day object (read straight from the listing: no second one), then its latest hour.
      let last: { day: number; key: string } | null = null;
      for await (const key of listKeys(store, summaryPrefix(tenant))) {
        const k = parseSummaryDayKey(key);
        if (k && k.tenant === tenant && (last === null || k.day > last.day)) last = { day: k.day, key };
      }
      if (last !== null)
        for (const s of await readSummaries(store, [last.key], { from: last.day, to: last.day + DAY, ...(aliases ? { aliases } : {}) }))
          t = Math.max(t ?? 0, hourMs(s.hour) + HOUR);
    }
    if (t !== null && (latest === null || t > latest)) latest = t;
  }
  return latest === null ? null : hourCeil(latest);
}

/**
 * Tenants read at the same time: on S3 each tenant's reads are a few round trips in a row (its data
 * clock, then its newest day), and 50 tenants one after another made an all-tenants view wait ~15 s;
 * 16 at a time still made 4 waves of them (~0.45 s of the 24 h view behind 30 ms a request).
 */
export const TENANTS_AT_ONCE = 50;

/** How far back views read hour by hour: the charts of the 24 h and 7 d views have a bar per hour. */
const HOURLY = 7 * DAY;

/**
 * What a view needs hour by hour: an hourly chart's period, and for the 24 h view the period before
 * it too (its coverage is told in hours); a view charted by day (30 d) only the last two days, where
 * its last active hour (its end) is looked for. Everything older is read as whole days.
 */
function hourlySpan(range: RangeName): number {
  const length = RANGES[range];
  return length <= HOURLY ? Math.min(HOURLY, 2 * length) : 2 * DAY;
}

/**
 * The summaries of [from, end) with whole days as one summary each, except days that one of the
 * views' periods (ending at `to`) begins or ends in: every view's tallies stay exact, and a 30-day
 * view reads 53 day lines per tenant instead of 1,272 hours.
 */
function wholeDays(
  store: ObjectStore,
  tenants: readonly string[],
  from: number,
  end: number,
  to: number,
  aliases: AliasTables,
): Promise<HourlySummary[]> | [] {
  if (from >= end) return [];
  const edges = Object.values(RANGES).flatMap((length) => [to - length, to - 2 * length]);
  return summariesInRange(store, { from, to: end, tenants: [...tenants], grain: 'day', splitAt: edges, aliases });
}

/** The latest hour with an event that is not an expiry, or null when there is none among the hours (day summaries do not tell the hour). */
function lastActiveHour(summaries: readonly HourlySummary[]): number | null {
  let last: number | null = null;
  for (const s of summaries) {
    if (s.span === 'day') continue;
    const hour = hourMs(s.hour);
    if ((last === null || hour > last) && s.groups.some((g) => g.outcome !== 'expired' && g.events > 0)) last = hour;
  }
  return last;
}

/**
 * Everything a view of `range` needs, read from the store: the summaries of the period and of the
 * one before it, incidents, and the most recent receipts. `to` defaults to the data's end. A
 * shorter range's view is the same input with a later `from` (the model filters by time).
 */
export async function loadReportInput(
  store: ObjectStore,
  options: {
    tenant: string | null;
    tenants: readonly string[];
    range: RangeName;
    /** The ranges whose views are cut from this input (default: `range` alone). */
    views?: readonly RangeName[];
    to?: number;
    now: number;
  },
): Promise<Omit<ReportInput, 'lang'>> {
  const scope = options.tenant ? [options.tenant] : options.tenants;
  // Incidents and receipts do not depend on the view's end: read alongside the summaries, not after.
  const early = Promise.all([mapLimit(scope, TENANTS_AT_ONCE, (tenant) => readIncidents(store, tenant)), recentReceipts(store, scope, 20)]);
  early.catch(() => {}); // thrown where it is awaited below, never unhandled meanwhile
  // Each tenant's alias table once, for every read below.
  const aliases: AliasTables = new Map();
  // All tenants together: each tenant's own data end (so one whose data stopped earlier shows it),
  // and the view's end is the latest of them; one tenant: its own.
  const tenantsUntil: Record<string, number | null> = {};
  if (!options.tenant) {
    const ends = await mapLimit(scope, TENANTS_AT_ONCE, (t) => dataUntil(store, [t], aliases));
    scope.forEach((t, i) => (tenantsUntil[t] = ends[i]!));
  }
  const ends = Object.values(tenantsUntil).filter((t): t is number => t !== null);
  const until = options.tenant ? await dataUntil(store, scope, aliases) : ends.length ? ends.reduce((m, e) => Math.max(m, e)) : null;
  const length = RANGES[options.range];
  const hours = (from: number, end: number) => (from < end ? summariesInRange(store, { from, to: end, tenants: [...scope], aliases }) : []);
  let to = options.to ?? until ?? hourCeil(options.now);
  // The hours the views need (see hourlySpan), what lies before as whole days where it can (one
  // summary a day; see wholeDays).
  const span = Math.min(2 * length, Math.max(...(options.views ?? [options.range]).map(hourlySpan)));
  let recent = await hours(to - span, to);
  // The default window ends with the last hour of delivery activity, not with the expiry tail (the
  // final forms of deferrals, a day later): else "the last 24 hours" would show mostly expiries.
  if (options.to === undefined) {
    const active = lastActiveHour(recent) ?? (span < 2 * length ? lastActiveHour(await hours(to - 2 * length, to - span)) : null);
    if (active !== null && active + HOUR < to) {
      const read0 = to - span;
      to = active + HOUR;
      // Only the hours before the first read are new; the rest is in hand already.
      recent = [...(await hours(to - span, read0)), ...recent.filter((s) => hourMs(s.hour) < to)];
    }
  }
  const summaries = [...(await wholeDays(store, scope, to - 2 * length, to - span, to, aliases)), ...recent];
  const from = to - length;
  // Tenants whose data stopped before the view's end: their own last period, for the per-tenant table.
  const stopped = Object.entries(tenantsUntil).filter((e): e is [string, number] => e[1] !== null && e[1] < to);
  const [[incidentLists, receipts], windows, collected] = await Promise.all([
    early,
    mapLimit(stopped, TENANTS_AT_ONCE, ([tenant, end]) =>
      summariesInRange(store, { from: end - length, to: end, tenants: [tenant], grain: 'day', aliases }),
    ),
    // One tenant collected from Graph: its coverage ledger (none for all tenants together, nor for exports).
    options.tenant ? readCollectState(store, options.tenant) : null,
  ]);
  // One at a time, not push(...list): a spread of a few hundred thousand incidents overflows the stack.
  const incidents: Incident[] = [];
  for (const list of incidentLists) for (const i of list) incidents.push(i);
  const ownWindows: HourlySummary[] = [];
  for (const list of windows) for (const s of list) ownWindows.push(s);
  return {
    tenant: options.tenant,
    from,
    to,
    summaries,
    collection: collected?.etag ? { complete: collected.state.complete, partial: collected.state.partial } : null,
    incidents,
    receipts,
    dataUntil: until,
    ...(options.tenant ? {} : { tenantsUntil, ownWindows }),
  };
}

/**
 * One tenant's input cut from the all-tenants input (`all`, loaded for the same range) when the
 * tenant's window is the same one, the usual case: its data ends with the others'. Its summaries
 * are then filtered, not read and parsed again (with 50 tenants that halves the dashboard's reads).
 * Null when the window differs or cannot be told from what `all` holds: read it with loadReportInput.
 */
export async function tenantInputFrom(
  store: ObjectStore,
  all: Omit<ReportInput, 'lang'>,
  tenant: string,
  options: { range: RangeName; to?: number },
): Promise<Omit<ReportInput, 'lang'> | null> {
  const until = all.tenantsUntil?.[tenant] ?? null;
  if (until === null) return null;
  const summaries = [...(summariesByTenant(all.summaries).get(tenant) ?? [])];
  let to = options.to ?? until;
  if (options.to === undefined) {
    // What loadReportInput would find as the tenant's last active hour; without one in what `all`
    // holds, it may lie before it: read.
    const active = lastActiveHour(summaries);
    if (active === null) return null;
    if (active + HOUR < to) to = active + HOUR;
  }
  if (to !== all.to) return null;
  const [receipts, collected] = await Promise.all([recentReceipts(store, [tenant], 20), readCollectState(store, tenant)]);
  return {
    tenant,
    from: to - RANGES[options.range],
    to,
    summaries,
    incidents: all.incidents.filter((i) => i.tenant === tenant),
    receipts,
    dataUntil: until,
    collection: collected.etag ? { complete: collected.state.complete, partial: collected.state.partial } : null,
  };
}
