// An LXD daemon of a test's (or a benchmark's) own, in plain JS so that bench/*.mjs can load it
// as well as the TypeScript tests (test/helpers/lxd-env.ts re-exports it with vitest's guards),
// as test/helpers/remote-host.mjs is for the sshd host.
//
// `lxd` runs as a child with LXD_DIR in a temporary directory, initialised only by an explicit
// preseed (never `lxd init --auto`, which probes addresses): a `dir` pool in the temp dir, a
// bridge of a unique name on a /24 no route of this host uses (read from the routing table, never
// probed), no IPv6, no NAT or firewall rules; its image-server lookups go to a closed loopback
// proxy. A busybox image is built locally (nothing is downloaded) and imported with
// `lxc image import`. Also a 2-member cluster in network namespaces. Every cleanup removes all
// that was made, even after a failure. Needs root, lxd and lxc (LXD 5.0), dnsmasq, busybox-static.
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A closed loopback port as every proxy: LXD's image-server fetches (and any other) stay off the network. */
const NO_NET_PROXY = 'http://127.0.0.1:9';

/**
 * Runs `file` with an argv array (no shell); never throws for a non-zero exit.
 * @returns {Promise<{ argv: string[], exitCode: number, stdout: string, stderr: string, timedOut: boolean, durationMs: number }>}
 */
export async function run(file, args, opts = {}) {
  const t0 = Date.now();
  const r = await execa(file, args, { env: opts.env, input: opts.input, timeout: opts.timeoutMs ?? 60_000, reject: false, stdin: opts.input === undefined ? 'ignore' : undefined, killSignal: 'SIGKILL' });
  return { argv: [file, ...args], exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), timedOut: r.timedOut === true, durationMs: Date.now() - t0 };
}

