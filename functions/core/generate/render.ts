import type { FamilyId } from '../formats/event.ts';
import { exportedMessages, type GenEvent, type GenMessage, type GenRecipient } from './scenario.ts';
import type { GraphFamily } from '../formats/graph.ts';
import { renderGraph } from './graph.ts';

export type DateStyle = 'us' | 'dmy' | 'dot' | 'iso';
export type OutputEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16le-nobom' | 'utf-16be';
export const OUTPUT_ENCODINGS: readonly OutputEncoding[] = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16le-nobom', 'utf-16be'];

export interface RenderOptions {
  family: FamilyId;
  rows: number;
  seed?: number;
  /** Ignored for on-premises log files, which are always comma-separated. */
  delimiter?: ',' | ';' | '\t';
  /** How timestamps are written; each family has the default its real exporter uses. */
  dateStyle?: DateStyle;
  /** Messages per hour (the time span follows from rows and rate). */
  perHour?: number;
  start?: number;
  /**
   * The export is taken this many hours after the start: events after that are not in it (a
   * message deferred then shows its deferrals only). Without it, every event is written.
   */
  hours?: number;
}

/** The CSV families (the Graph ones are JSON: generate/graph.ts). */
type CsvFamily = Exclude<FamilyId, GraphFamily>;

const DEFAULT_STYLE: Record<CsvFamily, DateStyle> = {
  'trace-summary': 'us',
  'trace-detail': 'us',
  'eac-enhanced-summary': 'iso',
  'eac-extended': 'iso',
  'onprem-tracking-log': 'iso',
  'tracking-log-export': 'us',
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function formatDate(ms: number, style: DateStyle): string {
  const d = new Date(ms);
  const [y, mo, day, h, mi, s] = [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  ];
  switch (style) {
    case 'us':
      return `${mo}/${day}/${y} ${h % 12 === 0 ? 12 : h % 12}:${pad(mi)}:${pad(s)} ${h < 12 ? 'AM' : 'PM'}`;
    case 'dmy':
      return `${pad(day)}/${pad(mo)}/${y} ${pad(h)}:${pad(mi)}:${pad(s)}`;
    case 'dot':
      return `${pad(day)}.${pad(mo)}.${y} ${pad(h)}:${pad(mi)}:${pad(s)}`;
    case 'iso':
      return `${y}-${pad(mo)}-${pad(day)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(d.getUTCMilliseconds(), 3)}0000Z`;
  }
}

/** Text chunks of a complete export: preamble, header, then `rows` data rows (a Graph family: its JSON). */
export function* renderExport(options: RenderOptions): Generator<string> {
  if (options.family === 'graph-trace' || options.family === 'graph-detail') return yield* renderGraph(options.family, options);
  const family = options.family;
  const delim = family === 'onprem-tracking-log' ? ',' : (options.delimiter ?? ',');
  const style = options.dateStyle ?? DEFAULT_STYLE[family];
  const date = (ms: number) => formatDate(ms, style);
  const writer = WRITERS[family];
  const quoteAll = family !== 'onprem-tracking-log';
  const line = (cells: readonly (string | number)[]) => cells.map((c) => csvCell(String(c), delim, quoteAll)).join(delim) + '\r\n';

  let head = writer.preamble(options.start ?? Date.UTC(2026, 10, 20));
  head += family === 'onprem-tracking-log' ? `#Fields: ${writer.header.join(',')}\r\n` : line(writer.header);
  yield head;

  let left = options.rows;
  let chunk = '';
  let index = 0;
  for (const msg of exportedMessages(options)) {
    if (left === 0) break;
    for (const cells of writer.rows(msg, date, index)) {
      if (left === 0) break;
      chunk += line(cells);
      left--;
      index++;
    }
    if (chunk.length > 1 << 16) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

function csvCell(v: string, delim: string, quoteAll: boolean): string {
  if (quoteAll || v.includes(delim) || v.includes('"') || v.includes('\n') || v.includes('\r')) return `"${v.replaceAll('"', '""')}"`;
  return v;
}

interface FamilyWriter {
  preamble(start: number): string;
  header: readonly string[];
  rows(m: GenMessage, date: (ms: number) => string, index: number): Iterable<readonly (string | number)[]>;
}

const PS = ['outlook.office365.com', '6f1d2c3b-0000-4000-8000-000000000001', 'False'];
const ORG = 'contoso.onmicrosoft.com';

const EVENT_ID: Record<GenEvent['event'], string> = {
  Receive: 'RECEIVE',
  Deliver: 'DELIVER',
  Send: 'SENDEXTERNAL',
  Defer: 'DEFER',
  Fail: 'FAIL',
  Expand: 'EXPAND',
};

/** The per-recipient status column of extended reports and tracking logs. */
function logStatus(e: GenEvent): string {
  if (e.event === 'Defer' || e.event === 'Fail') return e.detail.replace(/^Reason: /, '');
  if (e.event === 'Send') return '250 2.6.0 <queued> Queued mail for delivery';
  return '250 2.1.5 Recipient OK';
}

/** Events of all recipients; Receive once per message (its row lists every recipient). */
function logRows(m: GenMessage): Array<{ e: GenEvent; recipients: GenRecipient[] }> {
  const out: Array<{ e: GenEvent; recipients: GenRecipient[] }> = [{ e: m.recipients[0]!.events[0]!, recipients: m.recipients }];
  for (const r of m.recipients) for (const e of r.events.slice(1)) out.push({ e, recipients: [r] });
  return out;
}

function enhancedWords(r: GenRecipient): string {
  const words: string[] = r.events.map((e) => e.event);
  if (r.status === 'FilteredAsSpam' || r.status === 'Quarantined') words.push(r.status);
  return [...new Set(words)].join(', ');
}

const WRITERS: Record<CsvFamily, FamilyWriter> = {
  'trace-summary': {
    preamble: () => '#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n',
    header: [
      'PSComputerName',
      'RunspaceId',
      'PSShowComputerName',
      'Organization',
      'MessageId',
      'Received',
      'SenderAddress',
      'RecipientAddress',
      'Subject',
      'Status',
      'ToIP',
      'FromIP',
      'Size',
      'MessageTraceId',
      'StartDate',
      'EndDate',
      'Index',
    ],
    *rows(m, date, index) {
      for (const r of m.recipients)
        yield [
          ...PS,
          ORG,
          m.messageId,
          date(m.received),
          m.sender,
          r.address,
          m.subject,
          r.status,
          m.toIp,
          m.fromIp,
          m.size,
          m.traceId,
          '',
          '',
          index,
        ];
    },
  },
  'trace-detail': {
    preamble: () => '#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail\r\n',
    header: [
      'PSComputerName',
      'RunspaceId',
      'PSShowComputerName',
      'Organization',
      'MessageId',
      'MessageTraceId',
      'Date',
      'Event',
      'Action',
      'Detail',
      'Data',
      'SenderAddress',
      'RecipientAddress',
      'StartDate',
      'EndDate',
      'Index',
    ],
    *rows(m, date, index) {
      for (const r of m.recipients) {
        for (const e of r.events) {
          const data = `<root><MEP Name="Connector" String="${m.connector}"/><MEP Name="ServerHostName" String="DM6PR12MB${index % 9000}"/></root>`;
          yield [...PS, ORG, m.messageId, m.traceId, date(e.time), e.event, '', e.detail, data, m.sender, r.address, '', '', index];
        }
      }
    },
  },
  'eac-enhanced-summary': {
    preamble: () => '',
    header: [
      'origin_timestamp_utc',
      'sender_address',
      'recipient_status',
      'message_subject',
      'total_bytes',
      'message_id',
      'network_message_id',
      'original_client_ip',
      'directionality',
      'connector_id',
      'delivery_priority',
    ],
    *rows(m, date) {
      const status = m.recipients.map((r) => `${r.address}##${enhancedWords(r)}`).join(';');
      yield [
        date(m.received),
        m.sender,
        status,
        m.subject,
        m.size,
        m.messageId,
        m.traceId,
        m.fromIp,
        m.direction === 'inbound' ? 'Incoming' : 'Originating',
        m.connector,
        'Normal',
      ];
    },
  },
  'eac-extended': {
    preamble: () => '',
    header: [
      'date_time_utc',
      'client_ip',
      'client_hostname',
      'server_ip',
      'server_hostname',
      'source_context',
      'connector_id',
      'source',
      'event_id',
      'internal_message_id',
      'message_id',
      'network_message_id',
      'recipient_address',
      'recipient_status',
      'total_bytes',
      'recipient_count',
      'related_recipient_address',
      'reference',
      'message_subject',
      'sender_address',
      'return_path',
      'message_info',
      'directionality',
      'tenant_id',
      'original_client_ip',
      'original_server_ip',
      'custom_data',
    ],
    *rows(m, date) {
      for (const { e, recipients } of logRows(m)) {
        yield [
          date(e.time),
          m.fromIp,
          '',
          m.toIp,
          '',
          e.event === 'Receive' ? 'ClientType:SMTP, CreationTime:x' : '',
          m.connector,
          e.event === 'Deliver' ? 'STOREDRIVER' : 'SMTP',
          EVENT_ID[e.event],
          '123',
          m.messageId,
          m.traceId,
          recipients.map((r) => r.address).join(';'),
          recipients.map(() => logStatus(e)).join(';'),
          m.size,
          recipients.length,
          '',
          '',
          m.subject,
          m.sender,
          m.sender,
          new Date(m.received).toISOString(),
          m.direction === 'inbound' ? 'Incoming' : 'Originating',
          '00000000-0000-0000-0000-000000000001',
          m.fromIp,
          '',
          'S:SFA=SUM|SFV=NSPM|SCL=1|',
        ];
      }
    },
  },
  'onprem-tracking-log': {
    preamble: (start) =>
      `#Software: Microsoft Exchange Server\r\n#Version: 15.02.1118.007\r\n#Log-type: Message Tracking Log\r\n#Date: ${new Date(start).toISOString()}\r\n`,
    header: [
      'date-time',
      'client-ip',
      'client-hostname',
      'server-ip',
      'server-hostname',
      'source-context',
      'connector-id',
      'source',
      'event-id',
      'internal-message-id',
      'message-id',
      'network-message-id',
      'recipient-address',
      'recipient-status',
      'total-bytes',
      'recipient-count',
      'related-recipient-address',
      'reference',
      'message-subject',
      'sender-address',
      'return-path',
      'message-info',
      'directionality',
      'tenant-id',
      'original-client-ip',
      'original-server-ip',
      'custom-data',
      'transport-traffic-type',
      'log-id',
      'schema-version',
    ],
    *rows(m, date) {
      for (const { e, recipients } of logRows(m)) {
        yield [
          date(e.time),
          m.fromIp,
          'EX01.contoso.com',
          m.toIp,
          // server-hostname is the destination server: the receiving one for a SEND, ours otherwise.
          e.event === 'Send' && m.toHost ? m.toHost : 'EX01',
          '08DB1DF24DB12D84;250 2.0.0 OK',
          m.connector,
          e.event === 'Deliver' ? 'STOREDRIVER' : 'SMTP',
          EVENT_ID[e.event],
          '12345',
          m.messageId,
          m.traceId,
          recipients.map((r) => r.address).join(';'),
          recipients.map(() => logStatus(e)).join(';'),
          m.size,
          recipients.length,
          '',
          '',
          m.subject,
          m.sender,
          m.sender,
          new Date(m.received).toISOString(),
          m.direction === 'inbound' ? 'Incoming' : 'Originating',
          '',
          '',
          '',
          '',
          'Email',
          '08DB1DF2-0000-0000-0000-000000000000',
          '15.02.1118.007',
        ];
      }
    },
  },
  'tracking-log-export': {
    preamble: () => '#TYPE Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent\r\n',
    header: [
      'Timestamp',
      'ClientIp',
      'ClientHostname',
      'ServerIp',
      'ServerHostname',
      'SourceContext',
      'ConnectorId',
      'Source',
      'EventId',
      'InternalMessageId',
      'MessageId',
      'NetworkMessageId',
      'Recipients',
      'RecipientStatus',
      'TotalBytes',
      'RecipientCount',
      'RelatedRecipientAddress',
      'Reference',
      'MessageSubject',
      'Sender',
      'ReturnPath',
      'Directionality',
      'TenantId',
      'OriginalClientIp',
      'MessageInfo',
      'MessageLatency',
      'MessageLatencyType',
      'EventData',
    ],
    *rows(m, date) {
      for (const { e, recipients } of logRows(m)) {
        yield [
          date(e.time),
          m.fromIp,
          'EX01.contoso.com',
          m.toIp,
          // server-hostname is the destination server: the receiving one for a SEND, ours otherwise.
          e.event === 'Send' && m.toHost ? m.toHost : 'EX01',
          '',
          m.connector,
          e.event === 'Deliver' ? 'STOREDRIVER' : 'SMTP',
          EVENT_ID[e.event],
          '12345',
          m.messageId,
          m.traceId,
          `{${recipients.map((r) => r.address).join(', ')}}`,
          `{${recipients.map(() => logStatus(e)).join(', ')}}`,
          m.size,
          recipients.length,
          '',
          '',
          m.subject,
          m.sender,
          m.sender,
          m.direction === 'inbound' ? 'Incoming' : 'Originating',
          '',
          '',
          new Date(m.received).toISOString(),
          '',
          'None',
          '{}',
        ];
      }
    },
  },
};

/** Encodes text chunks as an exporter would write them (BOM first where there is one). */
export function* encodeChunks(chunks: Iterable<string>, encoding: OutputEncoding): Generator<Uint8Array> {
  let first = true;
  for (const text of chunks) {
    let bytes: Buffer;
    if (encoding === 'utf-16le' || encoding === 'utf-16le-nobom') bytes = Buffer.from(text, 'utf16le');
    else if (encoding === 'utf-16be') bytes = Buffer.from(text, 'utf16le').swap16();
    else bytes = Buffer.from(text, 'utf8');
    if (first) {
      first = false;
      const bom =
        encoding === 'utf-8-bom'
          ? [0xef, 0xbb, 0xbf]
          : encoding === 'utf-16le'
            ? [0xff, 0xfe]
            : encoding === 'utf-16be'
              ? [0xfe, 0xff]
              : [];
      if (bom.length) yield Uint8Array.from(bom);
    }
    yield bytes;
  }
}
