import { existsSync, readFileSync } from 'node:fs';
import type { Node } from 'constructs';
import { MAX_REPORT_LINK_HOURS } from '../functions/adapters/runtime-config.ts';
import { parseRulesConfig } from '../functions/core/rules/config.ts';

/** Deploy-time settings, from CDK context (`-c key=value` or cdk.json). One table in the README. */
export interface StackConfig {
  /** `-c stage=NAME`: names the stack, the Glue database and the Athena workgroup, tags everything. */
  stage: string | null;
  alertEmails: string[];
  incomingRetentionDays: number;
  resultsRetentionDays: number;
  ingestMemoryMb: number;
  ingestTimeoutSeconds: number;
  ingestReservedConcurrency: number | undefined;
  /** Uploads handed to one ingest invocation, and ingest invocations at once (the burst buffer). */
  ingestBatchSize: number;
  ingestMaxConcurrency: number;
  /** Deliveries of one upload before its message moves to the dead-letter queue. */
  ingestMaxReceives: number;
  logRetentionDays: number;
  reconcileEveryMinutes: number;
  /** Re-drives of one upload by the reconcile function before it is given up on. */
  maxRedrives: number;
  /** The HTTP API (a Function URL); false in regions that have no Function URLs. */
  queryApi: boolean;
  maxObjectBytes: number;
  /** How long the dashboard link in each digest works (hours, at most 720). */
  reportLinkHours: number;
  /** The PEM public key whose private half signs the digests' dashboard links; no links without it. */
  reportPublicKey: string | null;
  /** Glue database and Athena workgroup name. */
  glueDatabase: string;
  /** First day the `hourly` table's partition projection offers. */
  sqlFirstDay: string;
  /** Athena cancels a query that would scan more than this many GiB. */
  athenaScanLimitGb: number;
  /** The alert rules (mailflow.config.json), validated at synth time, passed to the functions as JSON. */
  rulesJson: string;
}

/** `-c stage=NAME`, or null for the default stage. */
export function readStage(node: Node): string | null {
  const stage = node.tryGetContext('stage');
  if (stage === undefined || stage === '') return null;
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(String(stage)))
    throw new Error(`context stage must be 1-20 characters of a-z, 0-9 and -, starting with a letter, not "${stage}"`);
  return String(stage);
}

export function readStackConfig(node: Node): StackConfig {
  const num = (key: string, fallback: number): number => {
    const raw = node.tryGetContext(key);
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`context ${key} must be a whole number > 0, not "${raw}"`);
    return n;
  };
  const emails = String(node.tryGetContext('alertEmails') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of emails) if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) throw new Error(`context alertEmails: "${e}" is not an email address`);
  const reserved = node.tryGetContext('ingestReservedConcurrency');
  const stageName = readStage(node);
  const concurrency = num('ingestMaxConcurrency', 10);
  if (concurrency < 2 || concurrency > 1000)
    throw new Error(`context ingestMaxConcurrency must be between 2 and 1000 (what SQS event sources allow), not ${concurrency}`);
  const batch = num('ingestBatchSize', 5);
  if (batch > 10) throw new Error(`context ingestBatchSize must be at most 10, not ${batch}`);
  const timeout = num('ingestTimeoutSeconds', 600);
  if (timeout > 900) throw new Error(`context ingestTimeoutSeconds must be at most 900 (Lambda's limit), not ${timeout}`);
  const queryApi = node.tryGetContext('queryApi');
  return {
    stage: stageName,
    alertEmails: emails,
    incomingRetentionDays: num('incomingRetentionDays', 30),
    resultsRetentionDays: num('resultsRetentionDays', 730),
    ingestMemoryMb: num('ingestMemoryMb', 1769),
    ingestTimeoutSeconds: timeout,
    ingestReservedConcurrency: reserved === undefined || reserved === '' ? undefined : num('ingestReservedConcurrency', 1),
    ingestBatchSize: batch,
    ingestMaxConcurrency: concurrency,
    ingestMaxReceives: num('ingestMaxReceives', 5),
    logRetentionDays: num('logRetentionDays', 30),
    reconcileEveryMinutes: num('reconcileEveryMinutes', 15),
    maxRedrives: num('maxRedrives', 3),
    queryApi: !(queryApi === false || queryApi === 'false'),
    maxObjectBytes: num('maxObjectBytes', 2 * 1024 ** 3),
    reportLinkHours: reportLinkHours(num('reportLinkHours', 168)),
    reportPublicKey: publicKey(node.tryGetContext('reportPublicKeyFile')),
    glueDatabase: matching(
      'glueDatabase',
      /^[a-z][a-z0-9_]{0,62}$/,
      stageName ? `mailflow_${stageName.replace(/-/g, '_')}` : 'mailflow',
      'lower-case letters, digits and _ (Glue and Athena names)',
    ),
    sqlFirstDay: matching('sqlFirstDay', /^\d{4}-\d{2}-\d{2}$/, '2024-01-01', 'a date, yyyy-MM-dd'),
    athenaScanLimitGb: num('athenaScanLimitGb', 10),
    rulesJson: rulesJson(node.tryGetContext('rulesFile')),
  };

  function matching(key: string, re: RegExp, fallback: string, what: string): string {
    const raw = node.tryGetContext(key);
    if (raw === undefined || raw === '') return fallback;
    if (!re.test(String(raw))) throw new Error(`context ${key} must be ${what}, not "${raw}"`);
    return String(raw);
  }
}

function reportLinkHours(hours: number): number {
  if (hours > MAX_REPORT_LINK_HOURS)
    throw new Error(`context reportLinkHours must be at most ${MAX_REPORT_LINK_HOURS} (30 days), not ${hours}`);
  return hours;
}

function publicKey(file: string | undefined): string | null {
  if (file === undefined || file === '') return null;
  if (!existsSync(file)) throw new Error(`context reportPublicKeyFile: ${file} does not exist`);
  const pem = readFileSync(file, 'utf8').trim();
  if (!/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/.test(pem))
    throw new Error(`context reportPublicKeyFile: ${file} is not a PEM public key (openssl rsa -pubout writes one)`);
  return `${pem}\n`;
}

function rulesJson(file: string | undefined): string {
  const path = file ?? 'mailflow.config.json';
  if (!existsSync(path)) {
    if (file) throw new Error(`context rulesFile: ${file} does not exist`);
    return '{}';
  }
  const json = JSON.parse(readFileSync(path, 'utf8'));
  parseRulesConfig(json); // fails the synth with every problem listed
  const compact = JSON.stringify(json);
  // Lambda allows 4 KB of environment variables in all; the rules share it with the rest.
  if (compact.length > 3000) throw new Error(`${path} is ${compact.length} bytes; at most 3,000 fit in the functions' environment`);
  return compact;
}
