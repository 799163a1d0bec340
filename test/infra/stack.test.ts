import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { NAMED_QUERIES } from '../../infra/named-queries.ts';
import { HOURLY_COLUMNS } from '../../functions/core/aggregate/sql-layout.ts';

// Bundling is skipped for template assertions (esbuild runs in `cdk synth` and the nag gate below).
const { stack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], alertEmails: 'ops@example.com' } }));
const template = Template.fromStack(stack);
const resources = (type: string) => Object.entries(template.findResources(type));

describe('data bucket (reliability.md SEC34)', () => {
  it('blocks all public access, enforces object ownership, versions, encrypts and logs to another bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('AccessLogBucket') }, LogFilePrefix: 'data-bucket/' },
    });
  });

  it('expires incoming/ after 30 days and results/ after 2 years; noncurrent versions and aborted uploads too', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'incoming/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'results/', ExpirationInDays: 730, Status: 'Enabled' }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        ]),
      },
    });
  });

  it('denies plain HTTP and TLS below 1.2 in the bucket policy', () => {
    const policies = JSON.stringify(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toMatch(/"aws:SecureTransport":"false"/);
    expect(policies).toMatch(/"s3:TlsVersion":1\.2/);
  });
});

describe('ingest function (R11, R13)', () => {
  const fns = resources('AWS::Lambda::Function').filter(([id]) => /^(Ingest|Reconcile)Function/.test(id));

  it('runs on the newest Node.js runtime this aws-cdk-lib offers, arm64, with explicit memory and timeout', () => {
    const newest = Object.values(Runtime).filter((r): r is Runtime => r instanceof Runtime && /^nodejs\d+\.x$/.test(r.name)).map((r) => r.name).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6))).pop();
    expect(fns).toHaveLength(2);
    for (const [, fn] of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: newest, Architectures: ['arm64'], MemorySize: 1769, Timeout: 600 });
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined(); // unset by default: low-quota accounts cannot reserve
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
  });

  it('logs to its own log group with a retention period (30 days by default)', () => {
    const groups = resources('AWS::Logs::LogGroup').filter(([id]) => /^(Ingest|Reconcile)Logs/.test(id));
    expect(groups).toHaveLength(2);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(30);
  });

  it('is notified only for object creation under incoming/', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [{ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } } }],
      },
    });
  });

  it('has explicit async retries and event age, and an SQS failure destination with an alarm to the topic', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^IngestFunction') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFailures'), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertTopic') }],
    });
  });

  it('re-drives uploads on a schedule, every 15 minutes by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
  });

  it('re-evaluates incidents and sends digests hourly, and gives ingest and digest the topic and the rules', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DigestFunction'), 'Arn'] } })] });
    for (const [id, fn] of resources('AWS::Lambda::Function').filter(([fid]) => /^(Ingest|Digest)Function/.test(fid))) {
      expect(fn.Properties.Environment.Variables, id).toMatchObject({ MAILFLOW_TOPIC_ARN: { Ref: expect.stringMatching(/^AlertTopic/) }, MAILFLOW_RULES: '{}' });
    }
  });
});

describe('alert topic', () => {
  it('is KMS-encrypted, TLS-only for publishers, and subscribes the alert emails', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).toMatch(/"aws:SecureTransport":"false"/);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('least privilege (reliability.md SEC35)', () => {
  const ours = resources('AWS::IAM::Policy').filter(([id]) => /^(Ingest|Reconcile|Digest)Role/.test(id));
  const statements = ours.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>);
  const actions = (s: { Action: string | string[] }) => [s.Action].flat();

  it('has no wildcard action and no bare * resource', () => {
    expect(ours).toHaveLength(3);
    for (const s of statements) {
      for (const a of actions(s)) expect(a).not.toMatch(/\*/);
      expect(JSON.stringify(s.Resource)).not.toBe('"*"');
    }
  });

  it('reads incoming/, reads and writes results/ and state/, lists only by prefix, never deletes or writes incoming/', () => {
    const text = JSON.stringify(statements);
    expect(text).not.toMatch(/DeleteObject/);
    const puts = statements.filter((s) => actions(s).includes('s3:PutObject'));
    for (const s of puts) {
      expect(JSON.stringify(s.Resource)).toMatch(/\/results\/\*/);
      expect(JSON.stringify(s.Resource)).not.toMatch(/incoming/);
    }
    const gets = statements.filter((s) => actions(s).includes('s3:GetObject'));
    for (const s of gets) for (const p of ['results', 'state']) expect(JSON.stringify(s.Resource)).toContain(`/${p}/*`);
    const lists = statements.filter((s) => actions(s).includes('s3:ListBucket'));
    expect(lists.length).toBe(3);
    for (const s of lists) expect(JSON.stringify(s.Condition)).toMatch(/^\{"StringLike":\{"s3:prefix":\[("(incoming|results|state|reports)\/\*",?)+\]\}\}$/);
  });

  it('publishes only to the alert topic, and uses only its key', () => {
    const publish = statements.filter((s) => actions(s).includes('sns:Publish'));
    expect(publish).toHaveLength(2); // ingest and digest
    for (const s of publish) expect(s.Resource).toEqual({ Ref: expect.stringMatching(/^AlertTopic/) });
    const kms = statements.filter((s) => actions(s).some((a) => a.startsWith('kms:')));
    for (const s of kms) expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TopicKey/), 'Arn'] });
  });
});

