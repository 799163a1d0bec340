import type { ObjectStore } from '../ports.ts';
import { collectStateKey } from './layout.ts';
import { decode, encode, record } from './records.ts';

/** A range of time, [from, to) in ms. */
export type Span = [number, number];

/** A message and recipient whose detail events are owed, and the status that made them owed. */
export interface OwedDetail {
  id: string;
  recipient: string;
  received: number;
  status: string;
}

/**
 * `state/collect/<tenant>.json`: where the Graph collector is for one tenant. One run at a time
 * writes it (each save is conditional on the version the run read or last wrote).
 */
export interface CollectState {
  schema: 1;
  tenant: string;
  /** Every trace received before this (ms) has been read at least once; null before the first run. */
  doneUntil: number | null;
  /** The slice whose pages a run was reading when it stopped: the next run goes on from `next`. */
  inProgress: { from: number; to: number; next: string; page: number } | null;
  /** When this collector's Graph requests were made (ms), pruned to the budget window: the budget spans runs. */
  requests: number[];
  /** Detail events owed, oldest message first (at most MAX_OWED). */
  owed: OwedDetail[];
  /** Messages whose detail events were not owed because the queue was full (a tenant too large for the budget). */
  owedDropped?: number;
  /**
   * Messages still pending when their detail events were fetched (retried, not yet delivered or
   * given up): their list rows are not read again once older than the re-read window, so their
   * detail events are fetched again, hourly, until they settle or are WATCH_FOR old.
   */
  watch?: WatchedDetail[];
  /** Messages not watched because the watch list was full. */
  watchDropped?: number;
  /** `id|recipient` → the status its detail events were fetched at (recent messages only). */
  fetched: Record<string, { status: string; received: number }>;
  /** Hours read after they stopped changing (4 h after their end), and hours read before that. */
  complete: Span[];
  partial: Span[];
  lastRun: CollectRun | null;
}

/** A message and recipient whose detail events are fetched again until they show a final outcome. */
export interface WatchedDetail {
  id: string;
  recipient: string;
  received: number;
  /** When its detail events were last fetched (ms). */
  checked: number;
}

export interface CollectRun {
  at: number;
  requests: number;
  pages: number;
  rows: number;
  details: number;
  detailEvents: number;
  /** Of `details`, the fetches again of watched messages. */
  rechecks?: number;
  /** done, budget (spent; goes on next run), throttled, deadline, unavailable (Graph 5xx), dry-run. */
  stopped: string;
}

const KIND = record<CollectState>('collector state', { schema: 'number', tenant: 'string', requests: 'array', owed: 'array' });

export function emptyCollectState(tenant: string): CollectState {
  return {
    schema: 1,
    tenant,
    doneUntil: null,
    inProgress: null,
    requests: [],
    owed: [],
    fetched: {},
    complete: [],
    partial: [],
    lastRun: null,
  };
}

/** The state and its version, for saving conditionally. */
export async function readCollectState(store: ObjectStore, tenant: string): Promise<{ state: CollectState; etag: string | null }> {
  const key = collectStateKey(tenant);
  const o = await store.get(key);
  return o ? { state: decode(o.body, key, KIND), etag: o.etag } : { state: emptyCollectState(tenant), etag: null };
}

/** Saves `state` if nobody wrote it since `etag`; the new etag. A lost condition means another run is at work. */
export async function saveCollectState(store: ObjectStore, state: CollectState, etag: string | null): Promise<string> {
  const key = collectStateKey(state.tenant);
  const body = encode(state);
  const r = etag === null ? await store.putIfAbsent(key, body) : await store.putIfMatch(key, body, etag);
  return r.etag;
}

/** Spans merged: sorted, overlapping and touching ones joined. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Span[] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** `spans` without what `minus` covers. */
export function subtractSpans(spans: readonly Span[], minus: readonly Span[]): Span[] {
  let out = mergeSpans(spans);
  for (const [c, d] of mergeSpans(minus))
    out = out.flatMap(([a, b]): Span[] =>
      d <= a || c >= b
        ? [[a, b]]
        : (
            [
              [a, Math.min(b, c)],
              [Math.max(a, d), b],
            ] as Span[]
          ).filter(([x, y]) => y > x),
    );
  return out;
}
