/**
 * Control characters (C0, DEL, C1) and bidirectional overrides: they mean nothing in a domain,
 * a server name or a connector, and in a stored value they would reach terminals, pages and
 * spreadsheets later. Exports can carry them (a NUL in a recipient address, an ESC in a host).
 */
const UNSTORABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without control characters and bidi overrides; null stays null. */
export function storable<T extends string | null>(text: T): T {
  if (text === null) return text;
  UNSTORABLE.lastIndex = 0;
  return (UNSTORABLE.test(text) ? text.replace(UNSTORABLE, '') : text) as T;
}
