/**
 * Which cgroup hierarchies the host has and where they are mounted, from
 * /proc/self/mountinfo (Documentation/admin-guide/cgroup-v1/cgroups.rst,
 * Documentation/admin-guide/cgroup-v2.rst "Mounting").
 *
 *  - v1: only `cgroup` (v1) mounts, one per hierarchy, each with its
 *    controllers in the super options (`rw,cpu,cpuacct`) or a named
 *    hierarchy (`name=systemd`);
 *  - v2: a `cgroup2` mount and no v1 controllers; the controllers are those
 *    listed in the mount root's `cgroup.controllers`;
 *  - hybrid: v1 controllers plus a `cgroup2` mount (systemd's
 *    /sys/fs/cgroup/unified), whose own controllers are those no v1
 *    hierarchy took (none, or e.g. only `hugetlb` on this project's host);
 *  - none: no cgroup mount at all (checkconfig reports it).
 */
import type { CgroupLayoutKind } from '../types.js';
export type { CgroupLayoutKind };
import type { HostFs } from '../host/host-fs.js';
import { parseMountInfo, type MountInfoEntry } from '../host/mountinfo.js';


export interface CgroupLayout {
  kind: CgroupLayoutKind;
  /** the cgroup2 mount point (host path), or null when there is none */
  v2Mount: string | null;
  /** the cgroup2 mount's root inside the hierarchy (mountinfo field 4), usually `/` */
  v2MountRoot: string;
  /** controllers available in the v2 hierarchy (its root's `cgroup.controllers`), empty when none */
  v2Controllers: string[];
  /** v1 controller (and `name=X` hierarchy) to its mount point; co-mounted controllers share one */
  v1: Record<string, string>;
  /** v1 controller to its mount's root inside the hierarchy (mountinfo field 4), usually `/` */
  v1MountRoots: Record<string, string>;
}

/** v1 controller names the kernel knows (`cat /proc/cgroups`); other super options are mount flags. */
export const V1_CONTROLLERS: readonly string[] = [
  'cpu',
  'cpuacct',
  'cpuset',
  'memory',
  'devices',
  'freezer',
  'net_cls',
  'net_prio',
  'blkio',
  'perf_event',
  'hugetlb',
  'pids',
  'rdma',
  'misc',
  'debug',
];

const KNOWN_V1 = new Set(V1_CONTROLLERS);

/** The controllers (and `name=X`) of one v1 cgroup mount, from its super options. */
export function v1ControllersOfMount(m: MountInfoEntry): string[] {
  return m.superOptions.filter((o) => KNOWN_V1.has(o) || /^name=.+/.test(o));
}

/** Prefer a mount whose root is the hierarchy's root (a bind mount of a sub-cgroup comes second). */
function better(a: MountInfoEntry | undefined, b: MountInfoEntry): boolean {
  if (!a) return true;
  return a.root !== '/' && b.root === '/';
}

/**
 * The cgroup layout from parsed mountinfo. The v2 controllers are read from
 * `<v2 mount>/cgroup.controllers` through `fs`; when that file is unreadable
 * they are empty.
 * Where two cgroup2 mounts exist, the one at /sys/fs/cgroup wins, then
 * /sys/fs/cgroup/unified, then the first with root `/`.
 */
export function layoutFromMounts(mounts: readonly MountInfoEntry[], fs: HostFs): CgroupLayout {
  const v1: Record<string, string> = {};
  const v1MountRoots: Record<string, string> = {};
  const chosen = new Map<string, MountInfoEntry>();
  let v2: MountInfoEntry | undefined;
  const v2Rank = (m: MountInfoEntry) =>
    (m.root === '/' ? 0 : 10) + (m.mountPoint === '/sys/fs/cgroup' ? 0 : m.mountPoint === '/sys/fs/cgroup/unified' ? 1 : 2);
  for (const m of mounts) {
    if (m.fsType === 'cgroup') {
      for (const c of v1ControllersOfMount(m)) {
        if (better(chosen.get(c), m)) chosen.set(c, m);
      }
    } else if (m.fsType === 'cgroup2') {
      if (!v2 || v2Rank(m) < v2Rank(v2)) v2 = m;
    }
  }
  for (const [c, m] of chosen) {
    v1[c] = m.mountPoint;
    v1MountRoots[c] = m.root;
  }
  let v2Controllers: string[] = [];
  if (v2) {
    const txt = fs.readTextOrNull(joinPath(v2.mountPoint, 'cgroup.controllers'));
    if (txt !== null) v2Controllers = txt.trim().split(/\s+/).filter(Boolean);
  }
  const hasV1 = Object.keys(v1).some((c) => !c.startsWith('name='));
  const kind: CgroupLayoutKind = hasV1 ? (v2 ? 'hybrid' : 'v1') : v2 ? 'v2' : Object.keys(v1).length ? 'v1' : 'none';
  return {
    kind,
    v2Mount: v2 ? v2.mountPoint : null,
    v2MountRoot: v2 ? v2.root : '/',
    v2Controllers,
    v1,
    v1MountRoots,
  };
}

/**
 * Detects the host's cgroup layout from `/proc/self/mountinfo` read through `fs`.
 * @throws the Node errno error when mountinfo cannot be read
 */
export function detectCgroupLayout(fs: HostFs): CgroupLayout {
  return layoutFromMounts(parseMountInfo(fs.readText('/proc/self/mountinfo')), fs);
}

/**
 * Which hierarchy drives `controller` on this layout: `'v1'` when a v1
 * hierarchy has it, `'v2'` when the v2 hierarchy lists it in
 * cgroup.controllers (or it is a v2 core feature: `cgroup`, `freezer`
 * (cgroup.freeze), `devices` (BPF)), else null.
 */
export function controllerDriver(controller: string, layout: CgroupLayout): 'v1' | 'v2' | null {
  if (layout.v1[controller] !== undefined) return 'v1';
  if (layout.v2Mount === null) return null;
  if (layout.v2Controllers.includes(controller)) return 'v2';
  if (controller === 'cgroup' || controller === 'freezer' || controller === 'devices') return 'v2';
  return null;
}

/** Joins a directory and a relative part with exactly one slash. */
export function joinPath(dir: string, rel: string): string {
  const r = rel.replace(/^\/+/, '');
  if (r === '') return dir;
  return dir.endsWith('/') ? dir + r : `${dir}/${r}`;
}
