/**
 * Limits as a person types them (CLI flags, a slider's typed value) turned
 * into the engine's {@link Limits} model (core/cgroup/limits.ts), with every
 * unit checked before anything is written:
 *  - sizes per the one grammar (U1, units.ts SIZE_GRAMMAR): memory, soft
 *    memory, swap, I/O rates (bytes per second);
 *  - CPUs as a number (1.5) or max (U5: the quota bounds are checked when
 *    translated, cpuQuotaFor);
 *  - a cpuset list (U4), trimmed to the online CPUs with a message naming
 *    the dropped ones;
 *  - per-device I/O limits as `DEV=RATE`, DEV a block device number
 *    `MAJOR:MINOR` or a device node (`/dev/sda`), RATE a size or max.
 */
import { statSync } from 'node:fs';
import { LxdeckError } from '../errors.js';
import type { IoDeviceLimit, Limits } from './limits.js';
import { SIZE_HINT, parseCpuList, parseCpus, parseSize, trimToOnline, type LimitValue } from '../units.js';

/** Limits as typed; every field is optional and left as it is when absent. */
export interface LimitsInput {
  /** hard memory limit: a size (U1) or max */
  memory?: string | LimitValue;
  /** soft memory limit (v2 memory.high, v1 memory.soft_limit_in_bytes) */
  memorySoft?: string | LimitValue;
  /** swap alone (v2 memory.swap.max; v1 memsw = memory + swap) */
  swap?: string | LimitValue;
  /** CPU quota as a number of CPUs (1.5) or max */
  cpus?: string | number | 'max';
  /** relative CPU weight 1..10000 (default 100), or `default` to remove a set one */
  cpuWeight?: string | number;
  /** CPU list (`0-1,3`) or numbers */
  cpuset?: string | number[];
  /** maximum number of processes, or max */
  pids?: string | LimitValue;
  /** relative block I/O weight 1..10000 (default 100), or `default` to remove a set one */
  ioWeight?: string | number;
  /** `DEV=RATE` read bytes per second, one or several */
  ioRead?: string | string[];
  /** `DEV=RATE` write bytes per second */
  ioWrite?: string | string[];
  /** `DEV=N` read operations per second */
  ioReadIops?: string | string[];
  /** `DEV=N` write operations per second */
  ioWriteIops?: string | string[];
}

/** The grammar of a per-device I/O limit, for --help. */
export const IO_LIMIT_GRAMMAR = 'DEV=RATE: DEV is MAJOR:MINOR (lsblk -o NAME,MAJ:MIN) or a device node like /dev/sda; RATE a size per second (10M) or max to remove the limit';

function bad(what: string, hint: string): LxdeckError {
  return new LxdeckError('E_INVALID_VALUE', what, { hint });
}

/** `MAJOR:MINOR` of a block device node, from its st_rdev (Linux's dev_t encoding). */
export function deviceNumberOf(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw bad(`no such block device ${path}`, 'give MAJOR:MINOR or an existing device node (lsblk -o NAME,MAJ:MIN)');
  }
  if (!st.isBlockDevice()) throw bad(`${path} is not a block device`, 'give a disk such as /dev/sda, or MAJOR:MINOR');
  const dev = st.rdev;
  const hi = Math.floor(dev / 2 ** 32);
  const lo = dev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | (hi & 0xfffff000);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xfffff00);
  return `${major}:${minor}`;
}

function sizeOf(v: string | LimitValue, what: string): LimitValue {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw bad(`${what} ${v} is not a size`, SIZE_HINT);
    return v;
  }
  if (v === 'max') return 'max';
  try {
    return parseSize(v);
  } catch (e) {
    if (e instanceof LxdeckError) throw new LxdeckError(e.code, `${what}: ${e.message}`, { hint: e.hint });
    throw e;
  }
}

/** A whole number lo..hi; `hint` says what the kernel's file takes (the range alone is not a useful example). */
function intOf(v: string | number, what: string, lo: number, hi: number, hint: string): number {
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < lo || n > hi) throw bad(`${what} ${JSON.stringify(v)} is not a whole number ${lo}..${hi}`, hint);
  return n;
}

/** A weight 1..10000, or `default` (the kernel's default, 100: a saved one is removed). */
function weightOf(v: string | number, what: string): number | 'default' {
  if (typeof v === 'string' && /^\s*default\s*$/i.test(v)) return 'default';
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 10000)
    throw bad(`${what} ${JSON.stringify(v)} is not a whole number 1..10000`, 'a weight from 1 to 10000, e.g. 100 (the default; 200 gets twice the share), or default to remove a set weight');
  return n;
}

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/**
 * Parses typed limits.
 * @param opts.online the host's online CPUs (cpuset trimming, U4); omitted: no trimming
 * @param opts.deviceNumberOf resolves a device node to MAJOR:MINOR (tests); default {@link deviceNumberOf}
 * @returns the Limits model and messages (CPUs dropped as offline)
 * @throws LxdeckError E_INVALID_VALUE naming the flag and what is accepted
 */
