import { mergeAliases, type AliasLearner, type AliasTable } from '../aggregate/destination-aliases.ts';
import type { ObjectStore } from '../ports.ts';
import { casUpdate, type CasOptions } from './cas.ts';
import { aliasTableKey } from './layout.ts';
import { readJson, record } from './records.ts';

export const ALIAS_TABLE = record<AliasTable & { schema: 1; tenant: string }>('destination alias table', {
  schema: 'number',
  tenant: 'string',
  ips: 'object',
  dropped: 'number',
});

/**
 * Adds what an upload learned to the tenant's table: one read, and a write only when something is
 * new. Returns the table as it stands after (for the evaluation that follows to use rather than
 * read again), or undefined when there was nothing to learn and so nothing was read.
 */
export async function learnAliases(
  store: ObjectStore,
  tenant: string,
  learned: AliasLearner,
  cas: CasOptions,
): Promise<AliasTable | null | undefined> {
  if (learned.seen.size === 0 && learned.dropped === 0) return undefined;
  const r = await casUpdate(
    store,
    aliasTableKey(tenant),
    ALIAS_TABLE,
    (current) => {
      const next = mergeAliases(current, learned);
      return next && { schema: 1 as const, tenant, ...next };
    },
    cas,
  );
  return r.value;
}

export async function readAliases(store: ObjectStore, tenant: string): Promise<AliasTable | null> {
  return readJson(store, aliasTableKey(tenant), ALIAS_TABLE);
}

/**
 * Alias tables already read (or being read), by tenant: the reads of one request share it, so a
 * tenant's table is read once however many times its summaries are (a dashboard view of 50
 * tenants read them in three passes: 150 reads of 50 tables).
 */
export type AliasTables = Map<string, Promise<AliasTable | null>>;

/** The alias tables of the tenants, read together (through `known`, when given). */
export async function readAliasTables(
  store: ObjectStore,
  tenants: Iterable<string>,
  known: AliasTables = new Map(),
): Promise<Map<string, AliasTable | null>> {
  const list = [...new Set(tenants)];
  for (const t of list) if (!known.has(t)) known.set(t, readAliases(store, t));
  const tables = await Promise.all(list.map((t) => known.get(t)!));
  return new Map(list.map((t, i) => [t, tables[i]!]));
}
