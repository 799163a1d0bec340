import { DeferralTracker, mergeDeferrals, type DeferralEntry, type DeferralState } from '../aggregate/deferrals.ts';
import type { ObjectStore } from '../ports.ts';
import { casUpdateBytes, type CasOptions } from './cas.ts';
import { deferralStateKey } from './layout.ts';
import { decode, encode, record, StoredDataError } from './records.ts';
import { CLOCK_SLACK_MS } from '../vocabulary/time.ts';

/**
 * `state/deferrals/<tenant>.json` as stored. Schema 2 is columnar: seven numbers per open
 * deferral in `rows` (hash high, hash low, first − asOf, last − first, then code, destination and
 * connector as 1-based indexes into `strings`, 0 for none), ~55 bytes an entry instead of ~130 as
 * schema 1's object per entry; every upload reads and writes this object, so its size is latency.
 */
interface StoredDeferrals {
  schema: 1 | 2;
  tenant: string;
  asOf: number;
  dropped?: { count: number; at: number } | null;
  /** Schema 1: by "high:low". */
  entries?: Record<string, Omit<DeferralEntry, 'hi' | 'lo'>>;
  strings?: string[];
  rows?: number[];
}

const STORED = record<StoredDeferrals>('deferral state', { schema: 'number', tenant: 'string', asOf: 'number' });
const WIDTH = 7;

export function encodeDeferralState(state: DeferralState): Buffer {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const ref = (s: string | null): number => {
    if (s === null) return 0;
    let i = index.get(s);
    if (i === undefined) index.set(s, (i = strings.push(s)));
    return i;
  };
  const rows: number[] = [];
  for (const e of state.entries)
    rows.push(e.hi, e.lo, e.first - state.asOf, e.last - e.first, ref(e.code), ref(e.destination), ref(e.connector));
  const stored: StoredDeferrals = { schema: 2, tenant: state.tenant, asOf: state.asOf, dropped: state.dropped ?? null, strings, rows };
  return encode(stored);
}

export function decodeDeferralState(bytes: Uint8Array, key: string): DeferralState {
  const s = decode(bytes, key, STORED);
  if (s.schema === 1) {
    if (typeof s.entries !== 'object' || s.entries === null)
      throw new StoredDataError(key, 'not a deferral state: field "entries" should be object');
    const entries = Object.entries(s.entries).map(([k, e]) => {
      const [hi, lo] = k.split(':').map(Number);
      return { ...e, hi: hi!, lo: lo! };
    });
    return { tenant: s.tenant, asOf: s.asOf, entries, dropped: null };
  }
  const { strings, rows } = s;
  if (s.schema !== 2 || !Array.isArray(strings) || !Array.isArray(rows) || rows.length % WIDTH !== 0)
    throw new StoredDataError(
      key,
      `not a deferral state of schema 1 or 2 (schema ${JSON.stringify(s.schema)}, ${WIDTH} numbers per entry)`,
    );
  const str = (i: number | undefined): string | null => {
    if (i === 0) return null;
    const v = i === undefined ? undefined : strings[i - 1];
    if (typeof v !== 'string') throw new StoredDataError(key, `not a deferral state: string index ${i} is not in "strings"`);
    return v;
  };
  const entries: DeferralEntry[] = [];
  for (let r = 0; r < rows.length; r += WIDTH) {
    const first = s.asOf + rows[r + 2]!;
    entries.push({
      hi: rows[r]!,
      lo: rows[r + 1]!,
      first,
      last: first + rows[r + 3]!,
      code: str(rows[r + 4]),
      destination: str(rows[r + 5]),
      connector: str(rows[r + 6]),
    });
  }
  return { tenant: s.tenant, asOf: s.asOf, entries, dropped: s.dropped ?? null };
}

export async function readDeferralState(store: ObjectStore, tenant: string): Promise<DeferralState | null> {
  const key = deferralStateKey(tenant);
  const o = await store.get(key);
  return o ? decodeDeferralState(o.body, key) : null;
}

/**
 * Merges an upload's deferrals (or none: the hourly tick only moves the clock and prunes) into
 * the tenant's state, and returns the tenant's data clock afterwards: the clock only moves
 * forward, so an older upload never moves evaluation back in time, and never past the wall clock
 * (`cas.clock`) plus CLOCK_SLACK_MS. With it, the state as written (or found unchanged), so the
 * evaluation that follows need not read and decode it again (a tenant at the cap stores ~2 MB).
 */
export async function advanceDeferrals(
  store: ObjectStore,
  tenant: string,
  reached: number,
  cas: CasOptions,
  tracker = new DeferralTracker(),
): Promise<{ asOf: number; state: DeferralState | null }> {
  const key = deferralStateKey(tenant);
  const notAfter = cas.clock.now().getTime() + CLOCK_SLACK_MS;
  let clock = Math.min(reached, notAfter);
  let after: DeferralState | null = null;
  await casUpdateBytes(
    store,
    key,
    (current) => {
      const state = current ? decodeDeferralState(current.body, key) : null;
      const next = mergeDeferrals(state, tracker, tenant, reached, notAfter);
      after = next ?? state;
      clock = after?.asOf ?? clock;
      return next && encodeDeferralState(next);
    },
    cas,
  );
  return { asOf: clock, state: after };
}
