import type { CsvPreamble, RecordView } from '../csv/csv-reader.ts';
import { RowError, UnrecognizedFormatError } from '../errors.ts';
import { outcomeForEvent, outcomeForEventList } from './event-words.ts';
import { FAMILIES, type Direction, type FamilyId, type RawEvent } from './event.ts';
import {
  checkFieldBytes,
  checkFieldChars,
  MAX_RECIPIENTS_PER_ROW,
  STATUS_HEAD_BYTES,
  tooManyRecipients,
  type FieldKind,
} from './field-limits.ts';
import { splitStatuses, splitTopLevel, unwrapBraces } from './lists.ts';
import { quickDetail, type QuickReader } from './quick-detail.ts';

/**
 * Recognizes an export by its header and maps its rows to `RawEvent`s. Columns are found by
 * name (case-insensitive, BOM, quotes and spaces stripped, `-` read as `_`), never by position:
 * users `Select-Object` subsets in any order.
 */
export interface FamilyMapper {
  family: FamilyId;
  /** Columns this family reads, as found in the header (for `inspect`). */
  columnsUsed: string[];
  /** Warnings that follow from the header alone (e.g. local-time timestamps). */
  warnings: string[];
  map(record: RecordView, out: RawEvent[]): void;
  /** A reader of the rows that say nothing about failures straight from a CSV record's bytes (quick-detail.ts), for the families that have one. */
  quick?: () => QuickReader;
}

