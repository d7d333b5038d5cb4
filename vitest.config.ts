import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The stress suite runs on its own (npm run test:stress); the real-endpoint suite from
    // scripts/python-endpoint-tests.sh, which builds the Python environment it needs.
    exclude: ['tests/stress/**', 'tests/python-e2e/**', '**/node_modules/**'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
