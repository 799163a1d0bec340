import { parseSummaryKey } from '../aggregate/keys.ts';
import { UsageError } from '../errors.ts';
import type { Receipt } from '../pipeline.ts';
import type { ObjectStore } from '../ports.ts';
import { readSummaries, summaryKeysInRange } from '../query/query.ts';
import type { DeferralState } from '../rules/deferrals.ts';
import { readIncidents } from '../rules/evaluate.ts';
import type { Incident } from '../rules/incident.ts';
import type { ReportInput } from './report-model.ts';

const HOUR = 3_600_000;

/** The ranges the selector offers; a view covers the range up to the tenant's latest data. */
export const RANGES = { '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR } as const;
export type RangeName = keyof typeof RANGES;

export function parseRange(raw: string | undefined): RangeName {
  const r = raw ?? '24h';
  if (!(r in RANGES)) throw new UsageError('BAD_RANGE', `range must be one of ${Object.keys(RANGES).join(', ')}, not "${r}"`);
  return r as RangeName;
}

/**
 * When the tenant's data ends (end of its latest hour): its deferral clock when alerts run, else
 * the newest summary key. For all tenants, the latest of them. Null when there is no data.
 */
export async function dataUntil(store: ObjectStore, tenants: readonly string[]): Promise<number | null> {
  let latest: number | null = null;
  for (const tenant of tenants) {
    let t: number | null = null;
    const clock = await store.get(`state/deferrals/${tenant}.json`);
    if (clock) t = (JSON.parse(Buffer.from(clock.body).toString('utf8')) as DeferralState).asOf;
    else {
      for await (const o of store.list(`results/hourly/tenant=${tenant}/`)) {
        const k = parseSummaryKey(o.key);
        if (k && (t === null || k.hour + HOUR > t)) t = k.hour + HOUR;
      }
    }
    if (t !== null && (latest === null || t > latest)) latest = t;
  }
  return latest === null ? null : Math.ceil(latest / HOUR) * HOUR;
}

/**
 * Everything a view of `range` needs, read from the store: the summaries of the period and of the
 * one before it, incidents, and the most recent receipts. `to` defaults to the data's end. A
 * shorter range's view is the same input with a later `from` (the model filters by time).
 */
export async function loadReportInput(
  store: ObjectStore,
  options: { tenant: string | null; tenants: readonly string[]; range: RangeName; to?: number; now: number },
): Promise<Omit<ReportInput, 'lang'>> {
  const scope = options.tenant ? [options.tenant] : options.tenants;
  const until = await dataUntil(store, scope);
  const to = options.to ?? until ?? Math.ceil(options.now / HOUR) * HOUR;
  const length = RANGES[options.range];
  const from = to - length;
  const summaries = await readSummaries(store, summaryKeysInRange(store, { from: from - length, to, tenants: [...scope] }));
  const incidents: Incident[] = [];
  for (const tenant of scope) incidents.push(...(await readIncidents(store, tenant)));
  return { tenant: options.tenant, from, to, summaries, incidents, receipts: await recentReceipts(store, scope, 20), dataUntil: until };
}

/** The newest receipts by write time; only those are read. */
export async function recentReceipts(store: ObjectStore, tenants: readonly string[], limit: number): Promise<Receipt[]> {
  const listed: Array<{ key: string; at: number }> = [];
  for (const tenant of tenants) for await (const o of store.list(`results/sources/${tenant}/`)) listed.push({ key: o.key, at: o.lastModified.getTime() });
  listed.sort((a, b) => b.at - a.at || (a.key < b.key ? -1 : 1));
  const out: Receipt[] = [];
  for (const { key } of listed.slice(0, limit)) {
    const got = await store.get(key);
    if (got) out.push(JSON.parse(Buffer.from(got.body).toString('utf8')) as Receipt);
  }
  return out.sort((a, b) => (a.ingestedAt < b.ingestedAt ? 1 : a.ingestedAt > b.ingestedAt ? -1 : 0));
}
