import { parseSummaryDayKey, summaryListStart, summaryPrefix } from '../store/layout.ts';
import { inOrderAhead, mapLimit } from '../vocabulary/for-each-limit.ts';
import { readSummaries, type Grain } from '../store/hourly.ts';
import type { AliasTables } from '../store/aliases.ts';
import { listFolders, listKeys } from '../store/records.ts';
import { DAY } from '../vocabulary/time.ts';
import type { HourlySummary, SummaryGroup } from '../aggregate/rollup.ts';
import { UsageError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { CATEGORIES, OWNERS } from '../classify/types.ts';
import { OUTCOMES } from '../vocabulary/outcomes.ts';
import { U64Union } from '../aggregate/u64-set.ts';

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
  /** `time`: oldest hour or day first (the default when grouping by hour or day); `events`: largest first. */
  sort?: QuerySort;
}

export const QUERY_SORTS = ['time', 'events'] as const;
export type QuerySort = (typeof QUERY_SORTS)[number];

export function parseSort(text: string | undefined): QuerySort | undefined {
  if (text === undefined) return undefined;
  if (!(QUERY_SORTS as readonly string[]).includes(text)) throw new UsageError('BAD_SORT', `sort must be time or events, not "${text}"`);
  return text as QuerySort;
}

/** "When did it start?" reads down a time column: grouped by hour or day, rows run in time order unless asked otherwise. */
function sortOf(options: QueryOptions): { sort: QuerySort; timeField: 'hour' | 'day' | null } {
  const timeField = options.by.includes('hour') ? 'hour' : options.by.includes('day') ? 'day' : null;
  const sort = options.sort ?? (timeField ? 'time' : 'events');
  if (sort === 'time' && !timeField) throw new UsageError('BAD_SORT', 'sort=time needs hour or day among the --by fields');
  return { sort, timeField };
}

export type QueryRow = Partial<Record<QueryField, string | null>> & {
  events: number;
  messages: number;
  /** Grouped by destination: the addresses known for the host (a trace summary's `ToIP`). */
  addresses?: string[];
};

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

/** The values a field can have, where they are a closed set: a typo must not read as "nothing matched". */
const CLOSED_VALUES: Partial<Record<QueryField, readonly string[]>> = { outcome: OUTCOMES, category: CATEGORIES, owner: OWNERS };

/** `code=4.4.316,4.4.317` → { code: ['4.4.316', '4.4.317'] }; repeated keys add values. */
export function parseWhere(items: string[]): Partial<Record<QueryField, string[]>> {
  const where: Partial<Record<QueryField, string[]>> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 1) throw new UsageError('BAD_WHERE', `--where takes field=value[,value…], not "${item}"`);
    const field = parseFields(item.slice(0, eq))[0]!;
    const values = item
      .slice(eq + 1)
      .split(',')
      .map((v) => v.trim());
    for (const v of values) checkValue(field, v);
    where[field] = [...(where[field] ?? []), ...values];
  }
  return where;
}

function checkValue(field: QueryField, value: string): void {
  const closed = CLOSED_VALUES[field];
  if (closed && !closed.includes(value)) throw new UsageError('BAD_VALUE', `unknown ${field} "${value}"; use ${closed.join(', ')}`);
  // An empty code matches the groups without one (summary exports).
  if (field === 'code' && value !== '' && !/^[245]\.\d{1,3}\.\d{1,3}$/.test(value))
    throw new UsageError('BAD_VALUE', `"${value}" is not a status code (x.y.z, e.g. 4.4.316; empty for "no code")`);
}

/** A range must run forwards: a reversed one would read as "nothing happened". */
export function checkRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && from >= to) {
    throw new UsageError(
      'BAD_RANGE',
      `the range is empty: from ${new Date(from).toISOString()} is not before to ${new Date(to).toISOString()}`,
    );
  }
}

/**
 * Tenants of `tenants` that have no results: one short listing each. On a miss the caller lists the
 * ones that exist, so a typo in a tenant name never looks like a quiet tenant.
 */
