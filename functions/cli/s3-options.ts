import type { S3Client } from '@aws-sdk/client-s3';

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

/** Loaded on demand: commands that never touch a bucket (ingest, inspect, explain …) do not pay for the AWS SDK. */
export async function s3ClientFrom(values: { region?: string; endpoint?: string; 'path-style'?: boolean }): Promise<S3Client> {
  const { createS3Client } = await import('../adapters/s3-client.ts');
  return createS3Client({
    ...(values.region ? { region: values.region } : {}),
    ...(values.endpoint
      ? { endpoint: values.endpoint }
      : process.env.AWS_ENDPOINT_URL_S3
        ? { endpoint: process.env.AWS_ENDPOINT_URL_S3 }
        : {}),
    ...(values['path-style'] ? { forcePathStyle: true } : {}),
  });
}
