import { randomBytes } from 'node:crypto';
import { AthenaClient, BatchGetNamedQueryCommand, GetQueryExecutionCommand, GetQueryResultsCommand, ListNamedQueriesCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3-client.ts';
import { createS3Store } from '../../functions/adapters/s3-store.ts';
import { sourceIdOf } from '../../functions/core/aggregate/keys.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import { generated } from '../helpers/bytes.ts';

/**
 * Opt-in, against a stack deployed in your own account (see README, "Deploy"):
 *   MAILFLOW_AWS_BUCKET=<output BucketName> npm run test:aws
 * Uploads a generated export under a fresh tenant, waits for its receipt (real S3 notification,
 * real Lambda), checks the summaries; then asks Athena (workgroup MAILFLOW_AWS_WORKGROUP, default
 * mailflow) for the same count across all tenants' partitions, and runs the named queries.
 */
const bucket = process.env.MAILFLOW_AWS_BUCKET;
const workGroup = process.env.MAILFLOW_AWS_WORKGROUP ?? 'mailflow';

async function athena(client: AthenaClient, sql: string): Promise<string[][]> {
  const { QueryExecutionId } = await client.send(new StartQueryExecutionCommand({ QueryString: sql, WorkGroup: workGroup, QueryExecutionContext: { Database: workGroup } }));
  for (;;) {
    await new Promise((r) => setTimeout(r, 1500));
    const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    const state = QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`${sql}: ${QueryExecution?.Status?.StateChangeReason}`);
  }
  const { ResultSet } = await client.send(new GetQueryResultsCommand({ QueryExecutionId }));
  return (ResultSet?.Rows ?? []).slice(1).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? ''));
}

describe.runIf(bucket)('the deployed pipeline', () => {
  it('ingests an upload within two minutes, and recognises the same upload again', async () => {
    const client = createS3Client();
    const store = createS3Store(client, { bucket: bucket! });
    const tenant = `e2e-${randomBytes(3).toString('hex')}`;
    const key = `incoming/${tenant}/trace detail+test.csv`;
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: generated({ family: 'trace-detail', rows: 2000, seed: 5 }) }));
    const receiptKey = `results/sources/${tenant}/${sourceIdOf(bucket!, key, put.ETag!)}.json`;
    let receipt: { status: string; counted: number } | null = null;
    for (let i = 0; i < 60 && !receipt; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const o = await store.get(receiptKey);
      receipt = o ? JSON.parse(Buffer.from(o.body).toString()) : null;
    }
    expect(receipt).toMatchObject({ status: 'ingested' });
    const rows = await queryStore(store, { by: ['outcome'], tenants: [tenant] });
    expect(rows.reduce((n, r) => n + r.events, 0)).toBe(receipt!.counted);

    // SQL: the same count through Glue's projection and the JSON-lines companions, no tenant partition needed.
    const sql = new AthenaClient({});
    const [[events]] = (await athena(sql, `SELECT sum(events) FROM hourly WHERE tenant = '${tenant}'`)) as [[string]];
    expect(Number(events)).toBe(receipt!.counted);
    const { NamedQueryIds } = await sql.send(new ListNamedQueriesCommand({ WorkGroup: workGroup }));
    const { NamedQueries } = await sql.send(new BatchGetNamedQueryCommand({ NamedQueryIds: NamedQueryIds! }));
    expect(NamedQueries!.map((q) => q.Name).sort()).toEqual(['mailflow-connector-failure-history', 'mailflow-rejected-uploads', 'mailflow-top-codes-by-week']);
    for (const q of NamedQueries!) await athena(sql, q.QueryString!);
  }, 300_000);
});
