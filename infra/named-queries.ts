/**
 * The questions the dashboard answers, as Athena named queries over the `hourly` and `sources`
 * tables (functions/core/aggregate/sql-layout.ts). Written in the SQL that Athena (Trino) and
 * DuckDB share, so the tests run them on real files. Change the 84-day window to taste; the
 * `day` filter is what keeps a query to the partitions it needs.
 */
export interface NamedQuery {
  name: string;
  description: string;
  sql: string;
}

export const NAMED_QUERIES: NamedQuery[] = [
  {
    name: 'mailflow-top-codes-by-week',
    description: 'Deferred, failed and expired events per week and status code, all tenants, last 12 weeks',
    sql: `SELECT date_trunc('week', CAST(substr(hour, 1, 10) AS date)) AS week, tenant, code, category, owner, sum(events) AS events
FROM hourly
WHERE day >= CAST(current_date - INTERVAL '84' DAY AS varchar)
  AND outcome IN ('deferred', 'failed', 'expired')
GROUP BY 1, 2, 3, 4, 5
ORDER BY week DESC, events DESC`,
  },
  {
    name: 'mailflow-connector-failure-history',
    description: 'Per connector and day: deferred and failed events against all events, last 12 weeks',
    sql: `SELECT tenant, connector, substr(hour, 1, 10) AS day_utc,
  sum(CASE WHEN outcome = 'deferred' THEN events ELSE 0 END) AS deferred,
  sum(CASE WHEN outcome IN ('failed', 'expired') THEN events ELSE 0 END) AS failed,
  sum(events) AS events
FROM hourly
WHERE day >= CAST(current_date - INTERVAL '84' DAY AS varchar)
  AND connector IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY tenant, connector, day_utc DESC`,
  },
  {
    name: 'mailflow-rejected-uploads',
    description: 'Uploads that were rejected, newest first, with the reason a person can act on',
    sql: `SELECT ingested_at, tenant, s3_key, error_code, reason, family
FROM sources
WHERE status = 'rejected'
ORDER BY ingested_at DESC
LIMIT 200`,
  },
];
