import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { detailRows, MESSAGE_TRACES_CONTEXT, traceRow } from '../../functions/core/generate/graph.ts';
import { generateMessages, snapshot, type GenMessage } from '../../functions/core/generate/scenario.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import { readCollectState } from '../../functions/core/store/collect-state.ts';
import { deployed, ingestUploadsUnder, inProcess } from '../helpers/deployed.ts';
import { startGraphStandin, testCertificates, type GraphStandin } from '../helpers/graph-standin.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { assumeFunctionRole, roleS3Client } from '../helpers/lambda/iam.ts';
import { startDeployedFunction } from '../helpers/lambda/deployed-function.ts';
import { serviceStatements, templateEnvironment } from '../helpers/lambda/template.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { freshBuckets, type TestBuckets } from '../helpers/rgw.ts';
import { startSecretsStandin, type SecretsStandin } from '../helpers/secrets-standin.ts';

/**
 * Issue 14, item 5: the collector function as it is deployed. The synthesized asset runs under
 * AWS's runtime client on Node 24 (the Lambda harness), with a session of its role whose S3
 * statements Ceph RGW enforces; its certificates come from a Secrets Manager stand-in that checks
 * the request signature and the role's secretsmanager statements (no Secrets Manager runs here);
 * Graph is the loopback stand-in, trusted through NODE_EXTRA_CA_CERTS as Lambda's Node would.
 * The tenants, their Entra ids and secret ARNs are those the app was synthesized with
 * (test/fixtures/collect.config.json), read from the settings file in the bundle: contoso and fabrikam collect, northwind lacks Microsoft's
 * first-party service principal.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
type Settings = Record<string, { collect: { entraTenant: string; clientId: string; certificateSecretArn: string } }>;

const fn = () => deployed('Collect');
const certs = testCertificates();
const truth = new Map<string, GenMessage[]>();
let b: TestBuckets;
let settings: Settings;
let graph: GraphStandin;
let secrets: SecretsStandin;

/**
 * Mail from 20 to 6 hours ago. Some of it is still being retried (it expires a day or two later),
 * so the truth is the messages as they stand when the test starts; a message with an event in the
 * 10 minutes around that is left out, so it does not matter exactly when the function reads it.
 */
const SETUP_AT = Date.now();
function messages(seed: number): GenMessage[] {
  const start = SETUP_AT - 20 * HOUR;
  const out: GenMessage[] = [];
  for (const m of generateMessages({ seed, perHour: 20, start })) {
    if (m.received >= start + 14 * HOUR) break;
    if (m.recipients.some((r) => r.events.some((e) => e.time >= SETUP_AT - MINUTE && e.time <= SETUP_AT + 10 * MINUTE))) continue;
    out.push({ ...m, recipients: m.recipients.filter((r, i) => m.recipients.findIndex((x) => x.address === r.address) === i) });
  }
  return out;
}

beforeAll(async () => {
  b = await freshBuckets('collector');
  // The settings file the stack wrote into the bundle, as the function reads it.
  expect(templateEnvironment(fn(), b.local).MAILFLOW_COLLECT_FILE).toBe('collect-tenants.json');
  settings = JSON.parse(readFileSync(join(fn().assetDir, 'collect-tenants.json'), 'utf8')).tenants as Settings;
  expect(Object.keys(settings).sort()).toEqual(['contoso', 'fabrikam', 'northwind']);
  const clientId = settings.contoso!.collect.clientId;
  truth.set('contoso', messages(61));
  truth.set('fabrikam', messages(62));
  graph = await startGraphStandin(
    {
      clientId,
      appCertificate: certs.appCert,
      now: () => Date.now(),
      tenants: [
        { id: settings.contoso!.collect.entraTenant, messages: truth.get('contoso')! },
        { id: settings.fabrikam!.collect.entraTenant, messages: truth.get('fabrikam')! },
        { id: settings.northwind!.collect.entraTenant, messages: [], provisioned: false },
      ],
    },
    certs,
  );
  secrets = await startSecretsStandin();
  for (const t of Object.values(settings)) secrets.put(t.collect.certificateSecretArn, `${certs.appCert}${certs.appKey}`);
}, 60_000);

afterAll(async () => {
  await graph?.close();
  await secrets?.close();
});