describe('query API', () => {
  it('is a Function URL with AWS_IAM auth, never NONE (reliability.md SEC37)', () => {
    const urls = resources('AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    expect(urls[0]![1].Properties.AuthType).toBe('AWS_IAM');
  });

  it('may only read results/ and state/', () => {
    const policy = resources('AWS::IAM::Policy').find(([id]) => /^QueryRole/.test(id))![1];
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    const actions = statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('s3:'));
    expect([...new Set(actions)].sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    const text = JSON.stringify(statements);
    expect(text).toContain('/results/*');
    expect(text).toContain('/state/*');
    expect(text).not.toContain('incoming');
    expect(text).not.toMatch(/sns:|PutObject|DeleteObject/);
  });
});

describe('dashboard snapshot', () => {
  it('the digest function may write reports/ and signs its links for 168 hours unless told otherwise', () => {
    const digest = resources('AWS::Lambda::Function').find(([id]) => /^DigestFunction/.test(id))![1];
    expect(digest.Properties.Environment.Variables.MAILFLOW_REPORT_LINK_HOURS).toBe('168');
    const policy = resources('AWS::IAM::Policy').find(([id]) => /^DigestRole/.test(id))![1];
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('/reports/*');
  });

  it('refuses a link lifetime beyond S3\'s 7 days at synth time', () => {
    expect(() => buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], reportLinkHours: '169' } }))).toThrow(/reportLinkHours must be at most 168/);
    const { stack: short } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], reportLinkHours: '24' } }));
    const fn = Object.entries(Template.fromStack(short).findResources('AWS::Lambda::Function')).find(([id]) => /^DigestFunction/.test(id))![1];
    expect(fn.Properties.Environment.Variables.MAILFLOW_REPORT_LINK_HOURS).toBe('24');
  });
});

describe('SQL at scale (Glue and Athena)', () => {
  const table = (name: string) => resources('AWS::Glue::Table').find(([, t]) => t.Properties.TableInput.Name === name)![1].Properties.TableInput;

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
    expect(hourly.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => `${c.Name}:${c.Type}`)).toEqual(HOURLY_COLUMNS.map((c) => `${c.name}:${c.type}`));
    expect(hourly.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
  });

  it('declares the receipts table with its JSON key mappings', () => {
    const sources = table('sources');
    expect(sources.PartitionKeys ?? []).toEqual([]);
    expect(JSON.stringify(sources.StorageDescriptor.Location)).toContain('/results/sources/');
    expect(sources.StorageDescriptor.SerdeInfo.Parameters).toMatchObject({ 'mapping.s3_key': 'key', 'mapping.row_count': 'rows', 'mapping.ingested_at': 'ingestedAt', 'case.insensitive': 'false' });
  });

  it('has an Athena workgroup that enforces KMS-encrypted results and a scan limit, and the three named queries', () => {
    const [[, wg]] = resources('AWS::Athena::WorkGroup') as [[string, { Properties: Record<string, any> }]];
    const conf = wg.Properties.WorkGroupConfiguration;
    expect(conf.EnforceWorkGroupConfiguration).toBe(true);
    expect(conf.BytesScannedCutoffPerQuery).toBe(10 * 1024 ** 3);
    expect(conf.ResultConfiguration.EncryptionConfiguration.EncryptionOption).toBe('SSE_KMS');
    expect(JSON.stringify(conf.ResultConfiguration.OutputLocation)).toContain('/athena-results/');
    const queries = resources('AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(NAMED_QUERIES.map((q) => q.name).sort());
    for (const q of queries) expect(q).toMatchObject({ Database: 'mailflow', WorkGroup: 'mailflow' });
  });

  it('offers people a read policy scoped to the workgroup, the two tables and their prefixes', () => {
    const policy = resources('AWS::IAM::ManagedPolicy').find(([id]) => /^SqlReaderPolicy/.test(id))![1];
    const text = JSON.stringify(policy.Properties.PolicyDocument);
    for (const p of ['/results/sql/*', '/results/sources/*', '/athena-results/*']) expect(text).toContain(p);
    expect(text).not.toMatch(/incoming|state\/|DeleteObject/);
  });
});

describe('outputs', () => {
  it('names the bucket, the upload prefix, the topic and the failure queue', () => {
    for (const o of ['BucketName', 'UploadPrefix', 'AlertTopicArn', 'FailureQueueUrl', 'QueryUrl', 'AthenaWorkGroup', 'AthenaReaderPolicyArn']) template.hasOutput(o, { Value: Match.anyValue() });
  });
});

describe('the cdk-nag gate (AwsSolutions and Serverless packs, reliability.md SEC33)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'mailflow-synth-'));
  const gated = buildApp(new App({ outdir, context: { alertEmails: 'ops@example.com' } }));
  gated.app.synth(); // bundles with esbuild and runs the validation plugins; throws on an unacknowledged finding

  it('finds nothing unacknowledged', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('gives every acknowledgment an exact finding and a reason of 20 characters or more; on our roles only prefix-scoped object ARNs', () => {
    // CDK records each acknowledgment as node metadata: { "Annotation::<finding id>": reason }.
    const acks = gated.app.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^Annotation::/, ''), reason }))),
    );
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length, a.id).toBeGreaterThanOrEqual(20);
      expect(a.id).toMatch(/^(AwsSolutions|Serverless)/);
    }
    for (const a of acks.filter((x) => /\/(Ingest|Reconcile|Digest|Query)\/Role/.test(x.path))) {
      expect(a.id).toMatch(/^AwsSolutions-IAM5\[Resource::<[A-Za-z0-9]+\.Arn>\/(incoming|results|state|reports)\/\*\]$/);
    }
  });
});
