// Shared setup for the benchmarks: a fleet of busybox containers in a
// temporary lxcpath (lxc.net.0.type = empty, to keep them light), started,
// and removed again on exit, also on Ctrl+C. Needs root and LXC.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
/** the compiled project (npm run build), or LXDECK_DIST */
export const DIST = resolve(process.env.LXDECK_DIST ?? join(here, '..', 'dist'));

export function requireDist() {
  if (!existsSync(join(DIST, 'core', 'stats', 'sampler.js'))) {
    console.error(`no build at ${DIST}: run npm run build first (or set LXDECK_DIST)`);
    process.exit(2);
  }
}

export function argValue(flag, dflt) {
  const i = process.argv.indexOf(flag);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const run = (file, args, opts = {}) => String(execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, ...opts }) ?? '');

/**
 * Makes `count` running busybox containers PREFIX00..PREFIXNN in a new lxcpath
 * (or, with `--lxcpath DIR` on the command line, uses the containers already there).
 * `opts.overlay`: the copies are overlay clones of the first (`lxc-copy -s -B overlay`: no rootfs
 * copied, about 40 ms each), for the large fleets, with one tty each (lxc.tty.max = 1); they are
 * destroyed before it.
 * @returns { lxcpath, names, cleanup }
 */
export function makeFleet(count, prefix = 'bench', opts = {}) {
  const existing = argValue('--lxcpath', null);
  if (existing) {
    // reuse a fleet that is already running (not removed afterwards)
    const names = readdirSync(existing).filter((n) => existsSync(join(existing, n, 'config'))).sort();
    console.error(`fleet: reusing ${names.length} containers in ${existing}`);
    return { lxcpath: existing, names, cleanup: () => undefined };
  }
  if (process.getuid?.() !== 0) {
    console.error('the benchmarks need root (real LXC containers)');
    process.exit(2);
  }
  const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-'));
  const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(count > 100 ? 3 : 2, '0')}`);
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const n of names) spawnSync('lxc-stop', ['-P', lxcpath, '-n', n, '-k'], { stdio: 'ignore', timeout: 30_000 });
    // clones before the container they were cloned from (lxc-destroy refuses a base with clones)
    for (const n of [...names].reverse()) spawnSync('lxc-destroy', ['-P', lxcpath, '-n', n], { stdio: 'ignore', timeout: 30_000 });
    rmSync(lxcpath, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => { cleanup(); process.exit(130); });
  process.once('exit', cleanup);
  const t0 = Date.now();
  const base = names[0];
  run('lxc-create', ['-P', lxcpath, '-n', base, '-t', 'busybox']);
  const cfgPath = join(lxcpath, base, 'config');
  // overlay fleets are the large ones: one tty each (busybox's config asks for 5, and the host's
  // devpts runs out of ptys, kernel.pty.max minus kernel.pty.reserve, at about 460 containers)
  const drop = opts.overlay ? /^\s*lxc\.(net\.0\.|tty\.max\b)/ : /^\s*lxc\.net\.0\./;
  const cfg = readFileSync(cfgPath, 'utf8').split('\n').filter((l) => !drop.test(l)).concat(['lxc.net.0.type = empty', ...(opts.overlay ? ['lxc.tty.max = 1'] : []), '']).join('\n');
  writeFileSync(cfgPath, cfg);
  for (const n of names.slice(1)) run('lxc-copy', ['-P', lxcpath, '-n', base, '-N', n, ...(opts.overlay ? ['-s', '-B', 'overlay'] : [])]);
  for (const n of names) run('lxc-start', ['-P', lxcpath, '-n', n, '-d'], { stdio: 'ignore' });
  for (const n of names) run('lxc-wait', ['-P', lxcpath, '-n', n, '-s', 'RUNNING', '-t', '30']);
  console.error(`fleet: ${count} running busybox containers in ${lxcpath} (${((Date.now() - t0) / 1000).toFixed(1)} s to make)`);
  return { lxcpath, names, cleanup };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const TICKS = Number(run('getconf', ['CLK_TCK']).trim());

/** utime + stime + cutime + cstime of a process (its own and its waited-for children's), seconds (/proc/PID/stat fields 14-17, clock ticks) */
export function cpuSeconds(pid) {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
}

/** utime+stime of a process and all its live descendants, seconds */
export function treeCpuSeconds(pid) {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      total += cpuSeconds(p);
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) stack.push(Number(t));
    } catch {
      /* gone */
    }
  }
  return total;
}

/**
 * A remote host for the remote benchmarks: an sshd of its own on loopback
 * (test/helpers/remote-host.mjs), sharing this host's file system so that `lxcpath` (a fleet
 * made by makeFleet) is the same containers locally and over ssh. Removed on exit.
 * @returns the remote host, plus `sshArgs` (the OpenSSH client's options to reach it),
 *   `target` (RemoteLxcBackend's options) and `env` (LXDECK_CONFIG_DIR, LXDECK_KNOWN_HOSTS for the CLI)
 */
export async function makeRemote(lxcpath) {
  const { makeRemoteHost, remoteHostMissing } = await import('../test/helpers/remote-host.mjs');
  const why = remoteHostMissing();
  if (why) {
    console.error(`the remote benchmarks need: ${why}`);
    process.exit(2);
  }
  // this host's network namespace, sshd on loopback: lxc-ls and lxc-info over ssh reach the
  // containers' command sockets (abstract unix sockets, which another network namespace hides)
  const host = await makeRemoteHost({ hostNet: true, lxcpath });
  process.once('exit', () => host.cleanup());
  const knownHosts = join(host.dir, 'known_hosts');
  writeFileSync(knownHosts, host.knownHostsLine);
  const sshArgs = ['-p', String(host.port), '-i', host.identity, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', `root@${host.addr}`];
  const target = { name: 'bench', user: 'root', host: host.addr, port: host.port, identity: host.identity, knownHosts, lxcpath };
  console.error(`remote: own sshd at ${host.addr}:${host.port}, lxcpath ${lxcpath}`);
  return { ...host, knownHosts, sshArgs, target };
}

/** One run of FILE ARGS with ENV added: wall ms from spawn to exit (spawnSync) and stdout; throws when it exits non-zero. */
export function timed(file, args, env) {
  const t = performance.now();
  const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, ...env } });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 400)}`);
  return { ms, stdout: String(r.stdout) };
}
