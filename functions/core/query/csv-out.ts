import { withoutControls } from '../vocabulary/text.ts';

/**
 * CSV for spreadsheets: RFC 4180 quoting, and text cells that a spreadsheet would run as a formula
 * (`= + - @`, tab, CR, and their full-width forms) prefixed with `'` (OWASP's CSV injection advice).
 * Numbers are written as numbers and never prefixed.
 *
 * Excel in Italian, German or French splits a CSV on `;` (its list separator), so `x;=cmd|…` would
 * become a cell `=cmd|…` there: a formula character after any character some locale splits on
 * (`,` `;` tab) is prefixed too, and a cell holding one of them is always quoted. Control
 * characters other than tab and line ends are dropped.
 */
const FORMULA = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const FORMULA_AFTER_SPLIT = /([,;\t])([=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/g;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  // Control characters go first, so none can hide a formula character behind it.
  let text = withoutControls(String(value));
  if (FORMULA.test(text)) text = `'${text}`;
  text = text.replace(FORMULA_AFTER_SPLIT, "$1'$2");
  return /[",;\t\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
