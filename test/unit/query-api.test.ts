import { describe, expect, it } from 'vitest';
import { parse as csvParse } from 'csv-parse/sync';
import { handleApiRequest } from '../../functions/query/api.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { incidentKey, summaryDayKey } from '../../functions/core/store/layout.ts';
import { MAX_REQUESTS_PER_QUESTION } from '../../functions/core/store/work-budget.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

const HEAD = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
const defer = (hour: string, id: string, server = 'mail.contoso.com') =>
  `"2026-11-20T${hour}:10:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=${server}]}]","${id}","u@contoso.com"\r\n`;

async function fixture() {
  const store = createMemoryStore();
  const notifier = { publish: async () => {} };
  // 4 deferrals at 09:00 and 31 at 10:00: querying 10:00-11:00 compares with 09:00-10:00.
  let rows = HEAD;
  for (let i = 0; i < 4; i++) rows += defer('09', `a${i}`);
  for (let i = 0; i < 30; i++) rows += defer('10', `b${i}`);
  rows += defer('10', 'evil', '=HYPERLINK(evil.example)');
  await ingestBytes(store, 'a.csv', utf8(rows), { tenant: 'contoso', config: { alerts: { rules: parseRulesConfig({}), notifier } } });
  await ingestBytes(store, 'bad.csv', utf8('Name,Email\r\nAda,ada@x.com\r\n'), { tenant: 'contoso' });
  return store;
}

const get = (path: string, query: Record<string, string> = {}) => ({ method: 'GET', path, query });
const now = Date.parse('2026-11-20T12:00:00Z');

describe('the query API (Function URL)', () => {
  it('/v1/summary groups the range and compares it with the previous period of equal length', async () => {
    const store = await fixture();
    const r = await handleApiRequest(
      get('/v1/summary', { tenant: 'contoso', from: '2026-11-20T10:00:00Z', to: '2026-11-20T11:00:00Z', by: 'code,destination' }),
      store,
      now,
    );
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.rows).toEqual([
      { code: '4.4.316', destination: 'mail.contoso.com', events: 30, messages: 30, previousEvents: 4, delta: 26, trend: 'up' },
      { code: '4.4.316', destination: '=HYPERLINK(evil.example)', events: 1, messages: 1, previousEvents: 0, delta: 1, trend: 'new' },
    ]);
  });

  it('counts a tenant named twice, in any case or spacing, once (a tenant list is a set)', async () => {
    const store = await fixture();
    const rows = async (tenant: string, path = '/v1/summary') =>
      JSON.parse(
        (await handleApiRequest(get(path, { tenant, from: '2026-11-20T10:00:00Z', to: '2026-11-20T11:00:00Z', by: 'code' }), store, now))
          .body,
      ).rows;
    const once = await rows('contoso');
    expect(once.reduce((n: number, r: { events: number }) => n + r.events, 0)).toBe(31);
    for (const repeated of ['contoso,contoso', 'contoso,CONTOSO, contoso', ' Contoso ,contoso,']) {
      expect(await rows(repeated), repeated).toEqual(once);
      expect(await rows(repeated, '/v1/timeseries'), repeated).toEqual(await rows('contoso', '/v1/timeseries'));
    }
  });

  it('/v1/timeseries, /v1/sources and /v1/incidents answer what the dashboard needs', async () => {
    const store = await fixture();
    const ts = JSON.parse(
      (await handleApiRequest(get('/v1/timeseries', { from: '2026-11-20', to: '2026-11-21', step: 'hour' }), store, now)).body,
    );
    expect(ts.rows.map((r: { hour: string; events: number }) => [r.hour, r.events])).toEqual([
      ['2026-11-20T09:00:00Z', 4],
      ['2026-11-20T10:00:00Z', 31],
    ]);
    const rejected = JSON.parse((await handleApiRequest(get('/v1/sources', { tenant: 'contoso', status: 'rejected' }), store, now)).body);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ status: 'rejected', errorCode: 'UNRECOGNIZED_HEADER', key: 'incoming/contoso/bad.csv' });
    const incidents = JSON.parse((await handleApiRequest(get('/v1/incidents', { tenant: 'contoso', state: 'active' }), store, now)).body);
    expect(incidents).toEqual([
      expect.objectContaining({ ruleId: 'connector-codes', state: 'open', group: { destination: 'mail.contoso.com' } }),
    ]);
  });

  it('answers CSV with formulas neutralised (O29)', async () => {
    const store = await fixture();
    const r = await handleApiRequest(
      get('/v1/summary', { tenant: 'contoso', from: '2026-11-20T10:00:00Z', to: '2026-11-20T11:00:00Z', by: 'destination', format: 'csv' }),
      store,
      now,
    );
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = csvParse(r.body, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((x) => x.destination)).toEqual(['mail.contoso.com', "'=HYPERLINK(evil.example)"]);
    expect(rows[0]).toMatchObject({ events: '30', delta: '26', trend: 'up' });
  });

  it.each([
    ['/v1/summary', { by: 'colour' }, 'unknown field "colour"'],
    ['/v1/summary', { where: 'nonsense' }, '--where takes field=value'],
    ['/v1/summary', { from: 'yesterday' }, 'from must be an ISO date or time'],
    ['/v1/summary', { from: '2026-11-21', to: '2026-11-20' }, 'the range is empty: from 2026-11-21T00:00:00.000Z is not before to'],
    ['/v1/summary', { from: '2024-01-01', to: '2026-11-20' }, 'longer than 400 days'],
    ['/v1/summary', { tenant: 'Not A Tenant' }, 'must be 1-63 characters'],
    ['/v1/summary', { top: '0' }, 'top must be a whole number'],
    ['/v1/summary', { format: 'xml' }, 'format must be json or csv'],
    ['/v1/timeseries', { step: 'minute' }, 'step must be hour or day'],
    ['/v1/sources', { status: 'weird' }, 'status must be'],
    ['/v1/sources', { limit: '-3' }, 'top must be a whole number'],
    ['/v1/incidents', { state: 'sleeping' }, 'state must be'],
  ])('%s %j → 400 saying what was expected', async (path, query, message) => {
    const r = await handleApiRequest(get(path, query), createMemoryStore(), now);
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).error).toContain(message);
  });

  it('refuses other methods and unknown paths', async () => {
    expect((await handleApiRequest({ method: 'POST', path: '/v1/summary', query: {} }, createMemoryStore(), now)).statusCode).toBe(405);
    expect((await handleApiRequest(get('/v2/everything'), createMemoryStore(), now)).statusCode).toBe(404);
  });
});

