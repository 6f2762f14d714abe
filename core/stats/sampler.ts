/**
 * The stats sampler: one pass reads every container of an lxcpath straight
 * from cgroupfs, /proc and /sys (no `lxc-*` command on the fast path, see
 * locate.ts), and rates come from the deltas between passes.
 *
 * Per running container a pass reads (synchronous reads: about 5x faster
 * than promise reads for this many small files, notes/host-facts.md):
 *  - init's /proc/PID/stat (still the same container?);
 *  - freezer state (v1 freezer.state, v2 cgroup.events/cgroup.freeze);
 *  - CPU time: v1 cpuacct.usage (ns) or v2 cpu.stat usage_usec (U3);
 *    CPU limit: v1 cpu.cfs_quota_us/cfs_period_us or v2 cpu.max, and the
 *    effective cpuset (cgroup-v2.rst "cpu.max", "cpuset.cpus.effective");
 *  - memory: usage, memory.stat (used = usage - inactive file, S1), limit,
 *    swap (core/cgroup/memory.ts);
 *  - block I/O bytes: v2 io.stat rbytes/wbytes, v1 blkio.throttle.io_service_bytes;
 *  - pids.current and pids.max;
 *  - network bytes from the host side of its veths
 *    (/sys/class/net/<veth>/statistics/{rx,tx}_bytes, swapped to the
 *    container's point of view), or its own /proc/PID/net/dev;
 *  - PSI: cpu.pressure, memory.pressure, io.pressure of its v2 cgroup
 *    (also on a hybrid host's unified hierarchy), Documentation/accounting/psi.rst.
 * Limits (memory limit, pids.max, CPU quota, cpuset), PSI and the host
 * totals change slowly (PSI averages span 10 s and more) and are re-read at
 * most every `limitsTtlMs` (5 s by default); the counters on every pass.
 * For the same reason memory.stat is scanned for the four keys S1 needs only.
 *
 * Each file is read into one reused buffer and its numbers parsed from the
 * bytes (core/stats/bytes.ts), through paths worked out once per container
 * ({@link CounterFiles}): no string per file, and an unchanged part of a
 * sample is the last pass's object again. With 500 containers a pass
 * allocates about 0.2 MB, where strings made it 8 MB (bench/README.md
 * section 11, fourth round).
 *
 * Any file that vanishes mid-pass (ENOENT, ESRCH, ENODEV: the container was
 * killed) gives null; when the init is gone at the end of the read, the
 * sample is STOPPED, quietly (S2).
 */
import type { Runner } from '../exec/runner.js';
import { FileBytes, HostFs, isVanishedError } from '../host/host-fs.js';
import { detectCgroupLayout, joinPath, type CgroupLayout } from '../cgroup/layout.js';
import { containerStateOf, v2FreezerState, type FreezerState } from '../cgroup/freezer.js';
import { cpuPercent, effectiveLimit, parseCpuList, parseCpuMax, percent, type LimitValue } from '../units.js';
import { blkioServiceBytesInto, flatKeyedInto, flatKeys, ioStatInto, limitValueOf, nsFileToUsec, psiOf, singleDecimal, v1FreezerStateOf } from './bytes.js';
import { ContainerLocator, type RunningContainer } from './locate.js';
import { memTotalFromMeminfo, parseNetDev } from './parse.js';
import type { HostTotals, Psi, SampleState, StatsPass, StatsSample } from './types.js';

export interface SamplerOptions {
  lxcpath: string;
  /** the host's file system (tests: a fixture tree); default `/` */
  fs?: HostFs;
  /** default: detected from /proc/self/mountinfo */
  layout?: CgroupLayout;
  /** for the rare container found only through `lxc-info` (locate.ts); without it such a container reads as STOPPED */
  runner?: Runner;
  /** a monotonic clock in microseconds (tests); default process.hrtime */
  clockUsec?: () => number;
  /** wall clock in milliseconds (tests); default Date.now */
  now?: () => number;
  /**
   * Limits (memory limit, pids.max, CPU quota and cpuset) and host totals change
   * rarely and are re-read at most this often, milliseconds; default 5000, 0 = every pass.
   * The counters are read on every pass.
   */
  limitsTtlMs?: number;
}

/** Limits of one container as last read, for {@link SamplerOptions.limitsTtlMs}. */
interface CachedLimits {
  atMs: number;
  startTime: number;
  memLimit: LimitValue | null;
  pidsLimit: LimitValue | null;
  limitCpus: number | null;
  /** PSI, read on the first pass after a refresh (its averages are over 10 s and more already) */
  pressure?: StatsSample['pressure'];
  /** the PSI before the refresh: kept as it is when no figure changed */
  stalePressure?: StatsSample['pressure'];
}

