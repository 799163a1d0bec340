/**
 * The drill-down commands printed in alerts and digests, so that they run as printed: the way the
 * reader runs mailflow (`npx mailflow`, a global `mailflow`) and where the results are (`--data-dir`
 * of a local folder, `--bucket` of the deployed pipeline).
 */
export interface DrillContext {
  /** The command that starts mailflow, e.g. `npx mailflow`. */
  cli: string;
  /** The options that name the results, e.g. ['--data-dir', '.mailflow-demo']. */
  store: string[];
}

export const DEFAULT_DRILL: DrillContext = { cli: 'mailflow', store: [] };

/** `<cli> query <store options> <args>`; every word from data is shell-quoted. */
export function drillCommand(ctx: DrillContext, args: string[]): string {
  return [ctx.cli, 'query', ...[...ctx.store, ...args].map(shellWord)].join(' ');
}

/**
 * One literal word for a shell: bare when safe, else single-quoted (PowerShell reads those the same
 * way; only a quote inside the word needs the POSIX form, and host names never have one).
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}
