import type { RecordView } from '../csv/csv-reader.ts';
import { RowError } from '../errors.ts';
import { graphMapper, type FamilyMapper } from './families.ts';

/**
 * Microsoft Graph's message trace, as files. `graph-trace`: a `messageTraces` page exactly as Graph
 * returns it (the JSON body: `@odata.context`, `value`, perhaps `@odata.nextLink`), one row per
 * message and recipient. `graph-detail`: detail events as JSON lines, one event per line, each with
 * the trace id and recipient its `getDetailsByRecipient` call was made for (the collector's own
 * format: the response does not carry the recipient). Their rows are read as the columns of the
 * trace summary and trace detail exports they mirror, so they count the same.
 */
export type GraphFamily = 'graph-trace' | 'graph-detail';

/** JSON field → the column it is read as. */
const FIELDS: Record<GraphFamily, ReadonlyArray<readonly [string, string]>> = {
  'graph-trace': [
    ['receivedDateTime', 'Received'],
    ['recipientAddress', 'RecipientAddress'],
    ['senderAddress', 'SenderAddress'],
    ['status', 'Status'],
    ['id', 'MessageTraceId'],
    ['messageId', 'MessageId'],
    ['toIP', 'ToIP'],
  ],
  'graph-detail': [
    ['dateTime', 'Date'],
    ['event', 'Event'],
    ['description', 'Detail'],
    ['recipientAddress', 'RecipientAddress'],
    ['senderAddress', 'SenderAddress'],
    ['messageTraceId', 'MessageTraceId'],
    ['messageId', 'MessageId'],
  ],
};

/** Fields a detail line cannot do without: which message, which recipient, when, what happened. */
const DETAIL_REQUIRED = ['messageTraceId', 'recipientAddress', 'dateTime', 'event'] as const;

/** What a JSON object is, by its fields: a messageTraces page, a detail event, or neither. */
export function graphKindOf(value: unknown): GraphFamily | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (Array.isArray(o.value)) return 'graph-trace';
  if ('messageTraceId' in o || ('dateTime' in o && 'event' in o)) return 'graph-detail';
  return null;
}

/** Reads one Graph family's JSON objects as records its mapper takes. */
export class GraphRows {
  readonly family: GraphFamily;
  readonly mapper: FamilyMapper;
  private readonly fields: ReadonlyArray<readonly [string, string]>;

  constructor(family: GraphFamily) {
    this.family = family;
    this.fields = FIELDS[family];
    this.mapper = graphMapper(
      family,
      this.fields.map(([, column]) => column),
      this.fields.map(([field]) => field),
    );
  }

  /** A page's rows, or a detail line's event, as a record; RowError when it is not one. `line`: the row's line, or its place in the page. */
  record(value: unknown, line: number): RecordView {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new RowError(
        'NOT_AN_OBJECT',
        `expected a JSON object (one ${this.family === 'graph-trace' ? 'message trace' : 'detail event'}), found ${describe(value)}`,
      );
    const o = value as Record<string, unknown>;
    if (this.family === 'graph-detail') {
      const missing = DETAIL_REQUIRED.filter((f) => o[f] === undefined || o[f] === null || o[f] === '');
      if (missing.length)
        throw new RowError(
          'MISSING_FIELD',
          `a detail event needs ${missing.map((f) => `"${f}"`).join(', ')} (the trace id and recipient its detail call was made for, its time and event)`,
        );
    }
    return new JsonRecord(
      this.fields.map(([field]) => text(field, o[field])),
      line,
    );
  }
}

function text(field: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new RowError('NOT_TEXT', `"${field}" should be text, is ${describe(v)}`);
}

const describe = (v: unknown): string =>
  Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** A JSON row seen as a CSV record: the same field limits apply (lengths checked before use). */
class JsonRecord implements RecordView {
  readonly fieldCount: number;
  readonly lineCount = 1;
  readonly byteOffset = 0;
  readonly line: number;
  private readonly values: readonly string[];
  constructor(values: readonly string[], line: number) {
    this.values = values;
    this.line = line;
    this.fieldCount = values.length;
  }

  text(index: number, maxBytes?: number): string {
    const v = this.values[index] ?? '';
    if (maxBytes === undefined || v.length * 3 <= maxBytes) return v;
    // Only the head, cut at a character boundary (as the CSV reader cuts a long field).
    return Buffer.from(v, 'utf8')
      .subarray(0, maxBytes)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
  }

  byteLength(index: number): number {
    return Buffer.byteLength(this.values[index] ?? '', 'utf8');
  }
}