/** The memory.stat keys the S1 formula needs (core/cgroup/memory.ts memoryUsed), without parsing the other 40-odd lines. */
const MEM_STAT_V1_KEYS = flatKeys(['total_inactive_file', 'inactive_file', 'total_cache', 'cache']);
const MEM_STAT_V2_KEYS = flatKeys(['inactive_file', 'file']);
/** v2 cpu.stat: total CPU time, microseconds (cgroup-v2.rst "cpu.stat") */
const CPU_STAT_KEYS = flatKeys(['usage_usec']);

/**
 * The files a pass reads for one running container, as real paths (HostFs.resolve), made on
 * its first pass and kept while it runs: no path string is built per pass. null where the
 * host has no such controller.
 */
interface CounterFiles {
  /** the container as located; a restart gives a new one, and new files */
  rc: RunningContainer;
  /** v1 freezer.state */
  freezerState: string | null;
  /** the v2 (or a hybrid host's unified) cgroup.freeze and cgroup.events */
  cgroupFreeze: string | null;
  cgroupEvents: string | null;
  /** v1 cpuacct.usage (nanoseconds) when cpuV1, else v2 cpu.stat */
  cpu: string | null;
  cpuV1: boolean;
  /** v1 memory.usage_in_bytes, memory.stat, memory.memsw.usage_in_bytes when memV1; else v2 memory.current, memory.stat, memory.swap.current */
  memV1: boolean;
  memUsage: string | null;
  memStat: string | null;
  memSwap: string | null;
  /** v1 blkio.throttle.io_service_bytes when blkioV1, else v2 io.stat */
  blkio: string | null;
  blkioV1: boolean;
  pidsCurrent: string | null;
  /** the host veths' statistics/rx_bytes and tx_bytes (net kind veth) */
  veths: { rx: string; tx: string }[] | null;
  /** the veth names, the same array in every sample of this container */
  interfaces: string[];
  /** limits, read every limitsTtlMs: v1 memory.limit_in_bytes or v2 memory.max, pids.max */
  memLimit: string | null;
  pidsMax: string | null;
  /** v1 cpu.cfs_quota_us and cpu.cfs_period_us; v2 cpu.max when there is no v1 cpu hierarchy */
  cfsQuota: string | null;
  cfsPeriod: string | null;
  cpuMax: string | null;
  /** v1 cpuset.effective_cpus or v2 cpuset.cpus.effective */
  cpuset: string | null;
  /** PSI files of the v2 cgroup (also a hybrid host's unified one) */
  cpuPressure: string | null;
  memoryPressure: string | null;
  ioPressure: string | null;
}

/** What the previous pass saw of a container, for the deltas. */
interface Prev {
  startTime: number;
  atUsec: number;
  cpuUsec: number | null;
  readBytes: number | null;
  writeBytes: number | null;
  rxBytes: number | null;
  txBytes: number | null;
  /** the sample made from these figures (its unchanged parts are reused by the next one) */
  last?: StatsSample;
}

/** microseconds, monotonic (performance.now: no BigInt made per container per pass) */
const defaultClock = () => Math.round(performance.now() * 1000);

/** A sample of a container that is not running: every figure null. */
export function stoppedSample(name: string): StatsSample {
  return {
    name,
    state: 'STOPPED',
    pid: null,
    cpu: { usageUsec: null, percent: null, percentOfHost: null, percentOfLimit: null, limitCpus: null },
    memory: { used: null, cache: null, usage: null, limit: null, percent: null, percentOf: null, swap: null },
    blkio: { readBytes: null, writeBytes: null, readBps: null, writeBps: null },
    pids: { current: null, limit: null },
    net: null,
    pressure: { cpu: null, memory: null, io: null },
  };
}

/** A rate per second from two counter readings `elapsedUsec` apart; null when unknown or the counter went back. */
export function ratePerSec(prev: number | null | undefined, next: number | null, elapsedUsec: number): number | null {
  if (prev === null || prev === undefined || next === null || !(elapsedUsec > 0)) return null;
  const d = next - prev;
  if (d < 0) return null;
  return (d * 1e6) / elapsedUsec;
}

