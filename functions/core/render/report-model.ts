import { CATEGORY_INDEX, eventsOf, mergeTallies, messagesOf, NO_CODE, tally, type ChartGrid, type Tally } from './tally.ts';
import { FINAL_OUTCOMES, PROBLEM_OUTCOMES, UNDELIVERED_OUTCOMES } from '../vocabulary/outcomes.ts';
import { DAY, dayStart, HOUR, hourMs } from '../vocabulary/time.ts';
import type { HourlySummary } from '../aggregate/rollup.ts';
import { explainStatus } from '../classify/classify.ts';
import { OWNER_TEXT } from '../classify/owners.ts';
import { CATEGORIES, type Category } from '../classify/types.ts';
import { topEntries } from './digest.ts';
import type { Lang } from '../vocabulary/language.ts';
import { MIN_RATE_VOLUME } from '../vocabulary/thresholds.ts';
import type { Receipt } from '../store/receipts.ts';
import type { Incident } from '../store/incidents.ts';
import { openIncidents } from './open-incidents.ts';
import { mergeSpans, subtractSpans, type Span } from '../store/collect-state.ts';

/**
 * What one dashboard view shows, computed from summaries, incidents and receipts: the numbers
 * only, no HTML. The same model feeds `report --html`, `mailflow dashboard` and the snapshot the
 * digest function writes. Pure.
 */
export interface ReportInput {
  /** A tenant, or null for all tenants together. */
  tenant: string | null;
  lang: Lang;
  from: number;
  to: number;
  /** Summaries covering the period and the one before it (same length). */
  summaries: readonly HourlySummary[];
  incidents: readonly Incident[];
  /** Most recent first. */
  receipts: readonly Receipt[];
  /** The latest hour with data (ms, end of that hour), to show how fresh the view is. */
  dataUntil: number | null;
  /** All tenants together: where each tenant's data ends (null: none), so a stale one shows as such. */
  tenantsUntil?: Readonly<Record<string, number | null>>;
  /**
   * All tenants together: the summaries of the tenants whose data ends before `to`, over their own
   * last period (up to where their data ends), so the per-tenant table shows their last day, not zero.
   */
  ownWindows?: readonly HourlySummary[];
  /** One tenant collected from Microsoft Graph: the hours its collector has read completely, and those read while still changing. */
  collection?: { complete: ReadonlyArray<readonly [number, number]>; partial: ReadonlyArray<readonly [number, number]> } | null;
}

/** One tenant's line in the all-tenants view: which customer is worst. */
export interface TenantRow {
  tenant: string;
  /** Messages: affected (any problem), failed and deferred ones, each counted once over the period. */
  problems: number;
  failed: number;
  deferred: number;
  /** Null when there are fewer final outcomes than MIN_RATE_VOLUME. */
  failureRate: number | null;
  dataUntil: number | null;
  /** Set when the row is the tenant's own last period (its data ends before the view's): where that period ends. */
  ownWindowTo?: number;
}

export interface Headline {
  key: 'problems' | 'failed' | 'deferred' | 'delivered' | 'filtered' | 'failureRate';
  now: number;
  before: number;
  /** A rate over too few final outcomes to mean anything (fewer than MIN_RATE_VOLUME): how many there were. */
  tooFew?: number;
  /** Counts are whole numbers; the failure rate is a fraction. */
  rate: boolean;
  /** For a count of messages: the events behind it (every retry counts again). */
  events?: number;
  /** Whether a rise is bad news (colours the change). */
  riseIsBad: boolean;
}

export interface ChartBar {
  /** Start of the bar's hour, or of its UTC day when the view's bars are days (`barStep`). */
  hour: number;
  total: number;
  segments: Array<{ category: Category; events: number }>;
}

export interface Ranked {
  name: string;
  events: number;
  previous: number;
  /** Problem events per bucket across the period (hours up to 7 days, then days). */
  spark: number[];
}

export interface CodeRow {
  code: string;
  events: number;
  previous: number;
  category: Category | null;
  title: string | null;
  owner: string | null;
  action: string | null;
}

