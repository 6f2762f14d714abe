import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { join, normalize, posix } from 'node:path';
import { LxdeckError } from '../../core/errors.js';
import type { Runner } from '../../core/exec/runner.js';
import { mkdirInRootfs, writeFileInRootfs } from '../../core/rootfs/safe-write.js';

/**
 * Reading and checking files of a rootfs from the host, the way the container
 * would see them: symlinks are resolved against the rootfs (as under chroot),
 * never against the host's `/`, and reads never follow a link out of it (case T1:
 * a rootfs is an untrusted tree; reading /etc/shadow through a link to the
 * host's would copy host secrets into the container).
 */

function parts(rel: string): string[] {
  return normalize(`/${rel}`).split('/').filter(Boolean);
}

/**
 * Resolves `rel` inside `rootfs` as the container would (absolute link targets
 * are relative to the rootfs, `..` stops at its top), at most 40 links deep like the kernel.
 * @returns the host path of what `rel` names in the container, or null when it does not exist.
 */
export function resolveInRootfs(rootfs: string, rel: string): string | null {
  let todo = parts(rel);
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const p = join(rootfs, ...done, c);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) {
      if (++links > 40) return null;
      const t = readlinkSync(p);
      if (t.startsWith('/')) done.length = 0;
      todo = [...t.split('/').filter(Boolean), ...todo];
      continue;
    }
    done.push(c);
  }
  return join(rootfs, ...done);
}

