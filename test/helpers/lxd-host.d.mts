/** Types of test/helpers/lxd-host.mjs (see there). */
import type { RunResult } from '../../core/exec/runner.js';
import type { Cidr } from '../../core/network/ipv4.js';

export function run(file: string, args: string[], opts?: { env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<RunResult>;
export function lxdAvailable(): { ok: boolean; reason: string };
export function freeSubnet(): Cidr;
/** PIDs of dnsmasq processes whose command line names `lxdDir` (the ones its daemon started). */
export function dnsmasqOf(lxdDir: string): number[];
/** PIDs of processes whose command line names `dir` (what a test daemon started). */
export function processesNaming(dir: string): number[];

export interface TestLxd {
  /** the temporary directory holding everything (LXD_DIR is its `lxd` folder) */
  dir: string;
  lxdDir: string;
  socket: string;
  bridge: string;
  subnet: Cidr;
  /** the daemon's log file */
  logFile: string;
  /** { LXD_DIR } for LXD's `lxc` client and lxdeck */
  env: { LXD_DIR: string };
  /** runs the `lxc` client against this daemon; throws on a non-zero exit */
  lxc(args: string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
  /** the last lines of the daemon's log (for failure messages) */
  logTail(lines?: number): string;
  /** removes instances, images, the daemon, its dnsmasq, the bridge, mounts and the directory; idempotent */
  cleanup(): Promise<void>;
}
export function startTestLxd(bridge: string): Promise<TestLxd>;
export function importBusyboxImage(lxd: Pick<TestLxd, 'dir' | 'lxc'>, alias: string): Promise<void>;

export interface TestCluster {
  dir: string;
  /** member names, in join order: m1 bootstrapped the cluster, m2 joined it */
  members: [string, string];
  /** LXD_DIR of each member */
  lxdDirs: [string, string];
  /** the unix socket of each member (the host reaches both: they are files, not addresses) */
  sockets: [string, string];
  /** each member's network namespace */
  netns: [string, string];
  /** each member's cluster address (on the veth pair) */
  addresses: [string, string];
  /** runs `lxc` against member 1 */
  lxc(args: string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
  logTail(member: 0 | 1, lines?: number): string;
  cleanup(): Promise<void>;
}
export function startTestCluster(id: string): Promise<TestCluster>;
