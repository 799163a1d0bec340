import { asciiText } from '../csv/csv-reader.ts';
import { UsageError } from '../errors.ts';

/**
 * Exports write UTC instants in the exporter's culture: ISO-8601 (raw logs, Graph), US
 * `4/6/2021 2:46:03 PM`, day-first `28/10/2023 20:18:34` or `28.10.2023 20:18:34`.
 * The day/month order of slash dates is a property of the file: learnt from values over 12.
 */
export type DateOrder = 'mdy' | 'dmy';

export interface DateOptions {
  /** Forces the order of slash-separated dates. */
  order?: DateOrder;
  /** For values without a zone: 'UTC' (default), a fixed offset like '+02:00', or an IANA name. */
  timeZone?: string;
}

interface Parts {
  a: number; // first number of a slash date, or year for ISO
  b: number;
  y: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  /** Minutes east of UTC when the value carries a zone; null otherwise. */
  zone: number | null;
  /** 'iso' and 'dot' (always d.M.y) need no order; 'slash' does. */
  kind: 'iso' | 'dot' | 'slash';
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const CULTURE =
  /^(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([AaPp]\.?[Mm]\.?)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$/;

function splitParts(text: string): Parts | null {
  const t = text.trim();
  let m = ISO.exec(t);
  if (m) {
    return {
      kind: 'iso',
      y: +m[1]!,
      a: +m[2]!,
      b: +m[3]!,
      h: +(m[4] ?? 0),
      mi: +(m[5] ?? 0),
      s: +(m[6] ?? 0),
      ms: fraction(m[7]),
      zone: zoneMinutes(m[8]),
    };
  }
  m = CULTURE.exec(t);
  if (!m) return null;
  let h = +(m[5] ?? 0);
  const ampm = m[9]?.[0]?.toLowerCase();
  if (ampm) {
    if (h < 1 || h > 12) return null;
    if (ampm === 'p' && h < 12) h += 12;
    if (ampm === 'a' && h === 12) h = 0;
  }
  const first = m[1]!;
  const common = { h, mi: +(m[6] ?? 0), s: +(m[7] ?? 0), ms: fraction(m[8]), zone: zoneMinutes(m[10]) };
  if (first.length === 4) return { kind: 'iso', y: +first, a: +m[3]!, b: +m[4]!, ...common }; // 2023/10/28
  const year = m[4]!.length === 2 ? 2000 + +m[4]! : +m[4]!;
  if (m[2] === '.') return { kind: 'dot', y: year, a: +first, b: +m[3]!, ...common };
  return { kind: 'slash', y: year, a: +first, b: +m[3]!, ...common };
}

/**
 * The hot path: ISO `2026-11-20T10:00:06.1234567Z` and culture `11/20/2026 3:46:03 PM`,
 * `20.11.2026 15:46:03`, read by char codes. Anything else returns null and goes to the regexes.
 */
let at = 0; // cursor for fastParts' digit reader (module-level: no closure per call)

function digits(t: string, max: number): number {
  let v = 0;
  const start = at;
  const n = t.length;
  while (at < n && at - start < max) {
    const c = t.charCodeAt(at) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    at++;
  }
  return at === start ? -1 : v;
}

function fastParts(t: string): Parts | null {
  const n = t.length;
  at = 0;
  const a = digits(t, 4);
  if (a < 0 || at >= n) return null;
  const sep = t.charCodeAt(at);
  const aDigits = at;
  let kind: Parts['kind'];
  let y: number;
  let x: number;
  let z: number;
  if (sep === 45 /* - */ && aDigits === 4) {
    at++;
    x = digits(t, 2);
    if (t.charCodeAt(at) !== 45) return null;
    at++;
    z = digits(t, 2);
    y = a;
    kind = 'iso';
  } else if ((sep === 47 /* / */ || sep === 46) /* . */ && aDigits <= 2) {
    at++;
    x = digits(t, 2);
    if (t.charCodeAt(at) !== sep) return null;
    at++;
    const yStart = at;
    y = digits(t, 4);
    if (at - yStart !== 4) return null;
    kind = sep === 46 ? 'dot' : 'slash';
    z = 0;
  } else return null;
  if (x < 0 || z < 0) return null;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let ms = 0;
  let zone: number | null = null;
  if (at < n) {
    const c = t.charCodeAt(at);
    if (c !== 84 /* T */ && c !== 32) return null;
    at++;
    h = digits(t, 2);
    if (h < 0 || t.charCodeAt(at) !== 58) return null;
    at++;
    mi = digits(t, 2);
    if (mi < 0) return null;
    if (t.charCodeAt(at) === 58) {
      at++;
      sec = digits(t, 2);
      if (sec < 0) return null;
      if (t.charCodeAt(at) === 46 || t.charCodeAt(at) === 44) {
        at++;
        const fStart = at;
        const f = digits(t, 9);
        if (f < 0) return null;
        ms = Math.floor(f / 10 ** (at - fStart - 3));
      }
    }
    if (at < n) {
      const c2 = t.charCodeAt(at);
      if (c2 === 90 /* Z */ && at === n - 1) zone = 0;
      else if (c2 === 32 && n - at === 3 && kind !== 'iso') {
        const ap = t.charCodeAt(at + 1) | 0x20;
        if ((t.charCodeAt(at + 2) | 0x20) !== 109 /* m */ || (ap !== 97 && ap !== 112) || h < 1 || h > 12) return null;
        if (ap === 112 && h < 12) h += 12;
        if (ap === 97 && h === 12) h = 0;
      } else return null; // offsets and other suffixes: the regex path
    }
  }
  const p = FAST;
  p.kind = kind;
  p.y = y;
  p.a = kind === 'iso' ? x : a;
  p.b = kind === 'iso' ? z : x;
  p.h = h;
  p.mi = mi;
  p.s = sec;
  p.ms = ms;
  p.zone = zone;
  return p;
}

/** fastParts' answer, refilled at every call (a date a row: no object each); its callers read it at once. */
const FAST: Parts = { kind: 'iso', y: 0, a: 0, b: 0, h: 0, mi: 0, s: 0, ms: 0, zone: null };

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, mo: number): number {
  return mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : MONTH_DAYS[mo - 1]!;
}

function fraction(f: string | undefined): number {
  return f ? Math.floor(+`0.${f}` * 1000) : 0;
}

function zoneMinutes(z: string | undefined): number | null {
  if (!z) return null;
  const u = z.toUpperCase();
  if (u === 'Z' || u === 'UTC' || u === 'GMT') return 0;
  const sign = z[0] === '-' ? -1 : 1;
  const digits = z.slice(1).replace(':', '');
  return sign * (+digits.slice(0, 2) * 60 + +digits.slice(2, 4));
}

/** parseAscii remembers this many texts of up to SEEN_TEXT bytes (the longest fast form is 31). */
const SEEN_SLOTS = 256;
const SEEN_TEXT = 32;

export class DateReader {
  private order: DateOrder | null;
  private readonly zone: (y: number, mo: number, d: number, h: number, mi: number) => number;
  /** Slash dates seen before the order was known. */
  ambiguousSeen = 0;
  readonly orderForced: boolean;

