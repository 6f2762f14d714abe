/**
 * Host device nodes passed into a container, as lxc-device(1) does live and as the config
 * keeps them for every start: the devices controller's allow rule
 * (`lxc.cgroup.devices.allow` on a v1 devices hierarchy, `lxc.cgroup2.devices.allow` on v2,
 * where LXC turns it into its eBPF device program) and a bind mount of the host's node
 * (`lxc.mount.entry = /dev/X dev/X none bind,optional,create=file 0 0`).
 *
 * Live: a RUNNING privileged container gets the node at once (`lxc-device add|del`: mknod
 * inside and the cgroup rule). An unprivileged container cannot: the kernel refuses mknod in a
 * user namespace, so LXC cannot make the node there; its config is saved and the node comes
 * with the next start (the bind mount), which lxdeck says.
 *
 * Sources: lxc-device(1); lxc.container.conf(5) "CONTROL GROUPS" (lxc.cgroup.[controller],
 * lxc.cgroup2.[controller], devices allow/deny) and "MOUNT POINTS" (lxc.mount.entry); the
 * kernel's Documentation/admin-guide/cgroup-v1/devices.rst (the `TYPE MAJOR:MINOR ACCESS`
 * rule) and cgroup-v2.rst "Device controller"; makedev(3) for the device number.
 */
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { LxdeckError } from '../errors.js';
import type { CgroupLayout } from '../cgroup/layout.js';
import type { LxcConfig } from './config.js';
import type { DeviceEntry } from '../types.js';

export type { DeviceEntry };


/**
 * Device numbers every container has from LXC already (/dev/null, zero, full, random, urandom,
 * tty, console, ptmx, the pts): adding or removing them would take them from the container too.
 */
const STANDARD = new Set(['c 1:3', 'c 1:5', 'c 1:7', 'c 1:8', 'c 1:9', 'c 5:0', 'c 5:1', 'c 5:2']);

/** The major number of a Linux dev_t (makedev(3), glibc's gnu_dev_major). */
export function devMajor(rdev: number): number {
  const v = BigInt(rdev);
  return Number(((v >> 8n) & 0xfffn) | ((v >> 32n) & ~0xfffn));
}

/** The minor number of a Linux dev_t (makedev(3), glibc's gnu_dev_minor). */
export function devMinor(rdev: number): number {
  const v = BigInt(rdev);
  return Number((v & 0xffn) | ((v >> 12n) & ~0xffn));
}

/**
 * Checks a device path as given: absolute, under /dev, no `..`, no empty part.
 * @returns the normalised path
 * @throws LxdeckError E_INVALID_VALUE with the rule
 */
export function validateDevicePath(path: string): string {
  const bad = (why: string) => new LxdeckError('E_INVALID_VALUE', `device ${JSON.stringify(path)}: ${why}`, { hint: 'give the device node\'s path on the host, e.g. /dev/loop5 or /dev/net/tun', exitCode: 2 });
  if (!path.startsWith('/dev/')) throw bad('it must be a path under /dev/');
  if (path.includes('\0') || /[\s]/.test(path)) throw bad('it must not hold white space or NUL');
  if (path.split('/').some((p) => p === '..' || p === '.')) throw bad('it must not hold . or .. parts');
  const norm = posix.normalize(path);
  if (norm === '/dev/' || norm === '/dev') throw bad('name a device node, not /dev itself');
  return norm.replace(/\/+$/, '');
}

/**
 * The host's device node at `path`: its type and numbers.
 * @throws LxdeckError E_INVALID_VALUE (bad path, not a device node, a standard node every
 *   container has), E_NOT_FOUND (no such node on the host)
 */
export function hostDevice(path: string, stat: (p: string) => { rdev: number; isCharacterDevice(): boolean; isBlockDevice(): boolean } = statSync): DeviceEntry {
  const p = validateDevicePath(path);
  let st;
  try {
    st = stat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LxdeckError('E_NOT_FOUND', `no device node ${p} on this host`, { hint: 'ls -l /dev shows the nodes; load the driver that makes it first' });
    throw e;
  }
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : null;
  if (!type) throw new LxdeckError('E_INVALID_VALUE', `${p} is not a character or block device node`, { hint: 'ls -l shows c or b first for a device node', exitCode: 2 });
  const d: DeviceEntry = { path: p, type, major: devMajor(st.rdev), minor: devMinor(st.rdev) };
  if (STANDARD.has(ruleOf(d))) throw new LxdeckError('E_INVALID_VALUE', `${p} is ${ruleOf(d)}, a node LXC gives every container already`, { hint: 'nothing to pass in; removing it would take it from the container', exitCode: 2 });
  return d;
}

