/**
 * Finding the running containers of an lxcpath, and each one's init PID and
 * cgroup directories, without running `lxc-info` for each (about 2 ms plus a
 * process spawn per container, notes/host-facts.md).
 *
 * How (LXC 4.0 and later, the layout liblxc's cgfsng makes for root):
 *  1. A started container has a monitor process in the cgroup
 *     `lxc.monitor.NAME` and its payload in `lxc.payload.NAME`, both at the
 *     root of each hierarchy (root's containers escape to the root cgroup
 *     unless `lxc.cgroup.relative = 1`). So `<hierarchy>/lxc.monitor.NAME/cgroup.procs`
 *     gives the monitor's PID.
 *  2. The monitor's command line is `[lxc monitor] <lxcpath> <name>`: it says
 *     which lxcpath the container belongs to, so a same-named container of
 *     another lxcpath is never taken for this one.
 *  3. The container's init is the monitor's child
 *     (`/proc/<monitor>/task/<monitor>/children`, else the process of the
 *     payload's cgroup.procs whose parent is the monitor).
 *  4. The init's `/proc/<pid>/cgroup` gives the real cgroup paths
 *     (core/cgroup/paths.ts), which also covers a nested base.
 * The result is cached and checked on every pass with one read of the init's
 * `/proc/<pid>/stat` (same parent, same start time), so a restart or a reused
 * PID is noticed.
 *
 * When step 1 finds nothing (a container placed elsewhere with
 * `lxc.cgroup.dir`, `lxc.cgroup.relative = 1`, or a name clash that made LXC
 * pick `lxc.payload.NAME-1`) but LXC's command socket `@<lxcpath>/<name>/command`
 * is listed in /proc/net/unix, the container is running: then, and only then,
 * `lxc-info -pH` is asked once for its init PID ({@link ContainerLocator.locateSlow}).
 */
import { resolve as resolvePath } from 'node:path';
import { realpathSync } from 'node:fs';
import type { Runner } from '../exec/runner.js';
import { FileBytes, HostFs } from '../host/host-fs.js';
import { joinPath, type CgroupLayout } from '../cgroup/layout.js';
import { readCgroupPaths, type CgroupPaths } from '../cgroup/paths.js';
import { LxcConfig, netInterfaces } from '../lxc/config.js';
import { procStatOf, type ProcStatFields } from './bytes.js';
import { parseProcStat } from './parse.js';

/** How a container's network bytes are read. */
export type NetSource =
  | { kind: 'none' }
  /** host-side veth names (lxc.net.N.veth.pair) */
  | { kind: 'veth'; veths: string[] }
  /** the container's own /proc/PID/net/dev (veth without a fixed pair name, macvlan, phys...) */
  | { kind: 'netns' };

export interface RunningContainer {
  name: string;
  initPid: number;
  /** null when found through lxc-info */
  monitorPid: number | null;
  /** the init's start time (clock ticks after boot), to notice a reused PID */
  startTime: number;
  paths: CgroupPaths;
  net: NetSource;
}

/** The network source of a container from its config's lxc.net.N.* keys (lxc.container.conf(5) "NETWORK"). */
export function netSourceOf(configText: string | null): NetSource {
  if (configText === null) return { kind: 'none' };
  let cfg;
  try {
    cfg = LxcConfig.parse(configText);
  } catch {
    return { kind: 'netns' };
  }
  return netSourceOfConfig(cfg);
}

/** {@link netSourceOf} for a config already parsed. */
export function netSourceOfConfig(cfg: LxcConfig): NetSource {
  let nets;
  try {
    nets = netInterfaces(cfg);
  } catch {
    return { kind: 'netns' };
  }
  const real = nets.filter((n) => n.type !== 'empty' && n.type !== 'none' && n.type !== '');
  if (real.length === 0) return { kind: nets.some((n) => n.type === 'none') ? 'netns' : 'none' };
  if (real.every((n) => n.type === 'veth' && n.vethPair)) return { kind: 'veth', veths: real.map((n) => n.vethPair!) };
  return { kind: 'netns' };
}

export class ContainerLocator {
  private readonly cache = new Map<string, RunningContainer>();
  private readonly lxcpaths: Set<string>;
  /** the hierarchy directory where lxc.monitor.NAME / lxc.payload.NAME are looked for */
  private readonly refDir: string | null;
  /** {@link stillSame} runs for every container on every pass: its reads make no strings */
  private readonly statBytes = new FileBytes(4096);
  private readonly statFields: ProcStatFields = { ppid: 0, startTime: 0 };
  /** the resolved /proc/PID/stat of each container located */
  private readonly statPaths = new WeakMap<RunningContainer, string>();
  /** the resolved `<lxcpath>/NAME/config` of each entry of the lxcpath, by name ({@link names} runs every pass) */
  private readonly configPaths = new Map<string, string>();

