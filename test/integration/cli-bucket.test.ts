import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ingestUpload } from '../../functions/ingest/ingest-upload.ts';
import { deferralStateKey, receiptPrefix } from '../../functions/core/store/layout.ts';
import { RECEIPT } from '../../functions/core/store/receipts.ts';
import { readAll } from '../../functions/core/store/records.ts';
import { generated } from '../helpers/bytes.ts';
import { deployed, inProcess } from '../helpers/deployed.ts';
import { startFakeSns } from '../helpers/fake-sns.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { snapshot } from '../helpers/ingest.ts';
import { runCli } from '../helpers/io.ts';
import { assumeFunctionRole, withSession, type SessionCredentials } from '../helpers/lambda/iam.ts';
import { freshBuckets, upload, type TestBuckets } from '../helpers/rgw.ts';

/**
 * Issue 13 (4) and issue 12: `mailflow ingest --bucket` and `reprocess --bucket` on Ceph RGW,
 * run with a session of the ingest function's role (its synthesized S3 statements, enforced by
 * RGW): the CLI writes the data bucket exactly as the function does, and needs no right the
 * function does not have. Requests go through a counting proxy, so their number cannot creep up.
 */
const HOUR = 3_600_000;
const rgw = () => new URL(inject('s3Endpoint'));

async function exportFile(name: string, bytes: Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mf-cli-bucket-'));
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function asRole(credentials: SessionCredentials, endpoint: string, args: string[], env: Record<string, string> = {}) {
  return withSession(credentials, { MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true', ...env }, () =>
    runCli([...args, '--endpoint', endpoint, '--path-style', '--region', 'us-east-1']),
  );
}

/** The CLI through a proxy that counts the S3 requests it makes. */
async function counted(b: TestBuckets, args: string[], env: Record<string, string> = {}) {
  const proxy = await startFaultProxy({ target: { host: rgw().hostname, port: Number(rgw().port) } });
  try {
    const role = await assumeFunctionRole(deployed('Ingest'), b.local);
    const r = await asRole(role, proxy.endpoint, args, env);
    const { requests, injected: _i, stalled: _s, cut: _c, ...byOperation } = proxy.counts;
    return { ...r, requests: requests!, byOperation };
  } finally {
    await proxy.close();
  }
}

const oneHour = () => generated({ family: 'trace-detail', rows: 1_200, seed: 5, perHour: 400, start: Date.UTC(2026, 10, 25, 9), hours: 1 });

describe('mailflow ingest --bucket (Ceph RGW, as the ingest function role)', () => {
  it('stops at once, naming the bucket, when --bucket names none (not two minutes of lost races)', async () => {
    const b = await freshBuckets('cb-typo');
    const file = await exportFile('trace.csv', oneHour());
    const role = await assumeFunctionRole(deployed('Ingest'), b.local);
    const started = Date.now();
    const r = await asRole(role, rgw().origin, ['ingest', file, '--bucket', `${b.data.bucket}-typo`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`NO_SUCH_BUCKET: there is no bucket "${b.data.bucket}-typo"`);
    // The compare-and-swap budget is two minutes: a missing bucket taken for lost races ran all of it.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('writes what the ingest function writes for the same upload, exactly once, and says where', async () => {
    const bytes = oneHour();
    const viaFunction = await freshBuckets('cb-fn');
    const o = await upload(viaFunction.uploads.client, viaFunction.uploads.bucket, 'incoming/contoso/trace.csv', bytes);
    expect((await ingestUpload(await inProcess('Ingest', viaFunction.local), o)).status).toBe('ingested');

    const viaCli = await freshBuckets('cb-cli');
    const file = await exportFile('trace.csv', bytes);
    const args = ['ingest', file, '--tenant', 'contoso', '--bucket', viaCli.data.bucket];
    const first = await counted(viaCli, args);
    expect(first.stderr).not.toMatch(/Error|denied/i);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^✓ .*trace\.csv: trace-detail, 913 rows/) });
    expect(await snapshot(viaCli.data.store, false)).toEqual(await snapshot(viaFunction.data.store, false));

    const [receipt] = await readAll(viaCli.data.store, receiptPrefix('contoso'), RECEIPT);
    expect(receipt).toMatchObject({ status: 'ingested', key: 'incoming/contoso/trace.csv', file });
    const again = await counted(viaCli, args);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('duplicate') });
    expect(await readAll(viaCli.data.store, receiptPrefix('contoso'), RECEIPT)).toHaveLength(1);
    // The upload in `mailflow sources`, read with no more than the query function's read-only role.
    const reader = await assumeFunctionRole(deployed('Query'), viaCli.local);
    const listed = await asRole(reader, rgw().origin, ['sources', '--bucket', viaCli.data.bucket, '--format', 'json']);
    expect([listed.code, listed.stderr]).toEqual([0, '']);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ tenant: 'contoso', key: 'incoming/contoso/trace.csv', status: 'ingested', counted: receipt!.counted }),
    ]);
  });

  it('an hour of data (what a collector sends every 15 minutes) costs at most 30 S3 requests, none of them a LIST', async () => {
    const b = await freshBuckets('cb-hour');
    const earlier = generated({ family: 'trace-detail', rows: 1_200, seed: 6, perHour: 400, start: Date.UTC(2026, 10, 25, 8), hours: 1 });
    // The tenant already has data (the hour before): the usual case for a collector.
    expect((await counted(b, ['ingest', await exportFile('a.csv', earlier), '--tenant', 't', '--bucket', b.data.bucket])).code).toBe(0);
    const r = await counted(b, ['ingest', await exportFile('b.csv', oneHour()), '--tenant', 't', '--bucket', b.data.bucket]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/, [12] hour\(s\)/);
    expect(r.byOperation.LIST ?? 0).toBe(0);
    expect(r.requests).toBeLessThanOrEqual(30);
  });

  it('the same hour with alerts on, as the function runs (deferrals merged, rules evaluated, SNS a stand-in), stays within 30 S3 requests', async () => {
    const b = await freshBuckets('cb-hour-alerts');
    // SNS cannot run here: a loopback stand-in answers Publish (test/helpers/fake-sns.ts).
    const sns = await startFakeSns([]);
    try {
      const alerts = ['--topic-arn', 'arn:aws:sns:us-east-1:000000000000:mailflow-alerts'];
      const env = { AWS_ENDPOINT_URL_SNS: sns.endpoint };
      const earlier = generated({ family: 'trace-detail', rows: 1_200, seed: 6, perHour: 400, start: Date.UTC(2026, 10, 25, 8), hours: 1 });
      const first = await counted(
        b,
        ['ingest', await exportFile('a.csv', earlier), '--tenant', 't', '--bucket', b.data.bucket, ...alerts],
        env,
      );
      expect(first.code).toBe(0);
      const r = await counted(
        b,
        ['ingest', await exportFile('b.csv', oneHour()), '--tenant', 't', '--bucket', b.data.bucket, ...alerts],
        env,
      );
      expect(r.code).toBe(0);
      // Evaluated: the tenant's deferral state exists now (it is written only by an evaluation).
      expect(await b.data.store.get(deferralStateKey('t'))).not.toBeNull();
      // Three listings, each once: the tenant's incidents (not one per rule), suppressions, summaries.
      expect(r.byOperation.LIST).toBe(3);
      expect(r.requests).toBeLessThanOrEqual(30);
    } finally {
      await sns.close();
    }
  });

  it('a 50,000-row export over 90 days costs at most 1,000 S3 requests, none of them a LIST (one object per day, not per hour)', async () => {
    const b = await freshBuckets('cb-90d');
    const start = Date.UTC(2026, 8, 1);
    const bytes = generated({ family: 'trace-detail', rows: 50_000, seed: 7, perHour: 10, start, hours: 90 * 24 });
    const r = await counted(b, ['ingest', await exportFile('90d.csv', bytes), '--tenant', 't', '--bucket', b.data.bucket]);
    expect(r.code).toBe(0);
    const hours = Number(/, (\d+) hour\(s\)/.exec(r.stdout)?.[1]);
    expect(hours).toBeGreaterThan(1_900);
    expect(r.byOperation.LIST ?? 0).toBe(0);
    expect(r.requests).toBeLessThanOrEqual(1_000);
    expect(Date.now() - start).toBeGreaterThan(90 * 24 * HOUR); // the export is all in the past
  }, 240_000);
});

