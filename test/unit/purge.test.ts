import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AREA, tenantPrefixes } from '../../functions/core/store/layout.ts';
import { generated } from '../helpers/bytes.ts';
import { deferrals } from '../helpers/alerts.ts';
import { runCli } from '../helpers/io.ts';

/** Issue 12 (3): `mailflow purge --tenant T` leaves nothing of T (a GDPR request, a customer leaving) and changes nothing else. */
function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(root, p).split(sep).join('/'), readFileSync(p, 'latin1'));
    }
  };
  walk(root);
  return out;
}
const dirs = (root: string): string[] => {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) {
        out.push(relative(root, join(dir, e.name)).split(sep).join('/'));
        walk(join(dir, e.name));
      }
  };
  walk(root);
  return out;
};

async function folder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-purge-'));
  const data = join(dir, 'data');
  writeFileSync(join(dir, 'storm.csv'), deferrals(1, 25));
  writeFileSync(join(dir, 'summary.csv'), generated({ family: 'trace-summary', rows: 300, seed: 7 }));
  // Its detail names the receiving servers' addresses: the tenant gets an alias table.
  writeFileSync(join(dir, 'detail.csv'), generated({ family: 'trace-detail', rows: 300, seed: 9 }));
  // "contoso-eu" starts with "contoso": a prefix match must not take it along.
  for (const tenant of ['contoso', 'contoso-eu', 'fabrikam'])
    for (const f of ['storm.csv', 'summary.csv', 'detail.csv'])
      expect((await runCli(['ingest', '--data-dir', data, '--tenant', tenant, join(dir, f)])).code).toBe(0);
  expect(
    (
      await runCli([
        'suppress',
        '--data-dir',
        data,
        '--tenant',
        'contoso',
        '--rule',
        'stuck',
        '--until',
        '2d',
        '--reason',
        'a known outage at the provider',
      ])
    ).code,
  ).toBe(0);
  expect((await runCli(['report', '--html', '--data-dir', data, '--tenant', 'contoso', '--out', join(dir, 'r.html')])).code).toBe(0);
  // What the deployed pipeline also keeps in the same layout: uploads and reports.
  for (const key of [
    'incoming/contoso/2026/trace.csv',
    'incoming/contoso-eu/trace.csv',
    'reports/contoso/latest.html',
    'reports/fabrikam/latest.html',
  ]) {
    mkdirSync(join(data, ...key.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(data, ...key.split('/')), 'x');
  }
  return data;
}

const isContoso = (key: string) => tenantPrefixes('contoso').some((p) => key.startsWith(p.prefix) && (!p.match || p.match(key)));

describe('mailflow purge --tenant T', () => {
  it('names every per-tenant area of the layout (a new area cannot be forgotten)', () => {
    const covered = tenantPrefixes('t').map((p) => p.prefix);
    for (const area of Object.values(AREA)) {
      if (area === AREA.publishSlots) continue; // keyed by the second, no tenant in it
      expect(
        covered.some((p) => p.startsWith(area)),
        area,
      ).toBe(true);
    }
  });

  it('counts without --yes, then erases every object and directory of the tenant and nothing of the others', async () => {
    const data = await folder();
    const before = files(data);
    const mine = [...before.keys()].filter(isContoso);
    // Every kind of object the tenant had: rollups, summaries, SQL, receipts, deferrals, incidents, suppressions, uploads, reports.
    for (const area of [
      'results/rollups/',
      'results/summaries/',
      'results/sql/',
      'results/sources/',
      'state/deferrals/',
      'state/aliases/',
      'state/incidents/',
      'state/suppressions/',
      'incoming/',
      'reports/',
    ])
      expect(
        mine.some((k) => k.startsWith(area)),
        area,
      ).toBe(true);

    const dry = await runCli(['purge', '--data-dir', data, '--tenant', 'contoso']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`${mine.length} objects of tenant "contoso" would be erased; run again with --yes`);
    expect(files(data)).toEqual(before);

    const r = await runCli(['purge', '--data-dir', data, '--tenant', 'contoso', '--yes']);
    expect(r).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`erased ${mine.length} objects of tenant "contoso"; nothing of it is left`),
    });
    expect(r.stdout).toMatch(/\d+  lines    outbox.jsonl/);
    const after = files(data);
    const outbox = (m: Map<string, string>) =>
      (m.get('outbox.jsonl') ?? '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).json.tenant);
    expect(outbox(before)).toContain('contoso');
    expect(outbox(after)).toEqual(outbox(before).filter((t: string) => t !== 'contoso'));
    before.delete('outbox.jsonl');
    after.delete('outbox.jsonl');
    expect([...after.keys()].filter(isContoso)).toEqual([]);
    // Every other object is still there, byte for byte.
    const others = new Map([...before].filter(([k]) => !isContoso(k)));
    expect(new Map([...after].filter(([k]) => !k.startsWith('.')))).toEqual(new Map([...others].filter(([k]) => !k.startsWith('.'))));
    expect(dirs(data).filter((d) => /(^|\/)(tenant=)?contoso(\/|$)/.test(d))).toEqual([]);
    // And the tenant is gone for the reading commands.
    expect((await runCli(['query', '--data-dir', data, '--tenant', 'contoso'])).code).toBe(2);
    expect((await runCli(['query', '--data-dir', data, '--tenant', 'contoso-eu'])).code).toBe(0);
  });

  it('refuses without a tenant, and on the deployed pipeline without all three buckets', async () => {
    expect(await runCli(['purge', '--yes'])).toMatchObject({ code: 2, stderr: expect.stringContaining('purge needs --tenant T') });
    expect(await runCli(['purge', '--tenant', 'contoso', '--bucket', 'data-b', '--yes'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'needs all three buckets: --bucket (BucketName), --upload-bucket (UploadBucketName) and --report-bucket',
      ),
    });
  });
});