export async function tenantsWithoutResults(store: ObjectStore, tenants: readonly string[]): Promise<string[]> {
  const found = await mapLimit(tenants, LISTINGS_AHEAD, async (t) => {
    for await (const _ of store.list(summaryPrefix(t))) return true;
    return false;
  });
  return tenants.filter((_, i) => !found[i]);
}

/** Throws a usage error naming the unknown tenants and the known ones (at most 20). */
export async function assertTenantsExist(store: ObjectStore, tenants: readonly string[]): Promise<void> {
  const missing = await tenantsWithoutResults(store, tenants);
  if (missing.length === 0) return;
  const known = await tenantsWithResults(store);
  const list = known.length
    ? `tenants with results: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ` and ${known.length - 20} more` : ''}`
    : 'no tenant has results yet: ingest some exports first';
  throw new UsageError('UNKNOWN_TENANT', `no results for tenant ${missing.map((t) => `"${t}"`).join(', ')}; ${list}`);
}

/** Keys of the day objects of summaries a query needs: from the range's first day to its last, else all. */
export async function* summaryKeysInRange(
  store: ObjectStore,
  options: Pick<QueryOptions, 'from' | 'to' | 'tenants'>,
): AsyncGenerator<string> {
  for await (const ref of summaryDaysInRange(store, options, false)) yield ref.key;
}

/**
 * The day objects of summaries a query needs, with their ETags when `etags` (a file store stats each
 * file for them; S3 lists them anyway): a day whose month holds a copy of its day line for that
 * ETag is read from the month (store/summary-months.ts).
 */
export async function* summaryDaysInRange(
  store: ObjectStore,
  options: Pick<QueryOptions, 'from' | 'to' | 'tenants'>,
  etags = true,
): AsyncGenerator<{ key: string; etag: string }> {
  const { from, to } = options;
  const tenants = await tenantsToRead(store, options.tenants);
  const keysOf = async (t: string): Promise<Array<{ key: string; etag: string }>> => {
    const days: Array<{ key: string; etag: string }> = [];
    // Keys sort by date: start at the first day of the range, stop past its end.
    const startAfter = from === undefined ? undefined : summaryListStart(t, from);
    const listing = etags
      ? store.list(summaryPrefix(t), startAfter ? { startAfter } : {})
      : mapKeys(listKeys(store, summaryPrefix(t), startAfter ? { startAfter } : {}));
    for await (const o of listing) {
      const k = parseSummaryDayKey(o.key);
      if (!k || k.tenant !== t) continue;
      if (to !== undefined && k.day >= to) break;
      if (from !== undefined && k.day + DAY <= from) continue;
      days.push({ key: o.key, etag: o.etag });
    }
    return days;
  };
  // The next tenants' listings go on while one tenant's keys are handed out (on S3 a listing is a
  // round trip: 50 tenants one after another held every all-tenants read up by 1.5 s).
  for await (const days of inOrderAhead(tenants, LISTINGS_AHEAD, keysOf)) yield* days;
}

async function* mapKeys(keys: AsyncIterable<string>): AsyncGenerator<{ key: string; etag: string }> {
  for await (const key of keys) yield { key, etag: '' };
}

/** Tenants' summary listings in flight at once (summaryKeysInRange). */
const LISTINGS_AHEAD = 16;

/**
 * The summaries of the range (its hours only, though objects hold whole days): one per hour, or
 * with `grain: 'day'` one per day the range covers whole (see grainFor).
 */
export function summariesInRange(
  store: ObjectStore,
  options: Pick<QueryOptions, 'from' | 'to' | 'tenants'> & { grain?: Grain; splitAt?: readonly number[]; aliases?: AliasTables },
): Promise<HourlySummary[]> {
  return readSummaries(store, summaryDaysInRange(store, options), options);
}

/** What a grouping can read: whole days as one summary each (24 times fewer), unless it groups or filters by hour. */
export function grainFor(options: Pick<QueryOptions, 'by' | 'where'>): Grain {
  return options.by.includes('hour') || options.where?.hour !== undefined ? 'hour' : 'day';
}

/** Field values never hold control characters (storable text), so these cannot collide with one. */
const KEY_SEPARATOR = '\u0001';
const NULL_PART = '\u0000';

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

