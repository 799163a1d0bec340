import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  KeyGroup,
  PriceClass,
  PublicKey,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * Links in digests that a person opens without AWS credentials, for as long as the digest says:
 * a CloudFront distribution in front of the report bucket's `reports/` (origin access control:
 * the bucket stays private), that serves only URLs signed with the private half of the given
 * public key (a trusted key group). The private key lives in a Secrets Manager secret that the
 * admin fills once after the first deploy; only the digest function may read it.
 */
export class ReportLinks extends Construct {
  readonly distribution: Distribution;
  readonly publicKey: PublicKey;
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: { bucket: IBucket; publicKeyPem: string }) {
    super(scope, id);
    this.publicKey = new PublicKey(this, 'PublicKey', {
      encodedKey: props.publicKeyPem,
      comment: 'mailflow: signs the dashboard links in digests',
    });
    const keyGroup = new KeyGroup(this, 'KeyGroup', { items: [this.publicKey], comment: 'mailflow digest links' });
    this.secret = new Secret(this, 'SigningKey', {
      description: 'mailflow: the PEM private key of the report link public key (put it here after the first deploy)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A CloudFront signing key cannot rotate by itself: a new key pair means a new public key in the key group; rotate both together.',
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'mailflow: dashboard snapshots, signed links only',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(props.bucket, { originPath: '/reports' }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // The snapshot is replaced every day under the same name: never serve yesterday's.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        trustedKeyGroups: [keyGroup],
      },
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'Digest readers are wherever the admins are; every request must carry a valid signature, which is the restriction.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason: 'Only signed GETs of static snapshots are served; a WAF would add cost and nothing a signature does not already refuse.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        'CloudFront standard logging needs ACLs on its bucket, which every bucket of the stack disables; the digest log names every link it signs.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason: "The default cloudfront.net certificate does not allow choosing the TLS policy; a custom domain would be the admin's own.",
    });
  }

  get baseUrl(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  grantSigning(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
  }
}
