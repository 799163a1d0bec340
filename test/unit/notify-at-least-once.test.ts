import { describe, expect, it } from 'vitest';
import type { Clock, ObjectStore } from '../../functions/core/ports.ts';
import { CLAIM_LEASE_MS } from '../../functions/core/store/claims.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { silentLogger } from '../../functions/core/ports.ts';
import { deferralExport, ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import type { Notification } from '../../functions/core/ports.ts';
import { scheduledTick } from '../../functions/core/flows/scheduled-tick.ts';

/**
 * Notifications are sent at least once (Build 7): a crash after any single write, or a failed
 * publish, followed by what the platform does next (the queue delivers the upload again, the
 * function's retry or the next tick runs), still delivers every notification of the crash-free
 * run. Only a publish whose acknowledgement was lost (SNS took it, the caller saw an error) may
 * repeat it; nothing else sends anything twice.
 */
const rules = parseRulesConfig({ tenants: { contoso: { timeZone: 'UTC', digestHour: 7 } } });

type Fault =
  | { kind: 'none' }
  | { kind: 'crash-after-write'; n: number }
  | { kind: 'publish-rejected'; n: number }
  | { kind: 'publish-ack-lost'; n: number };

/** Throws once, right after the n-th successful write of the whole scenario (a crashed function). */
function crashingStore(store: ObjectStore, fault: Fault): ObjectStore & { writes: () => number } {
  let writes = 0;
  const after = <T>(p: Promise<T>) =>
    p.then((v) => {
      writes++;
      if (fault.kind === 'crash-after-write' && writes === fault.n) throw new Error(`crash after write ${writes}`);
      return v;
    });
  return {
    writes: () => writes,
    get: (k) => store.get(k),
    list: (p) => store.list(p),
    putIfAbsent: (k, b) => after(store.putIfAbsent(k, b)),
    putIfMatch: (k, b, e) => after(store.putIfMatch(k, b, e)),
  };
}

async function scenario(fault: Fault): Promise<{ delivered: string[]; writes: number; publishes: number }> {
  const store = crashingStore(createMemoryStore(), fault);
  const delivered: string[] = [];
  let publishes = 0;
  const notifier = {
    async publish(n: Notification) {
      publishes++;
      if (fault.kind === 'publish-rejected' && publishes === fault.n) throw new Error('SNS refused the publish');
      delivered.push(String(n.json.transition ?? n.json.kind));
      if (fault.kind === 'publish-ack-lost' && publishes === fault.n) throw new Error('the publish timed out after SNS took it');
    },
  };
  let now = 0;
  const clock: Clock = { now: () => new Date(now), sleep: async () => {} };
  // Each step as the platform runs it: if it throws, it runs again later (the queue's next
  // delivery, Lambda's retry or the next tick), after any claim the crashed attempt left has expired.
  const step = async (iso: string, run: () => Promise<unknown>) => {
    now = Date.parse(iso);
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (attempt > 3) throw err;
        now += CLAIM_LEASE_MS + 60_000;
      }
    }
  };
  const tick = () => scheduledTick({ store, notifier, logger: silentLogger, clock }, rules);
  await step('2026-11-20T04:00:00Z', () =>
    ingestBytes(store, 'a.csv', deferralExport(30), { tenant: 'contoso', clock, config: { alerts: { rules, notifier } } }),
  ); // opens the incident
  await step('2026-11-20T05:10:00Z', tick); // below the close threshold from now on
  await step('2026-11-20T06:15:00Z', tick); // a full hour below: resolved
  await step('2026-11-20T07:05:00Z', tick); // the digest hour
  await step('2026-11-20T08:05:00Z', tick); // a later tick sends whatever is still owed, nothing again
  return { delivered, writes: store.writes(), publishes };
}

describe('notifications at least once, with alerts on (crash points)', () => {
  it('the crash-free run sends each notification exactly once', async () => {
    const { delivered } = await scenario({ kind: 'none' });
    expect(delivered).toEqual(['open', 'resolved', 'digest']);
  });

  it('a crash after every single write, then the retry: every notification arrives, none twice', async () => {
    const { writes } = await scenario({ kind: 'none' });
    expect(writes).toBeGreaterThan(20);
    for (let n = 1; n <= writes; n++) {
      const { delivered } = await scenario({ kind: 'crash-after-write', n });
      expect([...delivered].sort(), `crash after write ${n}`).toEqual(['digest', 'open', 'resolved']);
    }
  });

  it('a publish that fails (each of the three): the retry or the next tick sends it, once', async () => {
    for (let n = 1; n <= 3; n++) {
      const { delivered } = await scenario({ kind: 'publish-rejected', n });
      expect([...delivered].sort(), `publish ${n} refused`).toEqual(['digest', 'open', 'resolved']);
    }
  });

  it('a publish whose acknowledgement is lost may be repeated, once, and only that one', async () => {
    for (let n = 1; n <= 3; n++) {
      const { delivered } = await scenario({ kind: 'publish-ack-lost', n });
      const counts = Object.fromEntries(['open', 'resolved', 'digest'].map((k) => [k, delivered.filter((d) => d === k).length]));
      const lost = ['open', 'resolved', 'digest'][n - 1]!;
      expect(counts, `publish ${n} acknowledged too late`).toEqual({ open: 1, resolved: 1, digest: 1, [lost]: 2 });
    }
  });
});
