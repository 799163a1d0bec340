import { describe, expect, it } from 'vitest';
import { parseRulesConfig, resolveTenant, type Rule } from '../../functions/core/rules/config.ts';
import { nextIncident } from '../../functions/core/rules/incident.ts';
import { deferrals, openIncident, recorder } from '../helpers/alerts.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Incident } from '../../functions/core/store/incidents.ts';
import { readDeferralState } from '../../functions/core/store/deferral-state.ts';
import { deferralStateKey, incidentKey, incidentPrefix, settledIncidentsKey } from '../../functions/core/store/layout.ts';

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
      [0, 5],
      [10, 25],
      [20, 30], // opens at 25
      [80, 60], // more than twice 25, an hour after the last notification: escalated
      [90, 70],
      [100, 8],
      [130, 5],
      [159, 9], // below 10 since minute 100, not yet a full hour
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
    expect(
      drive([
        [0, 20],
        [5, 100],
        [30, 200],
        [61, 400],
      ]).transitions,
    ).toEqual(['open', 'escalated']);
  });

  it('opens a new episode after a resolution', () => {
    const { transitions, last } = drive([
      [0, 30],
      [10, 0],
      [70, 0],
      [80, 40],
    ]);
    expect(transitions).toEqual(['open', 'resolved', 'open']);
    expect(last!.episode).toBe(2);
  });
});

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
    // The incident's own events: what the rule counts, its destination, its top code.
    expect(alert!.text).toContain(
      'mailflow query --tenant default --where outcome=deferred,expired --where destination=mail.contoso.com --where code=4.4.316 --by hour,destination --from 2026-11-20T03:00Z',
    );
    expect(alert!.json).toMatchObject({ kind: 'alert', transition: 'open', value: 25, topCode: '4.4.316', owner: 'our-servers' });
  });

  it('speaks Italian for a tenant that asks for it', async () => {
    const { sent, notifier } = recorder();
    await ingestBytes(createMemoryStore(), 'a.csv', deferrals(1, 30), {
      tenant: 'contoso',
      config: { alerts: { rules: parseRulesConfig({ tenants: { contoso: { language: 'it' } } }), notifier } },
    });
    expect(sent[0]!.text).toContain('Avviso sul flusso di posta per contoso');
    expect(sent[0]!.text).toContain('Connessione rifiutata');
  });
});

