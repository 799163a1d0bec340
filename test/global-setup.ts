import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * For the integration tests, once per run: the packages they need (scripts/ensure-test-packages.sh),
 * one throwaway Ceph RGW (a real S3 server with STS) on free loopback ports, and the app
 * synthesized by the cdk CLI exactly as `cdk deploy` would (cdk.json's context, esbuild bundles),
 * whose template and assets the tests run. If any of it fails, the run fails: nothing skips.
 */
export const SYNTH_DIR = resolve('test/artifacts/cdk.out');

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-ceph-'));
  const run = (script: string, ...args: string[]) =>
    execFileSync(`scripts/${script}`, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  try {
    run('ensure-test-packages.sh');
    run('ceph-up.sh', dir);
  } catch (err) {
    run('ceph-down.sh', dir);
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`could not start Ceph RGW for the integration tests: ${e.stderr?.toString().trim() || e.message}`);
  }
  try {
    rmSync(SYNTH_DIR, { recursive: true, force: true });
    // With tenants configured for collection (test/fixtures/collect.config.json), so the collector is in the template.
    const context = ['-c', 'rulesFile=test/fixtures/collect.config.json'];
    execFileSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting', ...context, '--output', SYNTH_DIR], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
    });
  } catch (err) {
    run('ceph-down.sh', dir);
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(
      `cdk synth failed, so the deployed functions cannot be tested: ${e.stderr?.toString().trim().slice(-2000) || e.message}`,
    );
  }
  project.provide('s3Endpoint', `http://127.0.0.1:${readFileSync(join(dir, 'rgw.port'), 'utf8').trim()}`);
  project.provide('synthDir', SYNTH_DIR);
  return () => run('ceph-down.sh', dir);
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    synthDir: string;
  }
}
