import { STORE_OPTIONS, defineCommand, parseTime, storeFrom } from '../command.ts';
import { DAY, parseDuration } from '../../core/vocabulary/time.ts';
import { randomBytes } from 'node:crypto';
import { normalizeTenant } from '../../core/store/layout.ts';
import { UsageError } from '../../core/errors.ts';
import type { ObjectStore } from '../../core/ports.ts';

import { S3_HELP } from '../s3-options.ts';
import {
  activeSuppressions,
  allActiveSuppressions,
  liftSuppression,
  saveSuppression,
  type Suppression,
} from '../../core/store/suppressions.ts';
import { loadRulesConfig } from '../../adapters/rules-file.ts';
import { resolveTenant } from '../../core/rules/config.ts';
import { DEFAULT_CAS_BUDGET_MS } from '../../core/store/cas.ts';
import { systemClock } from '../../core/ports.ts';

export const SUPPRESS_HELP = `Usage: mailflow suppress --rule R --until T --reason TEXT [--key field=value …] [--tenant T]
       mailflow suppress --list [--tenant T]
       mailflow suppress --remove ID [--tenant T]

Silences a rule's alerts (or every rule's, with --rule '*') for the groups that match, until T; the
suppression and its reason are listed in every digest until it expires.

  --rule R           a rule id of the rules config (queue, connector-codes, permanent-failure-rate,
                     stuck, new-code …) or *
  --list             the active suppressions: of one tenant with --tenant, else of every tenant
  --remove ID        lifts a suppression now (its id is in --list and in the digests)
  --config F         the rules config (default mailflow.config.json when present)
  --key F=V          only groups whose field F is V (destination, connector, domain, code …); repeatable
  --until T          an ISO time, or a length from now: 4h, 2d (at most 30 days)
  --reason TEXT      why, for the people who read the digests (at least 10 characters)
  --tenant T         the tenant (default "default")
  --data-dir D       the data folder (default .mailflow), or --bucket B for the deployed pipeline
${S3_HELP}`;

export const suppressCommand = defineCommand({
  name: 'suppress',
  help: SUPPRESS_HELP,
  options: {
    rule: { type: 'string' },
    key: { type: 'string', multiple: true },
    until: { type: 'string' },
    reason: { type: 'string' },
    tenant: { type: 'string' },
    list: { type: 'boolean' },
    remove: { type: 'string' },
    config: { type: 'string' },
    ...STORE_OPTIONS,
  },
  positionals: false,
  async run({ values, io }) {
    const tenant = normalizeTenant(values.tenant);
    const store: ObjectStore = await storeFrom(values);
    const now = Date.now();
    if (values.list) {
      const active = values.tenant
        ? await activeSuppressions(store, tenant, new Date(now))
        : await allActiveSuppressions(store, new Date(now));
      if (!active.length) io.stdout.write(`no active suppressions${values.tenant ? ` for ${tenant}` : ''}\n`);
      for (const s of active)
        io.stdout.write(
          `${s.id}  ${s.tenant}  ${s.ruleId}  ${
            Object.entries(s.match)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ') || '*'
          }  until ${s.until}  ${s.reason}\n`,
        );
      return 0;
    }
    if (values.remove !== undefined) {
      const all = values.tenant
        ? await activeSuppressions(store, tenant, new Date(now))
        : await allActiveSuppressions(store, new Date(now));
      const found = all.find((s) => s.id === values.remove);
      if (!found) {
        const ids = all.map((s) => `${s.id} (${s.tenant}, ${s.ruleId})`).join(', ') || 'none';
        throw new UsageError('UNKNOWN_SUPPRESSION', `no active suppression with id "${values.remove}"; active: ${ids}`);
      }
      await liftSuppression(store, found, new Date(now), { clock: systemClock, budgetMs: DEFAULT_CAS_BUDGET_MS });
      io.stdout.write(`lifted ${found.id} (${found.ruleId} for ${found.tenant}): its alerts are sent again from the next evaluation\n`);
      return 0;
    }
    if (!values.rule || !/^(\*|[a-z0-9][a-z0-9-]{0,62})$/.test(values.rule))
      throw new UsageError('MISSING_ARGUMENT', 'suppress needs --rule <rule id or *>');
    if (values.rule !== '*') {
      const { config } = await loadRulesConfig(values.config);
      const ids = resolveTenant(config, tenant).rules.map((r) => r.id);
      if (!ids.includes(values.rule))
        throw new UsageError('UNKNOWN_RULE', `no rule "${values.rule}" for ${tenant}; rules: ${ids.join(', ')}, or * for all`);
    }
    if (!values.until)
      throw new UsageError('MISSING_ARGUMENT', 'suppress needs --until (an ISO time, or 4h, 2d …): suppressions always expire');
    if (!values.reason || values.reason.trim().length < 10)
      throw new UsageError('MISSING_ARGUMENT', 'suppress needs --reason of at least 10 characters: the digests show it');
    const ahead = parseDuration(values.until);
    const until = ahead !== null ? now + ahead : parseTime(values.until, now, 'to');
    if (until <= now) throw new UsageError('BAD_TIME', `--until ${values.until} is in the past`);
    if (until - now > 30 * DAY)
      throw new UsageError('BAD_TIME', '--until is more than 30 days away: suppress for shorter and renew it if needed');
    const match: Record<string, string> = {};
    for (const kv of values.key ?? []) {
      const eq = kv.indexOf('=');
      if (eq < 1) throw new UsageError('BAD_ARGUMENTS', `--key takes field=value, not "${kv}"`);
      match[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const s: Suppression = {
      id: randomBytes(4).toString('hex'),
      tenant,
      ruleId: values.rule,
      match,
      until: new Date(until).toISOString(),
      reason: values.reason.trim(),
      createdAt: new Date(now).toISOString(),
    };
    if (!(await saveSuppression(store, s)))
      throw new UsageError('SUPPRESSION_EXISTS', `a suppression with id ${s.id} exists; run the command again`);
    io.stdout.write(
      `suppressed ${s.ruleId} ${
        Object.entries(match)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || '(all groups)'
      } for ${tenant} until ${s.until} (id ${s.id})\n`,
    );
    return 0;
  },
});
