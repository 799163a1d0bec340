import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HourBatch } from '../../functions/core/aggregate/rollup.ts';
import type { DeliveryEvent } from '../../functions/core/classify/types.ts';
import { blankEvent } from '../../functions/core/read/delivery-event.ts';
import type { CountedOutcome } from '../../functions/core/vocabulary/outcomes.ts';

// HourBatch finds an event's group by comparing its fields with those already seen for its domain
// (a few per domain), and by the whole key string past that. Either way the groups must be exactly
// those of grouping by the key: checked against that, with domains of many destinations (past the
// per-domain list), and null next to '' (the same key, different fields).
const OUTCOMES: CountedOutcome[] = ['delivered', 'deferred', 'failed'];
const event = fc.record({
  outcome: fc.constantFrom(...OUTCOMES),
  code: fc.constantFrom(null, '', '4.4.316', '5.1.1'),
  connector: fc.constantFrom(null, '', 'Outbound to partner'),
  destination: fc.oneof(
    fc.constant(null),
    fc.integer({ min: 0, max: 39 }).map((i) => `mx${i}.example.net`),
  ),
  domain: fc.constantFrom('a.example', 'b.example', ''),
});

describe('HourBatch groups (property)', () => {
  it('puts every event in the group of its key, however many field sets a domain has', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 400 }), (rows) => {
        const batch = new HourBatch(0);
        const expected = new Map<string, number>();
        rows.forEach((r, i) => {
          const e: DeliveryEvent & { outcome: CountedOutcome } = {
            ...blankEvent(),
            outcome: r.outcome,
            code: r.code,
            connector: r.connector,
            server: r.destination,
            recipientDomain: r.domain,
          };
          // Fingerprints unique per row, so no row is taken for a repeat.
          expect(batch.add(e, Uint32Array.of(i + 1, 7), Uint32Array.of(i + 1, 9))).toBe(true);
          const key = [r.outcome, r.code ?? '', '', '', r.connector ?? '', r.destination ?? '', r.domain].join('|');
          expected.set(key, (expected.get(key) ?? 0) + 1);
        });
        const counts = new Map<string, number>();
        for (let i = 0; i < batch.n; i++) {
          const g = batch.groups[batch.grp[i]!]!;
          const key = [g.outcome, g.code ?? '', '', '', g.connector ?? '', g.destination ?? '', g.domain].join('|');
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        expect(counts).toEqual(expected);
        expect(batch.groups.length).toBe(expected.size);
      }),
      { numRuns: 300 },
    );
  });
});
