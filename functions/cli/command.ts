import { stat } from 'node:fs/promises';
import { createFsStore } from '../adapters/fs-store.ts';
import { loadRulesConfig } from '../adapters/rules-file.ts';
import { UsageError } from '../core/errors.ts';
import type { ObjectStore } from '../core/ports.ts';
import { ALL_TENANTS } from '../core/render/report-html.ts';
import { resolveTenant } from '../core/rules/config.ts';
import type { Lang } from '../core/vocabulary/language.ts';
import { DAY, parseDuration } from '../core/vocabulary/time.ts';
import { parse, parseLang, type Io } from './args.ts';
import { bucketStore, S3_OPTIONS } from './s3-options.ts';
import type { DrillContext } from '../core/render/drill.ts';

/** A command as main.ts runs it: argv after the command name; returns the exit code. */
export type Command = (argv: string[], io: Io, signal?: AbortSignal) => Promise<number>;

type Options = Parameters<typeof parse>[1];

export interface CommandSpec<O extends Options> {
  name: string;
  /** Printed for `--help` (and `-h`), which every command takes. */
  help: string;
  options: O;
  /** Whether the command takes positional arguments (files, a status text …). */
  positionals?: boolean;
  run(args: { values: ReturnType<typeof parse<O>>['values']; positionals: string[]; io: Io; signal?: AbortSignal }): Promise<number>;
}

/** One command: its options parsed strictly (a typo is a usage error, exit 2), `--help` answered. */
export function defineCommand<const O extends Options>(spec: CommandSpec<O>): Command {
  return async (argv, io, signal) => {
    const { values, positionals } = parse(argv, spec.options, spec.positionals ?? false);
    if ((values as { help?: boolean }).help) {
      io.stdout.write(spec.help);
      return 0;
    }
    return spec.run({ values, positionals, io, ...(signal ? { signal } : {}) });
  };
}

/** The local data folder, when neither --data-dir nor --bucket says otherwise. */
export const DEFAULT_DATA_DIR = '.mailflow';

/** The options of every command that reads results: the data folder, or the deployed data bucket. */
export const STORE_OPTIONS = { 'data-dir': { type: 'string' }, ...S3_OPTIONS } as const;

/** The store the options name: the data bucket with --bucket, else the data folder; never both. */
export async function storeFrom(values: {
  'data-dir'?: string;
  bucket?: string;
  region?: string;
  endpoint?: string;
  'path-style'?: boolean;
}): Promise<ObjectStore> {
  if (values.bucket && values['data-dir'])
    throw new UsageError('BAD_ARGUMENTS', 'give --data-dir (the local data folder) or --bucket (the deployed data bucket), not both');
  if (values.bucket) return (await bucketStore({ ...values, bucket: values.bucket })).store;
  const root = values['data-dir'] ?? DEFAULT_DATA_DIR;
  await requireDataDir(root, values['data-dir'] !== undefined);
  return createFsStore({ root });
}

/**
 * Fails unless the data folder exists: reading a folder that is not there would answer "nothing
 * matched", and a typo must not look like a quiet tenant.
 */
export async function requireDataDir(root: string, named: boolean): Promise<void> {
  const isDir = await stat(root).then(
    (st) => st.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new UsageError(
      'NO_DATA',
      `no data folder at ${root}: ingest exports first (mailflow ingest <files>${named ? ` --data-dir ${root}` : ''}), or name the folder with --data-dir`,
    );
  }
}

/** ISO date (a `--to` date means the end of that day), ISO time, or an age like 24h / 7d / 30m before `now`. */
export function parseTime(text: string, now: number, which: 'from' | 'to'): number {
  const age = parseDuration(text);
  if (age !== null) return now - age;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = Date.parse(`${text}T00:00:00Z`);
    if (!Number.isNaN(day)) return which === 'to' ? day + DAY : day;
  }
  const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(t))
    throw new UsageError('BAD_TIME', `--${which} "${text}" is not a date (2026-11-20), a time (2026-11-20T10:00Z) or an age (24h, 7d)`);
  return t;
}

/** A length such as 24h, 7d or 90m, in milliseconds; `expected` says what the option takes. */
export function durationOption(name: string, text: string, expected: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new UsageError('BAD_TIME', `--${name} takes ${expected}, not "${text}"`);
  return ms;
}

/**
 * Drill-down commands as this run of mailflow would take them: `npx mailflow` when npm started it
 * (`npx`, or a script of the project), else `mailflow`; the bucket, or the data folder when it is
 * not the default.
 */
export function localDrill(
  where: { dataDir?: string; bucket?: string | undefined },
  env: Record<string, string | undefined> = process.env,
): DrillContext {
  // npm exec (npx) and npm run (the demo, the project's scripts) both mean a project folder, where npx finds it.
  const cli = env.npm_command ? 'npx mailflow' : 'mailflow';
  if (where.bucket) return { cli, store: ['--bucket', where.bucket] };
  const dataDir = where.dataDir ?? DEFAULT_DATA_DIR;
  return { cli, store: dataDir === DEFAULT_DATA_DIR ? [] : ['--data-dir', dataDir] };
}

/** The language to write in: --lang, else the tenant's (or every tenant's) `language` setting in the rules config. */
export async function languageOf(flag: string | undefined, configFile: string | undefined, tenant: string | null): Promise<Lang> {
  const lang = parseLang(flag);
  if (lang) return lang;
  const { config } = await loadRulesConfig(configFile);
  return resolveTenant(config, tenant ?? ALL_TENANTS).settings.language;
}
