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
      // `npm run test:unit`, the fast loop: pure code and the local data folder; no Ceph, no apt, no browser, no root.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // `npm run test:infra`: the synthesized template (cdk.json's context) and the cdk-nag gate.
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'] } },
      // `npm run test:bounds`: resource bounds (bombs, giant fields), measured in child processes.
      { extends: true, test: { name: 'bounds', include: ['test/bounds/**/*.test.ts'] } },
      // `npm run test:browser`: the dashboard in headless Chromium (installed by the setup where missing).
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: ['test/browser-setup.ts'] } },
      // Real servers on loopback: Ceph RGW (S3, STS), the synthesized functions on Node 24.
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] } },
    ],
  },
});