/**
 * Groups summaries by the requested fields; rows sorted by events, descending. Pure. A row's
 * `messages` counts each message and recipient once per outcome over the whole range: deferrals,
 * failures and expiries as the union of their hours' sets, delivered and filtered mail (one final
 * outcome per message) by adding up the hours; summaries written before the sets were kept add up too.
 */
export function groupSummaries(summaries: readonly HourlySummary[], options: QueryOptions): QueryRow[] {
  const grouper = new SummaryGrouper(options);
  grouper.add(summaries);
  return grouper.rows();
}

/**
 * groupSummaries in steps: summaries added a batch at a time (a tenant's, say) fold into the same
 * rows, so a batch's parsed objects can go before the next is read. Only the rows and their
 * message sets stay.
 */
export class SummaryGrouper {
  private readonly options: QueryOptions;
  private readonly where: Array<[QueryField, string[]]>;
  private readonly withAddresses: boolean;
  private readonly rowsByKey = new Map<string, QueryRow>();
  private readonly unions = new Map<string, Map<string, U64Union>>();
  private readonly sortKeys = new Map<QueryRow, string>();
  private readonly messages: boolean;

  /** `messages: false` when only events are wanted: no message sets are kept or counted (rows say 0). */
  constructor(options: QueryOptions, counting: { messages?: boolean } = {}) {
    this.options = options;
    this.messages = counting.messages ?? true;
    this.where = Object.entries(options.where ?? {}) as Array<[QueryField, string[]]>;
    this.withAddresses = options.by.includes('destination');
  }

  add(summaries: readonly HourlySummary[]): void {
    const { options, where, withAddresses, rowsByKey: rows, unions, sortKeys } = this;
    for (const s of summaries) {
      for (const g of s.groups) {
        if (!where.every(([f, values]) => values.includes(valueOf(f, s, g) ?? '') || (f === 'destination' && isAddressOf(values, g))))
          continue;
        const values = options.by.map((f) => valueOf(f, s, g));
        // A cheap key for the lookup (once per group); the JSON form, which orders ties, once per row.
        const key = values.map((v) => (v === null ? NULL_PART : v)).join(KEY_SEPARATOR);
        let row = rows.get(key);
        if (!row) {
          row = { events: 0, messages: 0 } as QueryRow;
          options.by.forEach((f, i) => (row![f] = values[i]!));
          rows.set(key, row);
          sortKeys.set(row, JSON.stringify(values));
        }
        row.events += g.events;
        // A host's groups share one list (withHostNames): a union only when a row mixes hosts or tenants.
        if (g.addresses && withAddresses && row.addresses !== g.addresses) row.addresses = union(row.addresses, g.addresses);
        if (!this.messages) continue;
        if (g.pairs === undefined) row.messages += g.messages;
        else {
          let byOutcome = unions.get(key);
          if (!byOutcome) unions.set(key, (byOutcome = new Map()));
          let set = byOutcome.get(g.outcome);
          if (!set) byOutcome.set(g.outcome, (set = new U64Union()));
          set.add(g.pairs);
        }
      }
    }
  }

  /** The rows so far, sorted (call once, at the end: the message sets are counted into them). */
  rows(): QueryRow[] {
    const { options, rowsByKey: rows, unions, sortKeys } = this;
    for (const [key, byOutcome] of unions) for (const set of byOutcome.values()) rows.get(key)!.messages += set.size;
    unions.clear();
    const { sort, timeField } = sortOf(options);
    const byTime = (a: QueryRow, b: QueryRow) => (sort === 'time' ? String(a[timeField!]).localeCompare(String(b[timeField!])) : 0);
    const sorted = [...rows.values()]
      .sort((a, b) => {
        const ka = sortKeys.get(a)!;
        const kb = sortKeys.get(b)!;
        return byTime(a, b) || b.events - a.events || (ka < kb ? -1 : ka > kb ? 1 : 0);
      })
      .map((r) => orderFields(r, options.by));
    return options.top ? sorted.slice(0, options.top) : sorted;
  }
}

function orderFields(row: QueryRow, by: QueryField[]): QueryRow {
  const out = {} as QueryRow;
  for (const f of by) out[f] = row[f] ?? null;
  out.events = row.events;
  out.messages = row.messages;
  if (row.addresses) out.addresses = row.addresses;
  return out;
}

