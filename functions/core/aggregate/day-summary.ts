import type { CountedOutcome } from '../vocabulary/outcomes.ts';
import { emptyTotals, type HourlySummary, type SummaryGroup } from './rollup.ts';
import { U64Union } from './u64-set.ts';

/**
 * A day's hourly summaries merged: one group per distinct group of the day, its events added up,
 * its message sets (deferrals, failures, expiries) united. A query over whole days reads this one
 * line per day instead of 24, and gets the same answer as from the hours: a union of unions is the
 * union, and groups without sets (one final outcome per message) add up either way.
 */
export interface DaySummary {
  schema: 1;
  tenant: string;
  /** The UTC day, `2026-11-20`. */
  day: string;
  /** Hours of the day that have a summary. */
  hours: number;
  sources: number;
  totals: Record<CountedOutcome, number>;
  groups: SummaryGroup[];
}

export function mergeDay(tenant: string, day: string, hours: readonly HourlySummary[]): DaySummary {
  const totals = emptyTotals();
  const groups = new Map<string, { group: SummaryGroup; set: U64Union | null }>();
  let sources = 0;
  for (const s of hours) {
    sources += s.sources;
    for (const o of Object.keys(totals) as CountedOutcome[]) totals[o] += s.totals[o] ?? 0;
    for (const g of s.groups) {
      // A group with a set and one without never merge: their messages are counted differently.
      const key = `${g.outcome}\u0001${g.code ?? ''}\u0001${g.category ?? ''}\u0001${g.owner ?? ''}\u0001${g.connector ?? ''}\u0001${g.destination ?? ''}\u0001${g.domain}\u0001${g.pairs === undefined ? '' : 's'}`;
      let m = groups.get(key);
      if (!m) {
        const { pairs: _, addresses: __, ...fields } = g;
        groups.set(key, (m = { group: { ...fields, events: 0, messages: 0 }, set: g.pairs === undefined ? null : new U64Union() }));
      }
      m.group.events += g.events;
      if (m.set) m.set.add(g.pairs!);
      else m.group.messages += g.messages;
    }
  }
  const out: SummaryGroup[] = [];
  for (const { group, set } of groups.values()) out.push(set ? { ...group, messages: set.size, pairs: set.encode() } : group);
  return { schema: 1, tenant, day, hours: hours.length, sources, totals, groups: out };
}

/** A day summary read as the summary of the day's first hour, spanning the day (`span`). */
export function asDaySpan(d: DaySummary): HourlySummary {
  return {
    schema: 1,
    tenant: d.tenant,
    hour: `${d.day}T00:00:00Z`,
    rollupVersion: 0,
    sources: d.sources,
    totals: d.totals,
    groups: d.groups,
    span: 'day',
  };
}
