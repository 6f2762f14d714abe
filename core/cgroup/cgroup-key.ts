/**
 * One cgroup file of a running container, named like `lxc-cgroup` names it
 * (`memory.limit_in_bytes`, `cpu.max`, `freezer.state`), checked against the
 * host's layout before it is read or written: a v2 file name on a v1
 * controller (`memory.max` where memory is v1) is refused with the v1 name
 * in the hint, and the other way round
 * (Documentation/admin-guide/cgroup-v1/*.rst, cgroup-v2.rst "Interface Files").
 */
import { LxdeckError } from '../errors.js';
import { HostFs, errnoCode } from '../host/host-fs.js';
import { V1_TO_V2_FILE } from './limits.js';
import { controllerDriver, joinPath, type CgroupLayout } from './layout.js';
import type { CgroupPaths } from './paths.js';

/** v2 file to its v1 counterpart (the reverse of V1_TO_V2_FILE, plus counters). */
const V2_TO_V1: Record<string, string> = {
  'memory.max': 'memory.limit_in_bytes',
  'memory.high': 'memory.soft_limit_in_bytes',
  'memory.swap.max': 'memory.memsw.limit_in_bytes (memory + swap)',
  'memory.current': 'memory.usage_in_bytes',
  'memory.swap.current': 'memory.memsw.usage_in_bytes (memory + swap)',
  'memory.peak': 'memory.max_usage_in_bytes',
  'cpu.weight': 'cpu.shares (1024 = weight 100)',
  'cpu.max': 'cpu.cfs_quota_us and cpu.cfs_period_us',
  'cpuset.cpus.effective': 'cpuset.effective_cpus',
  'cpuset.mems.effective': 'cpuset.effective_mems',
  'io.weight': 'blkio.weight (or blkio.bfq.weight)',
  'io.bfq.weight': 'blkio.bfq.weight',
  'io.max': 'blkio.throttle.read_bps_device, write_bps_device, read_iops_device, write_iops_device',
  'io.stat': 'blkio.throttle.io_service_bytes',
  'cgroup.freeze': 'freezer.state',
};

/** v1-only file names to their v2 counterparts. */
const V1_ONLY: Record<string, string> = {
  ...V1_TO_V2_FILE,
  'memory.usage_in_bytes': 'memory.current',
  'memory.memsw.usage_in_bytes': 'memory.swap.current',
  'memory.max_usage_in_bytes': 'memory.peak',
  'cpuset.effective_cpus': 'cpuset.cpus.effective',
  'blkio.bfq.weight': 'io.bfq.weight',
  'blkio.throttle.io_service_bytes': 'io.stat',
  'freezer.state': 'cgroup.freeze (and cgroup.events)',
};
delete V1_ONLY['cpuset.cpus'];
delete V1_ONLY['cpuset.mems'];
delete V1_ONLY['pids.max'];
delete V1_ONLY['devices.allow'];
delete V1_ONLY['devices.deny'];

/** A file name: controller, dot, name parts of lower-case letters, digits and `_` (never a path). */
const KEY = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/**
 * The host path of cgroup file `key` for a container with these paths.
 * Core files (`cgroup.*`) and PSI files (`*.pressure`) live in the v2
 * directory when there is one.
 * @throws LxdeckError E_INVALID_VALUE for a malformed key or a file of the other cgroup version
 *   (the hint names this host's file), E_NOT_FOUND when the controller is missing or the file does not exist
 */
