import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { normalizeEtag } from '../../functions/adapters/s3-event.ts';
import type { Receipt } from '../../functions/core/store/receipts.ts';
import { ingestUpload } from '../../functions/ingest/ingest-upload.ts';
import {
  createFunctionRuntime,
  type FunctionName,
  type FunctionRuntime,
  type RuntimeOverrides,
} from '../../functions/adapters/lambda-runtime.ts';
import { parseRuntimeConfig } from '../../functions/adapters/runtime-config.ts';
import { silentLogger } from '../../functions/core/ports.ts';
import { roleS3Client } from './lambda/iam.ts';
import {
  deployedFunction,
  readSynth,
  templateEnvironment,
  type DeployedFunction,
  type FunctionId,
  type LocalStandIns,
  type Statement,
  type SynthOutput,
} from './lambda/template.ts';

let synth: SynthOutput | undefined;

/** The app `cdk synth` produced for this run (test/global-setup.ts). */
export const synthesized = (): SynthOutput => (synth ??= readSynth(inject('synthDir')));

/** A function of the app `cdk synth` produced for this run (test/global-setup.ts). */
export function deployed(id: FunctionId): DeployedFunction {
  return deployedFunction(synthesized(), id);
}

export interface InProcessOptions extends Omit<RuntimeOverrides, 's3'> {
  /** An S3 endpoint other than RGW itself (a fault proxy in front of it). */
  endpoint?: string;
  maxAttempts?: number;
  /** Statements left out of the role's policy (negative controls). */
  drop?: (s: Statement) => boolean;
  /** Environment variables changed on purpose; the caller says why. */
  override?: Record<string, string>;
}

/**
 * The function's runtime in the test process: the template's environment (tokens resolved), S3
 * calls made with a session of the function's role (its synthesized S3 statements, enforced by
 * RGW), and the settings RGW needs. Without `alerts`, the topic is left out (no SNS runs here).
 */
export async function inProcess(id: FunctionId, local: LocalStandIns, options: InProcessOptions = {}): Promise<FunctionRuntime> {
  // In the test process, EMF records would only flood the output (the harness checks them in the function's own).
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const fn = deployed(id);
  const env: Record<string, string | undefined> = {
    ...templateEnvironment(fn, local),
    MAILFLOW_S3_FORCE_PATH_STYLE: 'true',
    MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true',
    ...options.override,
  };
  if (!options.alerts) delete env.MAILFLOW_TOPIC_ARN;
  const s3 = await roleS3Client(fn, local, {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? parseRuntimeConfig(env).s3MaxAttempts,
    ...(options.drop ? { drop: options.drop } : {}),
  });
  const { endpoint: _e, maxAttempts: _m, drop: _d, override: _o, ...overrides } = options;
  return createFunctionRuntime(id.toLowerCase() as FunctionName, env, { logger: silentLogger, ...overrides, s3 });
}

/**
 * Every upload under `prefix` in the upload bucket, ingested one by one as the ingest function
 * ingests the S3 notification of each (its code, with `rt`): their keys and receipts.
 */
export async function ingestUploadsUnder(rt: FunctionRuntime, uploads: { bucket: string; client: S3Client }, prefix: string) {
  const listed = await uploads.client.send(new ListObjectsV2Command({ Bucket: uploads.bucket, Prefix: prefix }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  const receipts: Receipt[] = [];
  for (const key of keys) {
    const head = await uploads.client.send(new HeadObjectCommand({ Bucket: uploads.bucket, Key: key }));
    receipts.push(
      await ingestUpload(rt, {
        bucket: uploads.bucket,
        key,
        size: head.ContentLength!,
        etag: normalizeEtag(head.ETag!),
        versionId: head.VersionId ?? null,
        sequencer: null,
      }),
    );
  }
  return { keys, receipts };
}
