import { defineCommand } from '../command.ts';
import { HeadObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { expandInputs, md5Etag, taggedKey, uploadKeys } from '../../adapters/local-files.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { UsageError } from '../../core/errors.ts';

import { S3_HELP, S3_OPTIONS, s3ClientFrom } from '../s3-options.ts';

export const UPLOAD_HELP = `Usage: mailflow upload <files | folders | globs…> --bucket B [--tenant T] [options]

Uploads exports to s3://B/incoming/<tenant>/<path>, where the deployed pipeline ingests them
within seconds. B is the stack output UploadBucketName. <path> keeps what tells the files apart:
their path below the folder they have in common (EX01/MSGTRK….LOG and EX02/MSGTRK….LOG stay two
files; a folder given keeps its name). Nothing is overwritten: the same bytes already at a key are not sent again (the pipeline
has them), and different bytes under a taken name go to <name>~<content hash><ext>.
Query the results with: mailflow query --bucket <BucketName>

Options:
  --tenant T         whose mail this is (default "default"; a-z, 0-9, -)
${S3_HELP}`;

export const uploadCommand = defineCommand({
  name: 'upload',
  help: UPLOAD_HELP,
  options: { ...S3_OPTIONS, tenant: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    if (!values.bucket) throw new UsageError('MISSING_ARGUMENT', 'upload needs --bucket (the stack output UploadBucketName)');
    if (positionals.length === 0) throw new UsageError('MISSING_ARGUMENT', 'upload needs files, folders or globs');
    const tenant = normalizeTenant(values.tenant);
    const { files, missing } = await expandInputs(positionals);
    for (const m of missing) io.stderr.write(`${m}: no such file, folder or match\n`);
    const client = await s3ClientFrom(values);
    const folders = [];
    for (const p of positionals) if ((await stat(p).catch(() => null))?.isDirectory()) folders.push(p);
    const keys = uploadKeys(files, tenant, folders);
    let failed = missing.length;
    for (const file of files) {
      try {
        const { size } = await stat(file);
        const etag = await md5Etag(file);
        const r = await putOnce(client, values.bucket, keys.get(file)!, file, size, etag);
        const where = `s3://${values.bucket}/${r.key}`;
        io.stdout.write(
          r.sent
            ? `↑ ${file} → ${where} (${size.toLocaleString('en-US')} bytes)\n`
            : `= ${file}: already at ${where} (the same bytes; not sent again)\n`,
        );
      } catch (err) {
        failed++;
        io.stderr.write(`${file}: upload failed: ${(err as Error).name}: ${(err as Error).message}\n`);
      }
    }
    return failed ? 1 : 0;
  },
});

/**
 * Puts the file at `key` unless something is there already: the same bytes (its ETag is the
 * file's MD5) are left alone, other bytes make the key `name~<hash>`. The put itself is
 * `If-None-Match: *`, so a concurrent upload of the same name is not overwritten either.
 */
async function putOnce(
  client: S3Client,
  bucket: string,
  key: string,
  file: string,
  size: number,
  etag: string,
): Promise<{ key: string; sent: boolean }> {
  for (const candidate of [key, taggedKey(key, etag.replace(/"/g, '').slice(0, 12))]) {
    const existing = await headEtag(client, bucket, candidate);
    if (existing === etag) return { key: candidate, sent: false };
    if (existing !== null) continue;
    try {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: candidate, Body: createReadStream(file), ContentLength: size, IfNoneMatch: '*' }),
      );
      return { key: candidate, sent: true };
    } catch (err) {
      if (!(err instanceof S3ServiceException && err.$metadata.httpStatusCode === 412)) throw err;
      if ((await headEtag(client, bucket, candidate)) === etag) return { key: candidate, sent: false };
    }
  }
  throw new Error(`${key} and its content-hash variant both hold other bytes; rename the file`);
}

/** The ETag at `key`, or null when there is nothing (or the caller may not tell: the put decides then). */
async function headEtag(client: S3Client, bucket: string, key: string): Promise<string | null> {
  try {
    return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? null;
  } catch (err) {
    if (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.$metadata.httpStatusCode === 403)) return null;
    throw err;
  }
}