export function normalizeHeaderCell(cell: string): string {
  return cell
    .replace(/^\uFEFF/, '')
    .replace(/["']/g, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '_');
}

type Index = Map<string, number>;

function find(index: Index, aliases: readonly string[]): number {
  for (const a of aliases) {
    const i = index.get(a);
    if (i !== undefined) return i;
  }
  return -1;
}

const A = {
  received: ['received', 'receiveddatetime', 'date', 'datetime', 'timestamp'],
  detailTime: ['date', 'datetime', 'received', 'receiveddatetime'],
  recipient: ['recipientaddress', 'recipient', 'recipient_address'],
  sender: ['senderaddress', 'sender', 'sender_address', 'from'],
  status: ['status', 'deliverystatus'],
  traceId: ['messagetraceid'],
  messageId: ['messageid', 'message_id', 'internetmessageid'],
  detail: ['detail', 'description'],
  event: ['event'],
  toIp: ['toip'],
} as const;

/** What recognizing a header needs: the normalized column names and what came before the header. */
interface HeaderIndex {
  index: Index;
  cells: readonly string[];
  width: number;
  preamble: CsvPreamble;
  has(name: string): boolean;
}

/**
 * The export families, declared once each: the columns that identify it (shown when nothing
 * matches), the test on the header, and the mapper of its rows. Tried in this order: the more
 * specific headers first, since a tracking log also has a status and a recipient column.
 */
interface FamilyDefinition {
  id: FamilyId;
  identifiedBy: string;
  matches(h: HeaderIndex): boolean;
  mapper(h: HeaderIndex): FamilyMapper;
}

const REGISTRY: readonly FamilyDefinition[] = [
  {
    id: 'onprem-tracking-log',
    identifiedBy: '#Fields: date-time, event-id, recipient-address, recipient-status',
    matches: (h) => h.preamble.fieldsDirective && h.has('date_time') && h.has('event_id'),
    mapper: (h) => logMapper('onprem-tracking-log', h.index, h.cells, h.width, 'date_time'),
  },
  {
    id: 'eac-extended',
    identifiedBy: 'date_time_utc, event_id, recipient_address, recipient_status',
    matches: (h) => h.has('date_time_utc') && h.has('event_id') && h.has('recipient_address'),
    mapper: (h) => logMapper('eac-extended', h.index, h.cells, h.width, 'date_time_utc'),
  },
  {
    id: 'eac-enhanced-summary',
    identifiedBy: 'origin_timestamp_utc, recipient_status',
    matches: (h) => h.has('origin_timestamp_utc') || (h.has('origin_timestamp') && h.has('recipient_status')),
    mapper: (h) => enhancedSummary(h.index, h.cells, h.width),
  },
  {
    id: 'tracking-log-export',
    identifiedBy: 'Timestamp, EventId, Recipients, RecipientStatus',
    matches: (h) => h.has('timestamp') && h.has('eventid') && (h.has('recipients') || h.has('recipientstatus')),
    mapper: (h) => trackingLogExport(h.index, h.cells, h.width),
  },
  {
    id: 'trace-detail',
    identifiedBy: 'Date, Event, Detail or description',
    matches: (h) => h.has('event') && find(h.index, A.detail) >= 0 && find(h.index, A.detailTime) >= 0,
    mapper: (h) => traceDetail(h.index, h.cells, h.width),
  },
  {
    id: 'trace-summary',
    identifiedBy: 'Received, RecipientAddress, Status',
    matches: (h) => find(h.index, A.status) >= 0 && find(h.index, A.recipient) >= 0 && find(h.index, A.received) >= 0,
    mapper: (h) => traceSummary(h.index, h.cells, h.width),
  },
];

/** "Expected one of": every CSV family with its identifying columns, in the order of FAMILIES (the JSON ones are recognised before a header is looked for). */
const EXPECTED = FAMILIES.flatMap((id) => REGISTRY.filter((f) => f.id === id).map((f) => `${id} (${f.identifiedBy})`));

function headerIndex(cells: readonly string[], preamble: CsvPreamble): HeaderIndex {
  const index: Index = new Map();
  cells.map(normalizeHeaderCell).forEach((n, i) => {
    if (n && !index.has(n)) index.set(n, i);
  });
  return { index, cells, width: cells.length, preamble, has: (n) => index.has(n) };
}

/**
 * The mapper of a Graph family (formats/graph.ts), whose JSON fields are read as these columns: a
 * messageTraces row is a trace summary's, a detail event a trace detail's, so both are held to the
 * same field limits and mean the same.
 */
export function graphMapper(family: 'graph-trace' | 'graph-detail', cells: readonly string[], columnsUsed: string[]): FamilyMapper {
  const h = headerIndex(cells, { typeLine: null, directives: {}, fieldsDirective: false });
  const m = family === 'graph-trace' ? traceSummary(h.index, cells, h.width, family) : traceDetail(h.index, cells, h.width, family);
  return { ...m, columnsUsed };
}

export function recognizeHeader(cells: readonly string[], preamble: CsvPreamble): FamilyMapper {
  const header = headerIndex(cells, preamble);
  const family = REGISTRY.find((f) => f.matches(header));
  if (family) return family.mapper(header);

  const shown = cells
    .slice(0, 40)
    .map((c) => c.replace(/^\uFEFF/, '').trim())
    .join(', ');
  throw new UnrecognizedFormatError(
    'UNRECOGNIZED_HEADER',
    `the header is not a message-trace export we know. Columns found: ${shown}${cells.length > 40 ? ', …' : ''}. Expected one of: ${EXPECTED.join('; ')}`,
    { line: 1 },
  );
}

const columnName = (cells: readonly string[], i: number): string =>
  cells[i]!.replace(/^\uFEFF/, '')
    .replace(/"/g, '')
    .trim();

function used(cells: readonly string[], ...idx: number[]): string[] {
  return idx.filter((i) => i >= 0).map((i) => columnName(cells, i));
}

function checkWidth(record: RecordView, width: number): void {
  if (record.fieldCount !== width) {
    throw new RowError('FIELD_COUNT', `has ${record.fieldCount} fields where the header has ${width}`);
  }
}

type Get = (r: RecordView, i: number, kind: FieldKind) => string;

/**
 * Reads a field within its limit (field-limits.ts): its length is checked before it is decoded, so
 * no hostile value is ever copied into events; the error names the column as the header spells it.
 */
function reader(cells: readonly string[]): Get {
  // Named once per header, not per field read: this runs for every field of every row.
  const names = cells.map((_, i) => columnName(cells, i));
  return (r, i, kind) => {
    if (i < 0) return '';
    checkFieldBytes(names[i]!, r.byteLength(i), kind);
    return checkFieldChars(names[i]!, r.text(i).trim(), kind);
  };
}

/** A status text: only its head is decoded (what classification reads). */
const statusHead = (r: RecordView, i: number): string => (i < 0 ? '' : r.text(i, STATUS_HEAD_BYTES).trim());

/** A list field (recipients, their statuses): bounded by the record cap, its items checked one by one. */
const listField = (r: RecordView, i: number): string => (i < 0 ? '' : r.text(i).trim());

/** The recipients of a list column, each an address within its limit, at most MAX_RECIPIENTS_PER_ROW of them. */
function recipientList(text: string, separators: string, column: string): string[] {
  const items = splitTopLevel(text, separators, MAX_RECIPIENTS_PER_ROW);
  if (items.length > MAX_RECIPIENTS_PER_ROW) throw tooManyRecipients(column);
  for (const item of items) checkFieldChars(column, item, 'address');
  return items;
}

function direction(v: string): Direction | null {
  const d = v.trim().toLowerCase();
  if (d === '1' || d === 'incoming' || d === 'inbound') return 'inbound';
  if (d === '2' || d === 'originating' || d === 'outgoing' || d === 'outbound') return 'outbound';
  if (d === 'internal' || d === 'intra-org' || d === 'intraorg') return 'internal';
  return null;
}

/**
 * A file without any message id column (a `Select-Object` subset of an export) cannot tell two
 * messages from one another, nor match its rows with another export of the same messages: each
 * message is then its sender and time, counted on its own. The receipt says so. That is the only
 * use of the sender column: a row with a message id never decodes it.
 */
function keyless(...idColumns: number[]): string[] {
  return idColumns.every((c) => c < 0)
    ? [
        'the export has no message id column (MessageTraceId, network_message_id, MessageId …): messages are told apart by sender and time, and its rows are never matched with other exports of the same messages',
      ]
    : [];
}

function traceSummary(
  index: Index,
  cells: readonly string[],
  width: number,
  family: 'trace-summary' | 'graph-trace' = 'trace-summary',
): FamilyMapper {
  const get = reader(cells);
  const time = find(index, A.received);
  const rcpt = find(index, A.recipient);
  const sender = find(index, A.sender);
  const status = find(index, A.status);
  const traceId = find(index, A.traceId);
  const msgId = find(index, A.messageId);
  const toIp = find(index, A.toIp);
  return {
    family,
    columnsUsed: used(cells, time, rcpt, sender, status, traceId, msgId, toIp),
    warnings: keyless(traceId, msgId),
    map(r, out) {
      checkWidth(r, width);
      const st = get(r, status, 'event');
      const timeText = get(r, time, 'time');
      out.push({
        timeText,
        messageKey: get(r, traceId, 'messageKey') || get(r, msgId, 'messageKey') || `${get(r, sender, 'address')}|${timeText}`,
        recipient: get(r, rcpt, 'address'),
        direction: null,
        event: st,
        statusText: st,
        outcomeHint: outcomeForEvent(st, true),
        connector: null,
        server: null,
        ip: get(r, toIp, 'ip') || null,
        line: r.line,
      });
    },
  };
}

function traceDetail(
  index: Index,
  cells: readonly string[],
  width: number,
  family: 'trace-detail' | 'graph-detail' = 'trace-detail',
): FamilyMapper {
  const get = reader(cells);
  const time = find(index, A.detailTime);
  const event = find(index, A.event);
  const detail = find(index, A.detail);
  const rcpt = find(index, A.recipient);
  const sender = find(index, A.sender);
  const traceId = find(index, A.traceId);
  const msgId = find(index, A.messageId);
  const toIp = find(index, A.toIp);
  return {
    family,
    ...(family === 'trace-detail' ? { quick: () => quickDetail({ width, time, event, rcpt, traceId, msgId, toIp }) } : {}),
    columnsUsed: used(cells, time, event, detail, rcpt, sender, traceId, msgId, toIp),
    warnings: [
      ...(rcpt < 0 ? ['the export has no RecipientAddress column: events are counted per message, not per recipient'] : []),
      ...keyless(traceId, msgId),
    ],
    map(r, out) {
      checkWidth(r, width);
      const ev = get(r, event, 'event');
      const timeText = get(r, time, 'time');
      const hint = outcomeForEvent(ev, true);
      if (hint === 'other') return void out.push(otherEvent(timeText, ev, r.line));
      out.push({
        timeText,
        messageKey: get(r, traceId, 'messageKey') || get(r, msgId, 'messageKey') || `${get(r, sender, 'address')}|${timeText}`,
        recipient: get(r, rcpt, 'address'),
        direction: null,
        event: ev,
        // Only what gets classified needs its status text decoded (the longest column by far).
        statusText: hint === 'delivered' ? '' : statusHead(r, detail),
        outcomeHint: hint,
        connector: null,
        server: null,
        ip: get(r, toIp, 'ip') || null,
        line: r.line,
      });
    },
  };
}

function enhancedSummary(index: Index, cells: readonly string[], width: number): FamilyMapper {
  const get = reader(cells);
  const time = find(index, ['origin_timestamp_utc', 'origin_timestamp']);
  const status = find(index, ['recipient_status']);
  const sender = find(index, ['sender_address']);
  const netId = find(index, ['network_message_id']);
  const msgId = find(index, ['message_id']);
  const dir = find(index, ['directionality']);
  const conn = find(index, ['connector_id']);
  return {
    family: 'eac-enhanced-summary',
    columnsUsed: used(cells, time, status, sender, netId, msgId, dir, conn),
    warnings: [
      'enhanced summary reports carry no SMTP status codes: failures are counted but cannot be classified by code',
      ...keyless(netId, msgId),
    ],
    map(r, out) {
      checkWidth(r, width);
      const timeText = get(r, time, 'time');
      const key = get(r, netId, 'messageKey') || get(r, msgId, 'messageKey') || `${get(r, sender, 'address')}|${timeText}`;
      const d = direction(get(r, dir, 'direction'));
      const connector = get(r, conn, 'connector') || null;
      const items = splitTopLevel(listField(r, status), ';', MAX_RECIPIENTS_PER_ROW);
      if (items.length > MAX_RECIPIENTS_PER_ROW) throw tooManyRecipients(columnName(cells, status));
      for (const item of items) {
        if (!item) continue;
        const sep = item.indexOf('##');
        if (sep < 0)
          throw new RowError(
            'BAD_RECIPIENT_STATUS',
            `recipient_status item "${item.slice(0, 80)}" has no "##" between address and outcome`,
          );
        const words = checkFieldChars(columnName(cells, status), item.slice(sep + 2).trim(), 'event');
        out.push({
          timeText,
          messageKey: key,
          recipient: checkFieldChars(columnName(cells, status), item.slice(0, sep).trim(), 'address'),
          direction: d,
          event: words,
          statusText: words,
          outcomeHint: outcomeForEventList(words),
          connector,
          server: null,
          ip: null,
          line: r.line,
        });
      }
    },
  };
}

/** Extended reports and on-premises tracking logs share one field set (`-` read as `_`). */
function logMapper(
  family: 'eac-extended' | 'onprem-tracking-log',
  index: Index,
  cells: readonly string[],
  width: number,
  timeCol: string,
): FamilyMapper {
  const get = reader(cells);
  const time = find(index, [timeCol]);
  const event = find(index, ['event_id']);
  const rcpt = find(index, ['recipient_address']);
  const status = find(index, ['recipient_status']);
  const sender = find(index, ['sender_address']);
  const netId = find(index, ['network_message_id']);
  const msgId = find(index, ['message_id']);
  const internalId = find(index, ['internal_message_id']);
  const dir = find(index, ['directionality']);
  const conn = find(index, ['connector_id']);
  const host = find(index, ['server_hostname']);
  const ip = find(index, ['server_ip']);
  return {
    family,
    columnsUsed: used(cells, time, event, rcpt, status, sender, netId, msgId, internalId, dir, conn, host, ip),
    warnings: keyless(netId, msgId, internalId),
    map(r, out) {
      checkWidth(r, width);
      const ev = get(r, event, 'event');
      const hint = outcomeForEvent(ev, false);
      const timeText = get(r, time, 'time');
      const recipients = rcpt < 0 ? [''] : recipientList(listField(r, rcpt), ';', columnName(cells, rcpt));
      if (hint === 'other') return emitOthers(out, recipients, timeText, ev, r.line);
      const key =
        get(r, netId, 'messageKey') ||
        get(r, msgId, 'messageKey') ||
        get(r, internalId, 'messageKey') ||
        `${get(r, sender, 'address')}|${timeText}`;
      const d = direction(get(r, dir, 'direction'));
      const connector = get(r, conn, 'connector') || null;
      const { server, ip: serverIp } = remoteServer(ev, get(r, host, 'host'), get(r, ip, 'ip'));
      emitPerRecipient(out, recipients, hint === 'delivered' ? '' : listField(r, status), {
        timeText,
        messageKey: key,
        direction: d,
        event: ev,
        outcomeHint: hint,
        connector,
        server,
        ip: serverIp,
        line: r.line,
      });
    },
  };
}

function trackingLogExport(index: Index, cells: readonly string[], width: number): FamilyMapper {
  const get = reader(cells);
  const time = find(index, ['timestamp']);
  const event = find(index, ['eventid']);
  const rcpt = find(index, ['recipients']);
  const status = find(index, ['recipientstatus']);
  const sender = find(index, ['sender']);
  const netId = find(index, ['networkmessageid']);
  const msgId = find(index, ['messageid']);
  const internalId = find(index, ['internalmessageid']);
  const conn = find(index, ['connectorid']);
  const host = find(index, ['serverhostname']);
  const ip = find(index, ['serverip']);
  return {
    family: 'tracking-log-export',
    columnsUsed: used(cells, time, event, rcpt, status, sender, netId, msgId, internalId, conn, host, ip),
    warnings: keyless(netId, msgId, internalId),
    map(r, out) {
      checkWidth(r, width);
      const ev = get(r, event, 'event');
      const timeText = get(r, time, 'time');
      const recipientText = unwrapBraces(listField(r, rcpt));
      if (/^System\.(String|Object)\[\]$/.test(recipientText)) {
        throw new RowError(
          'RECIPIENTS_NOT_EXPANDED',
          'Recipients holds "System.String[]": export with @{n="Recipients";e={$_.Recipients -join ";"}} so the addresses survive Export-Csv',
        );
      }
      const hint = outcomeForEvent(ev, false);
      const recipients = rcpt < 0 ? [''] : recipientList(recipientText, ';,', columnName(cells, rcpt));
      if (hint === 'other') return emitOthers(out, recipients, timeText, ev, r.line);
      emitPerRecipient(out, recipients, hint === 'delivered' ? '' : unwrapBraces(listField(r, status)), {
        timeText,
        messageKey:
          get(r, netId, 'messageKey') ||
          get(r, msgId, 'messageKey') ||
          get(r, internalId, 'messageKey') ||
          `${get(r, sender, 'address')}|${timeText}`,
        direction: null,
        event: ev,
        outcomeHint: hint,
        connector: get(r, conn, 'connector') || null,
        ...remoteServer(ev, get(r, host, 'host'), get(r, ip, 'ip')),
        line: r.line,
      });
    },
  };
}

/**
 * In tracking logs the server fields name either the receiving server (`mx1.fabrikam.com`) or the
 * server that wrote the entry, our own (`EX2010`, an Exchange Online `….prod.outlook.com` host),
 * which is no destination: a bare NetBIOS name or an Exchange Online internal host is dropped,
 * with its IP. The status text's LastAttemptedServerName, when there is one, says where it went.
 */
function remoteServer(event: string, host: string, ip: string): { server: string | null; ip: string | null } {
  const ours = !/^SEND/i.test(event) && host !== '' && (!host.includes('.') || /\.prod\.outlook\.com$/i.test(host));
  return ours ? { server: null, ip: null } : { server: host || null, ip: ip || null };
}

/**
 * Rows that are not a delivery outcome (Receive, Expand, internal hops …) are only counted:
 * they carry their time and event word, nothing else is decoded.
 */
function otherEvent(timeText: string, event: string, line: number): RawEvent {
  return {
    timeText,
    messageKey: '',
    recipient: '',
    direction: null,
    event,
    statusText: '',
    outcomeHint: 'other',
    connector: null,
    server: null,
    ip: null,
    line,
  };
}

function emitOthers(out: RawEvent[], recipients: readonly string[], timeText: string, event: string, line: number): void {
  // Still one event per recipient, so counts mean the same in every family.
  for (const recipient of recipients) if (recipient) out.push(otherEvent(timeText, event, line));
}

/**
 * The statuses of `n` recipients. Split at `;` first, as the logs write them; when that does not
 * give one per recipient, the first of these that does: `;` only where a status starts (a status's
 * own text holds `;`: `550 4.4.7 QUEUE.Expired; message expired`), `,` (Get-MessageTrackingLog
 * objects), `,` only where a status starts. Else the plain split, as read.
 */
function statusList(statuses: string, n: number): string[] {
  const plain = splitTopLevel(statuses, ';', n);
  if (plain.length === n) return plain;
  const tries =
    n > 1
      ? [() => splitStatuses(statuses, ';', n), () => splitTopLevel(statuses, ',', n), () => splitStatuses(statuses, ',', n)]
      : [() => splitStatuses(statuses, ';', n)];
  for (const t of tries) {
    const ss = t();
    if (ss.length === n) return ss;
  }
  return plain;
}

type Shared = Omit<RawEvent, 'recipient' | 'statusText'>;

/** `recipient-address` and `recipient-status` are parallel lists, in the same order. */
function emitPerRecipient(out: RawEvent[], rs: readonly string[], statuses: string, shared: Shared): void {
  const ss = statusList(statuses, rs.length);
  for (let i = 0; i < rs.length; i++) {
    const recipient = rs[i]!;
    if (!recipient && rs.length > 1) continue;
    out.push({ ...shared, recipient, statusText: ss[i] ?? (ss.length === 1 ? ss[0]! : '') });
  }
}
