import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { TenantPurgePolicy } from './constructs/purge-policy.ts';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { EventType, type Bucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination as S3ToSqs } from 'aws-cdk-lib/aws-s3-notifications';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../functions/adapters/runtime-config.ts';
import { AREA, PREFIX } from '../functions/core/store/layout.ts';
import { readStackConfig, type StackConfig } from './config.ts';
import { AlertTopic } from './constructs/alert-topic.ts';
import { grantPrefixes } from './constructs/bucket-grants.ts';
import { OperationsDashboard } from './constructs/operations-dashboard.ts';
import { PipelineFunction } from './constructs/pipeline-function.ts';
import { QueryApi } from './constructs/query-api.ts';
import { ReportLinks } from './constructs/report-links.ts';
import { graphCollector } from './constructs/graph-collector.ts';
import { secureBucket } from './constructs/secure-bucket.ts';
import { ATHENA_RESULTS_PREFIX, SqlCatalog } from './constructs/sql-catalog.ts';

/**
 * The deployed pipeline. Uploads land in the upload bucket under `incoming/<tenant>/…`; each
 * notification waits in a queue that the ingest function drains with bounded concurrency (a bulk
 * upload becomes a backlog, not hundreds of concurrent ingests), and an upload that keeps failing
 * moves to a dead-letter queue that raises an alarm. Results live in the data bucket. Schedules
 * re-drive uploads that never got a receipt and re-evaluate incidents; digests and alarms go to
 * the alert topic.
 *
 * Separate buckets because their data differ: uploads are immutable evidence (versioned, so an
 * event names exactly the bytes that triggered it, and read by version), results are derived and
 * rewritten by compare-and-swap on every upload (versioning them would keep every rewrite), and
 * reports are what people open through signed links (the only bucket CloudFront may read).
 */
export class MailflowStack extends Stack {
  readonly uploadBucket: Bucket;
  readonly bucket: Bucket;
  readonly reportBucket: Bucket;
  readonly alerts: AlertTopic;
  readonly config: StackConfig;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const config = (this.config = readStackConfig(this.node));

