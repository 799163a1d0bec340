import { MAX_REQUESTS_PER_QUESTION, withWorkBudget } from '../core/store/work-budget.ts';
import { inOrderAhead } from '../core/vocabulary/for-each-limit.ts';
import { TREND_DOWN_RATIO, TREND_UP_RATIO } from '../core/vocabulary/thresholds.ts';
import { DAY, hourCeil, hourMs } from '../core/vocabulary/time.ts';
import { tenantSet } from '../core/store/layout.ts';
import { receiptPage } from '../core/store/receipts.ts';
import { parseReceiptStatus, SOURCE_FIELDS, sourceRow } from '../core/query/source-rows.ts';
import { UsageError } from '../core/errors.ts';
import type { ObjectStore } from '../core/ports.ts';
import { toCsv } from '../core/query/csv-out.ts';
import {
  checkRange,
  grainFor,
  queryStore,
  parseFields,
  parseSort,
  parseWhere,
  summariesInRange,
  SummaryGrouper,
  tenantsToRead,
  tenantsAhead,
  type QueryOptions,
  type QueryRow,
} from '../core/query/query.ts';
import { incidentPage, type Incident } from '../core/store/incidents.ts';

/**
 * The HTTP API, as a pure function of the request: the query function's handler adapts Function
 * URL events to it. Read-only; every parameter validated with a 400 that says what was expected.
 *   GET /v1/summary     groups for a range, with the previous period of equal length (delta, trend)
 *   GET /v1/timeseries  events per hour or day
 *   GET /v1/sources     receipts (which uploads were rejected, and why)
 *   GET /v1/incidents   incidents and their state
 * `format=csv` on summary, timeseries and sources; spreadsheet formulas are neutralised.
 */
export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const MAX_RANGE = 400 * DAY;

/**
 * What one request may cost, whatever the bucket holds: requests to the store (reads, listing pages:
 * MAX_REQUESTS_PER_QUESTION), keys listed (MAX_KEYS_LISTED) and tenants named. Past any, a 400 that
 * says how to narrow the question.
 */
export const MAX_TENANTS_PER_REQUEST = 100;
const NARROW =
  'narrow it: name a tenant (tenant=), shorten the range (from=, to=), or ask Athena (SQL at scale) for long or all-tenant questions';

/** The parts of a Function URL event (payload format 2.0) the API reads. */
export interface FunctionUrlEvent {
  rawPath?: string;
  queryStringParameters?: Record<string, string | undefined>;
  requestContext?: { http?: { method?: string } };
}

export function answerUrlRequest(event: FunctionUrlEvent, store: ObjectStore): Promise<ApiResponse> {
  return handleApiRequest(
    { method: event.requestContext?.http?.method ?? 'GET', path: event.rawPath ?? '/', query: event.queryStringParameters ?? {} },
    store,
  );
}

export async function handleApiRequest(req: ApiRequest, unbounded: ObjectStore, now = Date.now()): Promise<ApiResponse> {
  const store = withWorkBudget(unbounded, MAX_REQUESTS_PER_QUESTION, NARROW);
  try {
    if (req.method !== 'GET') return error(405, `${req.method} is not supported: the API is read-only (GET)`);
    switch (req.path.replace(/\/+$/, '')) {
      case '/v1/summary':
        return await summary(req.query, store, now);
      case '/v1/timeseries':
        return await timeseries(req.query, store, now);
      case '/v1/sources':
        return await sources(req, store);
      case '/v1/incidents':
        return await incidents(req, store);
      default:
        return error(404, `no such endpoint ${req.path}; use /v1/summary, /v1/timeseries, /v1/sources or /v1/incidents`);
    }
  } catch (err) {
    if (err instanceof UsageError) return error(400, err.message);
    throw err;
  }
}

function error(statusCode: number, message: string): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: message }) };
}

/**
 * A Function URL answers at most 6 MB: a bigger answer is a 400 that says how to ask for less,
 * never a truncated body or the platform's bare 502.
 */
export const MAX_RESPONSE_BYTES = 5_000_000;

