import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryStore, QUERY_FIELDS, summaryKeysInRange, type QueryField, type QueryRow } from '../../functions/core/query/query.ts';
import { mergeTallies, tally, type Tally } from '../../functions/core/render/tally.ts';
import { readSummaries } from '../../functions/core/store/hourly.ts';

const PROBLEMS = ['deferred', 'failed', 'expired'];
import type { ObjectStore } from '../../functions/core/ports.ts';
import { generated, readAll } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import type { DeliveryEvent } from '../../functions/core/classify/types.ts';

/**
 * The query core against a brute-force recount of the parsed events: for random time ranges,
 * tenants, group-bys, filters and top N, reading the hourly summaries must give exactly what
 * counting the events one by one gives. `messages` is the number of distinct (message, recipient)
 * pairs of each outcome over the whole range, summed over the outcomes in the row.
 */

const HOUR = 3_600_000;
// From 20:00: the fixture's hours cross midnight, so a range can cover one day whole and cut another.
const START = Date.UTC(2026, 10, 19, 20);
const DAY = 24 * HOUR;
const TENANTS = ['alpha', 'beta'] as const;

interface Counted extends DeliveryEvent {
  tenant: string;
}

let store: ObjectStore;
const events: Counted[] = [];

beforeAll(async () => {
  store = createMemoryStore();
  for (const [i, tenant] of TENANTS.entries()) {
    // Two families per tenant: different columns, overlapping hours, some codes only in one.
    for (const [j, family] of (['trace-detail', 'onprem-tracking-log'] as const).entries()) {
      const bytes = generated({ family, rows: 900, seed: 40 + i * 10 + j, perHour: 120, start: START + j * 2 * HOUR });
      await ingestBytes(store, `${family}.csv`, bytes, { tenant });
      const seen = new Set<string>();
      for (const e of (await readAll(bytes)).events) {
        if (e.outcome === 'other') continue;
        // The same key the fingerprint is made of: a repeated row is one event.
        const fp = JSON.stringify([e.messageKey, e.recipient, e.time, e.outcome, e.code]);
        if (seen.has(fp)) continue;
        seen.add(fp);
        events.push({ ...e, tenant });
      }
    }
  }
}, 60_000);

function valueOf(field: QueryField, e: Counted): string | null {
  switch (field) {
    case 'tenant':
      return e.tenant;
    case 'hour':
      return new Date(Math.floor(e.time / HOUR) * HOUR).toISOString().replace('.000Z', 'Z');
    case 'day':
      return new Date(e.time).toISOString().slice(0, 10);
    case 'destination':
      return hostOf(e.tenant, e.server ?? e.ip);
    case 'domain':
      return e.recipientDomain;
    default:
      return e[field];
  }
}

/**
 * By hand, what the alias tables say: an address some status text gave for a host is that host
 * (the first in sort order), and the host's rows list its addresses.
 */
const aliasCache = new Map<string, Map<string, string[]>>();
function aliases(tenant: string): Map<string, string[]> {
  const cached = aliasCache.get(tenant);
  if (cached) return cached;
  const hosts = new Map<string, Set<string>>();
  for (const e of events)
    if (e.tenant === tenant && e.namedTogether) {
      const set = hosts.get(e.ip!) ?? new Set();
      hosts.set(e.ip!, set.add(e.server!));
    }
  const table = new Map([...hosts].map(([ip, set]) => [ip, [...set].sort()]));
  aliasCache.set(tenant, table);
  return table;
}
const hostOf = (tenant: string, d: string | null): string | null => (d === null ? null : (aliases(tenant).get(d)?.[0] ?? d));
const addressesOf = (tenant: string, host: string | null): string[] =>
  [...aliases(tenant)].filter(([, hosts]) => hosts[0] === host).map(([ip]) => ip);