export class StatsSampler {
  readonly lxcpath: string;
  readonly layout: CgroupLayout;
  private readonly fs: HostFs;
  private readonly locator: ContainerLocator;
  private readonly clock: () => number;
  private readonly now: () => number;
  private readonly prev = new Map<string, Prev>();
  private readonly limitsCache = new Map<string, CachedLimits>();
  private readonly limitsTtlMs: number;
  private hostCache: { atMs: number; host: HostTotals } | null = null;
  private readonly files = new Map<string, CounterFiles>();
  /** every counter file of a pass is read into this one buffer */
  private readonly buf = new FileBytes();
  /** memory.stat or cpu.stat values (flatKeyedInto) */
  private readonly nums = new Float64Array(4);
  /** block I/O bytes read, written */
  private readonly io = new Float64Array(2);
  /** network bytes received, sent (container's view) */
  private readonly netNums = new Float64Array(2);
  /** interfaces of the last netBytes */
  private netInterfaces: string[] = [];
  /** the last cpuset list read and its size (cpuLimit) */
  private cpusetText = '';
  private cpusetSize = 0;
  /** the last memory() figures, bytes */
  private readonly mem = { usage: 0, used: 0, cache: 0, swap: null as number | null };

  /** @throws the Node errno error when /proc/self/mountinfo cannot be read (layout not given) */
  constructor(opts: SamplerOptions) {
    this.lxcpath = opts.lxcpath;
    this.fs = opts.fs ?? new HostFs();
    this.layout = opts.layout ?? detectCgroupLayout(this.fs);
    this.locator = new ContainerLocator(opts.lxcpath, this.layout, this.fs, opts.runner);
    this.clock = opts.clockUsec ?? defaultClock;
    this.now = opts.now ?? Date.now;
    this.limitsTtlMs = opts.limitsTtlMs ?? 5000;
  }

  /**
   * Forgets the limits, PSI and host totals read so far: the next pass reads them again
   * whatever `limitsTtlMs` says (a remote source that copies them only every few seconds
   * refreshes them when it copied them, core/remote/stats.ts).
   */
  expireLimits(): void {
    this.limitsCache.clear();
    this.hostCache = null;
  }

  /** Host totals, re-read at most every limitsTtlMs. */
  private host(): HostTotals {
    const now = this.now();
    if (this.hostCache && this.limitsTtlMs > 0 && now - this.hostCache.atMs < this.limitsTtlMs) return this.hostCache.host;
    const host = this.hostTotals();
    this.hostCache = { atMs: now, host };
    return host;
  }

  /** Online CPUs and MemTotal (/sys/devices/system/cpu/online, /proc/meminfo). */
  hostTotals(): HostTotals {
    let cpus = 0;
    const online = this.fs.readTextOrNull('/sys/devices/system/cpu/online');
    if (online !== null && online.trim() !== '') {
      try {
        cpus = parseCpuList(online).length;
      } catch {
        /* fall through */
      }
    }
    const mem = this.fs.readTextOrNull('/proc/meminfo');
    return { cpus, memoryBytes: mem === null ? null : memTotalFromMeminfo(mem) };
  }

  /**
   * One pass without running any command: containers that only `lxc-info`
   * could find read as STOPPED (see {@link pass}).
   * @param names only these containers (default: every container of the lxcpath); unknown names read as STOPPED
   */
  passSync(names?: readonly string[]): StatsPass {
    const t0 = this.clock();
    const host = this.host();
    const list = names ?? this.locator.names();
    const containers = list.map((n) => this.sampleOf(n, this.locator.locate(n), host));
    this.forgetOthers(list);
    return { time: this.now(), durationMs: (this.clock() - t0) / 1000, host, containers };
  }

  /**
   * One pass over every container (or `names`). Like {@link passSync}, plus:
   * a container not found on the fast path whose LXC command socket exists
   * is looked up once with `lxc-info -pH` (locate.ts).
   */
  async pass(names?: readonly string[]): Promise<StatsPass> {
    const t0 = this.clock();
    const host = this.host();
    const list = names ?? this.locator.names();
    const found = list.map((n) => this.locator.locate(n));
    if (found.some((f) => f === null)) {
      const unix = this.fs.readTextOrNull('/proc/net/unix') ?? '';
      for (let i = 0; i < list.length; i++) {
        if (found[i] === null && this.locator.hasCommandSocket(list[i], unix)) found[i] = await this.locator.locateSlow(list[i]);
      }
    }
    const containers = list.map((n, i) => this.sampleOf(n, found[i], host));
    this.forgetOthers(list);
    return { time: this.now(), durationMs: (this.clock() - t0) / 1000, host, containers };
  }

  private forgetOthers(list: readonly string[]): void {
    if (this.prev.size <= list.length) return;
    const keep = new Set(list);
    for (const k of this.prev.keys()) if (!keep.has(k)) this.prev.delete(k);
    for (const k of this.limitsCache.keys()) if (!keep.has(k)) this.limitsCache.delete(k);
    for (const k of this.files.keys()) if (!keep.has(k)) this.files.delete(k);
  }