function ok(body: unknown, format: string | undefined, columns?: string[], headers: Record<string, string> = {}): ApiResponse {
  const response: ApiResponse =
    format === 'csv' && columns && Array.isArray(body)
      ? {
          statusCode: 200,
          headers: { 'content-type': 'text/csv; charset=utf-8', ...headers },
          body: toCsv(body as Array<Record<string, unknown>>, columns),
        }
      : { statusCode: 200, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
  const bytes = Buffer.byteLength(response.body);
  if (bytes > MAX_RESPONSE_BYTES)
    return error(
      400,
      `the answer would be ${(bytes / 1e6).toFixed(1)} MB, over the ${MAX_RESPONSE_BYTES / 1e6} MB a response may have: ask for less (a shorter range, step=day, fewer by fields, top or limit), or ask Athena`,
    );
  return response;
}

/** The Link header of a page that has a next one (RFC 8288), and the cursor on its own. */
function nextPage(req: ApiRequest, next: string | null): Record<string, string> {
  if (!next) return {};
  const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== undefined)), next } as Record<
    string,
    string
  >);
  return { link: `<${req.path}?${query}>; rel="next"`, 'mailflow-next': next };
}

function format(q: ApiRequest['query']): 'json' | 'csv' {
  const f = q.format ?? 'json';
  if (f !== 'json' && f !== 'csv') throw new UsageError('BAD_FORMAT', `format must be json or csv, not "${f}"`);
  return f;
}

function tenants(q: ApiRequest['query']): string[] | undefined {
  if (!q.tenant) return undefined;
  const list = tenantSet(q.tenant);
  if (list.length > MAX_TENANTS_PER_REQUEST)
    throw new UsageError(
      'TOO_MANY_TENANTS',
      `at most ${MAX_TENANTS_PER_REQUEST} tenants per request, not ${list.length}; ask for fewer, or ask Athena`,
    );
  return list;
}

function range(q: ApiRequest['query'], now: number): { from: number; to: number } {
  const time = (name: 'from' | 'to', fallback: number) => {
    const raw = q[name];
    if (raw === undefined) return fallback;
    const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
    if (Number.isNaN(t))
      throw new UsageError('BAD_TIME', `${name} must be an ISO date or time (2026-11-20, 2026-11-20T10:00:00Z), not "${raw}"`);
    return t;
  };
  const to = time('to', hourCeil(now));
  const from = time('from', to - DAY);
  checkRange(from, to);
  if (to - from > MAX_RANGE) throw new UsageError('BAD_TIME', 'the range is longer than 400 days; use Athena for longer questions');
  return { from, to };
}

function top(q: ApiRequest['query']): number | undefined {
  if (q.top === undefined) return undefined;
  const n = Number(q.top);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new UsageError('BAD_NUMBER', `top must be a whole number from 1 to 10000, not "${q.top}"`);
  return n;
}

async function summary(q: ApiRequest['query'], store: ObjectStore, now: number): Promise<ApiResponse> {
  const f = format(q);
  const { from, to } = range(q, now);
  const by = parseFields(q.by ?? 'outcome,code');
  const where = parseWhere(q.where ? q.where.split(';') : []);
  const t = tenants(q);
  const length = to - from;
  const sort = parseSort(q.sort);
  const options: QueryOptions = { by, where, ...(t ? { tenants: t } : {}), ...(sort ? { sort } : {}) };
  // Both periods in one read, tenant by tenant (only a few tenants' parsed summaries held: the next
  // ones are read while one is grouped); no day's summary spans the boundary between them
  // (`splitAt`). The previous period only gives its events.
  const thisPeriod = new SummaryGrouper(options);
  const lastPeriod = new SummaryGrouper(options, { messages: false });
  const read = (tenant: string) =>
    summariesInRange(store, { from: from - length, to, splitAt: [from], grain: grainFor(options), tenants: [tenant] });
  for await (const all of inOrderAhead(await tenantsToRead(store, t), tenantsAhead({ from: from - length, to, by, where }), read)) {
    thisPeriod.add(all.filter((s) => hourMs(s.hour) >= from));
    lastPeriod.add(all.filter((s) => hourMs(s.hour) < from));
  }
  const current = thisPeriod.rows();
  const previous = new Map(lastPeriod.rows().map((r) => [key(r, by), r.events]));
  const rows = current.map((r) => {
    const before = previous.get(key(r, by)) ?? 0;
    return { ...r, previousEvents: before, delta: r.events - before, trend: trend(r.events, before) };
  });
  const n = top(q);
  const limited = n ? rows.slice(0, n) : rows;
  return ok(f === 'csv' ? limited : { from: new Date(from).toISOString(), to: new Date(to).toISOString(), rows: limited }, f, [
    ...by,
    'events',
    'messages',
    'previousEvents',
    'delta',
    'trend',
  ]);
}

