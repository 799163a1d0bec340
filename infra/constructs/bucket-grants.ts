import { Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';

export interface PrefixAccess {
  /** GetObject under these prefixes (compare-and-swap reads too). */
  read?: string[];
  /** GetObject of a given version (S3 events of a versioned bucket name one): GetObjectVersion too. */
  readVersions?: string[];
  /** PutObject under these prefixes: create-if-absent and compare-and-swap writes. */
  write?: string[];
  /** ListBucket, only with an s3:prefix condition for these prefixes. */
  list?: string[];
  /**
   * ListBucket on the whole bucket instead: S3 answers a GET of a missing key with 404 only to a
   * caller that may list the bucket, and a prefix-conditioned grant does not count (the GET has no
   * prefix), so every missing key cost a 403 and a LIST to confirm it. For the data bucket, whose
   * key names (tenants, hours) the functions may read anyway.
   */
  listAll?: boolean;
}

/**
 * Least privilege, written out: object actions on `bucket/<prefix>*` only, listing only with a
 * prefix condition, never a delete. Each prefix-scoped object ARN is acknowledged for cdk-nag
 * (AwsSolutions-IAM5): keys under a prefix are not known in advance.
 */
export function grantPrefixes(role: Role, bucket: Bucket, access: PrefixAccess): void {
  const objects = (prefixes: string[]) => prefixes.map((p) => bucket.arnForObjects(`${p}*`));
  const read = [...new Set([...(access.read ?? []), ...(access.readVersions ?? [])])];
  if (access.readVersions?.length)
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: objects(access.readVersions),
      }),
    );
  const plain = read.filter((p) => !access.readVersions?.includes(p));
  if (plain.length) role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetObject'], resources: objects(plain) }));
  if (access.write?.length)
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:PutObject'], resources: objects(access.write) }));
  if (access.listAll) {
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  } else if (access.list?.length) {
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': access.list.map((p) => `${p}*`) } },
      }),
    );
  }
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as never);
  for (const p of new Set([...read, ...(access.write ?? [])])) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${p}*]`,
      reason: `Object access is scoped to the ${p} prefix; object keys under it are not known in advance.`,
    });
  }
}
