import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../functions/core/formats/event.ts';
import { OUTPUT_ENCODINGS } from '../../functions/core/generate/render.ts';
import { DateReader } from '../../functions/core/formats/dates.ts';
import { errorOf, generated, readAll, utf8 } from '../helpers/bytes.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/exports/${name}`, import.meta.url));
const pick = (e: { time: number; recipient: string; outcome: string; code: string | null; category: string | null }) => ({
  time: new Date(e.time).toISOString(),
  recipient: e.recipient,
  outcome: e.outcome,
  code: e.code,
  category: e.category,
});

describe('every family × encoding × delimiter reads to the same events', () => {
  for (const family of FAMILIES) {
    it(family, async () => {
      const base = await readAll(generated({ family, rows: 300, seed: 5 }));
      expect(base.summary.family).toBe(family);
      expect(base.events.length).toBeGreaterThan(250);
      expect(base.summary.rejectedRows.count).toBe(0);
      // Graph's families are JSON: no delimiter to vary.
      const json = family.startsWith('graph-');
      const delimiters = json ? ([undefined] as const) : family === 'onprem-tracking-log' ? ([','] as const) : ([',', ';', '\t'] as const);
      for (const encoding of OUTPUT_ENCODINGS) {
        for (const delimiter of delimiters) {
          for (const gzip of [false, true]) {
            const { summary, events } = await readAll(
              generated({ family, rows: 300, seed: 5, ...(delimiter ? { delimiter } : {}) }, encoding, gzip),
              {},
              [777],
            );
            expect(summary.family).toBe(family);
            expect(summary.delimiter).toBe(delimiter ?? null);
            expect(summary.compression).toBe(gzip ? 'gzip' : 'none');
            expect(summary.encoding).toBe(encoding);
            expect(events).toEqual(base.events);
          }
        }
      }
    });
  }

  it('reads every date style of the same export to the same instants', async () => {
    const base = await readAll(generated({ family: 'trace-detail', rows: 300, seed: 9, dateStyle: 'iso' }));
    for (const dateStyle of ['us', 'dmy', 'dot'] as const) {
      const other = await readAll(generated({ family: 'trace-detail', rows: 300, seed: 9, dateStyle }));
      expect(other.events.map((e) => e.time)).toEqual(base.events.map((e) => e.time));
    }
  });
});

describe('a file without a message id column (issue 12, 1)', () => {
  it('says so in the receipt, and tells messages apart by sender and time', async () => {
    const text =
      '"Received","SenderAddress","RecipientAddress","Status"\r\n' +
      '"2026-11-20T08:00:00Z","a@contoso.com","x@fabrikam.com","Failed"\r\n' +
      '"2026-11-20T08:05:00Z","a@contoso.com","x@fabrikam.com","Failed"\r\n';
    const { summary, events } = await readAll(utf8(text));
    expect(summary.family).toBe('trace-summary');
    expect(summary.warnings).toEqual([expect.stringContaining('the export has no message id column')]);
    expect(new Set(events.map((e) => e.messageKey)).size).toBe(2);
    // With MessageTraceId the same rows carry no such warning.
    const keyed = text.replace('"Status"', '"Status","MessageTraceId"').replaceAll('"Failed"\r\n', '"Failed","m1"\r\n');
    expect((await readAll(utf8(keyed))).summary.warnings).toEqual([]);
  });
});

