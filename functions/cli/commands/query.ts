import { tenantSet } from '../../core/store/layout.ts';
import { STORE_OPTIONS, defineCommand, parseTime, storeFrom } from '../command.ts';
import { lookupCode } from '../../core/classify/classify.ts';
import { toCsv } from '../../core/query/csv-out.ts';
import {
  assertTenantsExist,
  checkRange,
  parseFields,
  parseSort,
  parseWhere,
  queryStore,
  QUERY_FIELDS,
  type QueryRow,
} from '../../core/query/query.ts';
import { signedGet } from '../../adapters/signed-get.ts';
import { checkOneSource, queryApiUrl, rowFormat, wholeNumber } from '../args.ts';
import { S3_HELP } from '../s3-options.ts';
import { textTable } from '../text-table.ts';
import { NO_CODE } from '../../core/render/tally.ts';
import { isProblem } from '../../core/vocabulary/outcomes.ts';

export const QUERY_HELP = `Usage: mailflow query [options]

What failed, why, where, since when: counts from the hourly summaries in the data folder.

Options:
  --data-dir D       the data folder (default .mailflow)
  --bucket B         query the deployed pipeline's bucket instead (your AWS credentials)
  --url U            ask the deployed query API (output QueryUrl) instead: requests are signed
                     with SigV4 from your AWS credentials; rows also get the previous period
                     of equal length (previousEvents, delta, trend)
  --from T           start: ISO date or time (2026-11-20, 2026-11-20T10:00Z) or an age (24h, 7d)
  --to T             end: a date includes that whole day; a time is exclusive
  --tenant T[,T…]    only these tenants (default all)
  --by F[,F…]        group by: ${QUERY_FIELDS.join(', ')} (default outcome,code)
  --where F=V[,V…]   filter; repeatable. Values of one field are OR-ed, fields AND-ed
                     (e.g. --where outcome=deferred,failed --where code=4.4.316)
  --format X         table (default), json or csv
  --top N            only the first N rows
  --sort time|events time: oldest first (the default with --by hour or day); events: largest first

With --bucket:
${S3_HELP}
Rows are sorted by events, largest first, unless grouped by hour or day (then by time). "messages" counts distinct message-and-recipient
pairs per hour, summed over hours. Delivered events are counted too, so rates can be computed.
`;

export const queryCommand = defineCommand({
  name: 'query',
  help: QUERY_HELP,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    tenant: { type: 'string' },
    by: { type: 'string' },
    where: { type: 'string', multiple: true },
    format: { type: 'string' },
    top: { type: 'string' },
    sort: { type: 'string' },
    url: { type: 'string' },
    ...STORE_OPTIONS,
  },
  positionals: false,
  async run({ values, io }) {
    const format = rowFormat(values.format);
    const by = parseFields(values.by ?? 'outcome,code');
    const sort = parseSort(values.sort);
    const now = Date.now();
    const from = values.from === undefined ? undefined : parseTime(values.from, now, 'from');
    const to = values.to === undefined ? undefined : parseTime(values.to, now, 'to');
    checkRange(from, to);
    const where = parseWhere(values.where ?? []);
    checkOneSource(values);
    if (values.url) {
      const url = queryApiUrl(values.url, 'v1/summary');
      const params: Record<string, string | undefined> = {
        by: by.join(','),
        from: from === undefined ? undefined : new Date(from).toISOString(),
        to: to === undefined ? undefined : new Date(to).toISOString(),
        tenant: values.tenant,
        where: values.where?.join(';'),
        top: values.top,
        sort,
        format: format === 'csv' ? 'csv' : 'json',
      };
      for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
      const res = await signedGet(url, values.region ? { region: values.region } : {});
      if (format === 'csv') io.stdout.write(res.body);
      else {
        const { rows } = JSON.parse(res.body) as { rows: QueryRow[] };
        io.stdout.write(format === 'json' ? `${JSON.stringify(rows, null, 1)}\n` : table(rows, by));
      }
      return 0;
    }
    const store = await storeFrom(values);
    const tenants = values.tenant ? tenantSet(values.tenant) : undefined;
    if (tenants) await assertTenantsExist(store, tenants);
    const rows = await queryStore(store, {
      by,
      where,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(tenants ? { tenants } : {}),
      ...(sort ? { sort } : {}),
      ...(values.top !== undefined ? { top: wholeNumber('top', values.top) } : {}),
    });
    if (format === 'json') io.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
    else if (format === 'csv') io.stdout.write(toCsv(rows, [...by, 'events', 'messages']));
    else io.stdout.write(table(rows, by));
    return 0;
  },
});

function table(rows: QueryRow[], by: string[]): string {
  if (rows.length === 0) return 'no events match\n';
  const withMeaning = by.includes('code');
  const withTrend = 'trend' in rows[0]!;
  const withAddresses = rows.some((r) => r.addresses);
  const head = [
    ...by,
    'events',
    'messages',
    ...(withTrend ? ['change', 'trend'] : []),
    ...(withMeaning ? ['meaning'] : []),
    ...(withAddresses ? ['addresses'] : []),
  ];
  const cells = rows.map((r) => [
    ...by.map((f) => String(r[f as keyof QueryRow] ?? (f === 'code' && r.outcome && isProblem(r.outcome) ? NO_CODE.en : '-'))),
    r.events.toLocaleString('en-US'),
    r.messages.toLocaleString('en-US'),
    ...(withTrend ? [signed((r as QueryRow & { delta: number }).delta), String((r as QueryRow & { trend: string }).trend)] : []),
    ...(withMeaning ? [r.code ? (lookupCode(r.code)?.en[0] ?? '(not in the code table)') : ''] : []),
    ...(withAddresses ? [r.addresses?.join(' ') ?? ''] : []),
  ]);
  return textTable(head, cells, { numeric: (i) => i >= by.length && i <= by.length + (withTrend ? 2 : 1) });
}

function signed(n: number): string {
  return n > 0 ? `+${n.toLocaleString('en-US')}` : n.toLocaleString('en-US');
}
