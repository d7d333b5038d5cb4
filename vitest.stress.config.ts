import { defineConfig } from 'vitest/config';

/** `npm run test:stress`: load, crash, fault and abuse tests against the compiled bot; minutes, not seconds. */
export default defineConfig({
  test: {
    include: ['tests/stress/**/*.stress.test.ts'],
    globalSetup: ['tests/stress/harness/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: each drives a bot process hard, and the figures must not compete.
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