  private sampleOf(name: string, rc: RunningContainer | null, host: HostTotals): StatsSample {
    if (rc === null) {
      this.prev.delete(name);
      this.limitsCache.delete(name);
      this.files.delete(name);
      return stoppedSample(name);
    }
    try {
      const s = this.read(rc, host);
      if (s !== null) return s;
    } catch (e) {
      if (!isVanishedError(e)) throw e;
    }
    // a file vanished: the container stopped between the lookup and the read (S2)
    this.locator.forget(name);
    this.prev.delete(name);
    this.limitsCache.delete(name);
    this.files.delete(name);
    return stoppedSample(name);
  }

  /** The {@link CounterFiles} of `rc`, resolved on its first pass (and again after a restart). */
  private filesOf(rc: RunningContainer): CounterFiles {
    const known = this.files.get(rc.name);
    if (known !== undefined && known.rc === rc) return known;
    const fs = this.fs;
    const p = rc.paths;
    const at = (dir: string | undefined, file: string): string | null => (dir === undefined ? null : fs.resolve(joinPath(dir, file)));
    const memV1 = p.v1.memory !== undefined;
    const memDir = p.v1.memory ?? p.v2;
    const f: CounterFiles = {
      rc,
      freezerState: at(p.v1.freezer, 'freezer.state'),
      cgroupFreeze: at(p.v2, 'cgroup.freeze'),
      cgroupEvents: at(p.v2, 'cgroup.events'),
      cpuV1: p.v1.cpuacct !== undefined,
      cpu: p.v1.cpuacct !== undefined ? at(p.v1.cpuacct, 'cpuacct.usage') : at(p.v2, 'cpu.stat'),
      memV1,
      memUsage: at(memDir, memV1 ? 'memory.usage_in_bytes' : 'memory.current'),
      memStat: at(memDir, 'memory.stat'),
      memSwap: at(memDir, memV1 ? 'memory.memsw.usage_in_bytes' : 'memory.swap.current'),
      blkioV1: p.v1.blkio !== undefined,
      blkio: p.v1.blkio !== undefined ? at(p.v1.blkio, 'blkio.throttle.io_service_bytes') : at(p.v2, 'io.stat'),
      pidsCurrent: at(p.v1.pids ?? p.v2, 'pids.current'),
      veths: rc.net.kind === 'veth' ? rc.net.veths.map((v) => ({ rx: fs.resolve(`/sys/class/net/${v}/statistics/rx_bytes`), tx: fs.resolve(`/sys/class/net/${v}/statistics/tx_bytes`) })) : null,
      interfaces: rc.net.kind === 'veth' ? [...rc.net.veths] : [],
      memLimit: at(memDir, memV1 ? 'memory.limit_in_bytes' : 'memory.max'),
      pidsMax: at(p.v1.pids ?? p.v2, 'pids.max'),
      cfsQuota: at(p.v1.cpu, 'cpu.cfs_quota_us'),
      cfsPeriod: at(p.v1.cpu, 'cpu.cfs_period_us'),
      cpuMax: p.v1.cpu === undefined ? at(p.v2, 'cpu.max') : null,
      cpuset: p.v1.cpuset !== undefined ? at(p.v1.cpuset, 'cpuset.effective_cpus') : at(p.v2, 'cpuset.cpus.effective'),
      cpuPressure: at(p.v2, 'cpu.pressure'),
      memoryPressure: at(p.v2, 'memory.pressure'),
      ioPressure: at(p.v2, 'io.pressure'),
    };
    this.files.set(rc.name, f);
    return f;
  }

  /** PSI of the container's v2 cgroup; the `stale` object again when no figure changed. */
  private pressureOf(f: CounterFiles, stale: StatsSample['pressure'] | undefined): StatsSample['pressure'] {
    const cpu = this.psi(f.cpuPressure, stale?.cpu ?? null);
    const memory = this.psi(f.memoryPressure, stale?.memory ?? null);
    const io = this.psi(f.ioPressure, stale?.io ?? null);
    if (stale !== undefined && stale.cpu === cpu && stale.memory === memory && stale.io === io) return stale;
    return { cpu, memory, io };
  }

  /**
   * Reads a counter file into the pass's buffer ({@link FileBytes}, no string).
   * @returns false when it is not there (no such controller) or vanished (S2)
   */
  private bytesOf(real: string | null): boolean {
    return real !== null && this.fs.readResolvedBytes(real, this.buf);
  }

