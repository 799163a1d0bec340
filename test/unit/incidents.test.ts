import { describe, expect, it } from 'vitest';
import { parseRulesConfig, resolveTenant, type Rule } from '../../functions/core/rules/config.ts';
import { nextIncident, type Incident } from '../../functions/core/rules/incident.ts';
import type { Notification } from '../../functions/core/digest/sns-message.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rule = resolveTenant(parseRulesConfig({}), 't').rules.find((r) => r.id === 'connector-codes')! as Rule; // open 20, close 10, 1 h window, 1 h cooldown
const who = { tenant: 't', group: { destination: 'mail.contoso.com' } };
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 20, 10) + minutes * 60_000);

/** Feeds values at the given minutes; returns the transitions in order. */
function drive(steps: Array<[minute: number, value: number]>): { transitions: string[]; last: Incident | null } {
  let incident: Incident | null = null;
  const transitions: string[] = [];
  for (const [minute, value] of steps) {
    const next = nextIncident(incident, value, rule, at(minute), who);
    if (!next) continue;
    const before = new Set(incident?.notifications.map((n) => n.id) ?? []);
    for (const n of next.notifications) if (!before.has(n.id)) transitions.push(n.transition);
    incident = { ...next, notifications: next.notifications.map((n) => ({ ...n, sent: true })) };
  }
  return { transitions, last: incident };
}

describe('incident lifecycle (hysteresis)', () => {
  it('goes open → escalated → resolved with exactly three notifications', () => {
    const { transitions, last } = drive([
      [0, 5], [10, 25], [20, 30], // opens at 25
      [80, 60], // more than twice 25, an hour after the last notification: escalated
      [90, 70], [100, 8], [130, 5], [159, 9], // below 10 since minute 100, not yet a full hour
      [160, 4], // a full hour below: resolved
      [170, 3],
    ]);
    expect(transitions).toEqual(['open', 'escalated', 'resolved']);
    expect(last).toMatchObject({ state: 'resolved', peakValue: 70, episode: 1 });
  });

  it('does not flap when the value oscillates around the open threshold', () => {
    const steps: Array<[number, number]> = [];
    for (let m = 0; m < 600; m += 5) steps.push([m, m % 10 === 0 ? 21 : 19]);
    expect(drive(steps).transitions).toEqual(['open']); // 19 is above the close threshold of 10
  });

  it('waits out the cooldown before reporting a worse value', () => {
    expect(drive([[0, 20], [5, 100], [30, 200], [61, 400]]).transitions).toEqual(['open', 'escalated']);
  });

  it('opens a new episode after a resolution', () => {
    const { transitions, last } = drive([[0, 30], [10, 0], [70, 0], [80, 40]]);
    expect(transitions).toEqual(['open', 'resolved', 'open']);
    expect(last!.episode).toBe(2);
  });
});

const LED = (code: string) => `"Reason: [{LED=450 ${code} Connection refused [LastAttemptedServerName=mail.contoso.com]};{MSG=};{FQDN=};{IP=};{LRT=}]"`;
/** A small export: `n` deferrals for distinct messages to one destination, within one hour. */
function deferrals(file: number, n: number, minute = 10): Uint8Array {
  let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
  for (let i = 0; i < n; i++) text += `"2026-11-20T03:${String((minute + i) % 60).padStart(2, '0')}:00Z","Defer",${LED('4.4.316')},"f${file}-m${i}","u${i}@contoso.com"\r\n`;
  return utf8(text);
}

function recorder() {
  const sent: Notification[] = [];
  return { sent, notifier: { publish: async (n: Notification) => void sent.push(n) } };
}

describe('alerts from ingestion', () => {
  it('opens one incident when the connector codes cross 20 in an hour, with advice and a drill-down', async () => {
    const store = createMemoryStore();
    const { sent, notifier } = recorder();
    const alerts = { rules: parseRulesConfig({}), notifier };
    await ingestBytes(store, 'a.csv', deferrals(1, 15), { config: { alerts } });
    expect(sent).toHaveLength(0);
    await ingestBytes(store, 'b.csv', deferrals(2, 10), { config: { alerts } });
    expect(sent).toHaveLength(1);
    const [alert] = sent;
    expect(alert!.subject).toBe('[mailflow] CRITICAL open: connector-codes (default)');
    expect(alert!.text).toContain('25 matching events in the last 1 h');
    expect(alert!.text).toContain('destination mail.contoso.com');
    expect(alert!.text).toContain('4.4.316 Connection refused');
    expect(alert!.text).toContain('mailflow query --tenant default --where code=4.4.316');
    expect(alert!.json).toMatchObject({ kind: 'alert', transition: 'open', value: 25, topCode: '4.4.316', owner: 'our-servers' });
  });

  it('speaks Italian for a tenant that asks for it', async () => {
    const { sent, notifier } = recorder();
    await ingestBytes(createMemoryStore(), 'a.csv', deferrals(1, 30), { tenant: 'contoso', config: { alerts: { rules: parseRulesConfig({ tenants: { contoso: { language: 'it' } } }), notifier } } });
    expect(sent[0]!.text).toContain('Avviso sul flusso di posta per contoso');
    expect(sent[0]!.text).toContain('Connessione rifiutata');
  });

  it('O32, R1: 300 threshold-crossing files ingested concurrently give exactly one open notification', async () => {
    const store = createFsStore({ root: mkdtempSync(join(tmpdir(), 'mailflow-alerts-')) });
    const { sent, notifier } = recorder();
    const alerts = { rules: parseRulesConfig({}), notifier };
    const receipts = await Promise.all(Array.from({ length: 300 }, (_, i) => ingestBytes(store, `f${i}.csv`, deferrals(i, 25, i % 50), { config: { alerts } })));
    expect(receipts.every((r) => r.status === 'ingested')).toBe(true);
    expect(sent.map((n) => (n.json as { transition: string }).transition)).toEqual(['open']);
  }, 120_000);
});
