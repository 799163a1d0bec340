import type { ObjectStore } from '../ports.ts';
import { casUpdate, createIfAbsent, type CasOptions } from './cas.ts';
import { AREA, suppressionKey, suppressionPrefix } from './layout.ts';
import { readAll, record } from './records.ts';

/**
 * A suppression silences a rule's alerts for groups that match, until it expires; the reason is
 * shown in digests. Stored as `state/suppressions/<tenant>/<id>.json`.
 */
export interface Suppression {
  id: string;
  tenant: string;
  /** A rule id, or `*` for every rule. */
  ruleId: string;
  /** Group fields that must all equal (e.g. { destination: 'mail.contoso.com' }); empty = any group. */
  match: Record<string, string>;
  until: string;
  reason: string;
  createdAt: string;
  /** Set when it was lifted before its time (`mailflow suppress --remove`): `until` is then that moment. */
  liftedAt?: string;
}

export const SUPPRESSION = record<Suppression>('suppression', {
  id: 'string',
  tenant: 'string',
  ruleId: 'string',
  match: 'object',
  until: 'string',
  reason: 'string',
});

/** The tenant's suppressions that have not expired at `now`, soonest to expire first. */
export async function activeSuppressions(store: ObjectStore, tenant: string, now: Date): Promise<Suppression[]> {
  const all = await readAll(store, suppressionPrefix(tenant), SUPPRESSION);
  return all.filter((s) => Date.parse(s.until) > now.getTime()).sort((a, b) => (a.until < b.until ? -1 : 1));
}

/** Every tenant's suppressions that have not expired at `now`, by tenant, soonest to expire first. */
export async function allActiveSuppressions(store: ObjectStore, now: Date): Promise<Suppression[]> {
  const all = await readAll(store, AREA.suppressions, SUPPRESSION);
  return all
    .filter((s) => Date.parse(s.until) > now.getTime())
    .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.until < b.until ? -1 : 1));
}

/** Ends a suppression at `now`; the record stays, so a digest can still say when and that it was lifted. */
export async function liftSuppression(store: ObjectStore, s: Suppression, now: Date, cas: CasOptions): Promise<void> {
  const at = now.toISOString();
  await casUpdate(
    store,
    suppressionKey(s.tenant, s.id),
    SUPPRESSION,
    (current) => (current ? { ...current, until: at, liftedAt: at } : null),
    cas,
  );
}

/** Stores a new suppression; false when one with its id exists. */
export function saveSuppression(store: ObjectStore, s: Suppression): Promise<boolean> {
  return createIfAbsent(store, suppressionKey(s.tenant, s.id), Buffer.from(JSON.stringify(s, null, 1)));
}
