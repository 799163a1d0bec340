/**
 * A plain-text table for the terminal: a header, a rule, then the rows, columns padded to their
 * widest cell (numbers to the right). With `freeLast`, the last column is a sentence (a rejection's
 * reason): it is not padded, and its rule is as long as its header.
 */
export function textTable(
  head: readonly string[],
  rows: readonly string[][],
  options: { numeric: (column: number) => boolean; freeLast?: boolean },
): string {
  const last = head.length - 1;
  const widths = head.map((h, i) => (options.freeLast && i === last ? h.length : Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: readonly string[]) =>
    cells
      .map((v, i) => (options.freeLast && i === last ? v : options.numeric(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
}