describe('real-looking exports of each family (test/fixtures/exports)', () => {
  it('Get-MessageTraceV2 with -UseCulture: semicolons, day-first dates, a column subset', async () => {
    const { summary, events } = await readAll(fixture('get-messagetracev2-it.csv'));
    expect(summary).toMatchObject({ family: 'trace-summary', delimiter: ';', rows: 5, warnings: [] });
    expect(events.map(pick)).toEqual([
      { time: '2026-11-20T08:15:02.000Z', recipient: 'amministrazione@fabrikam.it', outcome: 'delivered', code: null, category: null },
      { time: '2026-11-20T08:16:40.000Z', recipient: 'ufficio@tailspintoys.com', outcome: 'deferred', code: null, category: 'unknown' },
      {
        time: '2026-11-20T09:02:11.000Z',
        recipient: 'mario.rossi@contoso.com',
        outcome: 'filtered',
        code: null,
        category: 'spam-reputation',
      },
      { time: '2026-11-20T09:30:00.000Z', recipient: 'ex.collega@contoso.com', outcome: 'failed', code: null, category: 'unknown' },
      { time: '2026-11-21T07:59:59.000Z', recipient: 'team@contoso.com', outcome: 'other', code: null, category: null },
    ]);
    expect(events[0]).toMatchObject({
      messageKey: '0f2d7a6c-1111-4a11-9b55-000000000001',
      recipientDomain: 'fabrikam.it',
      ip: '203.0.113.10',
    });
  });

  it('Graph trace detail: `description` for Detail, LED codes, inner replies, continuation lines', async () => {
    const { summary, events } = await readAll(fixture('graph-trace-detail.csv'));
    expect(summary.family).toBe('trace-detail');
    expect(events.map(pick)).toEqual([
      { time: '2023-03-07T18:40:01.123Z', recipient: '', outcome: 'other', code: null, category: null },
      {
        time: '2023-03-07T18:46:06.378Z',
        recipient: 'user@partner.example',
        outcome: 'deferred',
        code: '4.4.317',
        category: 'remote-server',
      },
      {
        time: '2023-03-08T18:47:00.000Z',
        recipient: 'user@partner.example',
        outcome: 'expired',
        code: '5.4.317',
        category: 'remote-server',
      },
      { time: '2023-03-07T19:00:00.000Z', recipient: 'nobody@contoso.com', outcome: 'failed', code: '5.1.10', category: 'recipient' },
      { time: '2023-03-07T19:05:00.000Z', recipient: 'someone@gmail.com', outcome: 'failed', code: '5.7.26', category: 'authentication' },
      { time: '2023-03-07T19:06:00.000Z', recipient: 'other@partner.example', outcome: 'delivered', code: null, category: null },
    ]);
    expect(events[1]).toMatchObject({
      innerReply: '451 4.4.0 TLS negotiation failed with error SocketError',
      server: 'mx.partner.example',
      ip: '203.0.113.44',
      replyCode: '450',
    });
    expect(events[2]!.innerReply).toBe('451 5.7.3 STARTTLS is required to send mail');
    expect(events[4]).toMatchObject({ server: 'gmail-smtp-in.l.google.com', ip: '74.125.142.27' });
  });

  it('EAC enhanced summary in UTF-16LE without BOM: one event per recipient, blank trailer ignored', async () => {
    const { summary, events } = await readAll(fixture('eac-enhanced-summary-utf16le.csv'));
    expect(summary).toMatchObject({ family: 'eac-enhanced-summary', encoding: 'utf-16le-nobom', rows: 3, rejectedRows: { count: 0 } });
    expect(events.map((e) => [e.recipient, e.outcome, e.direction])).toEqual([
      ['anna@contoso.com', 'delivered', 'inbound'],
      ['luca@contoso.com', 'failed', 'inbound'],
      ['ceo@northwindtraders.com', 'delivered', 'outbound'],
      ['anna@contoso.com', 'filtered', 'inbound'],
    ]);
    expect(events[2]!.connector).toBe('Outbound to partners');
  });

  it('EAC extended report: parallel lists split at bracket depth 0', async () => {
    const { events } = await readAll(fixture('eac-extended.csv'));
    expect(events.map((e) => [e.event, e.recipient, e.outcome, e.code])).toEqual([
      ['RECEIVE', '', 'other', null], // one per recipient, nothing decoded
      ['RECEIVE', '', 'other', null],
      ['DEFER', 'a@fabrikam.com', 'deferred', '4.4.316'],
      ['DEFER', 'b@fabrikam.com', 'deferred', '4.4.316'],
      ['FAIL', 'a@fabrikam.com', 'expired', '5.4.316'],
      ['SENDEXTERNAL', 'b@fabrikam.com', 'delivered', null],
    ]);
    expect(events[2]).toMatchObject({
      connector: 'Outbound to on-premises',
      server: 'mail.contoso.com',
      ip: '198.51.100.25',
      messageKey: '7c000000-0000-0000-0000-000000000001',
    });
    expect(events[3]).toMatchObject({ server: 'mail.contoso.com', ip: '198.51.100.25' }); // from the server columns
  });

  it('Exchange 2010 tracking log (26 fields, BOM): DROP is filtered, HAREDIRECTFAIL is other, 550 4.4.7 expired', async () => {
    const { summary, events } = await readAll(fixture('MSGTRK20261120-1.LOG'));
    expect(summary).toMatchObject({ family: 'onprem-tracking-log', encoding: 'utf-8-bom' });
    expect(events.map((e) => [e.event, e.outcome, e.code, e.category])).toEqual([
      ['RECEIVE', 'other', null, null],
      ['FAIL', 'failed', '5.7.1', 'policy'],
      ['DROP', 'filtered', '4.3.2', 'policy'],
      ['HAREDIRECTFAIL', 'other', null, null],
      ['DEFER', 'deferred', '4.4.1', 'network-timeout'],
      ['FAIL', 'expired', '4.4.7', 'remote-server'],
    ]);
    // The receiving server is a destination; our own server, which wrote the entry (EX2010), is not (issue 12, 10).
    expect(events.filter((e) => e.outcome !== 'other').map((e) => [e.event, e.server, e.ip])).toEqual([
      ['FAIL', 'mx1.fabrikam.com', '203.0.113.10'],
      ['DROP', null, null],
      ['DEFER', null, null],
      ['FAIL', null, null],
    ]);
  });

  it("pairs each recipient with its own status when a status's text holds the list's separator", async () => {
    // The fixture's header, then rows of two recipients: plain statuses with `;` in their text,
    // LED blocks, and Get-MessageTrackingLog's `,`-separated form with `,` in a status.
    const header = fixture('MSGTRK20261120-1.LOG').toString('utf8').split('\n').slice(0, 5).join('\n');
    const row = (recipients: string, statuses: string) =>
      `2026-11-21T13:08:00.000Z,,,,EX2010,,,SMTP,FAIL,104,<l4@contoso.com>,${recipients},"${statuses}",900,2,,,Hello,boss@contoso.com,boss@contoso.com,,Originating,,,,`;
    const text = [
      header,
      row(
        'a@northwindtraders.com;b@fabrikam.com',
        '550 4.4.7 QUEUE.Expired; message expired;550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found',
      ),
      row(
        'c@northwindtraders.com;d@fabrikam.com',
        '{[{LED=550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found};{MSG=};{FQDN=};{IP=};{LRT=}]};{[{LED=550 5.2.2 mailbox full};{MSG=};{FQDN=};{IP=};{LRT=}]}',
      ),
      row('e@northwindtraders.com;f@fabrikam.com', '550 5.4.317 Message expired, cannot connect to remote server, 550 5.2.2 mailbox full'),
      // A "(" that nothing closes is text, not the start of a nesting that would swallow the other statuses.
      row(
        'h@northwindtraders.com;i@fabrikam.com;j@fabrikam.com',
        '550 5.7.1 Message rejected (see https://contoso.com/policy;550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found;550 5.2.2 mailbox full',
      ),
      row('g@fabrikam.com', '550 4.4.7 QUEUE.Expired; message expired'),
    ].join('\n');
    const { events } = await readAll(utf8(text + '\n'), { now: Date.parse('2026-11-22T00:00:00Z') });
    expect(events.map((e) => [e.recipient, e.outcome, e.code, e.statusText])).toEqual([
      ['a@northwindtraders.com', 'expired', '4.4.7', '550 4.4.7 QUEUE.Expired; message expired'],
      ['b@fabrikam.com', 'failed', '5.1.1', '550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found'],
      [
        'c@northwindtraders.com',
        'failed',
        '5.1.1',
        '{[{LED=550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found};{MSG=};{FQDN=};{IP=};{LRT=}]}',
      ],
      ['d@fabrikam.com', 'failed', '5.2.2', '{[{LED=550 5.2.2 mailbox full};{MSG=};{FQDN=};{IP=};{LRT=}]}'],
      ['e@northwindtraders.com', 'expired', '5.4.317', '550 5.4.317 Message expired, cannot connect to remote server'],
      ['f@fabrikam.com', 'failed', '5.2.2', '550 5.2.2 mailbox full'],
      ['h@northwindtraders.com', 'failed', '5.7.1', '550 5.7.1 Message rejected (see https://contoso.com/policy'],
      ['i@fabrikam.com', 'failed', '5.1.1', '550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found'],
      ['j@fabrikam.com', 'failed', '5.2.2', '550 5.2.2 mailbox full'],
      // One recipient: the whole status, not its text up to the first `;`.
      ['g@fabrikam.com', 'expired', '4.4.7', '550 4.4.7 QUEUE.Expired; message expired'],
    ]);
  });

  it('Get-MessageTrackingLog | Export-Csv: braces unwrapped, local time shifted by --tz', async () => {
    const utc = await readAll(fixture('tracking-log-export.csv'));
    expect(utc.events.map((e) => [e.event, e.recipient, e.outcome])).toEqual([
      ['RECEIVE', '', 'other'],
      ['RECEIVE', '', 'other'],
      ['FAIL', 'a@fabrikam.com', 'failed'],
      ['SENDEXTERNAL', 'b@fabrikam.com', 'delivered'],
    ]);
    expect(utc.summary.warnings.join(' ')).toMatch(/local time/);
    const rome = await readAll(fixture('tracking-log-export.csv'), { dates: { timeZone: 'Europe/Rome' } });
    expect(new Date(rome.events[0]!.time).toISOString()).toBe('2026-11-20T14:46:03.000Z');
    expect(rome.summary.warnings.join(' ')).not.toMatch(/local time/);
  });
});

