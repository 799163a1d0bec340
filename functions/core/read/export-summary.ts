import { lookupCode } from '../classify/classify.ts';
import type { DeliveryEvent } from '../classify/types.ts';
import type { FamilyId } from '../formats/event.ts';
import type { TextEncoding } from '../input/sniff.ts';
import { OUTCOMES, type Outcome } from '../vocabulary/outcomes.ts';

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

/** The fields that describe a file, as receipts and `inspect --json` both show them. */
export function describedFields(s: ExportSummary) {
  const { family, encoding, compression, delimiter, bytes, rows, events, codes, unknownCodes, timeSpan, rejectedRows, warnings } = s;
  return { family, encoding, compression, delimiter, bytes, rows, events, codes, unknownCodes, timeSpan, rejectedRows, warnings };
}

/** The summary of a file as it is read: counts per outcome and code, the time span, rejected rows. */
export class SummaryTally {
  readonly summary: ExportSummary;
  private minTime = Infinity;
  private maxTime = -Infinity;
  private lastRejectedLine = -1;
  private readonly unknown = new Set<string>();

  constructor(encoding: TextEncoding, compression: 'gzip' | 'none') {
    this.summary = {
      family: null,
      encoding,
      compression,
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
  }

  /** A row that cannot be used; a row rejected twice (two of its recipients) counts once. */
  reject(line: number, reason: string): void {
    if (line === this.lastRejectedLine) return;
    this.lastRejectedLine = line;
    this.summary.rejectedRows.count++;
    if (this.summary.rejectedRows.samples.length < MAX_REJECTED_SAMPLES) this.summary.rejectedRows.samples.push({ line, reason });
  }

  /** Counts one classified event; returns it, for the caller to pass on. */
  count(event: DeliveryEvent): DeliveryEvent {
    const s = this.summary;
    s.events[event.outcome]++;
    if (event.code) {
      s.codes[event.code] = (s.codes[event.code] ?? 0) + 1;
      if (!this.unknown.has(event.code) && !lookupCode(event.code)) this.unknown.add(event.code);
    }
    if (event.time < this.minTime) this.minTime = event.time;
    if (event.time > this.maxTime) this.maxTime = event.time;
    return event;
  }

  warn(text: string): void {
    this.summary.warnings.push(text);
  }

  /** The summary of the whole file, once every row is read. */
  finish(): ExportSummary {
    const s = this.summary;
    if (s.rejectedRows.count > 0)
      s.warnings.push(`${s.rejectedRows.count} row(s) skipped; the first at line ${s.rejectedRows.samples[0]!.line}`);
    s.unknownCodes = [...this.unknown].sort();
    if (this.minTime <= this.maxTime) s.timeSpan = { from: new Date(this.minTime).toISOString(), to: new Date(this.maxTime).toISOString() };
    return s;
  }
}
