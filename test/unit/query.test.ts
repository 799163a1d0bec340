import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../functions/core/query/csv-out.ts';
import { parseWhere, queryStore } from '../../functions/core/query/query.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { runCli } from '../helpers/io.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTime } from '../../functions/cli/command.ts';
import { createFsStore } from '../../functions/adapters/fs-store.ts';

const HEAD = '"Date","Event","Detail","MessageTraceId","RecipientAddress","SenderAddress"\r\n';
const led = (reply: string, code: string, text: string, server = 'mail.contoso.com') =>
  `Reason: [{LED=${reply} ${code} ${text} [LastAttemptedServerName=${server}]};{MSG=};{FQDN=};{IP=};{LRT=}]`;
const row = (date: string, event: string, detail: string, id: string, rcpt: string) =>
  `"${date}","${event}","${detail}","${id}","${rcpt}","s@contoso.com"\r\n`;

// Tenant a: m1 deferred twice at 10:xx then expired at 11:10; m2 deferred once; m3 delivered; m4 failed.
const A =
  HEAD +
  row('2026-11-20T10:05:00Z', 'Defer', led('450', '4.4.316', 'Connection refused'), 'm1', 'r1@fabrikam.com') +
  row('2026-11-20T10:20:00Z', 'Defer', led('450', '4.4.316', 'Connection refused'), 'm1', 'r1@fabrikam.com') +
  row('2026-11-20T10:30:00Z', 'Defer', led('450', '4.4.316', 'Connection refused'), 'm2', 'r2@fabrikam.com') +
  row('2026-11-20T11:10:00Z', 'Fail', led('550', '5.4.316', 'Message expired, connection refused'), 'm1', 'r1@fabrikam.com') +
  row('2026-11-20T11:15:00Z', 'Deliver', 'The message was successfully delivered.', 'm3', 'r3@contoso.com') +
  row(
    '2026-11-20T11:40:00Z',
    'Fail',
    led('550', '5.1.10', 'RESOLVER.ADR.RecipientNotFound', 'mx.tailspintoys.com'),
    'm4',
    'r4@tailspintoys.com',
  );
// Tenant b: one deferral at 12:00.
const B =
  HEAD +
  row(
    '2026-11-20T12:00:00Z',
    'Defer',
    led('450', '4.4.317', 'Cannot connect to remote server', 'gmail-smtp-in.l.google.com'),
    'm5',
    'r5@gmail.com',
  );

async function fixtureStore() {
  const store = createMemoryStore();
  await ingestBytes(store, 'a.csv', utf8(A), { tenant: 'a' });
  await ingestBytes(store, 'b.csv', utf8(B), { tenant: 'b' });
  return store;
}

