import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { LinkSigner } from '../core/ports.ts';

/**
 * Presigned GETs for pages under reports/: opened in a browser, so S3 is told to answer with an
 * HTML content type. A link signed with a role's temporary credentials stops working when those
 * credentials expire, even if its own expiry is later (README, "Dashboard").
 */
export function createS3LinkSigner(client: S3Client, bucket: string): LinkSigner {
  return {
    link: (key, expiresIn) =>
      getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentType: 'text/html; charset=utf-8' }), { expiresIn }),
  };
}