  /** @returns null when the container turned out to be gone */
  private read(rc: RunningContainer, host: HostTotals): StatsSample | null {
    const f = this.filesOf(rc);
    const buf = this.buf;
    const freezer = this.freezer(f);
    const at = this.clock();
    let cpuUsec: number | null = null;
    if (this.bytesOf(f.cpu)) {
      if (f.cpuV1) cpuUsec = nsFileToUsec(buf);
      else {
        flatKeyedInto(buf, CPU_STAT_KEYS, this.nums);
        cpuUsec = Number.isNaN(this.nums[0]) ? null : this.nums[0];
      }
    }
    const mem = this.memory(f);
    const limits = this.limitsOf(rc, f, host.cpus);
    const limitCpus = limits.limitCpus;
    const io = this.blkio(f);
    const pidsNum = this.bytesOf(f.pidsCurrent) ? singleDecimal(buf) : null;
    const net = this.netBytes(rc, f);
    const pressure = limits.pressure ?? (limits.pressure = this.pressureOf(f, limits.stalePressure));

    if (cpuUsec === null || mem === null || freezer === null) {
      // files gone: is the container?
      if (!this.locator.stillSame(rc)) return null;
    }

    const readBytes = io ? this.io[0] : null;
    const writeBytes = io ? this.io[1] : null;
    const rxBytes = net ? this.netNums[0] : null;
    const txBytes = net ? this.netNums[1] : null;
    let prev = this.prev.get(rc.name);
    const same = prev !== undefined && prev.startTime === rc.startTime;
    const elapsed = same ? at - prev!.atUsec : 0;
    const pct = same ? cpuPercent(prev!.cpuUsec, cpuUsec, elapsed) : null;
    const readBps = same ? ratePerSec(prev!.readBytes, readBytes, elapsed) : null;
    const writeBps = same ? ratePerSec(prev!.writeBytes, writeBytes, elapsed) : null;
    const rxBps = same && net ? ratePerSec(prev!.rxBytes, rxBytes, elapsed) : null;
    const txBps = same && net ? ratePerSec(prev!.txBytes, txBytes, elapsed) : null;
    // updated in place: one object per container for its lifetime, not one per pass
    if (prev === undefined) {
      prev = { startTime: 0, atUsec: 0, cpuUsec: null, readBytes: null, writeBytes: null, rxBytes: null, txBytes: null };
      this.prev.set(rc.name, prev);
    }
    prev.startTime = rc.startTime;
    prev.atUsec = at;
    prev.cpuUsec = cpuUsec;
    prev.readBytes = readBytes;
    prev.writeBytes = writeBytes;
    prev.rxBytes = rxBytes;
    prev.txBytes = txBytes;

    const memLimit: LimitValue | null = mem ? limits.memLimit : null;
    let memPercent: number | null = null;
    let percentOf: 'limit' | 'host' | null = null;
    if (mem) {
      const eff = effectiveLimit(memLimit, [], host.memoryBytes);
      memPercent = percent(this.mem.used, eff.value);
      if (memPercent !== null) percentOf = eff.source === 'own' ? 'limit' : 'host';
    }
    const pidsLimit = limits.pidsLimit;
    const pctHost = pct !== null && host.cpus > 0 ? pct / host.cpus : null;
    const pctLimit = pct !== null && limitCpus !== null && limitCpus > 0 ? pct / limitCpus : null;
    const used = mem ? this.mem.used : null;
    const cache = mem ? this.mem.cache : null;
    const usage = mem ? this.mem.usage : null;
    const swap = mem ? this.mem.swap : null;

    // the parts whose figures did not change since the last pass are that sample's objects again
    // (samples are never changed after a pass): an idle container costs one new object a pass
    const l = same ? prev.last : undefined;
    const lc = l?.cpu;
    const lm = l?.memory;
    const lb = l?.blkio;
    const ln = l?.net;
    const sample: StatsSample = {
      name: rc.name,
      state: freezer === null ? 'RUNNING' : (containerStateOf(freezer) as SampleState),
      pid: rc.initPid,
      cpu:
        lc && lc.usageUsec === cpuUsec && lc.percent === pct && lc.percentOfHost === pctHost && lc.percentOfLimit === pctLimit && lc.limitCpus === limitCpus
          ? lc
          : { usageUsec: cpuUsec, percent: pct, percentOfHost: pctHost, percentOfLimit: pctLimit, limitCpus },
      memory:
        lm && lm.used === used && lm.cache === cache && lm.usage === usage && lm.limit === memLimit && lm.percent === memPercent && lm.percentOf === percentOf && lm.swap === swap
          ? lm
          : { used, cache, usage, limit: memLimit, percent: memPercent, percentOf, swap },
      blkio: lb && lb.readBytes === readBytes && lb.writeBytes === writeBytes && lb.readBps === readBps && lb.writeBps === writeBps ? lb : { readBytes, writeBytes, readBps, writeBps },
      pids: l && l.pids.current === pidsNum && l.pids.limit === pidsLimit ? l.pids : { current: pidsNum, limit: pidsLimit },
      net: !net
        ? null
        : ln && ln.rxBytes === rxBytes && ln.txBytes === txBytes && ln.rxBps === rxBps && ln.txBps === txBps && ln.interfaces === this.netInterfaces
          ? ln
          : { rxBytes: rxBytes!, txBytes: txBytes!, rxBps, txBps, interfaces: this.netInterfaces },
      pressure,
    };
    prev.last = sample;
    return sample;
  }

