import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createCloudFrontLinkSigner } from '../../functions/adapters/cloudfront-links.ts';
import { parseRuntimeConfig } from '../../functions/adapters/runtime-config.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { digestTick } from '../../functions/digest/scheduled.ts';
import { ingestBatch } from '../../functions/ingest/ingest-batch.ts';
import { cloudFrontAccepts } from '../helpers/cloudfront-verify.ts';
import { inProcess } from '../helpers/deployed.ts';
import { deferralExport } from '../helpers/ingest.ts';
import { freshBuckets, upload } from '../helpers/rgw.ts';
import { recordOf, uploadBatch } from '../helpers/s3-events.ts';
import type { Notification } from '../../functions/core/ports.ts';

describe('the digest links the dashboard snapshot (Ceph RGW, digest role)', () => {
  it('writes reports/<tenant>/latest.html to the report bucket, private, and links it with a CloudFront signed URL', async () => {
    const b = await freshBuckets('report');
    // The notifier only collects what the digest function would hand to SNS (which can't run here).
    const sent: Notification[] = [];
    const alerts = {
      rules: parseRulesConfig({ tenants: { contoso: { timeZone: 'UTC', digestHour: 7 } } }),
      notifier: { publish: async (n: Notification) => void sent.push(n) },
    };
    const o = await upload(b.uploads.client, b.uploads.bucket, 'incoming/contoso/a.csv', deferralExport(30));
    expect((await ingestBatch(uploadBatch(recordOf(o)), await inProcess('Ingest', b.local, { alerts }))).batchItemFailures).toEqual([]);

    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const links = createCloudFrontLinkSigner({ baseUrl: 'https://d111111abcdef8.cloudfront.net', keyPairId: 'KTEST', privateKey });
    const clock = { now: () => new Date('2026-11-20T07:05:00Z'), sleep: async () => {} };
    const digest = await inProcess('Digest', b.local, { alerts, clock, links, override: { MAILFLOW_REPORT_LINK_HOURS: '48' } });
    expect(await digestTick(digest)).toEqual([{ tenant: 'contoso', transitions: 0, digest: true }]);

    const note = sent.find((n) => n.json.kind === 'digest')!;
    expect(note.json.reportExpiresAt).toBe('2026-11-22T07:05:00.000Z');
    expect(note.text).toContain('link valid until 2026-11-22T07:05Z');
    expect(cloudFrontAccepts(String(note.json.reportUrl), { KTEST: publicKey }, new Date('2026-11-22T07:04:00Z'))).toMatchObject({
      ok: true,
    });
    expect(cloudFrontAccepts(String(note.json.reportUrl), { KTEST: publicKey }, new Date('2026-11-22T07:05:00Z'))).toMatchObject({
      ok: false,
      why: 'expired',
    });

    const html = Buffer.from((await b.reports.store.get('reports/contoso/latest.html'))!.body).toString();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('data-tenant="contoso" data-range="24h"');
    expect(html).toContain('4.4.316');
    expect(await b.reports.store.get('reports/contoso/digest-2026-11-20.json')).not.toBeNull();
    // Without a signature, the bucket answers no one (on AWS only the distribution's OAC may read it).
    expect((await fetch(`${inject('s3Endpoint')}/${b.reports.bucket}/reports/contoso/latest.html`)).status).toBe(403);
  });

  it('link lifetimes beyond 30 days are refused when the function starts', () => {
    expect(parseRuntimeConfig({ MAILFLOW_REPORT_LINK_HOURS: '720' }).reportLinkHours).toBe(720);
    expect(() => parseRuntimeConfig({ MAILFLOW_REPORT_LINK_HOURS: '721' })).toThrow(/at most 720/);
  });
});
