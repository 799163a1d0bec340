import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../../functions/adapters/runtime-config.ts';
import { collectStateKey, graphUploadPrefix } from '../../functions/core/store/layout.ts';
import { COLLECT_FILE } from '../../functions/collect/settings.ts';
import { collectSettingsJson, type CollectTenant } from '../config.ts';
import { grantPrefixes } from './bucket-grants.ts';
import { PipelineFunction } from './pipeline-function.ts';

export interface GraphCollectorProps {
  tenants: CollectTenant[];
  everyMinutes: number;
  graphUrl: string | null;
  authorityUrl: string | null;
  uploadBucket: Bucket;
  bucket: Bucket;
  /** Where a run that failed (some tenant could not be collected) keeps its event. */
  failures: Queue;
  logRetentionDays: number;
  alarmAction: IAlarmAction;
  environment: Record<string, string>;
}

/**
 * The Graph collector: a function that EventBridge Scheduler runs every N minutes over the tenants
 * configured with a certificate secret. It may read exactly those secrets, write exactly those
 * tenants' `incoming/<t>/graph/` (its pages, which the ingest function counts like any upload)
 * and their `state/collect/<t>.json`, and nothing else: no results, no other tenant's uploads.
 * A run ends before the next one starts (timeout below the interval), and is not retried: the
 * next run is the retry, and it goes on from the saved state.
 */
export function graphCollector(scope: Construct, id: string, props: GraphCollectorProps): PipelineFunction {
  const collect = new PipelineFunction(scope, id, {
    name: 'collect',
    entry: 'functions/collect/handler.ts',
    description: "mailflow: collect the tenants' message trace from Microsoft Graph",
    memorySize: 1024,
    timeout: Duration.minutes(Math.min(10, props.everyMinutes - 1)),
    logRetentionDays: props.logRetentionDays,
    environment: {
      ...props.environment,
      [ENV.UPLOAD_BUCKET]: props.uploadBucket.bucketName,
      [ENV.COLLECT_FILE]: COLLECT_FILE,
      ...(props.graphUrl ? { [ENV.GRAPH_URL]: props.graphUrl } : {}),
      ...(props.authorityUrl ? { [ENV.AUTHORITY_URL]: props.authorityUrl } : {}),
    },
    alarmAction: props.alarmAction,
    // In the bundle, not the environment: 4 KB of environment would hold about a dozen tenants.
    files: { [COLLECT_FILE]: collectSettingsJson(props.tenants) },
  });
  grantPrefixes(collect.role, props.uploadBucket, { write: props.tenants.map((t) => graphUploadPrefix(t.tenant)) });
  const state = props.tenants.map((t) => collectStateKey(t.tenant));
  // Listing only its own state keys: a first run's missing state answers 403, and the LIST tells it apart.
  grantPrefixes(collect.role, props.bucket, { read: state, write: state, list: state });
  collect.role.addToPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['secretsmanager:GetSecretValue'],
      resources: [...new Set(props.tenants.map((t) => t.certificateSecretArn))],
    }),
  );
  collect.fn.configureAsyncInvoke({
    retryAttempts: 0,
    maxEventAge: Duration.minutes(props.everyMinutes),
    onFailure: new SqsDestination(props.failures),
  });
  new Schedule(scope, `${id}Schedule`, {
    description: "mailflow: collect the tenants' message trace from Microsoft Graph",
    schedule: ScheduleExpression.rate(Duration.minutes(props.everyMinutes)),
    target: new LambdaInvoke(collect.fn, {
      input: ScheduleTargetInput.fromObject({}),
      retryAttempts: 0,
      maxEventAge: Duration.minutes(props.everyMinutes),
      deadLetterQueue: props.failures,
    }),
  });
  // The role CDK makes for the schedule's target; LambdaInvoke grants it the function and its versions.
  const schedulerRole = Stack.of(scope).node.children.find((c) => c.node.id.startsWith('SchedulerRoleForTarget'));
  if (schedulerRole)
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(collect.fn.node.defaultChild as never)}.Arn>:*]`,
      reason: "EventBridge Scheduler's role may invoke the collector function and its versions (Function.grantInvoke), nothing else.",
    });
  Validations.of(collect.fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason:
      'Failed async invocations go to the FunctionFailures queue through an on-failure destination, which also keeps the invocation context; a DLQ would duplicate it.',
  });
  return collect;
}
