import { isLang, type Lang } from '../vocabulary/language.ts';
import { CATEGORIES, type Category } from '../classify/types.ts';
import { UsageError } from '../errors.ts';
import { COUNTED_OUTCOMES, PROBLEM_OUTCOMES, type CountedOutcome } from '../vocabulary/outcomes.ts';

/**
 * Alert rules are data: one config file (`mailflow.config.json`, schema in
 * `schema/mailflow.config.schema.json`), defaults below, per-tenant overrides. `parseRulesConfig`
 * validates everything and reports every problem with its path, at once.
 */
export const RULE_KINDS = ['count', 'rate', 'queue', 'stuck', 'new-code'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const GROUP_FIELDS = ['tenant', 'connector', 'destination', 'domain', 'code', 'category'] as const;
export type RuleGroupField = (typeof GROUP_FIELDS)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Rule {
  id: string;
  kind: RuleKind;
  enabled: boolean;
  severity: Severity;
  /** Which events count: all of the given lists must match (empty list = any). */
  match: { codes: string[]; categories: Category[]; outcomes: CountedOutcome[] };
  groupBy: RuleGroupField[];
  /** Window the value is computed over (count, rate), in minutes. */
  windowMinutes: number;
  /** Opens at or above; resolves below `close` for a full window (hysteresis). */
  open: number;
  close: number;
  /** rate: the least number of messages with a final outcome in the window for the rate to mean anything. */
  minVolume: number;
  /** queue, stuck: how long a message must have been deferred without a final outcome. */
  olderThanMinutes: number;
  /** new-code: how far back a code must be unseen. */
  lookbackMinutes: number;
  /** The least time between two notifications of one incident. */
  cooldownMinutes: number;
  /**
   * Groups with an incident of their own; past it, the rest are folded into one "and N more"
   * incident, so an outage naming 500,000 destinations sends a handful of alerts, not 500,000.
   */
  maxIncidents: number;
}

export interface TenantSettings {
  language: Lang;
  timeZone: string;
  /** Local hour (0-23) of the daily digest. */
  digestHour: number;
  /** Local times between which only critical alerts go out ("22:00"-"07:00"), or null. */
  quietHours: { from: string; to: string } | null;
  /**
   * Alerts published for the tenant in one wall-clock hour; past it they are held (and listed in
   * the next digest), so one tenant's outage cannot queue every other tenant's alerts behind its own
   * in the shared one-a-second publish slot.
   */
  maxAlertsPerHour: number;
}

export interface RulesConfig {
  defaults: TenantSettings;
  rules: Rule[];
  tenants: Record<string, { settings: Partial<TenantSettings>; rules: Record<string, Partial<Rule>>; collect?: CollectConfig }>;
}

/** How the Graph collector signs in for a tenant (`tenants.<t>.collect`). */
export interface CollectConfig {
  /** The customer's Entra tenant id (or a verified domain). */
  entraTenant: string;
  /** The app registration's client id (one multi-tenant app can serve every customer). */
  clientId: string;
  /** A PEM file with the certificate and its private key (locally). */
  certificate?: string;
  /** Deployed: the Secrets Manager secret holding that PEM. */
  certificateSecretArn?: string;
}

/** The six connector codes of mail flow intelligence. */
export const CONNECTOR_CODES = ['4.4.312', '4.4.315', '4.4.316', '4.4.317', '4.4.318', '4.7.320'];

const base = {
  enabled: true,
  match: { codes: [], categories: [], outcomes: [] },
  groupBy: [],
  windowMinutes: 60,
  minVolume: 0,
  olderThanMinutes: 0,
  lookbackMinutes: 0,
  cooldownMinutes: 60,
  maxIncidents: 20,
};

/** Microsoft-compatible where Microsoft has a rule, and what it lacks: rates, recovery, expiry warnings. */
export const DEFAULT_RULES: Rule[] = [
  // Microsoft's "Messages have been delayed": distinct messages of one connector/destination
  // deferred for more than an hour without a final outcome; default threshold 200.
  {
    ...base,
    id: 'queue',
    kind: 'queue',
    severity: 'critical',
    groupBy: ['connector', 'destination'],
    olderThanMinutes: 60,
    open: 200,
    close: 100,
  },
  {
    ...base,
    id: 'connector-codes',
    kind: 'count',
    severity: 'critical',
    match: { codes: CONNECTOR_CODES, categories: [], outcomes: ['deferred', 'expired'] },
    groupBy: ['destination'],
    windowMinutes: 60,
    open: 20,
    close: 10,
  },
  {
    ...base,
    id: 'permanent-failure-rate',
    kind: 'rate',
    severity: 'warning',
    match: { codes: [], categories: [], outcomes: ['failed', 'expired'] },
    groupBy: ['tenant'],
    windowMinutes: 360,
    open: 0.05,
    close: 0.03,
    minVolume: 200,
    cooldownMinutes: 360,
  },
  // Exchange gives up after 24 hours: warn at 12, while there is time to fix the destination.
  { ...base, id: 'stuck', kind: 'stuck', severity: 'warning', groupBy: ['destination'], olderThanMinutes: 12 * 60, open: 1, close: 1 },
  {
    ...base,
    id: 'new-code',
    kind: 'new-code',
    severity: 'info',
    match: { codes: [], categories: [], outcomes: [...PROBLEM_OUTCOMES] },
    groupBy: ['code'],
    lookbackMinutes: 7 * 24 * 60,
    open: 1,
    close: 1,
    cooldownMinutes: 24 * 60,
  },
];

export const DEFAULT_SETTINGS: TenantSettings = { language: 'en', timeZone: 'UTC', digestHour: 7, quietHours: null, maxAlertsPerHour: 30 };

/** `30m`, `1h`, `6h`, `7d` → minutes. */
export function parseDuration(text: unknown): number | null {
  const m = /^(\d+)\s*(m|h|d)$/.exec(String(text).trim());
  return m ? +m[1]! * { m: 1, h: 60, d: 1440 }[m[2] as 'm' | 'h' | 'd'] : null;
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export function parseRulesConfig(input: unknown): RulesConfig {
  const problems: string[] = [];
  const at = (path: string, msg: string) => problems.push(`${path}: ${msg}`);
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (v === undefined) return {};
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      at(path, 'must be an object');
      return {};
    }
    return v as Record<string, unknown>;
  };
  const known = (o: Record<string, unknown>, keys: string[], path: string) => {
    for (const k of Object.keys(o))
      if (!keys.includes(k) && k !== '$schema') at(`${path}.${k}`, `unknown setting; expected one of ${keys.join(', ')}`);
  };

  const root = obj(input, 'config');
  known(root, ['defaults', 'rules', 'tenants'], 'config');
  const defaults = { ...DEFAULT_SETTINGS, ...settings(obj(root.defaults, 'defaults'), 'defaults', at, known) };

  const rules = DEFAULT_RULES.map((r) => ({ ...r, match: { ...r.match } }));
  if (root.rules !== undefined) {
    if (!Array.isArray(root.rules)) at('rules', 'must be a list of rules');
    else {
      root.rules.forEach((raw, i) => {
        const path = `rules[${i}]`;
        const o = obj(raw, path);
        const id = o.id;
        if (typeof id !== 'string' || !ID.test(id)) return void at(`${path}.id`, 'must be a-z, 0-9 and -, at most 63 characters');
        const existing = rules.findIndex((r) => r.id === id);
        const start: Rule =
          existing >= 0
            ? rules[existing]!
            : { ...base, id, kind: 'count', severity: 'warning', open: 1, close: 1, match: { codes: [], categories: [], outcomes: [] } };
        const rule = applyRule(start, o, path, at, known, existing < 0);
        if (existing >= 0) rules[existing] = rule;
        else rules.push(rule);
      });
    }
  }

  const tenants: RulesConfig['tenants'] = {};
  for (const [tenant, raw] of Object.entries(obj(root.tenants, 'tenants'))) {
    const path = `tenants.${tenant}`;
    if (!ID.test(tenant)) at(path, 'a tenant name is a-z, 0-9 and -, at most 63 characters');
    const o = obj(raw, path);
    known(o, ['language', 'timeZone', 'digestHour', 'quietHours', 'maxAlertsPerHour', 'rules', 'collect'], path);
    const overrides: Record<string, Partial<Rule>> = {};
    for (const [id, ruleRaw] of Object.entries(obj(o.rules, `${path}.rules`))) {
      const base = rules.find((r) => r.id === id);
      if (!base) {
        at(`${path}.rules.${id}`, `no rule "${id}" to override; rules are ${rules.map((r) => r.id).join(', ')}`);
        continue;
      }
      overrides[id] = diff(base, applyRule(base, obj(ruleRaw, `${path}.rules.${id}`), `${path}.rules.${id}`, at, known, false));
    }
    const { rules: _omit, collect: collectRaw, ...rest } = o;
    const collect = collectRaw === undefined ? undefined : collectConfig(obj(collectRaw, `${path}.collect`), `${path}.collect`, at, known);
    tenants[tenant] = { settings: settings(rest, path, at, () => {}), rules: overrides, ...(collect ? { collect } : {}) };
  }

  if (problems.length)
    throw new UsageError('BAD_RULES_CONFIG', `the rules configuration has ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  return { defaults, rules, tenants };
}

/** The rules and settings in force for one tenant. */
export function resolveTenant(config: RulesConfig, tenant: string): { settings: TenantSettings; rules: Rule[] } {
  const t = config.tenants[tenant];
  return {
    settings: { ...config.defaults, ...t?.settings },
    rules: config.rules.map((r) => ({ ...r, ...t?.rules[r.id] })).filter((r) => r.enabled),
  };
}

type At = (path: string, msg: string) => void;
type Known = (o: Record<string, unknown>, keys: string[], path: string) => void;

function settings(o: Record<string, unknown>, path: string, at: At, known: Known): Partial<TenantSettings> {
  known(o, ['language', 'timeZone', 'digestHour', 'quietHours', 'maxAlertsPerHour'], path);
  const out: Partial<TenantSettings> = {};
  if (o.language !== undefined) {
    if (isLang(o.language)) out.language = o.language;
    else at(`${path}.language`, 'must be "en" or "it"');
  }
  if (o.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: String(o.timeZone) });
      out.timeZone = String(o.timeZone);
    } catch {
      at(`${path}.timeZone`, `"${o.timeZone}" is not a time zone (use an IANA name like Europe/Rome, or UTC)`);
    }
  }
  if (o.digestHour !== undefined) {
    if (Number.isInteger(o.digestHour) && (o.digestHour as number) >= 0 && (o.digestHour as number) <= 23)
      out.digestHour = o.digestHour as number;
    else at(`${path}.digestHour`, 'must be a whole hour, 0 to 23');
  }
  if (o.maxAlertsPerHour !== undefined) {
    const n = o.maxAlertsPerHour;
    if (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 3600) out.maxAlertsPerHour = n as number;
    else at(`${path}.maxAlertsPerHour`, 'must be a whole number, 1 to 3600');
  }
  if (o.quietHours !== undefined) {
    const q = o.quietHours as { from?: unknown; to?: unknown } | null;
    if (q === null) out.quietHours = null;
    else if (typeof q === 'object' && TIME.test(String(q.from)) && TIME.test(String(q.to)))
      out.quietHours = { from: String(q.from), to: String(q.to) };
    else at(`${path}.quietHours`, 'must be { "from": "HH:MM", "to": "HH:MM" } or null');
  }
  return out;
}

const RULE_KEYS = [
  'id',
  'kind',
  'enabled',
  'severity',
  'match',
  'groupBy',
  'window',
  'open',
  'close',
  'minVolume',
  'olderThan',
  'lookback',
  'cooldown',
  'maxIncidents',
];

function applyRule(start: Rule, o: Record<string, unknown>, path: string, at: At, known: Known, isNew: boolean): Rule {
  known(o, RULE_KEYS, path);
  const r: Rule = { ...start, match: { ...start.match }, groupBy: [...start.groupBy] };
  if (o.kind !== undefined) {
    if ((RULE_KINDS as readonly string[]).includes(String(o.kind))) r.kind = o.kind as RuleKind;
    else at(`${path}.kind`, `must be one of ${RULE_KINDS.join(', ')}`);
  } else if (isNew) at(`${path}.kind`, `a new rule needs a kind: ${RULE_KINDS.join(', ')}`);
  if (o.enabled !== undefined) {
    if (typeof o.enabled === 'boolean') r.enabled = o.enabled;
    else at(`${path}.enabled`, 'must be true or false');
  }
  if (o.severity !== undefined) {
    if ((SEVERITIES as readonly string[]).includes(String(o.severity))) r.severity = o.severity as Severity;
    else at(`${path}.severity`, `must be one of ${SEVERITIES.join(', ')}`);
  }
  if (o.match !== undefined) {
    const m = (o.match ?? {}) as Record<string, unknown>;
    known(m, ['codes', 'categories', 'outcomes'], `${path}.match`);
    const list = (key: string, ok: (v: string) => boolean, what: string) => {
      const v = m[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && ok(x))) {
        at(`${path}.match.${key}`, `must be a list of ${what}`);
        return undefined;
      }
      return v as string[];
    };
    r.match.codes = list('codes', (c) => /^[245]\.\d{1,3}\.\d{1,3}$/.test(c), 'enhanced status codes like 4.4.316') ?? r.match.codes;
    r.match.categories = (list(
      'categories',
      (c) => (CATEGORIES as readonly string[]).includes(c),
      `categories (${CATEGORIES.join(', ')})`,
    ) ?? r.match.categories) as Category[];
    r.match.outcomes = (list(
      'outcomes',
      (c) => (COUNTED_OUTCOMES as readonly string[]).includes(c),
      `outcomes (${COUNTED_OUTCOMES.join(', ')})`,
    ) ?? r.match.outcomes) as CountedOutcome[];
  }
  if (o.groupBy !== undefined) {
    if (Array.isArray(o.groupBy) && o.groupBy.every((g) => (GROUP_FIELDS as readonly string[]).includes(String(g))))
      r.groupBy = o.groupBy as RuleGroupField[];
    else at(`${path}.groupBy`, `must be a list of ${GROUP_FIELDS.join(', ')}`);
  }
  const duration = (key: string, set: (m: number) => void) => {
    if (o[key] === undefined) return;
    const m = parseDuration(o[key]);
    if (m && m > 0) set(m);
    else at(`${path}.${key}`, `"${o[key]}" is not a duration like 30m, 1h, 6h, 7d`);
  };
  duration('window', (m) => (r.windowMinutes = m));
  duration('olderThan', (m) => (r.olderThanMinutes = m));
  duration('lookback', (m) => (r.lookbackMinutes = m));
  duration('cooldown', (m) => (r.cooldownMinutes = m));
  const number = (key: 'open' | 'close' | 'minVolume') => {
    if (o[key] === undefined) return;
    if (typeof o[key] === 'number' && Number.isFinite(o[key]) && (o[key] as number) >= 0) r[key] = o[key] as number;
    else at(`${path}.${key}`, 'must be a number ≥ 0');
  };
  number('open');
  number('close');
  number('minVolume');
  if (o.maxIncidents !== undefined) {
    if (Number.isInteger(o.maxIncidents) && (o.maxIncidents as number) >= 1 && (o.maxIncidents as number) <= 1000)
      r.maxIncidents = o.maxIncidents as number;
    else at(`${path}.maxIncidents`, 'must be a whole number, 1 to 1000');
  }
  if (r.kind === 'rate' && (r.open > 1 || r.close > 1)) at(path, 'a rate rule takes open and close as fractions (0.05 = 5 %)');
  if (r.close > r.open) at(path, `close (${r.close}) must not be above open (${r.open}): the gap between them stops flapping`);
  return r;
}

function diff(base: Rule, changed: Rule): Partial<Rule> {
  const out: Partial<Rule> = {};
  for (const k of Object.keys(changed) as Array<keyof Rule>) {
    if (JSON.stringify(changed[k]) !== JSON.stringify(base[k])) (out as Record<string, unknown>)[k] = changed[k];
  }
  return out;
}

function collectConfig(
  o: Record<string, unknown>,
  path: string,
  at: (where: string, problem: string) => void,
  known: (o: Record<string, unknown>, keys: string[], path: string) => void,
): CollectConfig | undefined {
  known(o, ['entraTenant', 'clientId', 'certificate', 'certificateSecretArn'], path);
  const text = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  const entraTenant = text('entraTenant');
  const clientId = text('clientId');
  if (!entraTenant) at(`${path}.entraTenant`, "the customer's Entra tenant id (or domain) is required");
  if (!clientId) at(`${path}.clientId`, "the app registration's client id is required");
  if (!text('certificate') && !text('certificateSecretArn'))
    at(path, 'give "certificate" (a PEM file with the certificate and its key) or "certificateSecretArn" (deployed)');
  if (!entraTenant || !clientId) return undefined;
  return {
    entraTenant,
    clientId,
    ...(text('certificate') ? { certificate: text('certificate')! } : {}),
    ...(text('certificateSecretArn') ? { certificateSecretArn: text('certificateSecretArn')! } : {}),
  };
}
