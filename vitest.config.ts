import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // Integration tests drive real LXC containers and bridges on one host:
    // files run one at a time so names, bridges and subnets never race.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/helpers/count-reporter.ts'],
  },
});
