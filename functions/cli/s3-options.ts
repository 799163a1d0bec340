import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../core/ports.ts';

/** Options shared by the commands that talk to a bucket; credentials come from the usual AWS chain. */
export const S3_OPTIONS = {
  bucket: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  'path-style': { type: 'boolean' },
} as const;

export const S3_HELP = `  --bucket B         the stack's data bucket (output BucketName)
  --region R         AWS region (default: AWS_REGION or your profile's)
  --endpoint URL     another S3 endpoint (a local server); AWS_ENDPOINT_URL_S3 works too
  --path-style       path-style addressing, for local S3 servers
`;

/**
 * The data bucket as the deployed functions see it: the same MAILFLOW_S3_UNQUOTED_IF_MATCH (a local
 * S3 server's If-Match quirk) and MAILFLOW_S3_MAX_ATTEMPTS they read.
 */
export async function bucketStore(values: S3Values & { bucket: string }): Promise<{ store: ObjectStore; client: S3Client }> {
  const [{ createS3Store }, { parseRuntimeConfig }] = await Promise.all([
    import('../adapters/s3-store.ts'),
    import('../adapters/runtime-config.ts'),
  ]);
  const config = parseRuntimeConfig(process.env);
  const client = await s3ClientFrom(values, config.s3MaxAttempts);
  return { client, store: createS3Store(client, { bucket: values.bucket, unquotedIfMatch: config.unquotedIfMatch }) };
}

export interface S3Values {
  region?: string;
  endpoint?: string;
  'path-style'?: boolean;
}

/** Loaded on demand: commands that never touch a bucket (ingest, inspect, explain …) do not pay for the AWS SDK. */
export async function s3ClientFrom(values: S3Values, maxAttempts?: number): Promise<S3Client> {
  const { createS3Client } = await import('../adapters/s3-client.ts');
  return createS3Client({
    ...(values.region ? { region: values.region } : {}),
    ...(values.endpoint
      ? { endpoint: values.endpoint }
      : process.env.AWS_ENDPOINT_URL_S3
        ? { endpoint: process.env.AWS_ENDPOINT_URL_S3 }
        : {}),
    ...(values['path-style'] ? { forcePathStyle: true } : {}),
    ...(maxAttempts ? { maxAttempts } : {}),
  });
}