  /**
   * Memory counters (S1, the formula of core/cgroup/memory.ts memoryUsed): usage,
   * memory.stat and swap on every pass, into {@link mem}; the limit comes from {@link limitsOf}.
   * memory.stat is scanned for the keys S1 needs only (v1 `total_inactive_file`, else
   * `inactive_file`, and `total_cache`, else `cache`: cgroup-v1/memory.rst 5.2; v2
   * `inactive_file` and `file`: cgroup-v2.rst "memory.stat").
   * @returns false when the memory cgroup is gone (or the host has none)
   */
  private memory(f: CounterFiles): boolean {
    const buf = this.buf;
    if (!this.bytesOf(f.memUsage)) return false;
    const usage = singleDecimal(buf);
    if (usage === null || !this.bytesOf(f.memStat)) return false;
    const n = this.nums;
    let inactiveFile: number;
    let cache: number;
    if (f.memV1) {
      flatKeyedInto(buf, MEM_STAT_V1_KEYS, n);
      inactiveFile = !Number.isNaN(n[0]) ? n[0] : !Number.isNaN(n[1]) ? n[1] : 0;
      cache = !Number.isNaN(n[2]) ? n[2] : !Number.isNaN(n[3]) ? n[3] : 0;
    } else {
      flatKeyedInto(buf, MEM_STAT_V2_KEYS, n);
      inactiveFile = Number.isNaN(n[0]) ? 0 : n[0];
      cache = Number.isNaN(n[1]) ? 0 : n[1];
    }
    const m = this.mem;
    m.usage = usage;
    m.used = Math.max(0, usage - inactiveFile);
    m.cache = cache;
    m.swap = null;
    if (this.bytesOf(f.memSwap)) {
      const sw = singleDecimal(buf);
      // v1 memsw.usage is memory + swap
      if (sw !== null) m.swap = f.memV1 ? Math.max(0, sw - usage) : sw;
    }
    return true;
  }

  /**
   * The freezer state in as few reads as the S3 states allow: v1 `freezer.state`
   * (on a hybrid host also the unified `cgroup.freeze`, for a freeze made there);
   * v2 `cgroup.freeze`, and `cgroup.events` only when a freeze was asked for
   * (freeze 1 and frozen 0 is FREEZING). Same answers as core/cgroup/freezer.ts readFreezerState.
   */
  private freezer(f: CounterFiles): FreezerState | null {
    if (f.freezerState !== null) {
      const v1 = this.bytesOf(f.freezerState) ? v1FreezerStateOf(this.buf) : null;
      if (v1 !== 'THAWED') return v1;
      const u = this.v2Freezer(f);
      return u !== null && u !== 'THAWED' ? u : v1;
    }
    return this.v2Freezer(f);
  }

  /** v2 `cgroup.freeze`, and `cgroup.events` when a freeze was asked for (cgroup-v2.rst "cgroup.freeze"). */
  private v2Freezer(f: CounterFiles): FreezerState | null {
    if (!this.bytesOf(f.cgroupFreeze)) return null;
    if (singleDecimal(this.buf) === 0) return 'THAWED';
    // a freeze asked for (rare): the text parsers
    const freeze = this.buf.text();
    return v2FreezerState(freeze, this.bytesOf(f.cgroupEvents) ? this.buf.text() : null);
  }