export interface ReportModel {
  tenant: string | null;
  lang: Lang;
  from: number;
  to: number;
  dataUntil: number | null;
  headline: Headline[];
  /**
   * How much of the previous period (the one the changes compare with) has data: hours for a day,
   * days for longer ranges. Less than `of` means a trend would compare with a partial period.
   */
  previous: { covered: number; of: number; unit: 'hour' | 'day' };
  /** All tenants together: one row per tenant, most problems first; empty for one tenant. */
  tenants: TenantRow[];
  /** Categories in chart order (those present), and one bar per hour (per UTC day past 7 days) with problems. */
  categories: Category[];
  hours: number;
  bars: ChartBar[];
  maxBar: number;
  codes: CodeRow[];
  destinations: Ranked[];
  connectors: Ranked[];
  /**
   * A tenant collected from Microsoft Graph: until when its data is complete, and the gaps in the
   * view's period (hours the collector has not read); null otherwise.
   */
  collection: { completeUntil: number | null; missing: Array<{ from: number; to: number }> } | null;
  /** The open incidents named (at most LISTED_INCIDENTS), and how many are open in all. */
  incidents: Incident[];
  incidentCount: number;
  receipts: Receipt[];
}

export function sparkStep(from: number, to: number): number {
  return to - from > 7 * DAY ? DAY : HOUR;
}

/**
 * The buckets of a view's chart and sparklines: its hours, or past 7 days its UTC days (the first
 * and last ones partly in the range), so that a whole day's merged summary falls in one bucket.
 */
export function buckets(from: number, to: number): ChartGrid {
  const step = sparkStep(from, to);
  if (step === HOUR) return { step, origin: from, count: Math.ceil((to - from) / HOUR) };
  const origin = dayStart(from);
  return { step, origin, count: (dayStart(to - 1) - origin) / DAY + 1 };
}

function tenantRows(
  perTenant: ReadonlyMap<string, Tally>,
  to: number,
  length: number,
  until: Readonly<Record<string, number | null>>,
  ownWindows: readonly HourlySummary[],
): TenantRow[] {
  const rows = Object.keys(until).map((tenant) => {
    // A tenant whose data ends before the view's end is shown over its own last period of the same length.
    const end = until[tenant];
    const own = end !== null && end !== undefined && end < to;
    const t = own
      ? tally(
          ownWindows.filter((s) => s.tenant === tenant),
          end - length,
          end,
          '',
        )
      : (perTenant.get(tenant) ?? tally([], 0, 0, ''));
    const finals = messagesOf(t, FINAL_OUTCOMES);
    const failed = messagesOf(t, UNDELIVERED_OUTCOMES);
    return {
      tenant,
      problems: t.affected,
      failed,
      deferred: messagesOf(t, ['deferred']),
      failureRate: finals >= MIN_RATE_VOLUME ? failed / finals : null,
      dataUntil: until[tenant] ?? null,
      ...(own ? { ownWindowTo: end } : {}),
    };
  });
  return rows.sort((a, b) => b.problems - a.problems || (a.tenant < b.tenant ? -1 : 1));
}

/**
 * Tallies handed from the all-tenants view to the tenants' own views cut from the same input (a
 * static page builds 153 views): the all-tenants view tallies each tenant for its table and merges
 * them, so a tenant's view of the same period takes its tally instead of making it again. Each is
 * taken once; one page, one language.
 */
export class TallyMemo {
  private readonly kept = new Map<string, Tally>();

  put(tenant: string, from: number, to: number, t: Tally): void {
    this.kept.set(`${tenant}\u0001${from}\u0001${to}`, t);
  }

  take(tenant: string, from: number, to: number): Tally | undefined {
    const key = `${tenant}\u0001${from}\u0001${to}`;
    const t = this.kept.get(key);
    this.kept.delete(key);
    return t;
  }

  /** Tallies kept and not taken yet. */
  get size(): number {
    return this.kept.size;
  }

  /** Drops what is kept for a tenant whose views were not cut from the all-tenants input. */
  forget(tenant: string): void {
    for (const key of this.kept.keys()) if (key.startsWith(`${tenant}\u0001`)) this.kept.delete(key);
  }
}

const byTenantOf = new WeakMap<readonly HourlySummary[], ReadonlyMap<string, readonly HourlySummary[]>>();