describe('stuck and queued messages', () => {
  /** Messages to two destinations, deferred every hour from 00:00 to 13:00; one set then delivered. */
  function longDeferrals(): Uint8Array {
    let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
    const led = (host: string) => `"Reason: [{LED=450 4.4.317 Cannot connect to remote server [LastAttemptedServerName=${host}]}]"`;
    for (let h = 0; h <= 13; h++) {
      const t = `2026-11-20T${String(h).padStart(2, '0')}:05:00Z`;
      for (let m = 0; m < 3; m++) {
        text += `"${t}","Defer",${led('mx.stuck.example')},"s${m}","a${m}@stuck.example"\r\n`;
        text += `"${t}","Defer",${led('mx.recovers.example')},"r${m}","b${m}@recovers.example"\r\n`;
      }
    }
    for (let m = 0; m < 3; m++)
      text += `"2026-11-20T13:30:00Z","Send","The message was sent to mx.recovers.example.","r${m}","b${m}@recovers.example"\r\n`;
    return utf8(text);
  }

  it('opens the stuck rule only for the messages still deferred after 13 hours', async () => {
    const { sent, notifier } = recorder();
    const rules = parseRulesConfig({ rules: [{ id: 'connector-codes', enabled: false }] });
    await ingestBytes(createMemoryStore(), 'long.csv', longDeferrals(), { config: { alerts: { rules, notifier } } });
    const stuck = sent.filter((n) => (n.json as { ruleId: string }).ruleId === 'stuck');
    expect(stuck.map((n) => (n.json as { group: unknown }).group)).toEqual([{ destination: 'mx.stuck.example' }]);
    expect(stuck[0]!.json).toMatchObject({ transition: 'open', value: 3, topCode: '4.4.317' });
    expect(stuck[0]!.text).toContain('3 message(s) deferred for more than 12 h without a final outcome');
  });

  it('keeps the state across uploads: a later final outcome ends the deferral', async () => {
    const store = createMemoryStore();
    const { notifier } = recorder();
    const rules = parseRulesConfig({ rules: [{ id: 'connector-codes', enabled: false }] });
    await ingestBytes(store, 'long.csv', longDeferrals(), { config: { alerts: { rules, notifier } } });
    const finals =
      '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n' +
      [0, 1, 2]
        .map(
          (m) =>
            `"2026-11-20T14:10:00Z","Fail","Reason: [{LED=550 5.4.317 Message expired, cannot connect to remote server}]","s${m}","a${m}@stuck.example"\r\n`,
        )
        .join('');
    await ingestBytes(store, 'finals.csv', utf8(finals), { config: { alerts: { rules, notifier } } });
    expect((await readDeferralState(store, 'default'))!.entries).toEqual([]);
  });

  it('reads what it evaluates once: the deferral state it has just written not at all, each incident once, an incident not there never', async () => {
    const memory = createMemoryStore();
    const reads: string[] = [];
    const store = { ...memory, get: (key: string) => (reads.push(key), memory.get(key)) };
    const { sent, notifier } = recorder();
    const rules = parseRulesConfig({ rules: [{ id: 'connector-codes', enabled: false }] });
    await ingestBytes(store, 'long.csv', longDeferrals(), { config: { alerts: { rules, notifier } } });
    expect(reads.filter((k) => k === deferralStateKey('default'))).toHaveLength(1); // the merge's read
    // The rules still saw the state: the stuck alert opens as when it was read back.
    const opened = sent.filter((n) => (n.json as { ruleId: string }).ruleId === 'stuck');
    expect(opened).toHaveLength(1);
    // Before the stuck incident, no incident was there: none was read (each value's was a 404).
    const incidentReads = (from: number) => reads.slice(from).filter((k) => k.startsWith(incidentPrefix('default')));
    expect(incidentReads(0).filter((k) => k.includes('/stuck/'))).toHaveLength(1); // marking its notification sent
    // A later upload: the open incident is read once, by the evaluation's load, and its
    // compare-and-swap starts from that read.
    const before = reads.length;
    await ingestBytes(store, 'again.csv', longDeferrals(), { config: { alerts: { rules, notifier } } });
    const stuckKeys = incidentReads(before);
    expect(stuckKeys).toHaveLength(1);
    expect(stuckKeys[0]).toContain('/stuck/');
  });

  it('with many incidents, does not read those resolved with nothing to send, and still reopens one whose group comes back', async () => {
    const memory = createMemoryStore();
    const reads: string[] = [];
    const store = { ...memory, get: (key: string) => (reads.push(key), memory.get(key)) };
    // Twelve resolved stuck incidents, all notifications sent (one of them the group longDeferrals
    // makes stuck again), and one still open.
    const resolved = ['mx.stuck.example', ...Array.from({ length: 11 }, (_, i) => `mx${i}.gone.example`)];
    const seeds = [
      ...resolved.map((destination) =>
        openIncident({
          tenant: 'default',
          ruleId: 'stuck',
          group: { destination },
          state: 'resolved',
          resolvedAt: '2026-11-19T12:00:00.000Z',
        }),
      ),
      // Open, and already below its close threshold since before the first upload's hour ends:
      // that evaluation leaves it as it is (the same ETag), and only the second resolves it.
      openIncident({
        tenant: 'default',
        ruleId: 'stuck',
        group: { destination: 'mx.open.example' },
        lastValue: 0,
        belowSince: '2026-11-20T00:30:00.000Z',
      }),
    ];
    for (const i of seeds) await memory.putIfAbsent(incidentKey('default', 'stuck', i.group), utf8(JSON.stringify(i)));
    const key = (destination: string) => incidentKey('default', 'stuck', { destination });
    const { sent, notifier } = recorder();
    const rules = parseRulesConfig({ rules: [{ id: 'connector-codes', enabled: false }] });
    const delivered =
      '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n"2026-11-20T00:10:00Z","Deliver","","d1","a@fabrikam.com"\r\n';
    // The first evaluation reads all thirteen and notes the twelve settled ones.
    await ingestBytes(store, 'quiet.csv', utf8(delivered), { config: { alerts: { rules, notifier } } });
    expect(reads.filter((k) => k.startsWith(incidentPrefix('default')))).toHaveLength(13);
    expect(await memory.get(settledIncidentsKey('default'))).not.toBeNull();
    // The next reads the open one, and the one whose group is stuck again (its compare-and-swap
    // reopens it), but none of the other eleven.
    const from = reads.length;
    await ingestBytes(store, 'long.csv', longDeferrals(), { config: { alerts: { rules, notifier } } });
    const read = new Set(reads.slice(from));
    expect(read.has(key('mx.open.example'))).toBe(true);
    expect(read.has(key('mx.stuck.example'))).toBe(true);
    expect(resolved.slice(1).filter((d) => read.has(key(d)))).toEqual([]);
    const reopened = sent.filter((n) => (n.json as { ruleId: string }).ruleId === 'stuck');
    expect(reopened.map((n) => [(n.json as { group: unknown }).group, (n.json as { transition: string }).transition])).toEqual([
      [{ destination: 'mx.stuck.example' }, 'open'],
      [{ destination: 'mx.open.example' }, 'resolved'], // nothing of it in the data any more
    ]);
    const again = JSON.parse(Buffer.from((await memory.get(key('mx.stuck.example')))!.body).toString()) as Incident;
    expect(again).toMatchObject({ state: 'open', episode: 2 });
  });

  it('reads every incident when the settled index is damaged, and writes it anew', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 10; i++) {
      const group = { destination: `mx${i}.gone.example` };
      const incident = openIncident({
        tenant: 'default',
        ruleId: 'stuck',
        group,
        state: 'resolved',
        resolvedAt: '2026-11-19T12:00:00.000Z',
      });
      await store.putIfAbsent(incidentKey('default', 'stuck', group), utf8(JSON.stringify(incident)));
    }
    await store.putIfAbsent(settledIncidentsKey('default'), utf8('{"schema":1,'));
    const { notifier } = recorder();
    const rules = parseRulesConfig({});
    await ingestBytes(store, 'long.csv', longDeferrals(), { config: { alerts: { rules, notifier } } });
    const index = JSON.parse(Buffer.from((await store.get(settledIncidentsKey('default')))!.body).toString()) as { etags: object };
    expect(Object.keys(index.etags)).toHaveLength(10);
  });

  it('raises the Microsoft-style queue alert at 200 messages deferred over an hour per connector and destination', async () => {
    let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
    for (let m = 0; m < 210; m++) {
      for (const h of ['01', '03'])
        text += `"2026-11-20T${h}:00:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]}]","q${m}","u${m}@contoso.com"\r\n`;
    }
    const { sent, notifier } = recorder();
    await ingestBytes(createMemoryStore(), 'queue.csv', utf8(text), { config: { alerts: { rules: parseRulesConfig({}), notifier } } });
    const queue = sent.filter((n) => (n.json as { ruleId: string }).ruleId === 'queue');
    expect(queue).toHaveLength(1);
    expect(queue[0]!.json).toMatchObject({ transition: 'open', value: 210, group: { connector: null, destination: 'mail.contoso.com' } });
  });
});

