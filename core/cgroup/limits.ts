/**
 * Container resource limits: one model, translated to cgroup v2 or v1 files
 * and to LXC config keys, applied live, and read back as applied.
 *
 * Model units (what `Limits` holds):
 *  - memory, memorySoft, swap: bytes or `'max'`. `swap` is swap ALONE (like
 *    v2 `memory.swap.max`); on v1, `memory.memsw.limit_in_bytes` is memory +
 *    swap, so it is computed as memory + swap, and read back as memsw - memory.
 *  - memorySoft: v2 `memory.high` (the throttle boundary: above it the kernel
 *    reclaims hard and slows the group, but never OOM-kills), v1
 *    `memory.soft_limit_in_bytes` (reclaimed back to it under contention).
 *    Newer LXD/Incus map their soft memory limit to memory.high as well.
 *  - cpuWeight, ioWeight: the v2 scale, 1..10000, default 100
 *    (Documentation/admin-guide/cgroup-v2.rst "Weights"). v1 `cpu.shares`
 *    (2..262144, default 1024) = weight * 1024 / 100, the kernel's own
 *    conversion (sched_weight_from_cgroup) and systemd's; v1 `blkio.weight`
 *    (10..1000, default 500) = weight * 500 / 100, systemd's; BFQ's
 *    `blkio.bfq.weight` / `io.bfq.weight` (1..1000, default 100) = weight.
 *  - cpus: a number of CPUs (quota / period), or `'max'`; the current period
 *    is kept (units.ts {@link cpuQuotaFor}).
 *  - cpuset: CPU numbers (`cpuset.cpus`).
 *  - io: per-device bytes/s and IOPS (v2 `io.max`, v1 `blkio.throttle.*`);
 *    `'max'` removes a limit (v1 writes 0).
 *  - pids: a count or `'max'`.
 *
 * Config keys follow lxc.container.conf(5): `lxc.cgroup2.<file>` on a v2
 * controller, `lxc.cgroup.<file>` on a v1 one.
 */
import type { IoDeviceLimit, AppliedLimits, ConfigKeyValue, IgnoredKey } from '../types.js';
export type { IoDeviceLimit, AppliedLimits, ConfigKeyValue, IgnoredKey };
import { LxdeckError } from '../errors.js';
import { HostFs, errnoCode } from '../host/host-fs.js';
import {
  DEFAULT_CPU_PERIOD_USEC,
  cpuQuotaFor,
  cpusFromQuota,
  formatCpuList,
  formatCpuMax,
  formatBytes,
  parseCgroupLimit,
  parseCpuList,
  parseCpuMax,
  parseSize,
  trimToOnline,
  type LimitValue,
} from '../units.js';
import { controllerDriver, joinPath, type CgroupLayout } from './layout.js';
import type { CgroupPaths } from './paths.js';


/** Limits to set; fields left out are left as they are. */
export interface Limits {
  memory?: LimitValue;
  memorySoft?: LimitValue;
  swap?: LimitValue;
  /** a weight 1..10000, or `'default'`: back to the kernel's default (the config key removed) */
  cpuWeight?: number | 'default';
  cpus?: number | 'max';
  cpuset?: number[];
  /** a weight 1..10000, or `'default'`: back to the kernel's default (the config key removed) */
  ioWeight?: number | 'default';
  io?: IoDeviceLimit[];
  pids?: LimitValue;
}


/** One cgroup file write: `value` goes into `<the controller's directory>/<file>`. */
export interface CgroupFileWrite {
  driver: 'v1' | 'v2';
  controller: string;
  file: string;
  value: string;
  /**
   * true when the write puts the file back to the kernel's default (unlimited, the default
   * weight): saved, it removes the config key instead of writing one; live, it is skipped where
   * the file does not exist (there is nothing to undo)
   */
  reset?: boolean;
}


/** What translation needs besides the limits. */
export interface TranslateContext {
  /** the limits in effect now (for v1 memsw arithmetic and the CPU period) */
  current?: Partial<AppliedLimits>;
  /** which weight file the host's I/O scheduler offers; default `weight` */
  ioWeightFile?: 'weight' | 'bfq.weight';
  /** raise a too-small CPU quota to the kernel minimum instead of refusing it */
  raiseCpuQuota?: boolean;
}

// ---------------------------------------------------------------- weights

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** v2 cpu.weight (1..10000) to v1 cpu.shares (2..262144): round(w * 1024 / 100). */
export function cpuWeightToShares(weight: number): number {
  return clamp(Math.round((weight * 1024) / 100), 2, 262144);
}
/** v1 cpu.shares to v2 cpu.weight: round(shares * 100 / 1024), 1..10000 (1024 gives 100). */
export function cpuSharesToWeight(shares: number): number {
  return clamp(Math.round((shares * 100) / 1024), 1, 10000);
}
/**
 * v2 io.weight (1..10000, default 100) to v1 blkio.weight (10..1000, default 500):
 * round(w * 500 / 100), clamped to 10..1000.
 *
 * Neither the kernel nor LXC documents a conversion: the kernel has the two scales side by side
 * (Documentation/admin-guide/cgroup-v2.rst "Weights" and "IO Interface Files": io.weight
 * 1..10000, default 100; cgroup-v1/blkio-controller.rst: blkio.weight 10..1000, default 500),
 * and LXC writes `lxc.cgroup.*` / `lxc.cgroup2.*` values verbatim. This is systemd's
 * (cgroup_weight_io_to_blkio, used for IOWeight= on a v1 host): it keeps the ratio to the default,
 * which is what a weight means (a cgroup's share is its weight over the sum of its siblings'),
 * so 200 (twice the default's share) is 1000, and every weight from 200 up is the v1 top, 1000;
 * below 2 the v1 bottom, 10. Note that blkio.weight is CFQ's file: CFQ left the kernel in 5.0
 * ("block: remove legacy IO schedulers"), and a v1 host of today has only BFQ's
 * blkio.bfq.weight (1..1000, default 100, the v2 value clamped) or no weight file at all.
 */
