import { defineConfig } from 'vitest/config';

// Tests run real processes, real signals and real load on a 2-core machine:
// files run one at a time so timing-sensitive checks never compete with a
// load test. Container tests have their own config (npm run test:container).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/container/**', 'node_modules/**'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