/** True when `rel` names an existing regular file (after resolving links inside the rootfs) with an execute bit. */
export function isExecutableInRootfs(rootfs: string, rel: string): boolean {
  const p = resolveInRootfs(rootfs, rel);
  if (!p) return false;
  try {
    const st = lstatSync(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Reads file `rel` of `rootfs` without following any symlink (parents checked
 * with lstat, the file opened with O_NOFOLLOW).
 * @returns its content, or null when it does not exist.
 * @throws LxdeckError E_UNSAFE_PATH when it or a parent is a symlink, or it is not a regular file.
 */
export function readFileInRootfs(rootfs: string, rel: string): string | null {
  const ps = parts(rel);
  for (let i = 1; i < ps.length; i++) {
    let st;
    try {
      st = lstatSync(join(rootfs, ...ps.slice(0, i)));
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) throw unsafe(rootfs, ps.slice(0, i));
  }
  let fd: number;
  try {
    fd = openSync(join(rootfs, ...ps), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw unsafe(rootfs, ps);
    throw e;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new LxdeckError('E_UNSAFE_PATH', `/${ps.join('/')} in the rootfs ${rootfs} is not a regular file`);
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) chunks.push(Buffer.from(buf.subarray(0, n)));
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function unsafe(rootfs: string, ps: string[]): LxdeckError {
  return new LxdeckError('E_UNSAFE_PATH', `refusing to read through the symlink /${ps.join('/')} in the rootfs ${rootfs}`, {
    hint: 'a symlink inside the container could point at a host file; remove it from the rootfs or fix the file from inside the container',
  });
}

/** What {@link checkBootable} found. */
export interface BootCheck {
  /** the container path of an init that exists and is executable, or null */
  init: string | null;
  /** the container path of a shell, or null */
  shell: string | null;
}

/** Where an init and a shell are looked for (LXC starts /sbin/init unless lxc.init.cmd says otherwise). */
export const INIT_PATHS = ['/sbin/init', '/usr/sbin/init', '/lib/systemd/systemd'];
export const SHELL_PATHS = ['/bin/sh', '/usr/bin/sh'];

/**
 * The sanity check a rootfs passes before it becomes a container: an init LXC can
 * start (/sbin/init, resolved inside the rootfs) and a shell for `lxc-attach`.
 * @throws LxdeckError E_TEMPLATE naming what is missing.
 */
export function checkBootable(rootfs: string): BootCheck {
  const init = INIT_PATHS.find((p) => isExecutableInRootfs(rootfs, p)) ?? null;
  const shell = SHELL_PATHS.find((p) => isExecutableInRootfs(rootfs, p)) ?? null;
  if (!init || !shell)
    throw new LxdeckError('E_TEMPLATE', `the rootfs ${rootfs} has no ${!init ? '/sbin/init' : '/bin/sh'}`, {
      hint: 'a container needs an init (LXC runs /sbin/init) and a shell; check the image or archive',
    });
  return { init, shell };
}

/**
 * Writes the container's identity: /etc/hostname (`name`) and /etc/hosts
 * (localhost and `127.0.1.1 name`, as Debian's installer does); an existing
 * /etc/hosts that already names the container is kept. Symlink-safe (case T1).
 * @throws LxdeckError E_UNSAFE_PATH when /etc or one of the files is a symlink.
 */
export function writeHostname(rootfs: string, name: string): void {
  mkdirInRootfs(rootfs, 'etc');
  writeFileInRootfs(rootfs, 'etc/hostname', `${name}\n`);
  const hosts = readFileInRootfs(rootfs, 'etc/hosts');
  if (hosts !== null && new RegExp(`^127\\.0\\.1\\.1\\s+${name}(\\s|$)`, 'm').test(hosts)) return;
  writeFileInRootfs(
    rootfs,
    'etc/hosts',
    `127.0.0.1\tlocalhost\n127.0.1.1\t${name}\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`,
  );
}

/**
 * Sets root's password in /etc/shadow to the SHA-512 crypt hash of `password`
 * made by `openssl passwd -6 -stdin` (the password goes through stdin, never argv).
 * The rest of /etc/shadow is kept; a missing root line is added.
 * @throws LxdeckError E_INVALID_VALUE for an empty password or one with a newline,
 *   E_TEMPLATE when the rootfs has no /etc/shadow or openssl fails, E_UNSAFE_PATH (case T1).
 */
export async function setRootPassword(runner: Runner, rootfs: string, password: string, signal?: AbortSignal): Promise<void> {
  if (!password || /[\r\n\0]/.test(password))
    throw new LxdeckError('E_INVALID_VALUE', 'the root password must not be empty nor hold a newline');
  const r = await runner.run('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n`, timeoutMs: 10_000, signal });
  const hash = r.stdout.trim();
  if (r.exitCode !== 0 || !hash.startsWith('$6$'))
    throw new LxdeckError('E_TEMPLATE', `openssl passwd failed: ${r.stderr.trim() || 'no hash'}`, { hint: 'install openssl' });
  const shadow = readFileInRootfs(rootfs, 'etc/shadow');
  if (shadow === null) throw new LxdeckError('E_TEMPLATE', `the rootfs ${rootfs} has no /etc/shadow`, { hint: 'this image keeps no passwords; use ssh-key instead' });
  const days = Math.floor(Date.now() / 86_400_000);
  let found = false;
  const lines = shadow.split('\n').map((l) => {
    const f = l.split(':');
    if (f[0] !== 'root' || f.length < 2) return l;
    found = true;
    f[1] = hash;
    if (f.length > 2) f[2] = String(days);
    return f.join(':');
  });
  let text = lines.join('\n');
  if (!found) text = `root:${hash}:${days}:0:99999:7:::\n${text}`;
  writeFileInRootfs(rootfs, 'etc/shadow', text, 0o640);
}

/** True for a line that looks like an OpenSSH public key (`type base64 [comment]`). */
export function isSshPublicKey(line: string): boolean {
  return /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+=*( [^\r\n]*)?$/.test(line.trim());
}

/**
 * Adds an SSH public key to root's ~/.ssh/authorized_keys (dir 0700, file 0600).
 * `keyOrPath` is the key line itself or the path of a host file holding one.
 * @throws LxdeckError E_INVALID_VALUE when it is neither a key nor a readable file with one, E_UNSAFE_PATH (case T1).
 */
export function installSshKey(rootfs: string, keyOrPath: string): void {
  let key = keyOrPath.trim();
  if (!isSshPublicKey(key)) {
    try {
      key = readFileSync(keyOrPath, 'utf8').trim().split('\n')[0] ?? '';
    } catch {
      /* not a file */
    }
  }
  if (!isSshPublicKey(key))
    throw new LxdeckError('E_INVALID_VALUE', 'ssh-key is neither an SSH public key line nor a file holding one', {
      hint: 'give the contents of ~/.ssh/id_ed25519.pub, or its path',
    });
  mkdirInRootfs(rootfs, 'root', 0o700);
  mkdirInRootfs(rootfs, 'root/.ssh', 0o700);
  const old = readFileInRootfs(rootfs, 'root/.ssh/authorized_keys') ?? '';
  if (old.split('\n').some((l) => l.trim() === key)) return;
  writeFileInRootfs(rootfs, 'root/.ssh/authorized_keys', `${old}${old && !old.endsWith('\n') ? '\n' : ''}${key}\n`, 0o600);
}

/** Applies the IDENTITY_OPTIONS (`root-password`, `ssh-key`) that have a value. */
export async function applyIdentityOptions(runner: Runner, rootfs: string, options: Record<string, string>, signal?: AbortSignal): Promise<string[]> {
  const done: string[] = [];
  if (options['root-password']) {
    await setRootPassword(runner, rootfs, options['root-password'], signal);
    done.push('root password set');
  }
  if (options['ssh-key']) {
    installSshKey(rootfs, options['ssh-key']);
    done.push('SSH key installed for root');
  }
  return done;
}

/**
 * Config keys for the rootfs's init, so `lxc-stop` shuts it down cleanly instead
 * of waiting and killing it (lxc.container.conf(5) lxc.signal.halt/reboot):
 * busybox init halts on SIGUSR1 and reboots on SIGTERM (as lxc-busybox sets);
 * systemd halts on SIGRTMIN+3; sysvinit needs nothing (LXC's default SIGPWR).
 */
export function initSignalConfig(rootfs: string): [string, string][] {
  const init = INIT_PATHS.map((p) => resolveInRootfs(rootfs, p)).find((p) => p !== null);
  if (!init) return [];
  const base = posix.basename(init);
  if (base === 'busybox')
    return [
      ['lxc.signal.halt', 'SIGUSR1'],
      ['lxc.signal.reboot', 'SIGTERM'],
    ];
  if (base === 'systemd') return [['lxc.signal.halt', 'SIGRTMIN+3']];
  return [];
}
