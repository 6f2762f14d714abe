/**
 * An LXD daemon of a test's own (issue 10, part 3), and a 2-member cluster: the setup itself is
 * test/helpers/lxd-host.mjs (plain JS, so that bench/lxd-list.mjs uses the same daemon, preseed
 * and image); this adds vitest's guards.
 */
import { beforeAll } from 'vitest';
import { lxdAvailable } from './lxd-host.mjs';

export { dnsmasqOf, importBusyboxImage, lxdAvailable, processesNaming, startTestCluster, startTestLxd, type TestCluster, type TestLxd } from './lxd-host.mjs';

/** true when the LXD tests must run: the host can, or CI demands it (then they fail loudly). */
export const RUN_LXD = lxdAvailable().ok || process.env.CI === 'true';

/** Call inside a describe: fails every test of it when the host cannot run LXD (as requireLxc does for LXC). */
export function requireLxd(): void {
  beforeAll(() => {
    const a = lxdAvailable();
    if (!a.ok) throw new Error(`this test needs LXD: ${a.reason}`);
  });
}
