import { stat } from 'node:fs/promises';
import { UsageError } from '../../core/errors.ts';
import { forgetSources } from '../../core/flows/forget-sources.ts';
import { systemClock } from '../../core/ports.ts';
import { DEFAULT_CAS_BUDGET_MS } from '../../core/store/cas.ts';
import { normalizeTenant, receiptPrefix } from '../../core/store/layout.ts';
import { RECEIPT, type Receipt } from '../../core/store/receipts.ts';
import { readAll } from '../../core/store/records.ts';
import { DEFAULT_DATA_DIR, defineCommand, STORE_OPTIONS, storeFrom } from '../command.ts';
import { fileSourceId } from '../local-ingest.ts';
import { cliOrigin, localOrigin } from '../../adapters/local-files.ts';
import { S3_HELP } from '../s3-options.ts';

export const FORGET_HELP = `Usage: mailflow forget <file | key | source id>… [--tenant T] [--data-dir D | --bucket B]

Takes what sources counted out of the results, as if they had never been ingested: every hour they
counted in is rebuilt from the events of the other sources it holds, so an event another upload also
brought stays counted. Their receipts say "forgotten", and the same file ingested again is read
again (mailflow ingest --reprocess does both in one step).

A source is named by its file (the data folder works out its id from the bytes), its upload key
(incoming/<tenant>/…), the file name its receipt shows, or its source id (the receipt's sourceId).

  --tenant T         the tenant (default "default")
  --data-dir D       the data folder (default .mailflow), or --bucket B for the deployed pipeline
${S3_HELP}
Open deferrals and incidents are not rebuilt: the next upload or hourly tick re-evaluates the rules.
`;

export const forgetCommand = defineCommand({
  name: 'forget',
  help: FORGET_HELP,
  options: { tenant: { type: 'string' }, ...STORE_OPTIONS },
  positionals: true,
  async run({ values, positionals, io }) {
    if (positionals.length === 0) throw new UsageError('MISSING_ARGUMENT', 'forget needs files, upload keys or source ids');
    const tenant = normalizeTenant(values.tenant);
    const store = await storeFrom(values);
    const receipts = await readAll(store, receiptPrefix(tenant), RECEIPT);
    const ids: string[] = [];
    for (const arg of positionals)
      ids.push(
        await resolve(arg, receipts, {
          tenant,
          origin: values.bucket ? cliOrigin(values.bucket) : localOrigin(values['data-dir'] ?? DEFAULT_DATA_DIR),
        }),
      );
    const r = await forgetSources(store, tenant, ids, { clock: systemClock, budgetMs: DEFAULT_CAS_BUDGET_MS });
    for (const s of r.sources)
      io.stdout.write(
        s.status === 'forgotten' ? `- ${s.file ?? s.key}: already forgotten\n` : `↺ ${s.file ?? s.key} (${s.sourceId}): forgotten\n`,
      );
    io.stdout.write(
      `${r.removed.toLocaleString('en-US')} events no longer counted, in ${r.hours} hour(s); ingest the files again to count them again\n`,
    );
    return 0;
  },
});

/** A source id, from what the admin typed: an id, a local file, an upload key or a receipt's file name. */
async function resolve(arg: string, receipts: Receipt[], ctx: { tenant: string; origin: string }): Promise<string> {
  if (/^[0-9a-f]{32}$/.test(arg)) return arg;
  const isFile = await stat(arg).then(
    (s) => s.isFile(),
    () => false,
  );
  // A file ingested here from this machine (into the data folder, or with ingest --bucket).
  if (isFile) {
    const id = await fileSourceId(arg, ctx.origin, ctx.tenant);
    if (receipts.some((r) => r.sourceId === id)) return id;
  }
  const named = receipts.filter((r) => r.key === arg || r.file === arg || (r.file ?? '').split('/').pop() === arg);
  const live = named.filter((r) => r.status !== 'forgotten');
  if (live.length === 1 || (live.length === 0 && named.length === 1)) return (live[0] ?? named[0])!.sourceId;
  if (named.length > 1)
    throw new UsageError(
      'AMBIGUOUS_SOURCE',
      `"${arg}" names ${named.length} sources of tenant "${ctx.tenant}": give one of their ids (${named.map((r) => r.sourceId).join(', ')})`,
    );
  throw new UsageError(
    'UNKNOWN_SOURCE',
    `no source of tenant "${ctx.tenant}" is "${arg}": give a file, an upload key (incoming/${ctx.tenant}/…) or a source id from its receipt`,
  );
}
