/**
 * What the info view reads about a container from the host besides its
 * config: the host-side veth names LXC gave it, the interfaces inside its
 * network namespace, and the size of its rootfs.
 *
 * Host-side veth names: a veth without `lxc.net.N.veth.pair` gets a random
 * name (`vethuVuhB7`) that only the running container knows. lxc-info asks
 * the container's command socket for it (`get_running_config_item
 * lxc.net.N.veth.pair`) and prints one `Link:` line per veth network, in
 * network order; that is LXC's own answer, so lxdeck parses it rather than
 * matching ifindex/iflink pairs across namespaces. The name is then checked
 * against the host's /sys/class/net.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostFs } from '../host/host-fs.js';
import { readFileInside } from './procs.js';
import type { Runner } from '../exec/runner.js';
import { detectCgroupLayout, type CgroupLayout } from '../cgroup/layout.js';
import { readCgroupPaths, type CgroupPaths } from '../cgroup/paths.js';
import { ignoredConfigKeys, v2EquivalentOf } from '../cgroup/limits.js';
import type { LxcConfig } from '../lxc/config.js';
import { parseIdmap, type IdmapEntry } from '../idmap.js';
import { configDevices } from '../lxc/device.js';
import { readContainerLimits, type ContainerLimits } from '../cgroup/resources.js';
import { cgroupKeysOf } from '../cgroup/limit-config.js';
import type { ContainerInfo, IgnoredConfigKey } from '../types.js';

/** The `Link:` values of plain `lxc-info` output, in order (one per veth network of a running container). */
export function parseLxcInfoLinks(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^Link:\s+(\S+)\s*$/.exec(line.trim());
    if (m) out.push(m[1]);
  }
  return out;
}

/**
 * Interface names in a process's network namespace, from /proc/<pid>/net/dev (proc(5):
 * the file shows the namespace of that process), without `lo`.
 * @returns [] when the process is gone
 */
export function netnsInterfaces(fs: HostFs, pid: number): string[] {
  const text = fs.readTextOrNull(`/proc/${pid}/net/dev`);
  if (text === null) return [];
  const out: string[] = [];
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (name && name !== 'lo') out.push(name);
  }
  return out;
}

/**
 * The MAC address of interface `ifname` inside a running container, from the sysfs the
 * container mounted (`/proc/<pid>/root/sys/class/net/IF/address`, read with readFileInside's
 * checks; LXC's common.conf mounts sys:mixed). @returns null when it cannot be read.
 */
export function hwaddrInside(fs: HostFs, pid: number, ifname: string): string | null {
  if (!/^[^/\s]{1,15}$/.test(ifname)) return null;
  // /sys/class/net/IF is a symlink (relative, into /sys/devices): read through /sys/devices/virtual/net
  for (const p of [`/sys/devices/virtual/net/${ifname}/address`, `/sys/class/net/${ifname}/address`]) {
    const t = readFileInside(fs, pid, p)?.trim();
    if (t && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(t)) return t.toLowerCase();
  }
  return null;
}

/** The rootfs directory of an `lxc.rootfs.path` value: `dir:/p` and `/p` give `/p`; other backends (overlay:, lvm: ...) give null. */
export function rootfsDirOf(value: string | null | undefined): string | null {
  if (!value) return null;
  if (value.startsWith('dir:')) return value.slice(4) || null;
  if (value.startsWith('/')) return value;
  return null;
}

/** What {@link diskUsage} found. */
export interface DiskUsage {
  /** bytes allocated (st_blocks × 512, as du counts), hard links once, not crossing into other file systems */
  bytes: number;
  files: number;
  /** true when the walk stopped at maxFiles: bytes is then a lower bound */
  truncated: boolean;
}

/**
 * A `du -sx`-like walk of `dir`: lstat only (symlinks are never followed), each inode once,
 * other file systems (mounts below `dir`) skipped, stopping after `maxFiles` entries.
 * Entries that vanish mid-walk are skipped.
 * @throws the Node errno error when `dir` itself cannot be read
 */
export async function diskUsage(dir: string, opts: { maxFiles?: number } = {}): Promise<DiskUsage> {
  const max = opts.maxFiles ?? 500_000;
  const top = await lstat(dir);
  const seen = new Set<string>();
  let bytes = 0;
  let files = 0;
  let truncated = false;
  const stack: string[] = [dir];
  bytes += top.blocks * 512;
  seen.add(`${top.dev}:${top.ino}`);
  while (stack.length && !truncated) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (files >= max) {
        truncated = true;
        break;
      }
      const p = join(d, n);
      let st;
      try {
        st = await lstat(p);
      } catch {
        continue;
      }
      files++;
      if (st.dev !== top.dev) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bytes += st.blocks * 512;
      if (st.isDirectory()) stack.push(p);
    }
  }
  return { bytes, files, truncated };
}

// ------------------------------------------------------------ the info view


/**
 * Config keys this host ignores or refuses (C3), each with the key to use instead and, where
 * one faithful line exists, that line with the value translated (v2EquivalentOf:
 * `lxc.cgroup.memory.limit_in_bytes = 2048M` → `lxc.cgroup2.memory.max = 2147483648`).
 * A pure function of the config and the host's cgroup layout.
 */
