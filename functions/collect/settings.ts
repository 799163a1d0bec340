import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from '../adapters/runtime-config.ts';
import { UsageError } from '../core/errors.ts';
import { parseRulesConfig, type CollectConfig } from '../core/rules/config.ts';

/** The collector's tenants, written into its bundle by the stack (infra/constructs/graph-collector.ts). */
export const COLLECT_FILE = 'collect-tenants.json';

export type CollectSettings = Map<string, CollectConfig & { certificateSecretArn: string }>;

/**
 * The tenants the stack configured for collection, each with its certificate secret: the file
 * `MAILFLOW_COLLECT_FILE` names, in the function's folder (`LAMBDA_TASK_ROOT`), validated as the
 * rules file is at synth time.
 */
export function readCollectSettings(env: Record<string, string | undefined>): CollectSettings {
  const name = env[ENV.COLLECT_FILE];
  if (!name) throw new UsageError('BAD_CONFIG', `${ENV.COLLECT_FILE} is not set: the stack sets it to the collector's settings file`);
  const file = join(env.LAMBDA_TASK_ROOT ?? '.', name);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError('BAD_CONFIG', `cannot read the collector's settings ${file}: ${(err as Error).message}`);
  }
  const out: CollectSettings = new Map();
  for (const [tenant, t] of Object.entries(parseRulesConfig(json).tenants)) {
    if (!t.collect?.certificateSecretArn)
      throw new UsageError(
        'BAD_CONFIG',
        `${file}: tenant ${tenant} has no certificateSecretArn (the deployed collector reads its certificate from Secrets Manager)`,
      );
    out.set(tenant, { ...t.collect, certificateSecretArn: t.collect.certificateSecretArn });
  }
  return out;
}
