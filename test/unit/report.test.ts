import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { summaryKeysInRange } from '../../functions/core/query/query.ts';
import { contentSecurityPolicy } from '../../functions/core/render/report-html.ts';
import { loadReportInput, RANGES, tenantInputFrom } from '../../functions/core/render/report-load.ts';
import { buildReportModel, TallyMemo } from '../../functions/core/render/report-model.ts';
import { renderReport } from '../../functions/core/render/report.ts';
import { startDashboard } from '../../functions/cli/commands/dashboard.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { generated, utf8 } from '../helpers/bytes.ts';
import { recorder } from '../helpers/alerts.ts';
import { ingestBytes, ingestTenants } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { readSummaries } from '../../functions/core/store/hourly.ts';

const HEAD = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
const row = (hour: string, id: string, event: string, led: string, server = 'mail.contoso.com') =>
  `"2026-11-20T${hour}:10:00Z","${event}","Reason: [{LED=${led} [LastAttemptedServerName=${server}]}]","${id}","u${id}@contoso.com"\r\n`;
const EVIL = '<script>alert(1)</script>';

/** contoso: 4 deferrals at 09:00; at 10:00 30 deferrals, one to a hostile server name, 2 failures. fabrikam: 7 deferrals at 10:00. */
async function fixture() {
  const store = createMemoryStore();
  const alerts = { alerts: { rules: parseRulesConfig({}), notifier: { publish: async () => {} } } };
  let contoso = HEAD;
  for (let i = 0; i < 4; i++) contoso += row('09', `a${i}`, 'Defer', '450 4.4.316 Connection refused');
  for (let i = 0; i < 29; i++) contoso += row('10', `b${i}`, 'Defer', '450 4.4.316 Connection refused');
  contoso += row('10', 'evil', 'Defer', '450 4.4.316 Connection refused', EVIL);
  for (let i = 0; i < 2; i++) contoso += row('10', `c${i}`, 'Fail', '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found');
  contoso += `"2026-11-20T10:20:00Z","Deliver","The message was delivered.","d1","ud1@contoso.com"\r\n`;
  await ingestBytes(store, 'contoso.csv', utf8(contoso), { tenant: 'contoso', ...alerts });
  await ingestBytes(store, `bad-${EVIL}.csv`, utf8('Name,Email\r\nAda,ada@x.com\r\n'), { tenant: 'contoso' });
  let fabrikam = HEAD;
  for (let i = 0; i < 7; i++) fabrikam += row('10', `f${i}`, 'Defer', '451 4.4.7 Message expired', 'mx.fabrikam.example');
  await ingestBytes(store, 'fabrikam.csv', utf8(fabrikam), { tenant: 'fabrikam', ...alerts });
  return store;
}

const now = Date.parse('2026-11-27T12:00:00Z');
const to = Date.parse('2026-11-20T11:00:00Z');

