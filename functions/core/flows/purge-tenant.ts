import type { ObjectEraser } from '../ports.ts';
import { tenantPrefixes, type TenantPrefix } from '../store/layout.ts';

export type PurgeTargets = Record<TenantPrefix['bucket'], ObjectEraser>;

export interface PurgeResult {
  tenant: string;
  /** Objects (versions, on a bucket) per prefix: found by a dry run, erased otherwise. */
  byPrefix: Array<{ bucket: TenantPrefix['bucket']; prefix: string; objects: number }>;
  total: number;
  /** Objects still there after the last pass (written concurrently by an ingestion that was running). */
  remaining: number;
}

const PASSES = 3;

/**
 * Erases everything of one tenant: uploads (every version), results, state, receipts and reports.
 * A write that lands while the purge runs (an upload still being ingested) is caught by the next
 * pass; what is left after PASSES is reported, not hidden, so the admin can stop uploads and run again.
 */
export async function purgeTenant(tenant: string, targets: PurgeTargets, options: { dryRun: boolean }): Promise<PurgeResult> {
  const prefixes = tenantPrefixes(tenant);
  const byPrefix = prefixes.map((p) => ({ bucket: p.bucket, prefix: p.prefix, objects: 0 }));
  const pass = (p: TenantPrefix) =>
    options.dryRun ? targets[p.bucket].count(p.prefix, p.match) : targets[p.bucket].erase(p.prefix, p.match);
  for (let n = 0; n < (options.dryRun ? 1 : PASSES); n++) {
    let found = 0;
    for (const [i, p] of prefixes.entries()) {
      const objects = await pass(p);
      byPrefix[i]!.objects += objects;
      found += objects;
    }
    if (found === 0) break;
  }
  let remaining = 0;
  if (!options.dryRun) for (const p of prefixes) remaining += await targets[p.bucket].count(p.prefix, p.match);
  return { tenant, byPrefix, total: byPrefix.reduce((a, b) => a + b.objects, 0), remaining };
}
