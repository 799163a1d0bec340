/**
 * Peer (c): DuckDB computing the same groups with read_csv + GROUP BY (hour, outcome, code,
 * destination server, recipient domain; category and owner are functions of the code).
 * Usage: node duckdb-aggregate.mjs <file> <threads>
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [file, threads = '1'] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads });
const c = await db.connect();
const rows = await c.runAndReadAll(`
  SELECT count(*) AS groups, sum(events) AS counted FROM (
    SELECT hour, outcome, code, destination, domain, count(*) AS events FROM (
      SELECT date_trunc('hour', strptime("Date", '%m/%d/%Y %I:%M:%S %p')) AS hour,
        CASE lower("Event") WHEN 'deliver' THEN 'delivered' WHEN 'send' THEN 'delivered' WHEN 'defer' THEN 'deferred'
          WHEN 'fail' THEN CASE WHEN regexp_matches("Detail", 'Message expired|QUEUE\\.Expired') THEN 'expired' ELSE 'failed' END
          ELSE 'other' END AS outcome,
        regexp_extract("Detail", 'LED=\\d{3}[ -]+(\\d\\.\\d{1,3}\\.\\d{1,3})', 1) AS code,
        regexp_extract("Detail", 'LastAttemptedServerName=([^\\]]+)', 1) AS destination,
        split_part(lower("RecipientAddress"), '@', 2) AS domain
      FROM read_csv('${file.replaceAll("'", "''")}', skip = 1, header = true, all_varchar = true)
    ) WHERE outcome <> 'other' GROUP BY ALL
  )`);
const [[groups, counted]] = rows.getRows();
console.log(JSON.stringify({ groups: Number(groups), counted: Number(counted) }));