describe('queryStore against hand-computed expectations', () => {
  it('groups by outcome and code (the default), largest first', async () => {
    expect(await queryStore(await fixtureStore(), { by: ['outcome', 'code'] })).toEqual([
      { outcome: 'deferred', code: '4.4.316', events: 3, messages: 2 },
      { outcome: 'deferred', code: '4.4.317', events: 1, messages: 1 },
      { outcome: 'delivered', code: null, events: 1, messages: 1 },
      { outcome: 'expired', code: '5.4.316', events: 1, messages: 1 },
      { outcome: 'failed', code: '5.1.10', events: 1, messages: 1 },
    ]);
  });

  it('groups by hour, day and tenant', async () => {
    const store = await fixtureStore();
    expect(await queryStore(store, { by: ['hour'] })).toEqual([
      { hour: '2026-11-20T10:00:00Z', events: 3, messages: 2 },
      { hour: '2026-11-20T11:00:00Z', events: 3, messages: 3 },
      { hour: '2026-11-20T12:00:00Z', events: 1, messages: 1 },
    ]);
    expect(await queryStore(store, { by: ['tenant', 'day'] })).toEqual([
      { tenant: 'a', day: '2026-11-20', events: 6, messages: 5 },
      { tenant: 'b', day: '2026-11-20', events: 1, messages: 1 },
    ]);
  });

  it('runs in time order when grouped by hour or day (--sort events to rank instead); sort=time needs a time field', async () => {
    const store = createMemoryStore();
    let text = HEAD + row('2026-11-20T10:05:00Z', 'Defer', led('450', '4.4.316', 'Connection refused'), 'x0', 'r0@fabrikam.com');
    for (let i = 1; i <= 3; i++)
      text += row(`2026-11-20T11:0${i}:00Z`, 'Defer', led('450', '4.4.316', 'Connection refused'), `x${i}`, `r${i}@fabrikam.com`);
    await ingestBytes(store, 'start.csv', utf8(text));
    const hours = (rows: Array<{ hour?: string | null }>) => rows.map((r) => r.hour);
    expect(hours(await queryStore(store, { by: ['hour'] }))).toEqual(['2026-11-20T10:00:00Z', '2026-11-20T11:00:00Z']);
    expect(hours(await queryStore(store, { by: ['hour'], sort: 'events' }))).toEqual(['2026-11-20T11:00:00Z', '2026-11-20T10:00:00Z']);
    await expect(queryStore(store, { by: ['code'], sort: 'time' })).rejects.toMatchObject({ code: 'BAD_SORT' });
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-sort-'));
    await ingestBytes(createFsStore({ root: dir }), 'start.csv', utf8(text));
    expect(await runCli(['query', '--data-dir', dir, '--by', 'hour', '--sort', 'size'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('sort must be time or events, not "size"'),
    });
    const table = (await runCli(['query', '--data-dir', dir, '--by', 'hour'])).stdout.split('\n');
    expect(table.slice(2, 4).map((l) => l.split(' ')[0])).toEqual(['2026-11-20T10:00:00Z', '2026-11-20T11:00:00Z']);
  });

  it('filters: values of one field OR-ed, fields AND-ed; tenant and time range; top N', async () => {
    const store = await fixtureStore();
    const where = parseWhere(['outcome=failed,expired', 'domain=fabrikam.com']);
    expect(await queryStore(store, { by: ['code', 'destination'], where })).toEqual([
      { code: '5.4.316', destination: 'mail.contoso.com', events: 1, messages: 1 },
    ]);
    expect(await queryStore(store, { by: ['category', 'owner'], where: parseWhere(['code=4.4.316', 'code=4.4.317']) })).toEqual([
      { category: 'connection-refused', owner: 'our-servers', events: 3, messages: 2 },
      { category: 'remote-server', owner: 'our-servers', events: 1, messages: 1 },
    ]);
    expect(await queryStore(store, { by: ['destination'], where: { outcome: ['deferred'] }, tenants: ['a'] })).toEqual([
      { destination: 'mail.contoso.com', events: 3, messages: 2 },
    ]);
    const range = { from: Date.parse('2026-11-20T11:00:00Z'), to: Date.parse('2026-11-20T12:00:00Z') };
    expect(await queryStore(store, { by: ['outcome'], ...range, tenants: ['a', 'b'] })).toEqual([
      { outcome: 'delivered', events: 1, messages: 1 },
      { outcome: 'expired', events: 1, messages: 1 },
      { outcome: 'failed', events: 1, messages: 1 },
    ]);
    expect(await queryStore(store, { by: ['outcome', 'code'], top: 2 })).toHaveLength(2);
  });

  it('reads time arguments: dates, times, and ages', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(parseTime('2026-11-20', now, 'from')).toBe(Date.parse('2026-11-20T00:00:00Z'));
    expect(parseTime('2026-11-20', now, 'to')).toBe(Date.parse('2026-11-21T00:00:00Z'));
    expect(parseTime('2026-11-20T10:30', now, 'from')).toBe(Date.parse('2026-11-20T10:30:00Z'));
    expect(parseTime('24h', now, 'from')).toBe(Date.parse('2026-11-26T12:00:00Z'));
    expect(() => parseTime('last tuesday', now, 'from')).toThrow(/not a date/);
  });
});

describe('CSV output: no formula injection (O29)', () => {
  it('prefixes every dangerous text cell with a quote, never a count', () => {
    const dangerous = ['=1+1', '+1', '-1+A1', '@SUM(1)', '\t=1', '\r=1', '＝1', '＋1', '－1', '＠1'];
    for (const d of dangerous) expect(csvCell(d).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(12)).toBe('12');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('4.4.316')).toBe('4.4.316');
  });

  it('guards after every character a locale splits on: Italian, German or French Excel read ; as the separator (issue 16, 7)', () => {
    expect(csvCell("x;=cmd|' /C calc'!A0")).toBe(`"x;'=cmd|' /C calc'!A0"`);
    expect(csvCell('a,+1')).toBe(`"a,'+1"`);
    expect(csvCell('a;b')).toBe('"a;b"'); // quoted, so no Excel splits it
    expect(csvCell('\u0001=cmd')).toBe("'=cmd"); // a control character cannot hide the formula
    expect(csvCell('mx\u001b[2J.example\u202e')).toBe('mx[2J.example');
  });

  it('round-trips through RFC 4180 quoting', async () => {
    const { parse } = await import('csv-parse/sync');
    const rows = [{ connector: '=HYPERLINK("http://evil")', domain: 'a,b', events: 3, messages: 1 }];
    const parsed = parse(toCsv(rows, ['connector', 'domain', 'events', 'messages']), { columns: true });
    expect(parsed).toEqual([{ connector: `'=HYPERLINK("http://evil")`, domain: 'a,b', events: '3', messages: '1' }]);
  });

  it('keeps a connector name from an export from becoming a formula in `mailflow query --format csv`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-q-'));
    const file = join(dir, 'ext.csv');
    writeFileSync(
      file,
      'date_time_utc,event_id,recipient_address,recipient_status,connector_id,network_message_id\r\n2026-11-20T10:00:00Z,DEFER,a@x.com,"[{LED=450 4.4.316 Connection refused}]","=HYPERLINK(""http://evil"")",n1\r\n',
    );
    expect((await runCli(['ingest', '--data-dir', join(dir, 'data'), file])).code).toBe(0);
    const out = await runCli(['query', '--data-dir', join(dir, 'data'), '--by', 'connector', '--format', 'csv']);
    expect(out.stdout).toBe(`connector,events,messages\r\n"'=HYPERLINK(""http://evil"")",1,1\r\n`);
  });
});
