import { U64Table } from '../aggregate/u64-set.ts';
import type { DeferralState } from '../aggregate/deferrals.ts';
import { stuckCounts } from '../aggregate/deferrals.ts';
import type { HourlySummary, SummaryGroup } from '../aggregate/rollup.ts';
import type { Folded, Incident } from '../store/incidents.ts';
import { isFinal } from '../vocabulary/outcomes.ts';
import { localTime, MINUTE } from '../vocabulary/time.ts';
import type { Rule, TenantSettings } from './config.ts';
import { foldValues } from './fold.ts';
import { owed } from './incident.ts';

export interface RuleValue {
  rule: Rule;
  group: Record<string, string | null>;
  value: number;
  /** The largest contributing code in the group, for the advice in the alert. */
  topCode: string | null;
  /**
   * Count and rate rules: the distinct messages (message and recipient) that match, the union of the
   * hours' message sets. A count rule's value is events; a rate rule's is `messages / volume`.
   */
  messages?: number;
  /** Rate rules: the distinct messages with a final outcome in the window (the denominator). */
  volume?: number;
  /** For the "and N more" incident (rules/fold.ts): the groups it holds. */
  folded?: Folded;
  /** An active incident beyond the rule's cap: resolved without a notification, folded from now on. */
  absorbed?: boolean;
}

/**
 * Values of the `count` and `rate` rules over the hours of their window that end at `asOf`, per
 * group. Rates use final outcomes (delivered, failed, expired, filtered) as the denominator.
 * `new-code` compares the window with the lookback before it; `queue` and `stuck` come from the
 * deferral state, in evaluateTenant.
 */
export function ruleValues(rules: Rule[], summaries: HourlySummary[], asOf: number): RuleValue[] {
  const out: RuleValue[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'count' && rule.kind !== 'rate') continue;
    const from = asOf - rule.windowMinutes * MINUTE;
    const acc = new Map<
      string,
      { group: Record<string, string | null>; hits: number; codes: Map<string, number>; hit: Messages; final: Messages }
    >();
    for (const s of summaries) {
      const t = Date.parse(s.hour);
      if (t < from || t >= asOf) continue;
      for (const g of s.groups) {
        const group = Object.fromEntries(rule.groupBy.map((f) => [f, f === 'tenant' ? s.tenant : g[f]]));
        const key = JSON.stringify(group);
        let a = acc.get(key);
        if (!a) acc.set(key, (a = { group, hits: 0, codes: new Map(), hit: messages(), final: messages() }));
        if (rule.kind === 'rate' && isFinal(g.outcome)) addMessages(a.final, g);
        if (matches(rule, g)) {
          a.hits += g.events;
          if (g.code) a.codes.set(g.code, (a.codes.get(g.code) ?? 0) + g.events);
          // A message deferred in six hours of the window is one message: the hours' sets are united.
          addMessages(a.hit, g);
        }
      }
    }
    for (const a of acc.values()) {
      const topCode = [...a.codes.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] ?? null;
      const hit = countMessages(a.hit);
      if (rule.kind === 'count') {
        if (a.hits > 0) out.push({ rule, group: a.group, value: a.hits, topCode, messages: hit });
        continue;
      }
      // Rates are over messages, as Microsoft's reports count them: a message retried six times
      // before it failed is one failed message, and the denominator is messages with a final outcome.
      const volume = countMessages(a.final);
      const value = volume >= rule.minVolume && volume > 0 ? hit / volume : 0;
      out.push({ rule, group: a.group, value, topCode, messages: hit, volume });
    }
  }
  for (const rule of rules) if (rule.kind === 'new-code') out.push(...newCodes(rule, summaries, asOf));
  return out;
}

/**
 * `new-code`: codes in the rule's window that the tenant's summaries of the lookback period before
 * it never showed. One group per code; its value is the number of events with it.
 */
function newCodes(rule: Rule, summaries: HourlySummary[], asOf: number): RuleValue[] {
  const windowStart = asOf - rule.windowMinutes * MINUTE;
  const lookbackStart = windowStart - rule.lookbackMinutes * MINUTE;
  const seenBefore = new Set<string>();
  const recent = new Map<string, number>();
  for (const s of summaries) {
    const t = Date.parse(s.hour);
    if (t < lookbackStart || t >= asOf) continue;
    for (const g of s.groups) {
      if (!g.code || !matches(rule, g)) continue;
      if (t < windowStart) seenBefore.add(g.code);
      else recent.set(g.code, (recent.get(g.code) ?? 0) + g.events);
    }
  }
  // Without any history before the window there is nothing to compare with: no alert.
  const hasHistory = summaries.some((s) => Date.parse(s.hour) < windowStart && Date.parse(s.hour) >= lookbackStart);
  return hasHistory
    ? [...recent.entries()]
        .filter(([code]) => !seenBefore.has(code))
        .map(([code, n]) => ({ rule, group: { code }, value: n, topCode: code }))
    : [];
}

