import { execFileSync } from 'node:child_process';

/**
 * For the browser tests, once per run: Chromium (and the other test packages) where missing,
 * by scripts/ensure-test-packages.sh. If it cannot be installed, the run fails: nothing skips.
 */
export default function setup() {
  try {
    execFileSync('scripts/ensure-test-packages.sh', { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`could not install Chromium for the browser tests: ${e.stderr?.toString().trim() || e.message}`);
  }
}
