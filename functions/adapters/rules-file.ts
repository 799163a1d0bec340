import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.ts';
import { parseRulesConfig, type RulesConfig } from '../core/rules/config.ts';

export const DEFAULT_CONFIG_FILE = 'mailflow.config.json';

/** The rules file given, or `mailflow.config.json` when present, or the built-in defaults. */
export async function loadRulesConfig(path?: string): Promise<{ config: RulesConfig; source: string }> {
  const file = path ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !path) return { config: parseRulesConfig({}), source: 'built-in defaults' };
    throw new UsageError('BAD_RULES_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError('BAD_RULES_CONFIG', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return { config: parseRulesConfig(json), source: file };
  } catch (err) {
    throw new UsageError('BAD_RULES_CONFIG', `${file}: ${(err as Error).message}`);
  }
}
