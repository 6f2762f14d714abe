/**
 * Saving limits in a container's config so they hold after a restart
 * (lxc.container.conf(5) "CONTROL GROUPS": `lxc.cgroup.<file>` for a v1
 * controller, `lxc.cgroup2.<file>` for a v2 one), and case C3: the other
 * layout's key for the same limit is removed, so a v1 key on a v2 host (or a
 * v2 key on a v1 one), which LXC ignores or refuses, is never silently kept
 * as the only setting.
 */
import type { AppliedLimits, ConfigKeyValue, Limits } from './limits.js';
import { LxdeckError } from '../errors.js';
import { LxcConfig } from '../lxc/config.js';
import { formatBytes, parseCgroupLimit, parseCpuMax, parseSize, type LimitValue } from '../units.js';

/**
 * The cgroup files that carry one limit, on either layout. Keys of a group
 * written under one prefix make the other prefix's keys of the group stale.
 * `sameLayoutAlternatives`: files of one layout that exclude each other
 * (blkio.weight or blkio.bfq.weight, whichever the host's I/O scheduler has).
 */
const GROUPS: { files: string[]; sameLayoutAlternatives?: boolean }[] = [
  { files: ['memory.limit_in_bytes', 'memory.max'] },
  { files: ['memory.soft_limit_in_bytes', 'memory.high'] },
  { files: ['memory.memsw.limit_in_bytes', 'memory.swap.max'] },
  { files: ['cpu.shares', 'cpu.weight'] },
  { files: ['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.max'] },
  { files: ['cpuset.cpus'] },
  { files: ['blkio.weight', 'blkio.bfq.weight', 'io.weight', 'io.bfq.weight'], sameLayoutAlternatives: true },
  {
    files: [
      'blkio.throttle.read_bps_device',
      'blkio.throttle.write_bps_device',
      'blkio.throttle.read_iops_device',
      'blkio.throttle.write_iops_device',
      'io.max',
    ],
  },
  { files: ['pids.max'] },
];

const PREFIXES = ['lxc.cgroup2.', 'lxc.cgroup.'] as const;

function splitKey(key: string): { prefix: (typeof PREFIXES)[number]; file: string } | null {
  for (const p of PREFIXES) if (key.startsWith(p)) return { prefix: p, file: key.slice(p.length) };
  return null;
}

/** Per-device keys: several lines share the key, one per `MAJOR:MINOR`. */
const PER_DEVICE = /^(io\.max|blkio\.throttle\.(read|write)_(bps|iops)_device)$/;

/** Merges an `io.max` value into an existing one for the same device: `8:0 rbps=1` + `8:0 wbps=2` = `8:0 rbps=1 wbps=2`. */
function mergeIoMax(old: string, add: string): string {
  const [dev, ...a] = old.trim().split(/\s+/);
  const kv = new Map(a.map((p) => p.split('=') as [string, string]));
  for (const p of add.trim().split(/\s+/).slice(1)) {
    const [k, v] = p.split('=');
    kv.set(k, v);
  }
  return [dev, ...[...kv].map(([k, v]) => `${k}=${v}`)].join(' ');
}

/** True when a per-device value removes the limit (v2 all `max`, v1 rate 0). */
function isRemoval(file: string, value: string): boolean {
  const parts = value.trim().split(/\s+/);
  if (file === 'io.max') return parts.slice(1).every((p) => p.endsWith('=max'));
  return parts[1] === '0';
}

/**
 * Writes `keys` into `cfg` (in place) and removes the stale ones (C3).
 * Single-valued keys are set (the last line replaced in place); per-device
 * keys replace the line of the same device (io.max values merged), and a
 * removal (`max`, v1 `0`) drops that device's line.
 * @param unset keys whose limit goes back to the kernel's default (limits.ts limitToConfigChanges):
 *   every key of that limit, in either layout, is removed
 * @returns the keys removed: because the other layout's key now carries the limit, or `unset`
 */
