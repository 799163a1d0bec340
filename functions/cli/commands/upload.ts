import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { expandInputs } from '../../adapters/local-files.ts';
import { normaliseTenant } from '../../core/aggregate/keys.ts';
import { UsageError } from '../../core/errors.ts';
import { parse, type Io } from '../args.ts';
import { S3_HELP, S3_OPTIONS, s3ClientFrom } from '../s3-options.ts';

export const UPLOAD_HELP = `Usage: mailflow upload <files | folders | globs…> --bucket B [--tenant T] [options]

Uploads exports to s3://B/incoming/<tenant>/<file name>, where the deployed pipeline ingests them
within seconds. Uploading the same bytes under the same name again is harmless: the receipt says
duplicate. Query the results with: mailflow query --bucket B

Options:
  --tenant T         whose mail this is (default "default"; a-z, 0-9, -)
${S3_HELP}`;

export async function uploadCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...S3_OPTIONS, tenant: { type: 'string' } });
  if (values.help) {
    io.stdout.write(UPLOAD_HELP);
    return 0;
  }
  if (!values.bucket) throw new UsageError('MISSING_ARGUMENT', 'upload needs --bucket (the stack output BucketName)');
  if (positionals.length === 0) throw new UsageError('MISSING_ARGUMENT', 'upload needs files, folders or globs');
  const tenant = normaliseTenant(values.tenant);
  const { files, missing } = await expandInputs(positionals);
  for (const m of missing) io.stderr.write(`${m}: no such file, folder or match\n`);
  const client = s3ClientFrom(values);
  let failed = missing.length;
  for (const file of files) {
    const key = `incoming/${tenant}/${basename(file)}`;
    try {
      const { size } = await stat(file);
      await client.send(new PutObjectCommand({ Bucket: values.bucket, Key: key, Body: createReadStream(file), ContentLength: size }));
      io.stdout.write(`↑ ${file} → s3://${values.bucket}/${key} (${size.toLocaleString('en-US')} bytes)\n`);
    } catch (err) {
      failed++;
      io.stderr.write(`${file}: upload failed: ${(err as Error).name}: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}