  /**
   * @param lxcpath the lxcpath as LXC was given it (compared with the monitor's command line, also canonicalised)
   * @param runner used only by {@link locateSlow}
   */
  constructor(
    readonly lxcpath: string,
    private readonly layout: CgroupLayout,
    private readonly fs: HostFs = new HostFs(),
    private readonly runner?: Runner,
  ) {
    this.lxcpaths = new Set([lxcpath, resolvePath(lxcpath)]);
    try {
      this.lxcpaths.add(realpathSync(fs.resolve(resolvePath(lxcpath))));
    } catch {
      /* not there yet */
    }
    this.refDir = referenceDir(layout);
  }

  /** Names of the containers in the lxcpath: directories holding a `config` file (as lxc-ls counts them), sorted. */
  names(): string[] {
    let entries: string[];
    try {
      entries = this.fs.readdir(this.lxcpath);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const e of entries) {
      if (e.startsWith('.')) continue;
      let config = this.configPaths.get(e);
      if (config === undefined) {
        config = this.fs.resolve(joinPath(joinPath(this.lxcpath, e), 'config'));
        this.configPaths.set(e, config);
      }
      if (this.fs.existsResolved(config)) out.push(e);
    }
    // entries removed since: forget their paths now and then
    if (this.configPaths.size > 2 * entries.length + 64) {
      const now = new Set(entries);
      for (const k of this.configPaths.keys()) if (!now.has(k)) this.configPaths.delete(k);
    }
    return out;
  }

  /** Forgets a container (its next lookup starts afresh). */
  forget(name: string): void {
    this.cache.delete(name);
  }

  /**
   * The running container `name`, found without running a command (steps 1-4 above).
   * @param config the container's config when the caller has just parsed it (a listing does), so it
   *   is not read again for the network source; else it is read here
   * @returns null when it is not running, or cannot be found this way (see {@link needsSlowLookup})
   */
  locate(name: string, config?: LxcConfig): RunningContainer | null {
    const cached = this.cache.get(name);
    if (cached) {
      if (this.stillSame(cached)) return cached;
      this.cache.delete(name);
    }
    for (const { monitorPid, initPid } of this.monitors(name)) {
      const found = this.fromInit(name, initPid, monitorPid, config);
      if (found) return found;
    }
    return null;
  }

  /**
   * The running container `name` for a one-time look (a listing: `lxdeck ls`), steps 1-4 above
   * without what only a sampler that looks again needs: no read of the init's /proc/PID/stat
   * (its start time, kept to notice a reused PID on the next pass; the init is the monitor's
   * child by where it was found), no network source, nothing cached. Per running container it
   * reads the monitor's cgroup.procs, cmdline and task/PID/children, and the init's
   * /proc/PID/cgroup.
   * @returns the init's PID and cgroup directories; null when {@link locate} would find nothing
   */
  locateOnce(name: string): { initPid: number; monitorPid: number; paths: CgroupPaths } | null {
    for (const { monitorPid, initPid } of this.monitors(name)) {
      try {
        return { initPid, monitorPid, paths: readCgroupPaths(this.fs, initPid, this.layout, { name }) };
      } catch {
        /* the init exited meanwhile: the next monitor, if any */
      }
    }
    return null;
  }

  /** Steps 1-3: each monitor of `name` in `lxc.monitor.NAME` whose command line names this lxcpath, with its child, the init. */
  private *monitors(name: string): Generator<{ monitorPid: number; initPid: number }> {
    if (this.refDir === null) return;
    const procs = this.fs.readTextOrNull(joinPath(this.refDir, `lxc.monitor.${name}/cgroup.procs`));
    if (procs === null) return;
    for (const p of procs.split('\n')) {
      const mpid = Number(p.trim());
      if (!Number.isInteger(mpid) || mpid <= 0) continue;
      const cmd = this.fs.readTextOrNull(`/proc/${mpid}/cmdline`);
      if (cmd === null) continue;
      const mon = parseMonitorCmdline(cmd);
      if (mon === null || mon.name !== name || !this.lxcpaths.has(mon.lxcpath)) continue;
      const init = this.initOf(mpid, name);
      if (init !== null) yield { monitorPid: mpid, initPid: init };
    }
  }

  /**
   * True when LXC's command socket for `name` in this lxcpath is listed in
   * /proc/net/unix: the container is running (or starting) even though
   * {@link locate} did not find it.
   * @param unixText the text of /proc/net/unix, read once per pass
   */
  hasCommandSocket(name: string, unixText: string): boolean {
    for (const p of this.lxcpaths) if (unixText.includes(` @${joinPath(p, name)}/command`)) return true;
    return false;
  }

