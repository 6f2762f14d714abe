/**
 * The resource sliders' model, pure: one slider per limit (memory, swap,
 * CPUs, CPU weight, pids, I/O weight), each with its scale (small and big
 * steps, the top of the scale past which a limit reads unlimited), its value
 * in effect (from `engine.limits()`: read from the cgroups of a running
 * container, else from the keys saved in its config), the typed-value
 * grammar (U1 sizes for memory and swap), and the LimitsInput a value
 * becomes for `engine.setLimits`.
 */
import type { AppliedLimits, ConfigKeyValue } from '../../core/cgroup/limits.js';
import { blkioToIoWeight, cpuSharesToWeight } from '../../core/cgroup/limits.js';
import type { ContainerLimits } from '../../core/cgroup/resources.js';
import type { LimitsInput } from '../../core/cgroup/limit-input.js';
import type { StatsSample } from '../../core/stats/types.js';
import { LxdeckError } from '../../core/errors.js';
import { SIZE_GRAMMAR, cpusFromQuota, parseCgroupLimit, parseCpuMax, parseCpus, parseSize } from '../../core/units.js';
import { compactBytes, rateText } from '../screens/stats-format.js';

export type SliderId = 'memory' | 'swap' | 'cpus' | 'cpuWeight' | 'pids' | 'ioWeight';
/** A slider's value: a number in the slider's unit (bytes, CPUs, a weight, processes), 'max' (unlimited), or null (unknown / not set). */
export type SliderValue = number | 'max' | null;

/** What the scales are relative to. */
export interface HostScale {
  /** bytes of RAM */
  memoryBytes: number;
  /** online CPUs */
  cpus: number;
}

export interface Scale {
  min: number;
  max: number;
  step: number;
  bigStep: number;
  /** past `max` the value is 'max'; else it stops at max */
  unlimited: boolean;
  /** where a slider with no value starts */
  start: number;
  /** the knob's place on a log scale (weights: 100 of 1..10000 sits in the middle) */
  log?: boolean;
  /**
   * The values the arrows step through, ascending, ending at `max` (memory and swap: sizes
   * about 1.5x apart, so a step is a share of the value, not a fixed amount). When set, `step`
   * and `bigStep` are not used: an arrow moves one rung, a big step {@link BIG_RUNGS} rungs.
   */
  ladder?: readonly number[];
}

/** Rungs of a ladder one big step moves (a factor of 4 on the memory ladder). */
export const BIG_RUNGS = 4;

export interface SliderDef {
  id: SliderId;
  label: string;
  scale(host: HostScale): Scale;
  /** the value as shown */
  format(v: SliderValue): string;
  /** the grammar of a typed value */
  grammar: string;
  /** a typed value; @throws LxdeckError E_INVALID_VALUE naming what is accepted */
  parse(text: string): SliderValue;
  /** the LimitsInput for setLimits; 'max' (the `u` key): unlimited, or a weight's default, which removes the saved key */
  input(v: number | 'max'): LimitsInput;
  /** the value in effect */
  applied(a: AppliedLimits): SliderValue;
  /** the value saved in the config (a stopped container) */
  saved(keys: readonly ConfigKeyValue[]): SliderValue;
  /** what is in use now, drawn beside the slider */
  use(s: StatsSample | undefined): string;
}

/** The largest power of two times 1 MiB at or below `bytes / 64` (at least 4 MiB). */
function memStep(hostBytes: number): number {
  let s = 4 << 20;
  while (s * 2 <= hostBytes / 64) s *= 2;
  return s;
}

/**
 * The memory ladder: `first`, then 4 MiB times a power of two and 1.5 times that (4M 6M 8M 12M
 * 16M ... 512M 768M 1G 1.5G 2G 3G ...) below `top`, then `top` (the host's memory rounded
 * down to a step). From unlimited the first step down lands on `top`, a limit that changes
 * nothing yet; each further step takes about a third off.
 */
