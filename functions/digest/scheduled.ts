import type { FunctionRuntime } from '../adapters/lambda-runtime.ts';
import { casUpdate, replaceObject } from '../core/aggregate/cas.ts';
import { digestClaimKey } from '../core/aggregate/keys.ts';
import { ENV } from '../core/config.ts';
import { PreconditionFailedError, UsageError } from '../core/errors.ts';
import { buildDigest } from '../core/digest/digest.ts';
import type { Lang } from '../core/classify/types.ts';
import type { Clock, LinkSigner, Logger, Notifier, ObjectStore } from '../core/ports.ts';
import { renderReport } from '../core/digest/report.ts';
import { readSummaries, summaryKeysInRange, tenantsWithResults } from '../core/query/query.ts';
import { resolveTenant, type RulesConfig } from '../core/rules/config.ts';
import { DeferralTracker, mergeDeferrals, type DeferralState } from '../core/rules/deferrals.ts';
import { claim, markPublished } from '../core/rules/claims.ts';
import { evaluateTenant, readIncidents } from '../core/rules/evaluate.ts';
import { activeSuppressions } from '../core/rules/suppressions.ts';

const HOUR = 3_600_000;

/** The digest function's work, from its runtime: the tick with the stack's rules and topic. */
export async function digestTick(rt: FunctionRuntime): Promise<TickResult[]> {
  if (!rt.alerts) throw new UsageError('BAD_CONFIG', `${ENV.TOPIC_ARN} is not set: the digest function publishes to the alert topic`);
  const results = await scheduledTick({ store: rt.store, clock: rt.clock, logger: rt.logger, notifier: rt.alerts.notifier, ...(rt.reports ? { reports: rt.reports } : {}), ...(rt.links ? { links: rt.links } : {}) }, rt.alerts.rules, { reportLinkHours: rt.config.reportLinkHours });
  rt.logger.info('tick finished', { tenants: results.length, digests: results.filter((r) => r.digest).length });
  return results;
}

export interface TickResult {
  tenant: string;
  transitions: number;
  digest: boolean;
}

/**
 * The hourly tick of the deployed pipeline, per tenant: move its clock to now (so incidents resolve
 * when no upload arrives, and stale deferrals are pruned), re-evaluate its rules, and at the
 * tenant's digest hour publish the day's digest — claimed on `state/digests/<tenant>/<local
 * date>.json` (claims.ts), so a retried tick does not send it twice, and a tick whose publish
 * failed leaves it owed: a later tick that day sends it. The full
 * digest is kept at `reports/<tenant>/digest-<local date>.json`, which a shortened message names.
 * With the digest, the dashboard snapshot `reports/<tenant>/latest.html` (last 24 hours and 7
 * days), linked from the digest by a link (a CloudFront signed URL when deployed) that works for
 * `reportLinkHours`. Reports go to `ports.reports` (the report bucket) when given, else the store.
 */
export async function scheduledTick(
  ports: { store: ObjectStore; clock: Clock; logger: Logger; notifier: Notifier; reports?: ObjectStore; links?: LinkSigner },
  rules: RulesConfig,
  options: { reportLinkHours: number } = { reportLinkHours: 168 },
): Promise<TickResult[]> {
  const { store, clock } = ports;
  const now = clock.now().getTime();
  const results: TickResult[] = [];
  for (const tenant of await tenantsWithResults(store)) {
    const { rules: tenantRules, settings } = resolveTenant(rules, tenant);
    const state = await casUpdate<DeferralState>(store, `state/deferrals/${tenant}.json`, (current) => mergeDeferrals(current, new DeferralTracker(), tenant, now), { clock, budgetMs: 60_000 });
    const asOf = state.value?.asOf ?? now;
    const evaluation = await evaluateTenant(tenant, tenantRules, settings, asOf, ports);
    let digest = false;
    const local = localTime(now, settings.timeZone);
    // At the digest hour, or later the same day when that tick could not send it (it is owed).
    if (local.hour >= settings.digestHour) {
      const claimKey = digestClaimKey(tenant, local.date);
      if ((await claim(store, claimKey, clock)) === 'claimed') {
        // The day's digest covers the 24 hours before the digest hour, whenever it goes out.
        const to = Math.floor(now / HOUR) * HOUR - (local.hour - settings.digestHour) * HOUR;
        const summaries = await readSummaries(store, summaryKeysInRange(store, { from: to - 48 * HOUR, to, tenants: [tenant] }));
        const incidents = await readIncidents(store, tenant);
        const suppressions = await activeSuppressions(store, tenant, new Date(now));
        const report = await writeSnapshot(ports, tenant, settings.language, to, now, options.reportLinkHours);
        const digestNote = buildDigest({ tenant, lang: settings.language, from: to - 24 * HOUR, to, summaries, incidents, suppressions, ...(report ? { report } : {}) });
        // The full report, which a digest shortened to fit SNS names (reliability.md O31).
        const fullReportKey = `reports/${tenant}/digest-${local.date}.json`;
        try {
          await (ports.reports ?? store).putIfAbsent(fullReportKey, Buffer.from(JSON.stringify({ text: digestNote.text, ...digestNote.json })));
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err; // written by an earlier attempt
        }
        await ports.notifier.publish({ ...digestNote, fullReportKey });
        await markPublished(store, claimKey, clock);
        digest = true;
      }
    }
    results.push({ tenant, transitions: evaluation.transitions.length, digest });
  }
  return results;
}

/** The snapshot people open from the digest (a browser can't sign requests to the query API). */
async function writeSnapshot(
  ports: { store: ObjectStore; clock: Clock; logger: Logger; reports?: ObjectStore; links?: LinkSigner },
  tenant: string,
  lang: Lang,
  to: number,
  now: number,
  hours: number,
): Promise<{ url: string; expiresAt: number } | null> {
  const key = `reports/${tenant}/latest.html`;
  const { html } = await renderReport(ports.store, { mode: 'static', lang, tenant, tenants: [tenant], range: '24h', ranges: ['24h', '7d'], to, now });
  await replaceObject(ports.reports ?? ports.store, key, Buffer.from(html), { clock: ports.clock, budgetMs: 60_000 });
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

function localTime(ms: number, timeZone: string): { date: string; hour: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' }).formatToParts(ms).map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}
