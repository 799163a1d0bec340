import { createHash } from 'node:crypto';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { inject } from 'vitest';
import { createS3Client } from '../../../functions/adapters/s3-client.ts';
import { s3Statements, REGION, type DeployedFunction, type LocalStandIns, type Statement } from './template.ts';

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The run's RGW user that owns the buckets (and manages roles), and the one that assumes them. */
export const OWNER = { accessKeyId: 'test', secretAccessKey: 'testsecret' };
const ASSUMER = { accessKeyId: 'lambda', secretAccessKey: 'lambdasecret', uid: 'lambda' };

const roles = new Map<string, Promise<string>>();

/**
 * Credentials of a session of the function's role, as Lambda hands them to a function, where the
 * role's policy is exactly the S3 statements the synthesized template gives it (or those minus
 * `drop`, for negative controls). Ceph RGW evaluates them like AWS: a missing grant is a 403.
 */
export async function assumeFunctionRole(
  fn: DeployedFunction,
  local: LocalStandIns,
  options: { drop?: (s: Statement) => boolean } = {},
): Promise<SessionCredentials> {
  return assumePolicy(
    fn.id,
    s3Statements(fn, local).filter((s) => !options.drop?.(s)),
  );
}

/** Credentials of a session of a role (made once per policy) whose policy is exactly `statements`. */
export async function assumePolicy(id: string, statements: Statement[]): Promise<SessionCredentials> {
  const document = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const name = `mailflow-${id.toLowerCase()}-${createHash('sha256').update(document).digest('hex').slice(0, 16)}`;
  const endpoint = inject('s3Endpoint');
  let role = roles.get(name);
  if (!role) {
    role = (async () => {
      const iam = new IAMClient({ endpoint, region: REGION, credentials: OWNER });
      const trust = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam:::user/${ASSUMER.uid}`] }, Action: ['sts:AssumeRole'] }],
      };
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust), Path: '/' }));
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'template', PolicyDocument: document }));
      return `arn:aws:iam:::role/${name}`;
    })();
    roles.set(name, role);
  }
  const sts = new STSClient({ endpoint, region: REGION, credentials: ASSUMER });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: await role, RoleSessionName: `${id}-${Date.now()}`, DurationSeconds: 3600 }),
  );
  return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
}

/** Runs `fn` with the session's credentials (and `extra`) in the environment, as the CLI finds them; restored after. */
export async function withSession<T>(credentials: SessionCredentials, extra: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    ...extra,
  });
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

/** An S3 client with the function role's credentials (the tests' in-process runs). */
export async function roleS3Client(
  fn: DeployedFunction,
  local: LocalStandIns,
  options: { endpoint?: string; maxAttempts?: number; drop?: (s: Statement) => boolean } = {},
) {
  const credentials = await assumeFunctionRole(fn, local, options);
  return createS3Client({
    endpoint: options.endpoint ?? inject('s3Endpoint'),
    forcePathStyle: true,
    credentials,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
}
