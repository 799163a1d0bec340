/**
 * Text from the data (subjects, addresses, server replies) is attacker-controlled. Before it
 * reaches an alert: no control characters (a CR LF could forge headers, a NUL truncate), no bidi
 * overrides (U+202E can make `exe.pdf` read as `fdp.exe`), URLs defanged so mail clients do not
 * turn them into links, and a length cap with an ellipsis.
 */
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
const BIDI = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const URL_SCHEME = /\b(h)(tt)(ps?):\/\//gi;
const WWW_HOST = /\b(www)\.([a-z0-9-]+)\.([a-z]{2,})/gi;

export const FIELD_MAX = 200;

/** One field (a single line): controls and newlines become spaces. */
export function sanitizeField(value: unknown, max = FIELD_MAX): string {
  const text = String(value ?? '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(CONTROLS, '')
    .replace(BIDI, '')
    .replace(URL_SCHEME, (_m, h: string, tt: string, ps: string) => `${h}${tt.replace(/t/gi, 'x')}${ps}[:]//`)
    .replace(WWW_HOST, '$1[.]$2[.]$3')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return truncate(text, max);
}

/** An incident's group for machines: each value sanitized, nulls kept. */
export function sanitizeGroup(group: Record<string, string | null>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(group).map(([k, v]) => [k, v === null ? null : sanitizeField(v)]));
}

/** A multi-line body of our own text with fields already sanitized: only newlines survive. */
export function sanitizeBody(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '')
    .replace(BIDI, '');
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  // Never split a surrogate pair.
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

/** Printable ASCII only, 1–99 characters: the subject rules SNS email enforces. */
export function asciiSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[^\x20-\x7E]/g, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
  const subject = ascii.length > 99 ? `${ascii.slice(0, 96).trimEnd()}...` : ascii;
  return subject || 'mailflow alert';
}
