import { SNSClient } from '@aws-sdk/client-sns';
import { ENV } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import type { Clock, Notifier } from '../core/ports.ts';
import { parseRulesConfig, type RulesConfig } from '../core/rules/config.ts';
import { createSnsNotifier } from './sns-notifier.ts';

/** The deployed functions' alert settings, from the environment the stack sets. */
export function alertsFromEnv(env: Record<string, string | undefined>, clock: Clock): { rules: RulesConfig; notifier: Notifier } | undefined {
  const topicArn = env[ENV.TOPIC_ARN];
  if (!topicArn) return undefined;
  let raw: unknown = {};
  if (env[ENV.RULES]) {
    try {
      raw = JSON.parse(env[ENV.RULES]!);
    } catch (err) {
      throw new UsageError('BAD_RULES_CONFIG', `${ENV.RULES} is not valid JSON: ${(err as Error).message}`);
    }
  }
  return { rules: parseRulesConfig(raw), notifier: createSnsNotifier(new SNSClient({}), { topicArn, clock }) };
}
