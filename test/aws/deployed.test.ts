import { randomBytes } from 'node:crypto';
import {
  AthenaClient,
  BatchGetNamedQueryCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  ListNamedQueriesCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudFrontLinkSigner } from '../../functions/adapters/cloudfront-links.ts';
import { createS3Client } from '../../functions/adapters/s3-client.ts';
import { createS3Store } from '../../functions/adapters/s3-store.ts';
import { signedGet } from '../../functions/adapters/signed-get.ts';
import { readCollectState } from '../../functions/core/store/collect-state.ts';
import { sourceIdOf } from '../../functions/core/store/layout.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import { generated } from '../helpers/bytes.ts';

/**
 * Opt-in, against a stack deployed in your own account (README, "Deploy" → "Check a deployment"):
 *   MAILFLOW_AWS_STACK=Mailflow npm run test:aws
 * Reads the stack's outputs, then: an upload travels S3 → the upload queue → the ingest function
 * → a receipt; Athena counts it; an alarm set to ALARM reaches the encrypted alert topic (through
 * a throwaway SQS subscription); the query URL answers a SigV4-signed request (your principal needs
 * the QueryCallerPolicyArn policy); a signed report link opens without credentials and an unsigned
 * one does not (only with -c reportPublicKeyFile and the private key stored in its secret).
 */
