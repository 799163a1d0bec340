import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { join } from 'node:path';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/adapters/runtime-config.ts';

export interface PipelineFunctionProps {
  /** `ingest`, `reconcile`, `digest` or `query`: the service name in logs and metrics. */
  name: string;
  entry: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  logRetentionDays: number;
  environment: Record<string, string>;
  reservedConcurrentExecutions?: number;
  /**
   * Files written next to the bundle (name → text): settings too large for the environment, which
   * Lambda caps at 4 KB. Part of the asset, so they change its hash and deploy with it.
   */
  files?: Record<string, string>;
  /** Where the function's Errors and Throttles alarms notify. */
  alarmAction: IAlarmAction;
}

/** The newest Node.js runtime this aws-cdk-lib offers (cdk-nag's L1 rule computes it the same way). */
export const NEWEST_NODE_RUNTIME = Runtime.NODEJS_24_X;

/**
 * A function with its own role and log group: no AWS-managed policy (cdk-nag IAM4), logs only to
 * its own group in Lambda's JSON format, bundled locally by esbuild (never Docker) with the AWS SDK
 * inside the bundle, and an alarm on each of its Errors and Throttles.
 */
export class PipelineFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: retention(props.logRetentionDays), removalPolicy: RemovalPolicy.DESTROY });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: logs, and the bucket prefixes it uses`,
    });
    logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: NEWEST_NODE_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup,
      // JSON lines with Lambda's own levels: Powertools' Logger writes the same shape.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `mailflow-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      ...(props.reservedConcurrentExecutions ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      depsLockFilePath: 'package-lock.json',
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        // Error classes keep their names (TenantRunError, not a minified "YT"): logs, the failure
        // queue and Lambda's errorType all show them.
        keepNames: true,
        sourceMap: true,
        // Bundle the SDK too: one pinned version, no dependency on what the runtime ships. Except
        // bowser (38 KiB a bundle): the SDK's browser user-agent parser, which it loads by a dynamic
        // import that only its browser clients call; on Node the import is never run.
        externalModules: ['bowser'],
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        ...(props.files ? { commandHooks: writeFiles(props.files) } : {}),
      },
    });
    const alarm = (kind: 'Errors' | 'Throttles', metric: ReturnType<NodejsFunction['metricErrors']>) => {
      const a = new Alarm(this, `${kind}Alarm`, {
        alarmDescription: `mailflow ${props.name}: ${kind === 'Errors' ? 'an invocation failed' : 'invocations were throttled'}; see the log group ${logGroup.logGroupName}`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(props.alarmAction);
      return a;
    };
    this.alarms = [
      alarm('Errors', this.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })),
      alarm('Throttles', this.fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' })),
    ];
  }
}

/** Bundling hooks that write `files` into the output folder (base64 on the command line: no quoting of the text). */
function writeFiles(files: Record<string, string>): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_input, output) =>
      Object.entries(files).map(
        ([name, text]) =>
          `node -e "require('fs').writeFileSync(process.argv[1], Buffer.from(process.argv[2], 'base64'))" ${JSON.stringify(join(output, name))} ${Buffer.from(text).toString('base64')}`,
      ),
  };
}

function retention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays)
    .filter((v): v is number => typeof v === 'number')
    .sort((a, b) => a - b);
  const pick = allowed.find((d) => d >= days);
  if (!pick) throw new Error(`log retention of ${days} days is longer than CloudWatch allows`);
  return pick as RetentionDays;
}