  constructor(options: DateOptions = {}) {
    this.order = options.order ?? null;
    this.orderForced = options.order !== undefined;
    this.zone = zoneResolver(options.timeZone ?? 'UTC');
  }

  get resolvedOrder(): DateOrder | null {
    return this.order;
  }

  /**
   * Looks at one value to learn the day/month order. Returns true once the order is known or
   * does not matter for this value.
   */
  learn(text: string): boolean {
    if (this.order) return true;
    const p = fastParts(text) ?? splitParts(text);
    if (!p || p.kind !== 'slash') return true;
    if (p.a > 12 && p.b <= 12) this.order = 'dmy';
    else if (p.b > 12 && p.a <= 12) this.order = 'mdy';
    else this.ambiguousSeen++;
    return this.order !== null;
  }

  /** Settles an order that the data never revealed (US month-first, PowerShell's default culture). */
  assumeOrder(order: DateOrder = 'mdy'): void {
    if (!this.order) this.order = order;
  }

  /**
   * `parse` of the ASCII text in bytes[from … to) (a CSV field where it lies), remembering the texts
   * read last: a busy tenant's day has a dozen rows a second, whose times repeat, so most are not
   * decoded or parsed at all. An answer is kept with the day/month order it was read in.
   */
  parseAscii(bytes: Uint8Array, from: number, to: number): number {
    const n = to - from;
    if (n === 0 || n > SEEN_TEXT) return this.parse(asciiText(bytes, from, to));
    let h = 0x811c9dc5 ^ n;
    for (let k = from; k < to; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    const slot = (h >>> 0) & (SEEN_SLOTS - 1);
    const at = slot * SEEN_TEXT;
    const order = this.order === null ? 0 : this.order === 'mdy' ? 1 : 2;
    const seen = this.seen;
    if (seen.length[slot] === n && seen.order[slot] === order) {
      let k = 0;
      while (k < n && seen.text[at + k] === bytes[from + k]) k++;
      if (k === n) return seen.ms[slot]!;
    }
    const ms = this.parse(asciiText(bytes, from, to));
    seen.text.set(bytes.subarray(from, to), at);
    seen.length[slot] = n;
    seen.order[slot] = order;
    seen.ms[slot] = ms;
    return ms;
  }

  /** Texts parseAscii read last, one per slot of their hash. */
  private readonly seen = {
    text: new Uint8Array(SEEN_SLOTS * SEEN_TEXT),
    length: new Int32Array(SEEN_SLOTS),
    order: new Int8Array(SEEN_SLOTS),
    ms: new Float64Array(SEEN_SLOTS),
  };

  /** Epoch milliseconds (UTC), or NaN when the text is not a date we can read. */
  parse(text: string): number {
    const p = fastParts(text) ?? splitParts(text);
    if (!p) return NaN;
    let mo: number;
    let d: number;
    if (p.kind === 'iso') {
      mo = p.a;
      d = p.b;
    } else if (p.kind === 'dot' || (this.order ?? 'mdy') === 'dmy') {
      d = p.a;
      mo = p.b;
    } else {
      mo = p.a;
      d = p.b;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(p.y, mo) || p.h > 23 || p.mi > 59 || p.s > 60) return NaN;
    const wall = Date.UTC(p.y, mo - 1, d, p.h, p.mi, p.s, p.ms);
    const offset = p.zone ?? this.zone(p.y, mo, d, p.h, p.mi);
    return wall - offset * 60_000;
  }
}

type ZoneFn = (y: number, mo: number, d: number, h: number, mi: number) => number;

/** Minutes east of UTC for a wall-clock time in the given zone. */
export function zoneResolver(tz: string): ZoneFn {
  const fixed = /^(UTC|GMT|Z)?\s*([+-]\d{1,2})(?::?(\d{2}))?$/i.exec(tz.trim());
  if (/^(UTC|GMT|Z)$/i.test(tz.trim())) return () => 0;
  if (fixed) {
    const sign = fixed[2]!.startsWith('-') ? -1 : 1;
    const mins = sign * (Math.abs(+fixed[2]!) * 60 + +(fixed[3] ?? 0));
    return () => mins;
  }
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  } catch {
    throw new UsageError('BAD_TIME_ZONE', `unknown time zone "${tz}": use UTC, an offset like +02:00, or an IANA name like Europe/Rome`);
  }
  const cache = new Map<number, number>();
  const offsetAt = (instant: number): number => {
    const key = Math.floor(instant / 900_000);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const f: Record<string, number> = {};
    for (const part of fmt.formatToParts(instant)) if (part.type !== 'literal') f[part.type] = +part.value;
    const asUtc = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!);
    const off = Math.round((asUtc - Math.floor(instant / 60_000) * 60_000) / 60_000);
    cache.set(key, off);
    return off;
  };
  return (y, mo, d, h, mi) => {
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    const first = offsetAt(wall);
    return offsetAt(wall - first * 60_000);
  };
}
