import { describedFields } from '../../core/read/export-summary.ts';
import { defineCommand } from '../command.ts';
import { basename } from 'node:path';
import { lookupCode } from '../../core/classify/classify.ts';
import { isMailflowError } from '../../core/errors.ts';
import { UsageError } from '../../core/errors.ts';
import { readExport, type ExportSummary } from '../../core/read/read-export.ts';
import { readLocalFile } from '../../adapters/local-files.ts';
import { DATE_OPTIONS, dateOptions } from '../args.ts';

export const INSPECT_HELP = `Usage: mailflow inspect <file…> [--json] [--date-order mdy|dmy] [--tz ZONE]

Says what an export is — family, encoding, delimiter, rows, time span, events by outcome
and by code, rows that could not be read — without storing anything.

Options:
  --json              one JSON object per file and line
  --date-order O      mdy or dmy, for slash dates the file cannot disambiguate itself
  --tz ZONE           zone of timestamps written without one (UTC, +02:00, Europe/Rome)
`;

const fmt = (n: number) => n.toLocaleString('en-US');

export const inspectCommand = defineCommand({
  name: 'inspect',
  help: INSPECT_HELP,
  options: { json: { type: 'boolean' }, ...DATE_OPTIONS },
  positionals: true,
  async run({ values, positionals, io }) {
    if (positionals.length === 0) throw new UsageError('MISSING_ARGUMENT', 'inspect needs at least one file');
    const dates = dateOptions(values);
    let failed = 0;
    for (const file of positionals) {
      try {
        const summary = await readExport(readLocalFile(file), { dates, nameHint: basename(file), now: Date.now() }, () => {});
        if (values.json) io.stdout.write(`${JSON.stringify(toJson(file, summary))}\n`);
        else io.stdout.write(render(file, summary));
      } catch (err) {
        failed++;
        if (!isMailflowError(err) && (err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EISDIR')
          throw err;
        const e = err as { code?: string; message: string; line?: number; byteOffset?: number };
        if (values.json)
          io.stdout.write(
            `${JSON.stringify({ file, status: 'rejected', error: { code: e.code, message: e.message, line: e.line ?? null, byteOffset: e.byteOffset ?? null } })}\n`,
          );
        else io.stderr.write(`${file}: ${e.code}: ${e.message}\n`);
      }
    }
    return failed ? 1 : 0;
  },
});

export function toJson(file: string, s: ExportSummary) {
  return { file, ...describedFields(s), endsInsideRecord: s.endsInsideRecord, empty: s.empty };
}

function render(file: string, s: ExportSummary): string {
  if (s.empty) return `${file}\n  empty: the file holds no header and no rows\n\n`;
  const row = (k: string, v: string) => `  ${k.padEnd(11)} ${v}\n`;
  let out = `${file}\n`;
  out += row('family', s.family ?? '?');
  out += row('encoding', `${s.encoding}${s.compression === 'gzip' ? ' (gzip)' : ''}`);
  out += row('delimiter', s.delimiter === '\t' ? 'tab' : (s.delimiter ?? (s.family?.startsWith('graph-') ? 'none (JSON)' : '?')));
  out += row('rows', fmt(s.rows));
  out += row('time span', s.timeSpan ? `${s.timeSpan.from} → ${s.timeSpan.to}` : '-');
  out += row(
    'events',
    Object.entries(s.events)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${fmt(n)}`)
      .join(' · ') || 'none',
  );
  const codes = Object.entries(s.codes).sort((a, b) => b[1] - a[1]);
  codes.slice(0, 12).forEach(([code, n], i) => {
    out += row(i === 0 ? 'codes' : '', `${code.padEnd(9)} ×${fmt(n).padEnd(7)} ${lookupCode(code)?.en[0] ?? '(not in the code table)'}`);
  });
  if (codes.length > 12) out += row('', `… ${codes.length - 12} more`);
  if (s.rejectedRows.count) {
    out += row('rejected', `${fmt(s.rejectedRows.count)} row(s)`);
    for (const r of s.rejectedRows.samples.slice(0, 5)) out += row('', `line ${r.line}: ${r.reason}`);
  }
  for (const w of s.warnings) out += row('warning', w);
  return `${out}\n`;
}
