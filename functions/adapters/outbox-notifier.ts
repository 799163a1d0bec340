import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Notifier } from '../core/ports.ts';
import type { Notification } from '../core/ports.ts';

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