  /**
   * The container's limits, re-read at most every limitsTtlMs (and after a restart): the memory
   * limit (v1 memory.limit_in_bytes, v2 memory.max), pids.max, and {@link cpuLimit}. PSI is read
   * on the first pass after (see {@link read}); unchanged figures keep their objects.
   */
  private limitsOf(rc: RunningContainer, f: CounterFiles, hostCpus: number): CachedLimits {
    const now = this.now();
    const c = this.limitsCache.get(rc.name);
    if (c && c.startTime === rc.startTime && this.limitsTtlMs > 0 && now - c.atMs < this.limitsTtlMs) return c;
    const buf = this.buf;
    const memLimit = this.bytesOf(f.memLimit) ? limitValueOf(buf) : null;
    const pidsLimit = this.bytesOf(f.pidsMax) ? limitValueOf(buf) : null;
    const limitCpus = this.cpuLimit(f, hostCpus);
    if (c && c.startTime === rc.startTime) {
      // the same container: the cached object is updated, its PSI read again
      c.atMs = now;
      c.memLimit = memLimit;
      c.pidsLimit = pidsLimit;
      c.limitCpus = limitCpus;
      c.stalePressure = c.pressure;
      c.pressure = undefined;
      return c;
    }
    const fresh: CachedLimits = { atMs: now, startTime: rc.startTime, memLimit, pidsLimit, limitCpus };
    this.limitsCache.set(rc.name, fresh);
    return fresh;
  }

  /**
   * CPUs the container may use: min(quota / period, effective cpuset size, host CPUs); null when
   * none is known. v1 cpu.cfs_quota_us / cpu.cfs_period_us (cgroup-v1 and
   * Documentation/scheduler/sched-bwc.rst), v2 cpu.max, and v1 cpuset.effective_cpus or v2
   * cpuset.cpus.effective (cgroup-v2.rst "Cpuset Interface Files").
   */
  private cpuLimit(f: CounterFiles, hostCpus: number): number | null {
    const buf = this.buf;
    let quota: number | null = null;
    if (f.cfsQuota !== null) {
      const q = this.bytesOf(f.cfsQuota) ? singleDecimal(buf) : null;
      const per = q !== null && this.bytesOf(f.cfsPeriod) ? singleDecimal(buf) : null;
      if (q !== null && per !== null && per > 0) quota = q / per;
    } else if (this.bytesOf(f.cpuMax)) {
      const m = parseCpuMax(buf.text());
      if (m !== null && m.quotaUsec !== 'max') quota = m.quotaUsec / m.periodUsec;
    }
    let setSize: number | null = null;
    if (this.bytesOf(f.cpuset)) {
      const t = buf.text();
      if (t === this.cpusetText) setSize = this.cpusetSize;
      else if (t.trim() !== '') {
        try {
          setSize = parseCpuList(t).length;
          // every container of a host mostly has the same list: remember the last one
          this.cpusetText = t;
          this.cpusetSize = setSize;
        } catch {
          /* unknown */
        }
      }
    }
    let best: number | null = null;
    for (const x of [quota, setSize, hostCpus > 0 ? hostCpus : null]) if (x !== null && x > 0 && (best === null || x < best)) best = x;
    return best;
  }

  /**
   * Block I/O bytes into `io[0]` (read) and `io[1]` (written): v1
   * blkio.throttle.io_service_bytes or v2 io.stat.
   * @returns false when there is no such file (or it vanished)
   */
  private blkio(f: CounterFiles): boolean {
    if (!this.bytesOf(f.blkio)) return false;
    if (f.blkioV1) blkioServiceBytesInto(this.buf, this.io);
    else ioStatInto(this.buf, this.io);
    return true;
  }

  /**
   * PSI of the v2 cgroup (Documentation/accounting/psi.rst); null where the file is missing or
   * the kernel refuses it (psi=0: EOPNOTSUPP). `prev` is returned when nothing changed.
   */
  private psi(real: string | null, prev: Psi | null): Psi | null {
    try {
      return this.bytesOf(real) ? psiOf(this.buf, prev) : null;
    } catch {
      return null;
    }
  }

  /**
   * Network bytes, container's point of view (received = host veth tx_bytes), into
   * `netNums[0]` (received) and `netNums[1]` (sent); {@link netInterfaces} says which interfaces.
   * @returns false when the container has no network or the counters are gone
   */
  private netBytes(rc: RunningContainer, f: CounterFiles): boolean {
    if (rc.net.kind === 'none') return false;
    const buf = this.buf;
    if (f.veths !== null) {
      let rxBytes = 0;
      let txBytes = 0;
      for (const v of f.veths) {
        const hostRx = this.bytesOf(v.rx) ? singleDecimal(buf) : null;
        const hostTx = hostRx !== null && this.bytesOf(v.tx) ? singleDecimal(buf) : null;
        if (hostRx === null || hostTx === null) return false;
        txBytes += hostRx;
        rxBytes += hostTx;
      }
      this.netNums[0] = rxBytes;
      this.netNums[1] = txBytes;
      this.netInterfaces = f.interfaces;
      return true;
    }
    // the container's own namespace (macvlan, a veth without a fixed pair name...): the text parser
    const t = this.fs.readTextOrNull(`/proc/${rc.initPid}/net/dev`);
    if (t === null) return false;
    const d = parseNetDev(t);
    this.netNums[0] = d.rxBytes;
    this.netNums[1] = d.txBytes;
    this.netInterfaces = d.interfaces.map((i) => `netns:${i}`);
    return true;
  }

