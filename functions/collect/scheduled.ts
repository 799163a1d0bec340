import type { FunctionRuntime } from '../adapters/lambda-runtime.ts';
import { countMetric, tenantMetrics } from '../adapters/lambda-runtime.ts';
import { certificateSecrets } from '../adapters/certificate-secret.ts';
import { createGraphClient } from '../adapters/graph-client.ts';
import { ENV } from '../adapters/runtime-config.ts';
import { createS3Store } from '../adapters/s3-store.ts';
import { TenantRunError, UsageError } from '../core/errors.ts';
import { collectTenants, type TenantOutcome } from '../core/flows/collect-tenants.ts';
import type { GraphApi } from '../core/ports.ts';
import { createIfAbsent } from '../core/store/cas.ts';
import { readCollectSettings } from './settings.ts';

/** What a scheduled (or hand-made) invocation may say: only these tenants, when given. */
export interface CollectEvent {
  tenants?: string[];
}

/** Tenants collected at once: each mostly waits on Graph, and each holds a page (≤ 5,000 rows) at a time. */
export const COLLECT_LANES = 4;
/** Time kept back from the function's timeout: the longest Graph request (30 s) and the last save. */
const MARGIN_MS = 45_000;

let secrets: ReturnType<typeof certificateSecrets> | undefined;
const clients = new Map<string, GraphApi>();

/**
 * The collector function's work: every tenant of the stack's collect settings (or the event's),
 * its certificate from its secret, its pages written to the upload bucket under
 * incoming/<t>/graph/ (where the ingest function counts them like any upload), its state in the
 * data bucket. Throws after every tenant had its turn if any failed, so the run counts as failed.
 */
export async function collectTick(rt: FunctionRuntime, event: CollectEvent, remainingMs: number): Promise<TenantOutcome[]> {
  const configured = readCollectSettings(process.env);
  if (!rt.uploadBucket)
    throw new UsageError('BAD_CONFIG', `${ENV.UPLOAD_BUCKET} is not set: the collector writes pages to the upload bucket`);
  const asked = event?.tenants;
  const unknown = (asked ?? []).filter((t) => !configured.has(t));
  if (unknown.length)
    throw new UsageError(
      'BAD_EVENT',
      `not configured for collection: ${unknown.join(', ')} (configured: ${[...configured.keys()].join(', ')})`,
    );
  const tenants = asked ?? [...configured.keys()];
  const uploads = createS3Store(rt.s3, { bucket: rt.uploadBucket, unquotedIfMatch: rt.config.unquotedIfMatch });
  secrets ??= certificateSecrets();
  const graphUrl = process.env[ENV.GRAPH_URL] || undefined;
  const authorityUrl = process.env[ENV.AUTHORITY_URL] || undefined;

  const outcomes = await collectTenants(
    {
      store: rt.store,
      clock: rt.clock,
      logger: rt.logger,
      async graphFor(tenant) {
        const c = configured.get(tenant)!;
        const key = `${tenant}|${c.entraTenant}|${c.clientId}|${c.certificateSecretArn}`;
        const cached = clients.get(key);
        if (cached) return cached;
        // One client per tenant and cold start: MSAL keeps its token (an hour) between runs.
        const client = createGraphClient({
          entraTenant: c.entraTenant,
          clientId: c.clientId,
          ...(await secrets!(tenant, c.certificateSecretArn!)),
          ...(graphUrl ? { graphUrl } : {}),
          ...(authorityUrl ? { authorityUrl } : {}),
          timeoutMs: 30_000,
        });
        clients.set(key, client);
        return client;
      },
      deliver: async (key, body) => void (await createIfAbsent(uploads, key, body)),
    },
    { tenants, deadline: rt.clock.now().getTime() + remainingMs - MARGIN_MS, concurrency: COLLECT_LANES },
  );

  for (const o of outcomes) {
    if (o.outcome !== 'collected') continue;
    const r = o.result;
    tenantMetrics(rt, o.tenant, {
      GraphRequests: r.requests,
      GraphPages: r.pages,
      GraphRows: r.rows,
      DetailCalls: r.details,
      DetailsOwed: r.owed,
    });
  }
  const failed = outcomes.filter((o) => o.outcome === 'failed');
  const skipped = outcomes.filter((o) => o.outcome === 'skipped');
  countMetric(rt, 'CollectFailures', failed.length);
  countMetric(rt, 'CollectSkipped', skipped.length);
  rt.logger.info('collection finished', {
    tenants: outcomes.length,
    collected: outcomes.flatMap((o) => (o.outcome === 'collected' ? [`${o.tenant}: ${o.result.stopped}`] : [])),
    failed: failed.map((o) => o.tenant),
    skipped: skipped.map((o) => o.tenant),
  });
  if (failed.length)
    throw new TenantRunError(
      'COLLECT_TENANTS_FAILED',
      `${failed.length} of ${outcomes.length} tenant(s) could not be collected (the others were): ${failed
        .map((o) => `${o.tenant}: ${o.code}: ${o.message}`)
        .join('; ')}`,
    );
  return outcomes;
}