export function ioWeightToBlkio(weight: number): number {
  return clamp(Math.round((weight * 500) / 100), 10, 1000);
}
/** v1 blkio.weight to v2 io.weight: w * 100 / 500 (500 gives 100). */
export function blkioToIoWeight(weight: number): number {
  return clamp(Math.round((weight * 100) / 500), 1, 10000);
}

// ------------------------------------------------------------- validation

/** Smallest memory limit accepted (a container below this cannot even start its init). */
export const MIN_MEMORY_BYTES = 1024 * 1024;

function invalid(what: string, hint: string): LxdeckError {
  return new LxdeckError('E_INVALID_VALUE', what, { hint });
}

/**
 * Checks a Limits object before anything is written.
 * @throws LxdeckError E_INVALID_VALUE naming the first bad field
 */
export function validateLimits(l: Limits): void {
  const size = (name: string, v: LimitValue | undefined, min: number) => {
    if (v === undefined || v === 'max') return;
    if (!Number.isSafeInteger(v) || v < min) {
      // the size as a person reads it (100K is 102400 bytes), with the bytes
      const shown = Number.isSafeInteger(v) ? `${formatBytes(v as number)} (${v} bytes)` : String(v);
      throw invalid(`${name} ${shown} is not allowed`, min > 0 ? `at least ${formatBytes(min)} (${min} bytes), or max for unlimited` : 'a number of bytes >= 0, or max');
    }
  };
  size('memory limit', l.memory, MIN_MEMORY_BYTES);
  size('soft memory limit', l.memorySoft, MIN_MEMORY_BYTES);
  size('swap limit', l.swap, 0);
  const weight = (name: string, v: number | 'default' | undefined) => {
    if (v === undefined || v === 'default') return;
    if (!Number.isInteger(v) || v < 1 || v > 10000) throw invalid(`${name} ${v} is out of range`, 'a whole number 1..10000 (default 100)');
  };
  weight('CPU weight', l.cpuWeight);
  weight('I/O weight', l.ioWeight);
  if (l.cpuset !== undefined && l.cpuset.length === 0) throw invalid('the CPU list is empty', 'name at least one CPU, e.g. 0-1');
  if (l.pids !== undefined && l.pids !== 'max' && (!Number.isSafeInteger(l.pids) || l.pids < 1)) {
    throw invalid(`pids limit ${l.pids} is not allowed`, 'a whole number >= 1, or max');
  }
  for (const d of l.io ?? []) {
    if (!/^\d+:\d+$/.test(d.device)) throw invalid(`block device "${d.device}" is not MAJOR:MINOR`, 'e.g. 8:0 (see lsblk -o NAME,MAJ:MIN)');
    for (const k of ['rbps', 'wbps', 'riops', 'wiops'] as const) {
      const v = d[k];
      if (v !== undefined && v !== 'max' && (!Number.isSafeInteger(v) || v < 1)) {
        throw invalid(`${k} ${v} for ${d.device} is not allowed`, 'a whole number >= 1, or max to remove the limit');
      }
    }
  }
}

// ------------------------------------------------------------ translation

type DriverOf = (controller: string) => 'v1' | 'v2' | null;

const V1_THROTTLE: Record<'rbps' | 'wbps' | 'riops' | 'wiops', string> = {
  rbps: 'blkio.throttle.read_bps_device',
  wbps: 'blkio.throttle.write_bps_device',
  riops: 'blkio.throttle.read_iops_device',
  wiops: 'blkio.throttle.write_iops_device',
};

/** v1 calls the block I/O controller blkio, v2 io. */
const ioController = (driverOf: DriverOf) => (driverOf('blkio') === 'v1' ? 'blkio' : 'io');

/** `{ reset: true }` for an unlimited value (the kernel's default), else nothing. */
const reset = (v: LimitValue | number | 'max'): { reset?: true } => (v === 'max' ? { reset: true } : {});

const v1Num = (v: LimitValue) => (v === 'max' ? '-1' : String(v));
const v2Num = (v: LimitValue) => (v === 'max' ? 'max' : String(v));

