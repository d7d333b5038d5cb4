import { defineConfig } from 'vitest/config';

/**
 * The bot against the real Python MoE endpoint (tests/python-e2e). Run by
 * scripts/python-endpoint-tests.sh, which builds the endpoint's environment and sets
 * MOE_ENDPOINT_PYTHON; not part of the plain vitest run.
 */
export default defineConfig({
  test: {
    include: ['tests/python-e2e/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
