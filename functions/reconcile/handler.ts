import { createJsonLogger } from '../adapters/json-logger.ts';
import { createS3Client } from '../adapters/s3-client.ts';
import { createS3Store } from '../adapters/s3-store.ts';
import { ENV, parseRuntimeConfig } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { systemClock } from '../core/ports.ts';
import { reconcile } from './reconcile.ts';

/** Scheduled: ingests uploads that never got a receipt (a dropped event), and reports them. */
export async function handler(_event: unknown = {}, env: Record<string, string | undefined> = process.env): Promise<{ redriven: number }> {
  const config = parseRuntimeConfig(env);
  const bucket = env[ENV.BUCKET];
  if (!bucket) throw new UsageError('BAD_CONFIG', `${ENV.BUCKET} is not set`);
  const client = createS3Client({ forcePathStyle: config.forcePathStyle, maxAttempts: config.s3MaxAttempts, ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3 } : {}) });
  const logger = createJsonLogger({ service: 'mailflow-reconcile' });
  const store = createS3Store(client, { bucket, unquotedIfMatch: config.unquotedIfMatch });
  const receipts = await reconcile(client, bucket, { store, clock: systemClock, logger }, config);
  logger.info('reconcile finished', { redriven: receipts.length });
  return { redriven: receipts.length };
}
