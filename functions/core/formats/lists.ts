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
  const first = split(text, separators, max, startsItem, null);
  // An opener that is never closed (a stray "(" in one status's text) would hold every later
  // separator at depth 1 and so merge the rest of the list into one item: it is read as text.
  return first.open > 0 ? split(text, separators, max, startsItem, unclosedOpeners(text)).items : first.items;
}

function split(
  text: string,
  separators: string,
  max: number,
  startsItem: ((text: string, at: number) => boolean) | undefined,
  literal: ReadonlySet<number> | null,
): { items: string[]; open: number } {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  for (; i < text.length && out.length <= max; i++) {
    const c = text[i]!;
    if (c === '[' || c === '{' || c === '(') {
      if (!literal?.has(i)) depth++;
    } else if ((c === ']' || c === '}' || c === ')') && depth > 0) depth--;
    else if (depth === 0 && separators.includes(c) && (!startsItem || startsItem(text, i + 1))) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return { items: out.filter((s, j, all) => s !== '' || all.length === 1), open: i === text.length ? depth : 0 };
}

/** Positions of the openers no closer matches (any closer closes the innermost opener, as in split). */
function unclosedOpeners(text: string): Set<number> {
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '[' || c === '{' || c === '(') stack.push(i);
    else if (c === ']' || c === '}' || c === ')') stack.pop();
  }
  return new Set(stack);
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
