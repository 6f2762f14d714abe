/**
 * An LXD daemon of a test's own (issue 10, part 3): `lxd` started as a child with LXD_DIR in a
 * temporary directory, initialised only by an explicit preseed (never `lxd init --auto`, which
 * probes addresses): a `dir` pool in the temp dir, a bridge of a unique name on a /24 no route
 * of this host uses (picked from the routing table), no IPv6, no NAT or firewall rules; and a
 * busybox image built locally (nothing is downloaded) and imported with `lxc image import`.
 * Its cleanup removes everything, even after a failure.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll } from 'vitest';
import { ExecaRunner, type RunResult } from '../../core/exec/runner.js';
import { formatCidr, type Cidr } from '../../core/network/ipv4.js';
import { freeTestSubnet } from '../core/setup/free-subnet.js';

const runner = new ExecaRunner();

function which(tool: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin'].some((d) => existsSync(join(d, tool)));
}

/** Whether this host can run a test LXD: root, the lxd and lxc programs (apt-get install lxd lxd-client), a static busybox, dnsmasq. */
export function lxdAvailable(): { ok: boolean; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root' };
  if (!which('lxd')) return { ok: false, reason: 'lxd is not installed (apt-get install lxd)' };
  if (!which('lxc')) return { ok: false, reason: 'lxc (the LXD client) is not installed (apt-get install lxd-client)' };
  if (!which('dnsmasq')) return { ok: false, reason: 'dnsmasq is not installed (apt-get install dnsmasq-base)' };
  if (!existsSync('/bin/busybox')) return { ok: false, reason: 'busybox-static is not installed' };
  return { ok: true, reason: '' };
}

/** true when the LXD tests must run: the host can, or CI demands it (then they fail loudly). */
export const RUN_LXD = lxdAvailable().ok || process.env.CI === 'true';

/** Call inside a describe: fails every test of it when the host cannot run LXD (as requireLxc does for LXC). */
export function requireLxd(): void {
  beforeAll(() => {
    const a = lxdAvailable();
    if (!a.ok) throw new Error(`this test needs LXD: ${a.reason}`);
  });
}

