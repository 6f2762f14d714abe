// A second "host" for tests and benchmarks (plain JS so bench/*.mjs can load it too): a network
// namespace of its own (a veth pair to it, a /30 of a subnet no route uses), optionally a mount
// namespace of its own whose lxcpath is a tmpfs the real host never sees, and its own sshd (host
// key and authorized_keys generated here) listening only on the namespace's address.
//
// The namespaces are held by a `sleep` (nsenter --net into the netns, then unshare -m when
// private), and sshd is started into both with nsenter: so a restarted sshd sees the same
// lxcpath mount as the one killed. (`ip netns exec` is not used: it remounts /sys, which hides
// the cgroup mounts LXC needs.) Needs root, iproute2, util-linux, openssh-server.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

const sh = (file, args) => execFileSync(file, args, { encoding: 'utf8', timeout: 60_000 });
const quiet = (file, args) => {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 60_000 });
  } catch {
    /* best effort in cleanup */
  }
};

/** The first tool of the remote host that is missing, as a reason; null when all are there. */
export function remoteHostMissing() {
  for (const t of ['ssh-keygen', 'nsenter', 'unshare', 'ip']) {
    try {
      execFileSync('which', [t], { stdio: 'ignore' });
    } catch {
      return `${t} is not installed`;
    }
  }
  if (!existsSync(SSHD)) return 'sshd is not installed (apt-get install openssh-server)';
  return null;
}

