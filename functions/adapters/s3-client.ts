import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientConfig {
  region?: string;
  /** A local S3 server (Ceph RGW in the tests); AWS when unset. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** SDK attempts per call (default 3, the SDK's standard mode). */
  maxAttempts?: number;
  /** Explicit keys (local servers); otherwise the SDK's default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * One place that builds S3 clients. Against a custom endpoint, checksums are sent only when an
 * operation requires them: the SDK's default streams bodies as aws-chunked with a CRC32 trailer,
 * which Ceph RGW 16 answers with 411 Length Required.
 */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    region: config.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(config.endpoint
      ? { endpoint: config.endpoint, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    ...(config.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
}
