import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  GROUP_FIELDS,
  parseRulesConfig,
  resolveTenant,
  RULE_KINDS,
  SEVERITIES,
} from '../../functions/core/rules/config.ts';

const docs = (name: string) => JSON.parse(readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8'));

describe('rules as data', () => {
  it('has the defaults the issue names, with nothing configured', () => {
    const config = parseRulesConfig({});
    const { rules, settings } = resolveTenant(config, 'contoso');
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(rules.map((r) => [r.id, r.kind, r.open, r.close])).toEqual([
      ['queue', 'queue', 200, 100],
      ['connector-codes', 'count', 20, 10],
      ['permanent-failure-rate', 'rate', 0.05, 0.03],
      ['stuck', 'stuck', 1, 1],
      ['new-code', 'new-code', 1, 1],
    ]);
    expect(rules.find((r) => r.id === 'queue')).toMatchObject({ olderThanMinutes: 60, groupBy: ['connector', 'destination'] });
    expect(rules.find((r) => r.id === 'connector-codes')!.match.codes).toEqual([
      '4.4.312',
      '4.4.315',
      '4.4.316',
      '4.4.317',
      '4.4.318',
      '4.7.320',
    ]);
    expect(rules.find((r) => r.id === 'permanent-failure-rate')).toMatchObject({ windowMinutes: 360, minVolume: 200 });
    expect(rules.find((r) => r.id === 'stuck')).toMatchObject({ olderThanMinutes: 720 });
    expect(rules.find((r) => r.id === 'new-code')).toMatchObject({ lookbackMinutes: 7 * 24 * 60 });
  });

  it('reads the example config: changed and new rules, per-tenant settings and overrides', () => {
    const config = parseRulesConfig(docs('mailflow.config.example.json'));
    const other = resolveTenant(config, 'fabrikam');
    expect(other.rules.find((r) => r.id === 'queue')).toMatchObject({ open: 500, close: 250 });
    expect(other.rules.find((r) => r.id === 'gmail-auth')).toMatchObject({
      kind: 'count',
      windowMinutes: 360,
      match: { codes: ['5.7.26'], outcomes: ['failed'] },
      groupBy: ['domain'],
    });
    expect(other.settings).toMatchObject({ language: 'en', timeZone: 'Europe/London', quietHours: { from: '22:00', to: '07:00' } });
    const it_ = resolveTenant(config, 'contoso-it');
    expect(it_.settings).toMatchObject({ language: 'it', timeZone: 'Europe/Rome', digestHour: 7 });
    expect(it_.rules.map((r) => r.id)).not.toContain('new-code');
    expect(it_.rules.find((r) => r.id === 'connector-codes')).toMatchObject({ open: 50, close: 25, windowMinutes: 60 });
  });

  it('lists every problem at once, each with its path and what was expected', () => {
    let message = '';
    try {
      parseRulesConfig({
        colour: 'blue',
        defaults: { language: 'fr', digestHour: 25 },
        rules: [{ id: 'x', window: '90x', open: 5, close: 9 }, { id: 'Bad Id' }, { id: 'queue', groupBy: ['planet'] }],
        tenants: { contoso: { timeZone: 'Mars/Olympus', rules: { nope: { open: 1 } } } },
      });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const expected of [
      'config.colour: unknown setting',
      'defaults.language: must be "en" or "it"',
      'defaults.digestHour: must be a whole hour, 0 to 23',
      'rules[0].kind: a new rule needs a kind',
      'rules[0].window: "90x" is not a duration like 30m, 1h, 6h, 7d',
      'rules[0]: close (9) must not be above open (5)',
      'rules[1].id: must be a-z, 0-9 and -',
      'rules[2].groupBy: must be a list of tenant, connector, destination, domain, code, category',
      'tenants.contoso.timeZone: "Mars/Olympus" is not a time zone',
      'tenants.contoso.rules.nope: no rule "nope" to override',
    ])
      expect(message).toContain(expected);
    expect(message).toMatch(/has 10 problem\(s\)/);
  });

  it("reads a tenant's Graph sign-in (tenants.<t>.collect) and says what is missing from it", () => {
    const config = parseRulesConfig({
      tenants: { contoso: { collect: { entraTenant: 'aaaa-1', clientId: 'app-1', certificate: 'contoso.pem' } } },
    });
    expect(config.tenants.contoso!.collect).toEqual({ entraTenant: 'aaaa-1', clientId: 'app-1', certificate: 'contoso.pem' });
    expect(() => parseRulesConfig({ tenants: { contoso: { collect: { clientId: 'app-1', secret: 'x' } } } })).toThrow(
      /tenants\.contoso\.collect\.secret: unknown setting[\s\S]*tenants\.contoso\.collect\.entraTenant: the customer's Entra tenant id \(or domain\) is required[\s\S]*give "certificate"/,
    );
    const schema = docs('mailflow.config.schema.json');
    expect(Object.keys(schema.properties.tenants.additionalProperties.properties.collect.properties).sort()).toEqual([
      'certificate',
      'certificateSecretArn',
      'clientId',
      'entraTenant',
    ]);
  });

  it('publishes a JSON Schema for editors that knows every setting the parser knows', () => {
    const schema = docs('mailflow.config.schema.json');
    expect(Object.keys(schema.properties).sort()).toEqual(['$schema', 'defaults', 'rules', 'tenants']);
    expect(Object.keys(schema.properties.defaults.properties).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
    const ruleKeys = Object.keys(schema.properties.rules.items.properties).sort();
    expect(ruleKeys).toEqual([
      'close',
      'cooldown',
      'enabled',
      'groupBy',
      'id',
      'kind',
      'lookback',
      'match',
      'maxIncidents',
      'minVolume',
      'olderThan',
      'open',
      'severity',
      'window',
    ]);
    const rule = schema.properties.rules.items.properties;
    expect(rule.kind.enum).toEqual([...RULE_KINDS]);
    expect(rule.severity.enum).toEqual([...SEVERITIES]);
    expect(rule.groupBy.items.enum).toEqual([...GROUP_FIELDS]);
  });
});
