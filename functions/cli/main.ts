import { isMailflowError, UsageError } from '../core/errors.ts';
import type { Io } from './args.ts';
import { explainCommand } from './commands/explain.ts';
import { generateCommand } from './commands/generate.ts';
import { ingestCommand } from './commands/ingest.ts';
import { inspectCommand } from './commands/inspect.ts';
import { queryCommand } from './commands/query.ts';
import { testAlertCommand } from './commands/test-alert.ts';
import { uploadCommand } from './commands/upload.ts';
import { watchCommand } from './commands/watch.ts';

const HELP = `mailflow — why Exchange Online mail stops flowing

Usage: mailflow <command> [options]      (mailflow <command> --help for details)

Commands:
  ingest <files…>       read exports into the data folder: receipts and hourly rollups
  query                 what failed, why, where, since when (table, JSON or CSV)
  watch <folder>        ingest exports as they appear in a folder
  upload <files…>       send exports to the deployed pipeline's bucket (--bucket)
  test-alert            send a sample alert, to check that alerts arrive
  explain <text|code>   what a status code or a pasted NDR line means, who acts, what to do
  inspect <file…>       what an export is: family, encoding, rows, events by outcome and code
  generate              write a realistic sample export of any family (demos, tests, bench)

Exit codes: 0 ok, 1 a file or an operation failed, 2 wrong usage.
`;

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  ingest: ingestCommand,
  query: queryCommand,
  watch: watchCommand,
  upload: uploadCommand,
  'test-alert': testAlertCommand,
  explain: explainCommand,
  inspect: inspectCommand,
  generate: generateCommand,
};

/** Runs one command; returns the exit code. Never calls process.exit, so tests can call it. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(HELP);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError('UNKNOWN_COMMAND', `unknown command "${command}"; run mailflow --help`);
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`mailflow ${command}: ${err.message}\n`);
      return 2;
    }
    if (isMailflowError(err)) {
      io.stderr.write(`mailflow ${command}: ${err.code}: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`mailflow ${command}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
