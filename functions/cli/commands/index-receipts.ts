import { UsageError } from '../../core/errors.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { indexStoredReceipts, tenantsWithReceipts } from '../../core/store/receipts.ts';
import { defineCommand, STORE_OPTIONS, storeFrom } from '../command.ts';
import { S3_HELP } from '../s3-options.ts';

export const INDEX_RECEIPTS_HELP = `Usage: mailflow index-receipts [--tenant T] [--data-dir D | --bucket B]

Adds receipts stored before mailflow kept a receipt index to it: /v1/sources and the dashboard's
recent uploads then read a tenant's newest receipts without listing all of them (an automatic
collector writes 96 a day per tenant). Uploads index their own receipts; until this has run, a
tenant whose index is empty is listed whole as before, and a tenant with both shows only the
receipts written since. Safe to run at any time, and again.

  --tenant T         one tenant (default: every tenant with receipts)
  --data-dir D       the data folder (default .mailflow), or --bucket B for the deployed pipeline
${S3_HELP}`;

export const indexReceiptsCommand = defineCommand({
  name: 'index-receipts',
  help: INDEX_RECEIPTS_HELP,
  options: { tenant: { type: 'string' }, ...STORE_OPTIONS },
  positionals: false,
  async run({ values, io }) {
    const store = await storeFrom(values);
    const tenants = values.tenant ? [normalizeTenant(values.tenant)] : await tenantsWithReceipts(store);
    if (tenants.length === 0) throw new UsageError('NO_RECEIPTS', 'no tenant has receipts yet: ingest some exports first');
    for (const tenant of tenants) {
      const { receipts, indexed } = await indexStoredReceipts(store, tenant);
      io.stdout.write(
        `✓ ${tenant}: ${indexed.toLocaleString('en-US')} of ${receipts.toLocaleString('en-US')} receipt(s) added to the index\n`,
      );
    }
    return 0;
  },
});
