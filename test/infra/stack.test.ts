import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { buildApp, cdkJsonContext } from '../../infra/app.ts';
import { REGIONS_WITHOUT_FUNCTION_URLS } from '../../infra/constructs/query-api.ts';
import { NAMED_QUERIES } from '../../infra/named-queries.ts';
import { collectSettingsJson } from '../../infra/config.ts';
import { HOURLY_COLUMNS } from '../../functions/core/aggregate/sql-layout.ts';

// cdk.json's context (the feature flags) as `cdk synth` passes it; bundling skipped for the
// template assertions (esbuild runs in `cdk synth` and in the nag gate below).
const context = (extra: Record<string, unknown> = {}) => ({ ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...extra });
const synth = (extra: Record<string, unknown> = {}) => Template.fromStack(buildApp(new App({ context: context(extra) })).stack);
const template = synth({ alertEmails: 'ops@example.com' });
const resources = (type: string, t = template) =>
  Object.entries(t.findResources(type)) as Array<[string, { Properties: Record<string, any> }]>;
const one = (type: string, id: RegExp, t = template) => resources(type, t).find(([k]) => id.test(k))![1].Properties;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, any>; Principal?: unknown };
const actions = (s: Statement) => [s.Action].flat();
const roleStatements = (role: RegExp, t = template): Statement[] =>
  resources('AWS::IAM::Policy', t)
    .filter(([id]) => role.test(id))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);

describe('buckets (SEC34)', () => {
  const buckets = resources('AWS::S3::Bucket');
  const bucket = (id: string) => buckets.find(([k]) => k.startsWith(id))![1].Properties;

  it('all block public access, enforce object ownership and encrypt; uploads, data and reports log to the access-log bucket', () => {
    expect(buckets).toHaveLength(4);
    for (const [, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    }
    expect(bucket('UploadBucket').LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogBucket/) },
      LogFilePrefix: 'upload-bucket/',
    });
    expect(bucket('DataBucket').LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogBucket/) },
      LogFilePrefix: 'data-bucket/',
    });
    expect(bucket('ReportBucket').LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogBucket/) },
      LogFilePrefix: 'report-bucket/',
    });
  });

  it('versions the upload bucket (events name the version they announce); not the data bucket, which compare-and-swap rewrites', () => {
    expect(bucket('UploadBucket').VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket('DataBucket').VersioningConfiguration).toBeUndefined();
  });

  it('expires incoming/ after 30 days and its noncurrent versions a day later, results/ after 2 years', () => {
    expect(bucket('UploadBucket').LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Prefix: 'incoming/',
          ExpirationInDays: 30,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          Status: 'Enabled',
        }),
        expect.objectContaining({ ExpiredObjectDeleteMarker: true }),
      ]),
    );
    expect(bucket('DataBucket').LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'results/', ExpirationInDays: 730 }),
        expect.objectContaining({ Prefix: 'state/publish-slots/', ExpirationInDays: 1 }),
        expect.objectContaining({ Prefix: 'state/notifications/', ExpirationInDays: 30 }),
        expect.objectContaining({ Prefix: 'state/failures/', ExpirationInDays: 30 }),
      ]),
    );
    expect(bucket('ReportBucket').LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ Prefix: 'reports/', ExpirationInDays: 730 })]),
    );
  });

  it('denies plain HTTP and TLS below 1.2 in every bucket policy', () => {
    const policies = resources('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(4);
    for (const [, p] of policies) {
      const text = JSON.stringify(p.Properties.PolicyDocument);
      expect(text).toMatch(/"aws:SecureTransport":"false"/);
      expect(text).toMatch(/"s3:TlsVersion":1\.2/);
    }
  });
});

describe('uploads are buffered (Build 4)', () => {
  const queue = one('AWS::SQS::Queue', /^UploadQueue/);
  const mapping = resources('AWS::Lambda::EventSourceMapping');

  it('S3 notifies the upload queue, only for object creation under incoming/', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: Match.stringLikeRegexp('^UploadBucket') },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            QueueArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UploadQueue'), 'Arn'] },
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
          },
        ],
      },
    });
    expect(JSON.stringify(template.findResources('Custom::S3BucketNotifications'))).not.toMatch(/LambdaFunctionConfigurations/);
  });

  it('ingest drains it with at most 10 concurrent invocations, partial batch failures, batches of 5', () => {
    expect(mapping).toHaveLength(1);
    expect(mapping[0]![1].Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^UploadQueue/), 'Arn'] },
      FunctionName: { Ref: expect.stringMatching(/^IngestFunction/) },
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 10 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('hides a message in flight for six times the function timeout, and moves it to the dead-letter queue after 5 receives', () => {
    const ingest = one('AWS::Lambda::Function', /^IngestFunction/);
    expect(queue.VisibilityTimeout).toBe(6 * ingest.Timeout);
    expect(queue.VisibilityTimeout).toBe(3600);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^IngestDeadLetters/), 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(queue.SqsManagedSseEnabled).toBe(true);
  });

  it('takes the concurrency, batch size and receive limit from context, and refuses what SQS does not allow', () => {
    const t = synth({ ingestMaxConcurrency: '3', ingestBatchSize: '1', ingestMaxReceives: '2', ingestTimeoutSeconds: '120' });
    expect(one('AWS::Lambda::EventSourceMapping', /Ingest/, t)).toMatchObject({ BatchSize: 1, ScalingConfig: { MaximumConcurrency: 3 } });
    expect(one('AWS::SQS::Queue', /^UploadQueue/, t)).toMatchObject({ VisibilityTimeout: 720, RedrivePolicy: { maxReceiveCount: 2 } });
    expect(() => synth({ ingestMaxConcurrency: '1' })).toThrow(/between 2 and 1000/);
    expect(() => synth({ ingestTimeoutSeconds: '901' })).toThrow(/at most 900/);
  });
});