/**
 * The summaries of each tenant, in their order, grouped once per list (the all-tenants input's is
 * asked for by each of its views and each tenant's view cut from it: a filter per tenant walked
 * 600,000 summaries for a page of 50 tenants).
 */
export function summariesByTenant(summaries: readonly HourlySummary[]): ReadonlyMap<string, readonly HourlySummary[]> {
  let m = byTenantOf.get(summaries);
  if (!m) {
    const groups = new Map<string, HourlySummary[]>();
    for (const s of summaries) {
      const list = groups.get(s.tenant);
      if (list) list.push(s);
      else groups.set(s.tenant, [s]);
    }
    byTenantOf.set(summaries, (m = groups));
  }
  return m;
}

/**
 * The view's tallies of its period (with its chart on `grid`) and the one before: for all tenants,
 * each tenant's merged (and kept in `memo` for their own views); for one tenant, taken from `memo`
 * when it has them.
 */
function periodTallies(
  input: ReportInput,
  memo: TallyMemo | undefined,
  grid: ChartGrid,
): { now: Tally; before: Tally; perTenant: Map<string, Tally> | null } {
  const { from, to } = input;
  const length = to - from;
  const noCode = NO_CODE[input.lang];
  if (input.tenant === null && input.tenantsUntil) {
    const byTenant = summariesByTenant(input.summaries);
    const each = (a: number, b: number, chart?: ChartGrid) => {
      const out = new Map<string, Tally>();
      for (const [tenant, list] of byTenant) {
        const t = tally(list, a, b, noCode, chart);
        out.set(tenant, t);
        memo?.put(tenant, a, b, t);
      }
      return out;
    };
    const perTenant = each(from, to, grid);
    // The period before is shown for all tenants together only: tallied per tenant when their own
    // views will take it (a static page), else at once (fewer members counted than tenant by tenant, then merged).
    const before = memo ? mergeTallies([...each(from - length, from).values()]) : tally(input.summaries, from - length, from, noCode);
    return { now: mergeTallies([...perTenant.values()], grid), before, perTenant };
  }
  const of = (a: number, b: number, chart?: ChartGrid) => {
    const kept = input.tenant !== null ? memo?.take(input.tenant, a, b) : undefined;
    return kept && (!chart || kept.chart) ? kept : tally(input.summaries, a, b, noCode, chart);
  };
  return { now: of(from, to, grid), before: of(from - length, from), perTenant: null };
}

/** From the first hour with data in the previous period to its end, in whole units (the unit rounds up). */
function previousCoverage(summaries: readonly HourlySummary[], from: number, length: number): ReportModel['previous'] {
  const unit = length > DAY ? 'day' : 'hour';
  const size = unit === 'day' ? DAY : HOUR;
  const of = Math.round(length / size);
  let first = from;
  for (const s of summaries) {
    const hour = hourMs(s.hour);
    if (hour >= from - length && hour < first) first = hour;
  }
  return { covered: Math.min(of, Math.ceil((from - first) / size)), of, unit };
}