function translate(limits: Limits, driverOf: DriverOf, ctx: TranslateContext, purpose: 'live' | 'config'): CgroupFileWrite[] {
  validateLimits(limits);
  const out: CgroupFileWrite[] = [];
  const need = (controller: string, what: string): 'v1' | 'v2' => {
    const d = driverOf(controller);
    if (d === null) {
      throw new LxdeckError('E_INVALID_VALUE', `cannot set ${what}: this host has no ${controller} controller for the container`, {
        hint: `enable the ${controller} controller (v1: mount it; v2: add +${controller} to cgroup.subtree_control of the parents)`,
      });
    }
    return d;
  };
  const cur = ctx.current ?? {};

  // memory, soft memory, swap
  if (limits.memory !== undefined || limits.swap !== undefined || limits.memorySoft !== undefined) {
    const d = need('memory', 'a memory limit');
    if (d === 'v2') {
      if (limits.memory !== undefined) out.push({ driver: d, controller: 'memory', file: 'memory.max', value: v2Num(limits.memory), ...reset(limits.memory) });
      if (limits.memorySoft !== undefined) out.push({ driver: d, controller: 'memory', file: 'memory.high', value: v2Num(limits.memorySoft), ...reset(limits.memorySoft) });
      if (limits.swap !== undefined) out.push({ driver: d, controller: 'memory', file: 'memory.swap.max', value: v2Num(limits.swap), ...reset(limits.swap) });
    } else {
      const newMem = limits.memory ?? (purpose === 'config' ? cur.memory ?? 'max' : cur.memory ?? null);
      let memsw: LimitValue | undefined;
      if (limits.swap !== undefined) {
        if (limits.swap === 'max') memsw = 'max';
        else if (newMem === null || newMem === 'max') {
          throw invalid(
            'on cgroup v1 swap can only be limited together with memory (memory.memsw.limit_in_bytes is memory + swap)',
            'set a memory limit as well, e.g. --memory 1G --swap 512M',
          );
        } else memsw = newMem + limits.swap;
      } else if (limits.memory !== undefined && cur.memsw !== undefined && cur.memsw !== null && cur.memsw !== 'max') {
        // keep the amount of swap the container had
        if (limits.memory === 'max') memsw = 'max';
        else if (typeof cur.memory === 'number') memsw = limits.memory + Math.max(0, cur.memsw - cur.memory);
      }
      const memWrite =
        limits.memory !== undefined
          ? { driver: d, controller: 'memory', file: 'memory.limit_in_bytes', value: v1Num(limits.memory), ...reset(limits.memory) }
          : undefined;
      const swWrite = memsw !== undefined ? { driver: d, controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: v1Num(memsw), ...reset(memsw) } : undefined;
      // memsw must stay >= memory at every moment: raise memsw first when the new memory exceeds the current memsw
      const curMemsw = cur.memsw ?? null;
      const memsFirst =
        purpose === 'config' ||
        !memWrite ||
        !swWrite ||
        !(limits.memory === 'max' || (curMemsw !== null && curMemsw !== 'max' && typeof limits.memory === 'number' && limits.memory > curMemsw));
      if (memsFirst) {
        if (memWrite) out.push(memWrite);
        if (swWrite) out.push(swWrite);
      } else {
        out.push(swWrite!, memWrite!);
      }
      if (limits.memorySoft !== undefined) {
        out.push({ driver: d, controller: 'memory', file: 'memory.soft_limit_in_bytes', value: v1Num(limits.memorySoft), ...reset(limits.memorySoft) });
      }
    }
  }

  if (limits.cpuWeight !== undefined) {
    const d = need('cpu', 'a CPU weight');
    const w = limits.cpuWeight === 'default' ? 100 : limits.cpuWeight;
    const r = limits.cpuWeight === 'default' ? { reset: true } : {};
    out.push(
      d === 'v2'
        ? { driver: d, controller: 'cpu', file: 'cpu.weight', value: String(w), ...r }
        : { driver: d, controller: 'cpu', file: 'cpu.shares', value: String(cpuWeightToShares(w)), ...r },
    );
  }

  if (limits.cpus !== undefined) {
    const d = need('cpu', 'a CPU quota');
    const period = cur.cpuQuota?.periodUsec ?? DEFAULT_CPU_PERIOD_USEC;
    const q = cpuQuotaFor(limits.cpus, period, { raise: ctx.raiseCpuQuota });
    const r = reset(limits.cpus);
    if (d === 'v2') out.push({ driver: d, controller: 'cpu', file: 'cpu.max', value: formatCpuMax(q), ...r });
    else {
      if (purpose === 'config') out.push({ driver: d, controller: 'cpu', file: 'cpu.cfs_period_us', value: String(q.periodUsec), ...r });
      out.push({ driver: d, controller: 'cpu', file: 'cpu.cfs_quota_us', value: q.quotaUsec === 'max' ? '-1' : String(q.quotaUsec), ...r });
    }
  }

  if (limits.cpuset !== undefined) {
    const d = need('cpuset', 'a CPU list');
    out.push({ driver: d, controller: 'cpuset', file: 'cpuset.cpus', value: formatCpuList(limits.cpuset) });
  }

  if (limits.ioWeight !== undefined) {
    const d = need(ioController(driverOf), 'an I/O weight');
    const bfq = ctx.ioWeightFile === 'bfq.weight';
    const w = limits.ioWeight === 'default' ? 100 : limits.ioWeight;
    const r = limits.ioWeight === 'default' ? { reset: true } : {};
    if (d === 'v2') {
      out.push({ driver: d, controller: 'io', file: bfq ? 'io.bfq.weight' : 'io.weight', value: `default ${bfq ? clamp(w, 1, 1000) : w}`, ...r });
    } else {
      out.push(
        bfq
          ? { driver: d, controller: 'blkio', file: 'blkio.bfq.weight', value: String(clamp(w, 1, 1000)), ...r }
          : { driver: d, controller: 'blkio', file: 'blkio.weight', value: String(ioWeightToBlkio(w)), ...r },
      );
    }
  }

  for (const dev of limits.io ?? []) {
    const d = need(ioController(driverOf), 'an I/O limit');
    const keys = (['rbps', 'wbps', 'riops', 'wiops'] as const).filter((k) => dev[k] !== undefined);
    if (keys.length === 0) continue;
    if (d === 'v2') {
      out.push({ driver: d, controller: 'io', file: 'io.max', value: `${dev.device} ${keys.map((k) => `${k}=${v2Num(dev[k]!)}`).join(' ')}` });
    } else {
      for (const k of keys) {
        const v = dev[k]!;
        out.push({ driver: d, controller: 'blkio', file: V1_THROTTLE[k], value: `${dev.device} ${v === 'max' ? 0 : v}` });
      }
    }
  }

  if (limits.pids !== undefined) {
    const d = need('pids', 'a pids limit');
    out.push({ driver: d, controller: 'pids', file: 'pids.max', value: v2Num(limits.pids), ...reset(limits.pids) });
  }
  return out;
}