describe('functions', () => {
  const fns = resources('AWS::Lambda::Function').filter(([id]) => /^(Ingest|Reconcile|Digest|Query)Function/.test(id));

  it('run on the newest Node.js runtime this aws-cdk-lib offers, arm64, with JSON logs in their own log group', () => {
    const newest = Object.values(Runtime)
      .filter((r): r is Runtime => r instanceof Runtime && /^nodejs\d+\.x$/.test(r.name))
      .map((r) => r.name)
      .sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)))
      .pop();
    expect(fns).toHaveLength(4);
    for (const [, fn] of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: newest, Architectures: ['arm64'], Handler: 'index.handler' });
      expect(fn.Properties.LoggingConfig).toMatchObject({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: expect.stringMatching(/Logs/) },
      });
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^mailflow-(ingest|reconcile|digest|query)$/),
        POWERTOOLS_METRICS_NAMESPACE: 'mailflow',
        MAILFLOW_BUCKET: { Ref: expect.stringMatching(/^DataBucket/) },
      });
    }
    const ingest = one('AWS::Lambda::Function', /^IngestFunction/);
    expect(ingest).toMatchObject({ MemorySize: 1769, Timeout: 600 });
    expect(ingest.ReservedConcurrentExecutions).toBeUndefined(); // unset by default: low-quota accounts cannot reserve
  });

  it('keep logs 30 days by default', () => {
    const groups = resources('AWS::Logs::LogGroup').filter(([id]) => /^(Ingest|Reconcile|Digest|Query)Logs/.test(id));
    expect(groups).toHaveLength(4);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(30);
  });

  it('ingest and reconcile get the same alert topic and rules (one way to ingest); reconcile knows the upload bucket and its limit', () => {
    for (const id of [/^IngestFunction/, /^ReconcileFunction/, /^DigestFunction/]) {
      expect(one('AWS::Lambda::Function', id).Environment.Variables).toMatchObject({
        MAILFLOW_TOPIC_ARN: { Ref: expect.stringMatching(/^AlertsTopic/) },
        MAILFLOW_RULES: '{}',
      });
    }
    expect(one('AWS::Lambda::Function', /^ReconcileFunction/).Environment.Variables).toMatchObject({
      MAILFLOW_UPLOAD_BUCKET: { Ref: expect.stringMatching(/^UploadBucket/) },
      MAILFLOW_MAX_REDRIVES: '3',
      MAILFLOW_RECONCILE_MIN_AGE_MINUTES: '15',
    });
  });

  it('re-drive every 15 minutes and re-evaluate hourly, with explicit async retries and a failure destination', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcileFunction'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DigestFunction'), 'Arn'] } })],
    });
    for (const fn of ['Reconcile', 'Digest']) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: Match.stringLikeRegexp(`^${fn}Function`) },
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionFailures'), 'Arn'] } } },
      });
    }
  });
});