export function memLadder(top: number, first?: number): number[] {
  const out: number[] = first === undefined ? [] : [first];
  for (let p = 4 << 20; p < top; p *= 2) {
    for (const v of [p, p * 1.5]) if (v < top && (out.length === 0 || v > out[out.length - 1])) out.push(v);
  }
  if (out.length === 0 || top > out[out.length - 1]) out.push(top);
  return out;
}

function savedKey(keys: readonly ConfigKeyValue[], ...files: string[]): string | null {
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i].key.replace(/^lxc\.cgroup2?\./, '');
    if (files.includes(k)) return keys[i].value;
  }
  return null;
}

function sizeOrNull(text: string | null): SliderValue {
  if (text === null) return null;
  try {
    return parseSize(text.trim());
  } catch {
    return parseCgroupLimit(text);
  }
}

function intText(what: string, lo: number, hi: number, allowMax: boolean): (t: string) => SliderValue {
  return (t) => {
    const s = t.trim().toLowerCase();
    if (allowMax && (s === 'max' || s === '-1')) return 'max';
    if (!/^\d+$/.test(s) || Number(s) < lo || Number(s) > hi)
      throw new LxdeckError('E_INVALID_VALUE', `${what} "${t}" is not a whole number ${lo}..${hi}${allowMax ? ' or max' : ''}`, { hint: `type a whole number ${lo}..${hi}${allowMax ? '; max or -1 for unlimited' : ''}` });
    return Number(s);
  };
}

/** A weight as shown: 'max' is what `u` sends, the default (no key saved). */
const weightText = (v: SliderValue): string => (v === null ? 'not set' : v === 'max' ? 'default' : `${v}${v === 100 ? ' (default)' : ''}`);
const bytesOrMax = (v: SliderValue): string => (v === null ? 'not set' : v === 'max' ? 'unlimited' : compactBytes(v));
const live = (s: StatsSample | undefined): s is StatsSample => s !== undefined && s.state !== 'STOPPED';