/**
 * The cgroup files (relative to each controller's directory) and values
 * that set `limits` on a host with this layout. v2 for controllers the v2
 * hierarchy has, v1 for the others.
 * @param ctx.current the limits in effect (v1 memsw arithmetic, CPU period); see {@link readLimits}
 * @throws LxdeckError E_INVALID_VALUE for a bad value or a controller the host lacks
 */
export function limitToCgroupFiles(limits: Limits, layout: CgroupLayout, ctx: TranslateContext = {}): CgroupFileWrite[] {
  return translate(limits, (c) => controllerDriver(c, layout), ctx, 'live');
}

/**
 * The LXC config keys that make `limits` hold across restarts (C3):
 * `lxc.cgroup2.<file>` for controllers on the v2 hierarchy,
 * `lxc.cgroup.<file>` for v1 ones (lxc.container.conf(5) "CONTROL GROUPS").
 * Ordered so a fresh cgroup accepts them (v1 memory before memsw; v1 CPU
 * period before quota). Several keys may share a name (one per device).
 * @throws LxdeckError E_INVALID_VALUE as {@link limitToCgroupFiles}
 */
export function limitToConfigKeys(limits: Limits, layout: CgroupLayout, ctx: TranslateContext = {}): ConfigKeyValue[] {
  return limitToConfigChanges(limits, layout, ctx).set;
}

/** The config key of a cgroup file write: `lxc.cgroup2.<file>` (v2) or `lxc.cgroup.<file>` (v1). */
export const configKeyOf = (w: { driver: 'v1' | 'v2'; file: string }): string => `${w.driver === 'v2' ? 'lxc.cgroup2' : 'lxc.cgroup'}.${w.file}`;

/**
 * What saving `limits` does to a config: the keys to set ({@link limitToConfigKeys}), with the
 * cgroup write each comes from (to check the host has the file), and the keys to remove because
 * the limit goes back to the kernel's default (unlimited: `max`; a weight's `default`), which is
 * what a cgroup has when no key sets it, so no key is the faithful way to save it (and one that
 * works on a host without the file, where the key would stop the container from starting).
 * Per-device I/O removals stay values (saveLimitKeys drops that device's line).
 * @throws LxdeckError E_INVALID_VALUE as {@link limitToCgroupFiles}
 */
export function limitToConfigChanges(
  limits: Limits,
  layout: CgroupLayout,
  ctx: TranslateContext = {},
): { set: ConfigKeyValue[]; writes: CgroupFileWrite[]; unset: string[] } {
  const all = translate(limits, (c) => controllerDriver(c, layout), ctx, 'config');
  const writes = all.filter((w) => !w.reset);
  return {
    set: writes.map((w) => ({ key: configKeyOf(w), value: w.value })),
    writes,
    unset: all.filter((w) => w.reset).map(configKeyOf),
  };
}

// --------------------------------------------------------- ignored keys (C3)

/** lxc.cgroup.* keys that are LXC settings, not controller files. */
const NON_CONTROLLER = /^lxc\.cgroup\.(dir|relative|pattern|use|keep)(\.|$)/;

/** v1 file to its v2 counterpart, to suggest a replacement key. */
export const V1_TO_V2_FILE: Record<string, string> = {
  'memory.limit_in_bytes': 'memory.max',
  'memory.soft_limit_in_bytes': 'memory.high',
  'memory.memsw.limit_in_bytes': 'memory.swap.max',
  'cpu.shares': 'cpu.weight',
  'cpu.cfs_quota_us': 'cpu.max',
  'cpu.cfs_period_us': 'cpu.max',
  'cpuset.cpus': 'cpuset.cpus',
  'cpuset.mems': 'cpuset.mems',
  'blkio.weight': 'io.weight',
  'blkio.throttle.read_bps_device': 'io.max',
  'blkio.throttle.write_bps_device': 'io.max',
  'blkio.throttle.read_iops_device': 'io.max',
  'blkio.throttle.write_iops_device': 'io.max',
  'pids.max': 'pids.max',
  'devices.allow': 'devices.allow',
  'devices.deny': 'devices.deny',
};


/**
 * Config keys that do nothing (or fail) on this host (C3): `lxc.cgroup.*`
 * controller keys whose controller has no v1 hierarchy (all of them on a
 * v2-only host, where LXC ignores them), and `lxc.cgroup2.*` keys on a host
 * without a v2 hierarchy or whose v2 hierarchy lacks that controller.
 * For the info screen and checkconfig.
 * @param keys config key names (values are not needed)
 */
