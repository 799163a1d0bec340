import { defineCommand } from '../command.ts';
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { createS3Store } from '../../adapters/s3-store.ts';
import { UsageError } from '../../core/errors.ts';
import type { ObjectStore } from '../../core/ports.ts';
import { readFailure, type FailureRecord } from '../../core/store/failures.ts';
import { uploadTenant } from '../../core/store/layout.ts';
import { parseS3Event } from '../../adapters/s3-event.ts';
import { wholeNumber } from '../args.ts';
import { S3_OPTIONS, s3ClientFrom } from '../s3-options.ts';

export const FAILURES_HELP = `Usage: mailflow failures <list | redrive | purge> --queue-url URL [--bucket B] [options]

The uploads that failed every delivery: their notifications wait in the dead-letter queue
(stack output DeadLetterQueueUrl; MAILFLOW_DEAD_LETTER_QUEUE_URL works too).

  list      each failed upload: key, tenant, deliveries, when it was first sent, and, with
            --bucket (the stack output BucketName), the last error the ingest function recorded
  redrive   move every message back to the upload queue (SQS StartMessageMoveTask), once the
            cause is fixed; the receipts make a second ingestion of anything harmless
  purge     delete every message (the uploads stay in the upload bucket; reconcile leaves them)

Options:
  --queue-url URL    the dead-letter queue
  --bucket B         the data bucket, for the recorded errors (list)
  --max N            list at most N messages (default 100)
  --json             list as JSON, one array
  --yes              confirm purge
  --region R         AWS region (default: AWS_REGION or your profile's)
`;

export interface FailedUpload {
  messageId: string;
  key: string | null;
  tenant: string | null;
  deliveries: number;
  firstSent: string | null;
  error: FailureRecord['lastError'] | null;
  failures: number | null;
}

export const failuresCommand = defineCommand({
  name: 'failures',
  help: FAILURES_HELP,
  options: { ...S3_OPTIONS, 'queue-url': { type: 'string' }, max: { type: 'string' }, json: { type: 'boolean' }, yes: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [action, ...extra] = positionals;
    if (!action || !['list', 'redrive', 'purge'].includes(action) || extra.length)
      throw new UsageError('BAD_ARGUMENTS', 'failures needs one of: list, redrive, purge');
    const queueUrl = values['queue-url'] ?? process.env.MAILFLOW_DEAD_LETTER_QUEUE_URL;
    if (!queueUrl) throw new UsageError('MISSING_ARGUMENT', 'failures needs --queue-url (the stack output DeadLetterQueueUrl)');
    const sqs = new SQSClient(values.region ? { region: values.region } : {});

    if (action === 'list') {
      const store = values.bucket ? createS3Store(await s3ClientFrom(values), { bucket: values.bucket }) : null;
      const failed = await listFailures(sqs, queueUrl, wholeNumber('max', values.max, 100), store);
      if (values.json) io.stdout.write(`${JSON.stringify(failed, null, 2)}\n`);
      else io.stdout.write(renderList(failed, store !== null));
      return 0;
    }
    if (action === 'redrive') {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }),
      );
      const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes!.QueueArn! }));
      io.stdout.write(
        `moving ${Attributes?.ApproximateNumberOfMessages ?? 'the'} message(s) back to the upload queue (task ${TaskHandle}); the ingest function picks them up as they arrive\n`,
      );
      return 0;
    }
    if (!values.yes) throw new UsageError('CONFIRM', 'purge deletes every message in the dead-letter queue; add --yes to confirm');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    io.stdout.write(
      `purged ${Attributes?.ApproximateNumberOfMessages ?? 'all'} message(s); the uploads themselves stay in the upload bucket\n`,
    );
    return 0;
  },
});

/**
 * Reads the queue without taking anything from it: each receive hides its messages for 0
 * seconds, so they stay for the ingest function or a redrive; repeated messages are counted once.
 */
export async function listFailures(sqs: SQSClient, queueUrl: string, max: number, store: ObjectStore | null): Promise<FailedUpload[]> {
  const seen = new Map<string, Message>();
  for (let round = 0; round < Math.ceil(max / 10) + 5 && seen.size < max; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    const fresh = Messages.filter((m) => !seen.has(m.MessageId!));
    if (fresh.length === 0) break;
    for (const m of fresh) if (seen.size < max) seen.set(m.MessageId!, m);
  }
  const out: FailedUpload[] = [];
  for (const m of seen.values()) {
    let object = null;
    try {
      object = parseS3Event(JSON.parse(m.Body ?? '')).objects[0] ?? null;
    } catch {
      // not an S3 notification: listed with what SQS knows
    }
    const record = object && store ? await readFailure(store, object) : null;
    const sent = Number(m.Attributes?.SentTimestamp);
    out.push({
      messageId: m.MessageId!,
      key: object?.key ?? null,
      tenant: object ? uploadTenant(object.key) : null,
      deliveries: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      firstSent: sent ? new Date(sent).toISOString() : null,
      error: record?.lastError ?? null,
      failures: record?.failures ?? null,
    });
  }
  return out;
}

function renderList(failed: FailedUpload[], withErrors: boolean): string {
  if (failed.length === 0) return 'no failed uploads: the dead-letter queue is empty\n';
  const lines = failed.map((f) => {
    const why = f.error
      ? `${f.error.name}${f.error.code ? ` ${f.error.code}` : ''}: ${f.error.message} (${f.error.at})`
      : withErrors
        ? 'no error recorded'
        : '';
    return `${f.key ?? `(not an upload notification: message ${f.messageId})`}\n  tenant ${f.tenant ?? '?'} · ${f.deliveries} deliveries · first sent ${f.firstSent ?? '?'}${why ? `\n  ${why}` : ''}`;
  });
  return `${failed.length} failed upload(s)${withErrors ? '' : ' (add --bucket <BucketName> to see why each failed)'}:\n${lines.join('\n')}\n`;
}
