import type { DateReader } from '../formats/dates.ts';
import type { RawEvent } from '../formats/event.ts';

/**
 * Holds rows back while the day/month order of the file's dates is unknown (`03/04/2026` reads
 * either way), and releases them in order once a date decides it, or after `window` rows, read as
 * month/day with a warning that says how to override it.
 */
export class DateOrderBuffer {
  private readonly pending: RawEvent[] = [];
  private readonly dates: DateReader;
  private readonly window: number;
  private readonly emit: (raw: RawEvent) => void;
  private readonly warn: (text: string) => void;

  constructor(dates: DateReader, window: number, emit: (raw: RawEvent) => void, warn: (text: string) => void) {
    this.dates = dates;
    this.window = window;
    this.emit = emit;
    this.warn = warn;
  }

  /** Rows held back now. */
  get holding(): number {
    return this.pending.length;
  }

  push(raw: RawEvent): void {
    const decided = this.dates.learn(raw.timeText);
    if (decided && this.pending.length === 0) return this.emit(raw);
    this.pending.push(raw);
    if (this.dates.resolvedOrder) this.release();
    else if (this.pending.length >= this.window) {
      this.assumeMonthFirst();
      this.release();
    }
  }

  /** At the end of the file: what is still held back is read as month/day. */
  end(): void {
    if (this.pending.length === 0) return;
    if (!this.dates.resolvedOrder) this.assumeMonthFirst();
    this.release();
  }

  private assumeMonthFirst(): void {
    this.dates.assumeOrder('mdy');
    this.warn(
      `dates such as ${this.pending[0]?.timeText ?? 'the first ones'} are ambiguous (no day or month above 12 in the first ${this.pending.length} rows); read as month/day. Pass --date-order dmy if the export came from a day-first locale`,
    );
  }

  private release(): void {
    for (const raw of this.pending) this.emit(raw);
    this.pending.length = 0;
  }
}