export function ignoredKeysOf(cfg: LxcConfig, layout: CgroupLayout): IgnoredConfigKey[] {
  const out: IgnoredConfigKey[] = [];
  for (const kv of cgroupKeysOf(cfg)) {
    const f = ignoredConfigKeys([kv.key], layout)[0];
    if (!f) continue;
    const item: IgnoredConfigKey = { key: kv.key, value: kv.value, reason: f.reason };
    if (f.replacement) item.replacement = f.replacement;
    if (kv.key.startsWith('lxc.cgroup.') && f.replacement?.startsWith('lxc.cgroup2.')) {
      try {
        const eq = v2EquivalentOf(kv.key, kv.value);
        if (eq) item.replacementLine = `${eq.key} = ${eq.value}`;
      } catch {
        /* a value that does not parse: the key alone */
      }
    }
    out.push(item);
  }
  return out;
}

/** lxc.idmap entries of a config (lxc.container.conf(5) "UID MAPPINGS"); malformed values are left out. */
export function idmapOf(cfg: LxcConfig): IdmapEntry[] {
  return cfg
    .getAll('lxc.idmap')
    .map(parseIdmap)
    .filter((e): e is IdmapEntry => e !== null);
}

/** What {@link enrichInfo} needs. */
export interface InspectContext {
  lxcpath: string;
  runner: Runner;
  fs: HostFs;
}

/**
 * Adds to `base` (the engine's info from lxc-info and the config) what the info view shows
 * beyond it: IPv6, host and container veth names and the MAC in effect, cgroup paths, limits in
 * effect and saved, ignored keys (C3), unprivileged and the idmap, the rootfs directory and,
 * with `opts.size`, its size. A part that cannot be read is left empty, never an error:
 * the container may stop between two reads.
 */
export async function enrichInfo(
  ctx: InspectContext,
  base: ContainerInfo,
  cfg: LxcConfig,
  ipv6: string[],
  opts: { size?: boolean } = {},
): Promise<ContainerInfo> {
  const info: ContainerInfo = { ...base, ipv6, net: base.net.map((n) => ({ ...n })) };
  const pid = base.pid;
  let layout: CgroupLayout | null = null;
  try {
    layout = detectCgroupLayout(ctx.fs);
  } catch {
    layout = null;
  }
  // network: LXC's own names for a running container's host-side veths (one Link line per veth network)
  let links: string[] = [];
  if (pid !== null && info.net.some((n) => n.type === 'veth')) {
    try {
      const r = await ctx.runner.run('lxc-info', ['-P', ctx.lxcpath, '-n', base.name], { timeoutMs: 10_000 });
      if (r.exitCode === 0) links = parseLxcInfoLinks(r.stdout);
    } catch {
      links = [];
    }
  }
  const inside = pid !== null ? netnsInterfaces(ctx.fs, pid) : [];
  let vethSeen = 0;
  info.net.forEach((n, i) => {
    const named = cfg.get(`lxc.net.${n.index}.name`);
    n.ifname = named ?? (n.type === 'veth' || n.type === 'macvlan' || n.type === 'phys' ? `eth${i}` : undefined);
    if (n.type === 'veth') {
      const host = pid !== null ? (links[vethSeen] ?? n.vethPair) : n.vethPair;
      vethSeen++;
      if (host) {
        n.hostVeth = host;
        n.hostVethExists = /^[^/\s]{1,15}$/.test(host) && ctx.fs.exists(`/sys/class/net/${host}`);
      }
    }
    if (pid !== null && n.ifname && inside.includes(n.ifname)) {
      const mac = hwaddrInside(ctx.fs, pid, n.ifname);
      if (mac) n.hwaddrInEffect = mac;
    }
  });
  // cgroups and limits
  let paths: CgroupPaths | null = null;
  if (pid !== null && layout) {
    try {
      paths = readCgroupPaths(ctx.fs, pid, layout, { name: base.name });
    } catch {
      paths = null;
    }
  }
  info.cgroupPaths = paths;
  let limits: ContainerLimits | null = null;
  try {
    limits = await readContainerLimits({ lxcpath: ctx.lxcpath, fs: ctx.fs, initPid: async () => pid }, base.name);
  } catch {
    limits = null;
  }
  info.limits = limits;
  info.ignoredKeys = layout ? ignoredKeysOf(cfg, layout) : [];
  info.devices = configDevices(cfg);
  // security
  info.idmap = idmapOf(cfg);
  info.unprivileged = info.idmap.length > 0;
  // rootfs
  info.rootfsDir = rootfsDirOf(base.rootfs);
  info.rootfsBytes = null;
  if (opts.size && info.rootfsDir) {
    try {
      const du = await diskUsage(info.rootfsDir);
      info.rootfsBytes = du.bytes;
      info.rootfsBytesTruncated = du.truncated;
    } catch {
      info.rootfsBytes = null;
    }
  }
  return info;
}
