import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './fs-store.ts';
import { dirname, join } from 'node:path';
import type { Notifier } from '../core/ports.ts';
import type { Notification } from '../core/ports.ts';

/** The outbox of a data folder: `<data-dir>/outbox.jsonl`. */
export const outboxPath = (dataDir: string): string => join(dataDir, 'outbox.jsonl');

/**
 * The local notifier: each alert or digest is printed (to stderr, so `--json` output stays clean)
 * and appended as one JSON line to the outbox file, the local counterpart of the SNS topic.
 */
export function createOutboxNotifier(options: { path: string; print?: NodeJS.WritableStream; now?: () => Date }): Notifier {
  return {
    async publish(n: Notification) {
      await mkdir(dirname(options.path), { recursive: true });
      await appendFile(
        options.path,
        `${JSON.stringify({ time: (options.now?.() ?? new Date()).toISOString(), subject: n.subject, text: n.text, json: n.json })}\n`,
      );
      options.print?.write(`\n── ${n.subject} ──\n${n.text}\n\n`);
    },
  };
}

/**
 * For `purge` on the data folder: removes a tenant's alerts and digests from the outbox (their
 * text names its destinations and domains). Returns how many lines went (or would, on a dry run).
 */
export async function purgeOutbox(path: string, tenant: string, dryRun: boolean): Promise<number> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const lines = text.split('\n').filter((l) => l !== '');
  const ofTenant = (line: string) => {
    try {
      return (JSON.parse(line) as { json?: { tenant?: unknown } }).json?.tenant === tenant;
    } catch {
      return false; // not ours to judge: kept as it is
    }
  };
  const kept = lines.filter((l) => !ofTenant(l));
  const gone = lines.length - kept.length;
  if (gone > 0 && !dryRun) await writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
  return gone;
}