const stackName = process.env.MAILFLOW_AWS_STACK;
const workGroupOverride = process.env.MAILFLOW_AWS_WORKGROUP;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(stackName)('the deployed pipeline', () => {
  let out: Record<string, string> = {};
  const tenant = `e2e-${randomBytes(3).toString('hex')}`;
  let counted = 0;

  beforeAll(async () => {
    const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackName }));
    out = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
    expect(out.UploadBucketName, `outputs of ${stackName}`).toBeDefined();
  });

  it('ingests an upload through the queue within two minutes, and recognizes the same upload again', async () => {
    const client = createS3Client();
    const store = createS3Store(client, { bucket: out.BucketName! });
    const key = `incoming/${tenant}/trace detail+test.csv`;
    const put = await client.send(
      new PutObjectCommand({ Bucket: out.UploadBucketName, Key: key, Body: generated({ family: 'trace-detail', rows: 2000, seed: 5 }) }),
    );
    const receiptKey = `results/sources/${tenant}/${sourceIdOf(out.UploadBucketName!, key, put.ETag!)}.json`;
    let receipt: { status: string; counted: number } | null = null;
    for (let i = 0; i < 60 && !receipt; i++) {
      await wait(2000);
      const o = await store.get(receiptKey);
      receipt = o ? JSON.parse(Buffer.from(o.body).toString()) : null;
    }
    expect(receipt).toMatchObject({ status: 'ingested' });
    counted = receipt!.counted;
    const rows = await queryStore(store, { by: ['outcome'], tenants: [tenant] });
    expect(rows.reduce((n, r) => n + r.events, 0)).toBe(counted);
  }, 300_000);

  it('answers the same count in Athena, and runs the named queries', async () => {
    const workGroup = workGroupOverride ?? out.AthenaWorkGroup!;
    const sql = new AthenaClient({});
    const athena = async (query: string): Promise<string[][]> => {
      const { QueryExecutionId } = await sql.send(
        new StartQueryExecutionCommand({ QueryString: query, WorkGroup: workGroup, QueryExecutionContext: { Database: workGroup } }),
      );
      for (;;) {
        await wait(1500);
        const { QueryExecution } = await sql.send(new GetQueryExecutionCommand({ QueryExecutionId }));
        const state = QueryExecution?.Status?.State;
        if (state === 'SUCCEEDED') break;
        if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`${query}: ${QueryExecution?.Status?.StateChangeReason}`);
      }
      const { ResultSet } = await sql.send(new GetQueryResultsCommand({ QueryExecutionId }));
      return (ResultSet?.Rows ?? []).slice(1).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? ''));
    };
    const [[events]] = (await athena(`SELECT sum(events) FROM hourly WHERE tenant = '${tenant}'`)) as [[string]];
    expect(Number(events)).toBe(counted);
    const { NamedQueryIds } = await sql.send(new ListNamedQueriesCommand({ WorkGroup: workGroup }));
    const { NamedQueries } = await sql.send(new BatchGetNamedQueryCommand({ NamedQueryIds: NamedQueryIds! }));
    expect(NamedQueries!.map((q) => q.Name).sort()).toEqual([
      'mailflow-connector-failure-history',
      'mailflow-rejected-uploads',
      'mailflow-top-codes-by-week',
    ]);
    for (const q of NamedQueries!) await athena(q.QueryString!);
  }, 300_000);

  describe('an alarm reaches the encrypted alert topic', () => {
    const sqs = new SQSClient({});
    const sns = new SNSClient({});
    let queueUrl = '';
    let subscription = '';
    afterAll(async () => {
      if (subscription) await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription }));
      if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    });

    it('set-alarm-state ALARM on the dead-letter alarm arrives in a subscribed queue', async () => {
      const topicArn = out.AlertTopicArn!;
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `mailflow-alarm-check-${tenant}` }));
      queueUrl = QueueUrl!;
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
      const queueArn = Attributes!.QueueArn!;
      const policy = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
          },
        ],
      };
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
      subscription = (
        await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, ReturnSubscriptionArn: true }))
      ).SubscriptionArn!;

      const cloudwatch = new CloudWatchClient({});
      const { MetricAlarms } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: stackName }));
      const alarm =
        MetricAlarms?.find((a) => a.AlarmName?.includes('IngestDeadLettersAlarm')) ??
        (await cloudwatch.send(new DescribeAlarmsCommand({}))).MetricAlarms?.find(
          (a) => a.AlarmDescription?.startsWith('An upload failed') && a.AlarmActions?.includes(topicArn),
        );
      expect(alarm, 'the dead-letter queue alarm of the stack').toBeDefined();
      await wait(5000); // a new subscription takes a moment
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: alarm!.AlarmName!, StateValue: 'ALARM', StateReason: `mailflow test:aws ${tenant}` }),
      );
      let found = false;
      for (let i = 0; i < 20 && !found; i++) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 10, MaxNumberOfMessages: 10 }),
        );
        found = Messages.some((m) => m.Body?.includes(alarm!.AlarmName!) && m.Body.includes(tenant));
      }
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: alarm!.AlarmName!, StateValue: 'OK', StateReason: 'mailflow test:aws done' }),
      );
      expect(found, 'the alarm notification arrived through the encrypted topic').toBe(true);
    }, 300_000);
  });

  it('the query URL answers a SigV4-signed request (your principal has QueryCallerPolicyArn)', async () => {
    expect(out.QueryUrl, 'the stack has a query URL (not -c queryApi=false)').toBeDefined();
    const url = new URL('/v1/sources', out.QueryUrl);
    url.searchParams.set('tenant', tenant);
    const response = await signedGet(url); // throws on 403, naming the caller policy
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual([expect.objectContaining({ tenant, status: 'ingested' })]);
  }, 60_000);

  it('a signed report link opens without credentials; unsigned or expired, it does not', async () => {
    if (!out.ReportLinkBaseUrl)
      return void console.warn('no ReportLinkBaseUrl output: deployed without -c reportPublicKeyFile; report links not checked');
    const client = createS3Client();
    await client.send(
      new PutObjectCommand({
        Bucket: out.ReportBucketName,
        Key: `reports/${tenant}/latest.html`,
        Body: '<!doctype html><p>mailflow test:aws</p>',
        ContentType: 'text/html; charset=utf-8',
      }),
    );
    const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: out.ReportSigningSecretArn }));
    expect(SecretString, `the private key stored in ${out.ReportSigningSecretArn}`).toContain('PRIVATE KEY-----');
    const signer = createCloudFrontLinkSigner({
      baseUrl: out.ReportLinkBaseUrl,
      keyPairId: out.ReportKeyPairId!,
      privateKey: SecretString!,
    });
    const link = await signer.link(`reports/${tenant}/latest.html`, new Date(Date.now() + 3600_000));
    const opened = await fetch(link);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('mailflow test:aws');
    expect((await fetch(link.split('?')[0]!)).status).toBe(403);
    const expired = await signer.link(`reports/${tenant}/latest.html`, new Date(Date.now() - 60_000));
    expect((await fetch(expired)).status).toBe(403);
  }, 60_000);

  // MAILFLOW_AWS_COLLECT_TENANT=contoso: a tenant configured for collection, with a real app and
  // certificate secret. Proves what only the account can: the schedule invokes the collector, its
  // role reads the secret, Entra and Graph accept it, and the pages reach the upload bucket.
  it.runIf(process.env.MAILFLOW_AWS_COLLECT_TENANT)(
    'the collector has collected the tenant on its schedule within the last 30 minutes',
    async () => {
      const collected = process.env.MAILFLOW_AWS_COLLECT_TENANT!;
      expect(out.CollectorFunctionName, 'the stack has a collector (a tenant with collect.certificateSecretArn)').toBeDefined();
      const { state } = await readCollectState(createS3Store(createS3Client(), { bucket: out.BucketName! }), collected);
      expect(state.lastRun, `state/collect/${collected}.json: the collector has run for ${collected}`).not.toBeNull();
      expect(Date.now() - state.lastRun!.at).toBeLessThan(30 * 60_000);
      expect(['done', 'budget']).toContain(state.lastRun!.stopped);
      expect(state.complete.length + state.partial.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
