import { watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createFsStore } from '../../adapters/fs-store.ts';
import { expandInputs, INPUT_EXTENSIONS, localOrigin } from '../../adapters/local-files.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { UsageError } from '../../core/errors.ts';
import { dateOptions } from '../args.ts';
import { DEFAULT_DATA_DIR, defineCommand } from '../command.ts';
import { describe, ingestFile, LOCAL_INGEST_OPTIONS, localAlerts } from '../local-ingest.ts';

export const WATCH_HELP = `Usage: mailflow watch <folder> [--data-dir D] [--tenant T] [--config FILE] [--json]

Ingests the exports already in the folder, then every new or changed file as it appears
(once its size has stopped changing for a second). Stop with Ctrl-C. Files already ingested
are recognized by their receipts and not counted again.
`;

export const watchCommand = defineCommand({
  name: 'watch',
  help: WATCH_HELP,
  options: LOCAL_INGEST_OPTIONS,
  positionals: true,
  async run({ values, positionals, io, signal }) {
    const dir = positionals[0];
    if (!dir || positionals.length > 1) throw new UsageError('MISSING_ARGUMENT', 'watch needs exactly one folder');
    if (!(await stat(dir).catch(() => null))?.isDirectory()) throw new UsageError('NOT_A_FOLDER', `${dir} is not a folder`);
    const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
    const ctx = {
      store: createFsStore({ root: dataDir }),
      origin: localOrigin(dataDir),
      tenant: normalizeTenant(values.tenant),
      read: { dates: dateOptions(values) },
      alerts: await localAlerts(dataDir, values.config, io),
    };
    const queue = new Set<string>();
    let busy = Promise.resolve();

    const ingest = (file: string) => {
      if (queue.has(file)) return;
      queue.add(file);
      busy = busy.then(async () => {
        await settled(file);
        queue.delete(file);
        if (!(await stat(file).catch(() => null))?.isFile()) return;
        const receipt = await ingestFile(file, ctx).catch((err: Error) => {
          io.stderr.write(`${file}: ${err.message}\n`);
          return null;
        });
        if (receipt) io.stdout.write(values.json ? `${JSON.stringify(receipt)}\n` : `${describe(receipt)}\n`);
      });
    };

    for (const f of (await expandInputs([dir])).files) ingest(f);
    if (!values.json) io.stderr.write(`watching ${dir} (Ctrl-C to stop)\n`);
    const watcher = watch(dir, { recursive: true }, (_event, name) => {
      if (name && INPUT_EXTENSIONS.test(name) && !name.split('/').some((p) => p.startsWith('.'))) ingest(join(dir, name));
    });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      signal?.addEventListener('abort', stop, { once: true });
      process.once('SIGINT', stop);
    });
    watcher.close();
    await busy;
    return 0;
  },
});

/** Waits until a file's size has not changed for a second (an upload or copy in progress). */
async function settled(file: string): Promise<void> {
  let last = -1;
  for (;;) {
    const size = (await stat(file).catch(() => null))?.size ?? -1;
    if (size === last) return;
    last = size;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