export function parseLimitsInput(
  input: LimitsInput,
  opts: { online?: readonly number[]; deviceNumberOf?: (path: string) => string } = {},
): { limits: Limits; messages: string[] } {
  const limits: Limits = {};
  const messages: string[] = [];
  if (input.memory !== undefined) limits.memory = sizeOf(input.memory, 'memory');
  if (input.memorySoft !== undefined) limits.memorySoft = sizeOf(input.memorySoft, 'soft memory');
  if (input.swap !== undefined) limits.swap = sizeOf(input.swap, 'swap');
  if (input.cpus !== undefined) {
    if (typeof input.cpus === 'number') {
      if (!(input.cpus > 0)) throw bad(`invalid number of CPUs ${input.cpus}`, 'a positive number of CPUs such as 0.5, 1.5 or 2; max for no limit');
      limits.cpus = input.cpus;
    } else limits.cpus = parseCpus(input.cpus);
    // a quota above the host's CPUs is allowed by the kernel but can never be used up: say so
    if (typeof limits.cpus === 'number' && opts.online && opts.online.length && limits.cpus > opts.online.length)
      messages.push(`${limits.cpus} CPUs is more than this host's ${opts.online.length} online CPUs: the container can use at most ${opts.online.length}`);
  }
  if (input.cpuWeight !== undefined) limits.cpuWeight = weightOf(input.cpuWeight, 'CPU weight');
  if (input.ioWeight !== undefined) limits.ioWeight = weightOf(input.ioWeight, 'I/O weight');
  if (input.pids !== undefined) {
    if (input.pids === 'max' || (typeof input.pids === 'string' && /^\s*(max|-1)\s*$/i.test(input.pids))) limits.pids = 'max';
    else limits.pids = intOf(input.pids, 'pids limit', 1, 4194304, 'pids.max must be at least 1 (the container\'s init is a process), e.g. --pids 100; max (or -1) for no limit');
  }
  if (input.cpuset !== undefined) {
    let cpus = typeof input.cpuset === 'string' ? parseCpuList(input.cpuset) : [...new Set(input.cpuset)].sort((a, b) => a - b);
    if (cpus.length === 0) throw bad('the CPU list is empty', 'name at least one CPU, e.g. 0-1');
    if (opts.online && opts.online.length) {
      const t = trimToOnline(cpus, opts.online);
      cpus = t.cpus;
      if (t.message) messages.push(t.message);
    }
    limits.cpuset = cpus;
  }
  const devs = new Map<string, IoDeviceLimit>();
  const resolveDev = opts.deviceNumberOf ?? deviceNumberOf;
  const addIo = (items: string[], field: 'rbps' | 'wbps' | 'riops' | 'wiops', flag: string) => {
    for (const item of items) {
      const eq = item.lastIndexOf('=');
      if (eq <= 0) throw bad(`${flag} "${item}" is not DEV=RATE`, IO_LIMIT_GRAMMAR);
      const devText = item.slice(0, eq).trim();
      const device = /^\d+:\d+$/.test(devText) ? devText : devText.startsWith('/') ? resolveDev(devText) : null;
      if (device === null) throw bad(`${flag}: "${devText}" is not MAJOR:MINOR or a device node`, IO_LIMIT_GRAMMAR);
      const rateText = item.slice(eq + 1).trim();
      let rate: LimitValue;
      if (field === 'riops' || field === 'wiops') {
        rate = /^(max|-1)$/i.test(rateText) ? 'max' : intOf(rateText, `${flag} operations per second`, 1, Number.MAX_SAFE_INTEGER, `at least 1 operation per second, e.g. ${flag} /dev/sda=100; max for no limit`);
      } else {
        rate = sizeOf(rateText, flag);
        if (rate === 0) throw bad(`${flag} ${devText}=0 would stop all I/O`, 'give a rate per second such as 10M, or max to remove the limit');
      }
      const d = devs.get(device) ?? { device };
      d[field] = rate;
      devs.set(device, d);
    }
  };
  addIo(list(input.ioRead), 'rbps', '--io-read');
  addIo(list(input.ioWrite), 'wbps', '--io-write');
  addIo(list(input.ioReadIops), 'riops', '--io-read-iops');
  addIo(list(input.ioWriteIops), 'wiops', '--io-write-iops');
  if (devs.size) limits.io = [...devs.values()];
  return { limits, messages };
}
