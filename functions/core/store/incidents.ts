import type { ObjectStore } from '../ports.ts';
import { casUpdate, type CasOptions } from './cas.ts';
import { incidentPrefix } from './layout.ts';
import { readAll, readJson, record } from './records.ts';

/**
 * `state/incidents/<tenant>/<ruleId>/<group hash>.json`: one group's incident under one rule, and
 * the notifications it owes (rules/incident.ts decides transitions; this is how they are kept).
 */
export type Transition = 'open' | 'escalated' | 'resolved';

export interface OwedNotification {
  id: string;
  transition: Transition;
  at: string;
  value: number;
  sent: boolean;
  /** Why it was not published, when it was held back (quiet hours). */
  held?: string;
}

/** How many groups an "and N more" incident folds (rules/fold.ts), and the largest of them. */
export interface Folded {
  groups: number;
  top: Array<{ group: Record<string, string | null>; value: number }>;
}

export interface Incident {
  schema: 1;
  tenant: string;
  ruleId: string;
  group: Record<string, string | null>;
  state: 'open' | 'escalated' | 'resolved';
  /** Which episode of this group's incidents (a new one each time it opens again). */
  episode: number;
  openedAt: string;
  /** Value that opened the incident, or that the last escalation was measured at. */
  baseline: number;
  lastValue: number;
  /**
   * For count and rate rules: the distinct messages (message and recipient) that matched in the
   * window; for a count rule they are behind `lastValue`'s events.
   */
  lastMessages?: number;
  /** For rate rules: the distinct messages with a final outcome in the window (`lastValue`'s denominator). */
  lastVolume?: number;
  peakValue: number;
  /** When the value first went below the close threshold; null while it is above. */
  belowSince: string | null;
  resolvedAt: string | null;
  lastNotifiedAt: string | null;
  notifications: OwedNotification[];
  /** Only on a rule's "and N more" incident (group `{ folded: 'more' }`): how many groups, the largest. */
  folded?: Folded;
}

export const INCIDENT = record<Incident>('incident', {
  schema: 'number',
  tenant: 'string',
  ruleId: 'string',
  group: 'object',
  state: 'string',
  notifications: 'array',
});

/** Every incident of a tenant (or of all tenants), in any state. */
export function readIncidents(store: ObjectStore, tenant: string | null): Promise<Incident[]> {
  return readAll(store, incidentPrefix(tenant ?? undefined), INCIDENT);
}

export function readIncident(store: ObjectStore, key: string): Promise<Incident | null> {
  return readJson(store, key, INCIDENT);
}

/** Keys of a tenant's incidents under one rule. */
export async function incidentKeys(store: ObjectStore, tenant: string, ruleId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(incidentPrefix(tenant, ruleId))) keys.push(o.key);
  return keys;
}

export function updateIncident(store: ObjectStore, key: string, update: (current: Incident | null) => Incident | null, cas: CasOptions) {
  return casUpdate(store, key, INCIDENT, update, cas);
}