export const SLIDERS: readonly SliderDef[] = [
  {
    id: 'memory',
    label: 'memory',
    scale: (h) => {
      const step = memStep(h.memoryBytes);
      const top = Math.max(step, Math.floor(h.memoryBytes / step) * step);
      const ladder = memLadder(top);
      return { min: ladder[0], max: top, step, bigStep: step * 8, unlimited: true, start: Math.max(step, Math.min(512 << 20, Math.floor(h.memoryBytes / 2 / step) * step)), ladder };
    },
    format: bytesOrMax,
    grammar: SIZE_GRAMMAR,
    parse: (t) => parseSize(t),
    input: (v) => ({ memory: v }),
    applied: (a) => a.memory,
    saved: (k) => sizeOrNull(savedKey(k, 'memory.max', 'memory.limit_in_bytes')),
    use: (s) => (live(s) && s.memory.used !== null ? `used ${compactBytes(s.memory.used)}, cache ${compactBytes(s.memory.cache)}` : ''),
  },
  {
    id: 'swap',
    label: 'swap',
    scale: (h) => {
      const step = memStep(h.memoryBytes);
      const top = Math.max(step, Math.floor(h.memoryBytes / step) * step);
      return { min: 0, max: top, step, bigStep: step * 8, unlimited: true, start: 0, ladder: memLadder(top, 0) };
    },
    format: bytesOrMax,
    grammar: SIZE_GRAMMAR,
    parse: (t) => parseSize(t),
    input: (v) => ({ swap: v }),
    applied: (a) => a.swap,
    saved: (k) => {
      const v2 = savedKey(k, 'memory.swap.max');
      if (v2 !== null) return sizeOrNull(v2);
      const memsw = sizeOrNull(savedKey(k, 'memory.memsw.limit_in_bytes'));
      const mem = sizeOrNull(savedKey(k, 'memory.limit_in_bytes'));
      if (memsw === 'max') return 'max';
      return typeof memsw === 'number' && typeof mem === 'number' ? Math.max(0, memsw - mem) : null;
    },
    use: (s) => (live(s) && s.memory.swap !== null ? `used ${compactBytes(s.memory.swap)}` : live(s) ? 'swap use not accounted' : ''),
  },
  {
    id: 'cpus',
    label: 'CPUs',
    scale: (h) => ({ min: 0.1, max: Math.max(1, h.cpus), step: 0.1, bigStep: 0.5, unlimited: true, start: Math.max(0.1, Math.min(1, h.cpus)) }),
    format: (v) => (v === null ? 'not set' : v === 'max' ? 'unlimited' : `${Number(v.toFixed(2))} CPU${v === 1 ? '' : 's'}`),
    grammar: 'a number of CPUs of quota per period, such as 0.5, 1.5 or 2; max or -1 for unlimited',
    parse: (t) => parseCpus(t),
    input: (v) => ({ cpus: v }),
    applied: (a) => a.cpus,
    saved: (k) => {
      const v2 = savedKey(k, 'cpu.max');
      const q = v2 === null ? null : parseCpuMax(v2);
      if (q) return cpusFromQuota(q);
      const quota = savedKey(k, 'cpu.cfs_quota_us');
      const period = savedKey(k, 'cpu.cfs_period_us') ?? '100000';
      if (quota === null) return null;
      const qn = Number(quota.trim());
      return qn < 0 ? 'max' : qn / Number(period.trim());
    },
    use: (s) => (live(s) && s.cpu.percent !== null ? `using ${(s.cpu.percent / 100).toFixed(2)} CPU` : ''),
  },
  {
    id: 'cpuWeight',
    label: 'CPU weight',
    scale: () => ({ min: 1, max: 10000, step: 10, bigStep: 100, unlimited: false, start: 100, log: true }),
    format: weightText,
    grammar: 'a whole number 1..10000; 100 is the default, 200 gets twice the share of CPU time when CPUs are busy; u: back to the default',
    parse: intText('CPU weight', 1, 10000, false),
    input: (v) => ({ cpuWeight: v === 'max' ? 'default' : v }),
    applied: (a) => a.cpuWeight,
    saved: (k) => {
      const w = savedKey(k, 'cpu.weight');
      if (w !== null && /^\d+$/.test(w.trim())) return Number(w.trim());
      const sh = savedKey(k, 'cpu.shares');
      return sh !== null && /^\d+$/.test(sh.trim()) ? cpuSharesToWeight(Number(sh.trim())) : null;
    },
    use: (s) => (live(s) && s.pressure.cpu ? `CPU pressure ${s.pressure.cpu.some.avg10.toFixed(1)}%` : ''),
  },
  {
    id: 'pids',
    label: 'pids',
    scale: () => ({ min: 8, max: 4096, step: 8, bigStep: 128, unlimited: true, start: 512 }),
    format: (v) => (v === null ? 'not set' : v === 'max' ? 'unlimited' : String(v)),
    grammar: 'the most processes at once, a whole number 1..4194304; max or -1 for unlimited',
    parse: intText('pids limit', 1, 4194304, true),
    input: (v) => ({ pids: v }),
    applied: (a) => a.pids,
    saved: (k) => parseCgroupLimit(savedKey(k, 'pids.max') ?? ''),
    use: (s) => (live(s) && s.pids.current !== null ? `${s.pids.current} running` : ''),
  },
  {
    id: 'ioWeight',
    label: 'I/O weight',
    scale: () => ({ min: 1, max: 10000, step: 10, bigStep: 100, unlimited: false, start: 100, log: true }),
    format: weightText,
    grammar: 'a whole number 1..10000; 100 is the default (v1 blkio.bfq.weight 100, CFQ\'s blkio.weight 500); u: back to the default',
    parse: intText('I/O weight', 1, 10000, false),
    input: (v) => ({ ioWeight: v === 'max' ? 'default' : v }),
    applied: (a) => a.ioWeight,
    saved: (k) => {
      const w = savedKey(k, 'io.weight', 'io.bfq.weight');
      const m = w === null ? null : /(?:^|\s)(\d+)\s*$/.exec(w.trim());
      if (m) return Number(m[1]);
      const b = savedKey(k, 'blkio.weight', 'blkio.bfq.weight');
      return b !== null && /^\d+$/.test(b.trim()) ? blkioToIoWeight(Number(b.trim())) : null;
    },
    use: (s) => (live(s) ? `I/O ${rateText((s.blkio.readBps ?? 0) + (s.blkio.writeBps ?? 0))}` : ''),
  },
];