/** The model of one view; `memo` shares tallies between the views of one page (TallyMemo). */
export function buildReportModel(input: ReportInput, memo?: TallyMemo): ReportModel {
  const { from, to, lang } = input;
  const length = to - from;
  // The chart's buckets: its tally walks the groups once for the counts and the chart together.
  const grid = buckets(from, to);
  const { now, before, perTenant } = periodTallies(input, memo, grid);
  const n = (t: Tally, ...outcomes: string[]) => eventsOf(t, outcomes);
  // The cards count messages (a message deferred in six hours is one deferred message), events second.
  const m = (t: Tally, ...outcomes: string[]) => messagesOf(t, outcomes);
  const rate = (t: Tally) => {
    const final = m(t, ...FINAL_OUTCOMES);
    return final ? m(t, ...UNDELIVERED_OUTCOMES) / final : 0;
  };
  const finals = m(now, ...FINAL_OUTCOMES);
  const count = (key: Headline['key'], outcomes: readonly string[], riseIsBad: boolean): Headline => ({
    key,
    now: m(now, ...outcomes),
    before: m(before, ...outcomes),
    events: n(now, ...outcomes),
    rate: false,
    riseIsBad,
  });
  const headline: Headline[] = [
    { key: 'problems', now: now.affected, before: before.affected, events: n(now, ...PROBLEM_OUTCOMES), rate: false, riseIsBad: true },
    count('failed', UNDELIVERED_OUTCOMES, true),
    count('deferred', ['deferred'], true),
    {
      key: 'failureRate',
      now: rate(now),
      before: rate(before),
      rate: true,
      riseIsBad: true,
      ...(finals < MIN_RATE_VOLUME ? { tooFew: finals } : {}),
    },
    count('delivered', ['delivered'], false),
    // Spam-filtered and quarantined mail: not a delivery problem, but an admin asks where it went.
    count('filtered', ['filtered'], true),
  ];

  // The chart, and the per-bucket series behind each destination's and connector's sparkline.
  const { cells, destination, connector } = now.chart!;
  const series = { destination, connector };
  const categories = CATEGORIES.filter((_, c) => {
    for (let b = 0; b < grid.count; b++) if (cells[b * CATEGORIES.length + c]! > 0) return true;
    return false;
  });
  const bars: ChartBar[] = [];
  for (let b = 0; b < grid.count; b++) {
    const segments = categories
      .map((category) => ({ category, events: cells[b * CATEGORIES.length + CATEGORY_INDEX.get(category)!]! }))
      .filter((x) => x.events > 0);
    const total = segments.reduce((sum, x) => sum + x.events, 0);
    if (total > 0) bars.push({ hour: grid.origin + b * grid.step, total, segments });
  }

  const ranked = (m: Map<string, number>, prev: Map<string, number>, lines: Map<string, number[]>, limit: number): Ranked[] =>
    topEntries(m, limit).map(([name, events]) => ({
      name,
      events,
      previous: prev.get(name) ?? 0,
      spark: lines.get(name) ?? new Array<number>(grid.count).fill(0),
    }));

  const codes: CodeRow[] = topEntries(now.codes, 10).map(([code, events]) => {
    const e = /^\d\.\d{1,3}\.\d{1,3}$/.test(code) ? explainStatus(code, lang) : null;
    return {
      code,
      events,
      previous: before.codes.get(code) ?? 0,
      category: now.categories.get(code) ?? null,
      title: e?.title ?? null,
      owner: e?.owner ? OWNER_TEXT[lang][e.owner] : null,
      action: e?.action ?? null,
    };
  });

  return {
    tenant: input.tenant,
    lang,
    from,
    to,
    dataUntil: input.dataUntil,
    headline,
    previous: previousCoverage(input.summaries, from, length),
    tenants: perTenant && input.tenantsUntil ? tenantRows(perTenant, to, length, input.tenantsUntil, input.ownWindows ?? []) : [],
    categories,
    hours: Math.round(length / HOUR),
    bars,
    maxBar: bars.reduce((m, b) => Math.max(m, b.total), 0),
    codes,
    destinations: ranked(now.destinations, before.destinations, series.destination, 8),
    connectors: ranked(now.connectors, before.connectors, series.connector, 8),
    collection: collectionOf(input, from, to),
    ...incidentsShown(input.incidents, input.tenant),
    receipts: input.receipts.filter((r) => input.tenant === null || r.tenant === input.tenant).slice(0, 20),
  };
}

function incidentsShown(incidents: readonly Incident[], tenant: string | null): { incidents: Incident[]; incidentCount: number } {
  const { listed, total } = openIncidents(incidents, tenant);
  return { incidents: listed, incidentCount: total };
}

/** The collector's ledger, as the view shows it: complete until when, and the unread hours between the first and last read within [from, to). */
function collectionOf(input: ReportInput, from: number, to: number): ReportModel['collection'] {
  const c = input.collection;
  if (!c) return null;
  const read = mergeSpans([...c.complete, ...c.partial].map(([a, b]): Span => [a, b]));
  const span: Span = [Math.max(from, read[0]?.[0] ?? to), Math.min(to, read.at(-1)?.[1] ?? from)];
  const missing = span[0] < span[1] ? subtractSpans([span], read).map(([a, b]) => ({ from: a, to: b })) : [];
  return { completeUntil: mergeSpans(c.complete.map(([a, b]): Span => [a, b])).at(-1)?.[1] ?? null, missing };
}