    const accessLogs = secureBucket(this, 'AccessLogBucket', {
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(config.resultsRetentionDays) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    this.uploadBucket = secureBucket(this, 'UploadBucket', {
      versioned: true,
      accessLogs,
      logPrefix: 'upload-bucket/',
      lifecycleRules: [
        // Raw exports hold personal data (addresses, subjects): kept only as long as configured,
        // and an overwritten or expired version one more day, not another retention period.
        {
          id: 'incoming',
          prefix: PREFIX.incoming,
          expiration: Duration.days(config.incomingRetentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        { id: 'delete-markers', expiredObjectDeleteMarker: true },
      ],
    });
    this.bucket = secureBucket(this, 'DataBucket', {
      versioned: false,
      accessLogs,
      logPrefix: 'data-bucket/',
      lifecycleRules: [
        { id: 'results', prefix: PREFIX.results, expiration: Duration.days(config.resultsRetentionDays) },
        { id: 'athena-results', prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(30) },
        { id: 'publish-slots', prefix: AREA.publishSlots, expiration: Duration.days(1) },
        { id: 'publish-budgets', prefix: AREA.publishBudgets, expiration: Duration.days(2) },
        { id: 'notification-claims', prefix: AREA.notificationClaims, expiration: Duration.days(30) },
        // Why an upload failed: as long as the upload itself is kept.
        { id: 'failures', prefix: AREA.failures, expiration: Duration.days(config.incomingRetentionDays) },
        { id: 'multipart', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    // What people open from a digest: dashboard snapshots and full digests, replaced daily.
    this.reportBucket = secureBucket(this, 'ReportBucket', {
      versioned: false,
      accessLogs,
      logPrefix: 'report-bucket/',
      lifecycleRules: [
        { id: 'reports', prefix: PREFIX.reports, expiration: Duration.days(config.resultsRetentionDays) },
        { id: 'multipart', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    const links = config.reportPublicKey
      ? new ReportLinks(this, 'ReportLinks', { bucket: this.reportBucket, publicKeyPem: config.reportPublicKey })
      : null;

    this.alerts = new AlertTopic(this, 'Alerts');
    const alerts = this.alerts;

    // Async failures of the scheduled functions, their EventBridge deliveries, and alerts SNS
    // could not deliver by email keep their event here.
    const failures = new Queue(this, 'FunctionFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the on-failure destination of the scheduled functions; it is the dead-letter store itself.',
    });
    Validations.of(failures).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is itself the dead-letter store for failed invocations; redriving it further would lose them.',
    });
    alerts.newMessagesAlarm(
      this,
      'FunctionFailuresAlarm',
      failures,
      'A scheduled function failed after its retries, or an alert email could not be delivered: see the FunctionFailures queue and the function logs.',
    );
    for (const email of config.alertEmails) alerts.topic.addSubscription(new EmailSubscription(email, { deadLetterQueue: failures }));

    // The burst buffer: every upload notification waits here until an ingest function is free.
    const deadLetters = new Queue(this, 'IngestDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the upload queue; mailflow failures redrive moves its messages back.',
    });
    Validations.of(deadLetters).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This is the dead-letter queue of the upload queue; its messages wait for a person (mailflow failures), not another queue.',
    });
    const uploads = new Queue(this, 'UploadQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // AWS's advice for a Lambda event source: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * config.ingestTimeoutSeconds),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: config.ingestMaxReceives },
    });
    // Only uploads under incoming/ are notified. The one function that writes there is the collector
    // (incoming/<t>/graph/, its pages): they are uploads like any other, for the ingest function.
    this.uploadBucket.addEventNotification(EventType.OBJECT_CREATED, new S3ToSqs(uploads), { prefix: PREFIX.incoming });
    const notificationsHelper = this.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHelper) {
      Validations.of(notificationsHelper).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK-generated helper that configures the bucket notification at deploy time; its role cannot be replaced.',
      });
    }
    alerts.newMessagesAlarm(
      this,
      'IngestDeadLettersAlarm',
      deadLetters,
      `An upload failed ${config.ingestMaxReceives} deliveries and moved to the IngestDeadLetters queue: run mailflow failures list, fix the cause, then mailflow failures redrive.`,
    );
    alerts.alarm(this, 'UploadBacklogAlarm', {
      description:
        'Uploads have waited more than an hour for an ingest function: the backlog is not draining (throttling, or a concurrency limit too low for the upload rate).',
      metric: uploads.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 3600,
    });
    alerts.alarm(this, 'NotificationsFailedAlarm', {
      description: 'SNS could not deliver alerts to a subscriber (a bounced address, an unconfirmed or unreachable endpoint).',
      metric: alerts.topic.metricNumberOfNotificationsFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
    });

    const environment = {
      [ENV.BUCKET]: this.bucket.bucketName,
      [ENV.MAX_OBJECT_BYTES]: String(config.maxObjectBytes),
    };
    const alerting = { ...environment, [ENV.TOPIC_ARN]: alerts.topic.topicArn, [ENV.RULES]: config.rulesJson };

    const ingest = new PipelineFunction(this, 'Ingest', {
      name: 'ingest',
      entry: 'functions/ingest/handler.ts',
      description: 'mailflow: ingest uploaded exports, from the upload queue',
      memorySize: config.ingestMemoryMb,
      timeout: Duration.seconds(config.ingestTimeoutSeconds),
      logRetentionDays: config.logRetentionDays,
      environment: alerting,
      alarmAction: alerts.action,
      ...(config.ingestReservedConcurrency ? { reservedConcurrentExecutions: config.ingestReservedConcurrency } : {}),
    });
    grantPrefixes(ingest.role, this.uploadBucket, { readVersions: [PREFIX.incoming] });
    grantPrefixes(ingest.role, this.bucket, {
      read: [PREFIX.results, PREFIX.state],
      write: [PREFIX.results, PREFIX.state],
      listAll: true,
    });
    alerts.grantPublish(ingest.role);
    ingest.fn.addEventSource(
      new SqsEventSource(uploads, {
        batchSize: config.ingestBatchSize,
        maxConcurrency: config.ingestMaxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    Validations.of(ingest.fn).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        "SQS event sources take no on-failure destination: the upload queue's redrive policy moves failing messages to IngestDeadLetters.",
    });
    Validations.of(ingest.fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: "Invoked by an SQS event source: failed messages move to the IngestDeadLetters queue by the upload queue's redrive policy.",
    });

