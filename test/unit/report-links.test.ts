import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCloudFrontLinkSigner } from '../../functions/adapters/cloudfront-links.ts';
import { silentLogger } from '../../functions/core/ports.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { cloudFrontAccepts } from '../helpers/cloudfront-verify.ts';
import { deferralExport, ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import type { Notification } from '../../functions/core/ports.ts';
import { scheduledTick } from '../../functions/core/flows/scheduled-tick.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const other = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const keys = { K2JCJMDEHXQW5F: publicKey };
const signer = (key = privateKey) =>
  createCloudFrontLinkSigner({ baseUrl: 'https://d111111abcdef8.cloudfront.net', keyPairId: 'K2JCJMDEHXQW5F', privateKey: key });

describe('report links: CloudFront signed URLs (Build 10)', () => {
  it('verify against the public key, and work exactly until their expiry', async () => {
    const expiresAt = new Date('2026-11-27T07:05:00Z');
    const url = await signer().link('reports/contoso/latest.html', expiresAt);
    expect(url).toMatch(
      /^https:\/\/d111111abcdef8\.cloudfront\.net\/contoso\/latest\.html\?Expires=\d+&Key-Pair-Id=K2JCJMDEHXQW5F&Signature=/,
    );
    expect(cloudFrontAccepts(url, keys, new Date('2026-11-27T07:04:59Z'))).toEqual({
      ok: true,
      why: 'valid',
      expires: expiresAt.getTime() / 1000,
    });
    expect(cloudFrontAccepts(url, keys, expiresAt)).toMatchObject({ ok: false, why: 'expired' });
  });

  it('are refused when anything in them changes, or another key signed them', async () => {
    const url = await signer().link('reports/contoso/latest.html', new Date('2026-11-27T07:05:00Z'));
    const now = new Date('2026-11-21T00:00:00Z');
    expect(cloudFrontAccepts(url.replace('/contoso/', '/fabrikam/'), keys, now)).toMatchObject({
      ok: false,
      why: 'signature does not match',
    });
    expect(
      cloudFrontAccepts(
        url.replace(/Expires=(\d+)/, (_, e) => `Expires=${Number(e) + 3600}`),
        keys,
        now,
      ),
    ).toMatchObject({ ok: false, why: 'signature does not match' });
    expect(
      cloudFrontAccepts(await signer(other.privateKey).link('reports/contoso/latest.html', new Date('2026-11-27T07:05:00Z')), keys, now),
    ).toMatchObject({ ok: false, why: 'signature does not match' });
  });

  it("sign only pages under reports/ (the distribution's origin path), with tenants and names encoded", async () => {
    await expect(signer().link('results/hourly/x.json', new Date())).rejects.toThrow(/only pages under reports\//);
    expect(await signer().link('reports/a b/latest.html', new Date('2026-11-27T07:05:00Z'))).toContain('/a%20b/latest.html?');
  });

  it('the digest links the snapshot it wrote to the report store; the link expires when the digest says', async () => {
    const store = createMemoryStore();
    const reports = createMemoryStore();
    const sent: Notification[] = [];
    const notifier = { publish: async (n: Notification) => void sent.push(n) };
    const rules = parseRulesConfig({ tenants: { contoso: { timeZone: 'UTC', digestHour: 7 } } });
    await ingestBytes(store, 'a.csv', deferralExport(30), { tenant: 'contoso', config: { alerts: { rules, notifier } } });
    const clock = { now: () => new Date('2026-11-20T07:05:12.345Z'), sleep: async () => {} };
    await scheduledTick({ store, reports, notifier, logger: silentLogger, clock, links: signer() }, rules, { reportLinkHours: 48 });
    const digest = sent.find((n) => n.json.kind === 'digest')!;
    expect(digest.json.reportExpiresAt).toBe('2026-11-22T07:05:12.000Z');
    const url = String(digest.json.reportUrl);
    expect(digest.text).toContain(url);
    expect(cloudFrontAccepts(url, keys, new Date('2026-11-22T07:05:11Z'))).toMatchObject({
      ok: true,
      expires: Date.parse('2026-11-22T07:05:12Z') / 1000,
    });
    expect(cloudFrontAccepts(url, keys, new Date('2026-11-22T07:05:12Z'))).toMatchObject({ ok: false, why: 'expired' });
    expect(Buffer.from((await reports.get('reports/contoso/latest.html'))!.body).toString()).toContain(
      'data-tenant="contoso" data-range="7d"',
    );
    expect(await reports.get('reports/contoso/digest-2026-11-20.json')).not.toBeNull();
    expect(await store.get('reports/contoso/latest.html')).toBeNull();
  });

  it('a digest goes out without its link when the signing key cannot be read', async () => {
    const store = createMemoryStore();
    const sent: Notification[] = [];
    const rules = parseRulesConfig({ tenants: { contoso: { timeZone: 'UTC', digestHour: 7 } } });
    await ingestBytes(store, 'a.csv', deferralExport(30), { tenant: 'contoso' });
    const links = createCloudFrontLinkSigner({
      baseUrl: 'https://d1.cloudfront.net',
      keyPairId: 'K1',
      privateKey: async () => {
        throw new Error('no key yet');
      },
    });
    await scheduledTick(
      {
        store,
        notifier: { publish: async (n) => void sent.push(n) },
        logger: silentLogger,
        clock: { now: () => new Date('2026-11-20T07:05:00Z'), sleep: async () => {} },
        links,
      },
      rules,
    );
    const digest = sent.find((n) => n.json.kind === 'digest')!;
    expect(digest.json.reportUrl).toBeUndefined();
  });
});