/**
 * Distinct messages over hours: deferrals, failures and expiries carry their sets and are united;
 * delivered and filtered messages have one final outcome each, so their hourly counts add up.
 */
interface Messages {
  sets: U64Table;
  counted: number;
}
const messages = (): Messages => ({ sets: new U64Table(), counted: 0 });
function addMessages(m: Messages, g: SummaryGroup): void {
  if (g.pairs === undefined) m.counted += g.messages;
  else m.sets.addEncoded(g.pairs);
}
const countMessages = (m: Messages): number => m.sets.size + m.counted;

function matches(rule: Rule, g: SummaryGroup): boolean {
  const m = rule.match;
  return (
    (m.outcomes.length === 0 || m.outcomes.includes(g.outcome)) &&
    (m.codes.length === 0 || (g.code !== null && m.codes.includes(g.code))) &&
    (m.categories.length === 0 || (g.category !== null && m.categories.includes(g.category)))
  );
}

/** Hours of summaries the rules need before `asOf`: the widest window, with new-code's lookback. */
export function hoursNeeded(rules: Rule[]): number {
  const widest = Math.max(60, ...rules.map((r) => r.windowMinutes + (r.kind === 'new-code' ? r.lookbackMinutes : 0)));
  return Math.ceil(widest / 60);
}

/** Whether any rule reads the deferral state (`stuck`, `queue`). */
export const needsDeferrals = (rules: Rule[]): boolean => rules.some((r) => r.kind === 'stuck' || r.kind === 'queue');

/**
 * Every value to evaluate at `asOf`: count, rate and new-code values from the summaries; stuck and
 * queue values from the deferral state (messages deferred longer than the rule says, without a
 * final outcome); and 0 for every stored incident whose group has no value now, so active
 * incidents can resolve and resolved ones that still owe a notification can send it. Past a
 * rule's `maxIncidents`, groups are folded into one "and N more" value (rules/fold.ts).
 */
export function valuesToEvaluate(
  tenant: string,
  rules: Rule[],
  summaries: HourlySummary[],
  deferrals: DeferralState | null,
  incidents: ReadonlyMap<string, Incident>,
  keyOf: (v: RuleValue) => string,
  asOf: number,
): RuleValue[] {
  const values = ruleValues(rules, summaries, asOf);
  for (const rule of rules) {
    if (rule.kind !== 'stuck' && rule.kind !== 'queue') continue;
    const fields = rule.groupBy.filter(
      (f): f is 'destination' | 'connector' | 'code' | 'tenant' =>
        f === 'destination' || f === 'connector' || f === 'code' || f === 'tenant',
    );
    for (const c of stuckCounts(deferrals, asOf, rule.olderThanMinutes * MINUTE, fields)) values.push({ rule, ...c });
  }
  const seen = new Set(values.map(keyOf));
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const [key, incident] of incidents) {
    const rule = byId.get(incident.ruleId);
    if (!rule || seen.has(key) || incident.tenant !== tenant) continue;
    if (incident.state !== 'resolved' || owed(incident).length > 0) values.push({ rule, group: incident.group, value: 0, topCode: null });
  }
  return foldValues(values, incidents, keyOf);
}

/** Why a notification is held back instead of published, or null to publish it. */
export function holdReason(
  rule: Rule,
  suppressedBy: { until: string; reason: string } | undefined,
  now: Date,
  settings: TenantSettings,
): string | null {
  if (suppressedBy) return `suppressed until ${suppressedBy.until}: ${suppressedBy.reason}`;
  // During the tenant's quiet hours only critical alerts go out; the rest are recorded as held
  // (the incident stays open and the next digest lists it).
  return rule.severity !== 'critical' && inQuietHours(now, settings) ? 'quiet hours' : null;
}

/** Whether the tenant's local wall-clock time falls in its quiet hours (which may span midnight). */
export function inQuietHours(now: Date, settings: TenantSettings): boolean {
  if (!settings.quietHours) return false;
  const t = localTime(now.getTime(), settings.timeZone).hhmm;
  const { from, to } = settings.quietHours;
  return from <= to ? t >= from && t < to : t >= from || t < to;
}