describe('mailflow reprocess --bucket (Ceph RGW, as the ingest function role)', () => {
  it('reads an upload the pipeline ingested again from the upload bucket, as the function reads it; a changed upload is left alone', async () => {
    const b = await freshBuckets('cb-rep');
    const o = await upload(b.uploads.client, b.uploads.bucket, 'incoming/contoso/trace.csv', oneHour());
    expect((await ingestUpload(await inProcess('Ingest', b.local), o)).status).toBe('ingested');
    const before = await snapshot(b.data.store, false);
    const args = ['reprocess', '--tenant', 'contoso', '--bucket', b.data.bucket];

    const withoutUploads = await counted(b, args);
    expect(withoutUploads.stdout).toContain('give --upload-bucket');
    const dry = await counted(b, [...args, '--upload-bucket', b.uploads.bucket, '--dry-run']);
    expect(dry.stdout).toContain('incoming/contoso/trace.csv (contoso): would be read again');

    const r = await counted(b, [...args, '--upload-bucket', b.uploads.bucket]);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('1 source(s) read again, 0 left as they are') });
    const [receipt] = await readAll(b.data.store, receiptPrefix('contoso'), RECEIPT);
    expect(receipt).toMatchObject({ status: 'ingested', generation: 1, sourceId: expect.any(String) });
    expect(await snapshot(b.data.store, false)).toEqual(before);

    // Other bytes at the key now: what was counted stays, and the admin is told why.
    await upload(
      b.uploads.client,
      b.uploads.bucket,
      'incoming/contoso/trace.csv',
      generated({ family: 'trace-detail', rows: 10, seed: 9 }),
    );
    const changed = await counted(b, [...args, '--upload-bucket', b.uploads.bucket]);
    expect(changed.stdout).toContain('changed since it was ingested');
    expect(await snapshot(b.data.store, false)).toEqual(before);
  });
});
