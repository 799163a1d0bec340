import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { generated } from '../helpers/bytes.ts';
import { bundleHandler } from '../helpers/bundle.ts';
import { snapshot } from '../helpers/ingest.ts';
import { runCli } from '../helpers/io.ts';
import { freshBucket } from '../helpers/rgw.ts';

/**
 * The whole path on a real S3 server: `mailflow upload` → Ceph RGW → a real bucket notification to
 * a webhook on loopback → the bundled ingest handler (the esbuild output, as deployed) → results in
 * RGW, equal to what `mailflow ingest` makes of the same files locally.
 */
describe('end to end on Ceph RGW', () => {
  const received: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
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
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('upload → notification → bundled handler → the same summaries as a local ingest; results/ writes notify nothing (R11)', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const endpoint = inject('s3Endpoint');
    const { bucket, client, store } = await freshBucket('e2e');

    // RGW configures notifications through its SNS-compatible API on the S3 endpoint. Suffix filters
    // are case-sensitive (MSGTRK….LOG); the deployed stack filters by prefix only.
    const sns = new SNSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'testsecret' } });
    const topic = await sns.send(new CreateTopicCommand({ Name: `${bucket}-uploads`, Attributes: { 'push-endpoint': `http://127.0.0.1:${port}/` } }));
    await client.send(new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        TopicConfigurations: ['.csv', '.gz', '.log', '.LOG'].map((suffix, i) => ({
          Id: `incoming-${i}`,
          TopicArn: topic.TopicArn!,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }, { Name: 'suffix', Value: suffix }] } },
        })),
      },
    }));

    // Three families: one gzip, one UTF-16LE; names with a space and a plus sign.
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-e2e-'));
    const files = [
      [join(dir, 'trace detail+monday.csv.gz'), generated({ family: 'trace-detail', rows: 1200, seed: 71 }, 'utf-8', true)],
      [join(dir, 'eac extended.csv'), generated({ family: 'eac-extended', rows: 900, seed: 72 }, 'utf-16le')],
      [join(dir, 'MSGTRK20261120-1.LOG'), generated({ family: 'onprem-tracking-log', rows: 700, seed: 73 })],
    ] as const;
    for (const [path, bytes] of files) writeFileSync(path, bytes);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'testsecret', AWS_REGION: 'us-east-1' });
    const up = await runCli(['upload', '--bucket', bucket, '--tenant', 'contoso', '--endpoint', endpoint, '--path-style', ...files.map(([p]) => p)]);
    expect(up.code).toBe(0);

    for (let i = 0; i < 100 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(received).toHaveLength(3);

    // RGW sends keys unencoded; AWS form-encodes them. Convert to the AWS shape the handler gets in production.
    const records = received.map((r) => {
      const s3 = r.s3 as { bucket: { name: string }; object: { key: string; size: number; eTag: string } };
      return { eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { ...s3, object: { ...s3.object, key: encodeURIComponent(s3.object.key).replace(/%20/g, '+').replace(/%2F/g, '/') } } };
    });

    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: endpoint, MAILFLOW_S3_FORCE_PATH_STYLE: 'true', MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true' });
    const bundle = await bundleHandler('functions/ingest/handler.ts');
    const { handler } = (await import(pathToFileURL(bundle.file).href)) as { handler: (e: unknown) => Promise<{ processed: number }> };
    expect(await handler({ Records: records })).toMatchObject({ processed: 3 });

    const local = createFsStore({ root: join(dir, 'local') });
    expect((await runCli(['ingest', '--data-dir', join(dir, 'local'), '--tenant', 'contoso', ...files.map(([p]) => p)])).code).toBe(0);
    const [inBucket, inFolder] = [await snapshot(store), await snapshot(local)];
    expect(Object.keys(inBucket.summaries).length).toBeGreaterThan(3);
    expect(inBucket.summaries).toEqual(inFolder.summaries);

    // The handler wrote receipts, rollups and summaries under results/: none of them notified.
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.map((r) => (r.s3 as { object: { key: string } }).object.key).sort()).toEqual(['incoming/contoso/MSGTRK20261120-1.LOG', 'incoming/contoso/eac extended.csv', 'incoming/contoso/trace detail+monday.csv.gz']);
  }, 120_000);
});