describe('new codes', () => {
  it('alerts on a code the tenant has not seen in the 7 days before, once, and not on known codes', async () => {
    const store = createMemoryStore();
    const { sent, notifier } = recorder();
    const rules = parseRulesConfig({
      rules: [
        { id: 'connector-codes', enabled: false },
        { id: 'stuck', enabled: false },
        { id: 'queue', enabled: false },
        { id: 'permanent-failure-rate', enabled: false },
      ],
    });
    const row = (day: number, code: string, id: string) =>
      `"2026-11-${day}T10:00:00Z","Fail","Reason: [{LED=550 ${code} rejected}]","${id}","x@partner.example"\r\n`;
    const head = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
    await ingestBytes(store, 'history.csv', utf8(head + row(15, '5.1.1', 'a') + row(15, '5.2.2', 'b')), {
      config: { alerts: { rules, notifier } },
    });
    expect(sent).toHaveLength(0); // nothing before that hour to compare with: no alert
    await ingestBytes(store, 'today.csv', utf8(head + row(20, '5.1.1', 'c') + row(20, '5.7.26', 'd') + row(20, '5.7.26', 'e')), {
      config: { alerts: { rules, notifier } },
    });
    expect(sent.map((n) => [n.json.ruleId, (n.json.group as { code: string }).code, n.json.value])).toEqual([['new-code', '5.7.26', 2]]);
  });
});

