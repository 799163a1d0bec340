import { parseSummaryDayKey, summaryPrefix } from '../store/layout.ts';
import { UsageError } from '../errors.ts';
import { readDeferralState } from '../store/deferral-state.ts';
import { recentReceipts } from '../store/receipts.ts';
import type { ObjectStore } from '../ports.ts';
import { summariesInRange } from '../query/query.ts';
import type { ReportInput } from './report-model.ts';
import type { Incident } from '../store/incidents.ts';
import { readIncidents } from '../store/incidents.ts';
import type { HourlySummary } from '../aggregate/rollup.ts';

import { HOUR, DAY, hourCeil } from '../vocabulary/time.ts';

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
export async function dataUntil(store: ObjectStore, tenants: readonly string[]): Promise<number | null> {
  let latest: number | null = null;
  for (const tenant of tenants) {
    let t: number | null = null;
    const clock = await readDeferralState(store, tenant);
    if (clock) t = clock.asOf;
    else {
      // The newest day object, then its latest hour.
      let lastDay: number | null = null;
      for await (const o of store.list(summaryPrefix(tenant))) {
        const k = parseSummaryDayKey(o.key);
        if (k && (lastDay === null || k.day > lastDay)) lastDay = k.day;
      }
      if (lastDay !== null)
        for (const s of await summariesInRange(store, { from: lastDay, to: lastDay + DAY, tenants: [tenant] }))
          t = Math.max(t ?? 0, Date.parse(s.hour) + HOUR);
    }
    if (t !== null && (latest === null || t > latest)) latest = t;
  }
  return latest === null ? null : hourCeil(latest);
}

/** The latest hour with an event that is not an expiry, or null when there is none. */
function lastActiveHour(summaries: readonly HourlySummary[]): number | null {
  let last: number | null = null;
  for (const s of summaries) {
    const hour = Date.parse(s.hour);
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
  options: { tenant: string | null; tenants: readonly string[]; range: RangeName; to?: number; now: number },
): Promise<Omit<ReportInput, 'lang'>> {
  const scope = options.tenant ? [options.tenant] : options.tenants;
  // All tenants together: each tenant's own data end (so one whose data stopped earlier shows it),
  // and the view's end is the latest of them; one tenant: its own.
  const tenantsUntil: Record<string, number | null> = {};
  if (!options.tenant) for (const t of scope) tenantsUntil[t] = await dataUntil(store, [t]);
  const ends = Object.values(tenantsUntil).filter((t): t is number => t !== null);
  const until = options.tenant ? await dataUntil(store, scope) : ends.length ? ends.reduce((m, e) => Math.max(m, e)) : null;
  const length = RANGES[options.range];
  const read = (from: number, end: number) => summariesInRange(store, { from, to: end, tenants: [...scope] });
  let to = options.to ?? until ?? hourCeil(options.now);
  let summaries = await read(to - 2 * length, to);
  // The default window ends with the last hour of delivery activity, not with the expiry tail (the
  // final forms of deferrals, a day later): else "the last 24 hours" would show mostly expiries.
  const active = options.to === undefined ? lastActiveHour(summaries) : null;
  if (active !== null && active + HOUR < to) {
    const read0 = to - 2 * length;
    to = active + HOUR;
    // Only the hours before the first read are new; the rest is in hand already.
    summaries = [...(await read(to - 2 * length, read0)), ...summaries.filter((s) => Date.parse(s.hour) < to)];
  }
  const from = to - length;
  const incidents: Incident[] = [];
  // One at a time, not push(...list): a spread of a few hundred thousand incidents overflows the stack.
  for (const tenant of scope) for (const i of await readIncidents(store, tenant)) incidents.push(i);
  const receipts = await recentReceipts(store, scope, 20);
  // Tenants whose data stopped before the view's end: their own last period, for the per-tenant table.
  const ownWindows: HourlySummary[] = [];
  for (const [tenant, end] of Object.entries(tenantsUntil))
    if (end !== null && end < to)
      for (const s of await summariesInRange(store, { from: end - length, to: end, tenants: [tenant] })) ownWindows.push(s);
  return {
    tenant: options.tenant,
    from,
    to,
    summaries,
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
  const summaries = all.summaries.filter((s) => s.tenant === tenant);
  let to = options.to ?? until;
  if (options.to === undefined) {
    // What loadReportInput would find as the tenant's last active hour; without one in what `all`
    // holds, it may lie before it: read.
    const active = lastActiveHour(summaries);
    if (active === null) return null;
    if (active + HOUR < to) to = active + HOUR;
  }
  if (to !== all.to) return null;
  return {
    tenant,
    from: to - RANGES[options.range],
    to,
    summaries,
    incidents: all.incidents.filter((i) => i.tenant === tenant),
    receipts: await recentReceipts(store, [tenant], 20),
    dataUntil: until,
  };
}
