import { createHash } from 'node:crypto';
import { casUpdate } from '../aggregate/cas.ts';
import { notificationClaimKey, summaryKey } from '../aggregate/keys.ts';
import { claim, markPublished } from './claims.ts';
import type { HourlySummary, SummaryGroup } from '../aggregate/rollup.ts';
import type { Clock, Logger, Notifier, ObjectStore } from '../ports.ts';
import type { Rule, TenantSettings } from './config.ts';
import { stuckCounts, type DeferralState } from './deferrals.ts';
import { nextIncident, owed, type Incident, type Transition } from './incident.ts';
import { renderAlert } from './render-alert.ts';
import { activeSuppressions, suppressing } from './suppressions.ts';

const HOUR = 3_600_000;
const CAS_BUDGET_MS = 60_000;

export interface RuleValue {
  rule: Rule;
  group: Record<string, string | null>;
  value: number;
  /** The largest contributing code in the group, for the advice in the alert. */
  topCode: string | null;
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
    const from = asOf - rule.windowMinutes * 60_000;
    const acc = new Map<string, { group: Record<string, string | null>; hits: number; total: number; codes: Map<string, number> }>();
    for (const s of summaries) {
      const t = Date.parse(s.hour);
      if (t < from || t >= asOf) continue;
      for (const g of s.groups) {
        const group = Object.fromEntries(rule.groupBy.map((f) => [f, f === 'tenant' ? s.tenant : g[f]]));
        const key = JSON.stringify(group);
        let a = acc.get(key);
        if (!a) acc.set(key, (a = { group, hits: 0, total: 0, codes: new Map() }));
        if (g.outcome !== 'deferred') a.total += g.events;
        if (matches(rule, g)) {
          a.hits += g.events;
          if (g.code) a.codes.set(g.code, (a.codes.get(g.code) ?? 0) + g.events);
        }
      }
    }
    for (const a of acc.values()) {
      const value = rule.kind === 'count' ? a.hits : a.total >= rule.minVolume && a.total > 0 ? a.hits / a.total : 0;
      const topCode = [...a.codes.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] ?? null;
      if (value > 0 || rule.kind === 'rate') out.push({ rule, group: a.group, value, topCode });
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
  const windowStart = asOf - rule.windowMinutes * 60_000;
  const lookbackStart = windowStart - rule.lookbackMinutes * 60_000;
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
  return hasHistory ? [...recent.entries()].filter(([code]) => !seenBefore.has(code)).map(([code, n]) => ({ rule, group: { code }, value: n, topCode: code })) : [];
}

function matches(rule: Rule, g: SummaryGroup): boolean {
  const m = rule.match;
  return (m.outcomes.length === 0 || m.outcomes.includes(g.outcome)) && (m.codes.length === 0 || (g.code !== null && m.codes.includes(g.code))) && (m.categories.length === 0 || (g.category !== null && m.categories.includes(g.category)));
}

/** Every incident of a tenant (or of all tenants), in any state. */
export async function readIncidents(store: ObjectStore, tenant: string | null): Promise<Incident[]> {
  const out: Incident[] = [];
  for await (const o of store.list(tenant ? `state/incidents/${tenant}/` : 'state/incidents/')) {
    const got = await store.get(o.key);
    if (got) out.push(JSON.parse(Buffer.from(got.body).toString('utf8')) as Incident);
  }
  return out;
}

export function incidentKey(tenant: string, ruleId: string, group: Record<string, string | null>): string {
  const hash = createHash('sha256').update(JSON.stringify(group)).digest('hex').slice(0, 24);
  return `state/incidents/${tenant}/${ruleId}/${hash}.json`;
}

export interface EvaluationPorts {
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
}

export interface EvaluationResult {
  transitions: Array<{ ruleId: string; group: Record<string, string | null>; transition: Transition; value: number }>;
}

/**
 * Compares every rule's value for a tenant at `asOf` with its incidents, makes transitions by
 * compare-and-swap, and sends every notification an incident owes (at least once, and once
 * among concurrent evaluations: see claims.ts). Incidents whose group no longer has a value are
 * evaluated at 0, so they can resolve.
 */
export async function evaluateTenant(tenant: string, rules: Rule[], settings: TenantSettings, asOf: number, ports: EvaluationPorts): Promise<EvaluationResult> {
  const widest = Math.max(60, ...rules.map((r) => r.windowMinutes + (r.kind === 'new-code' ? r.lookbackMinutes : 0)));
  const summaries: HourlySummary[] = [];
  for (let h = Math.floor(asOf / HOUR) * HOUR - Math.ceil(widest / 60) * HOUR; h < asOf; h += HOUR) {
    const o = await ports.store.get(summaryKey(tenant, h));
    if (o) summaries.push(JSON.parse(Buffer.from(o.body).toString('utf8')) as HourlySummary);
  }
  const values = ruleValues(rules, summaries, asOf);
  // stuck and queue: messages deferred longer than the rule says, without a final outcome.
  const waiting = rules.filter((r) => r.kind === 'stuck' || r.kind === 'queue');
  if (waiting.length) {
    const o = await ports.store.get(`state/deferrals/${tenant}.json`);
    const state = o ? (JSON.parse(Buffer.from(o.body).toString('utf8')) as DeferralState) : null;
    for (const rule of waiting) {
      const fields = rule.groupBy.filter((f): f is 'destination' | 'connector' | 'code' | 'tenant' => f === 'destination' || f === 'connector' || f === 'code' || f === 'tenant');
      for (const c of stuckCounts(state, asOf, rule.olderThanMinutes * 60_000, fields)) values.push({ rule, ...c });
    }
  }
  const seen = new Set(values.map((v) => incidentKey(tenant, v.rule.id, v.group)));
  for (const rule of rules) {
    for await (const o of ports.store.list(`state/incidents/${tenant}/${rule.id}/`)) {
      if (seen.has(o.key)) continue;
      const current = await ports.store.get(o.key);
      const incident = current ? (JSON.parse(Buffer.from(current.body).toString('utf8')) as Incident) : null;
      // Active incidents are evaluated at 0 so they can resolve; resolved ones that still owe a notification, to send it.
      if (incident && (incident.state !== 'resolved' || owed(incident).length > 0)) values.push({ rule, group: incident.group, value: 0, topCode: null });
    }
  }
  const result: EvaluationResult = { transitions: [] };
  const now = new Date(asOf);
  const suppressions = await activeSuppressions(ports.store, tenant, ports.clock.now());
  for (const v of values) {
    const key = incidentKey(tenant, v.rule.id, v.group);
    const r = await casUpdate<Incident>(ports.store, key, (current) => nextIncident(current, v.value, v.rule, now, { tenant, group: v.group }), { clock: ports.clock, budgetMs: CAS_BUDGET_MS });
    const incident = r.value;
    if (!incident) continue;
    // Every notification the incident owes, whoever recorded it: this evaluation's transition, or
    // one an earlier attempt recorded and could not send (a failed publish, a crash). The claim
    // makes concurrent evaluations send each once.
    for (const n of owed(incident)) {
      // During the tenant's quiet hours only critical alerts go out; the rest are recorded as held
      // (the incident stays open and the next digest lists it).
      const suppressed = suppressing(suppressions, v.rule.id, v.group);
      const held = suppressed
        ? `suppressed until ${suppressed.until}: ${suppressed.reason}`
        : v.rule.severity !== 'critical' && inQuietHours(ports.clock.now(), settings) ? 'quiet hours' : null;
      const claimKey = notificationClaimKey(tenant, key, n.id);
      if (!held) {
        const c = await claim(ports.store, claimKey, ports.clock);
        if (c === 'busy') continue;
        if (c === 'claimed') {
          await ports.notifier.publish(renderAlert(incident, n.transition, v.rule, settings, v.topCode));
          await markPublished(ports.store, claimKey, ports.clock);
          result.transitions.push({ ruleId: v.rule.id, group: v.group, transition: n.transition, value: n.value });
          ports.logger.info('incident transition', { tenant, rule: v.rule.id, transition: n.transition, value: n.value });
        }
      } else {
        ports.logger.info('alert held', { tenant, rule: v.rule.id, transition: n.transition, reason: held });
      }
      await casUpdate<Incident>(ports.store, key, (current) => (current && current.notifications.some((x) => x.id === n.id && !x.sent) ? { ...current, notifications: current.notifications.map((x) => (x.id === n.id ? { ...x, sent: true, ...(held ? { held } : {}) } : x)) } : null), { clock: ports.clock, budgetMs: CAS_BUDGET_MS });
    }
  }
  return result;
}

/** Whether the tenant's local wall-clock time falls in its quiet hours (which may span midnight). */
export function inQuietHours(now: Date, settings: TenantSettings): boolean {
  if (!settings.quietHours) return false;
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: settings.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now).map((p) => [p.type, p.value]));
  const t = `${parts.hour}:${parts.minute}`;
  const { from, to } = settings.quietHours;
  return from <= to ? t >= from && t < to : t >= from || t < to;
}