describe('failures are seen, each time (Build 5)', () => {
  const alarms = resources('AWS::CloudWatch::Alarm');
  const topicKey = one('AWS::KMS::Key', /^AlertsKey/);
  const topicPolicy = one('AWS::SNS::TopicPolicy', /^AlertsTopicPolicy/);

  it('every function has an Errors and a Throttles alarm', () => {
    for (const fn of ['Ingest', 'Reconcile', 'Digest', 'Query']) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarms.filter(
          ([, a]) => a.Properties.MetricName === metric && a.Properties.Dimensions?.[0]?.Value?.Ref?.startsWith(`${fn}Function`),
        );
        expect(found, `${fn} ${metric}`).toHaveLength(1);
        expect(found[0]![1].Properties).toMatchObject({ Threshold: 1, Statistic: 'Sum', Period: 300, TreatMissingData: 'notBreaching' });
      }
    }
  });

  it('the dead-letter queues alarm on each increase (DIFF of visible messages), not once while they stay full', () => {
    for (const queue of ['IngestDeadLetters', 'FunctionFailures']) {
      const [, a] = alarms.find(([id]) => id.startsWith(`${queue}Alarm`))!;
      const [expr, visible] = a.Properties.Metrics as Array<Record<string, any>>;
      expect(expr).toMatchObject({ Expression: 'DIFF(visible)', ReturnData: true });
      expect(visible).toMatchObject({
        Id: 'visible',
        MetricStat: {
          Metric: {
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${queue}`)), 'QueueName'] } }],
          },
          Stat: 'Maximum',
        },
      });
      expect(a.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
    expect(alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')).toEqual([]);
  });

  it('SNS delivery failures and a stuck upload backlog alarm too', () => {
    expect(alarms.some(([, a]) => a.Properties.MetricName === 'NumberOfNotificationsFailed' && a.Properties.Namespace === 'AWS/SNS')).toBe(
      true,
    );
    expect(alarms.some(([, a]) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage' && a.Properties.Threshold === 3600)).toBe(
      true,
    );
  });

  it("every alarm that notifies an encrypted topic is allowed to: key policy and topic policy grant CloudWatch, scoped to this account's alarms", () => {
    const topics = resources('AWS::SNS::Topic');
    const scoped = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*'],
          ],
        },
      },
    };
    expect(alarms.length).toBeGreaterThanOrEqual(12);
    for (const [id, a] of alarms) {
      for (const action of a.Properties.AlarmActions as Array<{ Ref: string }>) {
        const topic = topics.find(([tid]) => tid === action.Ref);
        expect(topic, `${id} notifies ${action.Ref}`).toBeDefined();
        const keyRef = topic![1].Properties.KmsMasterKeyId;
        if (!keyRef) continue;
        const key = resources('AWS::KMS::Key').find(([kid]) => kid === keyRef['Fn::GetAtt'][0])![1].Properties;
        const keyGrant = (key.KeyPolicy.Statement as Statement[]).find(
          (s) => JSON.stringify(s.Principal) === '{"Service":"cloudwatch.amazonaws.com"}',
        );
        expect(keyGrant, `${id}: key policy of ${keyRef['Fn::GetAtt'][0]}`).toMatchObject({
          Effect: 'Allow',
          Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
          Condition: scoped,
        });
        const policy = resources('AWS::SNS::TopicPolicy').find(([, p]) =>
          (p.Properties.Topics as Array<{ Ref: string }>).some((t) => t.Ref === action.Ref),
        )![1].Properties;
        const publish = (policy.PolicyDocument.Statement as Statement[]).find(
          (s) => s.Effect === 'Allow' && JSON.stringify(s.Principal) === '{"Service":"cloudwatch.amazonaws.com"}',
        );
        expect(publish, `${id}: topic policy of ${action.Ref}`).toMatchObject({
          Action: 'sns:Publish',
          Resource: { Ref: action.Ref },
          Condition: scoped,
        });
      }
    }
    expect(topicKey.KeyPolicy.Statement).toHaveLength(2);
    expect((topicPolicy.PolicyDocument.Statement as Statement[]).map((s) => s.Effect).sort()).toEqual(['Allow', 'Deny']);
  });

  it('the topic is KMS-encrypted with rotation, TLS-only for publishers, and subscribes the alert emails with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertsKey'), 'Arn'] } });
    expect(topicKey.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(topicPolicy)).toMatch(/"aws:SecureTransport":"false"/);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionFailures'), 'Arn'] } },
    });
  });

  it("one operations dashboard shows the functions, the queues and ingest's own metrics", () => {
    const [[, dashboard]] = resources('AWS::CloudWatch::Dashboard') as [[string, { Properties: Record<string, any> }]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const m of [
      'Errors',
      'Throttles',
      'Duration',
      'ApproximateAgeOfOldestMessage',
      'NumberOfNotificationsFailed',
      'RowsRead',
      'EventsCounted',
      'RowsRejected',
      'CasAttempts',
      'AlertsPublished',
      'PublishFailures',
      'IngestDuration',
    ])
      expect(body).toContain(m);
  });
});

describe('least privilege (SEC35)', () => {
  const ours = roleStatements(/^(Ingest|Reconcile|Digest|Query)Role/);
  const s3 = (role: string) => roleStatements(new RegExp(`^${role}Role`)).filter((s) => actions(s).some((a) => a.startsWith('s3:')));
  const grants = (role: string) =>
    s3(role)
      .flatMap((s) =>
        actions(s).flatMap((a) =>
          [s.Resource].flat().map(
            (r) =>
              `${a} ${JSON.stringify(r)
                .replace(/\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["(\w+?)[0-9A-F]{8}","Arn"\]\},"([^"]*)"\]\]\}/, '$1$2')
                .replace(/\{"Fn::GetAtt":\["(\w+?)[0-9A-F]{8}","Arn"\]\}/, '$1')}`,
          ),
        ),
      )
      .sort();

  it('has no wildcard action and no bare * resource', () => {
    expect(ours.length).toBeGreaterThan(10);
    for (const s of ours) {
      for (const a of actions(s)) expect(a).not.toMatch(/\*/);
      expect(JSON.stringify(s.Resource)).not.toBe('"*"');
    }
  });

  it('gives each function exactly the bucket actions it uses, by prefix; nobody deletes or writes incoming/', () => {
    expect(grants('Ingest')).toEqual([
      's3:GetObject DataBucket/results/*',
      's3:GetObject DataBucket/state/*',
      's3:GetObject UploadBucket/incoming/*',
      's3:GetObjectVersion UploadBucket/incoming/*',
      's3:ListBucket DataBucket',
      's3:PutObject DataBucket/results/*',
      's3:PutObject DataBucket/state/*',
    ]);
    expect(grants('Reconcile')).toEqual([
      's3:GetObject DataBucket/results/*',
      's3:GetObject DataBucket/state/*',
      's3:GetObject UploadBucket/incoming/*',
      's3:ListBucket DataBucket',
      's3:ListBucket UploadBucket',
      's3:PutObject DataBucket/results/*',
      's3:PutObject DataBucket/state/*',
    ]);
    expect(grants('Digest')).toEqual([
      's3:GetObject DataBucket/results/*',
      's3:GetObject DataBucket/state/*',
      's3:GetObject ReportBucket/reports/*',
      's3:ListBucket DataBucket',
      's3:ListBucket ReportBucket',
      's3:PutObject DataBucket/state/*',
      's3:PutObject ReportBucket/reports/*',
    ]);
    expect(grants('Query')).toEqual(['s3:GetObject DataBucket/results/*', 's3:GetObject DataBucket/state/*', 's3:ListBucket DataBucket']);
    for (const s of ours) {
      expect(
        actions(s)
          .filter((a) => a.startsWith('s3:'))
          .join(),
      ).not.toMatch(/Delete/);
      // The data bucket may be listed whole (a missing key then answers 404, not 403 + a LIST); the others by prefix only.
      if (!actions(s).includes('s3:ListBucket')) continue;
      if (JSON.stringify(s.Resource).includes('DataBucket')) expect(s.Condition).toBeUndefined();
      else
        expect(JSON.stringify(s.Condition)).toMatch(/^\{"StringLike":\{"s3:prefix":\[("(incoming|results|state|reports)\/\*",?)+\]\}\}$/);
    }
  });

  it('publishes only to the alert topic, and uses only its key', () => {
    const publish = ours.filter((s) => actions(s).includes('sns:Publish'));
    expect(publish).toHaveLength(3); // ingest, reconcile, digest
    for (const s of publish) expect(s.Resource).toEqual({ Ref: expect.stringMatching(/^AlertsTopic/) });
    for (const s of ours.filter((x) => actions(x).some((a) => a.startsWith('kms:'))))
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlertsKey/), 'Arn'] });
  });
});

describe('query API (Build 9)', () => {
  it('is a Function URL with AWS_IAM auth, never NONE (SEC37)', () => {
    const urls = resources('AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    expect(urls[0]![1].Properties.AuthType).toBe('AWS_IAM');
  });

  it('ships a caller policy with both invoke actions, scoped to the query function, as FunctionUrl.grantInvokeUrl emits them', () => {
    const policy = one('AWS::IAM::ManagedPolicy', /^QueryApiCallerPolicy/);
    const fn = { 'Fn::GetAtt': [expect.stringMatching(/^QueryFunction/), 'Arn'] };
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: fn,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } } },
    ]);
    template.hasOutput('QueryCallerPolicyArn', { Value: { Ref: Match.stringLikeRegexp('^QueryApiCallerPolicy') } });
  });

  it('refuses at deploy time in regions without Function URLs, and at synth time when the region is known', () => {
    const rule = template.toJSON().Rules as Record<string, { Assertions: Array<{ Assert: unknown; AssertDescription: string }> }>;
    const [assertion] = Object.entries(rule).find(([id]) => id.startsWith('QueryApiRegionHasFunctionUrls'))![1].Assertions;
    expect(assertion!.Assert).toEqual({ 'Fn::Not': [{ 'Fn::Contains': [REGIONS_WITHOUT_FUNCTION_URLS, { Ref: 'AWS::Region' }] }] });
    expect(assertion!.AssertDescription).toMatch(/-c queryApi=false/);
    expect(() => synth({ region: 'eu-central-2' })).toThrow(
      /eu-central-2: Lambda Function URLs are not available in this region: deploy with -c queryApi=false/,
    );
  });

  it('with -c queryApi=false: no URL, no caller policy, no rule; the function stays for direct invocation', () => {
    const t = synth({ queryApi: 'false', region: 'eu-central-2' });
    expect(resources('AWS::Lambda::Url', t)).toEqual([]);
    expect(resources('AWS::IAM::ManagedPolicy', t).filter(([id]) => id.startsWith('QueryApi'))).toEqual([]);
    expect(Object.keys(t.toJSON().Rules ?? {}).filter((id) => id.startsWith('QueryApi'))).toEqual([]);
    expect(Object.keys(t.toJSON().Outputs)).not.toContain('QueryUrl');
  });
});

describe('stages and tags (Build 12)', () => {
  it('-c stage=NAME names the stack, the Glue database and the Athena workgroup, so stages deploy side by side', () => {
    const { stack } = buildApp(new App({ context: context({ stage: 'blue' }) }));
    expect(stack.stackName).toBe('Mailflow-blue');
    const t = Template.fromStack(stack);
    expect(one('AWS::Glue::Database', /./, t).DatabaseInput.Name).toBe('mailflow_blue');
    expect(one('AWS::Athena::WorkGroup', /./, t).Name).toBe('mailflow_blue');
    expect(JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard'))).toContain('Mailflow-blue-operations');
    expect(buildApp(new App({ context: context() })).stack.stackName).toBe('Mailflow');
    expect(() => synth({ stage: 'Blue!' })).toThrow(/context stage must be/);
  });

  it('tags everything taggable with app and stage', () => {
    const t = synth({ stage: 'blue' });
    const taggable = [
      'AWS::S3::Bucket',
      'AWS::Lambda::Function',
      'AWS::SQS::Queue',
      'AWS::SNS::Topic',
      'AWS::KMS::Key',
      'AWS::IAM::Role',
      'AWS::Logs::LogGroup',
      'AWS::CloudWatch::Alarm',
      'AWS::Athena::WorkGroup',
    ];
    for (const type of taggable) {
      for (const [id, r] of resources(type, t)) {
        const tags = r.Properties.Tags;
        const pairs = Array.isArray(tags) ? Object.fromEntries(tags.map((x: { Key: string; Value: string }) => [x.Key, x.Value])) : tags;
        expect(pairs, `${type} ${id}`).toMatchObject({ app: 'mailflow', stage: 'blue' });
      }
    }
  });

  it("sets CDK's recommended feature flags in cdk.json", async () => {
    const recommended = JSON.parse(readFileSync('node_modules/aws-cdk-lib/recommended-feature-flags.json', 'utf8')) as Record<
      string,
      unknown
    >;
    expect(cdkJsonContext()).toMatchObject(recommended);
  });
});

describe('report links (Build 10)', () => {
  const withKey = synth({ reportPublicKeyFile: 'test/fixtures/report-signing.pub.pem' });
  const digestEnv = (t: Template) => one('AWS::Lambda::Function', /^DigestFunction/, t).Environment.Variables;

  it('without a public key: the digest writes snapshots to the report bucket, links nothing, and there is no distribution', () => {
    expect(resources('AWS::CloudFront::Distribution')).toEqual([]);
    expect(digestEnv(template)).toMatchObject({
      MAILFLOW_REPORT_BUCKET: { Ref: expect.stringMatching(/^ReportBucket/) },
      MAILFLOW_REPORT_LINK_HOURS: '168',
    });
    expect(digestEnv(template).MAILFLOW_REPORT_BASE_URL).toBeUndefined();
  });

  it('with one: a distribution over reports/ by origin access control, serving only URLs signed by that key', () => {
    const [[, dist]] = resources('AWS::CloudFront::Distribution', withKey) as [[string, { Properties: Record<string, any> }]];
    const config = dist.Properties.DistributionConfig;
    expect(config.Origins).toEqual([
      expect.objectContaining({
        OriginPath: '/reports',
        DomainName: { 'Fn::GetAtt': [expect.stringMatching(/^ReportBucket/), 'RegionalDomainName'] },
        OriginAccessControlId: { 'Fn::GetAtt': [expect.stringMatching(/OriginAccessControl/), 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      }),
    ]);
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD'],
      TrustedKeyGroups: [{ Ref: expect.stringMatching(/^ReportLinksKeyGroup/) }],
    });
    expect(one('AWS::CloudFront::OriginAccessControl', /./, withKey).OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(one('AWS::CloudFront::KeyGroup', /./, withKey).KeyGroupConfig.Items).toEqual([
      { Ref: expect.stringMatching(/^ReportLinksPublicKey/) },
    ]);
    expect(one('AWS::CloudFront::PublicKey', /./, withKey).PublicKeyConfig.EncodedKey).toBe(
      readFileSync('test/fixtures/report-signing.pub.pem', 'utf8').trim() + '\n',
    );
  });

  it('only that distribution may read the report bucket, and only the digest function the signing key', () => {
    const policy = resources('AWS::S3::BucketPolicy', withKey).find(([, p]) => p.Properties.Bucket.Ref.startsWith('ReportBucket'))![1]
      .Properties.PolicyDocument.Statement as Statement[];
    const cloudfront = policy.filter((s) => JSON.stringify(s.Principal) === '{"Service":"cloudfront.amazonaws.com"}');
    expect(cloudfront).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
    for (const [id, p] of resources('AWS::S3::BucketPolicy', withKey))
      if (!p.Properties.Bucket.Ref.startsWith('ReportBucket')) expect(JSON.stringify(p), id).not.toContain('cloudfront');
    const readers = resources('AWS::IAM::Policy', withKey).filter(([, p]) => JSON.stringify(p).includes('secretsmanager:GetSecretValue'));
    expect(readers.map(([id]) => id)).toEqual([expect.stringMatching(/^DigestRole/)]);
    expect(digestEnv(withKey)).toMatchObject({
      MAILFLOW_REPORT_BASE_URL: {
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^ReportLinksDistribution/), 'DomainName'] }]],
      },
      MAILFLOW_REPORT_KEY_PAIR_ID: { Ref: expect.stringMatching(/^ReportLinksPublicKey/) },
      MAILFLOW_REPORT_KEY_SECRET_ARN: { Ref: expect.stringMatching(/^ReportLinksSigningKey/) },
    });
    withKey.hasOutput('ReportSigningSecretArn', { Value: { Ref: Match.stringLikeRegexp('^ReportLinksSigningKey') } });
    withKey.hasOutput('ReportKeyPairId', { Value: { Ref: Match.stringLikeRegexp('^ReportLinksPublicKey') } });
  });

  it('refuses a link lifetime beyond 30 days and a file that is not a public key, at synth time', () => {
    expect(() => synth({ reportLinkHours: '721' })).toThrow(/reportLinkHours must be at most 720/);
    expect(() => synth({ reportPublicKeyFile: 'package.json' })).toThrow(/is not a PEM public key/);
    expect(digestEnv(synth({ reportLinkHours: '24' })).MAILFLOW_REPORT_LINK_HOURS).toBe('24');
  });
});

describe('SQL at scale (Glue and Athena)', () => {
  const table = (name: string) =>
    resources('AWS::Glue::Table').find(([, t]) => t.Properties.TableInput.Name === name)![1].Properties.TableInput;

  it('projects the hourly table by day, so no crawler runs and queries need no tenant', () => {
    const hourly = table('hourly');
    expect(hourly.PartitionKeys).toEqual([expect.objectContaining({ Name: 'day', Type: 'string' })]);
    expect(hourly.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyy-MM-dd',
      'projection.day.range': '2024-01-01,NOW',
      'projection.day.interval': '1',
      'projection.day.interval.unit': 'DAYS',
    });
    expect(JSON.stringify(hourly.Parameters['storage.location.template'])).toContain('/results/sql/day=${day}/');
    expect(JSON.stringify(hourly.Parameters)).not.toMatch(/projection\.tenant|injected/);
    expect(hourly.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => `${c.Name}:${c.Type}`)).toEqual(
      HOURLY_COLUMNS.map((c) => `${c.name}:${c.type}`),
    );
    expect(hourly.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
  });

  it('declares the receipts table with its JSON key mappings', () => {
    const sources = table('sources');
    expect(sources.PartitionKeys ?? []).toEqual([]);
    expect(JSON.stringify(sources.StorageDescriptor.Location)).toContain('/results/sources/');
    expect(sources.StorageDescriptor.SerdeInfo.Parameters).toMatchObject({
      'mapping.s3_key': 'key',
      'mapping.row_count': 'rows',
      'mapping.ingested_at': 'ingestedAt',
      'case.insensitive': 'false',
    });
  });

  it('has an Athena workgroup that enforces KMS-encrypted results and a scan limit, and the three named queries', () => {
    const wg = one('AWS::Athena::WorkGroup', /./);
    const conf = wg.WorkGroupConfiguration;
    expect(conf.EnforceWorkGroupConfiguration).toBe(true);
    expect(conf.BytesScannedCutoffPerQuery).toBe(10 * 1024 ** 3);
    expect(conf.ResultConfiguration.EncryptionConfiguration.EncryptionOption).toBe('SSE_KMS');
    expect(JSON.stringify(conf.ResultConfiguration.OutputLocation)).toContain('/athena-results/');
    const queries = resources('AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(NAMED_QUERIES.map((q) => q.name).sort());
    for (const q of queries) expect(q).toMatchObject({ Database: 'mailflow', WorkGroup: 'mailflow' });
  });

  it('offers people a read policy scoped to the workgroup, the two tables and their prefixes', () => {
    const text = JSON.stringify(one('AWS::IAM::ManagedPolicy', /^SqlReaderPolicy/).PolicyDocument);
    for (const p of ['/results/sql/*', '/results/sources/*', '/athena-results/*']) expect(text).toContain(p);
    expect(text).not.toMatch(/incoming|state\/|DeleteObject/);
  });
});

describe('erasing a tenant is an admin right, not a function right (issue 12, 3)', () => {
  const arn = (r: unknown) =>
    JSON.stringify(r)
      .replace(/\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["(\w+?)[0-9A-F]{8}","Arn"\]\},"([^"]*)"\]\]\}/, '$1$2')
      .replace(/\{"Fn::GetAtt":\["(\w+?)[0-9A-F]{8}","Arn"\]\}/, '$1');
  it('no function role may delete an object or a version', () => {
    const all = resources('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
    expect(all.length).toBeGreaterThan(10);
    expect(all.flatMap(actions).filter((a) => /^s3:(Delete|\*)/.test(a))).toEqual([]);
  });

  it('TenantPurgePolicy lists and deletes every version under the tenant prefixes of the three buckets, and nothing else', () => {
    const doc = one('AWS::IAM::ManagedPolicy', /^TenantPurgePolicy/).PolicyDocument;
    const grants = (doc.Statement as Statement[])
      .flatMap((s) =>
        actions(s).flatMap((a) =>
          [s.Resource].flat().map((r) => `${a} ${arn(r)}${s.Condition ? ` ${JSON.stringify(s.Condition.StringLike['s3:prefix'])}` : ''}`),
        ),
      )
      .sort();
    expect(grants).toEqual([
      's3:DeleteObject DataBucket/results/*',
      's3:DeleteObject DataBucket/state/*',
      's3:DeleteObject ReportBucket/reports/*',
      's3:DeleteObject UploadBucket/incoming/*',
      's3:DeleteObjectVersion DataBucket/results/*',
      's3:DeleteObjectVersion DataBucket/state/*',
      's3:DeleteObjectVersion ReportBucket/reports/*',
      's3:DeleteObjectVersion UploadBucket/incoming/*',
      's3:ListBucket DataBucket ["results/*","state/*"]',
      's3:ListBucket ReportBucket ["reports/*"]',
      's3:ListBucket UploadBucket ["incoming/*"]',
      's3:ListBucketVersions DataBucket ["results/*","state/*"]',
      's3:ListBucketVersions ReportBucket ["reports/*"]',
      's3:ListBucketVersions UploadBucket ["incoming/*"]',
    ]);
  });
});

describe('outputs', () => {
  it('name both buckets, the topic, the queues and the APIs', () => {
    for (const o of [
      'UploadBucketName',
      'BucketName',
      'ReportBucketName',
      'AlertTopicArn',
      'UploadQueueUrl',
      'DeadLetterQueueUrl',
      'FailureQueueUrl',
      'QueryUrl',
      'QueryCallerPolicyArn',
      'AthenaWorkGroup',
      'AthenaReaderPolicyArn',
      'TenantPurgePolicyArn',
    ])
      template.hasOutput(o, { Value: Match.anyValue() });
  });
});

describe('the cdk-nag gate (AwsSolutions and Serverless packs, SEC33)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'mailflow-synth-'));
  const gated = buildApp(
    new App({
      outdir,
      context: {
        ...cdkJsonContext(),
        alertEmails: 'ops@example.com',
        reportPublicKeyFile: 'test/fixtures/report-signing.pub.pem',
        rulesFile: 'test/fixtures/collect.config.json',
      },
    }),
  );
  gated.app.synth(); // bundles with esbuild and runs the validation plugins; throws on an unacknowledged finding

  it('finds nothing unacknowledged', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it("writes the collector's settings file into its bundle, beside index.mjs", () => {
    const tpl = JSON.parse(readFileSync(join(outdir, `${gated.stack.stackName}.template.json`), 'utf8'));
    const [, fn] = Object.entries(tpl.Resources as Record<string, { Type: string; Properties: { Code: { S3Key: string } } }>).find(
      ([k, r]) => r.Type === 'AWS::Lambda::Function' && k.startsWith('CollectFunction'),
    )!;
    const dir = join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(dir).sort()).toEqual(['collect-tenants.json', 'index.mjs', 'index.mjs.map']);
    expect(readFileSync(join(dir, 'collect-tenants.json'), 'utf8')).toBe(collectSettingsJson(gated.stack.config.collect));
  });

  it('gives every acknowledgment an exact finding and a reason of 20 characters or more; on our roles only prefix-scoped object ARNs', () => {
    // CDK records each acknowledgment as node metadata: { "Annotation::<finding id>": reason }.
    const acks = gated.app.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
            path: c.node.path,
            id: id.replace(/^Annotation::/, ''),
            reason,
          })),
        ),
    );
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length, a.id).toBeGreaterThanOrEqual(20);
      expect(a.id).toMatch(/^(AwsSolutions|Serverless)/);
    }
    for (const a of acks.filter((x) => /\/(Ingest|Reconcile|Digest|Query)\/Role/.test(x.path))) {
      expect(a.id).toMatch(
        /^AwsSolutions-IAM5\[Resource::<(UploadBucket|DataBucket|ReportBucket)[A-Za-z0-9]+\.Arn>\/(incoming|results|state|reports)\/\*\]$/,
      );
    }
    const collector = acks.filter((x) => /\/Collect\/Role/.test(x.path));
    expect(collector.length).toBe(6);
    for (const a of collector)
      expect(a.id).toMatch(
        /^AwsSolutions-IAM5\[Resource::<(UploadBucket[A-Za-z0-9]+\.Arn>\/incoming\/[a-z]+\/graph\/|DataBucket[A-Za-z0-9]+\.Arn>\/state\/collect\/[a-z]+\.json)\*\]$/,
      );
  });
});

describe('the Graph collector (issue 14)', () => {
  const t = synth({ rulesFile: 'test/fixtures/collect.config.json' });
  const fn = one('AWS::Lambda::Function', /^CollectFunction/, t);
  const statements = roleStatements(/^CollectRole/, t);
  const flat = (v: unknown) =>
    JSON.stringify(v)
      .replace(/\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["(\w+?)[0-9A-F]{8}","Arn"\]\},"([^"]*)"\]\]\}/g, '"$1$2"')
      .replace(/\{"Fn::GetAtt":\["(\w+?)[0-9A-F]{8}","Arn"\]\}/g, '"$1"');

  it('exists only when some tenant has a certificate secret: none in the default template', () => {
    expect(resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('CollectFunction'))).toEqual([]);
    expect(resources('AWS::Scheduler::Schedule')).toEqual([]);
  });

  it('runs every 15 minutes from EventBridge Scheduler, ends before the next run, and is not retried (the next run is)', () => {
    expect(one('AWS::Scheduler::Schedule', /^CollectSchedule/, t)).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^CollectFunction/), 'Arn'] },
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^FunctionFailures/), 'Arn'] } },
      },
    });
    expect(fn.Timeout).toBe(600);
    t.hasOutput('CollectorFunctionName', { Value: { Ref: Match.stringLikeRegexp('^CollectFunction') } });
    expect(template.findOutputs('CollectorFunctionName')).toEqual({});
    expect(fn.Runtime).toBe(Runtime.NODEJS_24_X.name);
    expect(one('AWS::Lambda::EventInvokeConfig', /^CollectFunctionEventInvokeConfig/, t)).toMatchObject({
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^FunctionFailures/), 'Arn'] } } },
    });
    const every5 = synth({ rulesFile: 'test/fixtures/collect.config.json', collectEveryMinutes: 5 });
    expect(one('AWS::Scheduler::Schedule', /^CollectSchedule/, every5).ScheduleExpression).toBe('rate(5 minutes)');
    expect(one('AWS::Lambda::Function', /^CollectFunction/, every5).Timeout).toBe(240);
    expect(() => synth({ rulesFile: 'test/fixtures/collect.config.json', collectEveryMinutes: 2 })).toThrow(/between 5 and 1440/);
  });

  it("gets the tenants with a secret in a settings file of its bundle; a tenant with only a local certificate file is the CLI's; the others' rules carry no collect settings", () => {
    const env = fn.Environment.Variables;
    expect(env.MAILFLOW_COLLECT_FILE).toBe('collect-tenants.json');
    const collect = JSON.parse(
      collectSettingsJson(buildApp(new App({ context: context({ rulesFile: 'test/fixtures/collect.config.json' }) })).stack.config.collect),
    ).tenants;
    expect(Object.keys(collect)).toEqual(['contoso', 'fabrikam', 'northwind']);
    expect(collect.contoso.collect).toEqual({
      entraTenant: 'aaaaaaaa-0000-4000-8000-000000000001',
      clientId: '11111111-2222-3333-4444-555555555555',
      certificateSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:mailflow/collect/contoso-AbC123',
    });
    expect(env).toMatchObject({
      MAILFLOW_BUCKET: { Ref: expect.stringMatching(/^DataBucket/) },
      MAILFLOW_UPLOAD_BUCKET: { Ref: expect.stringMatching(/^UploadBucket/) },
    });
    expect(env.MAILFLOW_GRAPH_URL).toBeUndefined();
    expect(env.MAILFLOW_RULES).toBeUndefined();
    for (const id of [/^IngestFunction/, /^ReconcileFunction/, /^DigestFunction/])
      expect(one('AWS::Lambda::Function', id, t).Environment.Variables.MAILFLOW_RULES).toBe('{"tenants":{}}');
    const sovereign = synth({
      rulesFile: 'test/fixtures/collect.config.json',
      graphUrl: 'https://graph.microsoft.us',
      authorityUrl: 'https://login.microsoftonline.us/',
    });
    expect(one('AWS::Lambda::Function', /^CollectFunction/, sovereign).Environment.Variables).toMatchObject({
      MAILFLOW_GRAPH_URL: 'https://graph.microsoft.us',
      MAILFLOW_AUTHORITY_URL: 'https://login.microsoftonline.us',
    });
    expect(() => synth({ rulesFile: 'test/fixtures/collect.config.json', graphUrl: 'http://graph.example' })).toThrow(/https:\/\/ origin/);
  });

  it("may read exactly the configured secrets, write only those tenants' incoming/<t>/graph/ and state/collect/<t>.json, list only those keys", () => {
    const byAction = (a: string) => statements.filter((s) => actions(s).includes(a)).map((s) => flat(s.Resource));
    expect(byAction('secretsmanager:GetSecretValue')).toEqual([
      JSON.stringify(
        ['contoso-AbC123', 'fabrikam-XyZ789', 'northwind-Qwe456'].map(
          (n) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:mailflow/collect/${n}`,
        ),
      ),
    ]);
    const tenants = ['contoso', 'fabrikam', 'northwind'];
    expect(JSON.parse(byAction('s3:PutObject')[0]!).sort()).toEqual(
      [...tenants.map((x) => `DataBucket/state/collect/${x}.json*`), ...tenants.map((x) => `UploadBucket/incoming/${x}/graph/*`)].sort(),
    );
    expect(JSON.parse(byAction('s3:GetObject')[0]!)).toEqual(tenants.map((x) => `DataBucket/state/collect/${x}.json*`));
    const list = statements.find((s) => actions(s).includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': tenants.map((x) => `state/collect/${x}.json*`) } });
    const all = statements.flatMap(actions);
    expect(all.filter((a) => !/^(logs|s3|secretsmanager|sqs):/.test(a))).toEqual([]);
    expect(all.filter((a) => /Delete|GetObjectVersion|sns:/.test(a))).toEqual([]);
  });

  it('refuses a certificateSecretArn that is not a secret ARN; takes any number of tenants (their settings are not in the environment)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-collect-config-'));
    const file = (name: string, tenants: Record<string, unknown>) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify({ tenants }));
      return path;
    };
    const collect = (i: number) => ({
      collect: {
        entraTenant: `aaaaaaaa-0000-4000-8000-${String(i).padStart(12, '0')}`,
        clientId: '11111111-2222-3333-4444-555555555555',
        certificateSecretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:mailflow/collect/tenant${i}-AbC123`,
      },
    });
    expect(() =>
      synth({ rulesFile: file('bad.json', { contoso: { collect: { ...collect(1).collect, certificateSecretArn: 'contoso-cert' } } }) }),
    ).toThrow(/certificateSecretArn must be a Secrets Manager secret ARN/);
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`tenant${i}`, collect(i)]));
    const t200 = synth({ rulesFile: file('many.json', many) });
    const env200 = JSON.stringify(one('AWS::Lambda::Function', /^CollectFunction/, t200).Environment.Variables);
    expect(env200.length).toBeLessThan(1000);
    // CDK moves what does not fit IAM's inline policy limit into managed policies of the role.
    const all200 = [
      ...roleStatements(/^CollectRole/, t200),
      ...resources('AWS::IAM::ManagedPolicy', t200)
        .filter(([id]) => id.startsWith('CollectRoleOverflowPolicy'))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]),
    ];
    const secretArns = all200.filter((s) => actions(s).includes('secretsmanager:GetSecretValue')).flatMap((s) => [s.Resource].flat());
    expect(new Set(secretArns).size).toBe(200);
  });
});
