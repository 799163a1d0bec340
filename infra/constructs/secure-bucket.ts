import { RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket, type LifecycleRule } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * A bucket as every bucket of the stack is: no public access, TLS 1.2 or later only, encrypted,
 * ACLs off, kept when the stack is destroyed (it holds data), logging to the access-log bucket.
 */
export function secureBucket(
  scope: Construct,
  id: string,
  props: { versioned: boolean; lifecycleRules: LifecycleRule[]; accessLogs?: IBucket; logPrefix?: string },
): Bucket {
  return new Bucket(scope, id, {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: props.versioned,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: props.lifecycleRules,
    ...(props.accessLogs ? { serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: props.logPrefix } : {}),
  });
}
