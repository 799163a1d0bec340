import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../functions/core/config.ts';
import { readStackConfig, type StackConfig } from './config.ts';
import { PipelineFunction } from './constructs/pipeline-function.ts';
import { ATHENA_RESULTS_PREFIX, SqlCatalog } from './constructs/sql-catalog.ts';

/**
 * The deployed pipeline: uploads to `incoming/<tenant>/…` trigger the ingest function, which
 * writes `results/` (and later `state/`); a schedule re-drives uploads that never got a receipt;
 * failures land in a queue that raises an alarm on the alert topic.
 */
export class MailflowStack extends Stack {
  readonly bucket: Bucket;
  readonly topic: Topic;
  readonly config: StackConfig;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const config = (this.config = readStackConfig(this.node));

    const accessLogs = new Bucket(this, 'AccessLogBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(config.resultsRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This is the access-log bucket itself; logging it into itself would loop.' });

    this.bucket = new Bucket(this, 'DataBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        // Raw exports hold personal data (addresses, subjects): keep them only as long as needed.
        { id: 'incoming', prefix: 'incoming/', expiration: Duration.days(config.incomingRetentionDays) },
        { id: 'results', prefix: 'results/', expiration: Duration.days(config.resultsRetentionDays) },
        { id: 'reports', prefix: 'reports/', expiration: Duration.days(config.resultsRetentionDays) },
        { id: 'athena-results', prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(30) },
        { id: 'publish-slots', prefix: 'state/publish-slots/', expiration: Duration.days(1) },
        { id: 'noncurrent', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    // Failed async invocations (after Lambda's retries), and alerts SNS could not deliver, keep
    // their event here; any message raises the alarm.
    const failures = new Queue(this, 'IngestFailures', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(failures).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is the on-failure destination of the functions; it is the dead-letter store itself.' });
    Validations.of(failures).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself the dead-letter store for failed invocations; redriving it further would lose them.' });

    const topicKey = new Key(this, 'TopicKey', { enableKeyRotation: true, description: 'mailflow alert topic' });
    this.topic = new Topic(this, 'AlertTopic', { masterKey: topicKey, enforceSSL: true, displayName: 'mailflow alerts' });
    for (const email of config.alertEmails) this.topic.addSubscription(new EmailSubscription(email, { deadLetterQueue: failures }));

    const environment = {
      [ENV.MAX_OBJECT_BYTES]: String(config.maxObjectBytes),
      [ENV.RECONCILE_MIN_AGE_MINUTES]: String(config.reconcileEveryMinutes),
      [ENV.BUCKET]: this.bucket.bucketName,
    };
    const alerting = { ...environment, [ENV.TOPIC_ARN]: this.topic.topicArn, [ENV.RULES]: config.rulesJson };

    const ingest = new PipelineFunction(this, 'Ingest', {
      entry: 'functions/ingest/handler.ts',
      description: 'mailflow: ingest one uploaded export (S3 ObjectCreated under incoming/)',
      memorySize: config.ingestMemoryMb,
      timeout: Duration.seconds(config.ingestTimeoutSeconds),
      logRetentionDays: config.logRetentionDays,
      environment: alerting,
      ...(config.ingestReservedConcurrency ? { reservedConcurrentExecutions: config.ingestReservedConcurrency } : {}),
    });
    this.grantPipelineAccess(ingest, ['incoming/', 'results/', 'state/']);
    this.grantPublish(ingest, topicKey);

    ingest.fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(failures) });
    new Alarm(this, 'IngestFailuresAlarm', {
      alarmDescription: 'An upload could not be ingested after Lambda retries: see the IngestFailures queue and the ingest logs.',
      metric: failures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.topic));

    // Only uploads under incoming/ trigger ingestion: writes to results/ and state/ never do (R11).
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(ingest.fn), { prefix: 'incoming/' });
    const notificationsHelper = this.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHelper) {
      Validations.of(notificationsHelper).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK-generated helper that configures the bucket notification at deploy time; its role cannot be replaced.',
      });
    }

    const reconcile = new PipelineFunction(this, 'Reconcile', {
      entry: 'functions/reconcile/handler.ts',
      description: 'mailflow: ingest uploads that never got a receipt (dropped events)',
      memorySize: config.ingestMemoryMb,
      timeout: Duration.seconds(config.ingestTimeoutSeconds),
      logRetentionDays: config.logRetentionDays,
      environment,
    });
    this.grantPipelineAccess(reconcile, ['incoming/', 'results/', 'state/']);
    new Rule(this, 'ReconcileSchedule', {
      description: 'mailflow: re-drive uploads without a receipt',
      schedule: Schedule.rate(Duration.minutes(config.reconcileEveryMinutes)),
      targets: [new LambdaFunction(reconcile.fn, { retryAttempts: 2, deadLetterQueue: failures })],
    });
    reconcile.fn.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.minutes(config.reconcileEveryMinutes), onFailure: new SqsDestination(failures) });
    const digest = new PipelineFunction(this, 'Digest', {
      entry: 'functions/digest/handler.ts',
      description: 'mailflow: hourly re-evaluation of incidents, and the daily digests',
      memorySize: 512,
      timeout: Duration.minutes(5),
      logRetentionDays: config.logRetentionDays,
      environment: { ...alerting, [ENV.REPORT_LINK_HOURS]: String(config.reportLinkHours) },
    });
    this.grantPipelineAccess(digest, ['results/', 'state/', 'reports/']);
    this.grantPublish(digest, topicKey);
    digest.fn.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.hours(1), onFailure: new SqsDestination(failures) });
    new Rule(this, 'DigestSchedule', {
      description: 'mailflow: re-evaluate incidents so they resolve without uploads; send digests at each tenant\'s hour',
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(digest.fn, { retryAttempts: 2, deadLetterQueue: failures })],
    });

    // The HTTP API: a Function URL that only signed (SigV4) requests with IAM permission reach.
    const query = new PipelineFunction(this, 'Query', {
      entry: 'functions/query/handler.ts',
      description: 'mailflow: read-only HTTP API over results/ and state/',
      memorySize: 1024,
      timeout: Duration.seconds(30),
      logRetentionDays: config.logRetentionDays,
      environment,
    });
    this.grantReadOnly(query, ['results/', 'state/']);
    const queryUrl = query.fn.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    Validations.of(query.fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously through its Function URL: the caller gets the error; there is no async event to keep.',
    });

    for (const fn of [ingest, reconcile, digest]) {
      Validations.of(fn.fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: 'Failed async invocations go to the IngestFailures queue through an on-failure destination, which also keeps the invocation context; a DLQ would duplicate it.',
      });
    }
    for (const fn of [ingest, reconcile, digest, query]) {
      Validations.of(fn.fn).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason: 'Tracing is off on purpose: X-Ray would need a wildcard resource grant, and each upload is traced by its structured log lines and receipt.',
      });
    }

    const sql = new SqlCatalog(this, 'Sql', {
      bucket: this.bucket, databaseName: config.glueDatabase, firstDay: config.sqlFirstDay, bytesScannedCutoff: config.athenaScanLimitGb * 1024 ** 3,
    });

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'The data bucket' });
    new CfnOutput(this, 'UploadPrefix', { value: `s3://${this.bucket.bucketName}/incoming/`, description: 'Upload exports to incoming/<tenant>/' });
    new CfnOutput(this, 'AlertTopicArn', { value: this.topic.topicArn, description: 'Subscribe email, SQS or HTTPS endpoints here' });
    new CfnOutput(this, 'FailureQueueUrl', { value: failures.queueUrl, description: 'Uploads that failed after retries' });
    new CfnOutput(this, 'AthenaWorkGroup', { value: sql.workGroup.name, description: 'Run SQL here (database of the same name: tables hourly and sources)' });
    new CfnOutput(this, 'AthenaReaderPolicyArn', { value: sql.readerPolicy.managedPolicyArn, description: 'Attach to the people or roles that may run the SQL' });
    new CfnOutput(this, 'QueryUrl', { value: queryUrl.url, description: 'The HTTP API (AWS_IAM: sign requests with SigV4)' });
  }

  /** Publishing to the alert topic, whose messages the KMS key encrypts: that topic and key only. */
  private grantPublish(fn: PipelineFunction, key: Key): void {
    fn.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    fn.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }));
  }

  /** Get and list under the given prefixes, nothing else (the query function has only this). */
  private grantReadOnly(fn: PipelineFunction, prefixes: string[]): void {
    fn.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetObject'], resources: prefixes.map((p) => this.bucket.arnForObjects(`${p}*`)) }));
    fn.role.addToPolicy(new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
    }));
    for (const p of prefixes) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/${p}*]`,
        reason: `Object access is scoped to the ${p} prefix; object keys under it are not known in advance.`,
      });
    }
  }

  /**
   * Least privilege, written out: read uploads; read and write results and state (compare-and-swap
   * needs the read); list only under those prefixes; no delete, no write to incoming/.
   */
  private grantPipelineAccess(fn: PipelineFunction, prefixes: string[]): void {
    this.grantReadOnly(fn, prefixes);
    const writable = prefixes.filter((p) => p !== 'incoming/');
    if (writable.length) fn.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:PutObject'], resources: writable.map((p) => this.bucket.arnForObjects(`${p}*`)) }));
  }
}
