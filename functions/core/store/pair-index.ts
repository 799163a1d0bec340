import type { SourceKind } from '../aggregate/pair-days.ts';
import type { ObjectStore } from '../ports.ts';
import { isoDay } from '../vocabulary/time.ts';
import { casUpdate, type CasOptions } from './cas.ts';
import { AREA } from './layout.ts';
import { readJson, record } from './records.ts';

/**
 * `state/pairs/tenant=<t>/<day>.json`: which message-and-recipient pairs of a day status sources
 * counted (and in which hour), and which event sources have events (and finals) for. It decides
 * which status rows events supersede (aggregate/pair-days.ts), whatever order the sources came in.
 * Counts, not flags, so forgetting one source of two that saw a pair keeps the other's; `applied`
 * makes recording a part idempotent (a retry, or a concurrent delivery, adds nothing twice).
 */
export interface PairIndex {
  schema: 1;
  tenant: string;
  day: string;
  applied: string[];
  /** pair → [hour (ms), status sources]. */
  status: Record<string, [number, number]>;
  /** pair → [event sources, of which with a final outcome]. */
  events: Record<string, [number, number]>;
}

const PAIR_INDEX = record<PairIndex>('pair index', {
  schema: 'number',
  tenant: 'string',
  day: 'string',
  applied: 'array',
  status: 'object',
  events: 'object',
});

export const pairIndexKey = (tenant: string, dayMs: number): string => `${AREA.pairs}tenant=${tenant}/${isoDay(dayMs)}.json`;

export function readPairIndex(store: ObjectStore, tenant: string, dayMs: number): Promise<PairIndex | null> {
  return readJson(store, pairIndexKey(tenant, dayMs), PAIR_INDEX);
}

/** Adds (or, with `remove`, takes out) one part's pairs of one day. */
export async function recordPairs(
  store: ObjectStore,
  tenant: string,
  dayMs: number,
  marker: string,
  kind: SourceKind,
  pairs: ReadonlyMap<string, number>,
  cas: CasOptions,
  remove = false,
): Promise<void> {
  await casUpdate(
    store,
    pairIndexKey(tenant, dayMs),
    PAIR_INDEX,
    (current) => {
      const has = current?.applied.includes(marker) ?? false;
      if (has !== remove) return null;
      const next: PairIndex = current
        ? { ...current, applied: [...current.applied], status: { ...current.status }, events: { ...current.events } }
        : { schema: 1, tenant, day: isoDay(dayMs), applied: [], status: {}, events: {} };
      const d = remove ? -1 : 1;
      for (const [key, v] of pairs) {
        if (kind === 'status') {
          const [hour, n] = next.status[key] ?? [v, 0];
          if (n + d > 0) next.status[key] = [Math.min(hour, v), n + d];
          else delete next.status[key];
        } else {
          const [n, finals] = next.events[key] ?? [0, 0];
          if (n + d > 0) next.events[key] = [n + d, finals + (v ? d : 0)];
          else delete next.events[key];
        }
      }
      next.applied = remove ? next.applied.filter((m) => m !== marker) : [...next.applied, marker].sort();
      return next;
    },
    cas,
  );
}
