/**
 * Units used across lxdeck: sizes in bytes, unlimited sentinels, CPU time,
 * cpuset lists and CPU bandwidth (quota/period).
 *
 * Internal units (one each, everywhere in the engine):
 *  - sizes: bytes, as a JS number (exact up to 2^53 - 1 = 8 PiB), or the
 *    string `'max'` for unlimited;
 *  - CPU time: microseconds (v2 `cpu.stat usage_usec` as is; v1
 *    `cpuacct.usage`, which is nanoseconds, divided by 1000);
 *  - CPU quota and period: microseconds, like the kernel's `cpu.max` and
 *    `cpu.cfs_quota_us` / `cpu.cfs_period_us`.
 *
 * Sources: Documentation/admin-guide/cgroup-v2.rst (cpu.max, memory.max,
 * "Weights"), Documentation/scheduler/sched-bwc.rst (quota/period bounds),
 * Documentation/admin-guide/cgroup-v1/cpusets.rst ("List format").
 */
import type { LimitValue } from './types.js';
export type { LimitValue };
import { LxdeckError } from './errors.js';


// ---------------------------------------------------------------- sizes (U1)

/** The size grammar, one text for `--help`, the sliders and error hints. */
export const SIZE_GRAMMAR =
  'a whole number of bytes (512000), or a number with a unit: K, M, G, T, P or ' +
  'KiB, MiB, GiB, TiB, PiB are powers of 1024 (512M = 512MiB = 536870912); ' +
  'kB, MB, GB, TB, PB are powers of 1000 (1GB = 1000000000); a fraction is allowed ' +
  'with a unit (1.5G = 1610612736, rounded down to a whole byte); the case of the ' +
  'unit letter and of "i"/"b" in KiB...PiB does not matter (1gib = 1GiB); "Mb", "Gb" ' +
  '(bits) are refused; -1 or max mean unlimited';

/** The size grammar in one line, for error hints (the whole text is in `--help`). */
export const SIZE_HINT =
  'accepted: bytes, K M G T P or KiB..PiB (x1024: 512M, 1.5G), kB MB GB TB PB (x1000), ' +
  '-1 or max (unlimited); --help has the whole grammar';

const POWER: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 };

function sizeError(text: string, why: string): LxdeckError {
  return new LxdeckError('E_INVALID_VALUE', `invalid size "${text}": ${why}`, { hint: SIZE_HINT });
}

/**
 * Parses a size as typed by a person or found in a config (U1).
 *
 * Grammar ({@link SIZE_GRAMMAR}): `N` bytes; `N` + K/M/G/T/P (any case, the
 * kernel's memparse() letters) or KiB/MiB/GiB/TiB/PiB (`i` and `b` in any
 * case; `Gi` alone too) = powers of 1024; kB/KB/MB/GB/TB/PB (upper-case `B`) =
 * powers of 1000; `B` alone = bytes. A lower-case `b` after a letter without
 * `i` (`Mb`, `Gb`) reads as bits and is refused. Fractions need a unit and
 * are rounded down to a whole byte. `-1` and `max` (any case) mean unlimited.
 *
 * @returns bytes, or `'max'` for unlimited
 * @throws LxdeckError E_INVALID_VALUE naming the problem, with the accepted grammar as hint
 */
export function parseSize(text: string): LimitValue {
  const s = text.trim();
  if (s === '') throw sizeError(text, 'empty');
  if (s === '-1' || s.toLowerCase() === 'max') return 'max';
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)$/.exec(s);
  if (!m) {
    if (/^-/.test(s)) throw sizeError(text, 'negative sizes other than -1 (unlimited) are not allowed');
    throw sizeError(text, 'not a number with an optional unit');
  }
  const [, num, unitRaw] = m;
  let factor: number;
  if (unitRaw === '' || unitRaw === 'B') {
    factor = 1;
  } else {
    const letter = unitRaw[0].toLowerCase();
    const rest = unitRaw.slice(1);
    const power = POWER[letter];
    if (power === undefined) throw sizeError(text, `unknown unit "${unitRaw}"`);
    if (rest === '' || /^i[bB]?$/i.test(rest)) {
      factor = 1024 ** power;
    } else if (rest === 'B') {
      factor = 1000 ** power;
    } else if (rest === 'b') {
      throw sizeError(text, `"${unitRaw}" reads as bits; write ${unitRaw[0].toUpperCase()}B (powers of 1000) or ${unitRaw[0].toUpperCase()}iB (powers of 1024)`);
    } else {
      throw sizeError(text, `unknown unit "${unitRaw}"`);
    }
  }
  if (factor === 1 && num.includes('.')) throw sizeError(text, 'a fraction of a byte');
  const bytes = Math.floor(Number(num) * factor);
  if (!Number.isSafeInteger(bytes)) throw sizeError(text, 'too large (more than 8 PiB)');
  return bytes;
}

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/**
 * Human text for a byte count in IEC units: `0 B`, `512 MiB`, `1.5 GiB`,
 * `1023 B`; up to `digits` decimals (default 1), trailing `.0` dropped.
 * `'max'` gives `unlimited`; null (or a negative / non-finite number) gives `unknown`.
 */
