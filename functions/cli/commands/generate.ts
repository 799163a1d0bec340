import { defineCommand } from '../command.ts';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../../core/errors.ts';
import { FAMILIES, type FamilyId } from '../../core/formats/event.ts';
import { encodeChunks, OUTPUT_ENCODINGS, renderExport, type DateStyle, type OutputEncoding } from '../../core/generate/render.ts';
import { wholeNumber } from '../args.ts';

export const GENERATE_HELP = `Usage: mailflow generate --family <family> --rows N [options]

Writes a deterministic, realistic export for demos, tests and benchmarks: mostly clean
delivery, a connector outage (4.4.316 deferrals ending in 5.4.316 expiries), NDR noise,
and inbound spam filtering. The same seed gives the same events in every family.

Families: ${FAMILIES.join(', ')}

Options:
  --family F         export family (required)
  --rows N           data rows to write (required)
  --seed S           random seed (default 1)
  --encoding E       ${OUTPUT_ENCODINGS.join(' | ')} (default utf-8)
  --delimiter D      , | ; | tab (default ,; on-premises logs are always comma-separated)
  --date-style S     us | dmy | dot | iso (default: what that exporter writes)
  --per-hour N       messages per hour (default 400)
  --start T          when the export begins (ISO date or time, UTC; default 2026-11-20)
  --hours N          take the export N hours after the start: later events are not in it
                     (fewer rows than --rows if the time runs out first)
  --out FILE         write to FILE (gzip-compressed when it ends in .gz); default stdout
`;

export const generateCommand = defineCommand({
  name: 'generate',
  help: GENERATE_HELP,
  options: {
    family: { type: 'string' },
    rows: { type: 'string' },
    seed: { type: 'string' },
    encoding: { type: 'string' },
    delimiter: { type: 'string' },
    'date-style': { type: 'string' },
    'per-hour': { type: 'string' },
    start: { type: 'string' },
    hours: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: false,
  async run({ values, io }) {
    const family = values.family as FamilyId | undefined;
    if (!family || !FAMILIES.includes(family)) throw new UsageError('BAD_FAMILY', `--family must be one of ${FAMILIES.join(', ')}`);
    if (values.rows === undefined) throw new UsageError('MISSING_ARGUMENT', '--rows is required');
    const start =
      values.start === undefined
        ? undefined
        : Date.parse(/T/.test(values.start) && !/Z|[+-]\d\d:?\d\d$/.test(values.start) ? `${values.start}Z` : values.start);
    if (start !== undefined && !Number.isFinite(start))
      throw new UsageError('BAD_ARGUMENTS', `--start ${values.start}: expected an ISO date or time (2026-09-01, 2026-09-01T08:00)`);
    const encoding = (values.encoding ?? 'utf-8') as OutputEncoding;
    if (!OUTPUT_ENCODINGS.includes(encoding))
      throw new UsageError('BAD_ENCODING', `--encoding must be one of ${OUTPUT_ENCODINGS.join(', ')}`);
    const delimiter = values.delimiter === 'tab' || values.delimiter === '\t' ? '\t' : (values.delimiter ?? ',');
    if (delimiter !== ',' && delimiter !== ';' && delimiter !== '\t')
      throw new UsageError('BAD_DELIMITER', '--delimiter must be , ; or tab');
    const dateStyle = values['date-style'] as DateStyle | undefined;
    if (dateStyle && !['us', 'dmy', 'dot', 'iso'].includes(dateStyle))
      throw new UsageError('BAD_DATE_STYLE', '--date-style must be us, dmy, dot or iso');

    const chunks = encodeChunks(
      renderExport({
        family,
        rows: wholeNumber('rows', values.rows),
        seed: wholeNumber('seed', values.seed, 1),
        delimiter,
        perHour: wholeNumber('per-hour', values['per-hour'], 400),
        ...(dateStyle ? { dateStyle } : {}),
        ...(start !== undefined ? { start } : {}),
        ...(values.hours !== undefined ? { hours: wholeNumber('hours', values.hours) } : {}),
      }),
      encoding,
    );
    const source = Readable.from(chunks, { objectMode: false });
    const out = values.out;
    if (!out) {
      for await (const c of source) if (!io.stdout.write(c)) await once(io.stdout, 'drain');
      return 0;
    }
    if (/\.gz$/i.test(out)) await pipeline(source, createGzip(), createWriteStream(out));
    else await pipeline(source, createWriteStream(out));
    return 0;
  },
});