export interface TestLxd {
  /** the temporary directory holding everything (LXD_DIR is its `lxd` folder) */
  dir: string;
  lxdDir: string;
  socket: string;
  bridge: string;
  subnet: Cidr;
  /** the daemon's log file */
  logFile: string;
  /** runs the `lxc` client against this daemon; throws on a non-zero exit */
  lxc(args: string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
  /** the last lines of the daemon's log (for failure messages) */
  logTail(lines?: number): string;
  /** removes instances, images, the daemon, its dnsmasq, the bridge, mounts and the directory; idempotent */
  cleanup(): Promise<void>;
}

async function must(p: Promise<RunResult>, what: string): Promise<RunResult> {
  const r = await p;
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

/** PIDs of dnsmasq processes whose command line names `lxdDir` (the ones its daemon started). */
export function dnsmasqOf(lxdDir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (/(^|\/)dnsmasq$/.test(argv[0]) && argv.some((a) => a.includes(`${lxdDir}/networks/`))) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** PIDs of processes whose command line names `dir` (what a test daemon started). */
export function processesNaming(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(dir)) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo; octal escapes decoded). */
function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp === dir || mp.startsWith(`${dir}/`)) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Starts `lxd --group root --logfile DIR/lxd.log` with LXD_DIR=DIR/lxd, waits for it (`lxd
 * waitready`), and initialises it with a preseed of `bridge` on a free /24 (the gateway .1).
 * @throws Error with the daemon log's tail when it does not come up
 */
export async function startTestLxd(bridge: string): Promise<TestLxd> {
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-lxd-'));
  // an unprivileged container's root (uid 100000+ on the host) must traverse the path to its rootfs
  chmodSync(dir, 0o711);
  const lxdDir = join(dir, 'lxd');
  mkdirSync(lxdDir, { mode: 0o711 });
  const logFile = join(dir, 'lxd.log');
  const env = { LXD_DIR: lxdDir };
  const subnet = await freeTestSubnet();
  let daemon: ResultPromise | undefined;
  let cleaned = false;
  const logTail = (n = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const lxc = (args: string[], opts: { timeoutMs?: number } = {}) => must(runner.run('lxc', args, { env, timeoutMs: opts.timeoutMs ?? 120_000 }), `lxc ${args.join(' ')}`);

  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (daemon && daemon.exitCode === undefined && existsSync(join(lxdDir, 'unix.socket'))) {
      // instances first (forced), then images: a daemon that is gone leaves them in the dir
      const list = await runner.run('lxc', ['list', '--format', 'csv', '-c', 'n'], { env, timeoutMs: 30_000 });
      for (const name of list.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) await runner.run('lxc', ['delete', '--force', name], { env, timeoutMs: 60_000 });
      const imgs = await runner.run('lxc', ['image', 'list', '--format', 'csv', '-c', 'f'], { env, timeoutMs: 30_000 });
      for (const f of imgs.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) await runner.run('lxc', ['image', 'delete', f], { env, timeoutMs: 30_000 });
      await runner.run('lxd', ['shutdown', '--timeout=30'], { env, timeoutMs: 40_000 });
    }
    if (daemon && daemon.exitCode === undefined) {
      daemon.kill('SIGTERM');
      const t = setTimeout(() => daemon?.kill('SIGKILL'), 10_000);
      await daemon.catch(() => undefined);
      clearTimeout(t);
    }
    // LXD's dnsmasq for the bridge outlives the daemon (it is kept across restarts, with no pid
    // file): stop the dnsmasq processes whose command line names this daemon's directory
    for (const pid of dnsmasqOf(lxdDir)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    // what the daemon started (forkstart, lxc monitors...) may still write under dir: wait for it to go
    for (let i = 0; i < 50 && processesNaming(dir).length; i++) await new Promise((r) => setTimeout(r, 200));
    await runner.run('ip', ['link', 'delete', 'dev', bridge]);
    for (const mp of mountsUnder(dir)) await runner.run('umount', ['-l', mp]);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // LXD fetches instance types from an image server at start (and daily) through its proxy
    // setting: a closed loopback port as the proxy keeps that (and any other fetch) off the network
    const noNet = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', https_proxy: '', http_proxy: '', NO_PROXY: '', no_proxy: '' };
    daemon = execa('lxd', ['--group', 'root', '--logfile', logFile], { env: { ...env, ...noNet }, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', reject: false, cleanup: true });
    const ready = await runner.run('lxd', ['waitready', '--timeout=60'], { env, timeoutMs: 70_000 });
    if (ready.exitCode !== 0) throw new Error(`lxd did not come up (waitready exit ${ready.exitCode}: ${ready.stderr.trim()}); its log:\n${logTail()}`);
    const gw = formatCidr({ addr: (subnet.addr + 1) >>> 0, prefix: 24 });
    mkdirSync(join(dir, 'pool'));
    const preseed = [
      'config:',
      '  core.proxy_https: http://127.0.0.1:9',
      '  core.proxy_http: http://127.0.0.1:9',
      '  images.auto_update_interval: "0"',
      'storage_pools:',
      '- name: default',
      '  driver: dir',
      '  config:',
      `    source: ${join(dir, 'pool')}`,
      'networks:',
      `- name: ${bridge}`,
      '  type: bridge',
      '  config:',
      `    ipv4.address: ${gw}`,
      '    ipv4.nat: "false"',
      '    ipv4.firewall: "false"',
      '    ipv6.address: none',
      'profiles:',
      '- name: default',
      '  devices:',
      '    root: {path: /, pool: default, type: disk}',
      `    eth0: {name: eth0, network: ${bridge}, type: nic}`,
      '',
    ].join('\n');
    const init = await runner.run('lxd', ['init', '--preseed'], { env, input: preseed, timeoutMs: 120_000 });
    if (init.exitCode !== 0) throw new Error(`lxd init --preseed failed: ${init.stderr.trim()}; its log:\n${logTail()}`);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { dir, lxdDir, socket: join(lxdDir, 'unix.socket'), bridge, subnet, logFile, lxc, logTail, cleanup };
}

/**
 * Builds a busybox image in `dir` (a rootfs with the host's static /bin/busybox and its applet
 * links, /sbin/init -> busybox, an inittab that brings eth0 up with udhcpc against LXD's
 * dnsmasq, and metadata.yaml: architecture x86_64, creation_date) and imports it as `alias`.
 */
export async function importBusyboxImage(lxd: Pick<TestLxd, 'dir' | 'lxc'>, alias: string): Promise<void> {
  const root = join(lxd.dir, 'img', 'rootfs');
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var/run', 'usr/share/udhcpc']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const applets = await must(runner.run('/bin/busybox', ['--list-full']), 'busybox --list-full');
  for (const a of applets.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
    const p = join(root, a);
    if (existsSync(p)) continue;
    mkdirSync(dirname(p), { recursive: true });
    symlinkSync('/bin/busybox', p);
  }
  if (!existsSync(join(root, 'sbin/init'))) symlinkSync('/bin/busybox', join(root, 'sbin/init'));
  writeFileSync(
    join(root, 'etc/inittab'),
    ['::sysinit:/bin/mkdir -p /run /tmp', '::sysinit:/sbin/ip link set lo up', '::sysinit:/sbin/udhcpc -b -i eth0 -s /usr/share/udhcpc/default.script', '::ctrlaltdel:/sbin/reboot', ''].join('\n'),
  );
  writeFileSync(
    join(root, 'usr/share/udhcpc/default.script'),
    [
      '#!/bin/sh',
      'case "$1" in',
      '  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;',
      '  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface"; [ -n "$router" ] && ip route add default via "${router%% *}" ;;',
      'esac',
      'exit 0',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  writeFileSync(join(root, 'etc/hostname'), 'busybox\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(
    join(lxd.dir, 'img', 'metadata.yaml'),
    ['architecture: x86_64', `creation_date: ${Math.floor(Date.now() / 1000)}`, 'properties:', '  description: lxdeck test busybox', '  os: busybox', ''].join('\n'),
  );
  const meta = join(lxd.dir, 'meta.tar.gz');
  const rootfs = join(lxd.dir, 'rootfs.tar.gz');
  await must(runner.run('tar', ['-C', join(lxd.dir, 'img'), '-czf', meta, 'metadata.yaml']), 'tar metadata');
  await must(runner.run('tar', ['-C', root, '--numeric-owner', '-czf', rootfs, '.']), 'tar rootfs');
  await lxd.lxc(['image', 'import', meta, rootfs, '--alias', alias]);
}

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

/**
 * A 2-member LXD cluster of the test's own: each member a daemon in its own network namespace
 * (`ip netns exec` gives it its own mount namespace with a fresh sysfs mount), the two joined
 * by a veth pair on a /24 no route of this host uses; member 1 bootstrapped and member 2
 * joined with explicit preseeds (the join runs inside member 2's namespace). No bridge, no
 * instance network: instances are made, not started (the members' fresh /sys has no cgroups).
 * Image-server fetches go to a closed loopback proxy; member-to-member traffic bypasses it.
 * @throws Error with the members' log tails when a step fails (everything made is removed first)
 */
export async function startTestCluster(id: string): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-lxdc-'));
  chmodSync(dir, 0o711);
  const subnet = await freeTestSubnet();
  const addresses: [string, string] = [1, 2].map((k) => formatCidr({ addr: (subnet.addr + k) >>> 0, prefix: 32 }).replace(/\/32$/, '')) as [string, string];
  const members: [string, string] = ['m1', 'm2'];
  const netns: [string, string] = [`lxdk${id}a`, `lxdk${id}b`];
  const veth: [string, string] = [`lxv${id}a`, `lxv${id}b`];
  const lxdDirs: [string, string] = [join(dir, 'm1'), join(dir, 'm2')];
  const logs: [string, string] = [join(dir, 'm1.log'), join(dir, 'm2.log')];
  const daemons: ResultPromise[] = [];
  const envOf = (k: 0 | 1) => ({ LXD_DIR: lxdDirs[k] });
  const noNet = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', https_proxy: '', http_proxy: '', NO_PROXY: addresses.join(','), no_proxy: '' };
  const logTail = (k: 0 | 1, n = 20) => {
    try {
      return readFileSync(logs[k], 'utf8').trimEnd().split('\n').slice(-n).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const lxc = (args: string[], opts: { timeoutMs?: number } = {}) => must(runner.run('lxc', args, { env: envOf(0), timeoutMs: opts.timeoutMs ?? 120_000 }), `lxc ${args.join(' ')}`);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (existsSync(join(lxdDirs[0], 'unix.socket')) && daemons[0]?.exitCode === undefined) {
      const list = await runner.run('lxc', ['list', '--format', 'csv', '-c', 'n'], { env: envOf(0), timeoutMs: 30_000 });
      for (const name of list.stdout.split('\n').map((x) => x.trim()).filter(Boolean)) await runner.run('lxc', ['delete', '--force', name], { env: envOf(0), timeoutMs: 60_000 });
      const imgs = await runner.run('lxc', ['image', 'list', '--format', 'csv', '-c', 'f'], { env: envOf(0), timeoutMs: 30_000 });
      for (const f of imgs.stdout.split('\n').map((x) => x.trim()).filter(Boolean)) await runner.run('lxc', ['image', 'delete', f], { env: envOf(0), timeoutMs: 30_000 });
    }
    for (const k of [1, 0] as const) {
      const d = daemons[k];
      if (!d || d.exitCode !== undefined) continue;
      await runner.run('lxd', ['shutdown', '--timeout=20'], { env: envOf(k), timeoutMs: 30_000 });
      if (d.exitCode === undefined) {
        d.kill('SIGTERM');
        const t = setTimeout(() => d.kill('SIGKILL'), 10_000);
        await d.catch(() => undefined);
        clearTimeout(t);
      }
    }
    // what the daemons started (forkfile, forkstart...) may still write under dir: wait for it to go
    for (let i = 0; i < 50 && processesNaming(dir).length; i++) await new Promise((r) => setTimeout(r, 200));
    for (const ns of netns) await runner.run('ip', ['netns', 'delete', ns]);
    for (const v of veth) await runner.run('ip', ['link', 'delete', 'dev', v]);
    for (const mp of mountsUnder(dir)) await runner.run('umount', ['-l', mp]);
    rmSync(dir, { recursive: true, force: true });
  };
  const step = async (p: Promise<RunResult>, what: string) => {
    const r = await p;
    if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}\n-- m1 log:\n${logTail(0)}\n-- m2 log:\n${logTail(1)}`);
    return r;
  };
  try {
    for (const ns of netns) await step(runner.run('ip', ['netns', 'add', ns]), `ip netns add ${ns}`);
    await step(runner.run('ip', ['link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1]]), 'ip link add veth');
    for (const k of [0, 1] as const) {
      await step(runner.run('ip', ['link', 'set', veth[k], 'netns', netns[k]]), 'ip link set netns');
      await step(runner.run('ip', ['-n', netns[k], 'address', 'add', `${addresses[k]}/24`, 'dev', veth[k]]), 'ip address add');
      await step(runner.run('ip', ['-n', netns[k], 'link', 'set', 'lo', 'up']), 'ip link set lo up');
      await step(runner.run('ip', ['-n', netns[k], 'link', 'set', veth[k], 'up']), 'ip link set up');
      mkdirSync(lxdDirs[k], { mode: 0o711 });
      mkdirSync(join(dir, `pool${k + 1}`));
      daemons[k] = execa('ip', ['netns', 'exec', netns[k], 'lxd', '--group', 'root', '--logfile', logs[k]], { env: { ...envOf(k), ...noNet }, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', reject: false, cleanup: true });
    }
    for (const k of [0, 1] as const) await step(runner.run('lxd', ['waitready', '--timeout=60'], { env: envOf(k), timeoutMs: 70_000 }), `lxd waitready (${members[k]})`);
    const bootstrap = [
      'config:',
      `  core.https_address: ${addresses[0]}:8443`,
      '  core.trust_password: lxdeck-test',
      '  core.proxy_https: http://127.0.0.1:9',
      '  core.proxy_http: http://127.0.0.1:9',
      `  core.proxy_ignore_hosts: ${addresses.join(',')}`,
      '  images.auto_update_interval: "0"',
      'cluster:',
      `  server_name: ${members[0]}`,
      '  enabled: true',
      'storage_pools:',
      '- name: local',
      '  driver: dir',
      '  config:',
      `    source: ${join(dir, 'pool1')}`,
      'profiles:',
      '- name: default',
      '  devices:',
      '    root: {path: /, pool: local, type: disk}',
      '',
    ].join('\n');
    await step(runner.run('ip', ['netns', 'exec', netns[0], 'lxd', 'init', '--preseed'], { env: envOf(0), input: bootstrap, timeoutMs: 120_000 }), 'bootstrap (lxd init --preseed in m1)');
    const cert = readFileSync(join(lxdDirs[0], 'cluster.crt'), 'utf8').trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
    const join2 = [
      'cluster:',
      '  enabled: true',
      `  server_name: ${members[1]}`,
      `  server_address: ${addresses[1]}:8443`,
      `  cluster_address: ${addresses[0]}:8443`,
      '  cluster_certificate: |',
      cert,
      '  cluster_password: lxdeck-test',
      '  member_config:',
      '  - entity: storage-pool',
      '    name: local',
      '    key: source',
      `    value: ${join(dir, 'pool2')}`,
      '',
    ].join('\n');
    await step(runner.run('ip', ['netns', 'exec', netns[1], 'lxd', 'init', '--preseed'], { env: envOf(1), input: join2, timeoutMs: 180_000 }), 'join (lxd init --preseed in m2)');
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { dir, members, lxdDirs, sockets: [join(lxdDirs[0], 'unix.socket'), join(lxdDirs[1], 'unix.socket')], netns, addresses, lxc, logTail, cleanup };
}
