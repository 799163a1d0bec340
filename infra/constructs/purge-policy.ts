import { Stack, Validations } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PREFIX } from '../../functions/core/store/layout.ts';

/**
 * What an admin needs to run `mailflow purge` against the stack: list every version, delete every
 * version, under the prefixes that hold tenants' objects, in the three buckets. A policy for people
 * to attach, not a function's: no function role may delete anything.
 */
export class TenantPurgePolicy extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: { uploads: IBucket; data: IBucket; reports: IBucket }) {
    super(scope, id);
    const areas: Array<[IBucket, string]> = [
      [props.uploads, PREFIX.incoming],
      [props.data, PREFIX.results],
      [props.data, PREFIX.state],
      [props.reports, PREFIX.reports],
    ];
    this.policy = new ManagedPolicy(this, 'Policy', {
      description:
        'mailflow: erase a tenant (mailflow purge): list and delete every object version of its uploads, results, state and reports',
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: areas.map(([b, p]) => b.arnForObjects(`${p}*`)),
        }),
        ...[props.uploads, props.data, props.reports].map(
          (b) =>
            new PolicyStatement({
              effect: Effect.ALLOW,
              actions: ['s3:ListBucket', 's3:ListBucketVersions'],
              resources: [b.bucketArn],
              conditions: { StringLike: { 's3:prefix': areas.filter(([x]) => x === b).map(([, p]) => `${p}*`) } },
            }),
        ),
      ],
    });
    const stack = Stack.of(this);
    for (const [b, p] of areas) {
      const bucketId = stack.getLogicalId(b.node.defaultChild as never);
      Validations.of(this.policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${p}*]`,
        reason: `Purge deletes a tenant's objects under ${p}; which keys is known only by listing.`,
      });
    }
  }
}