describe('the report model', () => {
  it('counts the period against the previous one, per hour by category, with codes explained', async () => {
    const store = await fixture();
    const input = await loadReportInput(store, { tenant: 'contoso', tenants: ['contoso', 'fabrikam'], range: '24h', now });
    expect(input.to).toBe(to); // the end of the tenant's data, not "now"
    const m = buildReportModel({ ...input, lang: 'en' });
    const h = Object.fromEntries(m.headline.map((x) => [x.key, [x.now, x.before]]));
    expect(h).toEqual({
      problems: [36, 0],
      failed: [2, 0],
      deferred: [34, 0],
      delivered: [1, 0],
      failureRate: [2 / 3, 0],
      filtered: [0, 0],
    });
    // 3 final outcomes: too few for a rate; and the previous 24 hours have no data, so no trend is shown.
    expect(m.headline.find((x) => x.key === 'failureRate')!.tooFew).toBe(3);
    expect(m.previous).toEqual({ covered: 0, of: 24, unit: 'hour' });
    expect(m.bars.map((b) => [new Date(b.hour).toISOString(), b.total, b.segments.map((s) => s.category)])).toEqual([
      ['2026-11-20T09:00:00.000Z', 4, ['connection-refused']],
      ['2026-11-20T10:00:00.000Z', 32, ['connection-refused', 'recipient']],
    ]);
    expect(m.maxBar).toBe(32);
    expect(m.codes.map((c) => [c.code, c.events, c.category])).toEqual([
      ['4.4.316', 34, 'connection-refused'],
      ['5.1.1', 2, 'recipient'],
    ]);
    expect(m.codes[0]!.owner).toMatch(/your servers, connectors/);
    expect(m.codes[0]!.action).toBeTruthy();
    expect(m.destinations[0]).toMatchObject({ name: 'mail.contoso.com', events: 35 });
    expect(m.destinations[0]!.spark).toHaveLength(24);
    expect(m.destinations[0]!.spark.slice(-2)).toEqual([4, 31]);
    expect(m.receipts.map((r) => r.status).sort()).toEqual(['ingested', 'rejected']);
  });

  it('compares with the previous period of equal length', async () => {
    const store = await fixture();
    const input = await loadReportInput(store, { tenant: 'contoso', tenants: ['contoso'], range: '24h', now, to });
    const m = buildReportModel({ ...input, from: to - 3_600_000, lang: 'en' });
    // 10:00-11:00 against 09:00-10:00
    expect(m.headline.find((x) => x.key === 'deferred')).toMatchObject({ now: 30, before: 4 });
    expect(m.codes[0]).toMatchObject({ code: '4.4.316', events: 30, previous: 4 });
    expect(m.bars).toHaveLength(1);
    expect(m.previous).toEqual({ covered: 1, of: 1, unit: 'hour' });
  });

  it('says when a rate has too little behind it or the previous period has no data, instead of a number or a trend (issue 12, 7)', async () => {
    const store = await fixture();
    // 30 more deferrals for contoso, with alerting on: the connector-codes incident opens.
    let more = HEAD;
    for (let i = 0; i < 30; i++) more += row('10', `m${i}`, 'Defer', '450 4.4.316 Connection refused');
    await ingestBytes(store, 'more.csv', utf8(more), {
      tenant: 'contoso',
      config: { alerts: { rules: parseRulesConfig({}), notifier: recorder().notifier } },
    });
    const { html } = await renderReport(store, { mode: 'static', lang: 'en', tenant: null, range: '24h', ranges: ['24h'], now });
    const view = html.slice(html.indexOf('data-tenant="contoso"'));
    const card = (key: string) => view.slice(view.indexOf(`data-key="${key}"`)).split('</div></div>')[0]!;
    expect(card('failureRate')).toContain('<div class="value">–</div><div class="delta">too few to say (3 final outcomes)');
    expect(card('deferred')).toContain('no data in the previous period');
    expect(card('deferred')).not.toMatch(/%|new/);
    expect(card('filtered')).toContain('Filtered or quarantined');
    // The all-tenants view names each incident's tenant.
    const all = html.slice(html.indexOf('data-tenant="*"'), html.indexOf('data-tenant="contoso"'));
    expect(all).toContain('<table class="incidents"><thead><tr><th>Tenant</th><th>Rule</th>');
    expect(all).toMatch(/<tr><td>contoso<\/td><td>connector-codes<\/td><td>destination=mail\.contoso\.com<\/td>/);
  });

  it('ends the default window with the last hour of delivery activity, not with the expiry tail a day later (issue 12, 7)', async () => {
    const store = createMemoryStore();
    let text = HEAD;
    for (let i = 0; i < 5; i++) text += row('10', `d${i}`, 'Defer', '450 4.4.316 Connection refused');
    for (let i = 0; i < 5; i++)
      text += `"2026-11-21T10:15:00Z","Fail","Reason: [{LED=550 5.4.316 Message expired, connection refused}]","d${i}","ud${i}@contoso.com"\r\n`;
    await ingestBytes(store, 'tail.csv', utf8(text), { tenant: 't' });
    const input = await loadReportInput(store, { tenant: 't', tenants: ['t'], range: '24h', now });
    expect(input.dataUntil).toBe(Date.parse('2026-11-21T11:00:00Z'));
    expect(input.to).toBe(Date.parse('2026-11-20T11:00:00Z'));
    expect(buildReportModel({ ...input, lang: 'en' }).headline.find((h) => h.key === 'deferred')!.now).toBe(5);
    // An explicit end is kept as asked.
    const asked = await loadReportInput(store, { tenant: 't', tenants: ['t'], range: '24h', now, to: Date.parse('2026-11-21T11:00:00Z') });
    expect(asked.to).toBe(Date.parse('2026-11-21T11:00:00Z'));
  });

  it('all tenants together: one row per tenant, most problems first, with where each tenant’s data ends (issue 12, 7)', async () => {
    const store = await fixture();
    // A third tenant whose data stopped three days earlier: it stays in the table, with its date,
    // over its own last 24 hours (not a zero for a day it has no data of), and the chart says it is not in it.
    await ingestBytes(
      store,
      'old.csv',
      utf8(HEAD + row('10', 'o1', 'Defer', '450 4.4.316 Connection refused').replace('2026-11-20', '2026-11-17')),
      {
        tenant: 'tailspin',
      },
    );
    const input = await loadReportInput(store, { tenant: null, tenants: ['contoso', 'fabrikam', 'tailspin'], range: '24h', now });
    const m = buildReportModel({ ...input, lang: 'en' });
    expect(m.tenants).toEqual([
      { tenant: 'contoso', problems: 36, failed: 2, deferred: 34, failureRate: null, dataUntil: Date.parse('2026-11-20T11:00:00Z') },
      { tenant: 'fabrikam', problems: 7, failed: 0, deferred: 7, failureRate: null, dataUntil: Date.parse('2026-11-20T11:00:00Z') },
      {
        tenant: 'tailspin',
        problems: 1,
        failed: 0,
        deferred: 1,
        failureRate: null,
        dataUntil: Date.parse('2026-11-17T11:00:00Z'),
        ownWindowTo: Date.parse('2026-11-17T11:00:00Z'),
      },
    ]);
    const { html } = await renderReport(store, { mode: 'static', lang: 'en', tenant: null, range: '24h', ranges: ['24h'], now });
    expect(html).toContain('<h2>By tenant</h2>');
    expect(html).toMatch(
      /<tr><td>tailspin<\/td><td class="n">1<\/td>.*2026-11-17 11:00 <span class="muted">\(its own last 24 h\)<\/span><\/td><\/tr>/,
    );
    expect(html).toContain('Not in the chart (their data ends before it): tailspin (data until 2026-11-17 11:00).');
    // One tenant's view has no such table.
    expect(
      buildReportModel({ ...(await loadReportInput(store, { tenant: 'contoso', tenants: ['contoso'], range: '24h', now })), lang: 'en' })
        .tenants,
    ).toEqual([]);
  });

  it('all tenants together add up the tenants', async () => {
    const store = await fixture();
    const input = await loadReportInput(store, { tenant: null, tenants: ['contoso', 'fabrikam'], range: '24h', now });
    const m = buildReportModel({ ...input, lang: 'en' });
    expect(m.headline.find((x) => x.key === 'problems')!.now).toBe(36 + 7);
    const summaries = await readSummaries(store, summaryKeysInRange(store, {}));
    expect(new Set(summaries.map((s) => s.tenant))).toEqual(new Set(['contoso', 'fabrikam']));
  });
});