    const reconcile = new PipelineFunction(this, 'Reconcile', {
      name: 'reconcile',
      entry: 'functions/reconcile/handler.ts',
      description: 'mailflow: ingest uploads that never got a receipt (dropped events)',
      memorySize: config.ingestMemoryMb,
      timeout: Duration.seconds(config.ingestTimeoutSeconds),
      logRetentionDays: config.logRetentionDays,
      environment: {
        ...alerting,
        [ENV.UPLOAD_BUCKET]: this.uploadBucket.bucketName,
        [ENV.RECONCILE_MIN_AGE_MINUTES]: String(config.reconcileEveryMinutes),
        [ENV.MAX_REDRIVES]: String(config.maxRedrives),
      },
      alarmAction: alerts.action,
    });
    grantPrefixes(reconcile.role, this.uploadBucket, { read: [PREFIX.incoming], list: [PREFIX.incoming] });
    grantPrefixes(reconcile.role, this.bucket, {
      read: [PREFIX.results, PREFIX.state],
      write: [PREFIX.results, PREFIX.state],
      listAll: true,
    });
    alerts.grantPublish(reconcile.role);
    new Rule(this, 'ReconcileSchedule', {
      description: 'mailflow: re-drive uploads without a receipt',
      schedule: Schedule.rate(Duration.minutes(config.reconcileEveryMinutes)),
      targets: [new LambdaFunction(reconcile.fn, { retryAttempts: 2, deadLetterQueue: failures })],
    });
    reconcile.fn.configureAsyncInvoke({
      retryAttempts: 1,
      maxEventAge: Duration.minutes(config.reconcileEveryMinutes),
      onFailure: new SqsDestination(failures),
    });

