import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { generated } from '../helpers/bytes.ts';
import { deployed } from '../helpers/deployed.ts';
import { assumeFunctionRole } from '../helpers/lambda/iam.ts';
import { startDeployedFunction } from '../helpers/lambda/deployed-function.ts';
import type { DeployedFunction } from '../helpers/lambda/template.ts';
import { freshBuckets, upload } from '../helpers/rgw.ts';
import { recordOf, uploadBatch } from '../helpers/s3-events.ts';

/**
 * The harness must catch what broke the first deployment: these run handlers the way the RIC
 * runs them and expect the failures AWS would give (the harness is only useful if they fail).
 */
function fixture(source: string): DeployedFunction {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-fixture-'));
  writeFileSync(join(dir, 'index.mjs'), source);
  return {
    id: 'Query',
    logicalId: 'FixtureFunction12345678',
    assetDir: dir,
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    timeoutSeconds: 10,
    memoryMb: 128,
    environment: {},
    logging: {},
    roleLogicalId: 'FixtureRole',
    statements: [],
  };
}
const none = { accessKeyId: 'none', secretAccessKey: 'none', sessionToken: 'none' };
const local = { buckets: { UploadBucket: 'u', DataBucket: 'd', ReportBucket: 'r' } };
const endpoints = () => ({ s3: inject('s3Endpoint') });

describe('the Lambda harness (aws-lambda-ric on Node 24, Runtime API on loopback)', () => {
  it('calls handler(event, context): a defaulted second parameter gets the context, and fails as it did on AWS', async () => {
    const f = await startDeployedFunction(
      fixture(
        'export async function handler(event, rt = { config: { unquotedIfMatch: true } }) { return { quoted: !rt.config.unquotedIfMatch }; }',
      ),
      { local, credentials: none, endpoints: endpoints() },
    );
    try {
      expect(await f.invoke({})).toMatchObject({
        ok: false,
        error: { errorType: 'TypeError', errorMessage: expect.stringContaining('unquotedIfMatch') },
      });
    } finally {
      await f.stop();
    }
  });

  it('refuses a callback-style handler, as the Node 24 runtime does', async () => {
    const f = await startDeployedFunction(fixture('export function handler(event, context, callback) { callback(null, "ok"); }'), {
      local,
      credentials: none,
      endpoints: endpoints(),
    });
    try {
      const outcome = await f.invoke({});
      expect(outcome.ok).toBe(false);
      expect(JSON.stringify(outcome)).toMatch(/callback-based function handlers/);
    } finally {
      await f.stop();
    }
  });

  it('negative control: the ingest asset under its role minus one statement reports the upload as failed (AccessDenied)', async () => {
    const b = await freshBuckets('harness');
    const o = await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/t/a.csv',
      generated({ family: 'eac-extended', rows: 40, seed: 3 }),
    );
    const fn = deployed('Ingest');
    const dropped = fn.statements.find((s) => [s.Action].flat().includes('s3:GetObjectVersion'))!;
    expect(dropped).toBeDefined();
    const credentials = await assumeFunctionRole(fn, b.local, { drop: (s) => JSON.stringify(s.Action) === JSON.stringify(dropped.Action) });
    const f = await startDeployedFunction(fn, {
      local: b.local,
      credentials,
      endpoints: endpoints(),
      override: { MAILFLOW_TOPIC_ARN: '' },
    });
    try {
      const event = uploadBatch(recordOf(o));
      expect(await f.invoke(event)).toEqual({ ok: true, result: { batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] } });
      expect(f.logs.some((l) => l.includes('"name":"AccessDenied"'))).toBe(true);
    } finally {
      await f.stop();
    }
  });
});
