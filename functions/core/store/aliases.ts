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

/** Adds what an upload learned to the tenant's table: one read, and a write only when something is new. */
export async function learnAliases(store: ObjectStore, tenant: string, learned: AliasLearner, cas: CasOptions): Promise<void> {
  if (learned.seen.size === 0 && learned.dropped === 0) return;
  await casUpdate(
    store,
    aliasTableKey(tenant),
    ALIAS_TABLE,
    (current) => {
      const next = mergeAliases(current, learned);
      return next && { schema: 1 as const, tenant, ...next };
    },
    cas,
  );
}

export async function readAliases(store: ObjectStore, tenant: string): Promise<AliasTable | null> {
  return readJson(store, aliasTableKey(tenant), ALIAS_TABLE);
}

/** The alias tables of the tenants, read together. */
export async function readAliasTables(store: ObjectStore, tenants: Iterable<string>): Promise<Map<string, AliasTable | null>> {
  const list = [...new Set(tenants)];
  const tables = await Promise.all(list.map((t) => readAliases(store, t)));
  return new Map(list.map((t, i) => [t, tables[i]!]));
}
