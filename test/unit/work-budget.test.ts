import { describe, expect, it } from 'vitest';
import { startDashboard } from '../../functions/cli/commands/dashboard.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { MAX_REQUESTS_PER_QUESTION, withWorkBudget } from '../../functions/core/store/work-budget.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { AREA } from '../../functions/core/store/layout.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

describe('the work budget counts requests, as S3 bills and times them', () => {
  const store = createMemoryStore();
  for (let i = 0; i < 2_500; i++) store.objects.set(`k/${String(i).padStart(4, '0')}`, { body: utf8('x'), etag: `"${i}"` });

  it('a listing costs a request per 1,000 keys, a read one', async () => {
    const b = withWorkBudget(store, 100, 'ask less');
    expect(await drain(b.list('k/'))).toBe(2_500);
    expect(b.touched).toBe(3);
    expect(b.listed).toBe(2_500);
    await b.get('k/0001');
    expect(b.touched).toBe(4);
  });

  it('refuses past its requests, and past its keys however few pages they take, with the advice', async () => {
    const reads = withWorkBudget(store, 3, 'ask less');
    for (let i = 0; i < 3; i++) await reads.get(`k/000${i}`);
    await expect(reads.get('k/0003')).rejects.toMatchObject({
      code: 'TOO_MUCH_WORK',
      message: 'this question needs more than 3 requests to the store; ask less',
    });
    const keys = withWorkBudget(store, 100, 'ask less', 2_000);
    await expect(drain(keys.list('k/'))).rejects.toMatchObject({
      code: 'TOO_MUCH_WORK',
      message: 'this question lists more than 2,000 keys; ask less',
    });
  });
});

describe('the dashboard has the budget per page', () => {
  /**
   * 100 tenants (the most one question may name) × 62 days: one tenant ingested, its objects copied
   * under 99 more names. Counting every listed key as a request, the 30-day view of all of them
   * needed about 20,000 and was refused; counted as requests, it is about 7,000.
   */
  async function hundredTenants(months = true): Promise<ObjectStore> {
    const one = createMemoryStore();
    const start = Date.parse('2026-09-01T00:00:00Z');
    await ingestBytes(one, 'a.csv', generated({ family: 'trace-detail', rows: 3_000, seed: 7, perHour: 1, start }), { tenant: 't00' });
    const store = createMemoryStore();
    for (let t = 0; t < 100; t++) {
      const name = `t${String(t).padStart(2, '0')}`;
      for (const [key, o] of one.objects) {
        if (!key.includes('t00') || (!months && key.startsWith(AREA.summaryMonths))) continue;
        const body = Buffer.from(o.body).toString('latin1').replaceAll('"t00"', `"${name}"`);
        store.objects.set(key.replaceAll('t00', name), { body: Buffer.from(body, 'latin1'), etag: o.etag });
      }
    }
    return store;
  }

  /** The requests of the 30-day view, after the 24-hour one (which caches the tenant list). */
  async function thirtyDays(store: ObjectStore): Promise<number> {
    const c = { requests: 0 };
    const counting: ObjectStore = {
      ...store,
      get: (key) => (c.requests++, store.get(key)),
      getHead: (key, bytes, until) => (c.requests++, store.getHead!(key, bytes, until)),
    };
    const d = await startDashboard(counting, { port: 0, lang: 'en' });
    try {
      await fetch(`${d.url}?range=24h`);
      c.requests = 0;
      const r = await fetch(`${d.url}?range=30d`);
      const text = await r.text();
      expect([r.status, text.slice(0, 200)]).toEqual([200, expect.stringContaining('<!doctype html>')]);
      expect(text).toContain('data-range="30d"');
      return c.requests;
    } finally {
      await d.close();
    }
  }

  it('serves the 30-day view of 100 tenants of 62 days, within the budget', async () => {
    // Days stored before months were kept: the day lines of this period and the one before (50
    // days here) are read one by one, and a few more objects, a tenant.
    const perDay = await thirtyDays(await hundredTenants(false));
    expect(perDay).toBeGreaterThan(100 * 50);
    expect(perDay).toBeLessThan(MAX_REQUESTS_PER_QUESTION);
    // With the months' copies of the day lines: a read per month instead (store/summary-months.ts).
    expect(await thirtyDays(await hundredTenants())).toBeLessThan(100 * 15);
  });
});
