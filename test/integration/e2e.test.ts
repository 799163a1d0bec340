import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { generated } from '../helpers/bytes.ts';
import { deployed } from '../helpers/deployed.ts';
import { startFakeSns } from '../helpers/fake-sns.ts';
import { snapshot } from '../helpers/ingest.ts';
import { runCli } from '../helpers/io.ts';
import { assumeFunctionRole, OWNER } from '../helpers/lambda/iam.ts';
import { startDeployedFunction, type RunningFunction } from '../helpers/lambda/deployed-function.ts';
import type { FunctionId } from '../helpers/lambda/template.ts';
import { freshBuckets, upload, type TestBuckets } from '../helpers/rgw.ts';
import { formEncodeKey, sqsRecord } from '../helpers/s3-events.ts';

/**
 * The whole path as deployed, on a real S3 server: `mailflow upload` → Ceph RGW (the stack's
 * versioned upload bucket) → a real bucket notification to a webhook on loopback, converted to
 * the message S3 puts on the upload queue → the ingest function's synthesized asset, run by AWS's
 * runtime interface client on Node 24 with the template's environment and a session of its role
 * (RGW enforces the role's S3 statements) → results equal to what `mailflow ingest` makes of the
 * same files locally. Then the query, digest and reconcile assets, invoked as Lambda invokes them.
 * SNS is a loopback stand-in (no local SNS implements it faithfully); it records what is published.
 */