export function ignoredConfigKeys(keys: readonly string[], layout: CgroupLayout): IgnoredKey[] {
  const out: IgnoredKey[] = [];
  for (const key of keys) {
    if (key.startsWith('lxc.cgroup2.')) {
      const file = key.slice('lxc.cgroup2.'.length);
      const controller = file.split('.')[0];
      if (layout.v2Mount === null) {
        const v1file = Object.entries(V1_TO_V2_FILE).find(([, v2]) => v2 === file)?.[0];
        out.push({
          key,
          reason: 'this host has no cgroup v2 hierarchy, so LXC cannot apply lxc.cgroup2.* keys',
          ...(v1file ? { replacement: `lxc.cgroup.${v1file}` } : {}),
        });
      } else if (controllerDriver(controller, layout) !== 'v2') {
        out.push({
          key,
          reason: `the cgroup v2 hierarchy here has no ${controller} controller${layout.v1[controller] ? ` (it is on cgroup v1 at ${layout.v1[controller]})` : ''}`,
          ...(layout.v1[controller]
            ? { replacement: `lxc.cgroup.${Object.entries(V1_TO_V2_FILE).find(([, v2]) => v2 === file)?.[0] ?? file}` }
            : {}),
        });
      }
    } else if (key.startsWith('lxc.cgroup.') && !NON_CONTROLLER.test(key)) {
      const file = key.slice('lxc.cgroup.'.length);
      const controller = file.split('.')[0];
      if (layout.v1[controller] !== undefined) continue;
      const v2file = V1_TO_V2_FILE[file];
      const v1less = Object.keys(layout.v1).filter((c) => !c.startsWith('name=')).length === 0;
      out.push({
        key,
        reason: v1less
          ? 'this host has only cgroup v2: LXC ignores lxc.cgroup.* keys here'
          : `this host has no cgroup v1 ${controller} controller`,
        ...(v2file && (controllerDriver(controller === 'blkio' ? 'io' : controller, layout) === 'v2')
          ? { replacement: `lxc.cgroup2.${v2file}` }
          : {}),
      });
    }
  }
  return out;
}

/**
 * The v2 key and value for a v1 controller key (C3), e.g.
 * `lxc.cgroup.memory.limit_in_bytes = 2048M` gives
 * `lxc.cgroup2.memory.max = 2147483648`; `cpu.shares` becomes `cpu.weight`
 * by the kernel's conversion, `blkio.weight` becomes `io.weight`.
 * @returns null when there is no faithful one-key translation (cpu.cfs_*:
 *   cpu.max needs both quota and period; blkio.throttle.*: io.max has its own syntax)
 * @throws LxdeckError E_INVALID_VALUE when a size value does not parse
 */
export function v2EquivalentOf(key: string, value: string): ConfigKeyValue | null {
  if (!key.startsWith('lxc.cgroup.')) return null;
  const file = key.slice('lxc.cgroup.'.length);
  const v = value.trim();
  const size = (t: string) => {
    const n = parseSize(t);
    return n === 'max' ? 'max' : String(n);
  };
  switch (file) {
    case 'memory.limit_in_bytes':
      return { key: 'lxc.cgroup2.memory.max', value: size(v) };
    case 'memory.soft_limit_in_bytes':
      return { key: 'lxc.cgroup2.memory.high', value: size(v) };
    case 'cpu.shares':
      return /^\d+$/.test(v) ? { key: 'lxc.cgroup2.cpu.weight', value: String(cpuSharesToWeight(Number(v))) } : null;
    case 'blkio.weight':
      return /^\d+$/.test(v) ? { key: 'lxc.cgroup2.io.weight', value: `default ${blkioToIoWeight(Number(v))}` } : null;
    case 'pids.max':
    case 'cpuset.cpus':
    case 'cpuset.mems':
    case 'devices.allow':
    case 'devices.deny':
      return { key: `lxc.cgroup2.${file}`, value: v === '-1' ? 'max' : v };
    default:
      return null;
  }
}

// ------------------------------------------------------------ read back

function driverFromPaths(paths: CgroupPaths): DriverOf {
  return (c) => (paths.v1[c] !== undefined ? 'v1' : paths.v2 !== undefined ? 'v2' : null);
}

function dirFor(paths: CgroupPaths, w: { driver: 'v1' | 'v2'; controller: string }): string {
  const dir = w.driver === 'v1' ? paths.v1[w.controller] : paths.v2;
  if (dir === undefined) throw new LxdeckError('E_NOT_FOUND', `no cgroup directory for the ${w.controller} controller`);
  return dir;
}

const readNum = (fs: HostFs, dir: string | undefined, file: string): LimitValue | null => {
  if (dir === undefined) return null;
  const t = fs.readTextOrNull(joinPath(dir, file));
  return t === null ? null : parseCgroupLimit(t);
};

const readWeight = (fs: HostFs, dir: string | undefined, file: string): number | null => {
  if (dir === undefined) return null;
  const t = fs.readTextOrNull(joinPath(dir, file));
  if (t === null) return null;
  const m = /(?:^|\n)\s*(?:default\s+)?(\d+)\s*(?:\n|$)/.exec(t);
  return m ? Number(m[1]) : null;
};

const readList = (fs: HostFs, dir: string | undefined, file: string): number[] | null => {
  if (dir === undefined) return null;
  const t = fs.readTextOrNull(joinPath(dir, file));
  if (t === null || t.trim() === '') return null;
  try {
    return parseCpuList(t);
  } catch {
    return null;
  }
};

