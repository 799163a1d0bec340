import { createHash } from 'node:crypto';
import { UsageError } from '../errors.ts';

/**
 * Every object key mailflow reads or writes, in one place: the layout shared by the local data
 * folder and the buckets (the README's "Storage" section lists what each holds). `infra/` builds
 * lifecycle rules and grants from the prefixes here, so a key can only move if both sides move.
 */

/** The top-level prefixes, each a separate concern (retention, who may write). */
export const PREFIX = {
  /** Uploads, `incoming/<tenant>/<path>`: the upload bucket. */
  incoming: 'incoming/',
  /** Counts, receipts and the SQL companions: the data bucket. */
  results: 'results/',
  /** Protocol state (deferrals, incidents, claims, …): the data bucket. */
  state: 'state/',
  /** Pages people open (dashboard snapshots, full digests): the report bucket. */
  reports: 'reports/',
  /** Where Athena writes query results (the workgroup's output location): the data bucket. */
  athenaResults: 'athena-results/',
} as const;

/** Prefixes under `results/` and `state/` with a lifecycle or access of their own. */
export const AREA = {
  rollups: 'results/rollups/',
  summaries: 'results/summaries/',
  summaryMonths: 'results/summary-months/',
  sql: 'results/sql/',
  receipts: 'results/sources/',
  receiptIndex: 'results/receipt-index/',
  eventParts: 'results/events/',
  deferrals: 'state/deferrals/',
  aliases: 'state/aliases/',
  pairs: 'state/pairs/',
  incidents: 'state/incidents/',
  settledIncidents: 'state/settled-incidents/',
  suppressions: 'state/suppressions/',
  notificationClaims: 'state/notifications/',
  digestClaims: 'state/digests/',
  publishSlots: 'state/publish-slots/',
  publishBudgets: 'state/publish-budgets/',
  failures: 'state/failures/',
  collect: 'state/collect/',
} as const;

const TENANT = /^[a-z0-9-]{1,63}$/;

export const isTenant = (value: string): boolean => TENANT.test(value);

export function normalizeTenant(raw: string | undefined): string {
  const t = (raw ?? 'default').trim().toLowerCase();
  if (!isTenant(t)) throw new UsageError('BAD_TENANT', `tenant "${raw}" must be 1-63 characters of a-z, 0-9 and "-"`);
  return t;
}

/**
 * A list of tenants as people type it (`contoso, CONTOSO,fabrikam`): a set, each name normalized
 * and given once, in the order first given, so no tenant is ever counted twice.
 */
export function tenantSet(raw: string): string[] {
  const names = raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return [...new Set(names.map((t) => normalizeTenant(t)))];
}

/** `incoming/<tenant>/…` → tenant; files directly under `incoming/` belong to `default`. */
export function tenantOfKey(key: string): string {
  const parts = key.split('/');
  return parts.length > 2 ? normalizeTenant(parts[1]) : 'default';
}

/** The tenant of an upload; a folder name that is not a valid tenant files it under `default`. */
export function uploadTenant(key: string): string {
  try {
    return tenantOfKey(key);
  } catch {
    return 'default';
  }
}

/** `incoming/<tenant>/<path>`: where an upload of `path` (slash-separated) lands. */
export function incomingKey(tenant: string, path: string): string {
  return `${PREFIX.incoming}${tenant}/${path}`;
}

