import type { ObjectStore } from '../ports.ts';
import { casUpdate, type CasOptions } from './cas.ts';
import { record } from './records.ts';

/**
 * A claim on sending one notification, so that concurrent writers send it once and a crashed
 * sender's notification is still sent: whoever creates `state/notifications/…` (or a digest's
 * `state/digests/…`) publishes; a claim left `publishing` longer than the lease is taken over by
 * the next attempt. The one point where a notification can go out twice: a crash after the
 * publish and before the claim is marked `published`.
 */
export interface Claim {
  state: 'publishing' | 'published';
  claimedAt: string;
  publishedAt?: string;
  /** When a stale claim was taken over: the claim it replaced. */
  tookOver?: string;
}

/** `claimed`: publish now. `done`: already published (finish the bookkeeping). `busy`: another sender holds it. */
export type ClaimResult = 'claimed' | 'done' | 'busy';

/** Longer than a publish can take (a wait for a publish slot, SNS's own retries). */
export const CLAIM_LEASE_MS = 10 * 60_000;

const CLAIM = record<Claim>('claim', { claimedAt: 'string' });

export async function claim(store: ObjectStore, key: string, cas: CasOptions, leaseMs = CLAIM_LEASE_MS): Promise<ClaimResult> {
  let result: ClaimResult = 'busy';
  const now = cas.clock.now();
  await casUpdate(
    store,
    key,
    CLAIM,
    (current): Claim | null => {
      if (!current) {
        result = 'claimed';
        return { state: 'publishing', claimedAt: now.toISOString() };
      }
      // A claim without a state was written before claims had one: it was taken to publish, and counts as done.
      if (current.state !== 'publishing') {
        result = 'done';
        return null;
      }
      if (now.getTime() - Date.parse(current.claimedAt) < leaseMs) {
        result = 'busy';
        return null;
      }
      result = 'claimed';
      return { state: 'publishing', claimedAt: now.toISOString(), tookOver: current.claimedAt };
    },
    cas,
  );
  return result;
}

export async function markPublished(store: ObjectStore, key: string, cas: CasOptions): Promise<void> {
  const at = cas.clock.now().toISOString();
  await casUpdate(
    store,
    key,
    CLAIM,
    (current): Claim | null =>
      current?.state === 'published' ? null : { state: 'published', claimedAt: current?.claimedAt ?? at, publishedAt: at },
    cas,
  );
}
