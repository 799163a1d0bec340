import { describe, expect, it } from 'vitest';
import { parseRulesConfig, resolveTenant, type Rule } from '../../functions/core/rules/config.ts';
import type { RuleValue } from '../../functions/core/rules/evaluate.ts';
import { foldValues, isFolded } from '../../functions/core/rules/fold.ts';
import type { Incident } from '../../functions/core/store/incidents.ts';
import { readIncidents } from '../../functions/core/store/incidents.ts';
import type { Notification } from '../../functions/core/ports.ts';
import { LED, openIncident, recorder } from '../helpers/alerts.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/** Issue 16 (2): one outage naming thousands of destinations sends a handful of alerts, not one per destination. */
const rule = resolveTenant(parseRulesConfig({}), 't').rules.find((r) => r.id === 'connector-codes')! as Rule; // open 20, cap 20

const value = (destination: string, v: number): RuleValue => ({ rule, group: { destination }, value: v, topCode: '4.4.316' });
const active = (destination: string): Incident =>
  openIncident({ tenant: 't', ruleId: rule.id, group: { destination }, baseline: 30, lastValue: 30, peakValue: 30 });
const keyOf = (v: RuleValue) => JSON.stringify(v.group);
const incidentsOf = (...destinations: string[]) => new Map(destinations.map((d) => [JSON.stringify({ destination: d }), active(d)]));

describe('foldValues: at most maxIncidents groups per rule, the rest in one "and N more"', () => {
  it('passes values through unchanged while the groups fit under the cap', () => {
    const values = Array.from({ length: 20 }, (_, i) => value(`d${i}`, 25)).concat([value('quiet', 3)]);
    expect(foldValues(values, new Map(), keyOf)).toEqual(values);
  });

  it('keeps the 20 largest of 2,000 opening groups and folds the other 1,980, naming the largest', () => {
    const values = Array.from({ length: 2000 }, (_, i) => value(`d${i}`, 20 + i)).concat([value('quiet', 3)]);
    const out = foldValues(values, new Map(), keyOf);
    const own = out.filter((v) => !isFolded(v.group));
    expect(own.map((v) => v.group.destination).sort()).toEqual([...Array.from({ length: 20 }, (_, i) => `d${1980 + i}`), 'quiet'].sort());
    const fold = out.find((v) => isFolded(v.group))!;
    expect(fold).toMatchObject({ value: 1999, topCode: '4.4.316', folded: { groups: 1980 } });
    expect(fold.folded!.top.map((t) => [t.group.destination, t.value])).toEqual([
      ['d1979', 1999],
      ['d1978', 1998],
      ['d1977', 1997],
      ['d1976', 1996],
      ['d1975', 1995],
    ]);
  });

  it('keeps the places of groups that already have an incident, even when new ones are larger', () => {
    const values = [
      ...Array.from({ length: 5 }, (_, i) => value(`old${i}`, 21)),
      ...Array.from({ length: 30 }, (_, i) => value(`new${i}`, 100 + i)),
    ];
    const out = foldValues(values, incidentsOf('old0', 'old1', 'old2', 'old3', 'old4'), keyOf);
    const own = out.filter((v) => !isFolded(v.group)).map((v) => v.group.destination!);
    expect(own.filter((d) => d.startsWith('old'))).toHaveLength(5);
    expect(own.filter((d) => d.startsWith('new'))).toHaveLength(15);
    expect(out.find((v) => isFolded(v.group))!.folded!.groups).toBe(15);
  });

  it('absorbs active incidents beyond the cap (state from before it), without notifying', () => {
    const names = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const values = names.map((d, i) => value(d, 21 + i));
    const out = foldValues(values, incidentsOf(...names), keyOf);
    expect(out.filter((v) => v.absorbed).map((v) => v.group.destination)).toEqual(names.slice(0, 10).reverse());
    expect(out.find((v) => isFolded(v.group))!.folded!.groups).toBe(10);
  });

  it('gives the fold a value of 0 once nothing is beyond the cap, so it resolves on its own hysteresis', () => {
    const values = [value('d0', 25), { rule, group: { folded: 'more' }, value: 0, topCode: null }];
    const incidents = new Map([[JSON.stringify({ folded: 'more' }), { ...active('x'), group: { folded: 'more' } }]]);
    const out = foldValues(values, incidents, keyOf);
    expect(out).toHaveLength(2);
    expect(out.find((v) => isFolded(v.group))).toMatchObject({ value: 0, folded: { groups: 0 } });
  });
});

