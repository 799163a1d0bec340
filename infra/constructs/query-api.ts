import { Aws, CfnRule, Fn } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType, type FunctionUrl, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Regions without Lambda Function URLs (Lambda developer guide, "Creating and managing Lambda function URLs"). */
export const REGIONS_WITHOUT_FUNCTION_URLS = [
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
];

const NO_URLS =
  'Lambda Function URLs are not available in this region: deploy with -c queryApi=false (query with mailflow query --bucket, the dashboard or Athena instead).';

/**
 * The HTTP API: a Function URL that only SigV4-signed requests of principals allowed to invoke it
 * reach, and the managed policy those principals need. Since October 2025 a Function URL caller
 * needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction (the statements
 * FunctionUrl.grantInvokeUrl emits).
 */
export class QueryApi extends Construct {
  readonly url: FunctionUrl;
  readonly callerPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: { fn: IFunction }) {
    super(scope, id);
    const region = scope.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION;
    if (typeof region === 'string' && REGIONS_WITHOUT_FUNCTION_URLS.includes(region)) throw new Error(`${region}: ${NO_URLS}`);
    // The stack is region-agnostic; where the region is only known at deploy time, CloudFormation checks it.
    new CfnRule(this, 'RegionHasFunctionUrls', {
      assertions: [
        { assert: Fn.conditionNot(Fn.conditionContains(REGIONS_WITHOUT_FUNCTION_URLS, Aws.REGION)), assertDescription: NO_URLS },
      ],
    });
    this.url = props.fn.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    this.callerPolicy = new ManagedPolicy(this, 'CallerPolicy', {
      description: 'mailflow: call the query HTTP API (its Function URL, with SigV4)',
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['lambda:InvokeFunctionUrl'],
          resources: [props.fn.functionArn],
          conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': FunctionUrlAuthType.AWS_IAM } },
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['lambda:InvokeFunction'],
          resources: [props.fn.functionArn],
          conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
        }),
      ],
    });
  }
}
