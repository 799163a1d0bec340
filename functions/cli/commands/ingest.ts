import { join } from 'node:path';
import { createFsStore } from '../../adapters/fs-store.ts';
import { createOutboxNotifier } from '../../adapters/outbox-notifier.ts';
import { loadRulesConfig } from '../../adapters/rules-file.ts';
import { expandInputs, localSourceRef, readLocalFile } from '../../adapters/local-files.ts';
import { normaliseTenant } from '../../core/store/layout.ts';
import { UsageError } from '../../core/errors.ts';
import { ingestObject } from '../../core/flows/ingest-object.ts';
import { silentLogger, systemClock, type ObjectStore } from '../../core/ports.ts';
import type { ReadExportOptions } from '../../core/read/read-export.ts';
import type { IngestConfig } from '../../core/flows/ingest-object.ts';
import { DATE_OPTIONS, dateOptions, parse, type Io } from '../args.ts';
import { createProgress, noProgress, type Progress } from '../progress.ts';
import type { Receipt } from '../../core/store/receipts.ts';

export const INGEST_HELP = `Usage: mailflow ingest <files | folders | globs…> [options]

Reads each export, classifies every delivery, and adds it to the hourly rollups in the data
folder. Every file gets a receipt (results/sources/<tenant>/<id>.json). The same export twice,
or two exports that overlap in time, never count an event twice. A file that cannot be read is
reported and the others still run.

Folders are walked for .csv, .log, .txt and .gz files.

Alert rules are evaluated after each file (mailflow.config.json if present, or --config; else the
built-in defaults): alerts are printed to stderr and appended to <data-dir>/outbox.jsonl.

Options:
  --data-dir D        the data folder (default .mailflow)
  --tenant T          tenant the files belong to (default "default"; a-z, 0-9, -)
  --config FILE       alert rules (see docs/mailflow.config.example.json)
  --json              print one receipt per file and line, nothing else
  --date-order O      mdy or dmy, for slash dates a file cannot disambiguate itself
  --tz ZONE           zone of timestamps written without one (UTC, +02:00, Europe/Rome)

Exit code 1 when any file was rejected.
`;

export const DEFAULT_DATA_DIR = '.mailflow';

export async function ingestCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { 'data-dir': { type: 'string' }, tenant: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, ...DATE_OPTIONS });
  if (values.help) {
    io.stdout.write(INGEST_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('MISSING_ARGUMENT', 'ingest needs files, folders or globs');
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  const tenant = normaliseTenant(values.tenant);
  const { files, missing } = await expandInputs(positionals);
  for (const m of missing) io.stderr.write(`${m}: no such file, folder or match\n`);
  if (files.length === 0) {
    io.stderr.write('nothing to ingest\n');
    return 1;
  }
  const store = createFsStore({ root: dataDir });
  const progress = values.json ? noProgress : createProgress(io.stderr);
  const read: ReadExportOptions = { dates: dateOptions(values) };
  const alerts = await localAlerts(dataDir, values.config, io);
  const tally = { ingested: 0, duplicate: 0, empty: 0, rejected: 0, counted: 0, bytes: 0 };
  const started = Date.now();
  for (const file of files) {
    const receipt = await ingestFile(file, { store, dataDir, tenant, read, progress, alerts });
    tally[receipt.status]++;
    tally.counted += receipt.status === 'ingested' ? receipt.counted : 0;
    tally.bytes += receipt.bytes?.stored ?? 0;
    io.stdout.write(values.json ? `${JSON.stringify(receipt)}\n` : `${describe(receipt)}\n`);
  }
  if (!values.json && files.length > 1) {
    const secs = (Date.now() - started) / 1000;
    io.stdout.write(
      `${files.length} files: ${tally.ingested} ingested, ${tally.duplicate} duplicate, ${tally.empty} empty, ${tally.rejected} rejected; ` +
        `${tally.counted.toLocaleString('en-US')} events counted; ${(tally.bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s\n`,
    );
  }
  return tally.rejected || missing.length ? 1 : 0;
}

/** Rules from the config file and the local notifier: the terminal and <data-dir>/outbox.jsonl. */
export async function localAlerts(dataDir: string, configFile: string | undefined, io: Io): Promise<NonNullable<IngestConfig['alerts']>> {
  const { config } = await loadRulesConfig(configFile);
  return { rules: config, notifier: createOutboxNotifier({ path: join(dataDir, 'outbox.jsonl'), print: io.stderr }) };
}

export async function ingestFile(
  file: string,
  ctx: { store: ObjectStore; dataDir: string; tenant: string; read: ReadExportOptions; progress?: Progress; alerts?: IngestConfig['alerts'] },
): Promise<Receipt> {
  const ref = await localSourceRef(file, ctx.dataDir, ctx.tenant);
  const progress = ctx.progress ?? noProgress;
  progress.start(file, ref.size ?? 0);
  try {
    return await ingestObject(ref, readLocalFile(file, (n) => progress.advance(n)), { store: ctx.store, clock: systemClock, logger: silentLogger }, { read: ctx.read, ...(ctx.alerts ? { alerts: ctx.alerts } : {}) });
  } finally {
    progress.done();
  }
}

export function describe(r: Receipt): string {
  const name = r.file ?? r.key;
  switch (r.status) {
    case 'rejected':
      return `✗ ${name}: rejected: ${r.errorCode}: ${r.reason}`;
    case 'empty':
      return `- ${name}: empty`;
    case 'duplicate':
      return `= ${name}: duplicate, ${r.reason}`;
    default: {
      const failures = (r.events?.deferred ?? 0) + (r.events?.failed ?? 0) + (r.events?.expired ?? 0);
      let line = `✓ ${name}: ${r.family}, ${r.rows.toLocaleString('en-US')} rows, ${failures.toLocaleString('en-US')} failed or deferred; ${r.counted.toLocaleString('en-US')} events counted`;
      if (r.alreadyCounted) line += ` (${r.alreadyCounted.toLocaleString('en-US')} already counted from other uploads)`;
      line += `, ${r.hours} hour(s)`;
      if (r.rejectedRows.count) line += `; ${r.rejectedRows.count} bad row(s), first at line ${r.rejectedRows.samples[0]?.line}`;
      if (r.truncationWarning) line += `\n  warning: ${r.truncationWarning}`;
      for (const w of r.warnings.filter((w) => !/row\(s\) skipped/.test(w))) line += `\n  warning: ${w}`;
      return line;
    }
  }
}