  /**
   * The slow way: `lxc-info -pH` for the init PID, then its /proc/PID/cgroup.
   * @returns null when there is no runner, the container is not running, or it stopped meanwhile
   */
  async locateSlow(name: string): Promise<RunningContainer | null> {
    if (!this.runner) return null;
    const r = await this.runner.run('lxc-info', ['-P', this.lxcpath, '-n', name, '-pH'], { timeoutMs: 10_000 });
    const pid = Number(r.stdout.trim());
    if (r.exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) return null;
    return this.fromInit(name, pid, null);
  }

  private fromInit(name: string, initPid: number, monitorPid: number | null, config?: LxcConfig): RunningContainer | null {
    const st = this.fs.readTextOrNull(`/proc/${initPid}/stat`);
    const ps = st === null ? null : parseProcStat(st);
    if (ps === null) return null;
    if (monitorPid !== null && ps.ppid !== monitorPid) return null;
    let paths: CgroupPaths;
    try {
      paths = readCgroupPaths(this.fs, initPid, this.layout, { name });
    } catch {
      return null;
    }
    const net = config ? netSourceOfConfig(config) : netSourceOf(this.fs.readTextOrNull(joinPath(joinPath(this.lxcpath, name), 'config')));
    const rc: RunningContainer = { name, initPid, monitorPid, startTime: ps.startTime, paths, net };
    this.cache.set(name, rc);
    return rc;
  }

  /** The monitor's child: its first entry in task/<pid>/children, else the payload process whose parent it is. */
  private initOf(monitorPid: number, name: string): number | null {
    const ch = this.fs.readTextOrNull(`/proc/${monitorPid}/task/${monitorPid}/children`);
    if (ch !== null) {
      const first = Number(ch.trim().split(/\s+/)[0]);
      return Number.isInteger(first) && first > 0 ? first : null;
    }
    const procs = this.fs.readTextOrNull(joinPath(this.refDir!, `lxc.payload.${name}/cgroup.procs`));
    for (const p of procs?.split('\n') ?? []) {
      const pid = Number(p.trim());
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const st = this.fs.readTextOrNull(`/proc/${pid}/stat`);
      if (st !== null && parseProcStat(st)?.ppid === monitorPid) return pid;
    }
    return null;
  }

  /**
   * One read: the cached init still exists with the same start time (and parent), from its
   * /proc/PID/stat (proc(5) fields 4 and 22), read as bytes (core/stats/bytes.ts procStatOf).
   * @throws errno errors other than ENOENT/ESRCH/ENODEV (EACCES...) unchanged
   */
  stillSame(rc: RunningContainer): boolean {
    let real = this.statPaths.get(rc);
    if (real === undefined) {
      real = this.fs.resolve(`/proc/${rc.initPid}/stat`);
      this.statPaths.set(rc, real);
    }
    const ps = this.statFields;
    if (!this.fs.readResolvedBytes(real, this.statBytes) || !procStatOf(this.statBytes, ps)) return false;
    if (ps.startTime !== rc.startTime) return false;
    return rc.monitorPid === null || ps.ppid === rc.monitorPid;
  }
}

/**
 * The monitor's command line, which liblxc overwrites (setproctitle) with one
 * string `[lxc monitor] <lxcpath> <name>` and a NUL. The name is the last
 * space-separated word (container names hold no spaces), the lxcpath what
 * lies between, so an lxcpath with spaces is kept whole.
 * @returns null for any other process
 */
export function parseMonitorCmdline(cmdline: string): { lxcpath: string; name: string } | null {
  const s = cmdline.replace(/\0+$/, '').replace(/\0/g, ' ');
  const prefix = '[lxc monitor] ';
  if (!s.startsWith(prefix)) return null;
  const rest = s.slice(prefix.length);
  const sp = rest.lastIndexOf(' ');
  if (sp <= 0) return null;
  return { lxcpath: rest.slice(0, sp), name: rest.slice(sp + 1) };
}

/**
 * The hierarchy directory where LXC makes `lxc.monitor.NAME` and
 * `lxc.payload.NAME`: the v2 mount on a v2 host, else a v1 hierarchy that
 * LXC always uses (pids, memory, cpuacct, cpu, freezer...), else the hybrid
 * host's unified mount. Null when the host has no cgroups.
 */
export function referenceDir(layout: CgroupLayout): string | null {
  if (layout.kind === 'v2') return layout.v2Mount;
  for (const c of ['pids', 'memory', 'cpuacct', 'cpu', 'freezer', 'blkio', 'cpuset', 'devices']) {
    if (layout.v1[c] !== undefined && (layout.v1MountRoots[c] ?? '/') === '/') return layout.v1[c];
  }
  return layout.v2Mount;
}