/** The asset under its role, with these statements judged by the Secrets Manager stand-in. */
async function start(secretStatements = serviceStatements(fn(), b.local, 'secretsmanager')) {
  const credentials = await assumeFunctionRole(fn(), b.local);
  secrets.allow(credentials, secretStatements);
  return startDeployedFunction(fn(), {
    local: b.local,
    credentials,
    endpoints: { s3: inject('s3Endpoint') },
    // The stand-ins instead of Secrets Manager, Graph and Entra; Lambda's Node honours NODE_EXTRA_CA_CERTS too.
    override: {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      NODE_EXTRA_CA_CERTS: certs.caFile,
      MAILFLOW_GRAPH_URL: graph.url,
      MAILFLOW_AUTHORITY_URL: graph.url,
    },
  });
}

/** The stand-in's truth when the test started as two files (every row one page, every failed or pending row's detail events), ingested. */
async function reference(tenant: string): Promise<ObjectStore> {
  const store = createMemoryStore();
  const rows: unknown[] = [];
  const details: string[] = [];
  for (const m of truth.get(tenant)!.map((x) => snapshot(x, SETUP_AT)!))
    for (const r of m.recipients) {
      rows.push(traceRow(m, r));
      if (r.status === 'Failed' || r.status === 'Pending') for (const d of detailRows(m, r)) details.push(JSON.stringify(d));
    }
  await ingestBytes(store, 'page.json', Buffer.from(JSON.stringify({ '@odata.context': MESSAGE_TRACES_CONTEXT, value: rows })), { tenant });
  await ingestBytes(store, 'details.jsonl', Buffer.from(`${details.join('\n')}\n`), { tenant });
  return store;
}

const counts = async (store: ObjectStore, tenant: string) =>
  (await queryStore(store, { tenants: [tenant], by: ['outcome', 'code'] })).sort((x, y) =>
    JSON.stringify(x) < JSON.stringify(y) ? -1 : 1,
  );

