import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { ENV, METRICS_NAMESPACE, parseRuntimeConfig, type RuntimeConfig } from './runtime-config.ts';
import { UsageError } from '../core/errors.ts';
import type { IngestConfig } from '../core/flows/ingest-object.ts';
import { systemClock, type Clock, type LinkSigner, type Logger, type ObjectStore } from '../core/ports.ts';
import { parseRulesConfig, type RulesConfig } from '../core/rules/config.ts';
import { createCloudFrontLinkSigner, secretPrivateKey } from './cloudfront-links.ts';
import { createS3Client } from './s3-client.ts';
import { createS3Store } from './s3-store.ts';
import { slotLimited } from './slot-limited-notifier.ts';
import { createSnsNotifier } from './sns-notifier.ts';

export type FunctionName = 'ingest' | 'reconcile' | 'digest' | 'query' | 'collect';

/** What a deployed function needs, built once per cold start from the environment the stack sets. */
export interface FunctionRuntime {
  name: FunctionName;
  /** `mailflow-<name>`: the service on every log line and metric. */
  service: string;
  config: RuntimeConfig;
  /** The data bucket (results/, state/, reports/). */
  bucket: string;
  /** The upload bucket (incoming/), for the functions that list it (reconcile) or write to it (collect). */
  uploadBucket?: string;
  s3: S3Client;
  store: ObjectStore;
  clock: Clock;
  /** The core's Logger port, written through Powertools (JSON, Lambda context, cold start). */
  logger: Logger;
  log: PowertoolsLogger;
  metrics: Metrics;
  /** Set when the stack gives the function the alert topic; publishes at most once a second. */
  alerts?: NonNullable<IngestConfig['alerts']>;
  /** The report bucket (reports/: dashboard snapshots, full digests), for the digest function. */
  reports?: ObjectStore;
  /** Links people open without AWS credentials (CloudFront signed URLs), when configured. */
  links?: LinkSigner;
}

export type RuntimeOverrides = Partial<Pick<FunctionRuntime, 's3' | 'clock' | 'logger' | 'alerts' | 'links'>>;

/**
 * The one factory behind all five functions. Tests call it with their own environment and
 * overrides; the handlers call `functionRuntime()`, which builds it once per cold start.
 */
export function createFunctionRuntime(
  name: FunctionName,
  env: Record<string, string | undefined>,
  overrides: RuntimeOverrides = {},
): FunctionRuntime {
  const config = parseRuntimeConfig(env);
  const bucket = env[ENV.BUCKET];
  if (!bucket) throw new UsageError('BAD_CONFIG', `${ENV.BUCKET} is not set: the stack sets it to the data bucket`);
  const clock = overrides.clock ?? systemClock;
  const s3 =
    overrides.s3 ??
    createS3Client({
      forcePathStyle: config.forcePathStyle,
      maxAttempts: config.s3MaxAttempts,
      ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3 } : {}),
    });
  const store = createS3Store(s3, { bucket, unquotedIfMatch: config.unquotedIfMatch });
  const service = `mailflow-${name}`;
  const log = new PowertoolsLogger({ serviceName: service });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  const rt: FunctionRuntime = {
    name,
    service,
    config,
    bucket,
    s3,
    store,
    clock,
    log,
    metrics,
    logger: overrides.logger ?? powertoolsPort(log),
  };
  if (env[ENV.UPLOAD_BUCKET]) rt.uploadBucket = env[ENV.UPLOAD_BUCKET];
  if (env[ENV.REPORT_BUCKET]) rt.reports = createS3Store(s3, { bucket: env[ENV.REPORT_BUCKET]!, unquotedIfMatch: config.unquotedIfMatch });
  const alerts = overrides.alerts ?? alertsFromEnv(env, rt);
  if (alerts) rt.alerts = alerts;
  const links = overrides.links ?? linksFromEnv(env, rt);
  if (links) rt.links = links;
  return rt;
}

let cached: FunctionRuntime | undefined;

/** The memoised runtime of this function instance (one per cold start). */
export function functionRuntime(name: FunctionName): FunctionRuntime {
  return (cached ??= createFunctionRuntime(name, process.env));
}

/**
 * Runs one invocation: the Lambda context on every log line, the cold-start metric, and the
 * stored metrics flushed (as EMF) whether the work succeeded or threw.
 */