/** Polls `check` every 50 ms, `tries` times at most (a bound by count, never a timed assertion). */
export async function waitFor(what, check, tries = 200) {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A random 10.100-250.x.0/24 that no route or address of this host uses (read from `ip -4 route`), as [a, b, c]. */
function freeSubnet() {
  const used = sh('ip', ['-4', '-o', 'route', 'show', 'table', 'all']) + sh('ip', ['-4', '-o', 'addr']);
  for (let i = 0; i < 1000; i++) {
    const b = 100 + Math.floor(Math.random() * 151);
    const c = Math.floor(Math.random() * 256);
    if (!used.includes(`10.${b}.${c}.`) && !used.includes(`10.${b}.0.0/16`) && !used.includes(`10.0.0.0/8`)) return [10, b, c];
  }
  throw new Error('no free 10.x.y.0/24 for the remote host');
}

/**
 * Makes the remote host and starts its sshd. Everything it makes is removed by `cleanup()`
 * (containers of its lxcpath, sshd, the holder, veth, netns, the temporary directory).
 * @param opts.id short unique suffix for interface and namespace names (<= 6 characters)
 * @param opts.privateMount true: the lxcpath is a tmpfs in a mount namespace of its own; false: the
 *   host's own file system (the same containers seen locally and over ssh, for benchmarks)
 * @param opts.lxcpath with privateMount false: the lxcpath the remote is given (default a new directory)
 * @returns {{ dir, lxcpath, addr, port, holderPid, env, url, identity, knownHostsLine, startSshd, killSshd, sshdPids, inRemote, cleanup }}
 */
export async function makeRemoteHost(opts = {}) {
  const id = opts.id ?? randomBytes(3).toString('hex');
  // hostNet: sshd in this host's network namespace on loopback (benchmarks: lxc-* over ssh must
  // reach the containers' command sockets, abstract unix sockets that a network namespace hides)
  const hostNet = opts.hostNet === true;
  const privateMount = !hostNet && opts.privateMount !== false;
  let sshdPid = 0;
  const NS = `lxdk-rm-${id}`;
  const HOST_IF = `lxdh${id}`;
  const NS_IF = `lxdn${id}`;
  const port = hostNet ? 20000 + Math.floor(Math.random() * 20000) : 2222;
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-remote-'));
  const lxcpath = opts.lxcpath ?? join(dir, 'lxc');
  mkdirSync(lxcpath, { recursive: true });
  let holder = null;
  let madeRunSshd = false;
  let sshdRuns = 0;
  let made = { ns: false, link: false };

  const sshdPids = () => {
    if (hostNet) return sshdPid ? [sshdPid] : [];
    let pids = [];
    try {
      pids = sh('ip', ['netns', 'pids', NS]).split('\n').filter(Boolean);
    } catch {
      return [];
    }
    return pids.map(Number).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd';
      } catch {
        return false;
      }
    });
  };
  const inRemote = (args) => {
    if (holder?.pid) quiet('nsenter', ['-t', String(holder.pid), ...(privateMount ? ['-m'] : []), '-n', ...args]);
  };
  const killSshd = () => {
    for (const p of sshdPids()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return; // idempotent: a benchmark calls it in finally and again on exit
    cleaned = true;
    if (privateMount && holder?.pid) {
      let names = [];
      try {
        names = sh('nsenter', ['-t', String(holder.pid), '-m', 'ls', lxcpath]).split('\n').filter(Boolean);
      } catch {
        /* gone */
      }
      for (const n of names) {
        inRemote(['lxc-stop', '-P', lxcpath, '-n', n, '-k']);
        inRemote(['lxc-destroy', '-P', lxcpath, '-n', n]);
      }
    }
    killSshd();
    if (holder?.pid) {
      try {
        process.kill(holder.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (made.link) quiet('ip', ['link', 'delete', 'dev', HOST_IF]);
    if (made.ns) quiet('ip', ['netns', 'delete', NS]);
    if (madeRunSshd) {
      try {
        if (readdirSync('/run/sshd').length === 0) rmdirSync('/run/sshd');
      } catch {
        /* in use or gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const startSshd = async () => {
    const log = join(dir, `sshd-${++sshdRuns}.log`);
    const fd = openSync(log, 'w');
    const argv = hostNet ? [SSHD, '-D', '-e', '-f', join(dir, 'sshd_config')] : ['nsenter', '-t', String(holder.pid), ...(privateMount ? ['-m'] : []), '-n', SSHD, '-D', '-e', '-f', join(dir, 'sshd_config')];
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
    sshdPid = p.pid;
    closeSync(fd);
    p.unref();
    await waitFor(`sshd to listen (${log})`, () => /Server listening on/.test(readFileSync(log, 'utf8')) || p.exitCode !== null);
    if (p.exitCode !== null) throw new Error(`sshd exited: ${readFileSync(log, 'utf8')}`);
  };

  try {
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'hostkey')]);
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'id_ed25519')]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id_ed25519.pub')), { mode: 0o600 });
    const [a, b, c] = hostNet ? [127, 0, 0] : freeSubnet();
    const hostAddr = `${a}.${b}.${c}.1`;
    const addr = hostNet ? '127.0.0.1' : `${a}.${b}.${c}.2`;
    if (!hostNet) {
    sh('ip', ['netns', 'add', NS]);
    made.ns = true;
    sh('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF]);
    made.link = true;
    sh('ip', ['link', 'set', NS_IF, 'netns', NS]);
    sh('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', HOST_IF]);
    sh('ip', ['link', 'set', HOST_IF, 'up']);
    sh('ip', ['-n', NS, 'addr', 'add', `${addr}/30`, 'dev', NS_IF]);
    sh('ip', ['-n', NS, 'link', 'set', NS_IF, 'up']);
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    }
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `ListenAddress ${addr}:${port}`,
        `HostKey ${join(dir, 'hostkey')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PrintMotd no',
        'MaxSessions 100',
        'MaxStartups 100',
        'LogLevel INFO',
        '',
      ].join('\n'),
    );
    if (!existsSync('/run/sshd')) {
      mkdirSync('/run/sshd', { mode: 0o755 });
      madeRunSshd = true;
    }
    const inner = privateMount
      ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o mode=0755 lxdeck-remote "$1" && exec sleep infinity', 'sh', lxcpath]
      : ['sleep', 'infinity'];
    holder = hostNet ? spawn(inner[0], inner.slice(1), { stdio: 'ignore', detached: true }) : spawn('nsenter', [`--net=/run/netns/${NS}`, '--', ...inner], { stdio: 'ignore', detached: true });
    holder.unref();
    await waitFor('the remote host holder', () => {
      try {
        if (readFileSync(`/proc/${holder.pid}/comm`, 'utf8').trim() !== 'sleep') return false;
        return !privateMount || readFileSync(`/proc/${holder.pid}/mountinfo`, 'utf8').includes(` ${lxcpath} `);
      } catch {
        return false;
      }
    });
    await startSshd();
    const knownHostsLine = `[${addr}]:${port} ${readFileSync(join(dir, 'hostkey.pub'), 'utf8')}`;
    return {
      dir,
      lxcpath,
      addr,
      port,
      holderPid: holder.pid,
      url: `ssh://root@${addr}:${port}`,
      identity: join(dir, 'id_ed25519'),
      knownHostsLine,
      env: { LXDECK_CONFIG_DIR: join(dir, 'config'), LXDECK_KNOWN_HOSTS: join(dir, 'known_hosts'), SSH_AUTH_SOCK: undefined, HOME: dir },
      startSshd,
      killSshd,
      sshdPids,
      inRemote,
      cleanup,
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
