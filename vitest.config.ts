import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Property tests and child-process bounds take seconds on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The JSON report is what .ci/run counts; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: 'test/artifacts/vitest-report.json' },
    projects: [
      // `npm run test:unit`: no Ceph, no browser, no root (the template tests and the nag gate included).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'] } },
      // Real servers on loopback: Ceph RGW (S3, STS), Chromium, the synthesized functions on Node 24.
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] } },
    ],
  },
});
