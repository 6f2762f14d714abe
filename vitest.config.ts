import { configDefaults, defineConfig } from 'vitest/config';

// Tests that only make sense inside the cgroup v2 qemu guest (lane/run.sh sets
// LXDECK_IN_V2_LANE=1) are not collected on the host at all, so they never show
// up as skipped there.
const inLane = process.env.LXDECK_IN_V2_LANE === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    exclude: [...configDefaults.exclude, ...(inLane ? [] : ['test/**/*guest*.test.{ts,tsx}'])],
    // Integration tests drive real LXC containers and bridges on one host:
    // files run one at a time so names, bridges and subnets never race.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/helpers/count-reporter.ts'],
    // a host state directory (LXDECK_STATE_DIR) of each test file's own: tests never touch /var/lib/lxdeck
    setupFiles: ['./test/helpers/state-dir-setup.ts'],
    globalSetup: ['./test/helpers/state-dir-global.ts'],
  },
});
