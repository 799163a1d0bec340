import type { S3Client } from '@aws-sdk/client-s3';
import { createJsonLogger } from '../adapters/json-logger.ts';
import { createS3Client } from '../adapters/s3-client.ts';
import { createS3Store } from '../adapters/s3-store.ts';
import { alertsFromEnv } from '../adapters/runtime-alerts.ts';
import { slotLimited } from '../adapters/slot-limited-notifier.ts';
import type { IngestConfig } from '../core/pipeline.ts';
import { parseRuntimeConfig, type RuntimeConfig } from '../core/config.ts';
import { systemClock, type Logger } from '../core/ports.ts';
import { ingestS3Object } from './ingest-s3-object.ts';
import { parseS3Event } from './s3-event.ts';

/**
 * The ingest function: S3 ObjectCreated under `incoming/` → ingestObject(). Bad input becomes a
 * `rejected` receipt (no retry); anything else throws, so Lambda's async retries run it again,
 * which the receipts and rollups make harmless.
 */
interface Runtime {
  client: S3Client;
  config: RuntimeConfig;
  logger: Logger;
  /** Set when the stack gives the function an alert topic. */
  alerts?: IngestConfig['alerts'];
}

let runtime: Runtime | undefined;

export function createRuntime(env: Record<string, string | undefined> = process.env): Runtime {
  const config = parseRuntimeConfig(env);
  const alerts = alertsFromEnv(env, systemClock);
  return {
    config,
    client: createS3Client({ forcePathStyle: config.forcePathStyle, maxAttempts: config.s3MaxAttempts, ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3 } : {}) }),
    logger: createJsonLogger({ service: 'mailflow-ingest' }),
    ...(alerts ? { alerts } : {}),
  };
}

export async function handler(event: unknown, rt: Runtime = (runtime ??= createRuntime())): Promise<{ processed: number; skipped: number }> {
  const parsed = parseS3Event(event);
  for (const s of parsed.skipped) rt.logger.warn('record skipped', s);
  for (const object of parsed.objects) {
    const store = createS3Store(rt.client, { bucket: object.bucket, unquotedIfMatch: rt.config.unquotedIfMatch });
    const alerts = rt.alerts ? { ...rt.alerts, notifier: slotLimited(rt.alerts.notifier, store, systemClock) } : undefined;
    const receipt = await ingestS3Object(rt.client, object, { store, clock: systemClock, logger: rt.logger }, rt.config, alerts);
    rt.logger.info('object processed', { key: object.key, status: receipt.status, sourceId: receipt.sourceId, counted: receipt.counted, errorCode: receipt.errorCode });
  }
  return { processed: parsed.objects.length, skipped: parsed.skipped.length };
}