    const digest = new PipelineFunction(this, 'Digest', {
      name: 'digest',
      entry: 'functions/digest/handler.ts',
      description: 'mailflow: hourly re-evaluation of incidents, and the daily digests',
      memorySize: 512,
      timeout: Duration.minutes(5),
      logRetentionDays: config.logRetentionDays,
      environment: {
        ...alerting,
        [ENV.REPORT_BUCKET]: this.reportBucket.bucketName,
        [ENV.REPORT_LINK_HOURS]: String(config.reportLinkHours),
        ...(links
          ? {
              [ENV.REPORT_BASE_URL]: links.baseUrl,
              [ENV.REPORT_KEY_PAIR_ID]: links.publicKey.publicKeyId,
              [ENV.REPORT_KEY_SECRET_ARN]: links.secret.secretArn,
            }
          : {}),
      },
      alarmAction: alerts.action,
    });
    grantPrefixes(digest.role, this.bucket, {
      read: [PREFIX.results, PREFIX.state],
      write: [PREFIX.state],
      listAll: true,
    });
    grantPrefixes(digest.role, this.reportBucket, { read: [PREFIX.reports], write: [PREFIX.reports], list: [PREFIX.reports] });
    links?.grantSigning(digest.role);
    alerts.grantPublish(digest.role);
    digest.fn.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.hours(1), onFailure: new SqsDestination(failures) });
    new Rule(this, 'DigestSchedule', {
      description: "mailflow: re-evaluate incidents so they resolve without uploads; send digests at each tenant's hour",
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(digest.fn, { retryAttempts: 2, deadLetterQueue: failures })],
    });
    for (const fn of [reconcile, digest]) {
      Validations.of(fn.fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Failed async invocations go to the FunctionFailures queue through an on-failure destination, which also keeps the invocation context; a DLQ would duplicate it.',
      });
    }

    const collect = config.collect.length
      ? graphCollector(this, 'Collect', {
          tenants: config.collect,
          everyMinutes: config.collectEveryMinutes,
          graphUrl: config.graphUrl,
          authorityUrl: config.authorityUrl,
          uploadBucket: this.uploadBucket,
          bucket: this.bucket,
          failures,
          logRetentionDays: config.logRetentionDays,
          alarmAction: alerts.action,
          environment,
        })
      : null;

    const query = new PipelineFunction(this, 'Query', {
      name: 'query',
      entry: 'functions/query/handler.ts',
      description: 'mailflow: read-only HTTP API over results/ and state/',
      memorySize: 1024,
      timeout: Duration.seconds(30),
      logRetentionDays: config.logRetentionDays,
      environment,
      alarmAction: alerts.action,
    });
    grantPrefixes(query.role, this.bucket, { read: [PREFIX.results, PREFIX.state], listAll: true });
    Validations.of(query.fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously (Function URL or Invoke): the caller gets the error; there is no async event to keep.',
    });
    const api = config.queryApi ? new QueryApi(this, 'QueryApi', { fn: query.fn }) : null;

    const functions = [ingest, reconcile, digest, query, ...(collect ? [collect] : [])];
    for (const fn of functions) {
      Validations.of(fn.fn).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason:
          'Tracing is off on purpose: X-Ray would need a wildcard resource grant, and each upload is traced by its structured log lines, metrics and receipt.',
      });
    }

    const sql = new SqlCatalog(this, 'Sql', {
      bucket: this.bucket,
      databaseName: config.glueDatabase,
      firstDay: config.sqlFirstDay,
      bytesScannedCutoff: config.athenaScanLimitGb * 1024 ** 3,
    });
    new OperationsDashboard(this, 'Operations', {
      name: this.stackName,
      functions: functions.map((f) => ({ name: f.node.id, fn: f.fn })),
      uploads,
      deadLetters,
      failures,
      topic: alerts.topic,
    });

    const purge = new TenantPurgePolicy(this, 'TenantPurge', { uploads: this.uploadBucket, data: this.bucket, reports: this.reportBucket });
    new CfnOutput(this, 'TenantPurgePolicyArn', {
      value: purge.policy.managedPolicyArn,
      description: 'Attach to the admins who may erase a tenant (mailflow purge): list and delete every object version',
    });
    new CfnOutput(this, 'UploadBucketName', {
      value: this.uploadBucket.bucketName,
      description: 'Upload exports here, under incoming/<tenant>/ (mailflow upload --bucket)',
    });
    new CfnOutput(this, 'BucketName', {
      value: this.bucket.bucketName,
      description: 'The data bucket: results, state, reports (mailflow query/report/dashboard --bucket)',
    });
    new CfnOutput(this, 'ReportBucketName', {
      value: this.reportBucket.bucketName,
      description: 'Dashboard snapshots and full digests (reports/<tenant>/)',
    });
    if (links) {
      new CfnOutput(this, 'ReportLinkBaseUrl', { value: links.baseUrl, description: 'Where digest links point (signed URLs only)' });
      new CfnOutput(this, 'ReportKeyPairId', {
        value: links.publicKey.publicKeyId,
        description: 'The CloudFront public key the links are signed for',
      });
      new CfnOutput(this, 'ReportSigningSecretArn', {
        value: links.secret.secretArn,
        description:
          'Put the PEM private key of reportPublicKeyFile here once: aws secretsmanager put-secret-value --secret-id <this> --secret-string file://report-signing.pem',
      });
    }
    if (collect)
      new CfnOutput(this, 'CollectorFunctionName', {
        value: collect.fn.functionName,
        description: 'The Graph collector (every configured tenant, on its schedule); invoke with {"tenants":["<t>"]} to run some now',
      });
    new CfnOutput(this, 'AlertTopicArn', { value: alerts.topic.topicArn, description: 'Subscribe email, SQS or HTTPS endpoints here' });
    new CfnOutput(this, 'UploadQueueUrl', { value: uploads.queueUrl, description: 'Upload notifications waiting for an ingest function' });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: deadLetters.queueUrl,
      description: 'Uploads that failed every delivery: mailflow failures --queue-url <this>',
    });
    new CfnOutput(this, 'FailureQueueUrl', {
      value: failures.queueUrl,
      description: 'Failed runs of the scheduled functions, undeliverable alert emails',
    });
    new CfnOutput(this, 'AthenaWorkGroup', {
      value: sql.workGroup.name,
      description: 'Run SQL here (database of the same name: tables hourly and sources)',
    });
    new CfnOutput(this, 'AthenaReaderPolicyArn', {
      value: sql.readerPolicy.managedPolicyArn,
      description: 'Attach to the people or roles that may run the SQL',
    });
    if (api) {
      new CfnOutput(this, 'QueryUrl', { value: api.url.url, description: 'The HTTP API (AWS_IAM: sign requests with SigV4)' });
      new CfnOutput(this, 'QueryCallerPolicyArn', {
        value: api.callerPolicy.managedPolicyArn,
        description: 'Attach to the people or roles that may call the HTTP API',
      });
    }
  }
}
