import { describe, expect, it } from 'vitest';
import { createS3LinkSigner } from '../../functions/adapters/s3-links.ts';
import { parseRuntimeConfig } from '../../functions/core/config.ts';
import type { Notification } from '../../functions/core/digest/sns-message.ts';
import { silentLogger } from '../../functions/core/ports.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { scheduledTick } from '../../functions/digest/scheduled.ts';
import { utf8 } from '../helpers/bytes.ts';
import { deferralExport, ingestBytes } from '../helpers/ingest.ts';
import { freshBucket } from '../helpers/rgw.ts';

describe('the digest links the dashboard snapshot (Ceph RGW)', () => {
  it('writes reports/<tenant>/latest.html and a presigned link a browser can open without credentials', async () => {
    const { bucket, store, client } = await freshBucket('report');
    // The notifier only collects what the digest function would hand to SNS (which can't run here).
    const sent: Notification[] = [];
    const notifier = { publish: async (n: Notification) => void sent.push(n) };
    const rules = parseRulesConfig({ tenants: { contoso: { timeZone: 'UTC', digestHour: 7 } } });
    await ingestBytes(store, 'a.csv', deferralExport(30), { tenant: 'contoso', config: { alerts: { rules, notifier } } });
    const clock = { now: () => new Date('2026-11-20T07:05:00Z'), sleep: async () => {} };
    await scheduledTick({ store, notifier, logger: silentLogger, clock, links: createS3LinkSigner(client, bucket) }, rules, { reportLinkHours: 48 });

    const digest = sent.find((n) => n.json.kind === 'digest')!;
    const url = String(digest.json.reportUrl);
    expect(digest.json.reportExpiresAt).toBe('2026-11-22T07:05:00.000Z');
    expect(digest.text).toContain(url);
    expect(digest.text).toContain('link valid until 2026-11-22T07:05Z');
    expect(url).toMatch(/reports\/contoso\/latest\.html\?/);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe(String(48 * 3600));

    const res = await fetch(url); // no credentials: the signature in the URL is the permission
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('data-tenant="contoso" data-range="24h"');
    expect(html).toContain('data-tenant="contoso" data-range="7d"');
    expect(html).toContain('4.4.316');

    // Unsigned, the same object is private.
    expect((await fetch(url.split('?')[0]!)).status).toBe(403);
  });

  it('a link stops working when it expires', async () => {
    const { bucket, store, client } = await freshBucket('report');
    await store.putIfAbsent('reports/x/latest.html', utf8('<!doctype html>'));
    const url = await createS3LinkSigner(client, bucket).link('reports/x/latest.html', 1);
    expect((await fetch(url)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await fetch(url)).status).toBe(403);
  });

  it('link lifetimes beyond S3\'s 7 days are refused when the function starts', () => {
    expect(parseRuntimeConfig({ MAILFLOW_REPORT_LINK_HOURS: '168' }).reportLinkHours).toBe(168);
    expect(() => parseRuntimeConfig({ MAILFLOW_REPORT_LINK_HOURS: '169' })).toThrow(/at most 168/);
  });
});
