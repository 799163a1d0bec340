import { DeferralTracker, mergeDeferrals, type DeferralState } from '../aggregate/deferrals.ts';
import type { ObjectStore } from '../ports.ts';
import { casUpdate, type CasOptions } from './cas.ts';
import { deferralStateKey } from './layout.ts';
import { readJson, record } from './records.ts';
import { CLOCK_SLACK_MS } from '../vocabulary/time.ts';

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
 * forward, so an older upload never moves evaluation back in time, and never past the wall clock
 * (`cas.clock`) plus CLOCK_SLACK_MS.
 */
export async function advanceDeferrals(
  store: ObjectStore,
  tenant: string,
  reached: number,
  cas: CasOptions,
  tracker = new DeferralTracker(),
): Promise<number> {
  const notAfter = cas.clock.now().getTime() + CLOCK_SLACK_MS;
  const merge = (current: DeferralState | null) => mergeDeferrals(current, tracker, tenant, reached, notAfter);
  const r = await casUpdate(store, deferralStateKey(tenant), DEFERRAL_STATE, merge, cas);
  return r.value?.asOf ?? Math.min(reached, notAfter);
}
