import { UsageError } from '../../core/errors.ts';
import { toCsv } from '../../core/query/csv-out.ts';
import { parseReceiptStatus, SOURCE_FIELDS, sourceRow, type SourceRow } from '../../core/query/source-rows.ts';
import { tenantSet } from '../../core/store/layout.ts';
import { receiptPage, tenantsWithReceipts, type ReceiptStatus } from '../../core/store/receipts.ts';
import { checkOneSource, queryApiUrl, rowFormat, wholeNumber } from '../args.ts';
import { defineCommand, STORE_OPTIONS, storeFrom } from '../command.ts';
import { S3_HELP } from '../s3-options.ts';
import { textTable } from '../text-table.ts';

export const SOURCES_HELP = `Usage: mailflow sources [--tenant T[,T…]] [--status S] [--limit N] [--next C] [--format table|json|csv] [--data-dir D | --bucket B | --url U]

The uploads mailflow has read, newest first, from their receipts: what each counted, and for a
rejected or partial one, why (the same list as the API's /v1/sources). Only the page shown is read,
however many uploads a tenant has.

  --tenant T[,T…]    only these tenants (default all)
  --status S         only ingested, empty, rejected, partial or forgotten uploads
  --limit N          uploads per page (default 20, at most 10000)
  --next C           the page after the one that printed this cursor
  --format X         table (default), json (the API's rows) or csv
  --data-dir D       the data folder (default .mailflow), or --bucket B for the deployed pipeline
  --url U            ask the deployed query API (output QueryUrl) instead, signed with your AWS
                     credentials (SigV4)
${S3_HELP}`;

export const sourcesCommand = defineCommand({
  name: 'sources',
  help: SOURCES_HELP,
  options: {
    tenant: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    next: { type: 'string' },
    format: { type: 'string' },
    url: { type: 'string' },
    ...STORE_OPTIONS,
  },
  positionals: false,
  async run({ values, io }) {
    const format = rowFormat(values.format);
    const status = parseReceiptStatus(values.status);
    const limit = wholeNumber('limit', values.limit, 20);
    if (limit < 1 || limit > 10_000) throw new UsageError('BAD_NUMBER', `--limit must be from 1 to 10000, not ${limit}`);
    checkOneSource(values);
    const { rows, next, files } = values.url
      ? await fromApi(values.url, values.region, { ...values, limit, status })
      : await fromStore(values, limit, status);
    if (format === 'json') io.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
    else if (format === 'csv') io.stdout.write(toCsv(rows as unknown as Array<Record<string, unknown>>, SOURCE_FIELDS));
    else io.stdout.write(table(rows, files));
    // The way on, where a person reading the table looks last, and out of the way of a pipe.
    if (next) io.stderr.write(`more: the same command with --next ${next}\n`);
    return 0;
  },
});

/** A page of rows; for a page read here, the file each was ingested from on this machine (the table names it). */
interface Page {
  rows: SourceRow[];
  next: string | null;
  files?: Array<string | null>;
}

async function fromStore(
  values: Parameters<typeof storeFrom>[0] & { tenant?: string; next?: string },
  limit: number,
  status: ReceiptStatus | undefined,
): Promise<Page> {
  const store = await storeFrom(values);
  const tenants = values.tenant ? tenantSet(values.tenant) : null;
  if (tenants) {
    const known = await tenantsWithReceipts(store);
    const unknown = tenants.filter((t) => !known.includes(t));
    if (unknown.length)
      throw new UsageError(
        'UNKNOWN_TENANT',
        `no receipts for tenant ${unknown.map((t) => `"${t}"`).join(', ')}; tenants with receipts: ${known.join(', ') || 'none yet'}`,
      );
  }
  const page = await receiptPage(store, tenants, {
    limit,
    ...(values.next ? { after: values.next } : {}),
    ...(status ? { status } : {}),
  });
  return { rows: page.receipts.map(sourceRow), next: page.next, files: page.receipts.map((r) => r.file) };
}

/** The same page from the deployed query API, signed with the caller's AWS credentials. */
async function fromApi(
  raw: string,
  region: string | undefined,
  q: { tenant?: string; next?: string; limit: number; status: ReceiptStatus | undefined },
): Promise<Page> {
  const url = queryApiUrl(raw, 'v1/sources');
  const params = { tenant: q.tenant, status: q.status, limit: String(q.limit), next: q.next };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  // Loaded here: a data folder's list should not pay for the signing code.
  const { signedGet } = await import('../../adapters/signed-get.ts');
  const answer = await signedGet(url, region ? { region } : {});
  return { rows: JSON.parse(answer.body) as SourceRow[], next: answer.next };
}

function table(rows: SourceRow[], files?: Array<string | null>): string {
  if (rows.length === 0) return 'no uploads match\n';
  const head = ['ingested at', 'tenant', 'status', 'rows', 'counted', 'upload', 'why'];
  const cells = rows.map((r, i) => [
    r.ingestedAt.slice(0, 19).replace('T', ' '),
    r.tenant,
    r.status,
    r.rows.toLocaleString('en-US'),
    r.counted.toLocaleString('en-US'),
    files?.[i] ?? r.key,
    r.errorCode ? `${r.errorCode}: ${r.reason ?? ''}` : (r.reason ?? ''),
  ]);
  return textTable(head, cells, { numeric: (i) => i === 3 || i === 4, freeLast: true });
}