export async function invocation<T>(rt: FunctionRuntime, context: Context | undefined, work: () => Promise<T>): Promise<T> {
  if (context) {
    rt.log.addContext(context);
    rt.metrics.captureColdStartMetric(context.functionName);
  }
  try {
    return await work();
  } catch (err) {
    rt.log.error('invocation failed', err as Error);
    throw err;
  } finally {
    if (rt.metrics.hasStoredMetrics()) rt.metrics.publishStoredMetrics();
  }
}

/** Counts for one tenant, flushed as one EMF record with `tenant` as its dimension. */
export function tenantMetrics(
  rt: FunctionRuntime,
  tenant: string,
  counts: Record<string, number>,
  durations: Record<string, number> = {},
): void {
  const entries = Object.entries(counts);
  if (entries.length === 0 && Object.keys(durations).length === 0) return;
  // Its own instance: the invocation's stored metrics keep their dimensions, and this is one record.
  const m = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: rt.service });
  m.addDimension('tenant', tenant);
  for (const [name, value] of Object.entries(durations)) m.addMetric(name, MetricUnit.Milliseconds, value);
  for (const [name, value] of entries) m.addMetric(name, MetricUnit.Count, value);
  m.publishStoredMetrics();
}

/** Counts without a tenant (alerts published, publish failures), flushed with the invocation. */
export function countMetric(rt: FunctionRuntime, name: string, value = 1): void {
  rt.metrics.addMetric(name, MetricUnit.Count, value);
}

/** CloudFront signed links, when the stack has a report distribution (a public key was given). */
function linksFromEnv(env: Record<string, string | undefined>, rt: FunctionRuntime): LinkSigner | undefined {
  const baseUrl = env[ENV.REPORT_BASE_URL];
  const keyPairId = env[ENV.REPORT_KEY_PAIR_ID];
  const secretArn = env[ENV.REPORT_KEY_SECRET_ARN];
  if (!baseUrl || !keyPairId || !secretArn) return undefined;
  return createCloudFrontLinkSigner({ baseUrl, keyPairId, privateKey: secretPrivateKey(secretArn, rt.logger) });
}

function powertoolsPort(log: PowertoolsLogger): Logger {
  return {
    debug: (message, fields) => log.debug(message, fields ?? {}),
    info: (message, fields) => log.info(message, fields ?? {}),
    warn: (message, fields) => log.warn(message, fields ?? {}),
    error: (message, fields) => log.error(message, fields ?? {}),
  };
}

/** The alert settings from the environment: the topic, and the rules validated as at synth time. */
function alertsFromEnv(env: Record<string, string | undefined>, rt: FunctionRuntime): FunctionRuntime['alerts'] {
  const topicArn = env[ENV.TOPIC_ARN];
  if (!topicArn) return undefined;
  const notifier = createSnsNotifier(new SNSClient({}), { topicArn, clock: rt.clock });
  // Whoever reads an alert from the deployed pipeline queries its data bucket.
  const bucket = env[ENV.BUCKET];
  return {
    rules: rulesFromEnv(env),
    notifier: slotLimited(countingPublishes(notifier, rt), rt.store, rt.clock),
    ...(bucket ? { drill: { cli: 'mailflow', store: ['--bucket', bucket] } } : {}),
  };
}

function rulesFromEnv(env: Record<string, string | undefined>): RulesConfig {
  const raw = env[ENV.RULES];
  if (!raw) return parseRulesConfig({});
  try {
    return parseRulesConfig(JSON.parse(raw));
  } catch (err) {
    if (err instanceof SyntaxError) throw new UsageError('BAD_RULES_CONFIG', `${ENV.RULES} is not valid JSON: ${err.message}`);
    throw err;
  }
}

function countingPublishes(
  inner: NonNullable<FunctionRuntime['alerts']>['notifier'],
  rt: FunctionRuntime,
): NonNullable<FunctionRuntime['alerts']>['notifier'] {
  return {
    async publish(n) {
      try {
        await inner.publish(n);
        countMetric(rt, 'AlertsPublished');
      } catch (err) {
        countMetric(rt, 'PublishFailures');
        throw err;
      }
    },
  };
}
