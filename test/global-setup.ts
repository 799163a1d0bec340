import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Starts one throwaway Ceph RGW (a real S3 server) on a fixed loopback port for the whole run.
 * If it cannot start, the run fails: integration tests never skip.
 */
export const RGW_PORT = 7480;

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-ceph-'));
  const run = (script: string, ...args: string[]) => execFileSync(`scripts/${script}`, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  try {
    run('ensure-test-packages.sh');
    run('ceph-up.sh', dir, String(RGW_PORT));
  } catch (err) {
    run('ceph-down.sh', dir);
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`could not start Ceph RGW for the integration tests: ${e.stderr?.toString().trim() || e.message}`);
  }
  project.provide('s3Endpoint', `http://127.0.0.1:${RGW_PORT}`);
  return () => run('ceph-down.sh', dir);
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
  }
}
