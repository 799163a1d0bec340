import { RowError } from '../errors.ts';

/**
 * The longest value each column mailflow reads can legitimately hold. A longer value is not a
 * real export's: the row is rejected with the column named, before the value is decoded, so one
 * 200 KB "host name" cannot be copied into every event of a 60,000-recipient row. Status texts
 * are the exception: only their head is decoded (see MAX_STATUS_CHARS), the rest is ignored.
 */
export const FIELD_LIMITS = {
  /** RFC 5321: a 64-character local part, `@`, a 255-character domain. */
  address: { chars: 320, what: 'an e-mail address' },
  /** DNS: 253 characters, 255 with a trailing dot. */
  host: { chars: 255, what: 'a host name' },
  /** An IPv6 address with a zone, brackets and a port. */
  ip: { chars: 64, what: 'an IP address' },
  /** RFC 5322 caps a header line at 998 characters; trace ids are GUIDs. */
  messageKey: { chars: 998, what: 'a message id' },
  time: { chars: 64, what: 'a date and time' },
  event: { chars: 256, what: 'an event or status word' },
  connector: { chars: 512, what: 'a connector name' },
  direction: { chars: 64, what: 'a direction' },
} as const;

export type FieldKind = keyof typeof FIELD_LIMITS;

/**
 * Statuses are read up to this many characters: real ones are under 2 KB, with the code and the tags
 * at the start, and no hostile text can make matching cost more than this much.
 */
export const MAX_STATUS_CHARS = 8192;

/** Bytes of a status text that are decoded: MAX_STATUS_CHARS characters of up to 3 UTF-8 bytes each. */
export const STATUS_HEAD_BYTES = MAX_STATUS_CHARS * 3;

/**
 * Recipients one row may list. Exchange Online allows at most 1,000 recipients per message and
 * on-premises limits default to a few hundred; a tracking-log delivery to a large distribution
 * group stays well below this. A row over it is rejected, never expanded into events.
 */
export const MAX_RECIPIENTS_PER_ROW = 10_000;

/** UTF-8 takes at most 4 bytes per character, so a field over 4 × the limit is too long before it is decoded. */
export function checkFieldBytes(column: string, bytes: number, kind: FieldKind): void {
  if (bytes > FIELD_LIMITS[kind].chars * 4) throw tooLong(column, `${bytes.toLocaleString('en-US')} bytes`, kind);
}

export function checkFieldChars(column: string, text: string, kind: FieldKind): string {
  if (text.length > FIELD_LIMITS[kind].chars) throw tooLong(column, `${text.length.toLocaleString('en-US')} characters`, kind);
  return text;
}

function tooLong(column: string, size: string, kind: FieldKind): RowError {
  const { chars, what } = FIELD_LIMITS[kind];
  return new RowError('FIELD_TOO_LONG', `${column} is ${size} long; ${what} has at most ${chars} characters`);
}

export function tooManyRecipients(column: string): RowError {
  return new RowError(
    'TOO_MANY_RECIPIENTS',
    `${column} lists more than ${MAX_RECIPIENTS_PER_ROW.toLocaleString('en-US')} recipients; no Exchange row holds that many`,
  );
}
