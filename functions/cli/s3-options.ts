import { createS3Client } from '../adapters/s3-client.ts';

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

export function s3ClientFrom(values: { region?: string; endpoint?: string; 'path-style'?: boolean }) {
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
