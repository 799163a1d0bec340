import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HourlySummary } from '../../functions/core/aggregate/rollup.ts';
import { renderAlert } from '../../functions/core/render/alert.ts';
import { buildDigest } from '../../functions/core/render/digest.ts';
import { buildSnsPublish } from '../../functions/core/render/sns-message.ts';
import { DEFAULT_SETTINGS, parseRulesConfig, resolveTenant } from '../../functions/core/rules/config.ts';
import { openIncident } from '../helpers/alerts.ts';

/**
 * Issue 16 (5): random control characters, bidi controls and line breaks in every value that comes
 * from an export (destination, connector, domain, the groups a fold names) never reach an SNS
 * payload raw: not the Subject (an email header), not the text for email, not the JSON for
 * machines. Pure: the payload is what the SNS adapter publishes as is.
 */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const hostile = fc.string({
  unit: fc.constantFrom(
    'a',
    '.',
    '\u001b',
    '[',
    '\r',
    '\n',
    '\t',
    '\u0007',
    '\u0000',
    '\u009b',
    '\u202e',
    '\u2066',
    '\u200f',
    '\u007f',
    '\u000b',
    'é',
  ),
  minLength: 1,
  maxLength: 16,
});

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, strings(k, out));
  return out;
}

function expectClean(p: ReturnType<typeof buildSnsPublish>): void {
  expect(p.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
  const message = JSON.parse(p.Message) as Record<string, string>;
  for (const text of [message.default!, message.email!]) for (const line of text.split('\n')) expect(line).not.toMatch(RAW);
  for (const s of strings(JSON.parse(message.sqs!))) expect(s).not.toMatch(RAW);
}

const rules = resolveTenant(parseRulesConfig({}), 't').rules;
const T0 = Date.UTC(2026, 10, 20, 10);

describe('SNS payloads from hostile values (property)', () => {
  it('alerts, folded alerts included, carry no raw control or bidi character', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, fc.constantFrom(...rules), fc.boolean(), (destination, connector, other, rule, folded) => {
        const incident = openIncident({
          ruleId: rule.id,
          group: folded ? { folded: 'more' } : { destination, connector },
          baseline: 25,
          lastValue: 25,
          peakValue: 25,
          ...(folded ? { folded: { groups: 3, top: [{ group: { destination, connector: other }, value: 25 }] } } : {}),
        });
        for (const transition of ['open', 'escalated', 'resolved'] as const)
          expectClean(buildSnsPublish(renderAlert(incident, transition, rule, DEFAULT_SETTINGS, '4.4.316')));
      }),
      { numRuns: 300 },
    );
  });

  it('digests carry no raw control or bidi character', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (destination, connector, domain) => {
        const summary: HourlySummary = {
          schema: 1,
          tenant: 'contoso',
          hour: new Date(T0 - 3_600_000).toISOString(),
          rollupVersion: 1,
          sources: 1,
          totals: { delivered: 10, deferred: 5, failed: 2, expired: 0, filtered: 0 },
          groups: [
            {
              outcome: 'deferred',
              code: '4.4.316',
              category: 'connection-refused',
              owner: 'our-servers',
              connector,
              destination,
              domain,
              events: 5,
              messages: 5,
            },
            { outcome: 'failed', code: null, category: null, owner: null, connector: null, destination, domain, events: 2, messages: 2 },
          ],
        };
        const incident = openIncident({ ruleId: 'stuck', group: { destination } });
        const d = buildDigest({
          tenant: 'contoso',
          lang: 'en',
          from: T0 - 86_400_000,
          to: T0,
          summaries: [summary],
          incidents: [incident],
        });
        expectClean(buildSnsPublish(d));
      }),
      { numRuns: 300 },
    );
  });
});
