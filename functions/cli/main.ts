import { isMailflowError, UsageError } from '../core/errors.ts';
import type { Io } from './args.ts';
import { noCredentials } from '../adapters/errors.ts';
import { safeIo } from './safe-io.ts';

const HELP = `mailflow — why Exchange Online mail stops flowing

Usage: mailflow <command> [options]      (mailflow <command> --help for details)

Commands:
  ingest <files…>       read exports into the data folder: receipts and hourly rollups
  collect --tenant T    collect the tenant's message trace from Microsoft Graph (no exports)
  query                 what failed, why, where, since when (table, JSON or CSV)
  sources               the uploads read, newest first: what each counted, why one was rejected
  report --html         the dashboard as one self-contained HTML file
  dashboard             the dashboard on http://127.0.0.1:8025/, fresh on every change
  watch <folder>        ingest exports as they appear in a folder
  upload <files…>       send exports to the deployed pipeline's upload bucket (--bucket)
  failures list         uploads that failed every delivery (the dead-letter queue); redrive, purge
  digest                the digest of a period: changes, top codes with advice, destinations
  suppress              silence a rule's alerts for a while, with a reason the digests show
  forget <file|id…>     take what sources counted out again (ingest --reprocess re-reads them)
  reprocess --tenant T  read a tenant's files again (after an upgrade that reads them better)
  purge --tenant T      erase everything of a tenant (uploads and their versions, results, state)
  months                copy days stored by an older mailflow into their months (faster views)
  index-receipts        index receipts stored by an older mailflow (recent uploads without a scan)
  test-alert            send a sample alert, to check that alerts arrive
  explain <text|code>   what a status code or a pasted NDR line means, who acts, what to do
  inspect <file…>       what an export is: family, encoding, rows, events by outcome and code
  generate              write a realistic sample export of any family (demos, tests, bench)

Exit codes: 0 ok, 1 a file or an operation failed, 2 wrong usage.
`;

type Command = (argv: string[], io: Io) => Promise<number>;

// Loaded on demand: `mailflow ingest` should not pay for the AWS SDK that `upload` needs.
const COMMANDS: Record<string, () => Promise<Command>> = {
  ingest: async () => (await import('./commands/ingest.ts')).ingestCommand,
  collect: async () => (await import('./commands/collect.ts')).collectCommand,
  query: async () => (await import('./commands/query.ts')).queryCommand,
  sources: async () => (await import('./commands/sources.ts')).sourcesCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  dashboard: async () => (await import('./commands/dashboard.ts')).dashboardCommand,
  watch: async () => (await import('./commands/watch.ts')).watchCommand,
  upload: async () => (await import('./commands/upload.ts')).uploadCommand,
  failures: async () => (await import('./commands/failures.ts')).failuresCommand,
  forget: async () => (await import('./commands/forget.ts')).forgetCommand,
  reprocess: async () => (await import('./commands/reprocess.ts')).reprocessCommand,
  purge: async () => (await import('./commands/purge.ts')).purgeCommand,
  months: async () => (await import('./commands/months.ts')).monthsCommand,
  'index-receipts': async () => (await import('./commands/index-receipts.ts')).indexReceiptsCommand,
  'test-alert': async () => (await import('./commands/test-alert.ts')).testAlertCommand,
  digest: async () => (await import('./commands/digest.ts')).digestCommand,
  suppress: async () => (await import('./commands/suppress.ts')).suppressCommand,
  explain: async () => (await import('./commands/explain.ts')).explainCommand,
  inspect: async () => (await import('./commands/inspect.ts')).inspectCommand,
  generate: async () => (await import('./commands/generate.ts')).generateCommand,
};

/** Runs one command; returns the exit code. Never calls process.exit, so tests can call it. */
export async function main(argv: string[], raw: Io): Promise<number> {
  const [command, ...rest] = argv;
  // generate writes sample exports byte for byte (UTF-16 has NUL bytes); every other command's
  // output, and every error message, carries text from exports and is neutralised for the terminal.
  const io = command === 'generate' ? raw : safeIo(raw);
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(HELP);
    return command ? 0 : 2;
  }
  const load = COMMANDS[command];
  try {
    if (!load) throw new UsageError('UNKNOWN_COMMAND', `unknown command "${command}"; run mailflow --help`);
    return await (
      await load()
    )(rest, io);
  } catch (caught) {
    // Commands that talk to AWS (--bucket, upload) meet the SDK's error where credentials are missing.
    const err = (caught as Error)?.name === 'CredentialsProviderError' ? noCredentials(caught as Error) : caught;
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
