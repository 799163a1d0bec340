import { Stack, Validations } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Effect, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HOURLY_COLUMNS, SOURCE_COLUMNS, type SqlColumn } from '../../functions/core/aggregate/sql-layout.ts';
import { AREA, PREFIX } from '../../functions/core/store/layout.ts';
import { NAMED_QUERIES } from '../named-queries.ts';

export interface SqlCatalogProps {
  bucket: Bucket;
  databaseName: string;
  /** First day partition projection offers (yyyy-MM-dd); the last is always today. */
  firstDay: string;
  /** Athena stops a query that would scan more than this. */
  bytesScannedCutoff: number;
}

export const ATHENA_RESULTS_PREFIX = PREFIX.athenaResults;

/**
 * SQL at any scale: a Glue database with two tables (`hourly`: the JSON-lines companions of the
 * summaries, one row per group, projected by day so no crawler runs and queries across all
 * tenants prune by date; `sources`: the receipts), an Athena workgroup whose results are
 * encrypted with its own KMS key, the named queries, and a managed policy to give people.
 */
export class SqlCatalog extends Construct {
  readonly workGroup: CfnWorkGroup;
  readonly readerPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: SqlCatalogProps) {
    super(scope, id);
    const { bucket, databaseName } = props;
    const stack = Stack.of(this);
    const database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: databaseName, description: 'mailflow: hourly delivery counts by code and the receipts of every upload' },
    });
    const jsonSerde = (columns: SqlColumn[]) => ({
      serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
      parameters: {
        'case.insensitive': 'false',
        ...Object.fromEntries(columns.filter((c) => c.jsonKey).map((c) => [`mapping.${c.name}`, c.jsonKey!])),
      },
    });
    const storage = (columns: SqlColumn[], location: string) => ({
      columns: columns.map(({ name, type, comment }) => ({ name, type, comment })),
      location,
      inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      serdeInfo: jsonSerde(columns),
    });
    const sqlRoot = `s3://${bucket.bucketName}/${AREA.sql}`;
    const hourly = new CfnTable(this, 'HourlyTable', {
      catalogId: stack.account,
      databaseName,
      tableInput: {
        name: 'hourly',
        description: 'One row per tenant, UTC hour and group (outcome, code, category, owner, connector, destination, domain)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'day', type: 'string', comment: 'UTC day of the hour, yyyy-MM-dd (filter on it to scan less)' }],
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy-MM-dd',
          'projection.day.range': `${props.firstDay},NOW`,
          'projection.day.interval': '1',
          'projection.day.interval.unit': 'DAYS',
          'storage.location.template': `${sqlRoot}day=\${day}/`,
        },
        storageDescriptor: storage(HOURLY_COLUMNS, sqlRoot),
      },
    });
    hourly.node.addDependency(database);
    const sources = new CfnTable(this, 'SourcesTable', {
      catalogId: stack.account,
      databaseName,
      tableInput: {
        name: 'sources',
        description: 'The receipt of every upload: ingested, duplicate, empty or rejected, and why',
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'json' },
        storageDescriptor: storage(SOURCE_COLUMNS, `s3://${bucket.bucketName}/results/sources/`),
      },
    });
    sources.node.addDependency(database);

    const key = new Key(this, 'ResultsKey', { enableKeyRotation: true, description: 'mailflow Athena query results' });
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: databaseName,
      description: 'mailflow: SQL over the hourly counts and the receipts',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${bucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
        },
      },
    });
    for (const q of NAMED_QUERIES) {
      const named = new CfnNamedQuery(this, q.name, {
        name: q.name,
        description: q.description,
        database: databaseName,
        workGroup: this.workGroup.name,
        queryString: q.sql,
      });
      named.node.addDependency(this.workGroup, database);
    }

    // What a person needs to run these queries, and nothing more: attach it to their role or group.
    const objects = (prefix: string) => bucket.arnForObjects(`${prefix}*`);
    this.readerPolicy = new ManagedPolicy(this, 'ReaderPolicy', {
      description: 'mailflow: run Athena queries in the mailflow workgroup over results/sql and results/sources',
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
            'athena:ListNamedQueries',
            'athena:GetNamedQuery',
            'athena:BatchGetNamedQuery',
          ],
          resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: databaseName })],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: databaseName }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databaseName}/hourly` }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databaseName}/sources` }),
          ],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:GetObject'],
          resources: [objects(AREA.sql), objects(AREA.receipts), objects(ATHENA_RESULTS_PREFIX)],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [objects(ATHENA_RESULTS_PREFIX)],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${AREA.sql}*`, `${AREA.receipts}*`, `${ATHENA_RESULTS_PREFIX}*`] } },
        }),
        new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetBucketLocation'], resources: [bucket.bucketArn] }),
        new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
      ],
    });
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as never);
    for (const prefix of [AREA.sql, AREA.receipts, ATHENA_RESULTS_PREFIX]) {
      Validations.of(this.readerPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Athena reads (and for results writes) every object under ${prefix}; their keys are not known in advance.`,
      });
    }
  }
}
