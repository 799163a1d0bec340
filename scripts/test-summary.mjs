// Prints the one line CI reads, "N passed, N failed", from vitest's JSON report.
// Usage: node scripts/test-summary.mjs REPORT [EXIT_STATUS_OF_THE_RUN]
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test/artifacts/vitest-report.json';
const status = Number(process.argv[3] ?? 0);
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  let failed =
    r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0);
  // Vitest exits non-zero on unhandled errors (a rejection nobody awaited) while its report says
  // every test passed: that run failed, and the line must say so.
  if (status !== 0 && failed === 0) {
    console.log('vitest failed outside the tests (unhandled errors, see above): counted as one failure');
    failed = 1;
  }
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
  process.exitCode = r.success && failed === 0 ? 0 : 1;
} catch (err) {
  console.log(`no test report at ${file} (${err.message})`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
}
