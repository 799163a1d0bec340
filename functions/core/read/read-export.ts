import { classifyStatus, lookupCode } from '../classify/classify.ts';
import { CsvReader, type HeaderInfo, type RecordView } from '../csv/csv-reader.ts';
import { CsvFormatError, InputError } from '../errors.ts';
import { DateReader, type DateOptions } from '../formats/dates.ts';
import { type FamilyId, type RawEvent } from '../formats/event.ts';
import { recognizeHeader, type FamilyMapper } from '../formats/families.ts';
import { resolveLimits, type InputLimits } from '../input/limits.ts';
import { openInput } from '../input/open-input.ts';
import type { TextEncoding } from '../input/sniff.ts';
import { OUTCOMES, type Outcome } from '../vocabulary/outcomes.ts';
import type { DeliveryEvent } from '../classify/types.ts';
import { RowError } from '../errors.ts';

export interface ReadExportOptions {
  limits?: Partial<InputLimits>;
  dates?: DateOptions;
  /** Only used to catch a `.gz` name on a file that is not gzip. */
  nameHint?: string;
  /** Rows held back while the day/month order of dates is still unknown. */
  dateOrderWindow?: number;
  /** Stops reading (with an AbortError) between chunks. */
  signal?: AbortSignal;
  /** Awaited after each chunk: lets a caller flush what it has gathered, so memory stays flat. */
  afterChunk?: () => Promise<void> | void;
}

export interface RejectedRow {
  line: number;
  reason: string;
}

/** What a file is and what it holds: the body of `inspect`, and most of a receipt. */
export interface ExportSummary {
  family: FamilyId | null;
  encoding: TextEncoding;
  compression: 'gzip' | 'none';
  delimiter: string | null;
  /** Bytes as stored (compressed) and as text. */
  bytes: { stored: number; text: number };
  /** Data rows read (blank lines and preamble excluded). */
  rows: number;
  events: Record<Outcome, number>;
  codes: Record<string, number>;
  /** Codes seen that are not in the code table (classified by class and subject). */
  unknownCodes: string[];
  timeSpan: { from: string; to: string } | null;
  rejectedRows: { count: number; samples: RejectedRow[] };
  warnings: string[];
  /** The file ends inside a quoted field: the last record was incomplete and dropped. */
  endsInsideRecord: boolean;
  columnsUsed: string[];
  /** True when the file holds no bytes at all (or only whitespace). */
  empty: boolean;
}

export const MAX_REJECTED_SAMPLES = 20;

/**
 * Reads one export from raw bytes to classified events. Events go to `onEvent` as they are read;
 * the event object is reused, so it is valid only during the call: copy it (`{ ...event }`) to
 * keep it. The returned summary describes the whole file. Throws `InputError`, `CsvFormatError` or
 * `UnrecognizedFormatError` when the file as a whole cannot be read; bad rows are skipped,
 * counted and sampled with their line numbers.
 */
