import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/aws needs a deployed stack: `npm run test:aws` (vitest.aws.config.ts), never `npm test`.
    exclude: ['test/aws/**', 'node_modules/**'],
    // One real S3 server (Ceph RGW) on loopback for the integration tests; see test/global-setup.ts.
    globalSetup: ['test/global-setup.ts'],
    // Property tests and child-process bounds take seconds on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run counts; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: 'test/artifacts/vitest-report.json' },
  },
});
