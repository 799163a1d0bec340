import type { DeliveryEvent } from '../classify/types.ts';
import { CsvReader, type BadRecord, type CsvEndInfo, type HeaderInfo, type RecordBytes, type RecordView } from '../csv/csv-reader.ts';
import { quickRow, quickTimeText, type QuickReader, type QuickRow } from '../formats/quick-detail.ts';
import { CsvFormatError, InputError, RowError } from '../errors.ts';
import { DateReader, type DateOptions, type DateOrder } from '../formats/dates.ts';
import type { FamilyId, RawEvent } from '../formats/event.ts';
import { recognizeHeader, type FamilyMapper } from '../formats/families.ts';
import { resolveLimits, type InputLimits } from '../input/limits.ts';
import { openInput } from '../input/open-input.ts';
import type { Utf16Damage } from '../input/utf16.ts';
import { DateOrderBuffer } from './date-order.ts';
import { readGraphText, startsLikeJson } from './read-graph.ts';
import { blankEvent, fillEvent } from './delivery-event.ts';
import { SummaryTally, type ExportSummary } from './export-summary.ts';
import { implausibleTime } from '../vocabulary/time.ts';

export { MAX_REJECTED_SAMPLES, type ExportSummary, type RejectedRow } from './export-summary.ts';

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
  /** The ingestion time: rows dated more than a day after it are rejected (see implausibleTime). */
  now?: number;
  /** Told the export's family as soon as the header is recognised (before any event). */
  onFamily?: (family: FamilyId) => void;
  /**
   * The caller counts events and reads no more of them than counting does (see OnEvent): rows that
   * say nothing about failures are then read straight from their bytes where the family allows it
   * (formats/quick-detail.ts).
   */
  hashedEvents?: boolean;
}

/**
 * Gets each event; the event object is refilled for the next one. With `hashedEvents`, an event
 * may come with `messageHash` (hashPair of message key and lower-cased recipient): it then carries
 * only what counting reads (time, outcome, recipient domain; code, category, owner, connector,
 * server and ip are null) and no texts of its row.
 */
export type OnEvent = (event: DeliveryEvent, messageHash?: Uint32Array) => void;

/**
 * Reads one export from raw bytes to classified events: bytes → text (input/) → records (csv/) →
 * rows mapped by the export's family (formats/) → dates read in the file's order → statuses
 * classified → `onEvent`. The event object is reused, so it is valid only during the call: copy it
 * (`{ ...event }`) to keep it. The returned summary describes the whole file. Throws the
 * RejectedInputError kinds (`InputError`, `CsvFormatError`, `UnrecognizedFormatError`) when the
 * file as a whole cannot be read; bad rows are skipped, counted and sampled with their line numbers.
 */
