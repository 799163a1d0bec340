import { DEFAULT_DATA_DIR, STORE_OPTIONS, defineCommand, durationOption, localDrill, parseTime, storeFrom } from '../command.ts';
import { inOrderAhead } from '../../core/vocabulary/for-each-limit.ts';
import { readDeferralState } from '../../core/store/deferral-state.ts';
import { hourCeil } from '../../core/vocabulary/time.ts';
import { join } from 'node:path';
import { createOutboxNotifier } from '../../adapters/outbox-notifier.ts';
import { loadRulesConfig } from '../../adapters/rules-file.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { buildDigest } from '../../core/render/digest.ts';
import type { ObjectStore } from '../../core/ports.ts';
import { assertTenantsExist, summariesInRange, tenantsAhead, tenantsWithResults } from '../../core/query/query.ts';
import { resolveTenant } from '../../core/rules/config.ts';
import { parseLang } from '../args.ts';
import { S3_HELP } from '../s3-options.ts';
import { readIncidents } from '../../core/store/incidents.ts';
import { activeSuppressions } from '../../core/store/suppressions.ts';

export const DIGEST_HELP = `Usage: mailflow digest [--tenant T] [--since 24h] [--to T] [--lang en|it] [--json] [--send]

Renders the digest of each tenant (or one): the headline, what changed against the previous
period of the same length, top codes with meaning, owner and advice, top destinations and
connectors, a per-hour line, open incidents, and the query to drill down.

Options:
  --data-dir D       the data folder (default .mailflow); or --bucket B for the deployed pipeline
  --tenant T         one tenant (default: every tenant with results)
  --since D          period length: 24h (default), 7d, 12h …
  --to T             end of the period (default: the tenant's latest data, or now)
  --lang en|it       language (default: the tenant's, from mailflow.config.json or --config)
  --config FILE      the rules and tenant settings file
  --json             print the machine form (one object per tenant and line)
  --send             also append it to <data-dir>/outbox.jsonl, as the scheduled digest will
${S3_HELP}`;

export const digestCommand = defineCommand({
  name: 'digest',
  help: DIGEST_HELP,
  options: {
    tenant: { type: 'string' },
    since: { type: 'string' },
    to: { type: 'string' },
    lang: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
    send: { type: 'boolean' },
    ...STORE_OPTIONS,
  },
  positionals: false,
  async run({ values, io }) {
    const langFlag = parseLang(values.lang);
    const length = durationOption('since', values.since ?? '24h', 'a length like 24h or 7d');
    const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
    const store: ObjectStore = await storeFrom(values);
    const { config } = await loadRulesConfig(values.config);
    const tenants = values.tenant ? [normalizeTenant(values.tenant)] : await tenantsWithResults(store);
    if (values.tenant) await assertTenantsExist(store, tenants);
    if (tenants.length === 0) io.stderr.write('no results yet: ingest some exports first\n');
    const outbox = values.send ? createOutboxNotifier({ path: join(dataDir, 'outbox.jsonl') }) : null;
    // What each digest needs, read for the next tenants while one is printed (from a bucket each
    // read is a round trip); the digests come out in the tenants' order.
    const load = async (tenant: string) => {
      const clock = await readDeferralState(store, tenant);
      const latest = clock ? clock.asOf : Date.now();
      const to = values.to ? parseTime(values.to, Date.now(), 'to') : hourCeil(latest);
      const from = to - length;
      const [summaries, incidents, suppressions] = await Promise.all([
        summariesInRange(store, { from: from - length, to, tenants: [tenant] }),
        readIncidents(store, tenant),
        activeSuppressions(store, tenant, new Date()),
      ]);
      return { tenant, from, to, summaries, incidents, suppressions };
    };
    // Each tenant's period and the one before, by hour: a day's digests hold few summaries, so more tenants are read ahead.
    const ahead = tenantsAhead({ from: 0, to: 2 * length, by: ['hour'] });
    for await (const { tenant, from, to, summaries, incidents, suppressions } of inOrderAhead(tenants, ahead, load)) {
      const lang = langFlag ?? resolveTenant(config, tenant).settings.language;
      const digest = buildDigest({
        tenant,
        lang,
        from,
        to,
        summaries,
        incidents,
        suppressions,
        drill: localDrill({ dataDir, bucket: values.bucket }),
      });
      io.stdout.write(values.json ? `${JSON.stringify(digest.json)}\n` : `${digest.text}\n\n`);
      await outbox?.publish(digest);
    }
    return 0;
  },
});
