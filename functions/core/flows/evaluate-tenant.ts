import { forEachLimit } from '../vocabulary/for-each-limit.ts';
import type { DeferralState, DeferralTracker } from '../aggregate/deferrals.ts';
import type { AliasTable } from '../aggregate/destination-aliases.ts';
import type { Clock, Logger, Notifier, ObjectStore, StoredObject } from '../ports.ts';
import { renderAlert } from '../render/alert.ts';
import { resolveTenant, type Rule, type RulesConfig, type TenantSettings } from '../rules/config.ts';
import { holdReason, hoursNeeded, needsDeferrals, valuesToEvaluate, type RuleValue } from '../rules/evaluate.ts';
import { absorbedIncident, nextIncident, owed } from '../rules/incident.ts';
import { suppressing } from '../rules/suppressions.ts';
import type { CasHint, CasOptions } from '../store/cas.ts';
import { claim, markPublished } from '../store/claims.ts';
import { takePublishBudget } from '../store/publish-budget.ts';
import { advanceDeferrals, readDeferralState } from '../store/deferral-state.ts';
import { INCIDENT, tenantIncidents, updateIncident, type Incident, type Transition } from '../store/incidents.ts';
import { decode } from '../store/records.ts';
import { readSettledIncidents, SETTLED_INDEX_FROM, writeSettledIncidents } from '../store/settled-incidents.ts';
import { incidentKey, notificationClaimKey } from '../store/layout.ts';
import { summariesInRange } from '../query/query.ts';
import { activeSuppressions, type Suppression } from '../store/suppressions.ts';
import { HOUR, hourStart } from '../vocabulary/time.ts';
import type { DrillContext } from '../render/drill.ts';

export interface EvaluationPorts {
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  /** How the reader runs mailflow, for the drill-down command in each alert. */
  drill?: DrillContext;
}

export interface EvaluationResult {
  transitions: Array<{ ruleId: string; group: Record<string, string | null>; transition: Transition; value: number }>;
}

/**
 * After an upload: move the tenant's data clock to the end of the latest hour the upload reached
 * (level-triggered, as of the tenant's latest data: an older upload does not move time back),
 * merging the upload's deferrals, then evaluate.
 */
export async function evaluateAfterIngest(
  tenant: string,
  latestHour: number,
  deferrals: DeferralTracker,
  alerts: { rules: RulesConfig },
  ports: EvaluationPorts,
  cas: CasOptions,
  aliases?: AliasTable | null,
): Promise<EvaluationResult> {
  const { rules, settings } = resolveTenant(alerts.rules, tenant);
  const { asOf, state } = await advanceDeferrals(ports.store, tenant, latestHour + HOUR, cas, deferrals);
  return evaluateTenant(tenant, rules, settings, asOf, ports, cas, { deferrals: state, ...(aliases !== undefined ? { aliases } : {}) });
}

/**
 * What the caller has just read or written for the tenant, so the evaluation need not read it
 * again: its deferral state and its destination alias table. What is not given is read.
 */
export interface KnownState {
  deferrals?: DeferralState | null;
  aliases?: AliasTable | null;
}

/**
 * Compares every rule's value for a tenant at `asOf` with its incidents, makes transitions by
 * compare-and-swap, and sends every notification an incident owes (at least once, and once among
 * concurrent evaluations: see store/claims.ts). Load (I/O) → compute (pure) → apply (CAS, publish).
 */
export async function evaluateTenant(
  tenant: string,
  rules: Rule[],
  settings: TenantSettings,
  asOf: number,
  ports: EvaluationPorts,
  cas: CasOptions,
  known: KnownState = {},
): Promise<EvaluationResult> {
  const loaded = await loadEvaluation(ports.store, tenant, rules, asOf, ports.clock.now(), known, cas);
  if (loaded.deferrals?.dropped)
    ports.logger.warn('open deferrals over the tracking limit: stuck and queue values are lower bounds', {
      tenant,
      tracked: loaded.deferrals.entries.length,
      dropped: loaded.deferrals.dropped.count,
    });
  const keyOf = (v: RuleValue) => incidentKey(tenant, v.rule.id, v.group);
  const values = valuesToEvaluate(tenant, rules, loaded.summaries, loaded.deferrals, loaded.incidents, keyOf, asOf);
  const result: EvaluationResult = { transitions: [] };
  for (const v of values) {
    const key = keyOf(v);
    // From what was read: a key the listing did not hold starts from "not there", so a group whose
    // value opens nothing costs no request (each was a GET answered 404, one per value). A settled
    // incident left unread is read by its compare-and-swap, if its group has a value.
    const hint: CasHint = loaded.unread.has(key) ? {} : { read: loaded.read.get(key) ?? null };
    await applyValue(tenant, v, key, settings, loaded.suppressions, new Date(asOf), ports, cas, result, hint);
  }
  return result;
}

