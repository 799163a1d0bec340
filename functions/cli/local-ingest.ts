import { createOutboxNotifier, outboxPath } from '../adapters/outbox-notifier.ts';
import { loadRulesConfig } from '../adapters/rules-file.ts';
import { fileSourceRef, readLocalFile } from '../adapters/local-files.ts';
import { ingestObject, type IngestConfig } from '../core/flows/ingest-object.ts';
import { silentLogger, systemClock, type ObjectStore } from '../core/ports.ts';
import type { ReadExportOptions } from '../core/read/read-export.ts';
import type { Receipt } from '../core/store/receipts.ts';
import { storable } from '../core/vocabulary/text.ts';
import { sourceIdOf } from '../core/store/layout.ts';
import { kindOf } from '../core/aggregate/pair-days.ts';
import { DATE_OPTIONS, type Io } from './args.ts';
import { noProgress, type Progress } from './progress.ts';
import { localDrill } from './command.ts';

/** Ingestion of local files, shared by `mailflow ingest`, `watch` and `reprocess`. */

/** The options both take. */
export const LOCAL_INGEST_OPTIONS = {
  'data-dir': { type: 'string' },
  tenant: { type: 'string' },
  json: { type: 'boolean' },
  config: { type: 'string' },
  ...DATE_OPTIONS,
} as const;

/** Rules from the config file and the local notifier: the terminal and <data-dir>/outbox.jsonl. */
export async function localAlerts(dataDir: string, configFile: string | undefined, io: Io): Promise<NonNullable<IngestConfig['alerts']>> {
  const { config } = await loadRulesConfig(configFile);
  return {
    rules: config,
    notifier: createOutboxNotifier({ path: outboxPath(dataDir), print: io.stderr }),
    drill: localDrill({ dataDir }),
  };
}

/**
 * The source id a local file has (or would have) ingested from `origin` (a data folder's
 * `localOrigin`, a bucket's `cliOrigin`): what `forget` and `--reprocess` look up.
 */
export async function fileSourceId(file: string, origin: string, tenant: string): Promise<string> {
  const ref = await fileSourceRef(file, origin, tenant);
  return sourceIdOf(ref.origin, ref.key, await ref.etag);
}

export async function ingestFile(
  file: string,
  ctx: {
    store: ObjectStore;
    /** Where the file is ingested to (see fileSourceRef). */
    origin: string;
    tenant: string;
    read: ReadExportOptions;
    progress?: Progress;
    alerts?: IngestConfig['alerts'];
    /** On a bucket, the deployed function's part size and CAS budget. */
    config?: Pick<IngestConfig, 'casBudgetMs' | 'flushEvents' | 'mergeWhileReading'>;
  },
): Promise<Receipt> {
  const ref = await fileSourceRef(file, ctx.origin, ctx.tenant);
  const progress = ctx.progress ?? noProgress;
  progress.start(file, ref.size ?? 0);
  try {
    return await ingestObject(
      ref,
      readLocalFile(file, (n) => progress.advance(n)),
      { store: ctx.store, clock: systemClock, logger: silentLogger },
      { ...ctx.config, read: ctx.read, ...(ctx.alerts ? { alerts: ctx.alerts } : {}) },
    );
  } finally {
    progress.done();
  }
}

/** One line per receipt, for people (`--json` prints the receipt itself). */
export function describe(r: Receipt): string {
  const name = r.file ?? r.key;
  switch (r.status) {
    case 'rejected':
      return `✗ ${name}: rejected: ${r.errorCode}: ${r.reason}`;
    case 'partial':
      return `✗ ${name}: partial: ${r.errorCode}: ${r.reason}; ${(r.counted + r.alreadyCounted).toLocaleString('en-US')} events of the parts read before it stay counted`;
    case 'empty':
      return `- ${name}: empty`;
    case 'duplicate':
      return `= ${name}: duplicate, ${r.reason}`;
    default: {
      const failures = (r.events?.deferred ?? 0) + (r.events?.failed ?? 0) + (r.events?.expired ?? 0);
      let line = `✓ ${name}: ${r.family}, ${r.rows.toLocaleString('en-US')} rows, ${failures.toLocaleString('en-US')} failed or deferred; ${r.counted.toLocaleString('en-US')} events counted`;
      // The rollups cannot tell a row repeated in this file from one another upload brought: say both.
      const repeated = r.repeatedInFile ?? 0;
      const notes = [
        ...(repeated ? [`${repeated.toLocaleString('en-US')} duplicate row(s) inside this file`] : []),
        // Files over one part (250,000 events) may repeat a row across parts: that is not another upload.
        ...(r.alreadyCounted
          ? [
              `${r.alreadyCounted.toLocaleString('en-US')} already counted ${r.counted + r.alreadyCounted > 250_000 ? '(other uploads, or another part of this file)' : 'from other uploads'}`,
            ]
          : []),
      ];
      if (r.superseded)
        notes.push(
          r.family && kindOf(r.family) === 'status'
            ? `${r.superseded.toLocaleString('en-US')} of its rows left to the detail events of the same messages`
            : `${r.superseded.toLocaleString('en-US')} summary rows of the same messages replaced by these events`,
        );
      if (notes.length) line += ` (${notes.join('; ')})`;
      line += `, ${r.hours} hour(s)`;
      const first = r.rejectedRows.samples[0];
      // The reason quotes the file (a date's text): control characters are dropped before a terminal sees them.
      if (r.rejectedRows.count)
        line += `; ${r.rejectedRows.count} bad row(s), the first on line ${first?.line}: ${storable(first?.reason ?? '')}`;
      if (r.truncationWarning) line += `\n  warning: ${r.truncationWarning}`;
      for (const w of r.warnings.filter((w) => !/row\(s\) skipped/.test(w))) line += `\n  warning: ${w}`;
      return line;
    }
  }
}
