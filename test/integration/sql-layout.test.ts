import { summaryGroupsOf } from '../../functions/core/store/summary-lines.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import type { HourlySummary } from '../../functions/core/aggregate/rollup.ts';
import { HOURLY_COLUMNS, SOURCE_COLUMNS, type SqlColumn } from '../../functions/core/aggregate/sql-layout.ts';
import { NAMED_QUERIES } from '../../infra/named-queries.ts';
import { generated, utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';

/**
 * Athena can't run here, so DuckDB reads the files the pipeline really writes, with exactly the
 * columns the Glue tables declare (strict types: a string where a number is declared fails),
 * and runs the named queries the stack installs.
 */
const HOUR = 3_600_000;
let dir: string;
let c: DuckDBConnection;
const store = () => createFsStore({ root: join(dir, 'data') });

const duckType = (col: SqlColumn) => (col.type === 'bigint' ? 'BIGINT' : 'VARCHAR');
const columns = (cols: SqlColumn[]) => `{${cols.map((col) => `'${col.jsonKey ?? col.name}': '${duckType(col)}'`).join(', ')}}`;
const select = (cols: SqlColumn[]) => cols.map((col) => `"${col.jsonKey ?? col.name}" AS ${col.name}`).join(', ');

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  const reader = await c.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailflow-sql-'));
  // Recent data, so the named queries' 12-week window holds it.
  const start = Math.floor(Date.now() / HOUR) * HOUR - 72 * HOUR;
  await ingestBytes(store(), 'contoso.csv', generated({ family: 'trace-detail', rows: 2000, seed: 3, start }), { tenant: 'contoso' });
  await ingestBytes(store(), 'fabrikam.csv', generated({ family: 'onprem-tracking-log', rows: 800, seed: 4, start }), {
    tenant: 'fabrikam',
  });
  await ingestBytes(store(), 'not-an-export.csv', utf8('Name,Email\r\nAda,ada@x.com\r\n'), { tenant: 'fabrikam' });
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  c = await db.connect();
  const data = join(dir, 'data').replaceAll("'", "''");
  await c.run(`CREATE VIEW hourly AS SELECT ${select(HOURLY_COLUMNS)}, day FROM read_json('${data}/results/sql/*/*.jsonl',
    format = 'newline_delimited', columns = ${columns(HOURLY_COLUMNS)}, hive_partitioning = true, hive_types = {'day': 'VARCHAR'})`);
  await c.run(`CREATE VIEW sources AS SELECT ${select(SOURCE_COLUMNS)} FROM read_json('${data}/results/sources/*/*.json',
    format = 'newline_delimited', columns = ${columns(SOURCE_COLUMNS)})`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function summaries(): Promise<HourlySummary[]> {
  const out: HourlySummary[] = [];
  for await (const o of store().list('results/summaries/'))
    for (const line of Buffer.from((await store().get(o.key))!.body)
      .toString()
      .split('\n')
      .filter(Boolean)) {
      const record = summaryGroupsOf(JSON.parse(line) as HourlySummary, o.key);
      if (record.hour !== undefined) out.push(record); // not the day line (the day's hours merged)
    }
  return out;
}

describe('the SQL layout (what Athena reads), checked with DuckDB', () => {
  it('the hourly table holds exactly the groups of the summaries, one row each', async () => {
    const all = await summaries();
    expect(all.length).toBeGreaterThan(10);
    const want = new Map<string, number>();
    for (const s of all)
      for (const g of s.groups)
        want.set(
          `${s.tenant}|${s.hour.slice(0, 10)}|${g.outcome}|${g.code}`,
          (want.get(`${s.tenant}|${s.hour.slice(0, 10)}|${g.outcome}|${g.code}`) ?? 0) + g.events,
        );
    const got = await rows(`SELECT tenant, day, outcome, code, sum(events)::BIGINT AS events FROM hourly GROUP BY ALL`);
    expect(new Map(got.map((r) => [`${r.tenant}|${r.day}|${r.outcome}|${r.code}`, Number(r.events)]))).toEqual(want);
    const [{ n }] = (await rows('SELECT count(*)::INTEGER AS n FROM hourly')) as [{ n: number }];
    expect(n).toBe(all.reduce((sum, s) => sum + s.groups.length, 0));
  });

  it("every line carries exactly the declared columns, and the partition day is the hour's day", async () => {
    const bad = await rows(
      `SELECT count(*)::INTEGER AS n FROM hourly WHERE substr(hour, 1, 10) <> day OR tenant IS NULL OR events IS NULL`,
    );
    expect(bad).toEqual([{ n: 0 }]);
    const keys = await rows(
      `SELECT DISTINCT json_keys(j)::VARCHAR AS k FROM read_json_objects('${join(dir, 'data')}/results/sql/*/*.jsonl', format = 'newline_delimited') AS t(j)`,
    );
    expect(keys).toEqual([{ k: `[${HOURLY_COLUMNS.map((col) => col.name).join(', ')}]` }]);
  });

  it('a value of the wrong type fails the read instead of passing silently', async () => {
    const bad = join(dir, 'bad.jsonl').replaceAll("'", "''");
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, '{"tenant":"x","events":"many"}\n');
    await expect(
      rows(`SELECT * FROM read_json('${bad}', format = 'newline_delimited', columns = ${columns(HOURLY_COLUMNS)})`),
    ).rejects.toThrow(/many|convert|cast/i);
  });

  it('the receipts table reads every receipt, rejected ones with their reason', async () => {
    const got = await rows(`SELECT tenant, status, error_code, row_count, family FROM sources ORDER BY tenant, status`);
    expect(got).toHaveLength(3);
    expect(got.filter((r) => r.status === 'rejected')).toEqual([
      expect.objectContaining({ tenant: 'fabrikam', error_code: expect.any(String) }),
    ]);
    expect(got.find((r) => r.tenant === 'contoso')).toMatchObject({ status: 'ingested', family: 'trace-detail' });
  });

  it('the named queries run and answer', async () => {
    const [topCodes, connectors, rejected] = await Promise.all(NAMED_QUERIES.map((q) => rows(q.sql)));
    expect(topCodes!.length).toBeGreaterThan(0);
    expect(new Set(topCodes!.map((r) => r.tenant))).toEqual(new Set(['contoso', 'fabrikam']));
    const problems = (await rows(`SELECT sum(events)::BIGINT AS n FROM hourly WHERE outcome IN ('deferred', 'failed', 'expired')`))[0]!.n;
    expect(topCodes!.reduce((n, r) => n + Number(r.events), 0)).toBe(Number(problems));
    expect(connectors!.length).toBeGreaterThan(0);
    expect(connectors!.every((r) => Number(r.deferred) + Number(r.failed) <= Number(r.events))).toBe(true);
    expect(rejected).toEqual([expect.objectContaining({ tenant: 'fabrikam', s3_key: expect.stringContaining('not-an-export.csv') })]);
  });
});