describe('the collector function as deployed (aws-lambda-ric on Node 24, its role on Ceph RGW, Secrets Manager and Graph stand-ins)', () => {
  it('collects every configured tenant into its incoming/<t>/graph/ and state/collect/<t>.json; the ingest function counts the pages as the truth; a failing tenant fails the run after the others', async () => {
    const f = await start();
    try {
      const first = await f.invoke({});
      // northwind cannot be read yet: the run fails (alarm, failure queue), after contoso and fabrikam were collected.
      expect(first.ok).toBe(false);
      const error = JSON.stringify(first);
      expect(error).toContain('TenantRunError');
      expect(error).toContain('1 of 3 tenant(s)');
      expect(error).toContain('northwind: COLLECT_SERVICE_PRINCIPAL');
      expect(error).toContain('New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373');
      expect(error).not.toMatch(/contoso:|fabrikam:/);
      // Each certificate was read once, signed with the session Lambda gave the function.
      expect(
        secrets.requests
          .filter((r) => r.status === 200)
          .map((r) => r.secretId)
          .sort(),
      ).toEqual(
        Object.values(settings)
          .map((t) => t.collect.certificateSecretArn)
          .sort(),
      );

      // A run for the two that work (what the next schedule does once northwind is fixed, or a hand-made event).
      const second = await f.invoke({ tenants: ['contoso', 'fabrikam'] });
      expect(second).toMatchObject({
        ok: true,
        result: {
          tenants: 2,
          outcomes: [
            { tenant: 'contoso', outcome: 'collected', stopped: 'done', owed: 0 },
            { tenant: 'fabrikam', outcome: 'collected', stopped: 'done', owed: 0 },
          ],
        },
      });
      // The secrets were not read again: one read per cold start and tenant.
      expect(secrets.requests.filter((r) => r.status === 200)).toHaveLength(3);
      // EMF metrics per tenant, in the function's own output.
      expect(f.logs.some((l) => l.includes('"GraphRequests"') && l.includes('"tenant":"contoso"'))).toBe(true);
    } finally {
      await f.stop();
    }

    const ingest = await inProcess('Ingest', b.local);
    for (const tenant of ['contoso', 'fabrikam']) {
      const { state } = await readCollectState(b.data.store, tenant);
      expect(state.complete.length + state.partial.length).toBeGreaterThan(0);
      expect(state.owed).toEqual([]);
      // What S3 → SQS → ingest does with each of the collector's uploads.
      const { keys, receipts } = await ingestUploadsUnder(ingest, b.uploads, `incoming/${tenant}/`);
      expect(keys.length).toBeGreaterThan(2);
      for (const key of keys) expect(key).toMatch(new RegExp(`^incoming/${tenant}/graph/(traces|details)/`));
      expect(receipts.map((r) => r.status)).toEqual(keys.map(() => 'ingested'));
      const got = await counts(b.data.store, tenant);
      expect(got).toEqual(await counts(await reference(tenant), tenant));
      expect(got.some((r) => r.code && r.code !== '-')).toBe(true);
      // Within the budget: at most 80 of Microsoft's 100 requests per 5 minutes.
      const times = graph.log.get(settings[tenant]!.collect.entraTenant)!.times;
      expect(times.length).toBeGreaterThan(1);
      expect(times.length).toBeLessThanOrEqual(80);
    }
    expect(
      (await b.uploads.client.send(new ListObjectsV2Command({ Bucket: b.uploads.bucket, Prefix: 'incoming/northwind/' }))).KeyCount,
    ).toBe(0);
  }, 240_000);

  it('negative control: without its secret in the role, that tenant fails with AccessDeniedException (COLLECT_SECRET), and only it', async () => {
    const arn = settings.fabrikam!.collect.certificateSecretArn;
    const statements = serviceStatements(fn(), b.local, 'secretsmanager').map((s) => ({
      ...s,
      Resource: [s.Resource].flat().filter((r) => r !== arn),
    }));
    expect(JSON.stringify(statements)).not.toContain(arn);
    const f = await start(statements);
    try {
      const out = JSON.stringify(await f.invoke({ tenants: ['fabrikam', 'contoso'] }));
      expect(out).toContain('1 of 2 tenant(s)');
      expect(out).toContain('fabrikam: COLLECT_SECRET');
      expect(out).toContain('AccessDeniedException');
      expect(out).not.toContain('contoso:');
      expect(secrets.requests.at(-1)?.error ?? secrets.requests.find((r) => r.secretId === arn && r.error)?.error).toBeDefined();
      expect(secrets.requests.some((r) => r.secretId === arn && r.error === 'AccessDeniedException')).toBe(true);
    } finally {
      await f.stop();
    }
  }, 120_000);

  it('the Secrets Manager stand-in is not a pushover: a request signed with other keys, or by a session it was not told of, is refused', async () => {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const credentials = await assumeFunctionRole(fn(), b.local);
    secrets.allow(credentials, serviceStatements(fn(), b.local, 'secretsmanager'));
    const client = (c: typeof credentials) =>
      new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1', credentials: c, maxAttempts: 1 });
    const read = (c: typeof credentials) =>
      client(c)
        .send(new GetSecretValueCommand({ SecretId: settings.contoso!.collect.certificateSecretArn }))
        .then(
          (r) => (r.SecretString?.includes('BEGIN CERTIFICATE') ? 'ok' : 'empty'),
          (e: Error) => e.name,
        );
    expect(await read(credentials)).toBe('ok');
    expect(await read({ ...credentials, secretAccessKey: `${credentials.secretAccessKey}x` })).toBe('InvalidSignatureException');
    expect(await read({ ...credentials, accessKeyId: 'AKIAOTHER' })).toBe('UnrecognizedClientException');
    expect(await read({ ...credentials, sessionToken: 'other' })).toBe('UnrecognizedClientException');
  }, 60_000);

  it("its role writes only the configured tenants' incoming/<t>/graph/ and reads only their state: not other uploads, results or another tenant", async () => {
    const s3 = await roleS3Client(fn(), b.local, { maxAttempts: 1 });
    const put = (bucket: string, key: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e) => (e instanceof S3ServiceException ? e.$metadata.httpStatusCode : String(e)),
      );
    expect(await status(put(b.uploads.bucket, 'incoming/contoso/graph/probe.json'))).toBe(200);
    expect(await status(put(b.uploads.bucket, 'incoming/contoso/export.csv'))).toBe(403);
    expect(await status(put(b.uploads.bucket, 'incoming/litware/graph/probe.json'))).toBe(403);
    expect(await status(put(b.data.bucket, 'results/summaries/tenant=contoso/x.jsonl'))).toBe(403);
    expect(await status(put(b.data.bucket, 'state/collect/litware.json'))).toBe(403);
    expect(await status(s3.send(new GetObjectCommand({ Bucket: b.data.bucket, Key: 'state/collect/contoso.json' })))).toBe(200);
    const results = await b.data.client.send(new ListObjectsV2Command({ Bucket: b.data.bucket, Prefix: 'results/', MaxKeys: 1 }));
    expect(results.KeyCount).toBe(1);
    expect(await status(s3.send(new GetObjectCommand({ Bucket: b.data.bucket, Key: results.Contents![0]!.Key! })))).toBe(403);
  }, 60_000);
});
