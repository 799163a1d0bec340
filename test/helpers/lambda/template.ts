import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads what `cdk synth` wrote (test/global-setup.ts runs the CLI once per test run): the
 * template, and for each function its asset folder, handler, timeout, environment and the IAM
 * statements of its role. Tokens (`Ref`, `Fn::GetAtt`, `Fn::Join`) are resolved against the local
 * stand-ins (bucket names on Ceph RGW, a topic ARN) so the values are what AWS would put there.
 */
export type FunctionId = 'Ingest' | 'Reconcile' | 'Digest' | 'Query' | 'Collect';

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
  Sid?: string;
}

export interface DeployedFunction {
  id: FunctionId;
  logicalId: string;
  assetDir: string;
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, unknown>;
  logging: { LogFormat?: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  roleLogicalId: string;
  statements: Statement[];
}

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> };

export interface SynthOutput {
  dir: string;
  template: { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };
}

export function readSynth(dir: string, stack = 'Mailflow'): SynthOutput {
  const file = join(dir, `${stack}.template.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing: test/global-setup.ts synthesizes the app with the cdk CLI first`);
  return { dir, template: JSON.parse(readFileSync(file, 'utf8')) };
}

export function deployedFunction(synth: SynthOutput, id: FunctionId): DeployedFunction {
  const entries = Object.entries(synth.template.Resources);
  const found = entries.filter(([k, r]) => r.Type === 'AWS::Lambda::Function' && new RegExp(`^${id}Function[0-9A-F]{8}$`).test(k));
  if (found.length !== 1) throw new Error(`expected one ${id} function in the template, found ${found.length}`);
  const [logicalId, fn] = found[0]!;
  const asset = fn.Metadata?.['aws:asset:path'];
  if (!asset) throw new Error(`${logicalId} has no aws:asset:path metadata: was it synthesized with bundling?`);
  const roleLogicalId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  // The role's inline policy, and the managed policies CDK moves what does not fit it into.
  const statements = entries
    .filter(
      ([, r]) =>
        (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
        ((r.Properties.Roles ?? []) as Array<{ Ref: string }>).some((x) => x.Ref === roleLogicalId),
    )
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Statement[]);
  return {
    id,
    logicalId,
    assetDir: join(synth.dir, asset),
    handler: fn.Properties.Handler,
    runtime: fn.Properties.Runtime,
    timeoutSeconds: fn.Properties.Timeout,
    memoryMb: fn.Properties.MemorySize,
    environment: fn.Properties.Environment?.Variables ?? {},
    logging: fn.Properties.LoggingConfig ?? {},
    roleLogicalId,
    statements,
  };
}

/** Local values of the stack's resources, by the start of their logical id. */
export interface LocalStandIns {
  buckets: { UploadBucket: string; DataBucket: string; ReportBucket: string };
  topicArn?: string;
}

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

export function resolveTokens(value: unknown, local: LocalStandIns, where: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveTokens(v, local, where));
  const o = value as Record<string, unknown>;
  if ('Ref' in o) {
    const ref = String(o.Ref);
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return REGION;
    if (ref === 'AWS::AccountId') return ACCOUNT;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const bucket = bucketOf(ref, local);
    if (bucket) return bucket;
    if (/^AlertsTopic[0-9A-F]{8}$/.test(ref) && local.topicArn) return local.topicArn;
    throw new Error(`${where}: no local stand-in for Ref ${ref}`);
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    const bucket = bucketOf(id, local);
    if (bucket && attr === 'Arn') return `arn:aws:s3:::${bucket}`;
    throw new Error(`${where}: no local stand-in for Fn::GetAtt ${id}.${attr}`);
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveTokens(p, local, where)).join(sep);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveTokens(v, local, where)]));
}

function bucketOf(logicalId: string, local: LocalStandIns): string | undefined {
  const m = /^(UploadBucket|DataBucket|ReportBucket)[0-9A-F]{8}$/.exec(logicalId);
  return m ? local.buckets[m[1] as keyof LocalStandIns['buckets']] : undefined;
}

/**
 * The role's statements that only name S3 actions, resolved: what Ceph RGW can enforce. RGW
 * refuses a policy with any other service in it (logs, SNS, KMS, SQS are not enforced here).
 */
export function s3Statements(fn: DeployedFunction, local: LocalStandIns): Statement[] {
  const out: Statement[] = [];
  for (const s of fn.statements) {
    const actions = [s.Action].flat();
    const s3 = actions.filter((a) => a.startsWith('s3:'));
    if (s3.length === 0) continue;
    if (s3.length !== actions.length)
      throw new Error(`${fn.roleLogicalId}: a statement mixes S3 with other actions (${actions.join(', ')}); RGW could not enforce it`);
    out.push(resolveTokens(s, local, fn.roleLogicalId) as Statement);
  }
  return out;
}

/** The role's statements for one other service (`secretsmanager`), resolved: what its stand-in enforces. */
export function serviceStatements(fn: DeployedFunction, local: LocalStandIns, service: string): Statement[] {
  return fn.statements
    .filter((s) => [s.Action].flat().some((a) => a.startsWith(`${service}:`)))
    .map((s) => resolveTokens(s, local, fn.roleLogicalId) as Statement);
}

/** The statements of a managed policy of the template (`TenantPurgePolicy…`), resolved: what a person given it may do. */
export function managedPolicyStatements(synth: SynthOutput, id: RegExp, local: LocalStandIns): Statement[] {
  const found = Object.entries(synth.template.Resources).filter(([k, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && id.test(k));
  if (found.length !== 1) throw new Error(`expected one managed policy matching ${id}, found ${found.length}`);
  const [logicalId, r] = found[0]!;
  return (r.Properties.PolicyDocument.Statement as Statement[]).map((s) => resolveTokens(s, local, logicalId) as Statement);
}

/** The function's environment as the template sets it, tokens resolved. */
export function templateEnvironment(fn: DeployedFunction, local: LocalStandIns): Record<string, string> {
  return Object.fromEntries(Object.entries(fn.environment).map(([k, v]) => [k, String(resolveTokens(v, local, `${fn.logicalId} ${k}`))]));
}