/** One export with `destinations` destinations, 20 deferrals (the open threshold) each, in one hour. */
function outage(destinations: number, tenantTag = 'o'): Uint8Array {
  const rows = ['"Date","Event","Detail","MessageTraceId","RecipientAddress"'];
  for (let d = 0; d < destinations; d++) {
    const led = LED('4.4.316').replace('mail.contoso.com', `mx${d}.fabrikam${d}.com`);
    for (let i = 0; i < 20 + (d % 7); i++)
      rows.push(`"2026-11-20T03:${String(i % 60).padStart(2, '0')}:00Z","Defer",${led},"${tenantTag}${d}-m${i}","u${i}@fabrikam${d}.com"`);
  }
  return utf8(rows.join('\r\n') + '\r\n');
}

const alertsOf = (sent: Notification[]) => sent.filter((n) => (n.json as { kind: string }).kind === 'alert');

describe('an outage naming 2,000 destinations (issue 16, 2)', () => {
  it('sends 21 alerts (20 destinations and one "and 1,980 more"), keeps 21 small incidents, and the next upload changes nothing', async () => {
    const store = createMemoryStore();
    const { sent, notifier } = recorder();
    const config = { alerts: { rules: parseRulesConfig({ defaults: { maxAlertsPerHour: 100 } }), notifier } };
    const bytes = outage(2000);
    expect(bytes.length).toBeGreaterThan(4 * 1024 * 1024);
    const r = await ingestBytes(store, 'outage.csv', bytes, { tenant: 'msp-a', config });
    expect(r.status).toBe('ingested');
    const alerts = alertsOf(sent);
    expect(alerts).toHaveLength(21);
    const fold = alerts.find((n) => (n.json as { folded: unknown }).folded)!;
    expect(fold.text).toContain(
      'Where: 1,980 more destinations over the threshold, beyond the 20 with an alert of their own; the largest: destination mx',
    );
    expect(fold.json).toMatchObject({ ruleId: 'connector-codes', transition: 'open', value: 26, folded: { groups: 1980 } });
    expect(fold.text).not.toMatch(/--where folded/);

    const incidents = await readIncidents(store, 'msp-a');
    expect(incidents).toHaveLength(21);
    const bytesOfState = incidents.reduce((n, i) => n + JSON.stringify(i).length, 0);
    expect(bytesOfState).toBeLessThan(30_000);

    // The same outage again in another file: already counted, nothing new to say.
    await ingestBytes(store, 'outage-copy.csv', bytes, { tenant: 'msp-a', config });
    expect(alertsOf(sent)).toHaveLength(21);
  }, 60_000);

  it('holds alerts past the tenant budget, and another tenant still gets its own alert at once', async () => {
    const store = createMemoryStore();
    const { sent, notifier } = recorder();
    const rules = parseRulesConfig({ tenants: { 'msp-a': { maxAlertsPerHour: 10 } } });
    const config = { alerts: { rules, notifier } };
    await ingestBytes(store, 'outage.csv', outage(200), { tenant: 'msp-a', config });
    expect(alertsOf(sent).filter((n) => (n.json as { tenant: string }).tenant === 'msp-a')).toHaveLength(10);
    const held = (await readIncidents(store, 'msp-a')).flatMap((i) => i.notifications.filter((n) => n.held));
    expect(held).toHaveLength(11);
    expect(held[0]!.held).toBe('publish budget: 10 alerts this hour for the tenant');

    await ingestBytes(store, 'other.csv', outage(1, 'b'), { tenant: 'msp-b', config });
    expect(alertsOf(sent).filter((n) => (n.json as { tenant: string }).tenant === 'msp-b')).toHaveLength(1);
  }, 60_000);
});
