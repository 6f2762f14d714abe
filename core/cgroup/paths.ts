/**
 * A running container's cgroup directories, from its init's
 * `/proc/<pid>/cgroup` (cgroups(7) "/proc/[pid]/cgroup"):
 *
 *   hierarchy-ID:controller-list:cgroup-path
 *   4:memory:/lxc.payload.web1          (v1)
 *   2:cpu,cpuacct:/lxc.payload.web1     (v1, co-mounted)
 *   1:name=systemd:/lxc.payload.web1/init.scope   (v1 named hierarchy)
 *   0::/lxc.payload.web1                (v2: ID 0, empty controller list)
 *
 * joined with the mount points of the host's {@link CgroupLayout}.
 *
 * LXC (4.0 and later) puts a container in `lxc.payload.NAME` (its monitor in
 * `lxc.monitor.NAME`); LXC 3 used `lxc/NAME`. A guest with systemd moves its
 * init into `init.scope` below that, so the init's own cgroup is one level
 * too deep for limits: given the container's name, the path is cut after its
 * `lxc.payload.NAME` (or `lxc/NAME`) component.
 */
import type { CgroupPaths } from '../types.js';
export type { CgroupPaths };
import { LxdeckError } from '../errors.js';
import type { HostFs } from '../host/host-fs.js';
import { joinPath, type CgroupLayout } from './layout.js';

export interface ProcCgroupEntry {
  /** hierarchy ID; 0 for the v2 hierarchy */
  hierarchyId: number;
  /** controllers of this hierarchy (`['cpu','cpuacct']`, `['name=systemd']`); empty for v2 */
  controllers: string[];
  /** the cgroup path inside the hierarchy, starting with `/` */
  path: string;
}


/** Parses the text of /proc/PID/cgroup; malformed lines are skipped. */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    out.push({
      hierarchyId: Number(m[1]),
      controllers: m[2] === '' ? [] : m[2].split(','),
      path: m[3] === '' ? '/' : m[3],
    });
  }
  return out;
}

/**
 * Cuts a cgroup path just after the container's own component:
 * `/lxc.payload.web1/init.scope` with name `web1` gives `/lxc.payload.web1`;
 * `/lxc/web1/system.slice` gives `/lxc/web1`. Paths without it are returned as they are.
 */
export function trimToContainer(path: string, name: string): string {
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === `lxc.payload.${name}`) return parts.slice(0, i + 1).join('/') || '/';
    if (parts[i] === 'lxc' && parts[i + 1] === name) return parts.slice(0, i + 2).join('/');
  }
  return path;
}

/**
 * The host directory of cgroup `path` in a hierarchy mounted at `mountPoint`
 * whose mount root is `mountRoot`; null when the cgroup is outside what the
 * mount shows.
 */
function underMount(mountPoint: string, mountRoot: string, path: string): string | null {
  if (mountRoot === '/' || mountRoot === '') return joinPath(mountPoint, path);
  if (path === mountRoot) return mountPoint;
  if (path.startsWith(mountRoot + '/')) return joinPath(mountPoint, path.slice(mountRoot.length));
  return null;
}

/**
 * Joins parsed /proc/PID/cgroup entries with the layout's mount points.
 * @param opts.name the container's name: paths are cut after `lxc.payload.NAME` ({@link trimToContainer})
 */
export function cgroupPathsFromEntries(
  entries: readonly ProcCgroupEntry[],
  layout: CgroupLayout,
  opts: { name?: string } = {},
): CgroupPaths {
  const out: CgroupPaths = { v1: {} };
  for (const e of entries) {
    const p = opts.name !== undefined ? trimToContainer(e.path, opts.name) : e.path;
    if (e.hierarchyId === 0 && e.controllers.length === 0) {
      if (layout.v2Mount === null) continue;
      const dir = underMount(layout.v2Mount, layout.v2MountRoot, p);
      if (dir !== null) out.v2 = dir;
      continue;
    }
    for (const c of e.controllers) {
      const mount = layout.v1[c];
      if (mount === undefined) continue;
      const dir = underMount(mount, layout.v1MountRoots[c] ?? '/', p);
      if (dir !== null) out.v1[c] = dir;
    }
  }
  return out;
}

/**
 * Reads a process's cgroup paths (a container's, given its init PID).
 * @param opts.name the container's name, to cut systemd's `init.scope` and the like off
 * @throws LxdeckError E_NOT_FOUND when the process does not exist (any more)
 */
export function readCgroupPaths(fs: HostFs, pid: number, layout: CgroupLayout, opts: { name?: string } = {}): CgroupPaths {
  const text = fs.readTextOrNull(`/proc/${pid}/cgroup`);
  if (text === null) {
    throw new LxdeckError('E_NOT_FOUND', `process ${pid} does not exist`, { hint: 'the container may have stopped' });
  }
  return cgroupPathsFromEntries(parseProcCgroup(text), layout, opts);
}
