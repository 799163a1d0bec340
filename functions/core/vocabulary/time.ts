/** Durations in milliseconds, and the hour arithmetic the hourly layout is built on. */
export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Start of the UTC hour that holds `ms`. */
export const hourStart = (ms: number): number => Math.floor(ms / HOUR) * HOUR;

/** Start of the first UTC hour at or after `ms`. */
/** Start of the UTC day. */
export const dayStart = (ms: number): number => Math.floor(ms / DAY) * DAY;

export const hourCeil = (ms: number): number => Math.ceil(ms / HOUR) * HOUR;

/** `2026-11-20T10:00:00Z`: how hours are named in stored records. */
export const isoHour = (ms: number): string => new Date(hourStart(ms)).toISOString().replace('.000Z', 'Z');

/**
 * `Date.parse` of a summary's hour, remembered: a page of views parses the same few thousand hours
 * hundreds of thousands of times (~200 ns each, a lookup ~40).
 */
export function hourMs(iso: string): number {
  let ms = parsedHours.get(iso);
  if (ms === undefined) {
    if (parsedHours.size >= 100_000) parsedHours.clear();
    parsedHours.set(iso, (ms = Date.parse(iso)));
  }
  return ms;
}
const parsedHours = new Map<string, number>();

/**
 * The times a delivery can plausibly have. Before 1996 (when Exchange began) a date is a misread
 * (a two-digit year, a placeholder), and more than a day after the ingestion it is in the future
 * (a day covers a server's local time read as UTC, and clock skew): such rows are rejected, never
 * counted, and never move a tenant's clock.
 */
export const EARLIEST_PLAUSIBLE_TIME = Date.UTC(1996, 0, 1);
export const FUTURE_SLACK_MS = DAY;

/** How far past the wall clock a tenant's data clock may run (rules are evaluated as of it). */
export const CLOCK_SLACK_MS = HOUR;

/** Why a row's time (`text` as the export wrote it, read as `time`) is not plausible at ingestion time `now`, or null. */
export function implausibleTime(time: number, now: number | undefined, text: string): string | null {
  // Called for every event: the message is built only for the rare row that needs one.
  if (time < EARLIEST_PLAUSIBLE_TIME) return `date "${text.slice(0, 40)}" is before 1996: not a delivery time (a misread year?)`;
  if (now !== undefined && time > now + FUTURE_SLACK_MS)
    return `date "${text.slice(0, 40)}" is in the future (more than a day after this ingestion)`;
  return null;
}

const DURATION = /^(\d+)\s*(m|min|h|d)$/i;
const UNIT: Record<string, number> = { m: MINUTE, min: MINUTE, h: HOUR, d: DAY };

/** `90m`, `24h`, `7d` → milliseconds; null for anything else (the caller says what was expected). */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT[m[2]!.toLowerCase()]! : null;
}

/** Local calendar date, hour and minute of `ms` in an IANA time zone. */
export function localTime(ms: number, timeZone: string): { date: string; hour: number; minute: number; hhmm: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    hhmm: `${parts.hour}:${parts.minute}`,
  };
}

/** `2026-11-20`: the UTC day of `ms`. */
export const isoDay = (ms: number): string => new Date(Math.floor(ms / DAY) * DAY).toISOString().slice(0, 10);
