import type { HourlySummary } from './rollup.ts';

/**
 * The results as SQL engines (Athena, DuckDB) read them. Summaries live under
 * `results/hourly/tenant=<t>/date=<d>/…`: partition projection would need every tenant's name in
 * advance, or a tenant in each query's WHERE clause. So each summary also gets a JSON-lines
 * companion under a date-only partition, one flat line per group, tenant and hour as columns:
 * `sqlLinesKey` in store/layout.ts. Queries across all tenants prune by day.
 *
 * The column lists below are the declared schemas: the Glue tables are built from them, and a
 * test reads real files with DuckDB against them.
 */
export interface SqlColumn {
  name: string;
  /** Hive type, as Glue declares it. */
  type: 'string' | 'bigint';
  comment: string;
  /** The JSON key, when it differs from the column name (OpenX SerDe `mapping.<column>`). */
  jsonKey?: string;
}

export const HOURLY_COLUMNS: SqlColumn[] = [
  { name: 'tenant', type: 'string', comment: 'tenant (first path segment under incoming/)' },
  { name: 'hour', type: 'string', comment: 'start of the UTC hour, ISO 8601 (2026-11-20T10:00:00Z)' },
  { name: 'outcome', type: 'string', comment: 'delivered, deferred, failed, expired or filtered' },
  { name: 'code', type: 'string', comment: 'enhanced status code (4.4.316), null when none' },
  { name: 'category', type: 'string', comment: 'why: dns, connection-refused, recipient …' },
  { name: 'owner', type: 'string', comment: 'who acts: our-servers, partner, recipient-side …' },
  { name: 'connector', type: 'string', comment: 'Exchange connector, when the export names it' },
  { name: 'destination', type: 'string', comment: 'destination server name, or its IP' },
  { name: 'domain', type: 'string', comment: 'recipient domain' },
  { name: 'events', type: 'bigint', comment: 'events (after deduplication)' },
  { name: 'messages', type: 'bigint', comment: 'distinct message-and-recipient pairs in the hour' },
  { name: 'rollup_version', type: 'bigint', comment: 'version of the hourly rollup these counts come from' },
];

/** Receipts (`results/sources/<tenant>/<sourceId>.json`, one JSON object per file). */
export const SOURCE_COLUMNS: SqlColumn[] = [
  { name: 'source_id', type: 'string', comment: 'hash of bucket, key and ETag', jsonKey: 'sourceId' },
  { name: 'tenant', type: 'string', comment: 'tenant' },
  { name: 's3_key', type: 'string', comment: 'the uploaded object', jsonKey: 'key' },
  { name: 'status', type: 'string', comment: 'ingested, duplicate, rejected or empty' },
  { name: 'reason', type: 'string', comment: 'why it was rejected, in words a person can act on' },
  { name: 'error_code', type: 'string', comment: 'stable error code of a rejection', jsonKey: 'errorCode' },
  { name: 'family', type: 'string', comment: 'export family (trace-detail, onprem-tracking-log …)' },
  { name: 'encoding', type: 'string', comment: 'text encoding detected' },
  { name: 'row_count', type: 'bigint', comment: 'data rows read', jsonKey: 'rows' },
  { name: 'counted', type: 'bigint', comment: 'events this upload added' },
  { name: 'already_counted', type: 'bigint', comment: 'events other uploads had counted already', jsonKey: 'alreadyCounted' },
  { name: 'ingested_at', type: 'string', comment: 'when it was processed, ISO 8601', jsonKey: 'ingestedAt' },
];

/** One line per group; an hour without groups is an empty file (nothing to count). */
export function toSqlLines(s: HourlySummary): string {
  return s.groups
    .map((g) =>
      JSON.stringify({
        tenant: s.tenant,
        hour: s.hour,
        outcome: g.outcome,
        code: g.code,
        category: g.category,
        owner: g.owner,
        connector: g.connector,
        destination: g.destination,
        domain: g.domain,
        events: g.events,
        messages: g.messages,
        rollup_version: s.rollupVersion,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** The rollup version a companion file holds (0 for an empty one). */
export function sqlLinesVersion(text: string): number {
  const first = text.split('\n', 1)[0]!.trim();
  return first ? (JSON.parse(first) as { rollup_version: number }).rollup_version : 0;
}