function key(r: QueryRow, by: string[]): string {
  return JSON.stringify(by.map((f) => r[f as keyof QueryRow] ?? null));
}

function trend(now: number, before: number): 'new' | 'up' | 'down' | 'flat' | 'gone' {
  if (before === 0) return now === 0 ? 'flat' : 'new';
  if (now === 0) return 'gone';
  const ratio = now / before;
  return ratio >= TREND_UP_RATIO ? 'up' : ratio <= TREND_DOWN_RATIO ? 'down' : 'flat';
}

async function timeseries(q: ApiRequest['query'], store: ObjectStore, now: number): Promise<ApiResponse> {
  const f = format(q);
  const { from, to } = range(q, now);
  const step = q.step ?? 'hour';
  if (step !== 'hour' && step !== 'day') throw new UsageError('BAD_STEP', `step must be hour or day, not "${step}"`);
  const t = tenants(q);
  const by = [step, ...(q.by ? parseFields(q.by) : ['outcome' as const])].filter((v, i, a) => a.indexOf(v) === i) as QueryOptions['by'];
  const options: QueryOptions = { by, where: parseWhere(q.where ? q.where.split(';') : []), ...(t ? { tenants: t } : {}) };
  const rows = (await queryStore(store, { ...options, from, to })).sort(
    (a, b) => String(a[step]).localeCompare(String(b[step])) || b.events - a.events,
  );
  return ok(f === 'csv' ? rows : { from: new Date(from).toISOString(), to: new Date(to).toISOString(), step, rows }, f, [
    ...by,
    'events',
    'messages',
  ]);
}

async function sources(req: ApiRequest, store: ObjectStore): Promise<ApiResponse> {
  const q = req.query;
  const f = format(q);
  const t = tenants(q);
  const status = parseReceiptStatus(q.status);
  const limit = top({ top: q.limit ?? '100' })!;
  // Only the page is read, newest first; `next` (in the Link header) asks for the one after it.
  const page = await receiptPage(store, t ?? null, {
    limit,
    ...(q.next ? { after: q.next } : {}),
    ...(status ? { status } : {}),
  });
  return ok(page.receipts.map(sourceRow), f, SOURCE_FIELDS, nextPage(req, page.next));
}

async function incidents(req: ApiRequest, store: ObjectStore): Promise<ApiResponse> {
  const q = req.query;
  const t = tenants(q);
  const state = q.state;
  if (state && !['open', 'escalated', 'resolved', 'active'].includes(state))
    throw new UsageError('BAD_STATE', `state must be open, escalated, resolved or active, not "${state}"`);
  const limit = top({ top: q.limit ?? '100' })!;
  // Only the page is read, in key order; `next` (in the Link header) asks for the one after it.
  const page = await incidentPage(store, t ?? null, {
    limit,
    ...(q.next ? { after: q.next } : {}),
    ...(state ? { match: (i: Incident) => (state === 'active' ? i.state !== 'resolved' : i.state === state) } : {}),
  });
  const rows = page.incidents.map((i) => ({
    tenant: i.tenant,
    ruleId: i.ruleId,
    group: i.group,
    state: i.state,
    value: i.lastValue,
    peak: i.peakValue,
    openedAt: i.openedAt,
    resolvedAt: i.resolvedAt,
    episode: i.episode,
  }));
  return ok(rows, 'json', undefined, nextPage(req, page.next));
}