async function must(p, what) {
  const r = await p;
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

function which(tool) {
  return ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin'].some((d) => existsSync(join(d, tool)));
}

/** Whether this host can run a test LXD: root, the lxd and lxc programs (apt-get install lxd lxd-client), a static busybox, dnsmasq. */
export function lxdAvailable() {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root' };
  if (!which('lxd')) return { ok: false, reason: 'lxd is not installed (apt-get install lxd)' };
  if (!which('lxc')) return { ok: false, reason: 'lxc (the LXD client) is not installed (apt-get install lxd-client)' };
  if (!which('dnsmasq')) return { ok: false, reason: 'dnsmasq is not installed (apt-get install dnsmasq-base)' };
  if (!existsSync('/bin/busybox')) return { ok: false, reason: 'busybox-static is not installed' };
  return { ok: true, reason: '' };
}

const ipToInt = (s) => s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
const intToIp = (n) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/**
 * A /24 that no route of this host covers (read from `ip -4 route show table all`, never
 * probed), picked at random in 10.100.0.0-10.250.255.0 so that tests of other sessions running
 * at the same time do not take the same one. @returns {{ addr: number, prefix: number }} (addr a uint32)
 */
export function freeSubnet() {
  const out = spawnSync('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout ?? '';
  const taken = [];
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    // a route's type comes first when it is not unicast (local, broadcast, unreachable...)
    const dst = /^\d/.test(f[0] ?? '') ? f[0] : f[1];
    if (!dst || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst)) continue; // default (0/0) picks nothing out
    const [a, p] = dst.split('/');
    taken.push({ addr: ipToInt(a), prefix: p === undefined ? 32 : Number(p) });
  }
  const mask = (p) => (p === 0 ? 0 : (~0 << (32 - p)) >>> 0);
  const overlaps = (x, y) => {
    const p = Math.min(x.prefix, y.prefix);
    return ((x.addr & mask(p)) >>> 0) === ((y.addr & mask(p)) >>> 0);
  };
  for (let i = 0; i < 1000; i++) {
    const c = { addr: ((10 << 24) | (randomInt(100, 251) << 16) | (randomInt(0, 256) << 8)) >>> 0, prefix: 24 };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  throw new Error('no free /24 in 10.100.0.0/16-10.250.255.0/24');
}

/** PIDs of dnsmasq processes whose command line names `lxdDir` (the ones its daemon started). */
export function dnsmasqOf(lxdDir) {
  const out = [];
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
export function processesNaming(dir) {
  const out = [];
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
function mountsUnder(dir) {
  const out = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = f[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (mp === dir || mp.startsWith(`${dir}/`)) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

const tail = (file, n) => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Whether a child (an execa subprocess) still runs: ChildProcess's exitCode and signalCode are null until it ends. */
const running = (d) => d !== undefined && d.exitCode === null && d.signalCode === null;

/** Stops a daemon child: SIGTERM, SIGKILL after 10 s; waits for it. */
async function stopChild(d) {
  if (!running(d)) return;
  d.kill('SIGTERM');
  const t = setTimeout(() => d.kill('SIGKILL'), 10_000);
  await d.catch(() => undefined);
  clearTimeout(t);
}

/** Deletes every instance (forced) and image of the daemon at `env.LXD_DIR`. */
async function emptyDaemon(env) {
  const list = await run('lxc', ['list', '--format', 'csv', '-c', 'n'], { env, timeoutMs: 30_000 });
  const names = list.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  if (names.length) await run('lxc', ['delete', '--force', ...names], { env, timeoutMs: 60_000 + 10_000 * names.length });
  const imgs = await run('lxc', ['image', 'list', '--format', 'csv', '-c', 'f'], { env, timeoutMs: 30_000 });
  for (const f of imgs.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) await run('lxc', ['image', 'delete', f], { env, timeoutMs: 30_000 });
}

/**
 * Starts `lxd --group root --logfile DIR/lxd.log` with LXD_DIR=DIR/lxd, waits for it (`lxd
 * waitready`), and initialises it with a preseed of `bridge` on a free /24 (the gateway .1).
 * @returns the TestLxd (see lxd-host.d.mts)
 * @throws Error with the daemon log's tail when it does not come up (everything made removed first)
 */
export async function startTestLxd(bridge) {
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-lxd-'));
  // an unprivileged container's root (uid 100000+ on the host) must traverse the path to its rootfs
  chmodSync(dir, 0o711);
  const lxdDir = join(dir, 'lxd');
  mkdirSync(lxdDir, { mode: 0o711 });
  const logFile = join(dir, 'lxd.log');
  const env = { LXD_DIR: lxdDir };
  const subnet = freeSubnet();
  let daemon;
  let cleaned = false;
  const logTail = (n = 30) => tail(logFile, n);
  const lxc = (args, opts = {}) => must(run('lxc', args, { env, timeoutMs: opts.timeoutMs ?? 120_000 }), `lxc ${args.join(' ')}`);

  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (running(daemon) && existsSync(join(lxdDir, 'unix.socket'))) {
      // instances first (forced), then images: a daemon that is gone leaves them in the dir
      await emptyDaemon(env);
      await run('lxd', ['shutdown', '--timeout=30'], { env, timeoutMs: 40_000 });
    }
    await stopChild(daemon);
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
    await run('ip', ['link', 'delete', 'dev', bridge]);
    for (const mp of mountsUnder(dir)) await run('umount', ['-l', mp]);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // LXD fetches instance types from an image server at start (and daily) through its proxy
    // setting: a closed loopback port as the proxy keeps that (and any other fetch) off the network
    const noNet = { HTTPS_PROXY: NO_NET_PROXY, HTTP_PROXY: NO_NET_PROXY, https_proxy: '', http_proxy: '', NO_PROXY: '', no_proxy: '' };
    daemon = execa('lxd', ['--group', 'root', '--logfile', logFile], { env: { ...env, ...noNet }, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', reject: false, cleanup: true });
    const ready = await run('lxd', ['waitready', '--timeout=60'], { env, timeoutMs: 70_000 });
    if (ready.exitCode !== 0) throw new Error(`lxd did not come up (waitready exit ${ready.exitCode}: ${ready.stderr.trim()}); its log:\n${logTail()}`);
    const gw = `${intToIp((subnet.addr + 1) >>> 0)}/24`;
    mkdirSync(join(dir, 'pool'));
    const preseed = [
      'config:',
      `  core.proxy_https: ${NO_NET_PROXY}`,
      `  core.proxy_http: ${NO_NET_PROXY}`,
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
    const init = await run('lxd', ['init', '--preseed'], { env, input: preseed, timeoutMs: 120_000 });
    if (init.exitCode !== 0) throw new Error(`lxd init --preseed failed: ${init.stderr.trim()}; its log:\n${logTail()}`);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { dir, lxdDir, socket: join(lxdDir, 'unix.socket'), bridge, subnet, logFile, env, lxc, logTail, cleanup };
}

/**
 * Builds a busybox image in `lxd.dir` (a rootfs with the host's static /bin/busybox and its
 * applet links, /sbin/init -> busybox, an inittab that brings eth0 up with udhcpc against LXD's
 * dnsmasq, and metadata.yaml: architecture x86_64, creation_date) and imports it as `alias`.
 */
export async function importBusyboxImage(lxd, alias) {
  const root = join(lxd.dir, 'img', 'rootfs');
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var/run', 'usr/share/udhcpc']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const applets = await must(run('/bin/busybox', ['--list-full']), 'busybox --list-full');
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
  await must(run('tar', ['-C', join(lxd.dir, 'img'), '-czf', meta, 'metadata.yaml']), 'tar metadata');
  await must(run('tar', ['-C', root, '--numeric-owner', '-czf', rootfs, '.']), 'tar rootfs');
  await lxd.lxc(['image', 'import', meta, rootfs, '--alias', alias]);
}

/**
 * A 2-member LXD cluster of the test's own: each member a daemon in its own network namespace
 * and its own mount namespace with a fresh sysfs mount and the host's cgroup tree under it (so its
 * instances start), the two joined
 * by a veth pair on a /24 no route of this host uses; member 1 bootstrapped and member 2
 * joined with explicit preseeds (the join runs inside member 2's namespace). No bridge, no
 * instance network (instances start with lo only). Image-server fetches go to a closed loopback proxy; member-to-member
 * traffic bypasses it.
 * @returns the TestCluster (see lxd-host.d.mts)
 * @throws Error with the members' log tails when a step fails (everything made is removed first)
 */
export async function startTestCluster(id) {
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-lxdc-'));
  chmodSync(dir, 0o711);
  const subnet = freeSubnet();
  const addresses = [1, 2].map((k) => intToIp((subnet.addr + k) >>> 0));
  const members = ['m1', 'm2'];
  const netns = [`lxdk${id}a`, `lxdk${id}b`];
  const veth = [`lxv${id}a`, `lxv${id}b`];
  const lxdDirs = [join(dir, 'm1'), join(dir, 'm2')];
  const logs = [join(dir, 'm1.log'), join(dir, 'm2.log')];
  const daemons = [];
  const envOf = (k) => ({ LXD_DIR: lxdDirs[k] });
  const noNet = { HTTPS_PROXY: NO_NET_PROXY, HTTP_PROXY: NO_NET_PROXY, https_proxy: '', http_proxy: '', NO_PROXY: addresses.join(','), no_proxy: '' };
  const logTail = (k, n = 20) => tail(logs[k], n);
  const lxc = (args, opts = {}) => must(run('lxc', args, { env: envOf(0), timeoutMs: opts.timeoutMs ?? 120_000 }), `lxc ${args.join(' ')}`);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (existsSync(join(lxdDirs[0], 'unix.socket')) && running(daemons[0])) await emptyDaemon(envOf(0));
    for (const k of [1, 0]) {
      const d = daemons[k];
      if (!running(d)) continue;
      await run('lxd', ['shutdown', '--timeout=20'], { env: envOf(k), timeoutMs: 30_000 });
      await stopChild(d);
    }
    // what the daemons started (forkfile, forkstart...) may still write under dir: wait for it to go
    for (let i = 0; i < 50 && processesNaming(dir).length; i++) await new Promise((r) => setTimeout(r, 200));
    for (const ns of netns) await run('ip', ['netns', 'delete', ns]);
    for (const v of veth) await run('ip', ['link', 'delete', 'dev', v]);
    for (const mp of mountsUnder(dir)) await run('umount', ['-l', mp]);
    rmSync(dir, { recursive: true, force: true });
  };
  const step = async (p, what) => {
    const r = await p;
    if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}\n-- m1 log:\n${logTail(0)}\n-- m2 log:\n${logTail(1)}`);
    return r;
  };
  try {
    for (const ns of netns) await step(run('ip', ['netns', 'add', ns]), `ip netns add ${ns}`);
    await step(run('ip', ['link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1]]), 'ip link add veth');
    for (const k of [0, 1]) {
      await step(run('ip', ['link', 'set', veth[k], 'netns', netns[k]]), 'ip link set netns');
      await step(run('ip', ['-n', netns[k], 'address', 'add', `${addresses[k]}/24`, 'dev', veth[k]]), 'ip address add');
      await step(run('ip', ['-n', netns[k], 'link', 'set', 'lo', 'up']), 'ip link set lo up');
      await step(run('ip', ['-n', netns[k], 'link', 'set', veth[k], 'up']), 'ip link set up');
      mkdirSync(lxdDirs[k], { mode: 0o711 });
      mkdirSync(join(dir, `pool${k + 1}`));
      // the daemon in the member's network namespace and a mount namespace of its own with a fresh
      // sysfs (whose net/ shows that namespace's links), and the host's cgroup tree moved back under
      // it: `ip netns exec` would remount /sys and hide the cgroup mounts, and no instance could start
      const script = ['set -e', 'mkdir -p "$1"', 'mount --rbind /sys/fs/cgroup "$1"', 'mount -t sysfs sysfs /sys', 'mount --move "$1" /sys/fs/cgroup', 'mount -t securityfs securityfs /sys/kernel/security || true', 'shift', 'exec "$@"'].join('\n');
      mkdirSync(join(dir, `cg${k + 1}`));
      daemons[k] = execa('nsenter', [`--net=/run/netns/${netns[k]}`, '--', 'unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh', join(dir, `cg${k + 1}`), 'lxd', '--group', 'root', '--logfile', logs[k]], {
        env: { ...envOf(k), ...noNet },
        stdin: 'ignore',
        stdout: 'ignore',
        stderr: 'ignore',
        reject: false,
        cleanup: true,
      });
    }
    for (const k of [0, 1]) await step(run('lxd', ['waitready', '--timeout=60'], { env: envOf(k), timeoutMs: 70_000 }), `lxd waitready (${members[k]})`);
    const bootstrap = [
      'config:',
      `  core.https_address: ${addresses[0]}:8443`,
      '  core.trust_password: lxdeck-test',
      `  core.proxy_https: ${NO_NET_PROXY}`,
      `  core.proxy_http: ${NO_NET_PROXY}`,
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
    await step(run('ip', ['netns', 'exec', netns[0], 'lxd', 'init', '--preseed'], { env: envOf(0), input: bootstrap, timeoutMs: 120_000 }), 'bootstrap (lxd init --preseed in m1)');
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
    await step(run('ip', ['netns', 'exec', netns[1], 'lxd', 'init', '--preseed'], { env: envOf(1), input: join2, timeoutMs: 180_000 }), 'join (lxd init --preseed in m2)');
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { dir, members, lxdDirs, sockets: [join(lxdDirs[0], 'unix.socket'), join(lxdDirs[1], 'unix.socket')], netns, addresses, lxc, logTail, cleanup };
}
