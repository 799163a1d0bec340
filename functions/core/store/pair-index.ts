import { STATUS_FINAL, statusFinals, statusSources, type SourceKind } from '../aggregate/pair-days.ts';
import { PairTable } from '../aggregate/pair-table.ts';
import type { ObjectStore } from '../ports.ts';
import { isoDay } from '../vocabulary/time.ts';
import { casUpdateBytes, type CasOptions } from './cas.ts';
import { AREA } from './layout.ts';
import { decode, encode, record, StoredDataError } from './records.ts';

/**
 * `state/pairs/tenant=<t>/<day>.json`: which message-and-recipient pairs of a day status sources
 * counted (and in which hour), and which event sources have events (and finals) for. It decides
 * which status rows events supersede (aggregate/pair-days.ts), whatever order the sources came in.
 * Counts, not flags, so forgetting one source of two that saw a pair keeps the other's; `applied`
 * makes recording a part idempotent (a retry, or a concurrent delivery, adds nothing twice). The
 * tables are base64 u32 quadruples (pair high, low, then for status: hour since the epoch and
 * sources, with the sources whose row is final in its high 16 bits; for events: sources and
 * sources with a final): 16 bytes a pair.
 */
interface StoredPairIndex {
  schema: 2;
  tenant: string;
  day: string;
  applied: string[];
  status: string;
  events: string;
}

export interface PairIndex {
  applied: string[];
  status: PairTable;
  events: PairTable;
}

const STORED = record<StoredPairIndex>('pair index', {
  schema: 'number',
  tenant: 'string',
  day: 'string',
  applied: 'array',
  status: 'string',
  events: 'string',
});

export const pairIndexKey = (tenant: string, dayMs: number): string => `${AREA.pairs}tenant=${tenant}/${isoDay(dayMs)}.json`;

function parse(bytes: Uint8Array, key: string): PairIndex {
  const s = decode(bytes, key, STORED);
  if (s.schema !== 2) throw new StoredDataError(key, `not a pair index of schema 2 (schema ${s.schema})`);
  return { applied: s.applied, status: PairTable.decode(s.status), events: PairTable.decode(s.events) };
}

export async function readPairIndex(store: ObjectStore, tenant: string, dayMs: number): Promise<PairIndex | null> {
  const key = pairIndexKey(tenant, dayMs);
  const o = await store.get(key);
  return o ? parse(o.body, key) : null;
}

/** Adds (or, with `remove`, takes out) one part's pairs of one day; true when the day's index was new (so are its hours, most likely). */
export async function recordPairs(
  store: ObjectStore,
  tenant: string,
  dayMs: number,
  marker: string,
  kind: SourceKind,
  pairs: PairTable,
  cas: CasOptions,
  remove = false,
): Promise<boolean> {
  const key = pairIndexKey(tenant, dayMs);
  const r = await casUpdateBytes(
    store,
    key,
    (current) => {
      const ix = current ? parse(current.body, key) : { applied: [], status: new PairTable(), events: new PairTable() };
      if (ix.applied.includes(marker) !== remove) return null;
      const d = remove ? -1 : 1;
      const table = kind === 'status' ? ix.status : ix.events;
      for (const [hi, lo, a, b] of pairs.entries()) {
        const [x, y] = table.get(hi, lo) ?? [0, 0];
        if (kind === 'status') {
          const n = statusSources(y) + d;
          const f = Math.max(0, statusFinals(y) + (statusFinals(b) ? d : 0));
          table.set(hi, lo, n > 0 ? (x ? Math.min(x, a) : a) : 0, n > 0 ? n + f * STATUS_FINAL : 0);
        } else {
          const n = x + d * a;
          table.set(hi, lo, Math.max(0, n), n > 0 ? Math.max(0, y + d * b) : 0);
        }
      }
      const applied = remove ? ix.applied.filter((m) => m !== marker) : [...ix.applied, marker].sort();
      const stored: StoredPairIndex = {
        schema: 2,
        tenant,
        day: isoDay(dayMs),
        applied,
        status: ix.status.encode(),
        events: ix.events.encode(),
      };
      return encode(stored);
    },
    cas,
  );
  return r.created;
}
