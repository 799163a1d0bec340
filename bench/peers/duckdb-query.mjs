/**
 * Query peer: DuckDB answering the same question as `mailflow query --by code` from the same
 * summary files (read_json over the tenant's day files, groups unnested). Like mailflow over whole
 * days, it reads each file's day line (the day's hours merged), not its 24 hour lines.
 * Usage: node duckdb-query.mjs <data-dir> <tenant>
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, tenant] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const glob = `${dir}/results/summaries/tenant=${tenant}/*.jsonl`.replaceAll("'", "''");
const rows = await c.runAndReadAll(`
  SELECT count(*) AS codes, sum(events) AS events FROM (
    SELECT g.code, sum(g.events) AS events
    FROM (SELECT unnest(groups) AS g FROM read_json('${glob}', format = 'newline_delimited', maximum_object_size = 67108864) WHERE day IS NOT NULL)
    GROUP BY g.code
  )`);
const [[codes, events]] = rows.getRows();
console.log(JSON.stringify({ codes: Number(codes), events: Number(events) }));
