import { createS3Client } from '../adapters/s3-client.ts';
import { createS3Store } from '../adapters/s3-store.ts';
import { ENV, parseRuntimeConfig } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { handleApiRequest, type ApiResponse } from './api.ts';

/** A Lambda Function URL event (payload 2.0), the parts the API reads. */
export interface FunctionUrlEvent {
  rawPath?: string;
  queryStringParameters?: Record<string, string | undefined>;
  requestContext?: { http?: { method?: string } };
}

/** The query function behind a Function URL with AWS_IAM auth: a thin shell around the API. */
export async function handler(event: FunctionUrlEvent, env: Record<string, string | undefined> = process.env): Promise<ApiResponse> {
  const config = parseRuntimeConfig(env);
  const bucket = env[ENV.BUCKET];
  if (!bucket) throw new UsageError('BAD_CONFIG', `${ENV.BUCKET} is not set`);
  const client = createS3Client({ forcePathStyle: config.forcePathStyle, maxAttempts: config.s3MaxAttempts, ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3 } : {}) });
  const store = createS3Store(client, { bucket, unquotedIfMatch: config.unquotedIfMatch });
  return handleApiRequest({ method: event.requestContext?.http?.method ?? 'GET', path: event.rawPath ?? '/', query: event.queryStringParameters ?? {} }, store);
}
