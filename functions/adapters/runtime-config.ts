import { UsageError } from '../core/errors.ts';

/**
 * Runtime settings of the deployed functions: the environment variable names (shared with the
 * stack, which sets them) and one pure parser that lists every bad value at once.
 */
export const ENV = {
  /** The data bucket: results/, state/, reports/. */
  BUCKET: 'MAILFLOW_BUCKET',
  /** The upload bucket: incoming/ (the reconcile function lists it). */
  UPLOAD_BUCKET: 'MAILFLOW_UPLOAD_BUCKET',
  /** Re-drives of one upload by the reconcile function before it is given up on. */
  MAX_REDRIVES: 'MAILFLOW_MAX_REDRIVES',
  MAX_OBJECT_BYTES: 'MAILFLOW_MAX_OBJECT_BYTES',
  READ_IDLE_TIMEOUT_MS: 'MAILFLOW_READ_IDLE_TIMEOUT_MS',
  CAS_BUDGET_MS: 'MAILFLOW_CAS_BUDGET_MS',
  /** Counted events merged per part of a large file (what a retry after a failed download can skip). */
  PART_EVENTS: 'MAILFLOW_PART_EVENTS',
  RECONCILE_MIN_AGE_MINUTES: 'MAILFLOW_RECONCILE_MIN_AGE_MINUTES',
  S3_FORCE_PATH_STYLE: 'MAILFLOW_S3_FORCE_PATH_STYLE',
  S3_UNQUOTED_IF_MATCH: 'MAILFLOW_S3_UNQUOTED_IF_MATCH',
  S3_MAX_ATTEMPTS: 'MAILFLOW_S3_MAX_ATTEMPTS',
  /** The alert topic; alerts are evaluated and published when it is set. */
  TOPIC_ARN: 'MAILFLOW_TOPIC_ARN',
  /** The rules configuration (mailflow.config.json) as JSON; the defaults when unset. */
  RULES: 'MAILFLOW_RULES',
  /** How long the dashboard link in each digest works, in hours (at most 720). */
  REPORT_LINK_HOURS: 'MAILFLOW_REPORT_LINK_HOURS',
  /** The report bucket: dashboard snapshots and full digests under reports/. */
  REPORT_BUCKET: 'MAILFLOW_REPORT_BUCKET',
  /** Signed report links: the distribution's URL, its public key's id, the secret with the private key. */
  REPORT_BASE_URL: 'MAILFLOW_REPORT_BASE_URL',
  REPORT_KEY_PAIR_ID: 'MAILFLOW_REPORT_KEY_PAIR_ID',
  REPORT_KEY_SECRET_ARN: 'MAILFLOW_REPORT_KEY_SECRET_ARN',
  /**
   * The collector's tenants, a file in its bundle (beside index.mjs):
   * `{"tenants":{"<t>":{"collect":{entraTenant, clientId, certificateSecretArn}}}}`.
   */
  COLLECT_FILE: 'MAILFLOW_COLLECT_FILE',
  /** Microsoft Graph and the sign-in host, when not the public cloud's (sovereign clouds). */
  GRAPH_URL: 'MAILFLOW_GRAPH_URL',
  AUTHORITY_URL: 'MAILFLOW_AUTHORITY_URL',
} as const;

/** The CloudWatch namespace of the functions' metrics (Powertools sets it from the environment). */
export const METRICS_NAMESPACE = 'mailflow';

/** The longest a digest's dashboard link works: 30 days (the snapshot it opens is replaced daily). */
export const MAX_REPORT_LINK_HOURS = 720;

export interface RuntimeConfig {
  /** Uploads larger than this are rejected before download. */
  maxObjectBytes: number;
  /** A body read that delivers nothing for this long fails (and Lambda retries). */
  readIdleTimeoutMs: number;
  casBudgetMs: number;
  /** Smaller parts hold less in memory and lose less to a failed download, for more S3 requests. */
  partEvents: number;
  reconcileMinAgeMinutes: number;
  maxRedrives: number;
  forcePathStyle: boolean;
  unquotedIfMatch: boolean;
  /**
   * SDK attempts per S3 call. With 30 % throttling, 3 attempts fail one call in 37 and a whole
   * ingestion (dozens of calls) often; 6 fail one in 1,400 (0.3⁶).
   */
  s3MaxAttempts: number;
  reportLinkHours: number;
}

export function parseRuntimeConfig(env: Record<string, string | undefined>): RuntimeConfig {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min = 1) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) problems.push(`${name} must be a whole number ≥ ${min}, not "${raw}"`);
    return n;
  };
  const bool = (name: string) => /^(1|true|yes)$/i.test(env[name]?.trim() ?? '');
  const config: RuntimeConfig = {
    maxObjectBytes: int(ENV.MAX_OBJECT_BYTES, 2 * 1024 ** 3),
    readIdleTimeoutMs: int(ENV.READ_IDLE_TIMEOUT_MS, 30_000),
    casBudgetMs: int(ENV.CAS_BUDGET_MS, 120_000),
    partEvents: int(ENV.PART_EVENTS, 250_000, 1_000),
    // 0: uploads of any age (an upload's own notification may then race the re-drive, harmlessly).
    reconcileMinAgeMinutes: int(ENV.RECONCILE_MIN_AGE_MINUTES, 15, 0),
    maxRedrives: int(ENV.MAX_REDRIVES, 3),
    forcePathStyle: bool(ENV.S3_FORCE_PATH_STYLE),
    unquotedIfMatch: bool(ENV.S3_UNQUOTED_IF_MATCH),
    s3MaxAttempts: int(ENV.S3_MAX_ATTEMPTS, 6),
    reportLinkHours: int(ENV.REPORT_LINK_HOURS, 168),
  };
  if (config.reportLinkHours > MAX_REPORT_LINK_HOURS)
    problems.push(`${ENV.REPORT_LINK_HOURS} must be at most ${MAX_REPORT_LINK_HOURS} (30 days), not ${config.reportLinkHours}`);
  if (problems.length) throw new UsageError('BAD_CONFIG', problems.join('; '));
  return config;
}
