import { DeleteObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { tenantPrefixes } from '../../functions/core/store/layout.ts';
import { deferrals, recorder } from '../helpers/alerts.ts';
import { utf8 } from '../helpers/bytes.ts';
import { synthesized } from '../helpers/deployed.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { runCli } from '../helpers/io.ts';
import { assumePolicy, withSession, type SessionCredentials } from '../helpers/lambda/iam.ts';
import { managedPolicyStatements, type Statement } from '../helpers/lambda/template.ts';
import { freshBuckets, upload, type TestBuckets } from '../helpers/rgw.ts';

/**
 * Issue 12 (3): `mailflow purge` against the stack's three buckets on Ceph RGW, run by an admin
 * whose session has exactly the template's TenantPurgePolicy (RGW enforces it, as IAM would).
 */
async function versions(client: S3Client, bucket: string): Promise<string[]> {
  const out: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const r = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    for (const v of r.Versions ?? []) out.push(`${v.Key} ${v.VersionId}`);
    for (const m of r.DeleteMarkers ?? []) out.push(`${m.Key} ${m.VersionId} (delete marker)`);
    KeyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
    VersionIdMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return out.sort();
}

async function everything(b: TestBuckets): Promise<string[]> {
  return [
    ...(await versions(b.uploads.client, b.uploads.bucket)).map((v) => `uploads ${v}`),
    ...(await versions(b.data.client, b.data.bucket)).map((v) => `data ${v}`),
    ...(await versions(b.reports.client, b.reports.bucket)).map((v) => `reports ${v}`),
  ];
}

async function asAdmin(b: TestBuckets, credentials: SessionCredentials, args: string[]) {
  return withSession(credentials, {}, () =>
    runCli([
      'purge',
      ...args,
      '--bucket',
      b.data.bucket,
      '--upload-bucket',
      b.uploads.bucket,
      '--report-bucket',
      b.reports.bucket,
      '--endpoint',
      inject('s3Endpoint'),
      '--path-style',
      '--region',
      'us-east-1',
    ]),
  );
}

async function tenants(): Promise<TestBuckets> {
  const b = await freshBuckets('pg');
  const up = b.uploads;
  await upload(up.client, up.bucket, 'incoming/contoso/trace.csv', deferrals(1, 25));
  await upload(up.client, up.bucket, 'incoming/contoso/trace.csv', deferrals(2, 25)); // a second version
  await upload(up.client, up.bucket, 'incoming/contoso/old.csv', utf8('x'));
  await up.client.send(new DeleteObjectCommand({ Bucket: up.bucket, Key: 'incoming/contoso/old.csv' })); // a delete marker
  await upload(up.client, up.bucket, 'incoming/contoso-eu/trace.csv', deferrals(3, 25));
  for (const tenant of ['contoso', 'contoso-eu']) {
    await ingestBytes(b.data.store, 'trace.csv', deferrals(1, 25), {
      tenant,
      config: { alerts: { rules: parseRulesConfig({}), notifier: recorder().notifier } },
    });
    await b.reports.store.putIfAbsent(`reports/${tenant}/latest.html`, utf8('<html></html>'));
  }
  return b;
}

// "<bucket> <key> <version>": the tenant's by the same prefixes purge uses (the unit test checks they cover every area).
const ofContoso = (v: string) => {
  const key = v.split(' ')[1]!;
  return tenantPrefixes('contoso').some((p) => key.startsWith(p.prefix) && (!p.match || p.match(key)));
};

describe('mailflow purge on the stack buckets (Ceph RGW), as an admin with TenantPurgePolicy', () => {
  it('erases every version and delete marker of the tenant in the three buckets, and nothing of another tenant', async () => {
    const b = await tenants();
    const before = await everything(b);
    const mine = before.filter(ofContoso);
    expect(mine.filter((v) => v.startsWith('uploads incoming/contoso/trace.csv '))).toHaveLength(2);
    expect(mine.some((v) => v.endsWith('(delete marker)'))).toBe(true);
    expect(mine.some((v) => v.startsWith('data state/incidents/contoso/'))).toBe(true);
    const admin = await assumePolicy('purge', managedPolicyStatements(synthesized(), /^TenantPurgePolicy/, b.local));

    const dry = await asAdmin(b, admin, ['--tenant', 'contoso']);
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining(`${mine.length} objects of tenant "contoso" would be erased`) });
    expect(await everything(b)).toEqual(before);

    const r = await asAdmin(b, admin, ['--tenant', 'contoso', '--yes']);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`erased ${mine.length} objects of tenant "contoso"; nothing of it is left`),
    });
    expect(await everything(b)).toEqual(before.filter((v) => !ofContoso(v)));
  });

  it('fails (exit 1, naming the object) when the admin may not delete versions: what RGW enforces is the policy', async () => {
    const b = await tenants();
    const before = await everything(b);
    const weaker = managedPolicyStatements(synthesized(), /^TenantPurgePolicy/, b.local).map((s: Statement) => ({
      ...s,
      Action: [s.Action].flat().filter((a) => a !== 's3:DeleteObjectVersion'),
    }));
    const r = await asAdmin(b, await assumePolicy('purge-weaker', weaker), ['--tenant', 'contoso', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERASE_FAILED: s3:\/\/pg-up-\w+\/incoming\/contoso\/\S+: could not delete \(AccessDenied.*TenantPurgePolicy/);
    expect((await everything(b)).length).toBeGreaterThan(before.length / 2);
  });
});