describe('the deployed functions, run as AWS runs them, end to end on Ceph RGW', () => {
  const received: Array<Record<string, unknown>> = [];
  const webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        received.push(...((JSON.parse(body) as { Records?: Array<Record<string, unknown>> }).Records ?? []));
      } catch {
        // RGW also sends non-event requests; ignore them
      }
      res.end('ok');
    });
  });
  const running: RunningFunction[] = [];
  let sns: Awaited<ReturnType<typeof startFakeSns>>;
  afterAll(async () => {
    for (const f of running) await f.stop();
    await sns?.close();
    await new Promise<void>((r) => webhook.close(() => r()));
  });

  async function start(id: FunctionId, b: TestBuckets, override?: Record<string, string>): Promise<RunningFunction> {
    const fn = deployed(id);
    const f = await startDeployedFunction(fn, {
      local: b.local,
      credentials: await assumeFunctionRole(fn, b.local),
      endpoints: { s3: inject('s3Endpoint'), sns: sns.endpoint },
      ...(override ? { override } : {}),
    });
    running.push(f);
    return f;
  }

  it('upload → notification → queue message → ingest asset → the same summaries as a local ingest; then query, digest, reconcile', async () => {
    sns = await startFakeSns([]);
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
    const port = (webhook.address() as { port: number }).port;
    const endpoint = inject('s3Endpoint');
    const b = await freshBuckets('e2e');

    // RGW configures notifications through its SNS-compatible API on the S3 endpoint; the stack
    // notifies for every object created under incoming/, as here.
    const rgwSns = new SNSClient({ endpoint, region: 'us-east-1', credentials: OWNER });
    const topic = await rgwSns.send(
      new CreateTopicCommand({ Name: `${b.uploads.bucket}-uploads`, Attributes: { 'push-endpoint': `http://127.0.0.1:${port}/` } }),
    );
    await b.uploads.client.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: b.uploads.bucket,
        NotificationConfiguration: {
          TopicConfigurations: [
            {
              Id: 'incoming',
              TopicArn: topic.TopicArn!,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
            },
          ],
        },
      }),
    );

    // Three families: one gzip, one UTF-16LE; names with a space and a plus sign.
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-e2e-'));
    const files = [
      [join(dir, 'trace detail+monday.csv.gz'), generated({ family: 'trace-detail', rows: 1200, seed: 71 }, 'utf-8', true)],
      [join(dir, 'eac extended.csv'), generated({ family: 'eac-extended', rows: 900, seed: 72 }, 'utf-16le')],
      [join(dir, 'MSGTRK20261120-1.LOG'), generated({ family: 'onprem-tracking-log', rows: 700, seed: 73 })],
    ] as const;
    for (const [path, bytes] of files) writeFileSync(path, bytes);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: OWNER.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OWNER.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });
    const up = await runCli([
      'upload',
      '--bucket',
      b.uploads.bucket,
      '--tenant',
      'contoso',
      '--endpoint',
      endpoint,
      '--path-style',
      ...files.map(([p]) => p),
    ]);
    expect(up.code, up.stderr).toBe(0);
    for (let i = 0; i < 100 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(received).toHaveLength(3);

    // What S3 puts on the queue: RGW sends keys unencoded and its own event source; AWS form-encodes keys.
    const messages = received.map((r) => {
      const s3 = r.s3 as { bucket: { name: string }; object: { key: string; size: number; eTag: string; versionId?: string } };
      expect(s3.object.versionId, 'the upload bucket is versioned: its events name the version').toBeTruthy();
      return sqsRecord({
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: 'us-east-1',
            eventName: 'ObjectCreated:Put',
            s3: { ...s3, object: { ...s3.object, key: formEncodeKey(s3.object.key) } },
          },
        ],
      });
    });

    const ingest = await start('Ingest', b);
    const outcome = await ingest.invoke({ Records: messages });
    expect(outcome, ingest.logs.join('\n')).toEqual({ ok: true, result: { batchItemFailures: [] } });
    // Powertools' JSON lines carry the Lambda context; EMF metrics name the tenant.
    const lines = ingest.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.message === 'upload processed')).toMatchObject({
      level: 'INFO',
      service: 'mailflow-ingest',
      cold_start: true,
      function_name: ingest.name,
      function_request_id: expect.any(String),
      status: 'ingested',
    });
    const emf = lines.find((l) => (l._aws as { CloudWatchMetrics?: unknown } | undefined)?.CloudWatchMetrics && l.tenant === 'contoso');
    expect(emf).toMatchObject({
      service: 'mailflow-ingest',
      tenant: 'contoso',
      RowsRead: expect.any(Number),
      EventsCounted: expect.any(Number),
    });

    const local = createFsStore({ root: join(dir, 'local') });
    expect((await runCli(['ingest', '--data-dir', join(dir, 'local'), '--tenant', 'contoso', ...files.map(([p]) => p)])).code).toBe(0);
    const [inBucket, inFolder] = [await snapshot(b.data.store), await snapshot(local)];
    expect(Object.keys(inBucket.summaries).length).toBeGreaterThan(3);
    expect(inBucket.summaries).toEqual(inFolder.summaries);

    // The query asset, with a Function URL event (payload format 2.0).
    const query = await start('Query', b);
    const answer = await query.invoke({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v1/summary',
      rawQueryString: 'from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&tenant=contoso&by=outcome',
      headers: { host: 'abc.lambda-url.us-east-1.on.aws' },
      queryStringParameters: { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', tenant: 'contoso', by: 'outcome' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'abc',
        domainName: 'abc.lambda-url.us-east-1.on.aws',
        http: { method: 'GET', path: '/v1/summary', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
        requestId: 'r1',
        routeKey: '$default',
        stage: '$default',
        time: '01/Dec/2026:10:00:00 +0000',
        timeEpoch: Date.now(),
      },
      isBase64Encoded: false,
    });
    expect(outcome.ok && answer.ok, query.logs.join('\n')).toBe(true);
    const response = (answer as { result: { statusCode: number; body: string } }).result;
    expect(response.statusCode).toBe(200);
    const counted = Object.values(inFolder.summaries).reduce(
      (n: number, s) => n + (s as { groups: Array<{ events: number }> }).groups.reduce((m, g) => m + g.events, 0),
      0,
    );
    expect((JSON.parse(response.body) as { rows: Array<{ events: number }> }).rows.reduce((n, g) => n + g.events, 0)).toBe(counted);

    // The digest asset, with an EventBridge scheduled event: incidents re-evaluated as of now.
    const scheduled = {
      version: '0',
      id: 'e1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/Mailflow-DigestSchedule'],
      detail: {},
    };
    const digest = await start('Digest', b);
    const tick = await digest.invoke(scheduled);
    expect(tick, digest.logs.join('\n')).toMatchObject({ ok: true, result: { tenants: 1 } });

    // The reconcile asset: an upload whose notification never came is ingested. Its minimum age is
    // 0 here instead of the template's 15 minutes, so the test need not wait a quarter of an hour.
    const lost = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/fabrikam/lost.csv',
      generated({ family: 'eac-extended', rows: 120, seed: 74 }),
    );
    const reconcile = await start('Reconcile', b, { MAILFLOW_RECONCILE_MIN_AGE_MINUTES: '0' });
    const redriven = await reconcile.invoke({
      ...scheduled,
      resources: ['arn:aws:events:us-east-1:000000000000:rule/Mailflow-ReconcileSchedule'],
    });
    expect(redriven, reconcile.logs.join('\n')).toEqual({ ok: true, result: { ingested: 1, failed: 0, deferred: 0, queued: 0 } });
    const receipts = [];
    for await (const o of b.data.store.list('results/sources/fabrikam/'))
      receipts.push(JSON.parse(Buffer.from((await b.data.store.get(o.key))!.body).toString()));
    expect(receipts).toEqual([expect.objectContaining({ key: lost.key, status: 'ingested' })]);

    // The functions wrote receipts, rollups and summaries to the data bucket: no notification came of it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.map((r) => (r.s3 as { object: { key: string } }).object.key).sort()).toEqual(
      [
        'incoming/contoso/MSGTRK20261120-1.LOG',
        'incoming/contoso/eac extended.csv',
        'incoming/contoso/trace detail+monday.csv.gz',
        'incoming/fabrikam/lost.csv',
      ].sort(),
    );
  }, 240_000);
});