export async function readExport(
  source: AsyncIterable<Uint8Array>,
  options: ReadExportOptions,
  onEvent: (event: DeliveryEvent) => void,
): Promise<ExportSummary> {
  const limits = resolveLimits(options.limits);
  const input = await openInput(source, { limits, ...(options.nameHint ? { nameHint: options.nameHint } : {}) });
  const dates = new DateReader(options.dates);
  const window = options.dateOrderWindow ?? 10_000;
  const summary: ExportSummary = {
    family: null,
    encoding: input.encoding,
    compression: input.compression,
    delimiter: null,
    bytes: { stored: 0, text: 0 },
    rows: 0,
    events: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    codes: {},
    unknownCodes: [],
    timeSpan: null,
    rejectedRows: { count: 0, samples: [] },
    warnings: [],
    endsInsideRecord: false,
    columnsUsed: [],
    empty: false,
  };
  let mapper: FamilyMapper | null = null;
  let minTime = Infinity;
  let maxTime = -Infinity;
  let lastRejectedLine = -1;
  const unknown = new Set<string>();
  const pending: RawEvent[] = [];
  const scratch: RawEvent[] = [];
  const current: DeliveryEvent = {
    time: 0,
    messageKey: '',
    recipient: '',
    recipientDomain: '',
    senderDomain: '',
    direction: null,
    event: '',
    statusText: '',
    connector: null,
    outcome: 'other',
    code: null,
    replyCode: null,
    category: null,
    transient: null,
    owner: null,
    innerReply: null,
    server: null,
    ip: null,
    line: 0,
  };

  const reject = (line: number, reason: string) => {
    if (line === lastRejectedLine) return;
    lastRejectedLine = line;
    summary.rejectedRows.count++;
    if (summary.rejectedRows.samples.length < MAX_REJECTED_SAMPLES) summary.rejectedRows.samples.push({ line, reason });
  };

  const finish = (raw: RawEvent) => {
    const time = dates.parse(raw.timeText);
    if (Number.isNaN(time)) {
      reject(
        raw.line,
        raw.timeText
          ? `unreadable date "${raw.timeText.slice(0, 40)}" (expected ISO-8601, M/d/yyyy h:mm:ss tt, dd/MM/yyyy HH:mm:ss or dd.MM.yyyy HH:mm:ss${dates.resolvedOrder ? `; this file's dates were read as ${dates.resolvedOrder === 'dmy' ? 'day/month' : 'month/day'}` : ''})`
          : 'no timestamp',
      );
      return;
    }
    const c = raw.outcomeHint === 'delivered' || raw.outcomeHint === 'other' ? null : classifyStatus(raw.statusText, raw.outcomeHint);
    const recipient = raw.recipient === '' ? '' : raw.recipient.toLowerCase();
    // One object, refilled for every event (see onEvent): a million events, not a million objects.
    const event = current;
    event.time = time;
    event.messageKey = raw.messageKey;
    event.recipient = recipient;
    event.recipientDomain = domainOf(recipient);
    event.senderDomain = raw.sender === '' ? '' : domainOf(raw.sender.toLowerCase());
    event.direction = raw.direction;
    event.event = raw.event;
    event.statusText = raw.statusText;
    event.connector = raw.connector;
    event.outcome = c ? c.outcome : raw.outcomeHint;
    event.code = c?.code ?? null;
    event.replyCode = c?.replyCode ?? null;
    event.category = c?.category ?? null;
    event.transient = c?.transient ?? null;
    event.owner = c?.owner ?? null;
    event.innerReply = c?.innerReply ?? null;
    event.server = c?.destination.server ?? raw.server;
    event.ip = c?.destination.ip ?? raw.ip;
    event.line = raw.line;
    summary.events[event.outcome]++;
    if (event.code) {
      summary.codes[event.code] = (summary.codes[event.code] ?? 0) + 1;
      if (!unknown.has(event.code) && !lookupCode(event.code)) unknown.add(event.code);
    }
    if (time < minTime) minTime = time;
    if (time > maxTime) maxTime = time;
    onEvent(event);
  };

  const flushPending = () => {
    for (const raw of pending) finish(raw);
    pending.length = 0;
  };

  const reader = new CsvReader(
    { maxRecordBytes: limits.maxRecordBytes, maxColumns: limits.maxColumns },
    {
      onHeader(h: HeaderInfo) {
        mapper = recognizeHeader(h.cells, h.preamble);
        summary.family = mapper.family;
        summary.delimiter = h.delimiter;
        summary.columnsUsed = mapper.columnsUsed;
        summary.warnings.push(...mapper.warnings);
        if (mapper.family === 'tracking-log-export' && !options.dates?.timeZone) {
          summary.warnings.push(
            "Get-MessageTrackingLog writes Timestamp in the server's local time; it was read as UTC. Pass --tz (e.g. --tz Europe/Rome) for exact hours",
          );
        }
      },
      onRecord(r: RecordView) {
        summary.rows++;
        scratch.length = 0;
        try {
          mapper!.map(r, scratch);
        } catch (err) {
          if (err instanceof RowError) return reject(r.line, err.message);
          if (err instanceof InputError && err.code === 'INVALID_UTF8') return reject(r.line, err.message);
          throw err;
        }
        for (const raw of scratch) {
          const decided = dates.learn(raw.timeText);
          if (decided && pending.length === 0) {
            finish(raw);
            continue;
          }
          pending.push(raw);
          if (dates.resolvedOrder) flushPending();
          else if (pending.length >= window) {
            assumeOrder();
            flushPending();
          }
        }
      },
    },
  );

  const assumeOrder = () => {
    dates.assumeOrder('mdy');
    summary.warnings.push(
      `dates such as ${pending[0]?.timeText ?? 'the first ones'} are ambiguous (no day or month above 12 in the first ${pending.length} rows); read as month/day. Pass --date-order dmy if the export came from a day-first locale`,
    );
  };

  for await (const chunk of input.utf8) {
    options.signal?.throwIfAborted();
    summary.bytes.text += chunk.length;
    reader.push(chunk);
    if (options.afterChunk) await options.afterChunk();
  }
  const end = reader.end();
  if (pending.length) {
    if (!dates.resolvedOrder) assumeOrder();
    flushPending();
  }
  summary.bytes.stored = input.counters.compressedBytes;

  if (!end.headerSeen) {
    if (end.unterminatedQuoteLine !== null) {
      throw new CsvFormatError(
        'QUOTE_NOT_CLOSED',
        `the header starting at line ${end.unterminatedQuoteLine} opens a quote that is never closed`,
        { line: end.unterminatedQuoteLine },
      );
    }
    summary.empty = true;
    return summary;
  }
  if (end.unterminatedQuoteLine !== null) {
    if (summary.rows === 0) {
      throw new CsvFormatError(
        'QUOTE_NOT_CLOSED',
        `the file ends inside a quoted field that starts at line ${end.unterminatedQuoteLine}, and has no complete row`,
        { line: end.unterminatedQuoteLine },
      );
    }
    summary.endsInsideRecord = true;
    summary.warnings.push(
      `the file ends inside a quoted field that starts at line ${end.unterminatedQuoteLine}: that last record was dropped (the export was probably cut short)`,
    );
  }
  if (summary.rejectedRows.count > 0)
    summary.warnings.push(`${summary.rejectedRows.count} row(s) skipped; the first at line ${summary.rejectedRows.samples[0]!.line}`);
  summary.unknownCodes = [...unknown].sort();
  if (minTime <= maxTime) summary.timeSpan = { from: new Date(minTime).toISOString(), to: new Date(maxTime).toISOString() };
  return summary;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return '';
  const domain = address.slice(at + 1);
  return domain.endsWith('>') ? domain.slice(0, -1).trim() : domain; // "Name <a@b.com>"
}
