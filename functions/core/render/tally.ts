import { hourMs } from '../vocabulary/time.ts';
import type { HourlySummary } from '../aggregate/rollup.ts';
import { CATEGORIES, type Category } from '../classify/types.ts';
import { isProblem } from '../vocabulary/outcomes.ts';
import { U64Union } from '../aggregate/u64-set.ts';
import type { Lang } from '../vocabulary/language.ts';

/**
 * Problems without a status code: what summary exports (Get-MessageTraceV2, the admin center's
 * summary report) give. One name in the digest, the dashboard and the query table.
 */
export const NO_CODE: Record<Lang, string> = { en: 'no code: summary export', it: 'nessun codice: export di riepilogo' };

/**
 * What to do about problems without a code: export the detail of those messages and ingest it; it
 * supersedes the summary rows of the same messages (one truth per message), so nothing counts twice.
 */
export const SUMMARY_ADVICE: Record<Lang, { text: string; command: string }> = {
  en: {
    text: 'a summary export has no status codes: export the detail of these messages and ingest it too (each message still counts once, now with its code)',
    command:
      'Get-MessageTraceV2 -Status Failed,Pending -StartDate <from> -EndDate <to> | ForEach-Object { Get-MessageTraceDetailV2 -MessageTraceId $_.MessageTraceId -RecipientAddress $_.RecipientAddress } | Export-Csv detail.csv -NoTypeInformation',
  },
  it: {
    text: 'un export di riepilogo non ha codici di stato: esporta il dettaglio di questi messaggi e importalo (ogni messaggio conta sempre una volta, ora con il suo codice)',
    command:
      'Get-MessageTraceV2 -Status Failed,Pending -StartDate <from> -EndDate <to> | ForEach-Object { Get-MessageTraceDetailV2 -MessageTraceId $_.MessageTraceId -RecipientAddress $_.RecipientAddress } | Export-Csv detail.csv -NoTypeInformation',
  },
};

/** A period's events, as the digest and the dashboard show them: per outcome, and the problems by code, destination, connector and hour. */
export interface Tally {
  outcomes: Map<string, number>;
  /** Problem events per code; events without a code under a label naming their outcome. */
  codes: Map<string, number>;
  /** The category of each code in `codes` (the first group's that had it). */
  categories: Map<string, Category | null>;
  destinations: Map<string, number>;
  connectors: Map<string, number>;
  /** Problem events per hour (ms). */
  perHour: Map<number, number>;
  /** Distinct messages (message and recipient) per outcome over the period: retries count once. */
  messages: Map<string, number>;
  /** Distinct messages with any problem (deferred, failed or expired) in the period: deferred then expired counts once. */
  affected: number;
  /**
   * What the message counts are made of, so tallies of parts (one per tenant) merge exactly
   * (mergeTallies): the sets per outcome, and the messages of groups without sets (per outcome,
   * and those with a problem).
   */
  sets: Map<string, U64Union>;
  plain: Map<string, number>;
  plainAffected: number;
  /** The period's chart, when the tally was asked for one (a view's own period; the one before has none). */
  chart: ChartTally | null;
}

/** A chart's buckets: `count` of `step` ms from `origin`. */
export interface ChartGrid {
  origin: number;
  step: number;
  count: number;
}

/**
 * Problem events per bucket and category (the chart), and per bucket for each destination and
 * connector (their sparklines): made in the same walk over the groups as the rest of the tally, and
 * summed when tallies of tenants merge, so a page's views do not walk their summaries again for it.
 */
export interface ChartTally {
  grid: ChartGrid;
  /** `grid.count` × CATEGORIES.length cells, bucket-major. */
  cells: Float64Array;
  destination: Map<string, number[]>;
  connector: Map<string, number[]>;
}

export const CATEGORY_INDEX = new Map<Category, number>(CATEGORIES.map((c, i) => [c, i]));

function emptyChart(grid: ChartGrid): ChartTally {
  return { grid, cells: new Float64Array(grid.count * CATEGORIES.length), destination: new Map(), connector: new Map() };
}

function spark(lines: Map<string, number[]>, name: string, count: number): number[] {
  let l = lines.get(name);
  if (!l) lines.set(name, (l = new Array<number>(count).fill(0)));
  return l;
}

function emptyTally(grid?: ChartGrid): Tally {
  return {
    chart: grid ? emptyChart(grid) : null,
    outcomes: new Map(),
    codes: new Map(),
    categories: new Map(),
    destinations: new Map(),
    connectors: new Map(),
    perHour: new Map(),
    messages: new Map(),
    affected: 0,
    sets: new Map(),
    plain: new Map(),
    plainAffected: 0,
  };
}

