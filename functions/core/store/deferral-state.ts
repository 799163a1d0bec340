import { DeferralTracker, mergeDeferrals, type DeferralState } from '../aggregate/deferrals.ts';
import type { ObjectStore } from '../ports.ts';
import { casUpdate, type CasOptions } from './cas.ts';
import { deferralStateKey } from './layout.ts';
import { readJson, record } from './records.ts';

/** `state/deferrals/<tenant>.json`: a tenant's open deferrals and its data clock. */
export const DEFERRAL_STATE = record<DeferralState>('deferral state', {
  schema: 'number',
  tenant: 'string',
  asOf: 'number',
  entries: 'object',
});

export function readDeferralState(store: ObjectStore, tenant: string): Promise<DeferralState | null> {
  return readJson(store, deferralStateKey(tenant), DEFERRAL_STATE);
}

/**
 * Merges an upload's deferrals (or none: the hourly tick only moves the clock and prunes) into
 * the tenant's state, and returns the tenant's data clock afterwards: the clock only moves
 * forward, so an older upload never moves evaluation back in time.
 */
export async function advanceDeferrals(
  store: ObjectStore,
  tenant: string,
  reached: number,
  cas: CasOptions,
  tracker = new DeferralTracker(),
): Promise<number> {
  const r = await casUpdate(
    store,
    deferralStateKey(tenant),
    DEFERRAL_STATE,
    (current) => mergeDeferrals(current, tracker, tenant, reached),
    cas,
  );
  return r.value?.asOf ?? reached;
}