/** The value of a slider in effect: from the cgroups when running, else from the saved config keys. */
export function valueOf(def: SliderDef, l: ContainerLimits): SliderValue {
  return l.applied ? def.applied(l.applied) : def.saved(l.saved);
}

const round = (v: number, step: number): number => Number((Math.round(v / step) * step).toFixed(6));

/**
 * A step on a ladder scale: from unlimited down to the top rung first; from a value between
 * rungs to the next rung that way; past the top, unlimited (from the top itself); a value
 * under the first rung stays when going down and joins the first rung going up.
 */
function stepLadder(v: number | 'max', scale: Scale, ladder: readonly number[], steps: number, big: boolean): number | 'max' {
  const n = Math.abs(steps) * (big ? BIG_RUNGS : 1);
  const last = ladder.length - 1;
  // from unlimited the first rung down is the top, whether the step is big or not
  if (v === 'max') return steps >= 0 ? (scale.unlimited ? 'max' : ladder[last]) : ladder[Math.max(0, last - (Math.abs(steps) - 1) * (big ? BIG_RUNGS : 1))];
  if (steps < 0) {
    if (v <= ladder[0]) return v < ladder[0] ? v : ladder[0];
    let i = last;
    while (ladder[i] >= v) i--; // the highest rung under v
    return ladder[Math.max(0, i - (n - 1))];
  }
  if (v >= ladder[last]) return scale.unlimited ? 'max' : ladder[last];
  let i = 0;
  while (ladder[i] <= v) i++; // the lowest rung over v
  return ladder[Math.min(last, i + (n - 1))];
}

/**
 * The value `steps` steps (negative: down) from `v` on `scale`: from
 * unlimited, one step down is the top of the scale; past the top, unlimited
 * (where the limit may be unlimited); never below `min`. An unknown value
 * starts at `scale.start`. `big` uses the big step. A scale with a ladder
 * steps from rung to rung (see {@link Scale.ladder}).
 */
export function stepValue(v: SliderValue, scale: Scale, steps: number, big = false): number | 'max' {
  const step = big ? scale.bigStep : scale.step;
  if (v === null) return scale.start;
  if (scale.ladder?.length && steps !== 0) return stepLadder(v, scale, scale.ladder, steps, big);
  if (v === 'max') {
    if (steps >= 0) return scale.unlimited ? 'max' : scale.max;
    return Math.max(scale.min, round(scale.max + (steps + 1) * step, scale.step));
  }
  if (v < scale.min) return steps < 0 ? v : scale.min; // a typed value under the scale: down stays, up joins it
  const next = round(v + steps * step, scale.step);
  if (next > scale.max) return scale.unlimited && v >= scale.max ? 'max' : scale.max;
  return Math.max(scale.min, next);
}

/** Where the knob sits, 0..1: unlimited is the right end, unknown null. */
export function fractionOf(v: SliderValue, scale: Scale): number | null {
  if (v === null) return null;
  if (v === 'max') return 1;
  if (scale.max <= scale.min) return 1;
  const ld = scale.ladder;
  if (ld && ld.length > 1) {
    // evenly spaced rungs: each arrow press moves the knob as far
    if (v <= ld[0]) return 0;
    if (v >= ld[ld.length - 1]) return 1;
    let i = 0;
    while (ld[i + 1] <= v) i++;
    return (i + (v - ld[i]) / (ld[i + 1] - ld[i])) / (ld.length - 1);
  }
  if (scale.log && scale.min > 0) return Math.max(0, Math.min(1, Math.log(Math.max(v, scale.min) / scale.min) / Math.log(scale.max / scale.min)));
  return Math.max(0, Math.min(1, (v - scale.min) / (scale.max - scale.min)));
}
