// Prints the one line CI reads, "N passed, N failed", from vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test/artifacts/vitest-report.json';
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const failed =
    r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0);
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
  process.exitCode = r.success && failed === 0 ? 0 : 1;
} catch (err) {
  console.log(`no test report at ${file} (${err.message})`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
}
