/**
 * Memory and CPU use of a container's cgroup, the same formula on v1 and v2.
 *
 * Memory "used" is usage minus inactive file cache (S1): page cache the
 * kernel can drop at once is not use. Sources: v1
 * Documentation/admin-guide/cgroup-v1/memory.rst section 5.2 (memory.stat:
 * `total_inactive_file`, `total_cache`, hierarchical), v2
 * Documentation/admin-guide/cgroup-v2.rst "memory.stat" (`inactive_file`,
 * `file`). This is also what `docker stats` and cAdvisor's working set show.
 *
 * CPU time is microseconds (units.ts): v2 `cpu.stat usage_usec`; v1
 * `cpuacct.usage` nanoseconds / 1000.
 */
import { HostFs } from '../host/host-fs.js';
import { nsTextToUsec, parseCgroupLimit, type LimitValue } from '../units.js';
import { joinPath } from './layout.js';
import { parseFlatKeyed } from './parse.js';
import type { CgroupPaths } from './paths.js';

export interface MemoryUse {
  /** what the kernel charges the cgroup (v1 memory.usage_in_bytes, v2 memory.current), bytes */
  usage: number;
  /** usage - inactive file cache, bytes, never negative (S1) */
  used: number;
  /** page cache (v1 total_cache, v2 file), bytes; shown apart */
  cache: number;
  /** the inactive file cache subtracted, bytes */
  inactiveFile: number;
  /** the hard limit, bytes or 'max'; null when unreadable */
  limit: LimitValue | null;
  /** swap in use, bytes (v1 memsw.usage - usage, v2 memory.swap.current); null when the host does not account swap */
  swap: number | null;
}

/**
 * The S1 formula on parsed memory.stat: used = usage - inactive file.
 * @param version which memory.stat keys to use: v1 `total_inactive_file`/`total_cache`, v2 `inactive_file`/`file`
 */
export function memoryUsed(
  usage: number,
  stat: Record<string, number>,
  version: 'v1' | 'v2',
): { used: number; cache: number; inactiveFile: number } {
  const inactiveFile = (version === 'v1' ? stat.total_inactive_file ?? stat.inactive_file : stat.inactive_file) ?? 0;
  const cache = (version === 'v1' ? stat.total_cache ?? stat.cache : stat.file) ?? 0;
  return { used: Math.max(0, usage - inactiveFile), cache, inactiveFile };
}

/**
 * Reads a container's memory use (S1).
 * @returns null when the memory cgroup is gone or unreadable (container stopped)
 */
export function readMemoryUse(paths: CgroupPaths, fs: HostFs = new HostFs()): MemoryUse | null {
  const v1 = paths.v1.memory;
  const dir = v1 ?? paths.v2;
  if (dir === undefined) return null;
  const version = v1 !== undefined ? 'v1' : 'v2';
  const usageText = fs.readTextOrNull(joinPath(dir, version === 'v1' ? 'memory.usage_in_bytes' : 'memory.current'));
  const statText = fs.readTextOrNull(joinPath(dir, 'memory.stat'));
  if (usageText === null || statText === null) return null;
  const usage = Number(usageText.trim());
  if (!Number.isFinite(usage)) return null;
  const { used, cache, inactiveFile } = memoryUsed(usage, parseFlatKeyed(statText), version);
  const limitText = fs.readTextOrNull(joinPath(dir, version === 'v1' ? 'memory.limit_in_bytes' : 'memory.max'));
  let swap: number | null = null;
  if (version === 'v1') {
    const sw = fs.readTextOrNull(joinPath(dir, 'memory.memsw.usage_in_bytes'));
    if (sw !== null && /^\d+$/.test(sw.trim())) swap = Math.max(0, Number(sw.trim()) - usage);
  } else {
    const sw = fs.readTextOrNull(joinPath(dir, 'memory.swap.current'));
    if (sw !== null && /^\d+$/.test(sw.trim())) swap = Number(sw.trim());
  }
  return { usage, used, cache, inactiveFile, limit: limitText === null ? null : parseCgroupLimit(limitText), swap };
}

/** `usage_usec` of a v2 cpu.stat text, microseconds; null when absent. */
export function usageUsecFromCpuStat(text: string): number | null {
  const v = parseFlatKeyed(text).usage_usec;
  return v === undefined ? null : v;
}

/**
 * A container's total CPU time so far, microseconds (U3): v1 `cpuacct.usage`
 * (nanoseconds) / 1000 when there is a v1 cpuacct directory, else v2
 * `cpu.stat usage_usec` (present on v2 even without the cpu controller).
 * @returns null when the cgroup is gone or the file unreadable
 */
export function readCpuUsageUsec(paths: CgroupPaths, fs: HostFs = new HostFs()): number | null {
  if (paths.v1.cpuacct !== undefined) {
    const t = fs.readTextOrNull(joinPath(paths.v1.cpuacct, 'cpuacct.usage'));
    return t === null ? null : nsTextToUsec(t);
  }
  if (paths.v2 !== undefined) {
    const t = fs.readTextOrNull(joinPath(paths.v2, 'cpu.stat'));
    return t === null ? null : usageUsecFromCpuStat(t);
  }
  return null;
}