/** A filter naming a receiving server's address matches the host it answered as. */
const isAddressOf = (values: string[], g: SummaryGroup): boolean =>
  g.addresses !== undefined && g.addresses.some((a) => values.includes(a));

const union = (a: string[] | undefined, b: string[]): string[] => (a ? [...new Set([...a, ...b])].sort() : b);

/**
 * Tenants whose summaries a grouping reads ahead of the one it folds in: a tenant's read is a few
 * round trips on S3 (its listing, then its days), and one after another 50 tenants took 20 s behind
 * a 30 ms round trip. Only these few tenants' parsed summaries are held at once: 8 tenants of a
 * 90-day range, more of a shorter one (the same number of summaries held), at most 50.
 */
export const TENANTS_AHEAD = 8;

/** Summaries a tenant's read of the range holds at most: a day line per whole day, 24 hours for each other day. */
function summariesPerTenant(options: Pick<QueryOptions, 'from' | 'to' | 'by' | 'where'>): number {
  if (options.from === undefined || options.to === undefined) return Infinity;
  const days = Math.ceil((options.to - options.from) / DAY) + 1;
  return grainFor(options) === 'hour' ? 24 * days : days + 2 * 23;
}

/** Tenants read ahead for a range: as many as hold what TENANTS_AHEAD tenants of 90 days hold. */
export function tenantsAhead(options: Pick<QueryOptions, 'from' | 'to' | 'by' | 'where'>): number {
  const held = TENANTS_AHEAD * summariesPerTenant({ from: 0, to: 90 * DAY, by: [] });
  return Math.max(TENANTS_AHEAD, Math.min(50, Math.floor(held / summariesPerTenant(options))));
}

/**
 * One call for the CLI: read what the range needs and group it tenant by tenant, so that only a few
 * tenants' parsed summaries are held at once (50 tenants' 90 days are 165,000 groups).
 */
export async function queryStore(store: ObjectStore, options: QueryOptions): Promise<QueryRow[]> {
  const grouper = new SummaryGrouper(options);
  const tenants = await tenantsToRead(store, options.tenants);
  const read = (tenant: string) => summariesInRange(store, { ...options, tenants: [tenant], grain: grainFor(options) });
  for await (const summaries of inOrderAhead(tenants, tenantsAhead(options), read)) grouper.add(summaries);
  return grouper.rows();
}

/** The tenants a read covers: those named, each once, or without names every tenant with results (one listing of their folders). */
export async function tenantsToRead(store: ObjectStore, named: readonly string[] | undefined): Promise<string[]> {
  return named?.length ? [...new Set(named)] : tenantsWithResults(store);
}

/** Tenants that have hourly summaries. */
export async function tenantsWithResults(store: ObjectStore): Promise<string[]> {
  // One listing of the tenant folders, not of every summary of every tenant.
  const tenants: string[] = [];
  for (const folder of await listFolders(store, summaryPrefix())) {
    const m = /tenant=([a-z0-9-]+)\/$/.exec(folder);
    if (m) tenants.push(m[1]!);
  }
  if (tenants.length === 0) await refuseEarlierLayout(store);
  return tenants.sort();
}

/**
 * Results written before counts were kept one object per day (`results/hourly/…/hour=HH.json`)
 * are not read: rather than answer "nothing happened" over them, say how to count them again.
 */
async function refuseEarlierLayout(store: ObjectStore): Promise<void> {
  if (await hasEarlierLayout(store))
    throw new UsageError(
      'EARLIER_LAYOUT',
      `the results here are in an earlier layout (${EARLIER_SUMMARIES}, one object per hour), which this version does not read; run "mailflow reprocess --all" on the same data folder or bucket to count its uploads again in the current one (${summaryPrefix()}, one object per day)`,
    );
}

const EARLIER_SUMMARIES = 'results/hourly/';

/** Whether results of the layout before day objects are (still) there. */
export async function hasEarlierLayout(store: ObjectStore): Promise<boolean> {
  for await (const _ of store.list(EARLIER_SUMMARIES)) return true;
  return false;
}
