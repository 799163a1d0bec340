import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MailflowError } from '../core/errors.ts';
import { certificateAndKey } from './graph-client.ts';

/**
 * A tenant's collector certificate from Secrets Manager: the secret's string is one PEM text with
 * the certificate and its private key (what `mailflow collect --certificate` reads from a file).
 * Read once per cold start and tenant; a secret that is missing, refused or not such a PEM fails
 * that tenant only, with what to do.
 */
export class CertificateSecretError extends MailflowError {}

export function certificateSecrets(client = new SecretsManagerClient({})) {
  const cache = new Map<string, Promise<{ certificatePem: string; privateKeyPem: string }>>();
  const read = async (tenant: string, secretArn: string) => {
    let text: string | undefined;
    try {
      text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    } catch (err) {
      const e = err as Error;
      throw new CertificateSecretError(
        'COLLECT_SECRET',
        `tenant ${tenant}: cannot read its certificate secret ${secretArn} (${e.name}: ${e.message}); the secret must exist in this account and region, and the collector's role is granted exactly the ARNs in tenants.<t>.collect.certificateSecretArn at deploy time`,
        { cause: err },
      );
    }
    const pair = text ? certificateAndKey(text) : null;
    if (!pair)
      throw new CertificateSecretError(
        'COLLECT_SECRET',
        `tenant ${tenant}: the secret ${secretArn} must hold the app's certificate and its private key, PEM, unencrypted: aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string file://collector.pem (cat cert.pem key.pem > collector.pem)`,
      );
    return pair;
  };
  return (tenant: string, secretArn: string) => {
    let p = cache.get(secretArn);
    if (!p) {
      p = read(tenant, secretArn);
      // A failed read is tried again next run (the admin may have fixed the secret meanwhile).
      p.catch(() => cache.delete(secretArn));
      cache.set(secretArn, p);
    }
    return p;
  };
}
