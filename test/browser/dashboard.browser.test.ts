import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { queryStore, summariesInRange } from '../../functions/core/query/query.ts';
import { tally } from '../../functions/core/render/tally.ts';
import { runCli } from '../helpers/io.ts';

/**
 * The dashboard in a real browser: Debian's Chromium (installed by .ci/run), driven by
 * playwright-core. No skip when it is missing: the launch fails and so does the test.
 */
const ARTIFACTS = 'test/artifacts';
const PROBLEMS = ['deferred', 'failed', 'expired'];
let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailflow-dashboard-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [tenant, seed, rows] of [
    ['contoso', '5', '3000'],
    ['fabrikam', '9', '1200'],
  ] as const) {
    const file = join(dir, `${tenant}.csv`);
    expect((await runCli(['generate', '--family', 'trace-detail', '--rows', rows, '--seed', seed, '--out', file])).code).toBe(0);
    expect((await runCli(['ingest', '--data-dir', join(dir, 'data'), '--tenant', tenant, file])).code).toBe(0);
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the store says for a view: messages affected, problem events, and the hours (past 7 days: UTC days) that have any. */
async function expected(tenant: string, from: string, to: string) {
  const store = createFsStore({ root: join(dir, 'data') });
  const range = { tenants: [tenant], from: Date.parse(from), to: Date.parse(to) };
  const bar = range.to - range.from > 7 * 86_400_000 ? 'day' : 'hour';
  const rows = await queryStore(store, { by: [bar], where: { outcome: PROBLEMS }, ...range });
  // Messages affected: each message once, whichever problems it had (tally's union is property-tested in test/unit).
  const affected = tally(await summariesInRange(store, range), range.from, range.to, '').affected;
  return { problems: affected, events: rows.reduce((n, r) => n + r.events, 0), bars: rows.filter((r) => r.events > 0).length };
}

/** Watches a page for console errors and for any request that is not the page itself. */
function watch(page: Page, allowed: (url: URL) => boolean) {
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => !allowed(new URL(r.url())) && foreign.push(r.url()));
  return { errors, foreign };
}

async function visibleView(page: Page) {
  const view = page.locator('section.view:not([hidden])');
  expect(await view.count()).toBe(1);
  const attr = async (name: string) => (await view.getAttribute(name))!;
  const problems = Number((await view.locator('.card[data-key="problems"] .value').innerText()).replace(/\D/g, ''));
  const events = Number((await view.locator('.card[data-key="problems"] .events').innerText()).replace(/\D/g, ''));
  return {
    tenant: await attr('data-tenant'),
    range: await attr('data-range'),
    from: await attr('data-from'),
    to: await attr('data-to'),
    problems,
    events,
    bars: await view.locator('svg.chart g.bar').count(),
  };
}

async function checkView(page: Page, tenant: string) {
  const v = await visibleView(page);
  expect(v.tenant).toBe(tenant);
  const want = await expected(tenant, v.from, v.to);
  expect(want.bars).toBeGreaterThan(0); // the fixture has something to draw
  expect(v.bars).toBe(want.bars);
  expect(v.problems).toBe(want.problems);
  expect(v.events).toBe(want.events);
  expect(v.events).toBeGreaterThan(v.problems); // retries: more events than messages in the fixture
  return v;
}

async function phoneFits(page: Page, name: string) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  // Readable on a phone: the page itself never scrolls sideways (wide tables scroll in their box).
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
}

describe('the dashboard in Chromium', () => {
  it('mailflow dashboard: loads clean, draws the expected bars, and re-queries on a tenant change', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['bin/mailflow.js', 'dashboard', '--data-dir', join(dir, 'data'), '--port', '0', '--lang', 'en'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          const m = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`dashboard exited ${code}: ${out}`)));
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const origin = new URL(url).origin;
      const seen = watch(page, (u) => u.origin === origin && u.pathname === '/');
      await page.goto(`${url}?tenant=contoso&range=7d`);
      const contoso = await checkView(page, 'contoso');
      expect(contoso.range).toBe('7d');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png'), fullPage: true });

      await Promise.all([page.waitForURL(/tenant=fabrikam/), page.selectOption('select[name=tenant]', 'fabrikam')]);
      const fabrikam = await checkView(page, 'fabrikam');
      expect(fabrikam.range).toBe('7d'); // the range survives a tenant change
      expect(fabrikam.problems).not.toBe(contoso.problems);
      await phoneFits(page, 'dashboard-live');
      expect(seen.errors).toEqual([]);
      expect(seen.foreign).toEqual([]);
      await page.close();
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('report --html: the file loads clean and its selector switches views in place', async () => {
    const file = join(ARTIFACTS, 'report.html');
    const r = await runCli(['report', '--html', '--data-dir', join(dir, 'data'), '--out', file, '--lang', 'en']);
    expect(r.code).toBe(0);
    const fileUrl = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watch(page, (u) => u.href === fileUrl);
    await page.goto(fileUrl);
    expect((await visibleView(page)).tenant).toBe('*'); // all tenants first
    await page.selectOption('select[name=tenant]', 'contoso');
    const contoso = await checkView(page, 'contoso');
    await page.selectOption('select[name=tenant]', 'fabrikam');
    const fabrikam = await checkView(page, 'fabrikam');
    expect(fabrikam.problems).not.toBe(contoso.problems);
    await page.selectOption('select[name=range]', '30d');
    expect((await checkView(page, 'fabrikam')).range).toBe('30d');
    expect(page.url()).toBe(fileUrl); // switched in place: nothing asked of anyone
    await page.screenshot({ path: join(ARTIFACTS, 'report-file.png'), fullPage: true });
    await phoneFits(page, 'report-file');
    expect(seen.errors).toEqual([]);
    expect(seen.foreign).toEqual([]);
    await page.close();
  });
});
