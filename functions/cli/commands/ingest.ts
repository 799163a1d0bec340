import { defineCommand } from '../command.ts';
import { describe, fileSourceId, ingestFile, LOCAL_INGEST_OPTIONS } from '../local-ingest.ts';
import { ingestTarget, TARGET_HELP, TARGET_OPTIONS, type IngestTarget } from '../ingest-target.ts';
import { forgetSources } from '../../core/flows/forget-sources.ts';
import { systemClock } from '../../core/ports.ts';
import { DEFAULT_CAS_BUDGET_MS } from '../../core/store/cas.ts';
import { receiptKey } from '../../core/store/layout.ts';
import { RECEIPT } from '../../core/store/receipts.ts';
import { readJson } from '../../core/store/records.ts';
import type { Io } from '../args.ts';
import { expandInputs } from '../../adapters/local-files.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { UsageError } from '../../core/errors.ts';
import type { ReadExportOptions } from '../../core/read/read-export.ts';
import { dateOptions } from '../args.ts';
import { createProgress, noProgress } from '../progress.ts';
import { rawStream } from '../safe-io.ts';

export const INGEST_HELP = `Usage: mailflow ingest <files | folders | globs…> [options]

Reads each export, classifies every delivery, and adds it to the hourly rollups in the data
folder, or with --bucket in the deployed pipeline's data bucket (a backfill of years of exports,
with no Lambda time limit). Every file gets a receipt (results/sources/<tenant>/<id>.json). The
same export twice, or two exports that overlap in time, never count an event twice. A file that
cannot be read is reported and the others still run.

Folders are walked for .csv, .log, .txt and .gz files.

Alert rules are evaluated after each file (mailflow.config.json if present, or --config; else the
built-in defaults): alerts are printed to stderr and appended to <data-dir>/outbox.jsonl; with
--bucket, published to --topic-arn.

Options:
  --tenant T          tenant the files belong to (default "default"; a-z, 0-9, -)
${TARGET_HELP}  --json              print one receipt per file and line, nothing else
  --date-order O      mdy or dmy, for slash dates a file cannot disambiguate itself
  --tz ZONE           zone of timestamps written without one (UTC, +02:00, Europe/Rome)
  --reprocess         read files that were ingested before again, replacing what they counted
                      (after a wrong --date-order or --tz, or a mailflow that reads them better):
                      their earlier reading is forgotten first (see mailflow forget)

Exit code 1 when any file was rejected, or read only in part.
`;

export const ingestCommand = defineCommand({
  name: 'ingest',
  help: INGEST_HELP,
  options: { ...LOCAL_INGEST_OPTIONS, ...TARGET_OPTIONS, reprocess: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals, io }) {
    if (positionals.length === 0) throw new UsageError('MISSING_ARGUMENT', 'ingest needs files, folders or globs');
    const tenant = normalizeTenant(values.tenant);
    const target = await ingestTarget(values, io);
    const { files, missing } = await expandInputs(positionals);
    for (const m of missing) io.stderr.write(`${m}: no such file, folder or match\n`);
    if (files.length === 0) {
      io.stderr.write('nothing to ingest\n');
      return 1;
    }
    const progress = values.json ? noProgress : createProgress(rawStream(io.stderr));
    const read: ReadExportOptions = { dates: dateOptions(values) };
    const tally = { ingested: 0, duplicate: 0, empty: 0, rejected: 0, partial: 0, forgotten: 0, counted: 0, bytes: 0 };
    const started = Date.now();
    for (const file of files) {
      if (values.reprocess) await forgetEarlier(file, { target, tenant, io, json: Boolean(values.json) });
      const receipt = await ingestFile(file, { ...target, tenant, read, progress });
      tally[receipt.status]++;
      tally.counted += receipt.status === 'ingested' || receipt.status === 'partial' ? receipt.counted : 0;
      tally.bytes += receipt.bytes?.stored ?? 0;
      io.stdout.write(values.json ? `${JSON.stringify(receipt)}\n` : `${describe(receipt)}\n`);
    }
    if (!values.json && files.length > 1) {
      const secs = (Date.now() - started) / 1000;
      io.stdout.write(
        `${files.length} files: ${tally.ingested} ingested, ${tally.duplicate} duplicate, ${tally.empty} empty, ${tally.rejected} rejected${tally.partial ? `, ${tally.partial} partial` : ''}; ` +
          `${tally.counted.toLocaleString('en-US')} events counted into ${target.where}; ${(tally.bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s\n`,
      );
    }
    return tally.rejected || tally.partial || missing.length ? 1 : 0;
  },
});

/** `--reprocess`: forgets the earlier reading of `file`, if there is one still counted. */
async function forgetEarlier(file: string, ctx: { target: IngestTarget; tenant: string; io: Io; json: boolean }): Promise<void> {
  const { store, origin, config } = ctx.target;
  const sourceId = await fileSourceId(file, origin, ctx.tenant);
  const receipt = await readJson(store, receiptKey(ctx.tenant, sourceId), RECEIPT);
  if (!receipt || receipt.status === 'forgotten') return;
  const r = await forgetSources(store, ctx.tenant, [sourceId], {
    clock: systemClock,
    budgetMs: config.casBudgetMs ?? DEFAULT_CAS_BUDGET_MS,
  });
  if (!ctx.json)
    ctx.io.stdout.write(
      `↺ ${file}: its earlier reading is forgotten (${r.removed.toLocaleString('en-US')} events in ${r.hours} hour(s)); reading it again\n`,
    );
}