export function saveLimitKeys(cfg: LxcConfig, keys: readonly ConfigKeyValue[], unset: readonly string[] = []): { removed: string[] } {
  const removed: string[] = [];
  for (const k of unset) {
    const sk = splitKey(k);
    if (!sk) continue;
    const g = GROUPS.find((gr) => gr.files.includes(sk.file));
    for (const p of PREFIXES) {
      for (const f of g ? g.files : [sk.file]) {
        if (cfg.getAll(p + f).length === 0) continue;
        cfg.unset(p + f);
        removed.push(p + f);
      }
    }
  }
  const written = new Set(keys.map((k) => k.key));
  for (const { key, value } of keys) {
    const sk = splitKey(key);
    if (sk && PER_DEVICE.test(sk.file)) {
      const dev = value.trim().split(/\s+/)[0];
      const others = cfg.getAll(key).filter((v) => v.trim().split(/\s+/)[0] !== dev);
      const old = cfg.getAll(key).find((v) => v.trim().split(/\s+/)[0] === dev);
      const next = sk.file === 'io.max' && old !== undefined ? mergeIoMax(old, value) : value;
      cfg.unset(key);
      for (const o of others) cfg.append(key, o);
      if (!isRemoval(sk.file, next)) cfg.append(key, next);
    } else {
      cfg.set(key, value);
    }
  }
  const present = new Set(cfg.entries().map((e) => e.key));
  for (const k of written) {
    const sk = splitKey(k);
    if (!sk) continue;
    const g = GROUPS.find((gr) => gr.files.includes(sk.file));
    if (!g) continue;
    for (const p of PREFIXES) {
      for (const f of g.files) {
        const other = p + f;
        if (written.has(other) || !present.has(other)) continue;
        const sameLayout = p === sk.prefix;
        if (sameLayout && !g.sameLayoutAlternatives) continue;
        cfg.unset(other);
        present.delete(other);
        removed.push(other);
      }
    }
  }
  return { removed };
}

/**
 * The limits a config sets that translation needs as "current" (v1 memsw
 * arithmetic, the CPU period) when the container is not running.
 */
export function currentFromConfig(cfg: LxcConfig): Partial<AppliedLimits> {
  const size = (v: string | undefined): LimitValue | null => {
    if (v === undefined) return null;
    try {
      return parseSize(v);
    } catch {
      return parseCgroupLimit(v);
    }
  };
  const out: Partial<AppliedLimits> = {};
  const mem = size(cfg.get('lxc.cgroup2.memory.max') ?? cfg.get('lxc.cgroup.memory.limit_in_bytes'));
  if (mem !== null) out.memory = mem;
  const memsw = size(cfg.get('lxc.cgroup.memory.memsw.limit_in_bytes'));
  if (memsw !== null) out.memsw = memsw;
  const cpuMax = cfg.get('lxc.cgroup2.cpu.max');
  const q = cpuMax !== undefined ? parseCpuMax(cpuMax) : null;
  if (q) out.cpuQuota = q;
  else {
    const period = Number(cfg.get('lxc.cgroup.cpu.cfs_period_us'));
    if (Number.isInteger(period) && period > 0) out.cpuQuota = { quotaUsec: 'max', periodUsec: period };
  }
  return out;
}

/** The controller keys (`lxc.cgroup.<controller>.*`, `lxc.cgroup2.*`) a config holds, in file order. */
export function cgroupKeysOf(cfg: LxcConfig): ConfigKeyValue[] {
  return cfg
    .entries()
    .filter((e) => e.key.startsWith('lxc.cgroup2.') || (e.key.startsWith('lxc.cgroup.') && !/^lxc\.cgroup\.(dir|relative|pattern|use|keep)(\.|$)/.test(e.key)))
    .map((e) => ({ key: e.key, value: e.value }));
}

/** A byte count as a size argument that parses back exactly (units.ts parseSize): `512M`, `1G`, else bytes. */
function sizeArg(n: number): string {
  for (const [u, p] of [['T', 4], ['G', 3], ['M', 2], ['K', 1]] as const) if (n > 0 && n % 1024 ** p === 0) return `${n / 1024 ** p}${u}`;
  return String(n);
}

/** A size key's value as bytes or 'max' (LXC hands it to the kernel, which also takes K/M/G), null when absent or unreadable. */
function savedSize(v: string | undefined): LimitValue | null {
  if (v === undefined) return null;
  try {
    return parseSize(v);
  } catch {
    return parseCgroupLimit(v);
  }
}