export async function readExport(source: AsyncIterable<Uint8Array>, options: ReadExportOptions, onEvent: OnEvent): Promise<ExportSummary> {
  const limits = resolveLimits(options.limits);
  const input = await openInput(source, { limits, ...(options.nameHint ? { nameHint: options.nameHint } : {}) });
  const dates = new DateReader(options.dates);
  const tally = new SummaryTally(input.encoding, input.compression);
  const event = blankEvent();
  const emit = (raw: RawEvent) => {
    const time = dates.parse(raw.timeText);
    if (Number.isNaN(time)) return tally.reject(raw.line, unreadableDate(raw.timeText, dates.resolvedOrder));
    const implausible = implausibleTime(time, options.now, raw.timeText);
    if (implausible) return tally.reject(raw.line, implausible);
    onEvent(tally.count(fillEvent(event, raw, time)));
  };
  const buffer = new DateOrderBuffer(dates, options.dateOrderWindow ?? 10_000, emit, (w) => tally.warn(w));
  // A row read from its bytes (QuickRow), dated and counted as emit does the same row's event.
  const quickEvent = blankEvent();
  const emitQuick = (q: QuickRow, line: number) => {
    const time = dates.parseAscii(q.bytes, q.time0, q.time1);
    if (Number.isNaN(time)) return tally.reject(line, unreadableDate(quickTimeText(q), dates.resolvedOrder));
    // The reason quotes the text: decoded for a row it rejects only.
    if (implausibleTime(time, options.now, '') !== null) return tally.reject(line, implausibleTime(time, options.now, quickTimeText(q))!);
    quickEvent.time = time;
    quickEvent.outcome = q.outcome;
    quickEvent.recipientDomain = q.domain;
    quickEvent.line = line;
    onEvent(tally.count(quickEvent), q.hash);
  };

  let mapper: FamilyMapper | null = null;
  const rows: RawEvent[] = [];
  const text = await replayable(input.utf8);
  if (startsLikeJson(text.head)) {
    // Microsoft Graph's message trace: a messageTraces page, or detail events as JSON lines.
    const seen = await readGraphText(
      text.stream,
      {
        maxRecordBytes: limits.maxRecordBytes,
        onBytes: (n) => (tally.summary.bytes.text += n),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.afterChunk ? { afterChunk: options.afterChunk } : {}),
      },
      {
        family(m, warnings) {
          if (mapper === null) {
            mapper = m;
            describeFamily(tally, m, null, options.dates?.timeZone);
            options.onFamily?.(m.family);
          }
          tally.summary.warnings.push(...warnings);
        },
        record(r) {
          tally.summary.rows++;
          rows.length = 0;
          if (mapRecord(mapper!, r, rows, tally)) for (const raw of rows) buffer.push(raw);
        },
        reject(line, reason) {
          tally.summary.rows++;
          tally.reject(line, reason);
        },
      },
    );
    buffer.end();
    tally.summary.bytes.stored = input.counters.compressedBytes;
    if (!seen) tally.summary.empty = true;
    return seen ? tally.finish() : tally.summary;
  }
  let quick: QuickReader | null = null;
  const q = quickRow();
  const reader = new CsvReader(
    { maxRecordBytes: limits.maxRecordBytes, maxColumns: limits.maxColumns, fromUtf16: input.encoding.startsWith('utf-16') },
    {
      onHeader(h: HeaderInfo) {
        mapper = recognizeHeader(h.cells, h.preamble);
        if (options.hashedEvents && mapper.quick) quick = mapper.quick();
        describeFamily(tally, mapper, h.delimiter, options.dates?.timeZone);
        options.onFamily?.(mapper.family);
      },
      onRecord(r: RecordBytes) {
        tally.summary.rows++;
        // While rows wait for their dates' order (or this one would), the row goes to the mapper and waits with them.
        if (quick && buffer.holding === 0 && quick(r, q) && (dates.resolvedOrder !== null || dates.learn(quickTimeText(q))))
          return emitQuick(q, r.line);
        rows.length = 0;
        if (mapRecord(mapper!, r, rows, tally)) for (const raw of rows) buffer.push(raw);
      },
      onBadRecord(bad: BadRecord) {
        tally.summary.rows++;
        tally.reject(bad.line, bad.message);
      },
    },
  );

  for await (const chunk of text.stream) {
    options.signal?.throwIfAborted();
    tally.summary.bytes.text += chunk.length;
    reader.push(chunk);
    if (options.afterChunk) await options.afterChunk();
  }
  const end = reader.end();
  buffer.end();
  tally.summary.bytes.stored = input.counters.compressedBytes;
  warnUtf16Damage(input.utf16Damage, tally);
  noteWindows1252(reader.legacy, tally);
  return endOfFile(end, tally);
}

function describeFamily(tally: SummaryTally, mapper: FamilyMapper, delimiter: string | null, timeZone: string | undefined): void {
  const s = tally.summary;
  s.family = mapper.family;
  s.delimiter = delimiter;
  s.columnsUsed = mapper.columnsUsed;
  s.warnings.push(...mapper.warnings);
  if (mapper.family === 'tracking-log-export' && !timeZone) {
    tally.warn(
      "Get-MessageTrackingLog writes Timestamp in the server's local time; it was read as UTC. Pass --tz (e.g. --tz Europe/Rome) for exact hours",
    );
  }
}

