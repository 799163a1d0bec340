import { describe, expect, it } from 'vitest';
import { groupSummaries, queryStore, summariesInRange, SummaryGrouper, type QueryField } from '../../functions/core/query/query.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes, ingestTenants } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 13 (3): queryStore reads and groups one tenant at a time (only one tenant's parsed summaries
 * held at once). The rows must be exactly those of grouping every summary at once, also where a
 * row gathers several tenants (its message sets are unions across the batches).
 */
describe('a query folded tenant by tenant', () => {
  it('answers exactly as grouping all tenants at once, rows across tenants included', async () => {
    const store = createMemoryStore();
    const start = Date.UTC(2026, 10, 18, 6);
    // The same seed for two tenants: the same messages, so unions across them overlap entirely.
    await ingestTenants(store, { a: 21, b: 21, c: 22 }, { rows: 3_000, start, perHour: 30, hours: 60 });
    const range = { from: start, to: start + 60 * 3_600_000 };
    for (const by of [['code'], ['outcome', 'destination'], ['tenant', 'code'], ['day', 'outcome'], ['hour']] as QueryField[][]) {
      const options = { ...range, by };
      const grain = by.includes('hour') ? 'hour' : 'day';
      const atOnce = groupSummaries(await summariesInRange(store, { ...range, grain }), options);
      expect(await queryStore(store, options)).toEqual(atOnce);
      expect(atOnce.length).toBeGreaterThan(1);
    }
    // Where tenants a and b share their messages, a row over both counts each message once.
    const both = await queryStore(store, { ...range, by: ['outcome'], tenants: ['a', 'b'], where: { outcome: ['deferred'] } });
    const one = await queryStore(store, { ...range, by: ['outcome'], tenants: ['a'], where: { outcome: ['deferred'] } });
    expect(both[0]!.events).toBe(2 * one[0]!.events);
    expect(both[0]!.messages).toBe(one[0]!.messages);
  });

  it('leaves message sets out when asked for events only', async () => {
    const store = createMemoryStore();
    await ingestBytes(store, 'a.csv', generated({ family: 'trace-detail', rows: 1_000, seed: 5, perHour: 30, hours: 30 }));
    const summaries = await summariesInRange(store, {});
    const counted = new SummaryGrouper({ by: ['outcome'] });
    const eventsOnly = new SummaryGrouper({ by: ['outcome'] }, { messages: false });
    counted.add(summaries);
    eventsOnly.add(summaries);
    const rows = counted.rows();
    expect(eventsOnly.rows()).toEqual(rows.map((r) => ({ ...r, messages: 0 })));
    expect(rows.some((r) => r.messages > 0)).toBe(true);
  });
});