export function formatBytes(n: number | 'max' | null, digits = 1): string {
  if (n === 'max') return 'unlimited';
  if (n === null || !Number.isFinite(n) || n < 0) return 'unknown';
  let v = n;
  let i = 0;
  while (v >= 1024 && i < IEC.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${n} B`;
  let txt = v.toFixed(digits);
  if (txt.includes('.')) txt = txt.replace(/\.?0+$/, '');
  return `${txt} ${IEC[i]}`;
}

// -------------------------------------------------- unlimited sentinels (U2)

/**
 * Values at or above 2^62 read from a v1 cgroup file are the kernel's
 * "unlimited" (v1 `memory.limit_in_bytes` reads PAGE_COUNTER_MAX * PAGE_SIZE =
 * 9223372036854771712 with 4 KiB pages; other page sizes round LONG_MAX
 * differently), so anything that large is treated as unlimited.
 */
export const V1_UNLIMITED_THRESHOLD = 2n ** 62n;

/**
 * Parses the content of a cgroup limit file (v1 or v2) into a {@link LimitValue} (U2):
 * `max` (v2), `-1` (v1 cfs_quota_us, pids), and any value >= 2^62 (v1's
 * page-rounded LONG_MAX `9223372036854771712`) become `'max'`; never a
 * 19-digit number or a negative one.
 * @returns the value, or null when the text is not a number (or empty)
 */
export function parseCgroupLimit(text: string): LimitValue | null {
  const s = text.trim();
  if (s === 'max' || s === '-1') return 'max';
  if (!/^\d+$/.test(s)) return null;
  const big = BigInt(s);
  if (big >= V1_UNLIMITED_THRESHOLD) return 'max';
  return Number(big);
}

/** True for `'max'` and for numbers at or above the v1 unlimited threshold (2^62). */
export function isUnlimited(v: LimitValue | null | undefined): boolean {
  return v === 'max' || (typeof v === 'number' && v >= Number(V1_UNLIMITED_THRESHOLD));
}

/**
 * `used` as a percentage of `limit` (0..100+, may exceed 100), or null when it
 * cannot be known: used or limit unknown (null), limit unlimited (`'max'` or a
 * v1 sentinel), zero, negative or not finite. Never divides by zero (U2).
 */
export function percent(used: number | null | undefined, limit: LimitValue | null | undefined): number | null {
  if (used === null || used === undefined || !Number.isFinite(used)) return null;
  if (limit === null || limit === undefined || isUnlimited(limit)) return null;
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) return null;
  return (used / limit) * 100;
}

/**
 * The limit to show for a container: its own when set; else (unlimited or
 * unknown) the nearest limited parent's, else the host's total (e.g. MemTotal),
 * each tagged with where it came from, so a screen never shows a sentinel (U2).
 */
export function effectiveLimit(
  own: LimitValue | null,
  parents: (LimitValue | null)[] = [],
  hostTotal: number | null = null,
): { value: number | null; source: 'own' | 'parent' | 'host' | 'none' } {
  if (own !== null && !isUnlimited(own)) return { value: own as number, source: 'own' };
  for (const p of parents) if (p !== null && !isUnlimited(p)) return { value: p as number, source: 'parent' };
  if (hostTotal !== null && hostTotal > 0) return { value: hostTotal, source: 'host' };
  return { value: null, source: 'none' };
}

// ------------------------------------------------------------ CPU time (U3)

/**
 * v1 `cpuacct.usage` (nanoseconds, a decimal string that can exceed 2^53)
 * to microseconds, exactly (integer division).
 * @returns microseconds, or null when the text is not a whole number
 */
export function nsTextToUsec(text: string): number | null {
  const s = text.trim();
  if (!/^\d+$/.test(s)) return null;
  return Number(BigInt(s) / 1000n);
}

/**
 * CPU use between two samples as a percentage of ONE CPU (100 = one CPU fully
 * busy; 200 = two CPUs). All three arguments are microseconds (U3).
 * @returns the percentage, or null when it cannot be known: a missing sample,
 *   elapsed <= 0, or a counter that went backwards (the container restarted)
 */
export function cpuPercent(prevUsec: number | null, nextUsec: number | null, elapsedUsec: number): number | null {
  if (prevUsec === null || nextUsec === null || !(elapsedUsec > 0)) return null;
  const d = nextUsec - prevUsec;
  if (d < 0) return null;
  return (d / elapsedUsec) * 100;
}

// -------------------------------------------------------- cpuset lists (U4)

/** Highest CPU number accepted in a list (the kernel's NR_CPUS is at most 8192). */
export const MAX_CPU_ID = 8191;

/**
 * Parses a cpuset list (`0-3,7`, `1-8,10-12`), the kernel's "List format":
 * comma-separated CPU numbers and inclusive ranges `A-B` with A <= B. Spaces
 * around items are tolerated; an empty list, `10-6`, `1--3`, `a`, `1,,2` are refused (U4).
 * @returns the CPU numbers, sorted, without duplicates
 * @throws LxdeckError E_INVALID_VALUE naming the bad item
 */
export function parseCpuList(text: string): number[] {
  const s = text.trim();
  const bad = (why: string) =>
    new LxdeckError('E_INVALID_VALUE', `invalid CPU list "${text}": ${why}`, {
      hint: 'a CPU list is CPU numbers and ranges separated by commas, e.g. 0-3,7',
    });
  if (s === '') throw bad('empty');
  const set = new Set<number>();
  for (const raw of s.split(',')) {
    const item = raw.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) throw bad(item === '' ? 'an empty item' : `"${item}" is not a CPU number or range A-B`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (a > b) throw bad(`range "${item}" goes backwards`);
    if (b > MAX_CPU_ID) throw bad(`CPU ${b} is above ${MAX_CPU_ID}`);
    for (let c = a; c <= b; c++) set.add(c);
  }
  return [...set].sort((x, y) => x - y);
}

/** Formats CPU numbers as the kernel prints a cpuset list: `[0,1,2,3,7]` gives `0-3,7`, `[0,1]` gives `0-1`; `[]` gives ``. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Keeps the CPUs of `requested` that are online (U4).
 * @param online the host's online CPUs (from `/sys/devices/system/cpu/online`)
 * @returns `cpus` kept, `dropped` the offline ones, and a `message` naming them when any were dropped
 * @throws LxdeckError E_INVALID_VALUE when none of the requested CPUs is online
 */
export function trimToOnline(
  requested: readonly number[],
  online: readonly number[],
): { cpus: number[]; dropped: number[]; message?: string } {
  const on = new Set(online);
  const cpus = requested.filter((c) => on.has(c));
  const dropped = requested.filter((c) => !on.has(c));
  if (cpus.length === 0) {
    throw new LxdeckError('E_INVALID_VALUE', `none of CPUs ${formatCpuList(requested)} is online`, {
      hint: `online CPUs: ${formatCpuList(online)}`,
    });
  }
  if (dropped.length === 0) return { cpus, dropped };
  return {
    cpus,
    dropped,
    message: `CPU${dropped.length > 1 ? 's' : ''} ${formatCpuList(dropped)} ${dropped.length > 1 ? 'are' : 'is'} not online (online: ${formatCpuList(online)}); using ${formatCpuList(cpus)}`,
  };
}

// --------------------------------------------------------- CPU quota (U5)

/** Kernel bounds for CFS bandwidth (Documentation/scheduler/sched-bwc.rst): quota and period >= 1 ms. */
export const MIN_CPU_QUOTA_USEC = 1000;
/** Period bounds: 1 ms .. 1 s. */
export const MIN_CPU_PERIOD_USEC = 1000;
export const MAX_CPU_PERIOD_USEC = 1_000_000;
/** The kernel's default period, and LXC's. */
export const DEFAULT_CPU_PERIOD_USEC = 100_000;

/**
 * Parses a number of CPUs as typed (`1.5`, `0.25`, `2`, `max`, `-1`).
 * @returns a positive number of CPUs, or `'max'` (no quota)
 * @throws LxdeckError E_INVALID_VALUE for anything else (0, negative, not a number)
 */
export function parseCpus(text: string): number | 'max' {
  const s = text.trim();
  if (s === '-1' || s.toLowerCase() === 'max') return 'max';
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(s) || !(Number(s) > 0)) {
    throw new LxdeckError('E_INVALID_VALUE', `invalid number of CPUs "${text}"`, {
      hint: 'a positive number of CPUs such as 0.5, 1.5 or 2; max or -1 for no limit',
    });
  }
  return Number(s);
}

export interface CpuQuota {
  /** microseconds of CPU time per period, or `'max'` for no limit */
  quotaUsec: number | 'max';
  periodUsec: number;
  /** set when the quota was raised to the kernel minimum */
  message?: string;
}

/**
 * CPU bandwidth for `cpus` CPUs with the given period (U5): quota =
 * round(cpus * period). The period is kept as given (changing a quota keeps
 * the cgroup's current period). A quota below the kernel minimum (1000 us) is
 * refused, or raised to 1000 us with a `message` when `opts.raise` is set.
 * @param periodUsec the current period, microseconds (default 100000)
 * @throws LxdeckError E_INVALID_VALUE for a bad period, cpus <= 0, or a too-small quota without `raise`
 */
export function cpuQuotaFor(cpus: number | 'max', periodUsec = DEFAULT_CPU_PERIOD_USEC, opts: { raise?: boolean } = {}): CpuQuota {
  if (!Number.isInteger(periodUsec) || periodUsec < MIN_CPU_PERIOD_USEC || periodUsec > MAX_CPU_PERIOD_USEC) {
    throw new LxdeckError('E_INVALID_VALUE', `invalid CPU period ${periodUsec} us`, {
      hint: `the period must be ${MIN_CPU_PERIOD_USEC}..${MAX_CPU_PERIOD_USEC} microseconds`,
    });
  }
  if (cpus === 'max') return { quotaUsec: 'max', periodUsec };
  if (!Number.isFinite(cpus) || cpus <= 0) {
    throw new LxdeckError('E_INVALID_VALUE', `invalid number of CPUs ${cpus}`, { hint: 'a positive number of CPUs, or max' });
  }
  const quota = Math.round(cpus * periodUsec);
  if (quota < MIN_CPU_QUOTA_USEC) {
    const minCpus = MIN_CPU_QUOTA_USEC / periodUsec;
    const msg = `${cpus} CPU is a quota of ${quota} us per ${periodUsec} us, below the kernel minimum of ${MIN_CPU_QUOTA_USEC} us (${minCpus} CPU)`;
    if (!opts.raise) throw new LxdeckError('E_INVALID_VALUE', msg, { hint: `use at least ${minCpus} CPU` });
    return { quotaUsec: MIN_CPU_QUOTA_USEC, periodUsec, message: `${msg}; raised to ${minCpus} CPU` };
  }
  return { quotaUsec: quota, periodUsec };
}

/** The number of CPUs a quota gives (quota / period), or `'max'`. */
export function cpusFromQuota(q: { quotaUsec: number | 'max'; periodUsec: number }): number | 'max' {
  if (q.quotaUsec === 'max' || q.quotaUsec < 0) return 'max';
  return q.quotaUsec / q.periodUsec;
}

/** v2 `cpu.max` text for a quota: `150000 100000`, or `max 100000` for unlimited (U5). */
export function formatCpuMax(q: { quotaUsec: number | 'max'; periodUsec: number }): string {
  return `${q.quotaUsec === 'max' ? 'max' : q.quotaUsec} ${q.periodUsec}`;
}

/**
 * Parses v2 `cpu.max` (`max 100000`, `150000 100000`; the period may be
 * missing, then 100000).
 * @returns the quota and period, or null when the text is malformed
 */
export function parseCpuMax(text: string): { quotaUsec: number | 'max'; periodUsec: number } | null {
  const [q, p] = text.trim().split(/\s+/);
  const period = p === undefined ? DEFAULT_CPU_PERIOD_USEC : Number(p);
  if (!Number.isInteger(period) || period <= 0) return null;
  if (q === 'max') return { quotaUsec: 'max', periodUsec: period };
  if (!/^\d+$/.test(q ?? '')) return null;
  return { quotaUsec: Number(q), periodUsec: period };
}
