import type { ListedObject, ObjectStore } from '../ports.ts';
import { casUpdate, type CasHint, type CasOptions } from './cas.ts';
import { incidentPrefix } from './layout.ts';
import { readAll, readJson, record } from './records.ts';
import { UsageError } from '../errors.ts';

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

/**
 * One page of incidents in key order (tenant, rule, group): only the page is listed and read (and,
 * with `match`, the incidents skipped on the way). `after` is the `next` of the page before.
 */
export async function incidentPage(
  store: ObjectStore,
  tenants: readonly string[] | null,
  options: { limit: number; after?: string; match?: (i: Incident) => boolean },
): Promise<{ incidents: Incident[]; next: string | null }> {
  const after = options.after === undefined ? null : parseIncidentCursor(options.after);
  // Sorted, each tenant's prefix is one run of keys: a cursor inside one skips those before it.
  const prefixes = tenants ? [...new Set(tenants)].map((t) => incidentPrefix(t)).sort() : [incidentPrefix()];
  const incidents: Incident[] = [];
  let last: string | null = null;
  for (const prefix of prefixes) {
    if (after && after > prefix && !after.startsWith(prefix)) continue;
    const batch: string[] = [];
    const flush = async (): Promise<boolean> => {
      const read = await Promise.all(batch.map((k) => readJson(store, k, INCIDENT)));
      for (const [j, k] of batch.entries()) {
        if (incidents.length === options.limit) return true;
        last = k;
        const i = read[j];
        if (i && (!options.match || options.match(i))) incidents.push(i);
      }
      batch.length = 0;
      return incidents.length === options.limit;
    };
    for await (const o of store.list(prefix, after?.startsWith(prefix) ? { startAfter: after } : {})) {
      batch.push(o.key);
      // Read a few ahead of what the page still needs, more when a filter skips some.
      const ahead = Math.min(32, options.limit - incidents.length + (options.match ? 16 : 0));
      if (batch.length >= ahead && (await flush())) return { incidents, next: cursorOf(last) };
    }
    if (await flush()) return { incidents, next: await moreAfter(store, prefixes, prefix, last) };
  }
  return { incidents, next: null };
}

const cursorOf = (key: string | null): string | null => (key ? Buffer.from(key).toString('base64url') : null);

/** A full page at the end of a prefix has a next page only when a key follows it. */
async function moreAfter(store: ObjectStore, prefixes: string[], prefix: string, last: string | null): Promise<string | null> {
  if (!last) return null;
  for (const p of prefixes.slice(prefixes.indexOf(prefix)))
    for await (const _ of store.list(p, p === prefix ? { startAfter: last } : {})) return cursorOf(last);
  return null;
}

function parseIncidentCursor(raw: string): string {
  const key = Buffer.from(raw, 'base64url').toString('utf8');
  if (!key.startsWith(incidentPrefix()) || !key.endsWith('.json'))
    throw new UsageError('BAD_CURSOR', `next "${raw.slice(0, 80)}" is not a cursor this API returned; start again without it`);
  return key;
}

/** Keys of a tenant's incidents under one rule. */
/**
 * A tenant's incidents of the given rules as listed (key and ETag), rule by rule in that order,
 * each rule's in listing order: one listing of the tenant's incidents, not one per rule (five
 * rules were five LISTs of every upload's evaluation).
 */
export async function tenantIncidents(store: ObjectStore, tenant: string, ruleIds: readonly string[]): Promise<ListedObject[]> {
  const byRule = new Map<string, ListedObject[]>(ruleIds.map((id) => [id, []]));
  const prefix = incidentPrefix(tenant);
  for await (const o of store.list(prefix)) {
    const rest = o.key.slice(prefix.length);
    byRule.get(rest.slice(0, rest.indexOf('/')))?.push(o);
  }
  return [...byRule.values()].flat();
}

/** `hint`: what the caller read of the incident (see CasHint), so the first attempt need not read it again. */
export function updateIncident(
  store: ObjectStore,
  key: string,
  update: (current: Incident | null) => Incident | null,
  cas: CasOptions,
  hint: CasHint = {},
) {
  return casUpdate(store, key, INCIDENT, update, cas, hint);
}
