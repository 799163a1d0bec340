import { UsageError } from '../../core/errors.ts';
import { systemClock } from '../../core/ports.ts';
import { tenantsWithResults } from '../../core/query/query.ts';
import { DEFAULT_CAS_BUDGET_MS } from '../../core/store/cas.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { copyDayLines } from '../../core/store/summary-months.ts';
import { defineCommand, STORE_OPTIONS, storeFrom } from '../command.ts';
import { S3_HELP } from '../s3-options.ts';

export const MONTHS_HELP = `Usage: mailflow months [--tenant T] [--data-dir D | --bucket B]

Copies each day's totals into its month's object, for days stored before mailflow kept months:
whole-day views and queries (the dashboard's 7 and 30 days, /v1/summary) then read one object a
month instead of one a day (on S3, a round trip each). Uploads keep the months up to date on their
own; a copy is used only while its day is unchanged, so this is safe to run at any time, and again.

  --tenant T         one tenant (default: every tenant with results)
  --data-dir D       the data folder (default .mailflow), or --bucket B for the deployed pipeline
${S3_HELP}`;

export const monthsCommand = defineCommand({
  name: 'months',
  help: MONTHS_HELP,
  options: { tenant: { type: 'string' }, ...STORE_OPTIONS },
  positionals: false,
  async run({ values, io }) {
    const store = await storeFrom(values);
    const tenants = values.tenant ? [normalizeTenant(values.tenant)] : await tenantsWithResults(store);
    if (tenants.length === 0) throw new UsageError('NO_RESULTS', 'no tenant has results yet: ingest some exports first');
    const cas = { clock: systemClock, budgetMs: DEFAULT_CAS_BUDGET_MS };
    let total = 0;
    for (const tenant of tenants) {
      const days = await copyDayLines(store, tenant, cas);
      total += days;
      io.stdout.write(`✓ ${tenant}: ${days.toLocaleString('en-US')} day(s) copied into their months\n`);
    }
    if (tenants.length > 1) io.stdout.write(`${total.toLocaleString('en-US')} day(s) of ${tenants.length} tenants\n`);
    return 0;
  },
});
