import { MailflowError } from '../errors.ts';
import type { Clock, GraphApi, Logger, ObjectStore } from '../ports.ts';
import { readCollectState } from '../store/collect-state.ts';
import { MINUTE } from '../vocabulary/time.ts';
import { collectTenant, type CollectOptions, type CollectResult } from './collect-tenant.ts';

/**
 * One scheduled run over every tenant configured for collection: a few tenants at a time, the
 * ones whose last run is oldest first (so a run that cannot reach them all starts with the rest
 * next time), each in isolation: one tenant's revoked consent, missing secret or unanswering
 * Graph is that tenant's outcome and the others go on.
 */
export interface TenantsPorts {
  /** Where the collector keeps its state (the data bucket's state/collect/). */
  store: ObjectStore;
  /** Signs in for the tenant (reads its certificate); a failure is that tenant's. */
  graphFor(tenant: string): Promise<GraphApi>;
  deliver(key: string, body: Uint8Array): Promise<void>;
  clock: Clock;
  logger: Logger;
}

export interface TenantsOptions {
  tenants: readonly string[];
  /** When every tenant's run must have saved and ended (ms). */
  deadline: number;
  /** Tenants collected at once. */
  concurrency: number;
  /** A tenant is not started with less time than this left (ms): it goes first next run. */
  minTimeMs?: number;
  /** Passed to each tenant's run (details, budget, top). */
  each?: Omit<CollectOptions, 'tenant' | 'deadline' | 'from' | 'to' | 'dryRun'>;
}

export type TenantOutcome =
  | { tenant: string; outcome: 'collected'; result: CollectResult }
  | { tenant: string; outcome: 'failed'; code: string; message: string }
  | { tenant: string; outcome: 'skipped'; why: 'deadline' | 'concurrent' };

export async function collectTenants(ports: TenantsPorts, options: TenantsOptions): Promise<TenantOutcome[]> {
  const minTime = options.minTimeMs ?? MINUTE;
  const lastRun = new Map<string, number>();
  await Promise.all(
    options.tenants.map(async (t) => {
      // Unreadable state is the tenant's own failure, found again when its run reads it.
      const at = await readCollectState(ports.store, t).then(
        (r) => r.state.lastRun?.at ?? 0,
        () => 0,
      );
      lastRun.set(t, at);
    }),
  );
  const queue = [...options.tenants].sort((a, b) => lastRun.get(a)! - lastRun.get(b)! || a.localeCompare(b));
  const outcomes = new Map<string, TenantOutcome>();

  const one = async (tenant: string): Promise<TenantOutcome> => {
    if (ports.clock.now().getTime() + minTime > options.deadline) return { tenant, outcome: 'skipped', why: 'deadline' };
    try {
      const graph = await ports.graphFor(tenant);
      const result = await collectTenant(
        { graph, store: ports.store, deliver: ports.deliver, clock: ports.clock, logger: ports.logger },
        { ...options.each, tenant, deadline: options.deadline },
      );
      return { tenant, outcome: 'collected', result };
    } catch (err) {
      // Another run of this tenant (a manual one) is at work: it is collected, just not by this run.
      if (err instanceof MailflowError && err.code === 'COLLECT_CONCURRENT') return { tenant, outcome: 'skipped', why: 'concurrent' };
      const e = err as Error;
      const code = err instanceof MailflowError ? err.code : (e.name ?? 'Error');
      ports.logger.error('collection failed for a tenant; the others go on', { tenant, code, error: e.message });
      return { tenant, outcome: 'failed', code, message: e.message };
    }
  };

  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) outcomes.set(t, await one(t));
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.tenants.length)) }, worker));
  return options.tenants.map((t) => outcomes.get(t)!);
}