describe('the report page', () => {
  it('is self-contained: the policy allows its own style and script by hash, and nothing else', async () => {
    const store = await fixture();
    const { html, views } = await renderReport(store, { mode: 'static', lang: 'en', tenant: null, range: '24h', now });
    expect(views).toBe(3 * 3); // (all, contoso, fabrikam) × (24h, 7d, 30d)
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    expect(csp).toBe(contentSecurityPolicy('static'));
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/form-action 'none'/);
    // Nothing that could load from elsewhere.
    expect(html).not.toMatch(/\b(src|href)="(?!data:)[^"#]/);
    expect(html).not.toMatch(/url\(|@import/);
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('escapes what exports control (server names, file names)', async () => {
    const store = await fixture();
    const { html } = await renderReport(store, { mode: 'static', lang: 'en', tenant: 'contoso', range: '24h', tenants: ['contoso'], now });
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toMatch(/<tr class="rejected">/);
  });

  it('shows one view per tenant and range, the selected one visible', async () => {
    const store = await fixture();
    const { html } = await renderReport(store, { mode: 'static', lang: 'en', tenant: 'fabrikam', range: '7d', now });
    const sections = [...html.matchAll(/<section class="view" data-tenant="([^"]+)" data-range="([^"]+)"[^>]*?( hidden)?>/g)].map((m) => [
      m[1],
      m[2],
      !m[3],
    ]);
    expect(sections.filter(([, , visible]) => visible)).toEqual([['fabrikam', '7d', true]]);
    expect(sections).toHaveLength(9);
  });

  it('speaks Italian', async () => {
    const store = await fixture();
    const { html } = await renderReport(store, { mode: 'live', lang: 'it', tenant: 'contoso', range: '24h', now });
    expect(html).toContain('<html lang="it">');
    expect(html).toContain('Rinviati e falliti per ora, per categoria');
    expect(html).toMatch(/<ul class="legend">[^]*?Connessione rifiutata[^]*?<\/ul>/); // categories named in Italian too
    expect(html).toContain('rifiutato');
    expect(html).toMatch(/form-action 'self'/);
  });

  it('names the tenants that exist when asked for one that does not', async () => {
    const store = await fixture();
    await expect(renderReport(store, { mode: 'live', lang: 'en', tenant: 'nope', range: '24h', now })).rejects.toThrow(
      /tenants with results: contoso, fabrikam/,
    );
  });
});

describe('the dashboard server', () => {
  it('answers GET / on loopback with the page and its policy; says what is wrong otherwise', async () => {
    const store = await fixture();
    const d = await startDashboard(store, { port: 0, lang: 'en' });
    try {
      expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const ok = await fetch(`${d.url}?tenant=fabrikam&range=7d`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-security-policy')).toBe(`${contentSecurityPolicy('live')}; frame-ancestors 'none'`);
      expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await ok.text()).toMatch(/data-tenant="fabrikam" data-range="7d"/);
      const badRange = await fetch(`${d.url}?range=1y`);
      expect([badRange.status, await badRange.text()]).toEqual([400, 'range must be one of 24h, 7d, 30d, not "1y"\n']);
      const unknown = await fetch(`${d.url}?tenant=%3Cscript%3E`);
      expect(unknown.status).toBe(400);
      expect(unknown.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect((await fetch(`${d.url}report.html`)).status).toBe(404);
      expect((await fetch(d.url, { method: 'POST' })).status).toBe(405);
      // A rebound name (evil.example → 127.0.0.1) is refused: Host must be our own address.
      const withHost = (host: string) =>
        new Promise<number>((resolve, reject) => {
          request(d.url, { headers: { host } }, (res) => resolve(res.statusCode!))
            .on('error', reject)
            .end();
        });
      const port = new URL(d.url).port;
      expect(await withHost('evil.example')).toBe(421);
      expect(await withHost(`evil.example:${port}`)).toBe(421);
      expect(await withHost(`localhost:${port}`)).toBe(200);
    } finally {
      await d.close();
    }
  });
});

describe('the dashboard over many tenants reads each summary once', () => {
  const DAY_MS = 86_400_000;
  const start = Date.UTC(2026, 9, 1);
  async function tenants() {
    const store = createMemoryStore();
    // a and b: the same window; c: its data stops three days earlier.
    for (const [tenant, seed, from] of [
      ['a', 1, start],
      ['b', 2, start],
      ['c', 3, start - 3 * DAY_MS],
    ] as const)
      await ingestBytes(store, `${tenant}.csv`, generated({ family: 'trace-detail', rows: 3000, seed, start: from, perHour: 40 }), {
        tenant,
      });
    return store;
  }
  const now = Date.UTC(2026, 10, 20);

  it.each(['7d', '30d'] as const)(
    'cuts a tenant from the all-tenants input only when loadReportInput would read the same (%s)',
    async (range) => {
      const store = await tenants();
      for (const to of [undefined, start + 2 * DAY_MS]) {
        const when = to === undefined ? {} : { to };
        const all = await loadReportInput(store, { tenant: null, tenants: ['a', 'b', 'c'], range, now, ...when });
        const cut: Record<string, boolean> = {};
        for (const t of ['a', 'b', 'c']) {
          const fromAll = await tenantInputFrom(store, all, t, { range, ...when });
          cut[t] = fromAll !== null;
          if (fromAll) expect(fromAll).toEqual(await loadReportInput(store, { tenant: t, tenants: ['a', 'b', 'c'], range, now, ...when }));
        }
        // With an explicit end every window is the same; else c's data ends earlier and is read.
        expect(cut).toEqual(to === undefined ? { a: true, b: true, c: false } : { a: true, b: true, c: true });
      }
    },
  );

  it("hands the all-tenants view's tallies to the tenants' views cut from its input, the same models as without (TallyMemo)", async () => {
    const store = await tenants();
    const views = ['24h', '7d', '30d'] as const;
    const all = await loadReportInput(store, { tenant: null, tenants: ['a', 'b', 'c'], range: '30d', views, now });
    const memo = new TallyMemo();
    const model = (input: typeof all, length: number, m?: TallyMemo) =>
      buildReportModel({ ...input, from: input.to - length, lang: 'en' }, m);
    for (const v of views) {
      const shared = model(all, RANGES[v], memo);
      expect(shared).toEqual(model(all, RANGES[v]));
      // Tallied as one, without the tenants merged: the same numbers (the table aside).
      const alone = buildReportModel({ ...all, tenantsUntil: undefined, from: all.to - RANGES[v], lang: 'en' });
      expect({ ...shared, tenants: [] }).toEqual(alone);
    }
    let taken = 0;
    for (const t of ['a', 'b', 'c']) {
      const cut = await tenantInputFrom(store, all, t, { range: '30d' });
      if (!cut) memo.forget(t); // c: its data ends before the others', its views read their own
      const input = cut ?? (await loadReportInput(store, { tenant: t, tenants: ['a', 'b', 'c'], range: '30d', views, now }));
      for (const v of views) {
        const before = memo.size;
        expect(model(input, RANGES[v], memo)).toEqual(model(input, RANGES[v]));
        taken += before - memo.size;
      }
    }
    // a's and b's three views took their periods' tallies, now and before: 2 × 3 × 2.
    expect(taken).toBe(12);
    expect(memo.size).toBe(0);
  });

  it('renders the same page, reading each summary once for tenants that end together', async () => {
    const store = await tenants();
    const reads = new Map<string, number>();
    const counting = { ...store, get: (key: string) => (reads.set(key, (reads.get(key) ?? 0) + 1), store.get(key)) };
    const { html } = await renderReport(counting, { mode: 'static', lang: 'en', tenant: null, range: '24h', now });
    expect(html).toContain('<html');
    // Two periods of 24 h: the days they span, one object each, read once for the views; the last
    // day once more to learn where the data ends (no deferral clock here); the per-tenant view reads
    // none of them again.
    const summaryReads = [...reads].filter(([k]) => k.startsWith('results/summaries/tenant=a/')).map(([, n]) => n);
    expect(summaryReads.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...summaryReads)).toBe(2);
    expect(summaryReads.filter((n) => n === 2)).toHaveLength(1);
    // Each tenant's alias table once per input read (all tenants', then c's own: its data ends earlier), not once per pass.
    const aliasReads = [...reads].filter(([k]) => k.startsWith('state/aliases/'));
    expect(aliasReads.map(([k]) => k).sort()).toEqual(['state/aliases/a.json', 'state/aliases/b.json', 'state/aliases/c.json']);
    expect(Object.fromEntries(aliasReads)).toEqual({ 'state/aliases/a.json': 1, 'state/aliases/b.json': 1, 'state/aliases/c.json': 2 });
  });
});

describe('views past 7 days read whole days as one summary each (issue 13, 5)', () => {
  it('and show exactly what the same views over every hour show, for every range and tenant choice', async () => {
    const store = createMemoryStore();
    const start = Date.UTC(2026, 8, 1, 7);
    await ingestTenants(store, { a: 11, b: 12 }, { rows: 14_000, start, perHour: 5, hours: 45 * 24 });
    const days = 86_400_000;
    const lengths = { '24h': days, '7d': 7 * days, '30d': 30 * days } as const;
    // The static page cuts all three views from one input; the dashboard reads one view's alone,
    // and a 30-day view alone needs only its last two days hour by hour.
    const cases = [
      { tenant: null, views: ['24h', '7d', '30d'] as const, daySpans: 60 },
      { tenant: 'a', views: ['24h', '7d', '30d'] as const, daySpans: 30 },
      // Five days more as one summary each than when the 7-day view is cut from the same input.
      { tenant: null, views: ['30d'] as const, daySpans: 76 },
      { tenant: 'a', views: ['30d'] as const, daySpans: 38 },
      { tenant: null, views: ['7d'] as const, daySpans: 8 },
    ];
    for (const { tenant, views, daySpans } of cases) {
      const range = views.at(-1)!;
      const input = await loadReportInput(store, { tenant, tenants: ['a', 'b'], range, views, now });
      const spans = input.summaries.filter((s) => s.span === 'day').length;
      // Most days before the hours the views need (less those a period edge cuts) come as one summary.
      expect(spans).toBeGreaterThan(daySpans);
      const everyHour = await readSummaries(
        store,
        summaryKeysInRange(store, { from: input.to - 60 * days, to: input.to, tenants: ['a', 'b'] }),
        {
          from: input.to - 60 * days,
          to: input.to,
        },
      );
      const hourly = { ...input, summaries: everyHour.filter((s) => tenant === null || s.tenant === tenant) };
      for (const length of views.map((v) => lengths[v])) {
        const strip = (m: ReturnType<typeof buildReportModel>) => ({ ...m, previous: null });
        const mixed = buildReportModel({ ...input, from: input.to - length, lang: 'en' });
        expect(strip(mixed)).toEqual(strip(buildReportModel({ ...hourly, from: input.to - length, lang: 'en' })));
        expect(mixed.headline[0]!.now).toBeGreaterThan(0);
      }
    }
  });
});

describe('a tenant collected from Microsoft Graph (issue 14, 4)', () => {
  it('shows until when its data is complete, and the hours the collector has not read, in the view and on the page', async () => {
    const store = await fixture();
    const { emptyCollectState, saveCollectState } = await import('../../functions/core/store/collect-state.ts');
    const H = 3_600_000;
    const day = Date.parse('2026-11-20T00:00:00Z');
    await saveCollectState(
      store,
      {
        ...emptyCollectState('contoso'),
        doneUntil: day + 12 * H,
        complete: [
          [day - 20 * H, day + 9 * H],
          [day + 10 * H, day + 11 * H],
        ],
        partial: [[day + 11 * H, day + 12 * H]],
      },
      null,
    );
    const input = await loadReportInput(store, { tenant: 'contoso', tenants: ['contoso', 'fabrikam'], range: '24h', to, now });
    const m = buildReportModel({ ...input, lang: 'en' });
    expect(m.collection).toEqual({ completeUntil: day + 11 * H, missing: [{ from: day + 9 * H, to: day + 10 * H }] });
    const { html } = await renderReport(store, { mode: 'live', lang: 'en', tenant: 'contoso', range: '24h', to, now });
    expect(html).toContain(
      'Collected from Microsoft Graph: complete until 2026-11-20 11:00 UTC; 1 hour missing (2026-11-20 09:00 → 2026-11-20 10:00): the collector has not read it yet',
    );
    // A tenant that is not collected, and all tenants together, say nothing of it.
    expect(
      buildReportModel({
        ...(await loadReportInput(store, { tenant: 'fabrikam', tenants: ['contoso', 'fabrikam'], range: '24h', to, now })),
        lang: 'en',
      }).collection,
    ).toBeNull();
  });
});