describe('header recognition', () => {
  const body = '"4/6/2021 2:46:03 PM","a@x.com","Delivered"\r\n';
  it('matches names case-insensitively, with BOM, stray quotes and spaces stripped, in any order', async () => {
    for (const header of [
      '"RECEIVED","recipientaddress","status"',
      '\uFEFF Received ,"RecipientAddress" ,Status',
      'receivedDateTime,recipientAddress,status',
    ]) {
      const { summary, events } = await readAll(utf8(`${header}\r\n${body}`));
      expect(summary.family).toBe('trace-summary');
      expect(events[0]!.outcome).toBe('delivered');
    }
    const reordered = await readAll(utf8('"Status","Received","RecipientAddress"\r\n"Failed","4/6/2021 2:46:03 PM","a@x.com"\r\n'));
    expect(reordered.events[0]!.outcome).toBe('failed');
  });

  it('accepts the remote-PowerShell columns in front', async () => {
    const { summary } = await readAll(
      utf8('"PSComputerName","RunspaceId","PSShowComputerName","Received","RecipientAddress","Status"\r\n"x","y","False",' + body),
    );
    expect(summary.family).toBe('trace-summary');
  });

  it('tells a detail export from a summary by its Event and Detail columns', async () => {
    const { summary } = await readAll(utf8('"Date","Event","Detail","RecipientAddress","Status"\r\n'));
    expect(summary.family).toBe('trace-detail');
  });

  it('rejects a header missing a required column', async () => {
    expect(await errorOf(readAll(utf8('"Received","Status"\r\n')))).toMatchObject({ code: 'UNRECOGNIZED_HEADER' });
  });
});

