import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashPair } from '../../functions/core/vocabulary/hash64.ts';
import type { DeliveryEvent } from '../../functions/core/classify/types.ts';
import type { OutputEncoding } from '../../functions/core/generate/render.ts';
import { readExport, type ExportSummary } from '../../functions/core/read/read-export.ts';
import { chunked, generated } from '../helpers/bytes.ts';

/**
 * Rows of a message trace detail that say nothing about a failure are read straight from their
 * bytes when the caller only counts (`hashedEvents`, as ingestion does): formats/quick-detail.ts.
 * What counting reads of each event, and the file's summary, must be what the mapper makes of the
 * same rows. Rows are drawn to sit on every edge the quick reader hands back to the mapper.
 */

const NOW = Date.parse('2027-01-01T00:00:00Z');

/** What counting reads of an event (rollup.ts, deferrals, aliases, the summary), with its message hash. */
function counted(e: DeliveryEvent, messageHash?: Uint32Array) {
  const h = new Uint32Array(2);
  if (messageHash) h.set(messageHash);
  else hashPair(e.messageKey, e.recipient, h);
  const { time, outcome, code, category, owner, connector, server, ip, recipientDomain, namedTogether, line } = e;
  return {
    time,
    outcome,
    code,
    category,
    owner,
    connector,
    server,
    ip,
    recipientDomain,
    namedTogether,
    line,
    // `other` events are not counted: their hash is never read.
    hash: outcome === 'other' ? null : [h[0], h[1]],
  };
}

async function read(bytes: Uint8Array, hashedEvents: boolean, sizes: number[], order?: 'mdy' | 'dmy') {
  const events: ReturnType<typeof counted>[] = [];
  let quick = 0;
  const summary: ExportSummary = await readExport(
    chunked(bytes, sizes),
    { now: NOW, hashedEvents, ...(order ? { dates: { order } } : {}) },
    (e, h) => {
      if (h) quick++;
      events.push(counted(e, h));
    },
  );
  return { summary, events, quick };
}

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
/** Plain values half the time, so that most rows can be read quick and the edges sit among them. */
const mostly = <T>(plain: readonly T[], edges: readonly T[]) => fc.oneof(pick(plain), pick([...plain, ...edges]));
const LONG = 'x'.repeat(330);

const DATES = [
  '6/1/2026 12:00:04 AM',
  '6/1/2026 1:15:00 PM',
  ' 6/2/2026 11:59:59 PM ',
  '13/06/2026 10:00:00',
  '2026-06-01T10:00:00Z',
  '2026-06-01T10:00:00.1234567Z',
  '2026-06-01T10:00:00+02:00',
  '2026-06-01 10:00',
  '1990-01-01T00:00:00Z',
  '2031-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  'yesterday',
  '',
];
const EVENTS = ['Receive', 'Send', 'Deliver', 'DELIVER', ' deliver ', 'Defer', 'Fail', 'Expand', 'Drop', 'send', 'Délivrer', '', 'Submit'];
const DETAILS = [
  'Message received by: X',
  'LED=450 4.4.316 Connection refused [Message=x] [LastAttemptedServerName=mx.example.com] [LastAttemptedIP=203.0.113.9:25]',
  'The message was delivered',
  '',
];
const SENDERS = ['a@contoso.com', '', 'ß@contoso.com'];
const RECIPIENTS = [
  'User@Contoso.COM',
  'b@example.org',
  ' c@Example.org ',
  'Name <d@example.com>',
  'ü@example.com',
  'e@bücher.de',
  'noat',
  '',
  '@',
  `${LONG}@example.com`,
  'f@EXAMPLE.ORG',
];
const TRACE_IDS = ['6f1d2c3b-0000-4000-8000-000000000001', 'F5B29ECE-A9AC-4C83-2A3D-DB9FFCD3B1B6', '', ' g-1 ', 'é-1', 'x'.repeat(1000)];
const MESSAGE_IDS = ['<cf51b716d114.0@contoso.com>', '', '<ü@x>'];
const TO_IPS = ['', '203.0.113.5', ' '];

interface Columns {
  traceId: boolean;
  toIp: boolean;
}

type Row = typeof row extends fc.Arbitrary<infer R> ? R : never;

const row = fc.record({
  date: mostly(['2026-06-01T10:00:00Z', '6/1/2026 1:15:00 PM'], DATES),
  event: mostly(['Receive', 'Send', 'Deliver'], EVENTS),
  detail: pick(DETAILS),
  sender: pick(SENDERS),
  recipient: mostly(RECIPIENTS.slice(0, 2), RECIPIENTS),
  traceId: mostly(TRACE_IDS.slice(0, 2), TRACE_IDS),
  messageId: pick(MESSAGE_IDS),
  toIp: mostly([''], TO_IPS),
  /** A field written with a doubled quote in it, or one field too few. */
  quirk: fc.constantFrom('none', 'none', 'none', 'quote', 'short'),
});

function render(cols: Columns, rows: ReadonlyArray<Row>): Uint8Array {
  const names = [
    'Date',
    'Event',
    'Detail',
    'SenderAddress',
    'RecipientAddress',
    ...(cols.traceId ? ['MessageTraceId'] : []),
    'MessageId',
    ...(cols.toIp ? ['ToIP'] : []),
  ];
  const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
  const lines = [names.map(q).join(',')];
  for (const r of rows) {
    const fields = [
      r.date,
      r.event,
      r.detail,
      r.sender,
      r.recipient,
      ...(cols.traceId ? [r.traceId] : []),
      r.messageId,
      ...(cols.toIp ? [r.toIp] : []),
    ];
    if (r.quirk === 'quote') fields[cols.traceId ? 5 : 4] = `"${fields[cols.traceId ? 5 : 4]}"`;
    if (r.quirk === 'short') fields.pop();
    lines.push(fields.map(q).join(','));
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

describe('rows read from their bytes count as the mapper reads them', () => {
  it('drawn rows on every edge: the same events, hashes and summary (400 runs)', async () => {
    let quick = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ traceId: fc.boolean(), toIp: fc.boolean() }),
        fc.array(row, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(undefined, 'mdy' as const, 'dmy' as const),
        async (cols, rows, sizes, order) => {
          const bytes = render(cols, rows);
          const slow = await read(bytes, false, sizes, order);
          const fast = await read(bytes, true, sizes, order);
          expect(slow.quick).toBe(0);
          expect(fast.summary).toEqual(slow.summary);
          expect(fast.events).toEqual(slow.events);
          quick += fast.quick;
        },
      ),
      { numRuns: 400 },
    );
    // The property holds because the quick reader ran, not because it never did.
    expect(quick).toBeGreaterThan(400);
  });

  it('generated exports in every encoding, plain and gzip: the same, and most delivered events come quick (60 runs)', async () => {
    const encodings: OutputEncoding[] = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be'];
    await fc.assert(
      fc.asyncProperty(
        pick(encodings),
        fc.boolean(),
        fc.integer({ min: 20, max: 300 }),
        fc.integer({ min: 0, max: 1000 }),
        async (encoding, gzip, rows, seed) => {
          const bytes = generated({ family: 'trace-detail', rows, seed }, encoding, gzip);
          const slow = await read(bytes, false, [65536]);
          const fast = await read(bytes, true, [4096, 77]);
          expect(fast.summary).toEqual(slow.summary);
          expect(fast.events).toEqual(slow.events);
          const delivered = slow.events.filter((e) => e.outcome === 'delivered').length;
          expect(fast.quick).toBeGreaterThanOrEqual(delivered);
        },
      ),
      { numRuns: 60 },
    );
  });
});
