import type { Node } from 'constructs';

/** Deploy-time settings, from CDK context (`-c key=value` or cdk.json). One table in the README. */
export interface StackConfig {
  alertEmails: string[];
  incomingRetentionDays: number;
  resultsRetentionDays: number;
  ingestMemoryMb: number;
  ingestTimeoutSeconds: number;
  ingestReservedConcurrency: number | undefined;
  logRetentionDays: number;
  reconcileEveryMinutes: number;
  maxObjectBytes: number;
}

export function readStackConfig(node: Node): StackConfig {
  const num = (key: string, fallback: number): number => {
    const raw = node.tryGetContext(key);
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`context ${key} must be a whole number > 0, not "${raw}"`);
    return n;
  };
  const emails = String(node.tryGetContext('alertEmails') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  for (const e of emails) if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) throw new Error(`context alertEmails: "${e}" is not an email address`);
  const reserved = node.tryGetContext('ingestReservedConcurrency');
  return {
    alertEmails: emails,
    incomingRetentionDays: num('incomingRetentionDays', 30),
    resultsRetentionDays: num('resultsRetentionDays', 730),
    ingestMemoryMb: num('ingestMemoryMb', 1769),
    ingestTimeoutSeconds: num('ingestTimeoutSeconds', 600),
    ingestReservedConcurrency: reserved === undefined || reserved === '' ? undefined : num('ingestReservedConcurrency', 1),
    logRetentionDays: num('logRetentionDays', 30),
    reconcileEveryMinutes: num('reconcileEveryMinutes', 15),
    maxObjectBytes: num('maxObjectBytes', 2 * 1024 ** 3),
  };
}
