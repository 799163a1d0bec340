import { TenantRunError } from '../errors.ts';
import type { Clock, LinkSigner, Logger, Notifier, ObjectStore } from '../ports.ts';
import { buildDigest } from '../render/digest.ts';
import { renderReport } from '../render/report.ts';
import { resolveTenant, type RulesConfig, type TenantSettings } from '../rules/config.ts';
import { tenantsWithResults, summariesInRange } from '../query/query.ts';
import { createIfAbsent, DEFAULT_CAS_BUDGET_MS, replaceObject, type CasOptions } from '../store/cas.ts';
import { claim, markPublished } from '../store/claims.ts';
import { advanceDeferrals } from '../store/deferral-state.ts';
import { readIncidents } from '../store/incidents.ts';
import { digestClaimKey, fullDigestKey, snapshotKey } from '../store/layout.ts';
import { encode } from '../store/records.ts';
import { activeSuppressions } from '../store/suppressions.ts';
import type { Lang } from '../vocabulary/language.ts';
import { DAY, HOUR, hourStart, localTime } from '../vocabulary/time.ts';
import { evaluateTenant } from './evaluate-tenant.ts';
import type { DrillContext } from '../render/drill.ts';

export interface TickPorts {
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  /** Where dashboard snapshots and full digests go (the report bucket); the store when not given. */
  reports?: ObjectStore;
  /** Signs the dashboard link in each digest; no link when not given. */
  links?: LinkSigner;
  /** How the reader runs mailflow, for the drill-down commands in alerts and digests. */
  drill?: DrillContext;
}

export interface TickOptions {
  /** How long the dashboard link in each digest works. */
  reportLinkHours: number;
  casBudgetMs?: number;
}

export interface TickResult {
  tenant: string;
  transitions: number;
  digest: boolean;
  /** Why this tenant's turn failed (the tick then throws TenantRunError, after every tenant). */
  error?: string;
}

/** Tenants ticked at once (each mostly waits on the store). */
export const TENANT_LANES = 4;

/**
 * The hourly tick of the deployed pipeline, per tenant: advance its clock to now (so incidents
 * resolve when no upload arrives, and stale deferrals are pruned) → evaluate its rules → at the
 * tenant's digest hour, send the day's digest.
 */
export async function scheduledTick(
  ports: TickPorts,
  rules: RulesConfig,
  options: TickOptions = { reportLinkHours: 168 },
): Promise<TickResult[]> {
  const now = ports.clock.now().getTime();
  const cas: CasOptions = { clock: ports.clock, budgetMs: options.casBudgetMs ?? DEFAULT_CAS_BUDGET_MS };
  const tenants = await tenantsWithResults(ports.store);
  const results: TickResult[] = new Array(tenants.length);
  // Tenants are independent: several at once, so one slow tenant holds up one lane, not the tick;
  // one tenant's failure (a corrupt state object, a render error) skips nothing of the others.
  let next = 0;
  const lane = async () => {
    while (next < tenants.length) {
      const i = next++;
      const tenant = tenants[i]!;
      try {
        const { rules: tenantRules, settings } = resolveTenant(rules, tenant);
        const { asOf, state } = await advanceDeferrals(ports.store, tenant, now, cas);
        const evaluation = await evaluateTenant(tenant, tenantRules, settings, asOf, ports, cas, { deferrals: state });
        const digest = await sendDigestIfDue(ports, tenant, settings, now, options.reportLinkHours, cas);
        results[i] = { tenant, transitions: evaluation.transitions.length, digest };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        ports.logger.error('tenant tick failed', { tenant, error });
        results[i] = { tenant, transitions: 0, digest: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TENANT_LANES, tenants.length) }, lane));
  const failed = results.filter((r) => r.error !== undefined);
  // Thrown after every tenant had its turn, so the run counts as failed (alarm, retry); a retry
  // repeats only what is owed, since transitions and digests are claimed.
  if (failed.length) {
    throw new TenantRunError(
      'TENANT_TICK_FAILED',
      `${failed.length} of ${results.length} tenant(s) failed in this tick (the others were evaluated and their digests sent): ${failed
        .map((r) => `${r.tenant}: ${r.error}`)
        .join('; ')}`,
    );
  }
  return results;
}

/**
 * At the digest hour, or later the same local day when that tick could not send it (it is owed):
 * the day's digest, claimed on `state/digests/<tenant>/<local date>.json` so a retried tick does
 * not send it twice. The full digest is kept where a shortened message names it, and the
 * dashboard snapshot (last 24 hours and 7 days) is linked from it.
 */
async function sendDigestIfDue(
  ports: TickPorts,
  tenant: string,
  settings: TenantSettings,
  now: number,
  linkHours: number,
  cas: CasOptions,
): Promise<boolean> {
  const local = localTime(now, settings.timeZone);
  if (local.hour < settings.digestHour) return false;
  const claimKey = digestClaimKey(tenant, local.date);
  if ((await claim(ports.store, claimKey, cas)) !== 'claimed') return false;
  // The day's digest covers the 24 hours before the digest hour, whenever it goes out.
  const to = hourStart(now) - (local.hour - settings.digestHour) * HOUR;
  const summaries = await summariesInRange(ports.store, { from: to - 2 * DAY, to, tenants: [tenant] });
  const incidents = await readIncidents(ports.store, tenant);
  const suppressions = await activeSuppressions(ports.store, tenant, new Date(now));
  const report = await writeSnapshot(ports, tenant, settings.language, to, now, linkHours, cas);
  const digest = buildDigest({
    tenant,
    lang: settings.language,
    from: to - DAY,
    to,
    summaries,
    incidents,
    suppressions,
    ...(report ? { report } : {}),
    ...(ports.drill ? { drill: ports.drill } : {}),
  });
  const fullReportKey = fullDigestKey(tenant, local.date);
  // Written by an earlier attempt when it exists: the same digest.
  await createIfAbsent(ports.reports ?? ports.store, fullReportKey, encode({ text: digest.text, ...digest.json }));
  await ports.notifier.publish({ ...digest, fullReportKey });
  await markPublished(ports.store, claimKey, cas);
  return true;
}

/** The snapshot people open from the digest (a browser can't sign requests to the query API). */
async function writeSnapshot(
  ports: TickPorts,
  tenant: string,
  lang: Lang,
  to: number,
  now: number,
  hours: number,
  cas: CasOptions,
): Promise<{ url: string; expiresAt: number } | null> {
  const key = snapshotKey(tenant);
  const { html } = await renderReport(ports.store, {
    mode: 'static',
    lang,
    tenant,
    tenants: [tenant],
    range: '24h',
    ranges: ['24h', '7d'],
    to,
    now,
  });
  await replaceObject(ports.reports ?? ports.store, key, Buffer.from(html), cas);
  if (!ports.links) return null;
  try {
    // The expiry the digest states is the one in the signature (whole seconds, as CloudFront signs).
    const expiresAt = Math.floor(now / 1000) * 1000 + hours * HOUR;
    return { url: await ports.links.link(key, new Date(expiresAt)), expiresAt };
  } catch (err) {
    // A digest without its link is better than no digest.
    ports.logger.warn('no dashboard link in this digest', { tenant, error: (err as Error).message });
    return null;
  }
}