function bruteForce(options: {
  by: QueryField[];
  where: Partial<Record<QueryField, string[]>>;
  from: number;
  to: number;
  tenants?: string[];
  /** The negative control: what summing per-hour counts gives (distinct per hour and summary group). */
  perHour?: boolean;
}): QueryRow[] {
  const rows = new Map<string, { row: QueryRow; pairs: Set<string> }>();
  for (const e of events) {
    const hour = Math.floor(e.time / HOUR) * HOUR;
    if (hour < options.from || hour >= options.to) continue;
    if (options.tenants && !options.tenants.includes(e.tenant)) continue;
    const matches = ([f, vs]: [string, string[] | undefined]) =>
      vs!.includes(valueOf(f as QueryField, e) ?? '') ||
      (f === 'destination' && addressesOf(e.tenant, valueOf('destination', e)).some((a) => vs!.includes(a)));
    if (!Object.entries(options.where).every(matches)) continue;
    const values = options.by.map((f) => valueOf(f, e));
    const key = JSON.stringify(values);
    let acc = rows.get(key);
    if (!acc) {
      const row = {} as QueryRow;
      options.by.forEach((f, i) => (row[f] = values[i]!));
      acc = { row: Object.assign(row, { events: 0, messages: 0 }), pairs: new Set() };
      rows.set(key, acc);
    }
    acc.row.events++;
    if (options.by.includes('destination')) {
      const ips = addressesOf(e.tenant, valueOf('destination', e));
      if (ips.length) acc.row.addresses = [...new Set([...(acc.row.addresses ?? []), ...ips])].sort();
    }
    acc.pairs.add(
      JSON.stringify(
        options.perHour
          ? [
              e.tenant,
              hour,
              e.outcome,
              e.code,
              e.category,
              e.owner,
              e.connector,
              e.server ?? e.ip,
              e.recipientDomain,
              e.messageKey,
              e.recipient,
            ]
          : [e.tenant, e.outcome, e.messageKey, e.recipient],
      ),
    );
  }
  return [...rows.values()].map(({ row, pairs }) => ({ ...row, messages: pairs.size }));
}

/** Messages affected in [from, to): distinct (tenant, message, recipient) with any deferral, failure or expiry. */
function bruteAffected(from: number, to: number, tenants?: string[]): number {
  const pairs = new Set<string>();
  for (const e of events) {
    const hour = Math.floor(e.time / HOUR) * HOUR;
    if (hour < from || hour >= to || (tenants && !tenants.includes(e.tenant))) continue;
    if (e.outcome === 'deferred' || e.outcome === 'failed' || e.outcome === 'expired')
      pairs.add(JSON.stringify([e.tenant, e.messageKey, e.recipient]));
  }
  return pairs.size;
}