/** Parses v2 `io.max` (`8:0 rbps=1048576 wbps=max riops=max wiops=200`, one line per device); all-max lines are dropped. */
export function parseIoMax(text: string): IoDeviceLimit[] {
  const out: IoDeviceLimit[] = [];
  for (const line of text.split('\n')) {
    const [device, ...kv] = line.trim().split(/\s+/);
    if (!device || !/^\d+:\d+$/.test(device)) continue;
    const d: IoDeviceLimit = { device };
    for (const p of kv) {
      const [k, v] = p.split('=');
      if (k === 'rbps' || k === 'wbps' || k === 'riops' || k === 'wiops') {
        const n = parseCgroupLimit(v ?? '');
        if (n !== null) d[k] = n;
      }
    }
    if (Object.keys(d).length > 1 && (['rbps', 'wbps', 'riops', 'wiops'] as const).some((k) => d[k] !== undefined && d[k] !== 'max')) {
      out.push(d);
    }
  }
  return out;
}

function readV1Throttle(fs: HostFs, dir: string): IoDeviceLimit[] {
  const byDev = new Map<string, IoDeviceLimit>();
  for (const k of ['rbps', 'wbps', 'riops', 'wiops'] as const) {
    const t = fs.readTextOrNull(joinPath(dir, V1_THROTTLE[k]));
    if (t === null) continue;
    for (const line of t.split('\n')) {
      const m = /^(\d+:\d+)\s+(\d+)$/.exec(line.trim());
      if (!m || m[2] === '0') continue;
      const d = byDev.get(m[1]) ?? { device: m[1] };
      d[k] = Number(m[2]);
      byDev.set(m[1], d);
    }
  }
  return [...byDev.values()];
}

/**
 * Reads the limits in effect for a container's cgroups. For each controller
 * the v1 directory is used when there is one, else the v2 directory; files
 * that are missing (controller not enabled, container gone) give null.
 * Unlimited values (v2 `max`, v1 `-1` or the 2^62+ sentinels) read as `'max'` (U2).
 */
export function readLimits(paths: CgroupPaths, fs: HostFs = new HostFs()): AppliedLimits {
  const drv = driverFromPaths(paths);
  const dir = (c: string) => (drv(c) === 'v1' ? paths.v1[c] : paths.v2);
  const out: AppliedLimits = {
    memory: null,
    memorySoft: null,
    swap: null,
    memsw: null,
    cpuWeight: null,
    cpus: null,
    cpuQuota: null,
    cpuset: null,
    cpusetEffective: null,
    ioWeight: null,
    io: [],
    pids: null,
  };
  const mem = dir('memory');
  if (drv('memory') === 'v1') {
    out.memory = readNum(fs, mem, 'memory.limit_in_bytes');
    out.memorySoft = readNum(fs, mem, 'memory.soft_limit_in_bytes');
    out.memsw = readNum(fs, mem, 'memory.memsw.limit_in_bytes');
    if (out.memsw === 'max') out.swap = 'max';
    else if (typeof out.memsw === 'number' && typeof out.memory === 'number') out.swap = Math.max(0, out.memsw - out.memory);
  } else {
    out.memory = readNum(fs, mem, 'memory.max');
    out.memorySoft = readNum(fs, mem, 'memory.high');
    out.swap = readNum(fs, mem, 'memory.swap.max');
  }
  const cpu = dir('cpu');
  if (drv('cpu') === 'v1') {
    const shares = readNum(fs, cpu, 'cpu.shares');
    out.cpuWeight = typeof shares === 'number' ? cpuSharesToWeight(shares) : null;
    const quota = readNum(fs, cpu, 'cpu.cfs_quota_us');
    const period = readNum(fs, cpu, 'cpu.cfs_period_us');
    if (quota !== null && typeof period === 'number') out.cpuQuota = { quotaUsec: quota, periodUsec: period };
  } else {
    const w = readNum(fs, cpu, 'cpu.weight');
    out.cpuWeight = typeof w === 'number' ? w : null;
    const t = cpu !== undefined ? fs.readTextOrNull(joinPath(cpu, 'cpu.max')) : null;
    out.cpuQuota = t !== null ? parseCpuMax(t) : null;
  }
  out.cpus = out.cpuQuota ? cpusFromQuota(out.cpuQuota) : null;
  const cs = dir('cpuset');
  out.cpuset = readList(fs, cs, 'cpuset.cpus');
  out.cpusetEffective = readList(fs, cs, drv('cpuset') === 'v1' ? 'cpuset.effective_cpus' : 'cpuset.cpus.effective');
  if (drv('blkio') === 'v1') {
    const b = paths.v1.blkio;
    const w = readWeight(fs, b, 'blkio.weight');
    out.ioWeight = w !== null ? blkioToIoWeight(w) : readWeight(fs, b, 'blkio.bfq.weight');
    out.io = readV1Throttle(fs, b);
  } else if (paths.v2 !== undefined) {
    out.ioWeight = readWeight(fs, paths.v2, 'io.weight') ?? readWeight(fs, paths.v2, 'io.bfq.weight');
    const t = fs.readTextOrNull(joinPath(paths.v2, 'io.max'));
    out.io = t !== null ? parseIoMax(t) : [];
  }
  out.pids = readNum(fs, dir('pids'), 'pids.max');
  return out;
}

// ---------------------------------------------------------------- apply

export interface ApplyResult {
  /** what was written, in order, with the host path */
  written: (CgroupFileWrite & { path: string })[];
  /** notes for the user (CPUs dropped as offline, a quota raised to the minimum) */
  messages: string[];
}