/** Messages and affected from the sets and the plain counts. */
function countMessages(t: Tally): Tally {
  t.messages = new Map(t.plain);
  for (const [outcome, set] of t.sets) add(t.messages, outcome, set.size);
  // Any problem: the problem outcomes' unions together, so a message deferred then expired counts once.
  t.affected = U64Union.sizeOf([...t.sets].filter(([o]) => isProblem(o)).map(([, s]) => s)) + t.plainAffected;
  return t;
}

/**
 * The summaries' hours in [from, to), tallied; problems without a code are counted under `noCode`.
 * With `grid`, the tally holds the period's chart too.
 */
export function tally(summaries: readonly HourlySummary[], from: number, to: number, noCode: string, grid?: ChartGrid): Tally {
  const t = emptyTally(grid);
  const chart = t.chart;
  for (const s of summaries) {
    const hour = hourMs(s.hour);
    if (hour < from || hour >= to) continue;
    const bucket = chart ? Math.floor((hour - chart.grid.origin) / chart.grid.step) : 0;
    for (const g of s.groups) {
      add(t.outcomes, g.outcome, g.events);
      if (g.pairs === undefined) {
        // Delivered and filtered mail (one final outcome each), and summaries from before the sets.
        add(t.plain, g.outcome, g.messages);
        if (isProblem(g.outcome)) t.plainAffected += g.messages;
      } else {
        let set = t.sets.get(g.outcome);
        if (!set) t.sets.set(g.outcome, (set = new U64Union()));
        set.add(g.pairs);
      }
      if (!isProblem(g.outcome)) continue;
      const code = g.code ?? noCode;
      add(t.codes, code, g.events);
      if (!t.categories.has(code)) t.categories.set(code, g.category ?? null);
      add(t.destinations, g.destination, g.events);
      add(t.connectors, g.connector, g.events);
      add(t.perHour, hour, g.events);
      if (!chart) continue;
      // A category this version does not know (stored by a later one) has no place in the chart.
      const c = CATEGORY_INDEX.get((g.category as Category | null) ?? 'unknown');
      if (c !== undefined) chart.cells[bucket * CATEGORIES.length + c]! += g.events;
      if (g.destination) spark(chart.destination, g.destination, chart.grid.count)[bucket]! += g.events;
      if (g.connector) spark(chart.connector, g.connector, chart.grid.count)[bucket]! += g.events;
    }
  }
  return countMessages(t);
}

/**
 * One tally of several parts' summaries (each tenant's, tallied for its own view), as `tally` of
 * them all would be: counts add up, message sets are unions (the same message in two tenants
 * counts once), and a code's category is the first part's that had it. With `grid`, the parts'
 * charts (of that grid) are summed into new arrays: the parts keep theirs for their own views.
 */
export function mergeTallies(parts: readonly Tally[], grid?: ChartGrid): Tally {
  const t = emptyTally(grid);
  for (const p of parts) {
    if (t.chart) addChart(t.chart, p.chart);
    for (const field of ['outcomes', 'codes', 'destinations', 'connectors', 'plain'] as const)
      for (const [k, n] of p[field]) add(t[field], k, n);
    for (const [h, n] of p.perHour) add(t.perHour, h, n);
    for (const [code, c] of p.categories) if (!t.categories.has(code)) t.categories.set(code, c);
    for (const [outcome, set] of p.sets) {
      let union = t.sets.get(outcome);
      if (!union) t.sets.set(outcome, (union = new U64Union()));
      union.addUnion(set);
    }
    t.plainAffected += p.plainAffected;
  }
  return countMessages(t);
}

function addChart(into: ChartTally, part: ChartTally | null): void {
  const g = into.grid;
  if (!part || part.grid.origin !== g.origin || part.grid.step !== g.step || part.grid.count !== g.count)
    throw new Error('mergeTallies: a part was tallied without the chart of this grid');
  for (let i = 0; i < into.cells.length; i++) into.cells[i]! += part.cells[i]!;
  for (const field of ['destination', 'connector'] as const) {
    for (const [name, line] of part[field]) {
      const l = into[field].get(name);
      if (!l) into[field].set(name, line.slice());
      else for (let b = 0; b < l.length; b++) l[b]! += line[b]!;
    }
  }
}

/** Distinct messages of these outcomes. */
export function messagesOf(t: Tally, outcomes: readonly string[]): number {
  return outcomes.reduce((sum, o) => sum + (t.messages.get(o) ?? 0), 0);
}

/** Events of these outcomes. */
export function eventsOf(t: Tally, outcomes: readonly string[]): number {
  return outcomes.reduce((sum, o) => sum + (t.outcomes.get(o) ?? 0), 0);
}

function add<K>(m: Map<K, number>, k: K | null, n: number): void {
  if (k !== null && k !== '') m.set(k, (m.get(k) ?? 0) + n);
}
