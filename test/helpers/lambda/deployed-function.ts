import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SessionCredentials } from './iam.ts';
import { startRuntimeApi, type Outcome } from './runtime-api.ts';
import { ACCOUNT, REGION, templateEnvironment, type DeployedFunction, type LocalStandIns } from './template.ts';

/** AWS's runtime interface client and Node 24, installed apart from the project (test/lambda-runtime/). */
const RUNTIME_DIR = resolve('test/lambda-runtime/node_modules');
export const NODE24 = join(RUNTIME_DIR, 'node/bin/node');
const RIC = join(RUNTIME_DIR, 'aws-lambda-ric/index.mjs');

export interface RunningFunction {
  name: string;
  invoke(event: unknown): Promise<Outcome>;
  /** Everything the function process wrote (stdout and stderr), line by line. */
  logs: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  local: LocalStandIns;
  /** A session of the function's role (assumeFunctionRole): what Lambda puts in the environment. */
  credentials: SessionCredentials;
  endpoints: { s3: string; sns?: string };
  /** Variables that differ from the template's on purpose; each caller says why. */
  override?: Record<string, string>;
}

/**
 * Runs one synthesized asset the way Lambda's managed Node.js runtime does: AWS's runtime
 * interface client (aws-lambda-ric) on Node 24 loads `index.handler` from the asset folder named
 * in the template, pulls invocations from a Runtime API on loopback and calls the handler with
 * (event, context). The environment is what Lambda defines for a function, the template's
 * variables with their tokens resolved, the role session's credentials, and the local endpoints.
 */
export async function startDeployedFunction(fn: DeployedFunction, options: StartOptions): Promise<RunningFunction> {
  for (const file of [NODE24, RIC])
    if (!existsSync(file))
      throw new Error(`${file} is missing: scripts/ensure-test-packages.sh installs test/lambda-runtime/ (npm ci there)`);
  const version = spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (fn.runtime !== `nodejs${version.slice(1).split('.')[0]}.x`)
    throw new Error(`the template asks for ${fn.runtime}; the harness has Node ${version}`);
  const api = await startRuntimeApi();
  const name = `Mailflow-${fn.logicalId}`;
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    _HANDLER: fn.handler,
    LAMBDA_TASK_ROOT: fn.assetDir,
    LAMBDA_RUNTIME_DIR: join(RUNTIME_DIR, 'aws-lambda-ric'),
    AWS_LAMBDA_RUNTIME_API: api.address,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `2026/12/01/[$LATEST]${Date.now().toString(16)}`,
    ...(fn.logging.LogFormat === 'JSON'
      ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: fn.logging.ApplicationLogLevel ?? 'INFO' }
      : {}),
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: options.credentials.sessionToken,
    ...templateEnvironment(fn, options.local),
    // The local stand-ins: SDK endpoints, and the two settings Ceph RGW needs (path-style, unquoted If-Match).
    AWS_ENDPOINT_URL_S3: options.endpoints.s3,
    ...(options.endpoints.sns ? { AWS_ENDPOINT_URL_SNS: options.endpoints.sns } : {}),
    MAILFLOW_S3_FORCE_PATH_STYLE: 'true',
    MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true',
    ...options.override,
  };
  const child = spawn(NODE24, [RIC, fn.handler], { cwd: fn.assetDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      logs.push(...lines.filter(Boolean));
    });
  }
  let exited: Outcome | null = null;
  const exit = new Promise<Outcome>((r) =>
    child.on('exit', (code, signal) =>
      r(
        (exited = {
          ok: false,
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: `the runtime process exited (code ${code}, signal ${signal}); its output:\n${logs.slice(-20).join('\n')}`,
          },
        }),
      ),
    ),
  );
  return {
    name,
    logs,
    async invoke(event) {
      if (exited) return exited;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<Outcome>(
        (r) =>
          (timer = setTimeout(
            () =>
              r({
                ok: false,
                error: { errorType: 'Sandbox.Timedout', errorMessage: `no answer within the function's ${fn.timeoutSeconds} s` },
              }),
            fn.timeoutSeconds * 1000 + 5000,
          )),
      );
      try {
        return await Promise.race([
          api.invoke(event, { timeoutMs: fn.timeoutSeconds * 1000, functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}` }),
          exit,
          timedOut,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop() {
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
      await api.close();
    },
  };
}
