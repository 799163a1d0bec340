import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface PipelineFunctionProps {
  entry: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  logRetentionDays: number;
  environment: Record<string, string>;
  reservedConcurrentExecutions?: number;
}

/** The newest Node.js runtime this aws-cdk-lib offers (cdk-nag's L1 rule computes it the same way). */
export const NEWEST_NODE_RUNTIME = Runtime.NODEJS_24_X;

/**
 * A function with its own role and log group: no AWS-managed policy (cdk-nag IAM4), logs only to
 * its own group, bundled locally by esbuild (never Docker) with the AWS SDK inside the bundle.
 */
export class PipelineFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: retention(props.logRetentionDays), removalPolicy: RemovalPolicy.DESTROY });
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `${id}: logs, and the bucket prefixes it uses` });
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
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      ...(props.reservedConcurrentExecutions ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      depsLockFilePath: 'package-lock.json',
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // Bundle the SDK too: one pinned version, no dependency on what the runtime ships.
        externalModules: [],
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      },
    });
  }
}

function retention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  const pick = allowed.find((d) => d >= days);
  if (!pick) throw new Error(`log retention of ${days} days is longer than CloudWatch allows`);
  return pick as RetentionDays;
}
