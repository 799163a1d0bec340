import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FileAggregator, fingerprintCount, mergeBatch, toSummary } from '../../functions/core/aggregate/rollup.ts';
import { createRandom } from '../../functions/core/generate/scenario.ts';
import type { DeliveryEvent } from '../../functions/core/classify/types.ts';

/** 100,000 events in one hour: a busy tenant's hour with a connector outage in it. */
function busyHour(): FileAggregator {
  const rng = createRandom(9);
  const agg = new FileAggregator();
  const hour = Date.UTC(2026, 10, 20, 10);
  const domains = Array.from({ length: 200 }, (_, i) => `partner${i}.example`);
  for (let i = 0; i < 100_000; i++) {
    const deferred = rng.chance(0.3);
    const e: DeliveryEvent = {
      time: hour + rng.int(0, 3_599_999),
      messageKey: `m${rng.int(0, 70_000)}`,
      recipient: `u${rng.int(0, 5000)}@${rng.pick(domains)}`,
      recipientDomain: '',
      direction: 'outbound',
      event: deferred ? 'Defer' : 'Send',
      statusText: '',
      connector: deferred ? 'Outbound to on-premises' : null,
      outcome: deferred ? 'deferred' : 'delivered',
      code: deferred ? rng.pick(['4.4.316', '4.4.317', '4.7.320']) : null,
      replyCode: null,
      category: deferred ? 'connection-refused' : null,
      transient: deferred ? true : null,
      owner: deferred ? 'our-servers' : null,
      innerReply: null,
      server: deferred ? 'mail.contoso.com' : null,
      ip: null,
      namedTogether: false,
      line: i + 2,
    };
    e.recipientDomain = e.recipient.slice(e.recipient.indexOf('@') + 1);
    agg.add(e);
  }
  return agg;
}

describe('rollup size at 100,000 events an hour', () => {
  it('stays a few MB (fingerprints and message sets as sorted 64-bit hashes), and its summary small', () => {
    const agg = busyHour();
    const [batch] = [...agg.hours.values()];
    const started = performance.now();
    const { rollup } = mergeBatch(null, batch!, 't', 'source-1');
    const mergeMs = performance.now() - started;
    const rollupBytes = Buffer.byteLength(JSON.stringify(rollup));
    const summaryBytes = Buffer.byteLength(JSON.stringify(toSummary(rollup)));
    const counted = fingerprintCount(rollup);
    mkdirSync('test/artifacts', { recursive: true });
    writeFileSync(
      'test/artifacts/rollup-size.json',
      JSON.stringify(
        { events: 100_000, counted, groups: rollup.groups.length, rollupBytes, summaryBytes, mergeMs: Math.round(mergeMs) },
        null,
        1,
      ),
    );
    expect(counted).toBeGreaterThan(99_000); // random fingerprints: nearly all distinct
    // 8 bytes per fingerprint and per message hash, base64 (×4/3), plus the groups.
    expect(rollupBytes).toBeLessThan(4 * 1024 * 1024);
    // The summary keeps the message sets of deferrals, failures and expiries (exact messages over a range).
    expect(summaryBytes).toBeLessThan(768 * 1024);
  });
});
