import { defineConfig } from 'vitest/config';

// `npm run test:aws`: the opt-in tests against a stack deployed in a real AWS account.
export default defineConfig({ test: { include: ['test/aws/**/*.test.ts'], testTimeout: 300_000 } });
