import { TextKeeper } from '../vocabulary/text.ts';
import type { HourlySummary } from './rollup.ts';

/**
 * One receiving server, two names: a trace summary names it by `ToIP` (198.51.100.25), a trace
 * detail by the host in its status (`LastAttemptedServerName=mail.contoso.com`, with
 * `LastAttemptedIP=198.51.100.25:25`). Every event that names both teaches the tenant's alias
 * table that the address is the host; readers then show one destination, the host name, and keep
 * the address as its attribute (a filter on the address finds the host's events).
 *
 * The table only grows (a union of what was seen), so any order of uploads learns the same table,
 * and an address that answered for several names shows the first of them in sort order.
 */
export interface AliasTable {
  /** Address → the host names it answered as (sorted, at most MAX_HOSTS_PER_IP). */
  ips: Record<string, string[]>;
  /** Addresses not learned because the table was full (an upper bound, for the log). */
  dropped: number;
}

/** Enough for every MX and smart host a tenant sends to; the table stays under ~1 MB. */
export const MAX_ALIAS_IPS = 10_000;
export const MAX_HOSTS_PER_IP = 4;

/** What one upload saw: address → host names, bounded like the table. */
export class AliasLearner {
  readonly seen = new Map<string, Set<string>>();
  dropped = 0;
  private readonly texts = new TextKeeper();

  learn(ip: string, host: string): void {
    // The status text's host is what Exchange printed; an address in its place is no alias.
    if (ip === host) return;
    const key = this.texts.keep(ip.toLowerCase());
    let hosts = this.seen.get(key);
    if (!hosts) {
      if (this.seen.size >= MAX_ALIAS_IPS) {
        this.dropped++;
        return;
      }
      this.seen.set(key, (hosts = new Set()));
    }
    // As the rollups store it, so the host shown is the host the detail's groups are under.
    if (hosts.size < MAX_HOSTS_PER_IP) hosts.add(this.texts.keep(host));
  }
}

/** The table with what an upload learned; null when it adds nothing (no write needed). */
export function mergeAliases(current: AliasTable | null, learned: AliasLearner): AliasTable | null {
  const ips: Record<string, string[]> = { ...(current?.ips ?? {}) };
  let count = Object.keys(ips).length;
  let changed = false;
  let dropped = current?.dropped ?? 0;
  for (const [ip, hosts] of learned.seen) {
    const before = ips[ip];
    if (!before && count >= MAX_ALIAS_IPS) {
      dropped++;
      changed = true;
      continue;
    }
    const union = [...new Set([...(before ?? []), ...hosts])].sort().slice(0, MAX_HOSTS_PER_IP);
    if (before && union.length === before.length && union.every((h, i) => h === before[i])) continue;
    if (!before) count++;
    ips[ip] = union;
    changed = true;
  }
  if (learned.dropped) {
    dropped += learned.dropped;
    changed = true;
  }
  return changed ? { ips, dropped } : null;
}

/** The host name a destination is shown as: itself, or the host its address answered as. */
export function hostOf(table: AliasTable | null, destination: string): string {
  return table?.ips[destination.toLowerCase()]?.[0] ?? destination;
}

/** The addresses known for each host (the attribute readers show next to it). */
export function addressesOf(table: AliasTable | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [ip, hosts] of Object.entries(table?.ips ?? {})) {
    const host = hosts[0]!;
    const list = out.get(host);
    if (list) list.push(ip);
    else out.set(host, [ip]);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/**
 * Summaries as readers show them: a destination that is a known address becomes its host, and
 * every group of a host with known addresses carries them (`addresses`). Pure: new objects.
 */
export function withHostNames(summaries: readonly HourlySummary[], tables: ReadonlyMap<string, AliasTable | null>): HourlySummary[] {
  const addresses = new Map<string, Map<string, string[]>>();
  for (const [tenant, table] of tables) if (table && Object.keys(table.ips).length) addresses.set(tenant, addressesOf(table));
  return summaries.map((s) => {
    const known = addresses.get(s.tenant);
    if (!known) return s;
    const table = tables.get(s.tenant)!;
    let changed = false;
    const groups = s.groups.map((g) => {
      if (g.destination === null) return g;
      const host = hostOf(table, g.destination);
      const ips = known.get(host);
      if (host === g.destination && !ips) return g;
      changed = true;
      return { ...g, destination: host, ...(ips ? { addresses: ips } : {}) };
    });
    return changed ? { ...s, groups } : s;
  });
}