describe('quiet hours', () => {
  it('holds non-critical alerts during the tenant quiet hours and lets critical ones through', async () => {
    const { inQuietHours } = await import('../../functions/core/rules/evaluate.ts');
    const rome = {
      language: 'en' as const,
      timeZone: 'Europe/Rome',
      digestHour: 7,
      quietHours: { from: '22:00', to: '07:00' },
      maxAlertsPerHour: 30,
    };
    expect(inQuietHours(new Date('2026-11-20T22:30:00Z'), rome)).toBe(true); // 23:30 in Rome
    expect(inQuietHours(new Date('2026-11-20T05:59:00Z'), rome)).toBe(true); // 06:59
    expect(inQuietHours(new Date('2026-11-20T06:00:00Z'), rome)).toBe(false); // 07:00
    const lunch = { ...rome, quietHours: { from: '12:00', to: '14:00' } };
    expect(inQuietHours(new Date('2026-11-20T12:00:00Z'), lunch)).toBe(true); // 13:00 in Rome, a window within one day
    expect(inQuietHours(new Date('2026-11-20T13:30:00Z'), lunch)).toBe(false); // 14:30

    const store = createMemoryStore();
    const { sent, notifier } = recorder();
    const rules = parseRulesConfig({
      rules: [{ id: 'connector-codes', severity: 'warning' }],
      tenants: { contoso: { timeZone: 'Europe/Rome', quietHours: { from: '22:00', to: '07:00' } } },
    });
    const night = { now: () => new Date('2026-11-20T23:30:00Z'), sleep: async () => {} };
    await ingestBytes(store, 'a.csv', deferrals(1, 30), { tenant: 'contoso', clock: night, config: { alerts: { rules, notifier } } });
    expect(sent).toHaveLength(0);
    const held = [];
    for await (const o of store.list('state/incidents/contoso/'))
      held.push(JSON.parse(Buffer.from((await store.get(o.key))!.body).toString()));
    expect(held[0]).toMatchObject({ state: 'open', notifications: [{ transition: 'open', sent: true, held: 'quiet hours' }] });

    const critical = parseRulesConfig({ tenants: { contoso: { timeZone: 'Europe/Rome', quietHours: { from: '22:00', to: '07:00' } } } });
    await ingestBytes(createMemoryStore(), 'a.csv', deferrals(1, 30), {
      tenant: 'contoso',
      clock: night,
      config: { alerts: { rules: critical, notifier } },
    });
    expect(sent.map((n) => n.json.severity)).toEqual(['critical']);
  });
});

