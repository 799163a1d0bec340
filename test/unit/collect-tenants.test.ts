import { describe, expect, it } from 'vitest';
import { GraphAccessError, MailflowError } from '../../functions/core/errors.ts';
import { collectTenants } from '../../functions/core/flows/collect-tenants.ts';
import { silentLogger, type Clock, type GraphApi } from '../../functions/core/ports.ts';
import { emptyCollectState, saveCollectState } from '../../functions/core/store/collect-state.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * The scheduled run over tenants (the collector function's core). Graph here is an in-memory
 * fake that answers one empty page per list call: what is tested is the fan-out (order,
 * isolation, deadline), not Graph; test/integration/collect.test.ts and
 * collector-function.test.ts run against the Graph stand-in.
 */
const NOW = Date.UTC(2026, 11, 3, 12);
const clock = (at = { t: NOW }): Clock => ({ now: () => new Date(at.t), sleep: async (ms) => void (at.t += ms) });
const emptyGraph = (calls: string[], tenant: string): GraphApi => ({
  async get() {
    calls.push(tenant);
    return { status: 200, retryAfterMs: null, body: '{"value":[]}' };
  },
});

describe('collectTenants', () => {
  it('collects each tenant; one that cannot sign in or is refused is its own outcome, and the others are collected', async () => {
    const store = createMemoryStore();
    const calls: string[] = [];
    const out = await collectTenants(
      {
        store,
        clock: clock(),
        logger: silentLogger,
        deliver: async () => {},
        async graphFor(t) {
          if (t === 'broken') throw new MailflowError('COLLECT_SECRET', 'tenant broken: no secret');
          if (t === 'refused')
            return {
              get: async () => ({ status: 403, retryAfterMs: null, body: '{"error":{"message":"Forbidden"}}' }),
            };
          return emptyGraph(calls, t);
        },
      },
      { tenants: ['a', 'broken', 'refused', 'b'], deadline: NOW + 600_000, concurrency: 2 },
    );
    expect(out.map((o) => [o.tenant, o.outcome])).toEqual([
      ['a', 'collected'],
      ['broken', 'failed'],
      ['refused', 'failed'],
      ['b', 'collected'],
    ]);
    expect(out[1]).toMatchObject({ code: 'COLLECT_SECRET' });
    expect(out[2]).toMatchObject({ code: 'COLLECT_PERMISSION', message: expect.stringContaining('ExchangeMessageTrace.Read.All') });
    expect(calls.sort()).toEqual(['a', 'b']);
    expect(store.objects.has('state/collect/a.json')).toBe(true);
    expect(store.objects.has('state/collect/b.json')).toBe(true);
  });

  it('starts with the tenants whose last run is oldest (never run first), and skips those it has no time left for', async () => {
    const store = createMemoryStore();
    for (const [t, at] of [
      ['recent', NOW - 60_000],
      ['old', NOW - 3_600_000],
    ] as const)
      await saveCollectState(
        store,
        {
          ...emptyCollectState(t),
          lastRun: { at, requests: 1, pages: 1, rows: 0, details: 0, detailEvents: 0, stopped: 'done' },
        },
        null,
      );
    const at = { t: NOW };
    const order: string[] = [];
    const out = await collectTenants(
      {
        store,
        clock: clock(at),
        logger: silentLogger,
        deliver: async () => {},
        async graphFor(t) {
          order.push(t);
          // Each tenant's run takes 4 minutes of the run's time.
          at.t += 240_000;
          return emptyGraph([], t);
        },
      },
      { tenants: ['recent', 'old', 'new'], deadline: NOW + 500_000, concurrency: 1 },
    );
    expect(order).toEqual(['new', 'old']);
    expect(out.map((o) => [o.tenant, o.outcome])).toEqual([
      ['recent', 'skipped'],
      ['old', 'collected'],
      ['new', 'collected'],
    ]);
  });

  it('a tenant another run is collecting is skipped, not failed', async () => {
    const store = createMemoryStore();
    const out = await collectTenants(
      {
        store,
        clock: clock(),
        logger: silentLogger,
        async deliver() {
          // Another run saves the state meanwhile: this run's conditional save loses.
          await saveCollectState(store, emptyCollectState('t'), null);
        },
        graphFor: async () => ({
          get: async () => ({
            status: 200,
            retryAfterMs: null,
            body: `{"value":[{"id":"x","recipientAddress":"a@b","status":"delivered"}]}`,
          }),
        }),
      },
      { tenants: ['t'], deadline: NOW + 600_000, concurrency: 4 },
    );
    expect(out).toEqual([{ tenant: 't', outcome: 'skipped', why: 'concurrent' }]);
  });

  it('GraphAccessError codes pass through as the outcome code', async () => {
    const out = await collectTenants(
      {
        store: createMemoryStore(),
        clock: clock(),
        logger: silentLogger,
        deliver: async () => {},
        graphFor: async () => {
          throw new GraphAccessError('COLLECT_CONSENT', 'no consent');
        },
      },
      { tenants: ['t'], deadline: NOW + 600_000, concurrency: 4 },
    );
    expect(out).toEqual([{ tenant: 't', outcome: 'failed', code: 'COLLECT_CONSENT', message: 'no consent' }]);
  });
});
