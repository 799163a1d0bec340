import { UsageError } from '../../core/errors.ts';
import { purgeTenant, type PurgeTargets } from '../../core/flows/purge-tenant.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { DEFAULT_DATA_DIR, defineCommand, requireDataDir } from '../command.ts';
import { S3_OPTIONS, s3ClientFrom } from '../s3-options.ts';
import { outboxPath, purgeOutbox } from '../../adapters/outbox-notifier.ts';

export const PURGE_HELP = `Usage: mailflow purge --tenant T [--yes] [--data-dir D | --bucket B --upload-bucket U --report-bucket R]

Erases everything of one tenant, for good: its uploads (on the upload bucket, every version), hourly
results, SQL companions, receipts, deferral state, incidents, suppressions, claims, failure records
and reports. Other tenants are not touched. Without --yes it only counts what would go.

  --tenant T          the tenant (required: there is no default for erasing)
  --yes               erase; without it, a dry run that lists the objects per prefix
  --data-dir D        the data folder (default .mailflow)
  --bucket B          the stack's data bucket (output BucketName), with
  --upload-bucket U   its upload bucket (output UploadBucketName) and
  --report-bucket R   its report bucket (output ReportBucketName)
  --region R, --endpoint URL, --path-style   as for the other --bucket commands

On a bucket this needs s3:ListBucketVersions, s3:DeleteObject and s3:DeleteObjectVersion on the three
buckets (the stack's TenantPurgePolicy): an admin's rights; the functions have no delete rights.
Stop uploads for the tenant first: a file ingested while the purge runs is caught by a second pass,
and whatever is still there after three passes is reported (exit 1).
`;

export const purgeCommand = defineCommand({
  name: 'purge',
  help: PURGE_HELP,
  options: {
    tenant: { type: 'string' },
    yes: { type: 'boolean' },
    'data-dir': { type: 'string' },
    'upload-bucket': { type: 'string' },
    'report-bucket': { type: 'string' },
    ...S3_OPTIONS,
  },
  async run({ values, io }) {
    if (!values.tenant) throw new UsageError('MISSING_ARGUMENT', 'purge needs --tenant T: there is no default tenant for erasing');
    const tenant = normalizeTenant(values.tenant);
    const targets = await targetsFrom(values);
    const dryRun = !values.yes;
    const r = await purgeTenant(tenant, targets.erasers, { dryRun });
    // The data folder's outbox holds the tenant's alerts and digests as sent: they go too.
    const outbox = targets.dataDir ? await purgeOutbox(outboxPath(targets.dataDir), tenant, dryRun) : 0;
    if (outbox > 0) io.stdout.write(`  ${outbox.toLocaleString('en-US').padStart(9)}  lines    outbox.jsonl (alerts and digests sent)\n`);
    for (const p of r.byPrefix)
      if (p.objects > 0) io.stdout.write(`  ${p.objects.toLocaleString('en-US').padStart(9)}  ${p.bucket.padEnd(7)}  ${p.prefix}\n`);
    const n = r.total.toLocaleString('en-US');
    if (dryRun) {
      io.stdout.write(
        r.total === 0
          ? `nothing of tenant "${tenant}" to erase\n`
          : `${n} objects of tenant "${tenant}" would be erased; run again with --yes to erase them\n`,
      );
      return 0;
    }
    if (r.remaining > 0) {
      io.stderr.write(
        `erased ${n} objects of tenant "${tenant}", but ${r.remaining} are still there (written while the purge ran): stop uploads for the tenant and run again\n`,
      );
      return 1;
    }
    io.stdout.write(`erased ${n} objects of tenant "${tenant}"; nothing of it is left\n`);
    return 0;
  },
});

async function targetsFrom(values: {
  'data-dir'?: string;
  bucket?: string;
  'upload-bucket'?: string;
  'report-bucket'?: string;
  region?: string;
  endpoint?: string;
  'path-style'?: boolean;
}): Promise<{ erasers: PurgeTargets; dataDir?: string }> {
  const buckets = [values.bucket, values['upload-bucket'], values['report-bucket']];
  if (buckets.some(Boolean)) {
    if (values['data-dir']) throw new UsageError('BAD_ARGUMENTS', 'give --data-dir (the local data folder) or the buckets, not both');
    if (!buckets.every(Boolean))
      throw new UsageError(
        'MISSING_ARGUMENT',
        'purge on the deployed pipeline needs all three buckets: --bucket (BucketName), --upload-bucket (UploadBucketName) and --report-bucket (ReportBucketName), so nothing of the tenant is left behind',
      );
    const { createS3Eraser } = await import('../../adapters/s3-store.ts');
    const client = await s3ClientFrom(values);
    return {
      erasers: {
        data: createS3Eraser(client, values.bucket!),
        uploads: createS3Eraser(client, values['upload-bucket']!),
        reports: createS3Eraser(client, values['report-bucket']!),
      },
    };
  }
  const root = values['data-dir'] ?? DEFAULT_DATA_DIR;
  await requireDataDir(root, values['data-dir'] !== undefined);
  const { createFsEraser } = await import('../../adapters/fs-store.ts');
  const eraser = createFsEraser(root);
  return { erasers: { data: eraser, uploads: eraser, reports: eraser }, dataDir: root };
}