async function loadEvaluation(
  store: ObjectStore,
  tenant: string,
  rules: Rule[],
  asOf: number,
  now: Date,
  known: KnownState,
  cas: CasOptions,
) {
  const first = hourStart(asOf) - hoursNeeded(rules) * HOUR;
  // Listed by day, not a GET per hour: a quiet tenant has few of the window's hours, and each missing
  // one cost a GET answered 403 (prefix-conditioned ListBucket) plus a LIST to tell it from a denial.
  // All of it at once, the incidents 8 at a time: on S3 each is a round trip, and one after another
  // they were the evaluation's wait (a rule's listing, then each incident it holds).
  const [summaries, deferrals, incidents, suppressions] = await Promise.all([
    summariesInRange(store, {
      from: first,
      to: asOf,
      tenants: [tenant],
      ...(known.aliases !== undefined ? { aliases: new Map([[tenant, Promise.resolve(known.aliases)]]) } : {}),
    }),
    !needsDeferrals(rules) ? null : known.deferrals !== undefined ? known.deferrals : readDeferralState(store, tenant),
    incidentsOf(store, tenant, rules, cas),
    activeSuppressions(store, tenant, now),
  ]);
  return { summaries, deferrals, ...incidents, suppressions };
}

/**
 * The tenant's incidents of these rules, by key, in the rules' order and each rule's listing order,
 * and each as read (null when listed but gone), for the transition's compare-and-swap to start
 * from. With many incidents, those the settled index names with their listed ETag (resolved,
 * nothing left to send: for the rules the same as no incident) are not read but `unread`; the
 * index is brought up to date with what was read.
 */
async function incidentsOf(store: ObjectStore, tenant: string, rules: Rule[], cas: CasOptions) {
  const listed = await tenantIncidents(
    store,
    tenant,
    rules.map((r) => r.id),
  );
  const index = listed.length >= SETTLED_INDEX_FROM ? await readSettledIncidents(store, tenant) : null;
  const unread = new Set(listed.filter((o) => index?.etags.get(o.key) === o.etag).map((o) => o.key));
  const toRead = listed.filter((o) => !unread.has(o.key));
  const objects: Array<StoredObject | null> = new Array<StoredObject | null>(toRead.length).fill(null);
  await forEachLimit([...toRead.keys()], 8, async (i) => {
    objects[i] = await store.get(toRead[i]!.key);
  });
  const incidents = new Map<string, Incident>();
  const read = new Map<string, StoredObject | null>();
  const settled = new Map<string, string>();
  for (const key of unread) settled.set(key, index!.etags.get(key)!);
  toRead.forEach(({ key }, i) => {
    const o = objects[i]!;
    read.set(key, o);
    if (!o) return;
    const incident = decode(o.body, key, INCIDENT);
    incidents.set(key, incident);
    if (incident.state === 'resolved' && owed(incident).length === 0) settled.set(key, o.etag);
  });
  if (index) await writeSettledIncidents(store, tenant, index, settled, cas);
  return { incidents, read, unread };
}

/** One value: the incident's transition (CAS), then every notification it owes, published once. */
async function applyValue(
  tenant: string,
  v: RuleValue,
  key: string,
  settings: TenantSettings,
  suppressions: Suppression[],
  at: Date,
  ports: EvaluationPorts,
  cas: CasOptions,
  result: EvaluationResult,
  hint: CasHint,
): Promise<void> {
  if (v.absorbed) {
    await updateIncident(ports.store, key, (current) => absorbedIncident(current, at), cas, hint);
    ports.logger.info('incident folded', { tenant, rule: v.rule.id, group: v.group });
    return;
  }
  const r = await updateIncident(
    ports.store,
    key,
    (current) =>
      nextIncident(current, v.value, v.rule, at, { tenant, group: v.group, folded: v.folded, messages: v.messages, volume: v.volume }),
    cas,
    hint,
  );
  const incident = r.value;
  if (!incident) return;
  // Every notification the incident owes, whoever recorded it: this evaluation's transition, or
  // one an earlier attempt recorded and could not send (a failed publish, a crash). The claim
  // makes concurrent evaluations send each once.
  for (const n of owed(incident)) {
    let held = holdReason(v.rule, suppressing(suppressions, v.rule.id, v.group), ports.clock.now(), settings);
    if (!held && !(await takePublishBudget(ports.store, tenant, settings.maxAlertsPerHour, cas))) {
      held = `publish budget: ${settings.maxAlertsPerHour} alerts this hour for the tenant`;
    }
    if (held) {
      ports.logger.info('alert held', { tenant, rule: v.rule.id, transition: n.transition, reason: held });
    } else {
      const claimKey = notificationClaimKey(tenant, key, n.id);
      const c = await claim(ports.store, claimKey, cas);
      if (c === 'busy') continue;
      if (c === 'claimed') {
        await ports.notifier.publish(renderAlert(incident, n.transition, v.rule, settings, v.topCode, ports.drill));
        await markPublished(ports.store, claimKey, cas);
        result.transitions.push({ ruleId: v.rule.id, group: v.group, transition: n.transition, value: n.value });
        ports.logger.info('incident transition', { tenant, rule: v.rule.id, transition: n.transition, value: n.value });
      }
    }
    await updateIncident(ports.store, key, (current) => markSent(current, n.id, held), cas);
  }
}

function markSent(current: Incident | null, id: string, held: string | null): Incident | null {
  if (!current || !current.notifications.some((x) => x.id === id && !x.sent)) return null;
  return {
    ...current,
    notifications: current.notifications.map((x) => (x.id === id ? { ...x, sent: true, ...(held ? { held } : {}) } : x)),
  };
}
