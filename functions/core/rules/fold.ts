import type { Incident } from '../store/incidents.ts';
import type { Rule } from './config.ts';
import type { RuleValue } from './evaluate.ts';

/**
 * Alerts that aggregate. Per tenant and rule at most `rule.maxIncidents` groups (destinations,
 * connectors, codes …) have an incident of their own; every other group over the threshold is
 * folded into one incident whose group is FOLDED_GROUP, which says how many there are and names
 * the largest. An outage naming 500,000 destinations is then 21 incidents per rule, not 500,000.
 *
 * Groups that already have an active incident keep their place (so alerts do not churn as values
 * move), then the largest new ones fill the free places. Active incidents beyond the cap (state
 * written before the cap, or a cap lowered in the config) are absorbed: resolved without a
 * notification, their groups counted in the fold from then on.
 */
export const FOLDED_GROUP: Readonly<Record<string, string | null>> = Object.freeze({ folded: 'more' });

/** The largest folded groups named in the alert. */
export const FOLDED_TOP = 5;

export const isFolded = (group: Record<string, string | null>): boolean => Object.keys(group).length === 1 && group.folded === 'more';

export function foldValues(values: RuleValue[], incidents: ReadonlyMap<string, Incident>, keyOf: (v: RuleValue) => string): RuleValue[] {
  const byRule = new Map<Rule, RuleValue[]>();
  for (const v of values) {
    const list = byRule.get(v.rule);
    if (list) list.push(v);
    else byRule.set(v.rule, [v]);
  }
  const out: RuleValue[] = [];
  for (const [rule, list] of byRule) for (const v of foldRule(rule, list, incidents, keyOf)) out.push(v);
  return out;
}

const isActive = (i: Incident | undefined): boolean => i !== undefined && i.state !== 'resolved';

function foldRule(rule: Rule, list: RuleValue[], incidents: ReadonlyMap<string, Incident>, keyOf: (v: RuleValue) => string): RuleValue[] {
  const own = list.filter((v) => !isFolded(v.group));
  const folded = list.find((v) => isFolded(v.group));
  // Only groups that have an incident or would open one compete for a place.
  const active = own.filter((v) => isActive(incidents.get(keyOf(v))));
  const opening = own.filter((v) => !isActive(incidents.get(keyOf(v))) && v.value > 0 && v.value >= rule.open);
  const foldActive = folded !== undefined && isActive(incidents.get(keyOf(folded)));
  if (active.length + opening.length <= rule.maxIncidents && !foldActive) return list;

  const byValue = (a: RuleValue, b: RuleValue) => b.value - a.value;
  const keptActive = active.sort(byValue).slice(0, rule.maxIncidents);
  const keptNew = opening.sort(byValue).slice(0, rule.maxIncidents - keptActive.length);
  const kept = new Set([...keptActive, ...keptNew]);
  const competing = new Set([...active, ...opening]);
  const overCap = [...active.slice(keptActive.length), ...opening.slice(keptNew.length)].sort(byValue);

  // Groups below the threshold pass through (they open nothing); absorbed ones resolve silently.
  const out = own.filter((v) => kept.has(v) || !competing.has(v));
  for (const v of active.slice(keptActive.length)) out.push({ ...v, absorbed: true });
  // The fold's value is its largest group's, so it opens, escalates and resolves on the rule's own
  // thresholds; with nothing beyond the cap any more it is 0 and resolves after a full window.
  out.push({
    rule,
    group: { ...FOLDED_GROUP },
    value: overCap[0]?.value ?? 0,
    topCode: overCap[0]?.topCode ?? null,
    ...(overCap[0]?.messages !== undefined ? { messages: overCap[0].messages } : {}),
    ...(overCap[0]?.volume !== undefined ? { volume: overCap[0].volume } : {}),
    folded: { groups: overCap.length, top: overCap.slice(0, FOLDED_TOP).map((v) => ({ group: v.group, value: v.value })) },
  });
  return out;
}
