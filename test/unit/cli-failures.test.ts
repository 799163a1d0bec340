import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { failureKeyOf, type FailureRecord } from '../../functions/core/store/failures.ts';
import { runCli } from '../helpers/io.ts';
import { s3Record } from '../helpers/s3-events.ts';

// No SQS runs here (the emulators that exist do not implement message move tasks): the exact
// requests `mailflow failures` sends are what is checked, with aws-sdk-client-mock.
const QUEUE = 'https://sqs.eu-south-1.amazonaws.com/123456789012/Mailflow-IngestDeadLetters';
const DLQ_ARN = 'arn:aws:sqs:eu-south-1:123456789012:Mailflow-IngestDeadLetters';
const body = (key: string) => JSON.stringify({ Records: [s3Record(key, { bucket: 'uploads', etag: 'abc123', versionId: 'v1' })] });
const message = (id: string, key: string, receives: number) => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: body(key),
  Attributes: { ApproximateReceiveCount: String(receives), SentTimestamp: String(Date.parse('2026-11-30T08:00:00Z')) },
});

describe('mailflow failures', () => {
  const sqs = mockClient(SQSClient);
  const s3 = mockClient(S3Client);
  afterEach(() => {
    sqs.reset();
    s3.reset();
  });
  process.env.AWS_REGION = 'eu-south-1';
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });

  it('list: reads without taking (visibility 0), each message once, with the error the ingest function recorded', async () => {
    const a = message('m1', 'incoming/contoso/trace monday.csv', 5);
    const b = message('m2', 'incoming/fabrikam/MSGTRK1.LOG', 6);
    // SQS may hand out the same message again when nothing hides it: the second receive repeats m1.
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [a] })
      .resolvesOnce({ Messages: [a, b] })
      .resolves({ Messages: [b] });
    const record: FailureRecord = {
      schema: 1,
      tenant: 'contoso',
      sourceId: 's',
      bucket: 'uploads',
      key: 'incoming/contoso/trace monday.csv',
      etag: '"abc123"',
      failures: 5,
      redrives: 0,
      lastBy: 'delivery',
      lastError: { name: 'AccessDenied', code: null, message: 'Access Denied', at: '2026-11-30T08:20:00.000Z' },
    };
    const recorded = failureKeyOf({ bucket: 'uploads', key: 'incoming/contoso/trace monday.csv', etag: '"abc123"' });
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
    s3.on(GetObjectCommand, { Key: recorded }).resolves({
      ETag: '"e"',
      Body: { transformToByteArray: async () => Buffer.from(JSON.stringify(record)) },
    } as never);

    const r = await runCli(['failures', 'list', '--queue-url', QUEUE, '--bucket', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        messageId: 'm1',
        key: 'incoming/contoso/trace monday.csv',
        tenant: 'contoso',
        deliveries: 5,
        firstSent: '2026-11-30T08:00:00.000Z',
        error: record.lastError,
        failures: 5,
      },
      {
        messageId: 'm2',
        key: 'incoming/fabrikam/MSGTRK1.LOG',
        tenant: 'fabrikam',
        deliveries: 6,
        firstSent: '2026-11-30T08:00:00.000Z',
        error: null,
        failures: null,
      },
    ]);
    const receives = sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input);
    expect(receives.length).toBe(3);
    for (const input of receives)
      expect(input).toEqual({
        QueueUrl: QUEUE,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      });
    expect(sqs.commandCalls(PurgeQueueCommand)).toHaveLength(0);

    sqs.reset();
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [a] })
      .resolves({});
    const text = await runCli(['failures', 'list', '--queue-url', QUEUE, '--bucket', 'data']);
    expect(text.stdout).toContain(
      'incoming/contoso/trace monday.csv\n  tenant contoso · 5 deliveries · first sent 2026-11-30T08:00:00.000Z\n  AccessDenied: Access Denied (2026-11-30T08:20:00.000Z)',
    );
  });

  it('list: an empty queue says so', async () => {
    sqs.on(ReceiveMessageCommand).resolves({});
    expect((await runCli(['failures', 'list', '--queue-url', QUEUE])).stdout).toBe('no failed uploads: the dead-letter queue is empty\n');
  });

  it('redrive: one message move task from the dead-letter queue back to its source queue', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: DLQ_ARN, ApproximateNumberOfMessages: '2' } });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    const r = await runCli(['failures', 'redrive', '--queue-url', QUEUE]);
    expect(r.code, r.stderr).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([{ SourceArn: DLQ_ARN }]);
    expect(r.stdout).toContain('moving 2 message(s) back to the upload queue (task task-1)');
  });

  it('purge: only with --yes', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
    sqs.on(PurgeQueueCommand).resolves({});
    const refused = await runCli(['failures', 'purge', '--queue-url', QUEUE]);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('add --yes to confirm') });
    expect(sqs.commandCalls(PurgeQueueCommand)).toHaveLength(0);
    const r = await runCli(['failures', 'purge', '--queue-url', QUEUE, '--yes']);
    expect(r.code).toBe(0);
    expect(sqs.commandCalls(PurgeQueueCommand).map((c) => c.args[0].input)).toEqual([{ QueueUrl: QUEUE }]);
  });

  it('needs an action and the queue', async () => {
    expect(await runCli(['failures', '--queue-url', QUEUE])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('one of: list, redrive, purge'),
    });
    expect(await runCli(['failures', 'list'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--queue-url (the stack output DeadLetterQueueUrl)'),
    });
  });
});
