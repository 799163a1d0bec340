import { PREFIX } from '../core/store/layout.ts';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { MailflowError } from '../core/errors.ts';
import type { LinkSigner, Logger } from '../core/ports.ts';

export interface CloudFrontLinkOptions {
  /** `https://<distribution>.cloudfront.net`: its origin path is the bucket's `reports/`. */
  baseUrl: string;
  /** The id of the CloudFront public key whose private half signs. */
  keyPairId: string;
  /** The private key (PEM), or where to read it: a Secrets Manager secret. */
  privateKey: string | (() => Promise<string>);
}

/**
 * Links to the pages under `reports/` that a person opens without AWS credentials: CloudFront
 * signed URLs (canned policy), valid exactly until the expiry they carry. A presigned S3 URL made
 * with a function's role credentials stops working when that role session ends, long before the
 * days a digest promises.
 */
export function createCloudFrontLinkSigner(options: CloudFrontLinkOptions): LinkSigner {
  let key: Promise<string> | undefined;
  const privateKey = () => {
    if (!key) {
      key = typeof options.privateKey === 'string' ? Promise.resolve(options.privateKey) : options.privateKey();
      key.catch(() => (key = undefined)); // not there yet: ask again next time
    }
    return key;
  };
  return {
    async link(objectKey, expiresAt) {
      if (!objectKey.startsWith(PREFIX.reports))
        throw new Error(`${objectKey}: only pages under ${PREFIX.reports} are served by the report distribution`);
      const path = objectKey.slice(PREFIX.reports.length).split('/').map(encodeURIComponent).join('/');
      return getSignedUrl({
        url: `${options.baseUrl.replace(/\/$/, '')}/${path}`,
        keyPairId: options.keyPairId,
        privateKey: await privateKey(),
        dateLessThan: expiresAt.toISOString(),
      });
    },
  };
}

/**
 * The signing key from Secrets Manager, read once per cold start. Until someone has stored the
 * private key there (the README's deploy step), digests go out without a link, and the log says why.
 */
export function secretPrivateKey(secretArn: string, logger: Logger, client = new SecretsManagerClient({})): () => Promise<string> {
  return async () => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString?.includes('PRIVATE KEY-----')) {
      logger.warn('the report signing secret holds no PEM private key: digests go out without a dashboard link', { secretArn });
      throw new ReportKeyMissingError(secretArn);
    }
    return SecretString;
  };
}

export class ReportKeyMissingError extends MailflowError {
  constructor(secretArn: string) {
    super(
      'REPORT_KEY_MISSING',
      `${secretArn} holds no PEM private key; store it with: aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string file://report-signing.pem`,
    );
  }
}