  /**
   * Samples at a fixed interval until stopped: the first pass at once, then
   * one every `intervalMs`; a tick that comes while the last pass still runs
   * is skipped (counted in {@link StatsStream.skipped}).
   * @param opts.count stop by itself after this many passes
   */
  stream(opts: { intervalMs: number; names?: readonly string[]; count?: number }): StatsStream {
    return new StatsStream(this, opts);
  }
}

type Listener = (p: StatsPass) => void;

/**
 * A running sampler loop: an AsyncIterable of passes and a listener list,
 * with an explicit {@link stop}. The timer keeps the process alive until stopped.
 * A pass that throws (not a vanished file: those read as STOPPED) goes to
 * the error listeners and ends the iteration with that error.
 */
export class StatsStream implements AsyncIterable<StatsPass> {
  /** ticks skipped because the previous pass was still running */
  skipped = 0;
  /** passes delivered */
  passes = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;
  private readonly listeners = new Set<Listener>();
  private readonly errorListeners = new Set<(e: unknown) => void>();
  private readonly queue: StatsPass[] = [];
  private waiting: ((r: IteratorResult<StatsPass>) => void) | null = null;
  private waitingReject: ((e: unknown) => void) | null = null;
  private failure: unknown = undefined;
  /** an iterator was asked for: passes wait in {@link queue} for it */
  private iterated = false;
  /** at most this many passes wait for a slow iterator; older ones are dropped */
  static readonly MAX_QUEUE = 64;

  /** @param sampler anything with a pass() (a StatsSampler, or a remote source: core/remote/stats.ts) */
  constructor(
    private readonly sampler: Pick<StatsSampler, 'pass'>,
    private readonly opts: { intervalMs: number; names?: readonly string[]; count?: number },
  ) {
    if (!(opts.intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
    queueMicrotask(() => this.tick());
    this.timer = setInterval(() => this.tick(), opts.intervalMs);
  }

  /** Calls `fn` with every pass; returns the unsubscribe function. */
  onPass(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Calls `fn` when a pass fails (the stream stops). */
  onError(fn: (e: unknown) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Stops the timer; a pass in flight is dropped; the iterator ends. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      this.waitingReject = null;
      w({ value: undefined, done: true });
    }
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.skipped++;
      return;
    }
    this.busy = true;
    this.sampler.pass(this.opts.names).then(
      (p) => {
        this.busy = false;
        if (this.stopped) return;
        this.deliver(p);
        if (this.opts.count !== undefined && this.passes >= this.opts.count) this.stop();
      },
      (e) => {
        this.busy = false;
        if (this.stopped) return;
        this.failure = e;
        for (const fn of this.errorListeners) fn(e);
        const rej = this.waitingReject;
        this.waiting = null;
        this.waitingReject = null;
        this.stop();
        rej?.(e);
      },
    );
  }

  /**
   * Hands a pass to the listeners and to a waiting iterator. A pass no iterator waits for is
   * queued for one only while the stream is iterated or nobody listens: a stream read through
   * {@link onPass} alone (the console's stats store) keeps no pass (it kept the last 64, about
   * 14 MB with 500 containers, in V8's old generation).
   */
  private deliver(p: StatsPass): void {
    this.passes++;
    for (const fn of this.listeners) fn(p);
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      this.waitingReject = null;
      w({ value: p, done: false });
    } else if (this.iterated || this.listeners.size === 0) {
      this.queue.push(p);
      if (this.queue.length > StatsStream.MAX_QUEUE) this.queue.shift();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<StatsPass> {
    this.iterated = true;
    return {
      next: () => {
        if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
        if (this.failure !== undefined) {
          const f = this.failure;
          this.failure = undefined;
          return Promise.reject(f);
        }
        if (this.stopped) return Promise.resolve({ value: undefined, done: true });
        return new Promise<IteratorResult<StatsPass>>((res, rej) => {
          this.waiting = res;
          this.waitingReject = rej;
        });
      },
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
