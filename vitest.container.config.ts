import { defineConfig } from 'vitest/config';

// Tests against a real Docker engine (npm run test:container). globalSetup
// builds the images first; files run one at a time (real load and timing,
// shared host ports), and a missing engine fails under CI=true.
export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    globalSetup: ['test/container/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
