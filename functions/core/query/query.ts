import { parseSummaryKey, summaryDayPrefix, summaryPrefix } from '../store/layout.ts';
import { readSummaries } from '../store/hourly.ts';
import { DAY } from '../vocabulary/time.ts';
import type { HourlySummary, SummaryGroup } from '../aggregate/rollup.ts';
import { UsageError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';

/** The fields a query can group and filter by (names as in `--by`; the API and the CLI take the same). */
export const QUERY_FIELDS = [
  'outcome',
  'code',
  'category',
  'owner',
  'connector',
  'destination',
  'domain',
  'tenant',
  'hour',
  'day',
] as const;
export type QueryField = (typeof QUERY_FIELDS)[number];

export interface QueryOptions {
  /** Inclusive start (ms); hours that start before it are left out. */
  from?: number;
  /** Exclusive end (ms). */
  to?: number;
  tenants?: string[];
  by: QueryField[];
  /** Values of one field are OR-ed, fields are AND-ed. */
  where?: Partial<Record<QueryField, string[]>>;
  top?: number;
}

export type QueryRow = Partial<Record<QueryField, string | null>> & { events: number; messages: number };

export function parseFields(list: string): QueryField[] {
  const fields = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of fields) {
    if (!(QUERY_FIELDS as readonly string[]).includes(f))
      throw new UsageError('BAD_FIELD', `unknown field "${f}"; use ${QUERY_FIELDS.join(', ')}`);
  }
  if (fields.length === 0) throw new UsageError('BAD_FIELD', `--by needs at least one of ${QUERY_FIELDS.join(', ')}`);
  return fields as QueryField[];
}

/** `code=4.4.316,4.4.317` → { code: ['4.4.316', '4.4.317'] }; repeated keys add values. */
export function parseWhere(items: string[]): Partial<Record<QueryField, string[]>> {
  const where: Partial<Record<QueryField, string[]>> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 1) throw new UsageError('BAD_WHERE', `--where takes field=value[,value…], not "${item}"`);
    const [field] = parseFields(item.slice(0, eq));
    where[field!] = [
      ...(where[field!] ?? []),
      ...item
        .slice(eq + 1)
        .split(',')
        .map((v) => v.trim()),
    ];
  }
  return where;
}

/** Keys of the hourly summaries a query needs: per day when the range is bounded, else all. */
export async function* summaryKeysInRange(
  store: ObjectStore,
  options: Pick<QueryOptions, 'from' | 'to' | 'tenants'>,
): AsyncGenerator<string> {
  const prefixes: string[] = [];
  const { from, to } = options;
  // A set: a tenant listed twice is still read once.
  const tenants = options.tenants?.length ? [...new Set(options.tenants)] : null;
  if (from !== undefined && to !== undefined && to - from <= 400 * DAY && tenants) {
    for (const t of tenants) for (let d = Math.floor(from / DAY) * DAY; d < to; d += DAY) prefixes.push(summaryDayPrefix(t, d));
  } else if (tenants) prefixes.push(...tenants.map((t) => summaryPrefix(t)));
  else prefixes.push(summaryPrefix());
  for (const prefix of prefixes) {
    for await (const o of store.list(prefix)) {
      const k = parseSummaryKey(o.key);
      if (!k) continue;
      if (from !== undefined && k.hour < from) continue;
      if (to !== undefined && k.hour >= to) continue;
      if (tenants && !tenants.includes(k.tenant)) continue;
      yield o.key;
    }
  }
}

function valueOf(field: QueryField, s: HourlySummary, g: SummaryGroup): string | null {
  switch (field) {
    case 'tenant':
      return s.tenant;
    case 'hour':
      return s.hour;
    case 'day':
      return s.hour.slice(0, 10);
    default:
      return g[field];
  }
}

/** Groups summaries by the requested fields; rows sorted by events, descending. Pure. */
export function groupSummaries(summaries: readonly HourlySummary[], options: QueryOptions): QueryRow[] {
  const where = Object.entries(options.where ?? {}) as Array<[QueryField, string[]]>;
  const rows = new Map<string, QueryRow>();
  for (const s of summaries) {
    for (const g of s.groups) {
      if (!where.every(([f, values]) => values.includes(valueOf(f, s, g) ?? ''))) continue;
      const values = options.by.map((f) => valueOf(f, s, g));
      const key = JSON.stringify(values);
      let row = rows.get(key);
      if (!row) {
        row = { events: 0, messages: 0 } as QueryRow;
        options.by.forEach((f, i) => (row![f] = values[i]!));
        rows.set(key, row);
      }
      row.events += g.events;
      row.messages += g.messages;
    }
  }
  const sorted = [...rows.entries()]
    .sort(([ka, a], [kb, b]) => b.events - a.events || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, r]) => orderFields(r, options.by));
  return options.top ? sorted.slice(0, options.top) : sorted;
}

function orderFields(row: QueryRow, by: QueryField[]): QueryRow {
  const out = {} as QueryRow;
  for (const f of by) out[f] = row[f] ?? null;
  out.events = row.events;
  out.messages = row.messages;
  return out;
}

/** One call for the CLI: read what the range needs, then group. */
export async function queryStore(store: ObjectStore, options: QueryOptions): Promise<QueryRow[]> {
  const summaries = await readSummaries(store, summaryKeysInRange(store, options));
  return groupSummaries(summaries, options);
}

/** Tenants that have hourly summaries. */
export async function tenantsWithResults(store: ObjectStore): Promise<string[]> {
  const tenants = new Set<string>();
  for await (const o of store.list(summaryPrefix())) {
    const k = parseSummaryKey(o.key);
    if (k) tenants.add(k.tenant);
  }
  return [...tenants].sort();
}
