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
  /** The alert rules (mailflow.config.json), validated at synth time, passed to the functions as JSON (without `collect`). */
  rulesJson: string;
  /** Tenants whose message trace the collector function reads from Microsoft Graph (`tenants.<t>.collect` with a secret). */
  collect: CollectTenant[];
  /** How often the collector runs (minutes). */
  collectEveryMinutes: number;
  /** Microsoft Graph and the sign-in host, for sovereign clouds; null: the public cloud's. */
  graphUrl: string | null;
  authorityUrl: string | null;
}

export interface CollectTenant {
  tenant: string;
  entraTenant: string;
  clientId: string;
  certificateSecretArn: string;
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
    ...rulesAndCollect(node.tryGetContext('rulesFile')),
    collectEveryMinutes: collectEvery(num('collectEveryMinutes', 15)),
    graphUrl: httpsUrl('graphUrl'),
    authorityUrl: httpsUrl('authorityUrl'),
  };

  function httpsUrl(key: string): string | null {
    const raw = node.tryGetContext(key);
    if (raw === undefined || raw === '') return null;
    if (!/^https:\/\/[^/\s]+\/?$/.test(String(raw)))
      throw new Error(`context ${key} must be an https:// origin such as https://graph.microsoft.us, not "${raw}"`);
    return String(raw).replace(/\/$/, '');
  }

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

function collectEvery(minutes: number): number {
  // The collector's budget is 80 requests per 5 minutes: more often than that gains nothing.
  if (minutes < 5 || minutes > 1440) throw new Error(`context collectEveryMinutes must be between 5 and 1440, not ${minutes}`);
  return minutes;
}

/** Lambda allows 4 KB of environment variables in all; the rules share it with the rest. */
const MAX_JSON_ENV = 3000;

/**
 * The rules file, validated (the synth fails with every problem listed), split in two: the alert
 * rules for the pipeline's functions, and the collector's tenants (sign-in and secret), which only
 * the collector gets (in its bundle: any number of tenants). A tenant with only a local
 * `certificate` file is collected by the CLI only.
 */
function rulesAndCollect(file: string | undefined): { rulesJson: string; collect: CollectTenant[] } {
  const path = file ?? 'mailflow.config.json';
  if (!existsSync(path)) {
    if (file) throw new Error(`context rulesFile: ${file} does not exist`);
    return { rulesJson: '{}', collect: [] };
  }
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const parsed = parseRulesConfig(json);
  const collect: CollectTenant[] = [];
  for (const [tenant, t] of Object.entries(parsed.tenants)) {
    const c = t.collect;
    if (!c?.certificateSecretArn) continue;
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/.test(c.certificateSecretArn))
      throw new Error(
        `${path}: tenants.${tenant}.collect.certificateSecretArn must be a Secrets Manager secret ARN, not "${c.certificateSecretArn}"`,
      );
    collect.push({ tenant, entraTenant: c.entraTenant, clientId: c.clientId, certificateSecretArn: c.certificateSecretArn });
  }
  const rules = structuredClone(json) as { tenants?: Record<string, Record<string, unknown>> };
  for (const [tenant, t] of Object.entries(rules.tenants ?? {})) {
    delete t.collect;
    if (Object.keys(t).length === 0) delete rules.tenants![tenant];
  }
  const rulesJson = JSON.stringify(rules);
  if (rulesJson.length > MAX_JSON_ENV)
    throw new Error(
      `${path}: its rules are ${rulesJson.length} bytes of JSON; at most ${MAX_JSON_ENV.toLocaleString('en-US')} fit in the functions' environment`,
    );
  return { rulesJson, collect };
}

/** The collector's settings file: the tenants' collect settings in the rules file's own shape. */
export function collectSettingsJson(collect: readonly CollectTenant[]): string {
  return JSON.stringify({
    tenants: Object.fromEntries(
      collect.map((c) => [
        c.tenant,
        { collect: { entraTenant: c.entraTenant, clientId: c.clientId, certificateSecretArn: c.certificateSecretArn } },
      ]),
    ),
  });
}
