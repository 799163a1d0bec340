import { HeadObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { stat } from 'node:fs/promises';
import { UsageError } from '../../core/errors.ts';
import { forgetSources } from '../../core/flows/forget-sources.ts';
import { silentLogger, systemClock } from '../../core/ports.ts';
import { DEFAULT_CAS_BUDGET_MS } from '../../core/store/cas.ts';
import { normalizeTenant, receiptPrefix, sourceIdOf } from '../../core/store/layout.ts';
import { RECEIPT, type Receipt } from '../../core/store/receipts.ts';
import { readAll } from '../../core/store/records.ts';
import { hasEarlierLayout } from '../../core/query/query.ts';
import { defineCommand, requireDataDir } from '../command.ts';
import { ingestTarget, TARGET_HELP, TARGET_OPTIONS, type IngestTarget } from '../ingest-target.ts';
import { describe, fileSourceId, ingestFile } from '../local-ingest.ts';

export const REPROCESS_HELP = `Usage: mailflow reprocess (--tenant T | --all) [--data-dir D | --bucket B [--upload-bucket U]] [--dry-run]

Reads every source of a tenant (or of all tenants) again, after an upgrade of mailflow that reads
exports better: each source is forgotten and ingested again with the date options it was read
with, when its bytes are still where they were ingested from:
- a file ingested from this machine (mailflow ingest, also with --bucket): at the same path, with
  the same bytes;
- an upload the deployed pipeline ingested (with --bucket and --upload-bucket U, the stack output
  UploadBucketName): at the same key of U with the same ETag, read as the ingest function reads it.
Sources that moved or changed are listed and left as they are; forgotten sources stay forgotten.

  --tenant T          one tenant; --all for every tenant
  --dry-run           list what would be read again, and what cannot be
  --upload-bucket U   with --bucket: the upload bucket, for what the pipeline ingested
${TARGET_HELP}
Exit code 1 when a source read again is rejected or read only in part.
`;

export const reprocessCommand = defineCommand({
  name: 'reprocess',
  help: REPROCESS_HELP,
  options: {
    tenant: { type: 'string' },
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'upload-bucket': { type: 'string' },
    ...TARGET_OPTIONS,
  },
  async run({ values, io }) {
    if (!values.all === !values.tenant) throw new UsageError('MISSING_ARGUMENT', 'reprocess needs --tenant T or --all (not both)');
    if (values['upload-bucket'] && !values.bucket)
      throw new UsageError('BAD_ARGUMENTS', '--upload-bucket goes with --bucket (the data bucket the pipeline writes)');
    const target = await ingestTarget(values, io, { alerts: !values['dry-run'] });
    if (target.dataDir !== undefined) await requireDataDir(target.dataDir, values['data-dir'] !== undefined);
    const uploads = values['upload-bucket'] && target.s3 ? { bucket: values['upload-bucket'], client: target.s3 } : null;
    const receipts = await readAll(target.store, receiptPrefix(values.tenant ? normalizeTenant(values.tenant) : undefined), RECEIPT);
    const budgetMs = target.config.casBudgetMs ?? DEFAULT_CAS_BUDGET_MS;
    let again = 0;
    let left = 0;
    let failed = 0;
    for (const r of receipts.sort((a, b) => (a.ingestedAt < b.ingestedAt ? -1 : 1))) {
      const source = await whereToReadAgain(r, target, uploads);
      if (typeof source === 'string') {
        left++;
        io.stdout.write(`- ${r.file ?? r.key} (${r.tenant}): ${source}\n`);
        continue;
      }
      again++;
      if (values['dry-run']) {
        io.stdout.write(`↺ ${r.file ?? r.key} (${r.tenant}): would be read again\n`);
        continue;
      }
      if (r.status !== 'forgotten') await forgetSources(target.store, r.tenant, [r.sourceId], { clock: systemClock, budgetMs });
      const read = r.dates ? { dates: r.dates } : {};
      const next = source.file
        ? await ingestFile(source.file, { ...target, tenant: r.tenant, read })
        : await readUploadAgain(r, source.upload!, target);
      if (next.status === 'rejected' || next.status === 'partial') failed++;
      io.stdout.write(`↺ ${describe(next)}\n`);
    }
    io.stdout.write(
      `${again} source(s) ${values['dry-run'] ? 'would be ' : ''}read again, ${left} left as they are${failed ? `, ${failed} rejected or partial` : ''}\n`,
    );
    if (!values['dry-run'] && (await hasEarlierLayout(target.store))) io.stdout.write(earlierLayoutNote(values.bucket, target.dataDir));
    return failed ? 1 : 0;
  },
});

/**
 * After the upgrade to day objects: the earlier layout's files are no longer read, but SQL engines
 * would still read its companions (`<tenant>.<HH>.jsonl`) next to the new ones. Deleting is the
 * admin's call (no function may delete), so this says how.
 */
function earlierLayoutNote(bucket: string | undefined, dataDir: string | undefined): string {
  const how = bucket
    ? [
        `aws s3 rm s3://${bucket}/results/hourly/ --recursive`,
        `aws s3 rm s3://${bucket}/results/rollups/ --recursive --exclude '*' --include '*/hour=*.json'`,
        `aws s3 rm s3://${bucket}/results/sql/ --recursive --exclude '*' --include '*.[0-9][0-9].jsonl'`,
      ]
    : [
        `rm -rf ${dataDir}/results/hourly`,
        `find ${dataDir}/results/rollups -name 'hour=*.json' -delete`,
        `find ${dataDir}/results/sql -name '*.[0-9][0-9].jsonl' -delete`,
      ];
  return `Results of the earlier layout (one object per hour) are still here and no longer read; SQL engines would count its companions twice. Once every source above was read again, delete them:\n${how.map((c) => `  ${c}\n`).join('')}`;
}

interface Uploads {
  bucket: string;
  client: S3Client;
}

type ReadAgain = { file: string; upload?: never } | { file?: never; upload: Uploads & { size: number } };

/** Where a receipt's source can be read again, or why it cannot. */
async function whereToReadAgain(r: Receipt, target: IngestTarget, uploads: Uploads | null): Promise<ReadAgain | string> {
  if (r.status === 'forgotten') return 'forgotten: left out (ingest it again to count it)';
  if (r.status === 'empty') return 'empty: nothing to read';
  if (!r.file) {
    if (!target.s3) return 'no local path in its receipt (it came through the bucket)';
    if (!uploads) return 'uploaded to the pipeline: give --upload-bucket (stack output UploadBucketName) to read it again';
    const head = await headUpload(uploads, r.key);
    if (!head) return `no longer at s3://${uploads.bucket}/${r.key}`;
    if (head.etag !== r.etag || sourceIdOf(uploads.bucket, r.key, head.etag) !== r.sourceId)
      return `changed since it was ingested (other bytes at s3://${uploads.bucket}/${r.key}, or it came from another bucket)`;
    return { upload: { ...uploads, size: head.size } };
  }
  const isFile = await stat(r.file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) return `no longer at ${r.file}`;
  if ((await fileSourceId(r.file, target.origin, r.tenant)) !== r.sourceId)
    return `changed since it was ingested (other bytes or another name at ${r.file}, or ingested into another data folder or bucket)`;
  return { file: r.file };
}

async function headUpload(uploads: Uploads, key: string): Promise<{ etag: string; size: number } | null> {
  const { normalizeEtag } = await import('../../adapters/s3-event.ts');
  try {
    const h = await uploads.client.send(new HeadObjectCommand({ Bucket: uploads.bucket, Key: key }));
    return { etag: normalizeEtag(h.ETag ?? ''), size: h.ContentLength ?? 0 };
  } catch (err) {
    if (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NotFound')) return null;
    throw err;
  }
}

/** An upload read again through the ingest function's own read path (size gate, idle timeout). */
async function readUploadAgain(r: Receipt, upload: Uploads & { size: number }, target: IngestTarget): Promise<Receipt> {
  const [{ ingestS3Object }, { parseRuntimeConfig }] = await Promise.all([
    import('../../adapters/ingest-s3-object.ts'),
    import('../../adapters/runtime-config.ts'),
  ]);
  const object = { bucket: upload.bucket, key: r.key, etag: r.etag, size: upload.size, versionId: null, sequencer: null };
  const ports = { store: target.store, clock: systemClock, logger: silentLogger };
  return ingestS3Object(
    upload.client,
    object,
    ports,
    parseRuntimeConfig(process.env),
    target.alerts,
    r.dates ? { dates: r.dates } : undefined,
  );
}