export function sourceIdOf(origin: string, key: string, etag: string): string {
  return shortHash(`${origin}\n${key}\n${etag}`, 32);
}

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function dateHour(hourMs: number): { date: string; hour: string } {
  const iso = new Date(hourMs).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/**
 * Counts are stored one object per tenant and UTC day, one JSON line per hour: an upload touches
 * as many objects as days, not hours (a 90-day export: 90 rollups, not 2,160), and a range is read
 * a day at a time. Inside, each hour is still its own record with its own version.
 */
const DAY_FILE = '.jsonl';

/** `results/rollups/tenant=<t>/date=<d>.jsonl`: the authoritative counts of the day's hours. */
export function rollupDayKey(tenant: string, ms: number): string {
  return `${AREA.rollups}tenant=${tenant}/date=${dateHour(ms).date}${DAY_FILE}`;
}

/** `results/summaries/…`: the small summaries queries read; a tenant's, or every tenant's. */
export function summaryPrefix(tenant?: string): string {
  return tenant ? `${AREA.summaries}tenant=${tenant}/` : AREA.summaries;
}

/** `results/summaries/tenant=<t>/date=<d>.jsonl`: the summaries of the day's hours. */
export function summaryDayKey(tenant: string, ms: number): string {
  return `${summaryPrefix(tenant)}date=${dateHour(ms).date}${DAY_FILE}`;
}

/**
 * `results/summary-months/tenant=<t>/month=<yyyy-mm>.jsonl`: a copy of the day lines of the month's
 * summary objects, each with the ETag of the object it was copied from, so a view of 30 days reads
 * one object per month instead of 30 (store/summary-months.ts).
 */
export function summaryMonthKey(tenant: string, ms: number): string {
  return `${AREA.summaryMonths}tenant=${tenant}/month=${dateHour(ms).date.slice(0, 7)}${DAY_FILE}`;
}

/** What a listing starts after to begin with the day of `ms` (keys sort by date). */
export function summaryListStart(tenant: string, ms: number): string {
  return `${summaryPrefix(tenant)}date=${dateHour(ms).date}`;
}

const SUMMARY_DAY_KEY = /^results\/summaries\/tenant=([a-z0-9-]+)\/date=(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** Tenant and day (ms, UTC midnight) of a summary key, or null for anything else under the prefix. */
export function parseSummaryDayKey(key: string): { tenant: string; day: number } | null {
  const m = SUMMARY_DAY_KEY.exec(key);
  return m ? { tenant: m[1]!, day: Date.parse(`${m[2]}T00:00:00Z`) } : null;
}

/**
 * `results/sql/day=<YYYY-MM-DD>/<tenant>.jsonl`: the JSON-lines companion of a day's summaries
 * for SQL engines. Partitioned by day only: partition projection would need every tenant's name
 * in advance, and queries across all tenants prune by day.
 */
export function sqlDayKey(tenant: string, ms: number): string {
  return `${AREA.sql}day=${dateHour(ms).date}/${tenant}${DAY_FILE}`;
}

/**
 * A rollup's source marker: `<sourceId>` (its first part), `<sourceId>#<part>`, and after the
 * source was forgotten and read again, `<sourceId>~<generation>` (`…~2#1`).
 */
export function parseMarker(marker: string): { sourceId: string; generation: number; part: number } | null {
  const m = /^([0-9a-f]+)(?:~(\d+))?(?:#(\d+))?$/.exec(marker);
  return m ? { sourceId: m[1]!, generation: m[2] ? Number(m[2]) : 0, part: m[3] ? Number(m[3]) : 0 } : null;
}

export function partMarker(sourceId: string, generation: number, part: number): string {
  return `${sourceId}${generation ? `~${generation}` : ''}${part ? `#${part}` : ''}`;
}

/** Where a source's event parts are (every generation). */
export function eventPartPrefix(tenant: string, sourceId: string): string {
  return `${AREA.eventParts}tenant=${tenant}/${sourceId}/`;
}

/** The marker of an event part's key (`…/<sourceId>/g1-p2.bin.gz` → `<sourceId>~1#2`), or null. */
export function eventPartMarker(key: string): { marker: string; generation: number } | null {
  const m = /\/([0-9a-f]+)\/g(\d+)-p(\d+)\.bin\.gz$/.exec(key);
  return m ? { marker: partMarker(m[1]!, Number(m[2]), Number(m[3])), generation: Number(m[2]) } : null;
}

/** `results/events/tenant=<t>/<sourceId>/g<generation>-p<part>.bin.gz`: one part of a source's counted events. */
export function eventPartKey(tenant: string, marker: string): string {
  const m = parseMarker(marker);
  if (!m) throw new Error(`not a source marker: "${marker}"`);
  return `${eventPartPrefix(tenant, m.sourceId)}g${m.generation}-p${m.part}.bin.gz`;
}

/** `results/sources/<tenant>/<sourceId>.json`: what happened to one upload. */
export function receiptPrefix(tenant?: string): string {
  return tenant ? `${AREA.receipts}${tenant}/` : AREA.receipts;
}

export function receiptKey(tenant: string, sourceId: string): string {
  return `${receiptPrefix(tenant)}${sourceId}.json`;
}

/** The source a receipt key (receiptKey) names. */
export function receiptSourceId(key: string, tenant: string): string {
  return key.slice(receiptPrefix(tenant).length, -'.json'.length);
}

/** `results/receipt-index/<tenant>/`: one empty object per receipt write, newest first in key order. */
export function receiptIndexPrefix(tenant: string): string {
  return `${AREA.receiptIndex}${tenant}/`;
}

/** Milliseconds counted down from the year 2286, 13 digits: a listing in key order is newest first. */
const COUNTDOWN = 9_999_999_999_999;

/**
 * `results/receipt-index/<tenant>/<countdown>-<sourceId>.<status>`: the write of a receipt at `at`.
 * The status is in the name so that a listing of rejected uploads reads only their receipts.
 */
export function receiptIndexKey(tenant: string, at: number, sourceId: string, status: string): string {
  return `${receiptIndexPrefix(tenant)}${countdown(at)}-${sourceId}.${status}`;
}

export function countdown(at: number): string {
  return String(COUNTDOWN - at).padStart(13, '0');
}

const INDEX_NAME = /^(\d{13})-([A-Za-z0-9_-]+)\.([a-z]+)$/;

/** An index key's write time, source and status; null for a key of another shape. */
export function parseReceiptIndexKey(key: string, tenant: string): { at: number; sourceId: string; status: string } | null {
  const m = INDEX_NAME.exec(key.slice(receiptIndexPrefix(tenant).length));
  return m ? { at: COUNTDOWN - Number(m[1]), sourceId: m[2]!, status: m[3]! } : null;
}

/** `state/deferrals/<tenant>.json`: open deferrals and the tenant's data clock. */
export function deferralStateKey(tenant: string): string {
  return `${AREA.deferrals}${tenant}.json`;
}

/** `state/aliases/<tenant>.json`: the addresses of receiving servers and the host names they answered as. */
export function aliasTableKey(tenant: string): string {
  return `${AREA.aliases}${tenant}.json`;
}

/** `state/incidents/<tenant>/<ruleId>/<group hash>.json`; the prefix of a tenant's, or of one rule's. */
export function incidentPrefix(tenant?: string, ruleId?: string): string {
  if (!tenant) return AREA.incidents;
  return ruleId ? `${AREA.incidents}${tenant}/${ruleId}/` : `${AREA.incidents}${tenant}/`;
}

/** `state/settled-incidents/<tenant>.json`: which of the tenant's incidents need not be read (store/settled-incidents.ts). */
export function settledIncidentsKey(tenant: string): string {
  return `${AREA.settledIncidents}${tenant}.json`;
}

export function incidentKey(tenant: string, ruleId: string, group: Record<string, string | null>): string {
  return `${incidentPrefix(tenant, ruleId)}${shortHash(JSON.stringify(group), 24)}.json`;
}

/** `state/suppressions/<tenant>/<id>.json`. */
export function suppressionPrefix(tenant: string): string {
  return `${AREA.suppressions}${tenant}/`;
}

export function suppressionKey(tenant: string, id: string): string {
  return `${suppressionPrefix(tenant)}${id}.json`;
}

/** `state/notifications/<tenant>/<id hash>.json`: the claim on sending one incident notification. */
export function notificationClaimKey(tenant: string, incidentKey: string, notificationId: string): string {
  return `${AREA.notificationClaims}${tenant}/${shortHash(`${incidentKey}\n${notificationId}`, 32)}.json`;
}

/** `state/digests/<tenant>/<local date>.json`: the claim on sending a tenant's digest of that day. */
export function digestClaimKey(tenant: string, localDate: string): string {
  return `${AREA.digestClaims}${tenant}/${localDate}.json`;
}

/** `state/publish-slots/<epoch second>.json`: the one publish allowed in that second. */
export function publishSlotKey(epochSecond: number): string {
  return `${AREA.publishSlots}${epochSecond}.json`;
}

/** One tenant's alerts published in one wall-clock hour (`2026-11-20T10`). */
export function publishBudgetKey(tenant: string, hour: string): string {
  return `${AREA.publishBudgets}${tenant}/${hour}.json`;
}

/** `state/failures/<tenant>/<sourceId>.json`: why an upload could not be ingested, and how often. */
export function failurePrefix(tenant?: string): string {
  return tenant ? `${AREA.failures}${tenant}/` : AREA.failures;
}

export function failureKey(tenant: string, sourceId: string): string {
  return `${failurePrefix(tenant)}${sourceId}.json`;
}

/** `reports/<tenant>/latest.html`: the dashboard snapshot a digest links to. */
export function snapshotKey(tenant: string): string {
  return `${PREFIX.reports}${tenant}/latest.html`;
}

/** `reports/<tenant>/digest-<local date>.json`: the full digest a shortened message names. */
export function fullDigestKey(tenant: string, localDate: string): string {
  return `${PREFIX.reports}${tenant}/digest-${localDate}.json`;
}

/** Where a tenant's objects live: the bucket role, the prefix, and which keys under it are the tenant's. */
export interface TenantPrefix {
  bucket: 'uploads' | 'data' | 'reports';
  prefix: string;
  match?: (key: string) => boolean;
}

/**
 * Every prefix that holds objects of `tenant`, for `purge`. The SQL companions are partitioned by
 * day with the tenant in the file name (`<tenant>.jsonl`; "." cannot occur in a tenant name),
 * and uploads directly under `incoming/` belong to `default`. Publish slots name no tenant.
 */
export function tenantPrefixes(tenant: string): TenantPrefix[] {
  const own = (area: string): TenantPrefix => ({ bucket: 'data', prefix: `${area}${tenant}/` });
  const out: TenantPrefix[] = [
    { bucket: 'uploads', prefix: `${PREFIX.incoming}${tenant}/` },
    { bucket: 'data', prefix: `${AREA.rollups}tenant=${tenant}/` },
    { bucket: 'data', prefix: `${AREA.eventParts}tenant=${tenant}/` },
    { bucket: 'data', prefix: `${AREA.pairs}tenant=${tenant}/` },
    { bucket: 'data', prefix: summaryPrefix(tenant) },
    { bucket: 'data', prefix: `${AREA.summaryMonths}tenant=${tenant}/` },
    { bucket: 'data', prefix: AREA.sql, match: (key) => key.slice(key.lastIndexOf('/') + 1).startsWith(`${tenant}.`) },
    own(AREA.receipts),
    own(AREA.receiptIndex),
    { bucket: 'data', prefix: deferralStateKey(tenant), match: (key) => key === deferralStateKey(tenant) },
    { bucket: 'data', prefix: aliasTableKey(tenant), match: (key) => key === aliasTableKey(tenant) },
    { bucket: 'data', prefix: collectStateKey(tenant), match: (key) => key === collectStateKey(tenant) },
    own(AREA.incidents),
    { bucket: 'data', prefix: settledIncidentsKey(tenant), match: (key) => key === settledIncidentsKey(tenant) },
    own(AREA.suppressions),
    own(AREA.notificationClaims),
    own(AREA.digestClaims),
    own(AREA.publishBudgets),
    own(AREA.failures),
    { bucket: 'reports', prefix: `${PREFIX.reports}${tenant}/` },
  ];
  if (tenant === 'default')
    out.push({ bucket: 'uploads', prefix: PREFIX.incoming, match: (key) => !key.slice(PREFIX.incoming.length).includes('/') });
  return out;
}

/** `state/collect/<tenant>.json`: the Graph collector's cursor, budget and coverage for the tenant. */
export function collectStateKey(tenant: string): string {
  return `${AREA.collect}${tenant}.json`;
}

/** Where the collector writes what Graph gave it: `incoming/<tenant>/graph/…`, an upload like any other. */
export function graphUploadPrefix(tenant: string): string {
  return incomingKey(tenant, 'graph/');
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[:.]/g, '').replace('000Z', 'Z');

/** One messageTraces page: `incoming/<t>/graph/traces/<slice start>-<slice end>/<read at>-p0001.json`. */
export function graphPageKey(tenant: string, slice: { from: number; to: number }, readAt: number, page: number): string {
  return `${graphUploadPrefix(tenant)}traces/${stamp(slice.from)}-${stamp(slice.to)}/${stamp(readAt)}-p${String(page).padStart(4, '0')}.json`;
}

/** Detail events fetched in one run: `incoming/<t>/graph/details/<run start>-0001.jsonl`. */
export function graphDetailsKey(tenant: string, runAt: number, n: number): string {
  return `${graphUploadPrefix(tenant)}details/${stamp(runAt)}-${String(n).padStart(4, '0')}.jsonl`;
}
