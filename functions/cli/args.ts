import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.ts';
import type { DateOptions } from '../core/formats/dates.ts';
import { isLang, type Lang } from '../core/vocabulary/language.ts';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs, with its errors turned into usage errors (exit code 2). */
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

export function parse<const T extends Options>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...options, ...HELP_OPTION }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError('BAD_ARGUMENTS', (err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

export const DATE_OPTIONS = {
  'date-order': { type: 'string' },
  tz: { type: 'string' },
} as const satisfies Options;

export function dateOptions(values: Record<string, unknown>): DateOptions {
  const out: DateOptions = {};
  const order = values['date-order'];
  if (order !== undefined) {
    if (order !== 'mdy' && order !== 'dmy')
      throw new UsageError('BAD_DATE_ORDER', `--date-order must be mdy (month first, US) or dmy (day first), not "${String(order)}"`);
    out.order = order;
  }
  if (typeof values.tz === 'string') out.timeZone = values.tz;
  return out;
}

/** A whole number ≥ 0 (0 is meaningful: `--port 0` picks a free port, `--seed 0` is a seed). */
export function wholeNumber(name: string, value: unknown, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError('BAD_NUMBER', `--${name} must be a whole number ≥ 0, not "${String(value)}"`);
  return n;
}

/** --lang: en or it; undefined when not given. */
export function parseLang(value: string | undefined): Lang | undefined {
  if (value !== undefined && !isLang(value)) throw new UsageError('BAD_LANG', `--lang must be en or it, not "${value}"`);
  return value;
}

/** An endpoint of the deployed query API, from --url (the stack output QueryUrl, with or without its trailing slash). */
export function queryApiUrl(raw: string, path: string): URL {
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    throw new UsageError('BAD_URL', `--url "${raw}" is not a URL (the stack output QueryUrl, https://….lambda-url.<region>.on.aws/)`);
  }
  return new URL(path, base.href.endsWith('/') ? base : new URL(`${base.href}/`));
}

/** --format of a command that prints rows: table (the default), json or csv. */
export function rowFormat(value: string | undefined): 'table' | 'json' | 'csv' {
  const format = value ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv')
    throw new UsageError('BAD_FORMAT', '--format must be table, json or csv');
  return format;
}

/** Where rows are read from: at most one of the data folder, the bucket and the query API. */
export function checkOneSource(values: { bucket?: string; 'data-dir'?: string; url?: string }): void {
  if ([values.bucket, values['data-dir'], values.url].filter(Boolean).length > 1)
    throw new UsageError('BAD_ARGUMENTS', 'use one of --data-dir, --bucket or --url');
}
