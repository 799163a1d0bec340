import { U64Table } from '../aggregate/u64-set.ts';

/**
 * Open deferrals: messages (message key + recipient) deferred without a final outcome yet, per
 * tenant, in `state/deferrals/<tenant>.json`. The `stuck` rule (deferred longer than N hours) and
 * the `queue` rule (Microsoft's "messages queued over an hour") are computed from it. An entry goes
 * when a final outcome (delivered, failed, expired, filtered) for its message arrives, and after 48
 * hours without news (Exchange itself gives up after 24).
 */
export interface DeferralEntry {
  first: number;
  last: number;
  code: string | null;
  destination: string | null;
  connector: string | null;
}

export interface DeferralState {
  schema: 1;
  tenant: string;
  /** Keyed by a 53-bit hash of message key and recipient. */
  entries: Record<string, DeferralEntry>;
}

export const PRUNE_AFTER_MS = 48 * 3_600_000;

/** What one upload says about deferrals: new or longer deferrals, and messages that ended. */
export class DeferralTracker {
  readonly deferred = new Map<number, DeferralEntry>();
  readonly finals = new U64Table();

  /** `hi`/`lo` are the message hash FileAggregator computes anyway. */
  add(hi: number, lo: number, outcome: string, time: number, code: string | null, destination: string | null, connector: string | null): void {
    if (outcome === 'deferred') {
      const key = keyOf(hi, lo);
      const e = this.deferred.get(key);
      if (!e) this.deferred.set(key, { first: time, last: time, code, destination, connector });
      else {
        if (time < e.first) e.first = time;
        if (time >= e.last) {
          e.last = time;
          e.code = code ?? e.code;
          e.destination = destination ?? e.destination;
          e.connector = connector ?? e.connector;
        }
      }
    } else if (outcome !== 'other') this.finals.add(hi, lo);
  }

  get empty(): boolean {
    return this.deferred.size === 0 && this.finals.size === 0;
  }
}

function keyOf(hi: number, lo: number): number {
  return hi * 2 ** 21 + (lo >>> 11); // 53 bits: exact as a number, collisions negligible per tenant
}

/** Merges an upload's deferrals into the tenant's state (pure); null when nothing changes. */
export function mergeDeferrals(current: DeferralState | null, tracker: DeferralTracker, tenant: string, now: number): DeferralState | null {
  const entries: Record<string, DeferralEntry> = { ...(current?.entries ?? {}) };
  let changed = false;
  for (const [key, e] of tracker.deferred) {
    const k = String(key);
    const old = entries[k];
    if (!old) entries[k] = { ...e };
    else if (e.first < old.first || e.last > old.last) entries[k] = { first: Math.min(old.first, e.first), last: Math.max(old.last, e.last), code: e.last >= old.last ? e.code : old.code, destination: e.last >= old.last ? e.destination : old.destination, connector: e.last >= old.last ? e.connector : old.connector };
    else continue;
    changed = true;
  }
  // A final outcome ends the message's deferral, whichever upload it came in.
  const finals = new Set<number>();
  for (const [hi, lo] of tracker.finals.members()) finals.add(keyOf(hi, lo));
  for (const k of Object.keys(entries)) {
    if (finals.has(Number(k)) || entries[k]!.last < now - PRUNE_AFTER_MS) {
      delete entries[k];
      changed = true;
    }
  }
  return changed || !current ? { schema: 1, tenant, entries } : null;
}

/** Messages deferred for longer than `olderThanMs` at `asOf`, grouped by the given fields. */
export function stuckCounts(state: DeferralState | null, asOf: number, olderThanMs: number, groupBy: Array<'destination' | 'connector' | 'code' | 'tenant'>): Array<{ group: Record<string, string | null>; value: number; topCode: string | null }> {
  const groups = new Map<string, { group: Record<string, string | null>; value: number; codes: Map<string, number> }>();
  for (const e of Object.values(state?.entries ?? {})) {
    if (e.first > asOf || asOf - e.first <= olderThanMs) continue;
    const group = Object.fromEntries(groupBy.map((f) => [f, f === 'tenant' ? (state?.tenant ?? null) : e[f]]));
    const key = JSON.stringify(group);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { group, value: 0, codes: new Map() }));
    g.value++;
    if (e.code) g.codes.set(e.code, (g.codes.get(e.code) ?? 0) + 1);
  }
  return [...groups.values()].map((g) => ({ group: g.group, value: g.value, topCode: [...g.codes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null }));
}