describe('every request has a bounded cost, whatever the bucket holds (issue 15, 6)', () => {
  /** 30 tenants × 400 days, one summary a day at 10:00: 12,000 objects, more than one request may touch. */
  function bigStore() {
    const store = createMemoryStore();
    let n = 0;
    for (let t = 0; t < 30; t++) {
      for (let d = 0; d < 400; d++) {
        const hour = Date.UTC(2025, 9, 16) + d * 86_400_000 + 10 * 3_600_000;
        const summary = {
          schema: 1,
          tenant: `t${t}`,
          hour: new Date(hour).toISOString().replace('.000Z', 'Z'),
          rollupVersion: 1,
          sources: 1,
          totals: {},
          groups: [],
        };
        store.objects.set(summaryDayKey(`t${t}`, hour), { body: utf8(`${JSON.stringify(summary)}\n`), etag: `"${n++}"` });
      }
    }
    return store;
  }

  /**
   * Counts what the API does to the store: every listing call, every key it yields, every read
   * (`touched`), and the requests S3 would get for them (`requests`: a listing's pages of 1,000 keys, and each read).
   */
  function counted(store: ObjectStore) {
    const c = { touched: 0, reads: 0, requests: 0 };
    async function* paged<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
      c.touched++;
      c.requests++;
      let n = 0;
      for await (const item of items) {
        if (n++ > 0 && (n - 1) % 1000 === 0) c.requests++;
        c.touched++;
        yield item;
      }
    }
    const wrapped: ObjectStore = {
      get: (key) => (c.touched++, c.reads++, c.requests++, store.get(key)),
      putIfAbsent: (key, body) => (c.touched++, c.requests++, store.putIfAbsent(key, body)),
      putIfMatch: (key, body, etag) => (c.touched++, c.requests++, store.putIfMatch(key, body, etag)),
      list: (prefix, options) => paged(store.list(prefix, options)),
      folders: (prefix) => paged(store.folders!(prefix)),
    };
    return { c, wrapped };
  }
  const later = Date.parse('2026-11-20T12:00:00Z');
  const long = { from: '2025-10-16', to: '2026-11-19' };

  it.each([
    ['/v1/summary', {}],
    ['/v1/timeseries', { step: 'day' }],
  ])('%s over 400 days for every tenant answers 400 with how to narrow it, after at most the budget', async (path, extra) => {
    const { c, wrapped } = counted(bigStore());
    const r = await handleApiRequest(get(path, { ...long, ...extra }), wrapped, later);
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).error).toMatch(
      /more than 10,000 requests to the store; narrow it: name a tenant \(tenant=\), shorten the range/,
    );
    // At most the budget, and the reads that were in flight at the same time (up to 32) when it ran out.
    expect(c.requests).toBeLessThanOrEqual(MAX_REQUESTS_PER_QUESTION + 32);
  });

  it('answers the same question for one tenant, touching a few hundred objects', async () => {
    const { c, wrapped } = counted(bigStore());
    const r = await handleApiRequest(get('/v1/timeseries', { ...long, step: 'day', tenant: 't3' }), wrapped, later);
    expect(r.statusCode).toBe(200);
    expect(c.touched).toBeLessThan(1_300); // a listing per day (400) and its key and read (2 × 399)
  });

  it('a week of every tenant (30 tenants × 400 days stored) reads only that week: listings start at its first day and stop past its end', async () => {
    const { c, wrapped } = counted(bigStore());
    const r = await handleApiRequest(get('/v1/summary', { from: '2026-11-12', to: '2026-11-19' }), wrapped, later);
    expect(r.statusCode).toBe(200);
    // The week and the week before it (the comparison): 30 tenants × 14 summaries read, each listing
    // touching those, one key past the range and its own call; plus the tenant folders, each
    // tenant's table of server addresses, and each tenant's month object (absent here: these days
    // were stored as by a mailflow from before months, so each is read from its own object).
    expect(c.reads).toBe(30 * 14 + 30 + 30);
    expect(c.touched).toBeLessThanOrEqual(30 * 14 * 2 + 30 * 2 + 31 + 1 + 30 + 30);
  });

  it('refuses 1,000 tenants in one request before touching anything', async () => {
    const { c, wrapped } = counted(bigStore());
    const many = Array.from({ length: 1_000 }, (_, i) => `t${i}`).join(',');
    const r = await handleApiRequest(get('/v1/summary', { ...long, tenant: many }), wrapped, later);
    expect(r).toMatchObject({ statusCode: 400, body: expect.stringContaining('at most 100 tenants per request, not 1000') });
    expect(c.touched).toBe(0);
  });

  it('/v1/sources reads only the page it answers, and its Link header walks every receipt once', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 250; i++) {
      const receipt = {
        schema: 1,
        sourceId: `s${String(i).padStart(3, '0')}`,
        tenant: 't',
        key: `incoming/t/${i}.csv`,
        status: i % 3 ? 'ingested' : 'rejected',
        ingestedAt: '2026-11-20T10:00:00Z',
        counted: i,
      };
      store.objects.set(`results/sources/t/${receipt.sourceId}.json`, { body: utf8(JSON.stringify(receipt)), etag: `"${i}"` });
    }
    const { c, wrapped } = counted(store);
    const seen: string[] = [];
    let query: Record<string, string> = { limit: '100' };
    for (let page = 0; page < 5; page++) {
      const before = c.reads;
      const r = await handleApiRequest(get('/v1/sources', query), wrapped, later);
      expect(r.statusCode).toBe(200);
      expect(c.reads - before).toBeLessThanOrEqual(100);
      seen.push(...JSON.parse(r.body).map((x: { sourceId: string }) => x.sourceId));
      const link = r.headers.link;
      if (!link) break;
      expect(link).toMatch(/^<\/v1\/sources\?limit=100&next=[\w-]+>; rel="next"$/);
      query = Object.fromEntries(new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams);
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    const rejected = JSON.parse((await handleApiRequest(get('/v1/sources', { status: 'rejected', limit: '500' }), store, later)).body);
    expect(rejected).toHaveLength(84);
    const bad = await handleApiRequest(get('/v1/sources', { next: 'not-a-cursor' }), store, later);
    expect(bad).toMatchObject({ statusCode: 400, body: expect.stringContaining('is not a cursor this API returned') });
  });

  it('/v1/incidents reads only its page, and its Link header walks every incident once, across tenants and with a state filter', async () => {
    const store = createMemoryStore();
    const all: string[] = [];
    // Three tenants, "contoso" a prefix of "contoso-eu": each tenant's keys are one run.
    for (const [n, tenant] of ['contoso', 'contoso-eu', 'fabrikam'].entries())
      for (let i = 0; i < 90; i++) {
        const group = { destination: `mx${i}.example` };
        const incident = {
          schema: 1,
          tenant,
          ruleId: 'stuck',
          group,
          state: i % 3 ? 'open' : 'resolved',
          episode: 1,
          openedAt: '2026-11-20T10:00:00Z',
          baseline: 1,
          lastValue: i,
          peakValue: i,
          belowSince: null,
          resolvedAt: null,
          lastNotifiedAt: null,
          notifications: [],
        };
        const key = incidentKey(tenant, 'stuck', group);
        store.objects.set(key, { body: utf8(JSON.stringify(incident)), etag: `"${n}-${i}"` });
        all.push(`${tenant} ${group.destination} ${incident.state}`);
      }
    const walk = async (base: Record<string, string>) => {
      const { c, wrapped } = counted(store);
      const seen: string[] = [];
      let query = base;
      for (let page = 0; page < 20; page++) {
        const before = c.reads;
        const r = await handleApiRequest(get('/v1/incidents', query), wrapped, later);
        expect(r.statusCode).toBe(200);
        const rows = JSON.parse(r.body) as Array<{ tenant: string; group: { destination: string }; state: string }>;
        expect(rows.length).toBeLessThanOrEqual(Number(base.limit));
        // The page's own reads; with a filter, also those it skipped (a third here) and a few ahead.
        expect(c.reads - before).toBeLessThanOrEqual(base.state ? Number(base.limit) * 2 + 16 : Number(base.limit));
        seen.push(...rows.map((x) => `${x.tenant} ${x.group.destination} ${x.state}`));
        const link = r.headers.link;
        if (!link) break;
        expect(link).toMatch(/^<\/v1\/incidents\?[^>]*next=[\w-]+>; rel="next"$/);
        query = Object.fromEntries(new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams);
      }
      return seen;
    };
    const every = await walk({ limit: '40' });
    expect(every).toHaveLength(270);
    expect(new Set(every)).toEqual(new Set(all));
    const active = await walk({ limit: '25', state: 'active', tenant: 'fabrikam,contoso' });
    expect(active.sort()).toEqual(all.filter((x) => x.endsWith(' open') && !x.startsWith('contoso-eu')).sort());
    const bad = await handleApiRequest(get('/v1/incidents', { next: 'not-a-cursor' }), store, later);
    expect(bad).toMatchObject({ statusCode: 400, body: expect.stringContaining('is not a cursor this API returned') });
  });

  it('answers 400, not a body over the Function URL limit, when the answer would be too large', async () => {
    const store = createMemoryStore();
    // 4,000 receipts of ~1.5 KB each in one page: over 5 MB, within the work budget.
    for (let i = 0; i < 4_000; i++) {
      const receipt = {
        schema: 1,
        sourceId: `s${i}`,
        tenant: 't',
        key: `incoming/t/${'x'.repeat(1_400)}${i}.csv`,
        status: 'ingested',
        ingestedAt: '2026-11-20T10:00:00Z',
        counted: i,
      };
      store.objects.set(`results/sources/t/s${i}.json`, { body: utf8(JSON.stringify(receipt)), etag: `"${i}"` });
    }
    const r = await handleApiRequest(get('/v1/sources', { limit: '4000' }), store, later);
    expect(r).toMatchObject({ statusCode: 400, body: expect.stringMatching(/the answer would be \d+\.\d MB, over the 5 MB/) });
  });

  it('/v1/sources of a tenant with 12,000 receipts from before the receipt index reads its page: the listing costs 12 requests, not 12,000', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 12_000; i++) {
      const sourceId = `s${String(i).padStart(5, '0')}`;
      const receipt = {
        schema: 1,
        sourceId,
        tenant: 't',
        key: `incoming/t/${i}.csv`,
        status: 'ingested',
        ingestedAt: '2026-11-20T10:00:00Z',
        counted: i,
      };
      store.objects.set(`results/sources/t/${sourceId}.json`, { body: utf8(JSON.stringify(receipt)), etag: `"${i}"` });
    }
    const { c, wrapped } = counted(store);
    const r = await handleApiRequest(get('/v1/sources', {}), wrapped, later);
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toHaveLength(100);
    // The tenant folders (1), its empty receipt index (1), the receipts' listing (12 pages), the page's
    // 100 receipts (test/unit/receipt-index.test.ts: with the index, no listing of the receipts).
    expect(c.requests).toBeLessThanOrEqual(1 + 1 + 12 + 100);
  });
});