/** `TYPE MAJOR:MINOR` as the devices controller writes a device. */
function ruleOf(d: DeviceEntry): string {
  return `${d.type} ${d.major}:${d.minor}`;
}

/** The allow key for this host: `lxc.cgroup.devices.allow` with a v1 devices hierarchy, else `lxc.cgroup2.devices.allow`. */
export function devicesAllowKey(layout: CgroupLayout): string {
  return layout.v1.devices !== undefined ? 'lxc.cgroup.devices.allow' : 'lxc.cgroup2.devices.allow';
}

/** The config values that pass `d` in: the allow rule (`c 10:200 rwm`) and the bind mount entry. */
export function deviceConfigValues(d: DeviceEntry): { allow: string; mount: string } {
  return { allow: `${ruleOf(d)} rwm`, mount: `${d.path} ${d.path.slice(1)} none bind,optional,create=file 0 0` };
}

const MOUNT_RE = /^(\/dev\/\S+)\s+(\S+)\s+none\s+(\S+)/;
const ALLOW_RE = /^([cb])\s+(\d+):(\d+)\s+\S+$/;

/**
 * The device nodes the config passes in: each `lxc.mount.entry` binding a host /dev node to the
 * same place inside, with the numbers from a matching devices allow rule (either key).
 */
export function configDevices(cfg: LxcConfig): DeviceEntry[] {
  const rules = [...cfg.getAll('lxc.cgroup.devices.allow'), ...cfg.getAll('lxc.cgroup2.devices.allow')]
    .map((v) => ALLOW_RE.exec(v.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ type: m[1] as 'c' | 'b', major: Number(m[2]), minor: Number(m[3]) }));
  const out: DeviceEntry[] = [];
  for (const v of cfg.getAll('lxc.mount.entry')) {
    const m = MOUNT_RE.exec(v.trim());
    if (!m || m[2] !== m[1].slice(1) || !m[3].split(',').includes('bind')) continue;
    let st;
    try {
      st = hostDevice(m[1]);
    } catch {
      st = null;
    }
    const rule = st ? rules.find((r) => r.type === st.type && r.major === st.major && r.minor === st.minor) : undefined;
    if (rule) out.push({ path: m[1], ...rule });
  }
  return out;
}

/**
 * Adds `d` to the config (the allow rule under this host's key and the mount entry); a value
 * already there is not added twice.
 * @returns the `key = value` lines added
 */
export function addDeviceToConfig(cfg: LxcConfig, d: DeviceEntry, layout: CgroupLayout): string[] {
  const { allow, mount } = deviceConfigValues(d);
  const added: string[] = [];
  const key = devicesAllowKey(layout);
  if (!cfg.getAll(key).some((v) => v.trim() === allow)) {
    cfg.append(key, allow);
    added.push(`${key} = ${allow}`);
  }
  if (!cfg.getAll('lxc.mount.entry').some((v) => v.trim() === mount)) {
    cfg.append('lxc.mount.entry', mount);
    added.push(`lxc.mount.entry = ${mount}`);
  }
  return added;
}

/**
 * Removes `d` from the config: its allow rules (either key) and its bind mount entry.
 * @returns the `key = value` lines removed (none when the config did not pass it in)
 */
export function removeDeviceFromConfig(cfg: LxcConfig, d: DeviceEntry): string[] {
  const { allow, mount } = deviceConfigValues(d);
  const removed: string[] = [];
  const lines = cfg.allLines();
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (l.kind !== 'entry' || l.value === undefined) continue;
    const hit =
      ((l.key === 'lxc.cgroup.devices.allow' || l.key === 'lxc.cgroup2.devices.allow') && l.value.trim() === allow) ||
      (l.key === 'lxc.mount.entry' && MOUNT_RE.exec(l.value.trim())?.[1] === d.path);
    if (hit) {
      removed.unshift(`${l.key} = ${l.value.trim()}`);
      cfg.removeAt(i);
    }
  }
  return removed;
}
