/**
 * Query peer: DuckDB answering the same question as `mailflow query --by code` from the same
 * summary files (read_json over the tenant's day files, the groups' table unnested). Like mailflow over whole
 * days, it reads each file's day line (the day's hours merged), not its 24 hour lines.
 * Usage: node duckdb-query.mjs <data-dir> <tenant>
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, tenant] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const glob = `${dir}/results/summaries/tenant=${tenant}/*.jsonl`.replaceAll("'", "''");
// A summary line's groups are a table (functions/core/store/summary-lines.ts): each group is 10
// entries of `rows`, its code the 2nd (a 1-based number in `texts`, 0 for none: NULL here too), its events the 8th.
const rows = await c.runAndReadAll(`
  SELECT count(*) AS codes, sum(events) AS events FROM (
    SELECT code, sum(events) AS events FROM (
      SELECT texts[CAST(rows[10 * i + 2] AS INTEGER)] AS code, CAST(rows[10 * i + 8] AS BIGINT) AS events
      FROM (
        SELECT texts, rows, unnest(range(len(rows) // 10)) AS i
        FROM read_json('${glob}', format = 'newline_delimited', maximum_object_size = 67108864,
                       columns = {day: 'VARCHAR', texts: 'VARCHAR[]', rows: 'JSON[]'})
        WHERE day IS NOT NULL))
    GROUP BY code
  )`);
const [[codes, events]] = rows.getRows();
console.log(JSON.stringify({ codes: Number(codes), events: Number(events) }));