export function cgroupFileFor(key: string, layout: CgroupLayout, paths: CgroupPaths, fs: HostFs = new HostFs()): string {
  if (!KEY.test(key)) {
    throw new LxdeckError('E_INVALID_VALUE', `"${key}" is not a cgroup file name`, { hint: 'a name like memory.limit_in_bytes (v1) or memory.max (v2): controller.file' });
  }
  const controller = key.split('.')[0];
  let dir: string | undefined;
  if ((controller === 'cgroup' || key.endsWith('.pressure')) && paths.v2 !== undefined) dir = paths.v2;
  else {
    const drv = controllerDriver(controller, layout) ?? (controller === 'io' && controllerDriver('blkio', layout) === 'v1' ? 'v1' : null);
    if (drv === 'v1' && V2_TO_V1[key] !== undefined) {
      throw new LxdeckError('E_INVALID_VALUE', `${key} is a cgroup v2 file, but ${controller === 'io' ? 'block I/O (blkio)' : `the ${controller} controller`} is on cgroup v1 on this host`, {
        hint: `use ${V2_TO_V1[key]}`,
      });
    }
    if (drv === 'v2' && V1_ONLY[key] !== undefined) {
      throw new LxdeckError('E_INVALID_VALUE', `${key} is a cgroup v1 file, but the ${controller} controller is on cgroup v2 on this host`, {
        hint: `use ${V1_ONLY[key]}`,
      });
    }
    if (drv === null) {
      throw new LxdeckError('E_NOT_FOUND', `this host has no ${controller} controller for containers`, {
        hint: `controllers here: v1 ${Object.keys(layout.v1).filter((c) => !c.startsWith('name=')).join(', ') || '-'}; v2 ${layout.v2Controllers.join(', ') || '-'}`,
      });
    }
    dir = drv === 'v1' ? paths.v1[controller] : paths.v2;
  }
  if (dir === undefined) throw new LxdeckError('E_NOT_FOUND', `the container has no ${controller} cgroup`, { hint: 'is it running?' });
  const path = joinPath(dir, key);
  if (!fs.exists(path)) {
    let similar: string[] = [];
    try {
      similar = fs.readdir(dir).filter((f) => f.startsWith(`${controller}.`)).slice(0, 12);
    } catch {
      /* gone */
    }
    throw new LxdeckError('E_NOT_FOUND', `no cgroup file ${key} in ${dir}`, {
      hint: similar.length ? `${controller} files here: ${similar.join(' ')}` : 'the container may have stopped',
    });
  }
  return path;
}

/**
 * The typed error for a refused write of one cgroup file (`lxdeck cgroup NAME KEY VALUE`), from
 * its errno (a Node errno error, or one made from a remote tool's strerror text with the same
 * `code`): EINVAL, ERANGE and EOVERFLOW give E_INVALID_VALUE (exit status 1: the write failed), EBUSY E_STATE, ENOENT and ENODEV
 * E_NOT_FOUND, EACCES and EPERM E_NOT_ROOT, others E_STATE; each names the file and the value.
 */
export function cgroupFileWriteError(e: unknown, path: string, value: string): LxdeckError {
  const code = errnoCode(e);
  const what = `writing "${value}" to ${path}`;
  if (code === 'EINVAL' || code === 'ERANGE' || code === 'EOVERFLOW')
    // the kernel refused it after lxdeck wrote it: the action failed (1), not bad usage (2, only for a value lxdeck itself rejects)
    return new LxdeckError('E_INVALID_VALUE', `the kernel refused ${what}: invalid argument (${code})`, { hint: 'see the kernel documentation of this file for its format and range', cause: e, exitCode: 1 });
  if (code === 'EBUSY') return new LxdeckError('E_STATE', `the kernel refused ${what}: busy (EBUSY)`, { cause: e });
  if (code === 'ENOENT' || code === 'ENODEV') return new LxdeckError('E_NOT_FOUND', `the kernel refused ${what}: ${code}`, { hint: 'no such device, or the container stopped', cause: e });
  if (code === 'EACCES' || code === 'EPERM') return new LxdeckError('E_NOT_ROOT', `permission denied ${what}`, { hint: 'run lxdeck as root', cause: e });
  return new LxdeckError('E_STATE', `${what} failed: ${code ?? String(e)}`, { cause: e });
}

/**
 * Writes one cgroup file (a single write, as cgroupfs wants).
 * @throws LxdeckError as {@link cgroupFileWriteError}: E_INVALID_VALUE (EINVAL), E_STATE (EBUSY),
 *   E_NOT_FOUND (ENOENT, ENODEV), E_NOT_ROOT (EACCES, EPERM), each naming the file and the value
 */
export function writeCgroupFile(path: string, value: string, fs: HostFs = new HostFs()): void {
  try {
    fs.writeText(path, value);
  } catch (e) {
    throw cgroupFileWriteError(e, path, value);
  }
}
