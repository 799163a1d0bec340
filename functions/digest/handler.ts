import { createJsonLogger } from '../adapters/json-logger.ts';
import { alertsFromEnv } from '../adapters/runtime-alerts.ts';
import { slotLimited } from '../adapters/slot-limited-notifier.ts';
import { createS3Client } from '../adapters/s3-client.ts';
import { createS3LinkSigner } from '../adapters/s3-links.ts';
import { createS3Store } from '../adapters/s3-store.ts';
import { ENV, parseRuntimeConfig } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { systemClock } from '../core/ports.ts';
import { scheduledTick } from './scheduled.ts';

/** Hourly: incidents re-evaluated (so they resolve without uploads) and the daily digests sent. */
export async function handler(_event: unknown = {}, env: Record<string, string | undefined> = process.env): Promise<{ tenants: number; digests: number }> {
  const config = parseRuntimeConfig(env);
  const bucket = env[ENV.BUCKET];
  const alerts = alertsFromEnv(env, systemClock);
  if (!bucket || !alerts) throw new UsageError('BAD_CONFIG', `${ENV.BUCKET} and ${ENV.TOPIC_ARN} must be set`);
  const client = createS3Client({ forcePathStyle: config.forcePathStyle, maxAttempts: config.s3MaxAttempts, ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3 } : {}) });
  const logger = createJsonLogger({ service: 'mailflow-digest' });
  const store = createS3Store(client, { bucket, unquotedIfMatch: config.unquotedIfMatch });
  const links = createS3LinkSigner(client, bucket);
  const results = await scheduledTick({ store, clock: systemClock, logger, notifier: slotLimited(alerts.notifier, store, systemClock), links }, alerts.rules, { reportLinkHours: config.reportLinkHours });
  logger.info('tick finished', { tenants: results.length, digests: results.filter((r) => r.digest).length });
  return { tenants: results.length, digests: results.filter((r) => r.digest).length };
}
