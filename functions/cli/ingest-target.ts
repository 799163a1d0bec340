import type { S3Client } from '@aws-sdk/client-s3';
import { createFsStore } from '../adapters/fs-store.ts';
import { cliOrigin, localOrigin } from '../adapters/local-files.ts';
import { UsageError } from '../core/errors.ts';
import type { IngestConfig } from '../core/flows/ingest-object.ts';
import { systemClock, type ObjectStore } from '../core/ports.ts';
import type { Io } from './args.ts';
import { DEFAULT_DATA_DIR } from './command.ts';
import { localAlerts } from './local-ingest.ts';
import { bucketStore, S3_OPTIONS, type S3Values } from './s3-options.ts';

/**
 * Where the CLI ingests to: the data folder, or the deployed data bucket (`--bucket`), written
 * exactly as the ingest function writes it: the same store, the same part size and CAS budget from
 * the same environment variables, and with `--topic-arn` the same alert evaluation and SNS topic.
 */
export interface IngestTarget {
  /** For people: the data folder, or s3://bucket. */
  where: string;
  store: ObjectStore;
  /** Part of the source id of every file ingested here. */
  origin: string;
  /** The deployed function's part size and CAS budget, on a bucket; the defaults locally. */
  config: Pick<IngestConfig, 'casBudgetMs' | 'flushEvents' | 'mergeWhileReading'>;
  alerts?: NonNullable<IngestConfig['alerts']>;
  /** On a bucket: the client, for reading uploads again (reprocess). */
  s3?: S3Client;
  /** The local data folder, when that is the target. */
  dataDir?: string;
}

export const TARGET_OPTIONS = {
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  'topic-arn': { type: 'string' },
  ...S3_OPTIONS,
} as const;

export const TARGET_HELP = `  --data-dir D        the data folder (default .mailflow), or:
  --bucket B          the deployed pipeline's data bucket (stack output BucketName), written as the
                      ingest function writes it (receipts, exactly-once, MAILFLOW_PART_EVENTS …);
                      with --region R, --endpoint URL, --path-style as for the other --bucket
                      commands (MAILFLOW_S3_UNQUOTED_IF_MATCH=true for Ceph RGW)
  --topic-arn ARN     with --bucket: evaluate the alert rules and publish to this topic (stack
                      output TopicArn), as the ingest function does; without it, as a function
                      without a topic: no alerts (the next upload or hourly tick evaluates)
  --config FILE       alert rules (default mailflow.config.json if present, else built-in)
`;

interface TargetValues extends S3Values {
  'data-dir'?: string;
  bucket?: string;
  config?: string;
  'topic-arn'?: string;
}

export async function ingestTarget(values: TargetValues, io: Io, options: { alerts: boolean } = { alerts: true }): Promise<IngestTarget> {
  if (values.bucket && values['data-dir'])
    throw new UsageError('BAD_ARGUMENTS', 'give --data-dir (the local data folder) or --bucket (the deployed data bucket), not both');
  if (!values.bucket) {
    if (values['topic-arn'])
      throw new UsageError('BAD_ARGUMENTS', '--topic-arn goes with --bucket; locally, alerts go to <data-dir>/outbox.jsonl');
    const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
    return {
      where: dataDir,
      dataDir,
      store: createFsStore({ root: dataDir }),
      origin: localOrigin(dataDir),
      config: {},
      ...(options.alerts ? { alerts: await localAlerts(dataDir, values.config, io) } : {}),
    };
  }
  const bucket = values.bucket;
  const { store, client } = await bucketStore({ ...values, bucket });
  const { parseRuntimeConfig } = await import('../adapters/runtime-config.ts');
  const runtime = parseRuntimeConfig(process.env);
  const target: IngestTarget = {
    where: `s3://${bucket}`,
    store,
    s3: client,
    origin: cliOrigin(bucket),
    // As the ingest function reads: S3's round trips overlap the parsing.
    config: { casBudgetMs: runtime.casBudgetMs, flushEvents: runtime.partEvents, mergeWhileReading: true },
  };
  const topicArn = values['topic-arn'];
  if (options.alerts && topicArn) target.alerts = await topicAlerts(topicArn, bucket, store, values.config);
  return target;
}

/** The ingest function's alerts: the rules, SNS at most once a second (the shared slots), drill-downs on the bucket. */
async function topicAlerts(topicArn: string, bucket: string, store: ObjectStore, configFile: string | undefined) {
  const region = /^arn:[^:]+:sns:([^:]+):/.exec(topicArn)?.[1];
  if (!region)
    throw new UsageError('BAD_ARGUMENTS', `--topic-arn ${topicArn}: expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  const [{ SNSClient }, { createSnsNotifier }, { slotLimited }, { loadRulesConfig }] = await Promise.all([
    import('@aws-sdk/client-sns'),
    import('../adapters/sns-notifier.ts'),
    import('../adapters/slot-limited-notifier.ts'),
    import('../adapters/rules-file.ts'),
  ]);
  const { config } = await loadRulesConfig(configFile);
  const notifier = createSnsNotifier(new SNSClient({ region }), { topicArn, clock: systemClock });
  return { rules: config, notifier: slotLimited(notifier, store, systemClock), drill: { cli: 'mailflow', store: ['--bucket', bucket] } };
}
