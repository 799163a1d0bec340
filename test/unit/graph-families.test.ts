import { describe, expect, it } from 'vitest';
import { MAX_PAGE_BYTES } from '../../functions/core/read/read-graph.ts';
import { errorOf, generated, readAll, utf8 } from '../helpers/bytes.ts';

/**
 * Issue 14 (1): Microsoft Graph's message trace as files. A messageTraces page exactly as Graph
 * returns it (compact, as Invoke-MgGraphRequest -OutputFilePath saves it, or indented, as Graph
 * Explorer shows it), and detail events as JSON lines with the trace id and recipient each
 * detail call was made for.
 */
const page = (value: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#admin/exchange/tracing/messageTraces', value, ...extra });
const trace = (id: string, status: string, at = '2026-11-20T10:15:00Z') => ({
  id,
  messageId: `<${id}@contoso.com>`,
  receivedDateTime: at,
  senderAddress: 'adele@contoso.com',
  recipientAddress: `${id}@fabrikam.com`,
  subject: 'Hello',
  size: 2048,
  status,
  fromIP: '10.0.0.5',
  toIP: '198.51.100.25',
});
const detail = (id: string, event: string, description: string, at = '2026-11-20T10:16:00Z') => ({
  messageTraceId: id,
  recipientAddress: `${id}@fabrikam.com`,
  dateTime: at,
  event,
  action: '',
  description,
  data: '',
});
const lines = (...objects: unknown[]) => objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n') + '\n';

describe('Graph messageTraces pages', () => {
  it('reads a compact page and the same page indented (and newest first) to the same events', async () => {
    const compact = generated({ family: 'graph-trace', rows: 400, seed: 3 });
    const indented = utf8(JSON.stringify(JSON.parse(Buffer.from(compact).toString()), null, 2));
    const a = await readAll(compact);
    const b = await readAll(indented, {}, [100]);
    expect(a.summary.family).toBe('graph-trace');
    expect(a.summary.rows).toBe(400);
    expect(a.summary.columnsUsed).toEqual(['receivedDateTime', 'recipientAddress', 'senderAddress', 'status', 'id', 'messageId', 'toIP']);
    expect(b.events).toEqual(a.events);
    expect(a.events.map((e) => e.outcome)).toContain('failed');
    expect(a.events.map((e) => e.outcome)).toContain('filtered');
  });

  it("maps Graph's status enum: pending is deferred, filteredAsSpam and quarantined filtered, gettingStatus and expanded not an outcome", async () => {
    const statuses = ['delivered', 'failed', 'pending', 'filteredAsSpam', 'quarantined', 'gettingStatus', 'expanded', 'recalled'];
    const { events } = await readAll(utf8(page(statuses.map((s, i) => trace(`m${i}`, s)))));
    expect(events.map((e) => e.outcome)).toEqual(['delivered', 'failed', 'deferred', 'filtered', 'filtered', 'other', 'other', 'other']);
    expect(events[0]).toMatchObject({
      messageKey: 'm0',
      recipient: 'm0@fabrikam.com',
      ip: '198.51.100.25',
      time: Date.parse('2026-11-20T10:15:00Z'),
    });
  });

  it('says when the page has a next one, rejects rows that are not traces by their place in "value", and keeps the others', async () => {
    const { summary, events } = await readAll(
      utf8(
        page([trace('a', 'delivered'), 'not a row', { ...trace('b', 'failed'), recipientAddress: { x: 1 } }, trace('c', 'failed')], {
          '@odata.nextLink': 'https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces?$skiptoken=x',
        }),
      ),
    );
    expect(events.map((e) => e.messageKey)).toEqual(['a', 'c']);
    expect(summary.rejectedRows.samples).toEqual([
      { line: 2, reason: 'value[1]: expected a JSON object (one message trace), found a string' },
      { line: 3, reason: 'value[2]: "recipientAddress" should be text, is an object' },
    ]);
    expect(summary.warnings.join(' ')).toContain('this page has a next one (@odata.nextLink)');
  });

  it('an empty page is read (no rows), not an empty file', async () => {
    const { summary } = await readAll(utf8(page([])));
    expect(summary).toMatchObject({ family: 'graph-trace', rows: 0, empty: false });
  });

  it('refuses JSON that is not a trace, broken JSON, a second document after the page, and a page past the cap', async () => {
    expect(await errorOf(readAll(utf8('{"name":"x"}\n')))).toMatchObject({
      code: 'UNRECOGNIZED_JSON',
      message: expect.stringContaining('fields: name'),
    });
    expect(await errorOf(readAll(utf8('{\n  "value": [\n')))).toMatchObject({ code: 'BAD_JSON' });
    expect(await errorOf(readAll(utf8(`${page([])}\n${page([])}\n`)))).toMatchObject({
      code: 'BAD_JSON',
      message: expect.stringContaining('one page per file'),
    });
    // Nested brackets (millions of objects once parsed) are refused before parsing.
    for (const end of ['', '\n'])
      expect(await errorOf(readAll(utf8(`{"value":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}${end}`)))).toMatchObject({
        code: 'BAD_JSON',
        message: expect.stringContaining('nested deeper than 32 levels'),
      });
    const huge = utf8(`{\n"value": [${' '.repeat(MAX_PAGE_BYTES + 10)}]}`);
    expect(await errorOf(readAll(huge, {}, [1 << 20]))).toMatchObject({ code: 'JSON_PAGE_TOO_LARGE' });
  });
});

describe('Graph detail events (JSON lines)', () => {
  it('reads codes from description, as the CSV detail export reads Detail', async () => {
    const { summary, events } = await readAll(
      utf8(
        lines(
          detail('a', 'Receive', 'Message received by: DM6PR.prod.outlook.com'),
          detail(
            'a',
            'Defer',
            'Reason: [{LED=450 4.4.316 Connection refused [Message=Socket error code 10061] [LastAttemptedServerName=mail.fabrikam.com] [LastAttemptedIP=203.0.113.7:25]}]',
          ),
          detail('a', 'Fail', 'Reason: [{LED=550 5.4.316 Message expired, connection refused}]', '2026-11-21T10:16:00Z'),
        ),
      ),
    );
    expect(summary.family).toBe('graph-detail');
    expect(summary.delimiter).toBeNull();
    expect(events.map((e) => [e.outcome, e.code, e.server])).toEqual([
      ['other', null, null],
      ['deferred', '4.4.316', 'mail.fabrikam.com'],
      ['expired', '5.4.316', null],
    ]);
  });

  it('rejects a bad line with its line number and reads on: broken JSON, a missing recipient, a line over the record cap', async () => {
    const text = lines(
      detail('a', 'Deliver', 'The message was delivered.'),
      '{"messageTraceId": "b", "dateTime"',
      { ...detail('c', 'Fail', 'Reason: [{LED=550 5.1.1 not found}]'), recipientAddress: '' },
      detail('d', 'Fail', 'x'.repeat(3000)),
      '',
      detail('e', 'Deliver', 'The message was delivered.'),
    );
    // In small chunks (the long line spans several) and in one (it arrives whole): the same.
    for (const sizes of [[64], undefined]) {
      const { summary, events } = await readAll(utf8(text), { limits: { maxRecordBytes: 2000 } }, sizes);
      expect(events.map((e) => e.messageKey)).toEqual(['a', 'e']);
      // JSON.parse's own words differ between Node versions: only ours are compared.
      const ours = (reason: string) => (reason.startsWith('not a JSON object: ') ? 'not a JSON object' : reason.slice(0, 24));
      expect(summary.rejectedRows.samples.map((r) => [r.line, ours(r.reason)])).toEqual([
        [2, 'not a JSON object'],
        [3, 'a detail event needs "re'],
        [4, 'a line over 2000 bytes ('],
      ]);
    }
  });

  it('a first line over the record cap is read as a page however the bytes arrive: the same answer from one chunk as from many', async () => {
    const text = lines(detail('d', 'Fail', 'x'.repeat(3000)), detail('e', 'Deliver', 'The message was delivered.'));
    const answers = [];
    for (const sizes of [[64], undefined])
      answers.push(
        await errorOf(readAll(utf8(text), { limits: { maxRecordBytes: 2000 } }, sizes)).then((e) => (e as { code?: string }).code),
      );
    // Not a page, and too long to be taken for a detail event's line: the file is rejected, both ways.
    expect(answers).toEqual(['BAD_JSON', 'BAD_JSON']);
  });

  it('one detail event without a line break after it is read too', async () => {
    const { events } = await readAll(utf8(JSON.stringify(detail('a', 'Deliver', 'ok'))));
    expect(events).toHaveLength(1);
  });
});