const byEvents = (rows: QueryRow[]) => [...rows].sort((a, b) => b.events - a.events || (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe('query core equals a brute-force recount (property)', () => {
  it('counts messages affected (the digest and dashboard headline) like a brute-force union, for random ranges and tenants', async () => {
    const summaries = await readSummaries(store, summaryKeysInRange(store, {}));
    const lo = Math.min(...events.map((e) => e.time)) - 2 * HOUR;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.option(fc.subarray([...TENANTS], { minLength: 1 }), { nil: undefined }),
        async (a, b, tenants) => {
          const [from, to] = [lo + Math.min(a, b) * HOUR, lo + Math.max(a, b) * HOUR];
          const mine = tenants ? summaries.filter((x) => (tenants as string[]).includes(x.tenant)) : summaries;
          expect(tally(mine, from, to, '').affected).toBe(bruteAffected(from, to, tenants));
        },
      ),
      { numRuns: 150 },
    );
    // Negative control: adding up each outcome's messages counts a message deferred then expired twice.
    const all = tally(summaries, 0, Date.UTC(2100, 0), '');
    expect(PROBLEMS.reduce((n, o) => n + (all.messages.get(o) ?? 0), 0)).toBeGreaterThan(all.affected);
  });

  it('merges tallies of each tenant into the tally of all of them, a message in two tenants counted once (the all-tenants view)', async () => {
    const summaries = await readSummaries(store, summaryKeysInRange(store, {}));
    // A third tenant with alpha's very messages: the union across tenants must count them once.
    const all = [...summaries, ...summaries.filter((x) => x.tenant === 'alpha').map((x) => ({ ...x, tenant: 'copy' }))];
    const lo = Math.min(...events.map((e) => e.time)) - 2 * HOUR;
    const plain = (t: Tally) => ({
      ...Object.fromEntries(
        (['outcomes', 'codes', 'categories', 'destinations', 'connectors', 'perHour', 'messages'] as const).map((k) => [
          k,
          [...t[k].entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
        ]),
      ),
      affected: t.affected,
    });
    // The chart made in the same walk (a view's period): cells, and each destination's and connector's sparkline.
    const chart = (t: Tally) =>
      t.chart && {
        cells: [...t.chart.cells],
        destination: [...t.chart.destination].map(([k, v]) => [k, [...v]]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
        connector: [...t.chart.connector].map(([k, v]) => [k, [...v]]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
      };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        fc.constantFrom(HOUR, 3 * HOUR),
        (a, b, countFirst, step) => {
          const [from, to] = [lo + Math.min(a, b) * HOUR, lo + Math.max(a, b) * HOUR];
          const grid = { origin: from, step, count: Math.ceil((to - from) / step) };
          const parts = ['alpha', 'beta', 'copy'].map((t) =>
            tally(
              all.filter((x) => x.tenant === t),
              from,
              to,
              '',
              grid,
            ),
          );
          // The view counts each tenant for its table first (which compacts their sets), or not at all.
          if (countFirst) for (const p of parts) void p.affected;
          const before = parts.map(chart);
          const merged = mergeTallies(parts, grid);
          const whole = tally(all, from, to, '', grid);
          expect(plain(merged)).toEqual(plain(whole));
          expect(chart(merged)).toEqual(chart(whole));
          // Each tenant's own view still shows its own chart: the merge summed copies.
          expect(parts.map(chart)).toEqual(before);
          if (merged.affected > 0) expect(parts[0]!.affected + parts[1]!.affected + parts[2]!.affected).toBeGreaterThan(merged.affected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('has enough variety in the fixture for the property to mean something', () => {
    const outcomes = new Set(events.map((e) => e.outcome));
    const codes = new Set(events.map((e) => e.code));
    const hours = new Set(events.map((e) => Math.floor(e.time / HOUR)));
    expect(outcomes.size).toBeGreaterThanOrEqual(3);
    expect(codes.size).toBeGreaterThanOrEqual(4);
    expect(hours.size).toBeGreaterThanOrEqual(8);
  });

  it('has messages deferred in more than one hour, so summing hourly counts would be wrong (negative control)', () => {
    const all = { by: ['outcome'] as QueryField[], where: {}, from: 0, to: Date.UTC(2100, 0) };
    const exact = bruteForce(all).find((r) => r.outcome === 'deferred')!;
    const summed = bruteForce({ ...all, perHour: true }).find((r) => r.outcome === 'deferred')!;
    expect(summed.messages).toBeGreaterThan(exact.messages);
  });

  it('for random ranges, tenants, group-bys, filters and top N', async () => {
    const outcomes = [...new Set(events.map((e) => e.outcome))];
    const codes = [...new Set(events.map((e) => e.code ?? ''))];
    const destinations = [...new Set(events.flatMap((e) => [e.server, e.ip]).filter((d): d is string => d !== null))].sort();
    expect(destinations.some((d) => TENANTS.some((t) => aliases(t).has(d)))).toBe(true); // addresses with a host among them
    const hours = events.map((e) => e.time);
    const lo = Math.floor(Math.min(...hours) / HOUR) * HOUR - 2 * HOUR;
    const spanHours = Math.ceil((Math.max(...hours) - lo) / HOUR) + 2;
    // Mostly whole hours, so the range edges land exactly on summary hours; sometimes not.
    // And midnights: a range of whole days reads each day as one merged summary (its day line).
    const midnights = [0, 1, 2].map((d) => Math.floor(lo / DAY) * DAY + d * DAY);
    const edge = fc.oneof(
      fc
        .tuple(fc.integer({ min: 0, max: spanHours }), fc.constantFrom(0, 0, 0, 1, 17 * 60_000, HOUR - 1))
        .map(([h, off]) => lo + h * HOUR + off),
      fc.constantFrom(...midnights),
    );
    await fc.assert(
      fc.asyncProperty(
        edge,
        edge,
        fc.uniqueArray(fc.constantFrom(...QUERY_FIELDS), { minLength: 1, maxLength: 3 }),
        fc.option(fc.subarray([...TENANTS], { minLength: 1 }), { nil: undefined }),
        fc.option(fc.subarray(outcomes, { minLength: 1 }), { nil: undefined }),
        fc.option(fc.subarray(codes, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        // Hosts and the addresses the status texts gave for them: a filter on either finds the host.
        fc.option(fc.subarray(destinations, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        async (a, b, by, tenants, outcomeFilter, codeFilter, top, destinationFilter) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const where: Partial<Record<QueryField, string[]>> = {};
          if (outcomeFilter) where.outcome = outcomeFilter;
          if (codeFilter) where.code = codeFilter;
          if (destinationFilter) where.destination = destinationFilter;
          const expected = byEvents(bruteForce({ by, where, from, to, ...(tenants ? { tenants } : {}) }));
          // Top N means the largest N: say so, since grouping by hour or day sorts by time by default.
          const ranked = top ? { top, sort: 'events' as const } : {};
          const actual = await queryStore(store, { by, where, from, to, ...(tenants ? { tenants } : {}), ...ranked });
          if (!top) {
            expect(byEvents(actual)).toEqual(expected);
          } else {
            // Ties may be cut anywhere; the sizes must be the top ones and every row must be exact.
            expect(actual.map((r) => r.events)).toEqual(expected.slice(0, top).map((r) => r.events));
            for (const row of actual) expect(expected).toContainEqual(row);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
