/**
 * Splits `a;b;c` only at bracket depth 0: every LED block itself contains `};{` and reason
 * texts contain `;`, so a naive split tears statuses apart. Stops once it has more than `max`
 * items (the caller rejects such a list without building the rest of it). With `startsItem`, a
 * separator splits only where it says the text after it starts an item.
 */
export function splitTopLevel(
  text: string,
  separators: string,
  max = Number.POSITIVE_INFINITY,
  startsItem?: (text: string, at: number) => boolean,
): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length && out.length <= max; i++) {
    const c = text[i]!;
    if (c === '[' || c === '{' || c === '(') depth++;
    else if ((c === ']' || c === '}' || c === ')') && depth > 0) depth--;
    else if (depth === 0 && separators.includes(c) && (!startsItem || startsItem(text, i + 1))) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((s, i, all) => s !== '' || all.length === 1);
}

/**
 * A list of statuses, one per recipient, split like splitTopLevel but only where the next status
 * starts: an SMTP reply (`250 `, `550-`) or an LED block (`{[{LED=`, `[{LED=`), or nothing. A
 * status's own text may hold the separator at depth 0 (`550 4.4.7 QUEUE.Expired; message expired`,
 * `Message expired, cannot connect …`), which a plain split cuts into two statuses.
 */
export function splitStatuses(text: string, separator: ';' | ',', max = Number.POSITIVE_INFINITY): string[] {
  return splitTopLevel(text, separator, max, startsStatus);
}

const STATUS_START = /\s*(?:$|[;,]|\d{3}[ -]|\{?\[\{)/y;

function startsStatus(text: string, at: number): boolean {
  STATUS_START.lastIndex = at;
  return STATUS_START.test(text);
}

/** `Get-MessageTrackingLog` objects wrap lists in braces: `{a@x.com, b@y.com}`. */
export function unwrapBraces(text: string): string {
  const t = text.trim();
  if (t.startsWith('{') && t.endsWith('}') && !t.startsWith('{[') && !t.startsWith('{LED')) return t.slice(1, -1).trim();
  if (t.startsWith('{[') && t.endsWith(']}')) return t.slice(1, -1).trim();
  return t;
}