describe('dates', () => {
  it('reads ISO-8601 with 7-digit fractions and zones, US, day-first and dotted forms', () => {
    const d = new DateReader();
    expect(d.parse('2023-03-07T18:46:06.3781234Z')).toBe(Date.UTC(2023, 2, 7, 18, 46, 6, 378));
    expect(d.parse('2023-03-07T20:46:06+02:00')).toBe(Date.UTC(2023, 2, 7, 18, 46, 6));
    expect(d.parse('2022-09-05T18:10:13.4907658')).toBe(Date.UTC(2022, 8, 5, 18, 10, 13, 490));
    expect(d.parse('28.10.2023 20:18:34')).toBe(Date.UTC(2023, 9, 28, 20, 18, 34));
    expect(d.parse('4/6/2021 2:46:03 PM')).toBe(Date.UTC(2021, 3, 6, 14, 46, 3));
    expect(d.parse('4/6/2021 12:05:00 AM')).toBe(Date.UTC(2021, 3, 6, 0, 5, 0));
    expect(new DateReader({ order: 'dmy' }).parse('28/10/2023 20:18:34')).toBe(Date.UTC(2023, 9, 28, 20, 18, 34));
    expect(d.parse('31/02/2023 10:00:00')).toBeNaN();
    expect(d.parse('yesterday')).toBeNaN();
  });

  it('learns day-first from a value over 12 and holds earlier ambiguous rows until then', async () => {
    const text =
      '"Received","RecipientAddress","Status"\r\n"03/04/2026 10:00:00","a@x.com","Delivered"\r\n"25/04/2026 10:00:00","b@x.com","Delivered"\r\n';
    const { summary, events } = await readAll(utf8(text));
    expect(events.map((e) => new Date(e.time).toISOString())).toEqual(['2026-04-03T10:00:00.000Z', '2026-04-25T10:00:00.000Z']);
    expect(summary.warnings).toEqual([expect.stringContaining('no message id column')]); // and no date warning
  });

  it('warns when the order stayed ambiguous, and obeys an override', async () => {
    const text = '"Received","RecipientAddress","Status"\r\n"03/04/2026 10:00:00","a@x.com","Delivered"\r\n';
    const us = await readAll(utf8(text));
    expect(new Date(us.events[0]!.time).toISOString()).toBe('2026-03-04T10:00:00.000Z');
    expect(us.summary.warnings.join(' ')).toMatch(/ambiguous.*--date-order dmy/);
    const dmy = await readAll(utf8(text), { dates: { order: 'dmy' } });
    expect(new Date(dmy.events[0]!.time).toISOString()).toBe('2026-04-03T10:00:00.000Z');
    expect(dmy.summary.warnings).toEqual([expect.stringContaining('no message id column')]); // and no date warning
  });

  it('applies a fixed offset or an IANA zone to values written without one', () => {
    expect(new DateReader({ timeZone: '+02:00' }).parse('2026-07-01T12:00:00')).toBe(Date.UTC(2026, 6, 1, 10));
    expect(new DateReader({ timeZone: 'Europe/Rome' }).parse('2026-07-01T12:00:00')).toBe(Date.UTC(2026, 6, 1, 10)); // CEST
    expect(new DateReader({ timeZone: 'Europe/Rome' }).parse('2026-01-15T12:00:00')).toBe(Date.UTC(2026, 0, 15, 11)); // CET
    expect(new DateReader({ timeZone: 'Europe/Rome' }).parse('2026-01-15T12:00:00Z')).toBe(Date.UTC(2026, 0, 15, 12)); // explicit zone wins
    expect(() => new DateReader({ timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });
});
