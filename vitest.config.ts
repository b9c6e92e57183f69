import { defineConfig } from 'vitest/config';

// Two projects: pure domain rules run without any I/O; integration tests share one
// PostgreSQL started (or reached through TEST_DATABASE_URL) by the global setup.
export default defineConfig({
  // graphql 16 has no "exports" map: Node (and the Pothos/Yoga packages it loads) gets its CommonJS
  // build, while Vite would pick the "module" build; two realms break `instanceof`. One entry for all.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