/** The text's first chunk (to tell JSON from CSV), and the whole text again from the start. */
async function replayable(source: AsyncIterable<Uint8Array>): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? new Uint8Array() : first.value;
  return {
    head,
    stream: {
      async *[Symbol.asyncIterator]() {
        if (!first.done) yield first.value;
        for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
      },
    },
  };
}

/** Excel saves "CSV" in the system's ANSI code page: say so, and what the file was read as. */
function noteWindows1252(legacy: CsvReader['legacy'], tally: SummaryTally): void {
  if (legacy.fields === 0) return;
  if (tally.summary.encoding === 'utf-8') tally.summary.encoding = 'windows-1252';
  tally.warn(
    `not UTF-8: looks like Excel ANSI (Windows-1252), and ${legacy.fields} field${legacy.fields === 1 ? ' was' : 's were'} read as such (the first on line ${legacy.firstLine}); save as "CSV UTF-8" or export with -Encoding UTF8 to remove the guess`,
  );
}

function warnUtf16Damage(damage: Utf16Damage, tally: SummaryTally): void {
  const { loneSurrogates: n, firstLoneSurrogateAt: first, oddLastByteAt: odd } = damage;
  if (n > 0) {
    tally.warn(
      `${n} unpaired UTF-16 surrogate${n === 1 ? '' : 's'} (half of a character; the first at byte ${first}): rows that use such a column were rejected, the others were read`,
    );
  }
  if (odd !== null) tally.warn(`the UTF-16 text ends with a stray byte (at byte ${odd}), which was ignored`);
}

/** Maps one record to its events; false (and the row rejected) when the row cannot be used. */
function mapRecord(mapper: FamilyMapper, record: RecordView, out: RawEvent[], tally: SummaryTally): boolean {
  try {
    mapper.map(record, out);
    return true;
  } catch (err) {
    // A bad row, or a broken UTF-16 character in a column this family reads: that row only.
    if (err instanceof RowError || (err instanceof InputError && err.code === 'INVALID_UTF16')) {
      tally.reject(record.line, err.message + spanNote(record, err));
      return false;
    }
    throw err;
  }
}

/** A record of the wrong shape that runs over several lines is almost always an unbalanced quote: say which lines it took. */
function spanNote(record: RecordView, err: Error): string {
  if (record.lineCount < 2 || !(err instanceof RowError && err.code === 'FIELD_COUNT')) return '';
  return ` (the record runs from line ${record.line} to line ${record.line + record.lineCount - 1}: a quote is probably unbalanced)`;
}

/** A file that never got a header is empty (or has an unclosed quote in it); a cut last record is a warning. */
function endOfFile(end: CsvEndInfo, tally: SummaryTally): ExportSummary {
  const quote = end.unterminatedQuoteLine;
  if (!end.headerSeen) {
    if (quote !== null)
      throw new CsvFormatError('QUOTE_NOT_CLOSED', `the header starting at line ${quote} opens a quote that is never closed`, {
        line: quote,
      });
    tally.summary.empty = true;
    return tally.summary;
  }
  if (quote !== null) {
    if (tally.summary.rows === 0) {
      throw new CsvFormatError(
        'QUOTE_NOT_CLOSED',
        `the file ends inside a quoted field that starts at line ${quote}, and has no complete row`,
        { line: quote },
      );
    }
    tally.summary.endsInsideRecord = true;
    tally.warn(
      `the file ends inside a quoted field that starts at line ${quote}: that last record was dropped (the export was probably cut short)`,
    );
  }
  return tally.finish();
}

function unreadableDate(text: string, order: DateOrder | null): string {
  if (!text) return 'no timestamp';
  const read = order ? `; this file's dates were read as ${order === 'dmy' ? 'day/month' : 'month/day'}` : '';
  return `unreadable date "${text.slice(0, 40)}" (expected ISO-8601, M/d/yyyy h:mm:ss tt, dd/MM/yyyy HH:mm:ss or dd.MM.yyyy HH:mm:ss${read})`;
}
