import { hashPairAscii } from '../vocabulary/hash64.ts';
import { asciiText, type RecordBytes } from '../csv/csv-reader.ts';
import type { Outcome } from '../vocabulary/outcomes.ts';
import { outcomeForEvent } from './event-words.ts';
import { FIELD_LIMITS, type FieldKind } from './field-limits.ts';

/**
 * Most rows of a message trace detail say nothing about a failure: `Receive`, and `Send` or
 * `Deliver` of a delivered message (87 % of a busy tenant's day). Such a row is read here from its
 * bytes: the event word matched against the words seen, the message key and the recipient hashed
 * as they lie in the buffer, the recipient's domain taken from a table of the domains seen. The time
 * is decoded only when DateReader.parseAscii has not just read the same text. The mapper (families.ts) reads every other row, and any row this one is not
 * sure of: a field that is not plain ASCII, over its limit, quoted with doubled quotes, a row of
 * the wrong width, a key-less row, a recipient in angle brackets, a `ToIP`. What it returns is
 * what the mapper and fillEvent would have made of the row (test/unit/quick-detail.property.test.ts).
 */
export interface QuickRow {
  outcome: Extract<Outcome, 'delivered' | 'other'>;
  /** The time's trimmed ASCII text: bytes[time0 … time1) of the record's buffer (valid while its callback runs). */
  bytes: Uint8Array;
  time0: number;
  time1: number;
  /** The recipient's domain, lower-cased ('' for `other`). */
  domain: string;
  /** hashPair(message key, lower-cased recipient), for `delivered`. */
  readonly hash: Uint32Array;
}

export interface QuickColumns {
  width: number;
  time: number;
  event: number;
  rcpt: number;
  traceId: number;
  msgId: number;
  toIp: number;
}

export type QuickReader = (r: RecordBytes, out: QuickRow) => boolean;

export function quickRow(): QuickRow {
  return { outcome: 'other', bytes: new Uint8Array(0), time0: 0, time1: 0, domain: '', hash: new Uint32Array(2) };
}

/** The time as text, for what needs it (learning the day/month order, a rejected row's reason). */
export function quickTimeText(q: QuickRow): string {
  return asciiText(q.bytes, q.time0, q.time1);
}

/** Words remembered by their bytes: a file has a handful of distinct event words. */
const MAX_WORDS = 16;
/** Domains remembered by their bytes, per reader. */
const MAX_DOMAINS = 4096;

/** A trimmed ASCII field: [start, end) in `span`, or false when the field is not plain ASCII within its limit. */
function asciiField(r: RecordBytes, i: number, kind: FieldKind, span: Int32Array): boolean {
  if (i < 0) {
    span[0] = span[1] = 0;
    return true;
  }
  if (!r.plain(i)) return false;
  let s = r.fieldStart(i);
  let e = r.fieldEnd(i);
  // The mapper checks the bytes as written, then the trimmed text: both limits hold here or it reads the row.
  if (e - s > FIELD_LIMITS[kind].chars * 4) return false;
  const b = r.bytes;
  for (let k = s; k < e; k++) if (b[k]! >= 0x80) return false;
  while (s < e && isSpace(b[s]!)) s++;
  while (e > s && isSpace(b[e - 1]!)) e--;
  if (e - s > FIELD_LIMITS[kind].chars) return false;
  span[0] = s;
  span[1] = e;
  return true;
}

/** What String.prototype.trim removes, among ASCII bytes. */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

function sameBytes(b: Uint8Array, s: number, e: number, text: Uint8Array): boolean {
  if (text.length !== e - s) return false;
  for (let k = 0; k < text.length; k++) if (b[s + k] !== text[k]) return false;
  return true;
}

/** The quick reader of a trace detail's rows, for its columns (-1: absent). */
export function quickDetail(c: QuickColumns): QuickReader {
  const span = new Int32Array(2);
  const words: Array<{ bytes: Uint8Array; outcome: Outcome }> = [];
  const domains = new Map<number, Array<{ bytes: Uint8Array; text: string }>>();
  let domainCount = 0;

  const outcomeOf = (r: RecordBytes): Outcome | null => {
    if (!asciiField(r, c.event, 'event', span)) return null;
    const [s, e] = span;
    const b = r.bytes;
    for (const w of words) if (sameBytes(b, s!, e!, w.bytes)) return w.outcome;
    const outcome = outcomeForEvent(asciiText(b, s!, e!), true);
    if (words.length < MAX_WORDS) words.push({ bytes: Uint8Array.from(b.subarray(s!, e!)), outcome });
    return outcome;
  };

  const domainOf = (b: Uint8Array, s: number, e: number): string | null => {
    let at = e - 1;
    while (at >= s && b[at] !== 0x40 /* @ */) at--;
    if (at < s) return '';
    s = at + 1;
    let h = 0x811c9dc5;
    for (let k = s; k < e; k++) {
      let ch = b[k]!;
      if (ch >= 0x41 && ch <= 0x5a) ch |= 0x20;
      h = Math.imul(h ^ ch, 0x01000193);
    }
    const list = domains.get(h);
    if (list) for (const d of list) if (sameLower(b, s, e, d.bytes)) return d.text;
    if (domainCount >= MAX_DOMAINS) return null;
    const bytes = Uint8Array.from(b.subarray(s, e));
    for (let k = 0; k < bytes.length; k++) if (bytes[k]! >= 0x41 && bytes[k]! <= 0x5a) bytes[k]! |= 0x20;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    if (list) list.push({ bytes, text });
    else domains.set(h, [{ bytes, text }]);
    domainCount++;
    return text;
  };

  return (r, out) => {
    if (r.fieldCount !== c.width) return false;
    const outcome = outcomeOf(r);
    if (outcome !== 'delivered' && outcome !== 'other') return false;
    if (!asciiField(r, c.time, 'time', span)) return false;
    const b = r.bytes;
    out.bytes = b;
    out.time0 = span[0]!;
    out.time1 = span[1]!;
    out.outcome = outcome;
    out.domain = '';
    if (outcome === 'other') return true;
    // The message key: the trace id, else the Message-ID; a row with neither is the mapper's.
    if (!asciiField(r, c.traceId, 'messageKey', span)) return false;
    let k0 = span[0]!;
    let k1 = span[1]!;
    if (k0 === k1) {
      if (!asciiField(r, c.msgId, 'messageKey', span)) return false;
      k0 = span[0]!;
      k1 = span[1]!;
      if (k0 === k1) return false;
    }
    if (!asciiField(r, c.rcpt, 'address', span)) return false;
    const r0 = span[0]!;
    const r1 = span[1]!;
    for (let k = r0; k < r1; k++) if (b[k] === 0x3e /* > */) return false; // "Name <a@b>": the mapper's
    if (!asciiField(r, c.toIp, 'ip', span) || span[0] !== span[1]) return false;
    const domain = domainOf(b, r0, r1);
    if (domain === null) return false;
    out.domain = domain;
    hashPairAscii(b, k0, k1, r0, r1, out.hash);
    return true;
  };
}

/** Whether b[s … e), lower-cased, is `lower`. */
function sameLower(b: Uint8Array, s: number, e: number, lower: Uint8Array): boolean {
  if (lower.length !== e - s) return false;
  for (let k = 0; k < lower.length; k++) {
    let ch = b[s + k]!;
    if (ch >= 0x41 && ch <= 0x5a) ch |= 0x20;
    if (ch !== lower[k]) return false;
  }
  return true;
}