/**
 * The typed error for a refused cgroup file write, from its errno (a Node errno error, or one
 * made from a remote tool's strerror text with the same `code`): EINVAL gives E_INVALID_VALUE (exit status 1),
 * EBUSY E_STATE, ENODEV and ENOENT E_NOT_FOUND, EACCES and EPERM E_NOT_ROOT, others E_STATE;
 * the message names the file and the value (cgroup-v2.rst and cgroup-v1 docs for the errno meanings).
 */
export function cgroupWriteError(e: unknown, path: string, value: string): LxdeckError {
  const code = errnoCode(e);
  const what = `writing "${value}" to ${path}`;
  switch (code) {
    case 'EINVAL':
      return new LxdeckError('E_INVALID_VALUE', `the kernel refused ${what}: invalid argument (EINVAL)`, {
        hint: 'the value is out of range for this file or conflicts with another limit (v1: memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes)',
        cause: e,
        exitCode: 1, // the kernel refused a write lxdeck made: a failure (1), not bad usage
      });
    case 'EBUSY':
      return new LxdeckError('E_STATE', `the kernel refused ${what}: busy (EBUSY)`, {
        hint: 'the container uses more than the new limit and the kernel could not reclaim enough; free memory in it or choose a larger limit',
        cause: e,
      });
    case 'ENODEV':
      return new LxdeckError('E_NOT_FOUND', `the kernel refused ${what}: no such device (ENODEV)`, {
        hint: 'the block device MAJOR:MINOR does not exist (lsblk -o NAME,MAJ:MIN), or the container stopped',
        cause: e,
      });
    case 'ENOENT':
      return new LxdeckError('E_NOT_FOUND', `cannot write ${path}: no such file`, {
        hint: 'the container stopped, or this controller or file is not enabled on this host',
        cause: e,
      });
    case 'EACCES':
    case 'EPERM':
      return new LxdeckError('E_NOT_ROOT', `permission denied ${what}`, { hint: 'run lxdeck as root', cause: e });
    default:
      return new LxdeckError('E_STATE', `${what} failed: ${code ?? String(e)}`, { cause: e });
  }
}

/** What to do when a limit's cgroup file is missing, by file (the kernel feature it comes from). */
function missingFileHint(file: string): string {
  if (/^(blkio|io)\.(bfq\.)?weight$/.test(file))
    return 'an I/O weight needs a proportional I/O scheduler the kernel lacks here: BFQ (modprobe bfq; echo bfq > /sys/block/DEV/queue/scheduler) gives blkio.bfq.weight / io.bfq.weight (CFQ\'s blkio.weight left the kernel in 5.0); or leave the I/O weight out (--io-weight default removes a saved one)';
  if (file === 'memory.memsw.limit_in_bytes' || file === 'memory.swap.max')
    return 'swap accounting is off in this kernel: boot with swapaccount=1 (CONFIG_MEMCG_SWAP); or leave the swap limit out (--swap max removes a saved one)';
  if (/^cpu\.(cfs_quota_us|cfs_period_us|max)$/.test(file))
    return 'the kernel lacks CFS bandwidth control (CONFIG_CFS_BANDWIDTH); leave the CPU limit out (--cpus max removes a saved one)';
  return 'this kernel\'s controller does not offer that file; leave the limit out (max, or default for a weight, removes a saved one)';
}

/**
 * The error for a limit whose cgroup file the host lacks (the file, the controller, what to do).
 * @param saved true for a key to save in a stopped container's config (the file was looked for in
 *   another cgroup of that hierarchy, `dir`), false for a running container's own cgroup
 */
export function missingCgroupFileError(w: { driver: 'v1' | 'v2'; controller: string; file: string }, dir: string, saved: boolean): LxdeckError {
  const ctl = `${w.driver === 'v1' ? 'cgroup v1' : 'cgroup v2'} ${w.controller}`;
  return new LxdeckError(
    'E_UNSUPPORTED',
    saved
      ? `cannot save ${configKeyOf(w)}: this host's ${ctl} controller has no ${w.file} file (${joinPath(dir, w.file)}: no such file), so lxc-start would fail to set it`
      : `cannot write ${joinPath(dir, w.file)}: no such file (this host's ${ctl} controller has no ${w.file})`,
    { hint: missingFileHint(w.file) },
  );
}

/**
 * A cgroup directory of the hierarchy where a new container's cgroup for `controller` would be
 * made (LXC makes `lxc.payload.NAME` at the top of each hierarchy, notes/host-facts.md), to see
 * which files such a cgroup has: a child of the hierarchy's top, a container's (`lxc.payload.*`)
 * first, then a monitor's, then any. The top itself is not asked: the kernel leaves many limit
 * files out of the root cgroup (pids.max, memory.max, io.weight, blkio.bfq.weight: CFTYPE_NOT_ON_ROOT).
 * @returns the directory, or null when the hierarchy has no child cgroup (then nothing is known)
 */
export function sampleCgroupDir(fs: HostFs, layout: CgroupLayout, driver: 'v1' | 'v2', controller: string): string | null {
  const top = driver === 'v1' ? layout.v1[controller] : layout.v2Mount;
  if (!top) return null;
  let names: string[];
  try {
    names = fs.readdir(top);
  } catch {
    return null;
  }
  const rank = (n: string) => (n.startsWith('lxc.payload.') ? 0 : n.startsWith('lxc.monitor.') ? 1 : 2);
  // the interface files are named CONTROLLER.*; child cgroups are the other entries
  const files = /^(cgroup|cpu|cpuacct|cpuset|memory|devices|freezer|net_cls|net_prio|blkio|io|perf_event|hugetlb|pids|rdma|misc|irq)\.|^(tasks|notify_on_release|release_agent)$/;
  const ordered = names.filter((n) => !files.test(n)).sort((a, b) => rank(a) - rank(b));
  for (const n of ordered.slice(0, 64)) {
    const dir = joinPath(top, n);
    try {
      fs.readdir(dir);
      return dir;
    } catch {
      /* a file, or gone */
    }
  }
  return null;
}

