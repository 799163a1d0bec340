import type { GraphFamily } from '../formats/graph.ts';
import type { RenderOptions } from './render.ts';
import { exportedMessages, type GenMessage, type GenRecipient } from './scenario.ts';

/** What Graph says a page is: the context of a messageTraces listing. */
export const MESSAGE_TRACES_CONTEXT = 'https://graph.microsoft.com/v1.0/$metadata#admin/exchange/tracing/messageTraces';

/** Graph's `status` enum is camelCase: `Delivered` → `delivered`, `FilteredAsSpam` → `filteredAsSpam`. */
const graphStatus = (s: GenRecipient['status']): string => s[0]!.toLowerCase() + s.slice(1);

/** One `exchangeMessageTrace` of a message and recipient, with Graph's field names. */
export function traceRow(m: GenMessage, r: GenRecipient): Record<string, unknown> {
  return {
    id: m.traceId,
    messageId: m.messageId,
    receivedDateTime: new Date(m.received).toISOString(),
    senderAddress: m.sender,
    recipientAddress: r.address,
    subject: m.subject,
    size: m.size,
    status: graphStatus(r.status),
    fromIP: m.fromIp,
    toIP: m.toIp,
  };
}

/**
 * The detail events of a message and recipient as the collector writes them: Graph's
 * `exchangeMessageTraceDetail` fields, plus the trace id and recipient the call was made for.
 */
export function detailRows(m: GenMessage, r: GenRecipient): Array<Record<string, unknown>> {
  return r.events.map((e, i) => ({
    messageTraceId: m.traceId,
    recipientAddress: r.address,
    id: `${m.traceId.slice(0, 24)}${String(i).padStart(12, '0')}`,
    messageId: m.messageId,
    dateTime: new Date(e.time).toISOString(),
    event: e.event,
    action: '',
    description: e.detail,
    data: `<root><MEP Name="Connector" String="${m.connector}"/></root>`,
  }));
}

/**
 * A Graph family's text: `graph-trace` one messageTraces page of `rows` rows, newest first as Graph
 * lists them; `graph-detail` `rows` detail events as JSON lines, oldest first.
 */
export function* renderGraph(family: GraphFamily, options: RenderOptions): Generator<string> {
  let left = options.rows;
  if (family === 'graph-trace') {
    const rows: string[] = [];
    for (const m of exportedMessages(options)) {
      for (const r of m.recipients) if (left-- > 0) rows.push(JSON.stringify(traceRow(m, r)));
      if (left <= 0) break;
    }
    yield `{"@odata.context":${JSON.stringify(MESSAGE_TRACES_CONTEXT)},"value":[${rows.reverse().join(',')}]}`;
    return;
  }
  let chunk = '';
  for (const m of exportedMessages(options)) {
    for (const r of m.recipients)
      for (const row of detailRows(m, r)) {
        if (left-- <= 0) break;
        chunk += `${JSON.stringify(row)}\n`;
      }
    if (left <= 0) break;
    if (chunk.length > 1 << 16) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
