import type { ObjectStore, StoredObject } from '../ports.ts';
import { casUpdateBytes, type CasOptions } from './cas.ts';
import { settledIncidentsKey } from './layout.ts';
import { decode, encode, record } from './records.ts';

/**
 * Incidents stay stored once resolved (a group that comes back reopens its own, episode + 1), so a
 * tenant's incidents only grow, and an evaluation (after every upload, every hour) read each one to
 * learn that most are resolved with nothing left to send. `state/settled-incidents/<tenant>.json`
 * names those, each with the ETag it had when an evaluation read it so: a listed incident with that
 * ETag is the same bytes, still settled, and is not read. It is a hint, never a source of truth: a
 * lost or stale entry costs a read, a damaged object is read as empty, and any write of the
 * incident (a reopen) changes its ETag, so a stale entry can never hide an active incident.
 */
const SETTLED = record<{ schema: 1; tenant: string; etags: Record<string, string> }>('settled incidents', {
  schema: 'number',
  tenant: 'string',
  etags: 'object',
});

/**
 * Below this many incidents the index is neither read nor written: the evaluation reads incidents
 * 8 at a time, so up to 8 are one round trip, which reading the index first would only add to.
 */
export const SETTLED_INDEX_FROM = 9;

export interface SettledIncidents {
  /** As read (null: not there), for the write to start from. */
  object: StoredObject | null;
  etags: ReadonlyMap<string, string>;
}

export async function readSettledIncidents(store: ObjectStore, tenant: string): Promise<SettledIncidents> {
  const key = settledIncidentsKey(tenant);
  const object = await store.get(key);
  if (!object) return { object, etags: new Map() };
  try {
    const { etags } = decode(object.body, key, SETTLED);
    return { object, etags: new Map(Object.entries(etags).filter((e): e is [string, string] => typeof e[1] === 'string')) };
  } catch {
    return { object, etags: new Map() };
  }
}

/** Stores `etags` (every settled incident the evaluation knows of) unless the index already says exactly that. */
export async function writeSettledIncidents(
  store: ObjectStore,
  tenant: string,
  before: SettledIncidents,
  etags: ReadonlyMap<string, string>,
  cas: CasOptions,
): Promise<void> {
  const same = etags.size === before.etags.size && [...etags].every(([k, e]) => before.etags.get(k) === e);
  if (same) return;
  const body = encode({ schema: 1, tenant, etags: Object.fromEntries([...etags].sort(([a], [b]) => (a < b ? -1 : 1))) });
  // Whatever a concurrent evaluation wrote meanwhile is replaced: each writes all it knows, and a
  // lost entry only costs a read next time.
  await casUpdateBytes(store, settledIncidentsKey(tenant), () => body, cas, { read: before.object });
}