/**
 * Checks that every limit write has its cgroup file, before anything is written.
 * @param dirOf the directory each write's file is looked for in (the container's own cgroup, or
 *   {@link sampleCgroupDir}); null: not known, not checked
 * @returns the writes without the resets whose file is missing (nothing to put back)
 * @throws LxdeckError E_UNSUPPORTED ({@link missingCgroupFileError}) for a setting whose file is missing
 */
export function checkCgroupFiles<W extends CgroupFileWrite>(fs: HostFs, writes: readonly W[], dirOf: (w: W) => string | null, saved: boolean): W[] {
  const out: W[] = [];
  for (const w of writes) {
    const dir = dirOf(w);
    if (dir === null || fs.exists(joinPath(dir, w.file))) {
      out.push(w);
      continue;
    }
    if (w.reset) continue;
    throw missingCgroupFileError(w, dir, saved);
  }
  return out;
}

/**
 * What applying `limits` to a running container's cgroups would write, in order, without
 * writing: reads what is in effect (for the v1 memsw arithmetic and the CPU period), trims a
 * cpuset to the online CPUs (/sys/devices/system/cpu/online), picks the I/O weight file the
 * host offers, then translates. Only reads through `fs`, so a copy of a remote host's files
 * (core/remote/snapshot-fs.ts) plans the same writes as the host itself.
 * @param opts.raiseCpuQuota raise a quota below 1000 us instead of refusing it
 * A write whose file the container's cgroup lacks is refused up front ({@link checkCgroupFiles});
 * one that puts a file back to its default (unlimited, a default weight) is left out instead.
 * @throws LxdeckError E_INVALID_VALUE (bad value, no such controller), E_NOT_FOUND (no cgroup
 *   directory for a controller), E_UNSUPPORTED (the host lacks a limit's file)
 */
export function planLiveLimits(
  paths: CgroupPaths,
  limits: Limits,
  fs: HostFs = new HostFs(),
  opts: { raiseCpuQuota?: boolean } = {},
): ApplyResult {
  const messages: string[] = [];
  const current = readLimits(paths, fs);
  const todo: Limits = { ...limits };
  if (todo.cpuset !== undefined) {
    const onlineText = fs.readTextOrNull('/sys/devices/system/cpu/online');
    if (onlineText !== null && onlineText.trim() !== '') {
      const t = trimToOnline(todo.cpuset, parseCpuList(onlineText));
      todo.cpuset = t.cpus;
      if (t.message) messages.push(t.message);
    }
  }
  let ioWeightFile: 'weight' | 'bfq.weight' = 'weight';
  if (todo.ioWeight !== undefined) {
    const drv = driverFromPaths(paths);
    const dir = drv('blkio') === 'v1' ? paths.v1.blkio : paths.v2;
    const plain = drv('blkio') === 'v1' ? 'blkio.weight' : 'io.weight';
    const bfq = drv('blkio') === 'v1' ? 'blkio.bfq.weight' : 'io.bfq.weight';
    if (dir !== undefined && !fs.exists(joinPath(dir, plain)) && fs.exists(joinPath(dir, bfq))) ioWeightFile = 'bfq.weight';
  }
  if (todo.cpus !== undefined && todo.cpus !== 'max') {
    const q = cpuQuotaFor(todo.cpus, current.cpuQuota?.periodUsec ?? DEFAULT_CPU_PERIOD_USEC, { raise: opts.raiseCpuQuota });
    if (q.message) messages.push(q.message);
  }
  const writes = translate(todo, driverFromPaths(paths), { current, ioWeightFile, raiseCpuQuota: opts.raiseCpuQuota }, 'live');
  // a file this host lacks is refused before anything is written; putting one back is skipped
  const present = checkCgroupFiles(fs, writes, (w) => dirFor(paths, w), false);
  return { written: present.map((w) => ({ ...w, path: joinPath(dirFor(paths, w), w.file) })), messages };
}

/**
 * Applies `limits` to a running container's cgroups, live: the writes of
 * {@link planLiveLimits}, each file written in turn. Writes stop at the first refusal.
 * @param opts.raiseCpuQuota raise a quota below 1000 us instead of refusing it
 * @throws LxdeckError E_INVALID_VALUE (bad value, or the kernel said EINVAL), E_STATE (EBUSY),
 *   E_NOT_FOUND (file missing: container gone or controller off; ENODEV: no such block device),
 *   E_NOT_ROOT (EACCES/EPERM);
 *   each message names the file and the value ({@link cgroupWriteError})
 */
export function applyLimit(
  paths: CgroupPaths,
  limits: Limits,
  fs: HostFs = new HostFs(),
  opts: { raiseCpuQuota?: boolean } = {},
): ApplyResult {
  const plan = planLiveLimits(paths, limits, fs, opts);
  const written: ApplyResult['written'] = [];
  for (const w of plan.written) {
    try {
      fs.writeText(w.path, w.value);
    } catch (e) {
      throw cgroupWriteError(e, w.path, w.value);
    }
    written.push(w);
  }
  return { written, messages: plan.messages };
}
