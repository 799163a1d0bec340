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

// The same, but tab, CR and LF kept: text whose lines matter (a CSV cell, quoted).
const UNSTORABLE_IN_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without control characters and bidi overrides, keeping tab, CR and LF. */
export function withoutControls(text: string): string {
  return text.replace(UNSTORABLE_IN_LINES, '');
}

// Line feed and tab stay; CR only before LF (CRLF lines of CSV output): a lone CR rewrites the line.
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` as it may reach a terminal: control characters shown as `\xHH` (`\u202e` for bidi
 * controls) instead of acting (clearing the screen, rewriting a line, reversing text), so a hostile
 * export cannot print a fake success line.
 */
export function terminalSafe(text: string): string {
  UNPRINTABLE.lastIndex = 0;
  if (!UNPRINTABLE.test(text)) return text;
  return text.replace(UNPRINTABLE, (c) => {
    const n = c.charCodeAt(0);
    return n > 0xff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\x${n.toString(16).padStart(2, '0')}`;
  });
}

/**
 * Storable texts kept for the whole of an upload (open deferrals, aliases), one copy per distinct
 * text. A server name parsed out of a status is a slice of that status, and a slice keeps all of
 * its parent alive: the open deferrals of a dense export held ~23 MiB of status texts for their
 * 30-character destinations. The copies are the texts' own; the first `max` distinct ones are shared.
 */
export class TextKeeper {
  private readonly kept = new Map<string, string>();
  private readonly max: number;

  constructor(max = 10_000) {
    this.max = max;
  }

  /** `text` storable (see storable), as a string of its own; null stays null. */
  keep<T extends string | null>(text: T): T {
    if (text === null) return text;
    const known = this.kept.get(text);
    if (known !== undefined) return known as T;
    // Through UTF-16 bytes: a new string with exactly the same code units, unpaired surrogates too.
    const own = Buffer.from(storable(text), 'utf16le').toString('utf16le');
    // Keyed by the copy, never by `text`: a key that is a slice would keep its parent, as before.
    // (Lookups compare contents, so the next slice of the same text finds it.)
    if (this.kept.size < this.max) this.kept.set(own, own);
    return own as T;
  }
}