/**
 * Why LXC could not start a container with this config's cgroup v1 memory keys, or null when it
 * can. LXC writes `lxc.cgroup.memory.limit_in_bytes` before `lxc.cgroup.memory.memsw.limit_in_bytes`
 * into a fresh cgroup (cgfsng.c sorts memsw after it), and the kernel refuses a memsw limit below
 * the memory limit with EINVAL (mm/memcontrol.c mem_cgroup_resize_max: memsw.max >= memory.max at
 * all times; Documentation/admin-guide/cgroup-v1/memory.rst 2.4). So a memsw limit needs a memory
 * limit no larger than it ("Failed to set memory.memsw.limit_in_bytes", the trial's fault).
 * @returns the reason in words, or null
 */
export function savedMemoryProblem(cfg: LxcConfig): string | null {
  const memsw = savedSize(cfg.get('lxc.cgroup.memory.memsw.limit_in_bytes'));
  if (memsw === null || memsw === 'max') return null;
  const mem = savedSize(cfg.get('lxc.cgroup.memory.limit_in_bytes'));
  if (mem === null || mem === 'max')
    return `lxc.cgroup.memory.memsw.limit_in_bytes (memory + swap) is ${formatBytes(memsw)} but no memory limit is saved: the kernel refuses a memsw limit below the memory limit (unlimited), so lxc-start would fail`;
  if (mem > memsw)
    return `lxc.cgroup.memory.memsw.limit_in_bytes (memory + swap) ${formatBytes(memsw)} is below lxc.cgroup.memory.limit_in_bytes ${formatBytes(mem)}: the kernel refuses it, so lxc-start would fail`;
  return null;
}

/**
 * On cgroup v1 a swap limit is `memory.memsw.limit_in_bytes` = memory + swap, so `--swap` alone
 * needs a memory limit to add it to: the saved one for the config, the one in effect for the
 * running cgroup, each on its own (core/cgroup/resources.ts planContainerLimits). Checks that
 * both sides have one before anything is planned, and says when they differ.
 * @param live the limits in effect (readLimits), null when the container is not running
 * @param saved the limits the config sets (currentFromConfig)
 * @returns a note when the two memory limits differ (each side's memsw is worked out from its own), else null
 * @throws LxdeckError E_INVALID_VALUE when a side has no memory limit (unlimited), naming which
 */
export function checkSwapBase(name: string, limits: Limits, live: Partial<AppliedLimits> | null, saved: Partial<AppliedLimits>): string | null {
  if (limits.swap === undefined || limits.swap === 'max' || limits.memory !== undefined) return null;
  const swap = limits.swap;
  const savedMem: number | null = typeof saved.memory === 'number' ? saved.memory : null;
  // undefined: not running; null: running without a memory limit
  const liveMem: number | null | undefined = live === null ? undefined : typeof live.memory === 'number' ? live.memory : null;
  const hint = (mem: number) => `give the memory limit with it, e.g. --memory ${sizeArg(mem)} --swap ${sizeArg(swap)}`;
  const v1 = 'on cgroup v1 swap is limited as memory + swap (memory.memsw.limit_in_bytes)';
  if (savedMem === null && !liveMem)
    throw new LxdeckError('E_INVALID_VALUE', `${v1}, and ${name} has no memory limit`, { hint: 'set a memory limit as well, e.g. --memory 1G --swap 512M' });
  if (savedMem !== null && liveMem === null)
    throw new LxdeckError('E_INVALID_VALUE', `${v1}: ${name}'s saved memory limit is ${formatBytes(savedMem)} but the one in effect is unlimited (changed live only, e.g. with lxdeck cgroup)`, { hint: hint(savedMem) });
  if (savedMem === null && liveMem)
    throw new LxdeckError('E_INVALID_VALUE', `${v1}: ${name}'s memory limit in effect is ${formatBytes(liveMem)} but none is saved (set live only, e.g. with lxdeck cgroup)`, { hint: hint(liveMem) });
  if (savedMem !== null && liveMem && liveMem !== savedMem)
    return `${name}'s memory limit in effect (${formatBytes(liveMem)}) differs from the saved one (${formatBytes(savedMem)}): swap ${formatBytes(swap)} is added to each, memory + swap ${formatBytes(liveMem + swap)} in effect and ${formatBytes(savedMem + swap)} saved`;
  return null;
}
