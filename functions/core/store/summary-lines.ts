import type { HourlySummary, SummaryGroup } from '../aggregate/rollup.ts';
import type { DaySummary } from '../aggregate/day-summary.ts';
import { StoredDataError } from './records.ts';

/**
 * A summary line as stored: its groups as a table. Each group names seven texts (outcome, code,
 * category, owner, connector, destination, domain), mostly the same few in every group of a line,
 * so they are written once per line in `texts`, and each group is ROW entries of `rows`: the seven
 * texts' numbers in `texts` (1-based; 0 for none), its events, its messages and its message set
 * (or 0). A busy hour's line shrinks to about a third, and a reader parses and keeps each text once
 * (a 30-day view of 50 tenants parsed 77 MB of lines, one string per field of every group).
 *
 * Stored as `schema: 2`; lines of schema 1 (groups as objects, written before) read the same.
 * Everything else keeps its place: `hour` or `day`, and `rollupVersion`, stay near the start,
 * where the day objects look for them (store/day-lines.ts).
 */
const TEXT_FIELDS = ['outcome', 'code', 'category', 'owner', 'connector', 'destination', 'domain'] as const;
const ROW = TEXT_FIELDS.length + 3;

export function encodeSummaryLine(s: HourlySummary | DaySummary): string {
  const texts: string[] = [];
  const numbers = new Map<string, number>();
  const textNumber = (t: string | null) => {
    if (t === null) return 0;
    let n = numbers.get(t);
    if (n === undefined) numbers.set(t, (n = texts.push(t)));
    return n;
  };
  const rows: Array<number | string> = [];
  for (const g of s.groups) {
    for (const f of TEXT_FIELDS) rows.push(textNumber(g[f]));
    rows.push(g.events, g.messages, g.pairs ?? 0);
  }
  const { groups: _, span: __, ...head } = s as HourlySummary & DaySummary;
  return JSON.stringify({ ...head, schema: 2, texts, rows });
}

/** The groups of a parsed summary line of either schema; the record comes back as schema 1 holds it. */
export function summaryGroupsOf<T extends HourlySummary | DaySummary>(value: T & { texts?: unknown; rows?: unknown }, key: string): T {
  if ((value.schema as number) !== 2) {
    if (!Array.isArray(value.groups)) throw new StoredDataError(key, 'not a summary: field "groups" should be array');
    return value;
  }
  const { texts, rows, ...rest } = value;
  if (!Array.isArray(texts) || !Array.isArray(rows) || rows.length % ROW !== 0)
    throw new StoredDataError(key, `not a summary of schema 2: "texts" and "rows" (${ROW} entries a group) expected`);
  const text = (n: unknown): string | null => {
    if (n === 0) return null;
    const t = typeof n === 'number' ? (texts[n - 1] as unknown) : undefined;
    if (typeof t !== 'string') throw new StoredDataError(key, `not a summary of schema 2: text ${JSON.stringify(n)} is not in "texts"`);
    return t;
  };
  const groups: SummaryGroup[] = [];
  for (let i = 0; i < rows.length; i += ROW) {
    const events = rows[i + 7];
    const messages = rows[i + 8];
    const pairs = rows[i + 9];
    if (typeof events !== 'number' || typeof messages !== 'number' || (pairs !== 0 && typeof pairs !== 'string'))
      throw new StoredDataError(key, `not a summary of schema 2: group ${i / ROW + 1} has no counts`);
    const g = {
      outcome: text(rows[i]),
      code: text(rows[i + 1]),
      category: text(rows[i + 2]),
      owner: text(rows[i + 3]),
      connector: text(rows[i + 4]),
      destination: text(rows[i + 5]),
      domain: text(rows[i + 6]) ?? '',
      events,
      messages,
    } as SummaryGroup;
    if (typeof pairs === 'string') g.pairs = pairs;
    groups.push(g);
  }
  return { ...rest, schema: 1, groups } as unknown as T;
}