describe('suppressions', () => {
  it('silence a rule for matching groups until they expire, and show in the digest', async () => {
    const { mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-suppress-'));
    const { runCli } = await import('../helpers/io.ts');
    const bad = await runCli(['suppress', '--data-dir', dir, '--rule', 'connector-codes', '--until', '4h', '--reason', 'short']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('at least 10 characters') });
    const ok = await runCli([
      'suppress',
      '--data-dir',
      dir,
      '--rule',
      'connector-codes',
      '--key',
      'destination=mail.contoso.com',
      '--until',
      '4h',
      '--reason',
      'firewall change window, ticket CHG-1042',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^suppressed connector-codes destination=mail\.contoso\.com for default until /);

    const store = createFsStore({ root: dir });
    const { sent, notifier } = recorder();
    await ingestBytes(store, 'a.csv', deferrals(1, 30), { config: { alerts: { rules: parseRulesConfig({}), notifier } } });
    expect(sent).toHaveLength(0);
    const held = [];
    for await (const o of store.list('state/incidents/default/connector-codes/'))
      held.push(JSON.parse(Buffer.from((await store.get(o.key))!.body).toString()));
    expect(held[0].notifications[0].held).toMatch(/^suppressed until .*: firewall change window, ticket CHG-1042$/);

    const listed = await runCli(['suppress', '--data-dir', dir, '--list']);
    expect(listed.stdout).toContain('connector-codes  destination=mail.contoso.com  until');
    const digest = await runCli(['digest', '--data-dir', dir]);
    expect(digest.stdout).toContain('Suppressed:');
    expect(digest.stdout).toContain('firewall change window, ticket CHG-1042');

    // Expired: no effect (the clock of the evaluation is real time; the suppression ends in 4 hours).
    const later = { now: () => new Date(Date.now() + 5 * 3_600_000), sleep: async () => {} };
    const other = createMemoryStore();
    for await (const o of store.list('state/suppressions/')) await other.putIfAbsent(o.key, (await store.get(o.key))!.body);
    await ingestBytes(other, 'a.csv', deferrals(1, 30), { clock: later, config: { alerts: { rules: parseRulesConfig({}), notifier } } });
    expect(sent.map((n) => n.json.transition)).toEqual(['open']);
  });
});

describe('count alerts say how many messages their events are (issue 12, 2)', () => {
  it('30 deferrals of 10 messages, each retried 3 times: "10 message(s), 30 matching events"', async () => {
    const head = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
    let rows = head;
    for (let m = 0; m < 10; m++)
      for (const minute of ['05', '25', '45'])
        rows += `"2026-11-20T10:${minute}:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]}]","id-${m}","u${m}@contoso.com"\r\n`;
    const { notifier, sent } = recorder();
    await ingestBytes(createMemoryStore(), 'a.csv', utf8(rows), {
      tenant: 't',
      config: { alerts: { rules: parseRulesConfig({}), notifier } },
    });
    const alert = sent.find((n) => n.json.ruleId === 'connector-codes')!;
    expect(alert.text).toContain('What: 10 message(s), 30 matching events in the last 1 h (opens at 20 events, closes below 10)');
    expect(alert.json).toMatchObject({ value: 30, messages: 10 });
  });
});

describe('rate alerts are over messages (issue 12, 2)', () => {
  it('10 of 50 messages deferred, each 3 times: 20 %, not 30 deferral events over 50 deliveries', async () => {
    const head = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
    let rows = head;
    for (let m = 0; m < 50; m++) {
      if (m < 10)
        for (const minute of ['05', '15', '25'])
          rows += `"2026-11-20T10:${minute}:00Z","Defer","Reason: [{LED=451 4.4.0 Primary target IP address responded [LastAttemptedServerName=mail.contoso.com]}]","id-${m}","u${m}@contoso.com"\r\n`;
      rows += `"2026-11-20T10:40:00Z","Deliver","The message was delivered.","id-${m}","u${m}@contoso.com"\r\n`;
    }
    const rules = parseRulesConfig({
      rules: [
        {
          id: 'deferral-rate',
          kind: 'rate',
          severity: 'warning',
          match: { outcomes: ['deferred'] },
          window: '1h',
          open: 0.15,
          close: 0.1,
          minVolume: 40,
        },
      ],
    });
    const { notifier, sent } = recorder();
    await ingestBytes(createMemoryStore(), 'a.csv', utf8(rows), { tenant: 't', config: { alerts: { rules, notifier } } });
    const alert = sent.find((n) => n.json.ruleId === 'deferral-rate')!;
    expect(alert.text).toContain(
      'What: 20 % of messages with a final outcome in the last 1 h: 10 of 50 (opens at 15 %, closes below 10 %, with at least 40 messages)',
    );
    expect(alert.json).toMatchObject({ value: 0.2, messages: 10, volume: 50 });
  });
});
