import { stat } from 'node:fs/promises';
import { createFsStore } from '../../adapters/fs-store.ts';
import { UsageError } from '../../core/errors.ts';
import { forgetSources } from '../../core/flows/forget-sources.ts';
import { systemClock } from '../../core/ports.ts';
import { DEFAULT_CAS_BUDGET_MS } from '../../core/store/cas.ts';
import { normalizeTenant, receiptPrefix } from '../../core/store/layout.ts';
import { RECEIPT, type Receipt } from '../../core/store/receipts.ts';
import { readAll } from '../../core/store/records.ts';
import { DEFAULT_DATA_DIR, defineCommand, requireDataDir } from '../command.ts';
import { describe, ingestFile, localAlerts, localSourceId } from '../local-ingest.ts';

export const REPROCESS_HELP = `Usage: mailflow reprocess (--tenant T | --all) [--data-dir D] [--dry-run] [--config FILE]

Reads every source of a tenant (or of all tenants) again, after an upgrade of mailflow that reads
exports better: each file whose receipt is in the data folder, still at the path it was ingested from
with the same bytes, is forgotten and ingested again with the date options it was read with. Files
that moved or changed are listed and left as they are; forgotten sources stay forgotten.

  --tenant T     one tenant; --all for every tenant of the data folder
  --dry-run      list what would be read again, and what cannot be
  --data-dir D   the data folder (default .mailflow)
  --config FILE  alert rules, as for ingest

Exit code 1 when a file read again is rejected or read only in part.
`;

export const reprocessCommand = defineCommand({
  name: 'reprocess',
  help: REPROCESS_HELP,
  options: {
    tenant: { type: 'string' },
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'data-dir': { type: 'string' },
    config: { type: 'string' },
    bucket: { type: 'string' },
  },
  async run({ values, io }) {
    if (values.bucket)
      throw new UsageError(
        'NOT_SUPPORTED',
        'reprocess works on the data folder; on the deployed bucket, upload the exports again under new names (mailflow upload)',
      );
    if (!values.all === !values.tenant) throw new UsageError('MISSING_ARGUMENT', 'reprocess needs --tenant T or --all (not both)');
    const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
    await requireDataDir(dataDir, values['data-dir'] !== undefined);
    const store = createFsStore({ root: dataDir });
    const receipts = await readAll(store, receiptPrefix(values.tenant ? normalizeTenant(values.tenant) : undefined), RECEIPT);
    const alerts = values['dry-run'] ? undefined : await localAlerts(dataDir, values.config, io);
    let again = 0;
    let left = 0;
    let failed = 0;
    for (const r of receipts.sort((a, b) => (a.ingestedAt < b.ingestedAt ? -1 : 1))) {
      const why = await cannotReadAgain(r, dataDir);
      if (why) {
        left++;
        io.stdout.write(`- ${r.file ?? r.key} (${r.tenant}): ${why}\n`);
        continue;
      }
      again++;
      if (values['dry-run']) {
        io.stdout.write(`↺ ${r.file} (${r.tenant}): would be read again\n`);
        continue;
      }
      if (r.status !== 'forgotten')
        await forgetSources(store, r.tenant, [r.sourceId], { clock: systemClock, budgetMs: DEFAULT_CAS_BUDGET_MS });
      const next = await ingestFile(r.file!, {
        store,
        dataDir,
        tenant: r.tenant,
        read: r.dates ? { dates: r.dates } : {},
        ...(alerts ? { alerts } : {}),
      });
      if (next.status === 'rejected' || next.status === 'partial') failed++;
      io.stdout.write(`↺ ${describe(next)}\n`);
    }
    io.stdout.write(
      `${again} source(s) ${values['dry-run'] ? 'would be ' : ''}read again, ${left} left as they are${failed ? `, ${failed} rejected or partial` : ''}\n`,
    );
    return failed ? 1 : 0;
  },
});

/** Why a receipt's file cannot be read again, or null when it can. */
async function cannotReadAgain(r: Receipt, dataDir: string): Promise<string | null> {
  if (r.status === 'forgotten') return 'forgotten: left out (ingest it again to count it)';
  if (r.status === 'empty') return 'empty: nothing to read';
  if (!r.file) return 'no local path in its receipt (it came through the bucket)';
  if (
    !(await stat(r.file).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    return `no longer at ${r.file}`;
  if ((await localSourceId(r.file, dataDir, r.tenant)) !== r.sourceId)
    return `changed since it was ingested (other bytes or another name at ${r.file})`;
  return null;
}
