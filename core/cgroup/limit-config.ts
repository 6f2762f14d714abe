/**
 * Saving limits in a container's config so they hold after a restart
 * (lxc.container.conf(5) "CONTROL GROUPS": `lxc.cgroup.<file>` for a v1
 * controller, `lxc.cgroup2.<file>` for a v2 one), and case C3: the other
 * layout's key for the same limit is removed, so a v1 key on a v2 host (or a
 * v2 key on a v1 one), which LXC ignores or refuses, is never silently kept
 * as the only setting.
 */
import type { AppliedLimits, ConfigKeyValue } from './limits.js';
import { LxcConfig } from '../lxc/config.js';
import { parseCgroupLimit, parseCpuMax, parseSize, type LimitValue } from '../units.js';

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
