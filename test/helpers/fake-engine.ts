/**
 * An in-memory Backend for console tests: containers with LXC states,
 * start/stop/freeze/unfreeze/destroy/create change them, every call is
 * recorded, and any action can be told to fail with an LxdeckError.
 */
import { LxdeckError, type ErrorCode } from '../../core/errors.js';
import { validateContainerName } from '../../core/names.js';
import type { AutostartResult, AutostartSettings, ContainerInfo, ContainerState, ContainerSummary, CopyOptions, CreateOptions, InteractiveResult, ProgressEvent, SnapshotInfo, StopOptions } from '../../core/types.js';
import type { Backend } from '../../core/backend.js';
import type { ProcessInfo, ProcessSnapshot } from '../../core/ps/procs.js';
import type { CgroupLayout } from '../../core/cgroup/layout.js';
import type { CreateEnv } from '../../src/console/services.js';
import type { AttachPtyOptions } from '../../core/backend.js';
import { spawnPty } from '../../core/exec/pty.js';
import type { StatsPass, StatsSample, StatsSource, StatsStreamLike } from '../../core/stats/types.js';
import type { ContainerLimits, SetLimitsResult } from '../../core/cgroup/resources.js';
import type { AppliedLimits } from '../../core/cgroup/limits.js';
import type { LimitsInput } from '../../core/cgroup/limit-input.js';
import { getTemplate, listTemplates } from '../../templates/index.js';

export type FakeMethod =
  | 'list'
  | 'info'
  | 'create'
  | 'start'
  | 'stop'
  | 'freeze'
  | 'unfreeze'
  | 'destroy'
  | 'attach'
  | 'attachPty'
  | 'console'
  | 'psSnapshot'
  | 'kill'
  | 'limits'
  | 'setLimits'
  | 'copy'
  | 'rename'
  | 'restart'
  | 'snapshot'
  | 'snapshots'
  | 'restoreSnapshot'
  | 'deleteSnapshot'
  | 'setAutostart'
  | 'applyAutostart'
  | 'setProtected';

/** The issue 9 lifecycle methods; {@link FakeEngine.without} removes some to test capability-hidden keys. */
export const LIFECYCLE_METHODS = ['copy', 'rename', 'restart', 'snapshot', 'snapshots', 'restoreSnapshot', 'deleteSnapshot', 'setAutostart', 'applyAutostart', 'setProtected'] as const;

/** A process row with defaults (root, sleeping, 1 MiB). */
export function proc(pid: number, command: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid, nspid: 1, ppid: 1, state: 'S', uid: 100000, nsUid: 0, user: 'root', cpuTimeUsec: 0, cpuPercent: null, rssBytes: 1048576, command, startTime: 1000 + pid, cgroup: '/', ...extra };
}

export interface FakeCall {
  method: FakeMethod;
  args: unknown[];
}

export interface FakeFailure {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** fail only this many times (default: always) */
  times?: number;
}

let pidSeq = 4000;

/** A summary with defaults: STOPPED, no pid, no address. */
export function summary(name: string, state: ContainerState = 'STOPPED', extra: Partial<ContainerSummary> = {}): ContainerSummary {
  const running = state !== 'STOPPED';
  return { name, state, pid: running ? ++pidSeq : null, ipv4: running ? ['10.0.3.10'] : [], autostart: false, ...extra };
}

export class FakeEngine implements Backend {
  readonly lxcpath: string;
  readonly calls: FakeCall[] = [];
  private readonly boxes = new Map<string, ContainerSummary>();
  private readonly failures = new Map<FakeMethod, FakeFailure>();
  /** ms each action (not list) takes before it resolves */
  actionDelayMs = 0;
  /** ms list() takes */
  listDelayMs = 0;
  /** list() calls running right now, and the most seen at once */
  listsInFlight = 0;
  maxListsInFlight = 0;
  /**
   * Progress events create() reports, in order, before it finishes; with `createStepMs` > 0 one
   * every that many ms, and an abort of opts.signal in between rejects with E_CANCELLED.
   */
  createProgress: ProgressEvent[] = [];
  createStepMs = 0;
  /** aborted creates: names whose create was cancelled (nothing kept) */
  readonly cancelledCreates: string[] = [];
  /** processes per container name, for ps/psSnapshot; default one init process */
  readonly processes = new Map<string, ProcessInfo[]>();
  /** signals sent with kill(): [name, pid, signal] */
  readonly signals: [string, number, string | number][] = [];
  /** what attach/console run once beforeHandover was called; returns the exit status (default 0) */
  onHandOver?: (kind: 'attach' | 'console', name: string) => number | Promise<number>;
  /** extra fields merged into info() (e.g. a richer engine's ignoredKeys) */
  infoExtra: Partial<ContainerInfo> = {};

  constructor(containers: ContainerSummary[] = [], lxcpath = '/var/lib/lxc') {
    this.lxcpath = lxcpath;
    for (const c of containers) this.boxes.set(c.name, { ...c, ipv4: [...c.ipv4] });
  }

  /** Make `method` reject with an LxdeckError (all calls, or the next `times`). */
  failOn(method: FakeMethod, f: FakeFailure): void {
    this.failures.set(method, { ...f });
  }

  /** Set a container's state behind the console's back (as lxc-stop in another shell would). */
  setState(name: string, state: ContainerState): void {
    const c = this.must(name);
    c.state = state;
    c.pid = state === 'STOPPED' ? null : (c.pid ?? ++pidSeq);
  }

  /** Set the addresses lxc-info would report (a DHCP lease arriving). */
  setAddress(name: string, ipv4: string[]): void {
    this.must(name).ipv4 = [...ipv4];
  }

  has(name: string): boolean {
    return this.boxes.has(name);
  }

  /** The calls of one method, as argument lists. */
  callsOf(method: FakeMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  private async enter(method: FakeMethod, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    const ms = method === 'list' ? this.listDelayMs : this.actionDelayMs;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    const f = this.failures.get(method);
    if (f) {
      if (f.times !== undefined) {
        f.times--;
        if (f.times <= 0) this.failures.delete(method);
      }
      throw new LxdeckError(f.code, f.message, { hint: f.hint });
    }
  }

  private must(name: string): ContainerSummary {
    const c = this.boxes.get(name);
    if (!c) throw new LxdeckError('E_NOT_FOUND', `no container named "${name}" in ${this.lxcpath}`, { hint: 'lxdeck ls lists them' });
    return c;
  }

  async list(): Promise<ContainerSummary[]> {
    this.listsInFlight++;
    this.maxListsInFlight = Math.max(this.maxListsInFlight, this.listsInFlight);
    try {
      await this.enter('list', []);
      return [...this.boxes.values()].sort((a, b) => a.name.localeCompare(b.name)).map((c) => ({ ...c, ipv4: [...c.ipv4] }));
    } finally {
      this.listsInFlight--;
    }
  }

  async info(name: string): Promise<ContainerInfo> {
    await this.enter('info', [name]);
    const c = this.must(name);
    return {
      ...c,
      ipv4: [...c.ipv4],
      lxcpath: this.lxcpath,
      configPath: `${this.lxcpath}/${name}/config`,
      rootfs: `dir:${this.lxcpath}/${name}/rootfs`,
      hostname: name,
      net: [],
      template: 'busybox',
      created: null,
      startOrder: this.autostartOf.get(name)?.order ?? null,
      startDelay: this.autostartOf.get(name)?.delay ?? null,
      ...this.infoExtra,
    };
  }

  async create(name: string, opts?: CreateOptions): Promise<ContainerInfo> {
    await this.enter('create', [name, opts]);
    validateContainerName(name);
    if (this.boxes.has(name)) throw new LxdeckError('E_EXISTS', `container "${name}" exists`, { hint: 'choose another name' });
    for (const ev of this.createProgress) {
      if (opts?.signal?.aborted) break;
      opts?.onProgress?.(ev);
      if (this.createStepMs > 0) await new Promise((r) => setTimeout(r, this.createStepMs));
    }
    if (opts?.signal?.aborted) {
      this.cancelledCreates.push(name);
      throw new LxdeckError('E_CANCELLED', `create of ${name} cancelled; nothing was left behind`);
    }
    this.boxes.set(name, summary(name, 'STOPPED'));
    return this.info(name);
  }

  private running(name: string, what: string): ContainerSummary {
    const c = this.must(name);
    if (c.state !== 'RUNNING') throw new LxdeckError('E_STATE', `${name} is ${c.state}: ${what} needs it RUNNING`, { hint: `start it first: lxdeck start ${name}` });
    return c;
  }

  consoleArgv(name: string): string[] {
    return ['lxc-console', '-P', this.lxcpath, '-n', name, '-t', '0'];
  }

  async attachArgv(name: string, command?: string[]): Promise<string[]> {
    return ['lxc-attach', '-P', this.lxcpath, '-n', name, '--', ...(command?.length ? command : ['/bin/sh'])];
  }

  async attach(name: string, command?: string[], opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    await this.enter('attach', [name, command]);
    this.running(name, 'attach');
    const argv = await this.attachArgv(name, command);
    opts.beforeHandover?.();
    return { argv, exitCode: (await this.onHandOver?.('attach', name)) ?? 0 };
  }

  /**
   * The shell pane's attach: a REAL /bin/sh of this host on a real pty (core/exec/pty.ts, node-pty),
   * in place of lxc-attach (a container would make the screen tests need root and LXC; the e2e
   * test test/e2e/console-pane-lxc.test.ts runs the real lxc-attach). Its prompt is `fake# `.
   */
  async attachPty(name: string, opts: AttachPtyOptions): Promise<InteractiveResult> {
    await this.enter('attachPty', [name]);
    this.running(name, 'attach');
    const argv = ['/bin/sh'];
    const child = await spawnPty(argv, { cols: opts.cols, rows: opts.rows, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm-256color', PS1: 'fake# ', HOME: '/' } });
    opts.onStart(child);
    const r = await child.exited;
    return { argv, exitCode: r.signal ? 128 + r.signal : r.exitCode };
  }

  async console(name: string, opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    await this.enter('console', [name]);
    this.running(name, 'the console');
    opts.beforeHandover?.();
    return { argv: this.consoleArgv(name), exitCode: (await this.onHandOver?.('console', name)) ?? 0 };
  }

  async psSnapshot(name: string): Promise<ProcessSnapshot> {
    await this.enter('psSnapshot', [name]);
    const c = this.must(name);
    if (c.pid === null) throw new LxdeckError('E_STATE', `${name} is ${c.state}: it has no processes`, { hint: `start it first: lxdeck start ${name}` });
    const list = this.processes.get(name) ?? [proc(c.pid, '/sbin/init')];
    return { takenAtMs: Date.now(), processes: list.map((p) => ({ ...p })) };
  }

  async ps(name: string): Promise<ProcessInfo[]> {
    return (await this.psSnapshot(name)).processes;
  }

  async kill(name: string, hostPid: number, signal: string | number): Promise<void> {
    await this.enter('kill', [name, hostPid, signal]);
    const list = this.processes.get(name) ?? [];
    if (!list.some((p) => p.pid === hostPid)) throw new LxdeckError('E_INVALID_VALUE', `process ${hostPid} is not in container ${name}`);
    this.signals.push([name, hostPid, signal]);
    if (signal === 'KILL' || signal === 'TERM') this.processes.set(name, list.filter((p) => p.pid !== hostPid));
  }

  /** limits in effect per container for limits()/setLimits() (default: none set, unlimited) */
  readonly appliedLimits = new Map<string, AppliedLimits>();
  /** the stats source sampler() gives (see withSampler) */
  statsSource?: FakeStatsSource;
  /** present only when a stats source is given (an engine without one polls list()) */
  sampler?: () => StatsSource;

  /** Gives the engine a scripted stats source: `src.emit(pass)` delivers a pass to the open streams. */
  withSampler(src = new FakeStatsSource()): FakeStatsSource {
    this.statsSource = src;
    this.sampler = () => src;
    return src;
  }

  async limits(name: string): Promise<ContainerLimits> {
    await this.enter('limits', [name]);
    const c = this.must(name);
    const running = c.state !== 'STOPPED';
    return { name, running, layout: 'v2', applied: running ? { ...this.appliedOf(name) } : null, saved: [], ignored: [] };
  }

  private appliedOf(name: string): AppliedLimits {
    let a = this.appliedLimits.get(name);
    if (!a) {
      a = { memory: 'max', memorySoft: 'max', swap: 'max', memsw: null, cpuWeight: 100, cpus: 'max', cpuQuota: { quotaUsec: 'max', periodUsec: 100000 }, cpuset: null, cpusetEffective: [0, 1], ioWeight: 100, io: [], pids: 'max' };
      this.appliedLimits.set(name, a);
    }
    return a;
  }

  async setLimits(name: string, input: LimitsInput): Promise<SetLimitsResult> {
    await this.enter('setLimits', [name, input]);
    const c = this.must(name);
    const a = this.appliedOf(name);
    const num = (v: unknown): number | 'max' => (v === 'max' ? 'max' : Number(v));
    if (input.memory !== undefined) a.memory = num(input.memory);
    if (input.swap !== undefined) a.swap = num(input.swap);
    if (input.cpus !== undefined) a.cpus = num(input.cpus);
    if (input.cpuWeight !== undefined) a.cpuWeight = Number(input.cpuWeight);
    if (input.pids !== undefined) a.pids = num(input.pids);
    if (input.ioWeight !== undefined) a.ioWeight = Number(input.ioWeight);
    return { live: c.state !== 'STOPPED', written: [], saved: [], removed: [], messages: [] };
  }

  async start(name: string): Promise<void> {
    await this.enter('start', [name]);
    const c = this.must(name);
    if (c.state !== 'STOPPED') throw new LxdeckError('E_STATE', `${name} is ${c.state}`, { hint: 'stop it first' });
    c.state = 'RUNNING';
    c.pid = ++pidSeq;
    c.ipv4 = ['10.0.3.10'];
  }

  async stop(name: string, opts?: StopOptions): Promise<void> {
    await this.enter('stop', [name, opts]);
    const c = this.must(name);
    c.state = 'STOPPED';
    c.pid = null;
    c.ipv4 = [];
  }

  async freeze(name: string): Promise<void> {
    await this.enter('freeze', [name]);
    const c = this.must(name);
    if (c.state !== 'RUNNING') throw new LxdeckError('E_STATE', `${name} is ${c.state}, not RUNNING`, { hint: 'start it first' });
    c.state = 'FROZEN';
  }

  async unfreeze(name: string): Promise<void> {
    await this.enter('unfreeze', [name]);
    const c = this.must(name);
    if (c.state !== 'FROZEN' && c.state !== 'FREEZING') throw new LxdeckError('E_STATE', `${name} is ${c.state}, not FROZEN`);
    c.state = 'RUNNING';
  }

  async destroy(name: string, opts?: { force?: boolean }): Promise<void> {
    await this.enter('destroy', [name, opts]);
    const c = this.must(name);
    if (c.protected) throw new LxdeckError('E_PROTECTED', `${name} is protected: it cannot be destroyed`, { hint: `lxdeck protect ${name} off, then delete it` });
    if (c.state !== 'STOPPED' && !opts?.force) throw new LxdeckError('E_RUNNING', `${name} is ${c.state}`, { hint: 'stop it first or use --force' });
    this.boxes.delete(name);
    this.snaps.delete(name);
    this.autostartOf.delete(name);
  }

  // ---- lifecycle (issue 9), in memory

  /** snapshots per container, oldest first (lxc-snapshot's snap0, snap1, ...) */
  readonly snaps = new Map<string, SnapshotInfo[]>();
  /** order and delay per container (auto and groups live on the summary) */
  private readonly autostartOf = new Map<string, { order: number | null; delay: number | null }>();

  /** Removes lifecycle methods (an older engine): the console must hide their keys. */
  without(...methods: ((typeof LIFECYCLE_METHODS)[number] | 'limits' | 'setLimits')[]): this {
    for (const m of methods) Object.defineProperty(this, m, { value: undefined, configurable: true, writable: true });
    return this;
  }

  /** Adds a snapshot behind the console's back (as lxc-snapshot in another shell would). */
  addSnapshot(name: string, comment: string | null = null, created = '2026-12-04T23:10:00.000Z'): SnapshotInfo {
    this.must(name);
    const list = this.snaps.get(name) ?? [];
    const n = list.reduce((m, x) => Math.max(m, Number(x.name.replace(/^snap/, '')) + 1), 0);
    const snap: SnapshotInfo = { name: `snap${n}`, created, comment };
    list.push(snap);
    this.snaps.set(name, list);
    return { ...snap };
  }

  private stopped(name: string, what: string): ContainerSummary {
    const c = this.must(name);
    if (c.state !== 'STOPPED') throw new LxdeckError('E_STATE', `${name} is ${c.state}: ${what} needs it STOPPED`, { hint: `stop it first: lxdeck stop ${name}` });
    return c;
  }

  private free(name: string): void {
    validateContainerName(name);
    if (this.boxes.has(name)) throw new LxdeckError('E_EXISTS', `container "${name}" exists`, { hint: 'choose another name' });
  }

  async copy(src: string, dst: string, opts?: CopyOptions): Promise<ContainerInfo> {
    await this.enter('copy', [src, dst, opts === undefined ? undefined : { snapshot: opts.snapshot }]);
    const c = this.must(src);
    this.free(dst);
    opts?.onProgress?.({ phase: 'copy', line: `copying ${src} to ${dst}` });
    this.boxes.set(dst, { ...summary(dst, 'STOPPED'), autostart: c.autostart, groups: [...(c.groups ?? [])] });
    return this.info(dst);
  }

  async rename(oldName: string, newName: string): Promise<void> {
    await this.enter('rename', [oldName, newName]);
    const c = this.stopped(oldName, 'rename');
    this.free(newName);
    this.boxes.delete(oldName);
    this.boxes.set(newName, { ...c, name: newName });
    for (const m of [this.snaps, this.autostartOf] as Map<string, unknown>[]) {
      if (m.has(oldName)) {
        m.set(newName, m.get(oldName));
        m.delete(oldName);
      }
    }
  }

  async restart(name: string, opts?: StopOptions): Promise<void> {
    await this.enter('restart', [name, opts]);
    const c = this.running(name, 'restart');
    c.pid = ++pidSeq;
  }

  async snapshot(name: string, opts?: { comment?: string }): Promise<SnapshotInfo> {
    await this.enter('snapshot', [name, opts]);
    return this.addSnapshot(name, opts?.comment ?? null, new Date().toISOString());
  }

  async snapshots(name: string): Promise<SnapshotInfo[]> {
    await this.enter('snapshots', [name]);
    this.must(name);
    return (this.snaps.get(name) ?? []).map((x) => ({ ...x }));
  }

  private snapOf(name: string, snap: string): SnapshotInfo {
    const s = (this.snaps.get(name) ?? []).find((x) => x.name === snap);
    if (!s) throw new LxdeckError('E_NOT_FOUND', `${name} has no snapshot ${snap}`, { hint: `lxdeck snapshots ${name} lists them` });
    return s;
  }

  async restoreSnapshot(name: string, snap: string, opts?: { as?: string }): Promise<void> {
    await this.enter('restoreSnapshot', [name, snap, opts]);
    this.must(name);
    this.snapOf(name, snap);
    if (opts?.as !== undefined) {
      this.free(opts.as);
      this.boxes.set(opts.as, summary(opts.as, 'STOPPED'));
      return;
    }
    this.stopped(name, 'restore in place');
  }

  async deleteSnapshot(name: string, snap: string): Promise<void> {
    await this.enter('deleteSnapshot', [name, snap]);
    this.must(name);
    this.snapOf(name, snap);
    this.snaps.set(name, (this.snaps.get(name) ?? []).filter((x) => x.name !== snap));
  }

  async setAutostart(name: string, st: Partial<AutostartSettings>): Promise<AutostartSettings> {
    await this.enter('setAutostart', [name, st]);
    const c = this.must(name);
    const o = this.autostartOf.get(name) ?? { order: null, delay: null };
    if (st.auto !== undefined) c.autostart = st.auto;
    if (st.groups !== undefined) c.groups = [...st.groups];
    if (st.order !== undefined) o.order = st.order;
    if (st.delay !== undefined) o.delay = st.delay;
    this.autostartOf.set(name, o);
    return { auto: c.autostart, order: o.order, delay: o.delay, groups: [...(c.groups ?? [])] };
  }

  /** The saved autostart settings of a container (for assertions). */
  autostartSettings(name: string): AutostartSettings {
    const c = this.must(name);
    const o = this.autostartOf.get(name) ?? { order: null, delay: null };
    return { auto: c.autostart, order: o.order, delay: o.delay, groups: [...(c.groups ?? [])] };
  }

  async applyAutostart(opts?: { groups?: string[] }): Promise<AutostartResult> {
    await this.enter('applyAutostart', [opts]);
    const r: AutostartResult = { started: [], skipped: [], failed: [] };
    const order = (n: string): number => this.autostartOf.get(n)?.order ?? 0;
    const boxes = [...this.boxes.values()]
      .filter((c) => c.autostart && (!opts?.groups?.length || (c.groups ?? []).some((g) => opts.groups!.includes(g))))
      .sort((a, b) => order(b.name) - order(a.name) || a.name.localeCompare(b.name));
    for (const c of boxes) {
      if (c.state !== 'STOPPED') r.skipped.push(c.name);
      else {
        c.state = 'RUNNING';
        c.pid = ++pidSeq;
        r.started.push(c.name);
      }
    }
    return r;
  }

  async setProtected(name: string, on: boolean): Promise<void> {
    await this.enter('setProtected', [name, on]);
    this.must(name).protected = on;
  }
}

/** A cgroup v2 layout (memory, cpu, io, pids, cpuset) for the wizard's checks. */
export const FAKE_V2_LAYOUT: CgroupLayout = {
  kind: 'v2',
  v2Mount: '/sys/fs/cgroup',
  v2MountRoot: '/',
  v2Controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'],
  v1: {},
  v1MountRoots: {},
};

/**
 * The create wizard's env for tests: lxdeck's own templates (their real manifests; nothing
 * is built), a v2 layout, default bridge lxdeckbr0 and the host bridges given.
 */
export function fakeCreateEnv(bridges: string[] = ['br-lan']): CreateEnv {
  return { defaultBridge: 'lxdeckbr0', layout: FAKE_V2_LAYOUT, templates: listTemplates({ withHost: false }), template: getTemplate, bridges };
}

/** A sample with defaults: RUNNING, 1 % of one CPU, 10 MiB used of an unlimited limit; `extra` overrides parts. */
export function sample(name: string, extra: { state?: StatsSample['state']; pid?: number | null; cpu?: Partial<StatsSample['cpu']>; memory?: Partial<StatsSample['memory']>; blkio?: Partial<StatsSample['blkio']>; pids?: Partial<StatsSample['pids']>; net?: StatsSample['net'] } = {}): StatsSample {
  const state = extra.state ?? 'RUNNING';
  if (state === 'STOPPED') {
    return {
      name,
      state,
      pid: null,
      cpu: { usageUsec: null, percent: null, percentOfHost: null, percentOfLimit: null, limitCpus: null },
      memory: { used: null, cache: null, usage: null, limit: null, percent: null, percentOf: null, swap: null },
      blkio: { readBytes: null, writeBytes: null, readBps: null, writeBps: null },
      pids: { current: null, limit: null },
      net: null,
      pressure: { cpu: null, memory: null, io: null },
    };
  }
  return {
    name,
    state,
    pid: extra.pid === undefined ? 4242 : extra.pid,
    cpu: { usageUsec: 1_000_000, percent: 1, percentOfHost: 0.5, percentOfLimit: 0.5, limitCpus: 2, ...extra.cpu },
    memory: { used: 10 << 20, cache: 1 << 20, usage: 11 << 20, limit: 'max', percent: 0.5, percentOf: 'host', swap: 0, ...extra.memory },
    blkio: { readBytes: 0, writeBytes: 0, readBps: 0, writeBps: 0, ...extra.blkio },
    pids: { current: 3, limit: 'max', ...extra.pids },
    net: extra.net === undefined ? { rxBytes: 0, txBytes: 0, rxBps: 0, txBps: 0, interfaces: ['vethX'] } : extra.net,
    pressure: { cpu: null, memory: null, io: null },
  };
}

/** A pass of these samples on a 2-CPU, 2 GiB host. */
export function passOf(samples: StatsSample[], time = Date.now()): StatsPass {
  return { time, durationMs: 1.5, host: { cpus: 2, memoryBytes: 2 * 1024 ** 3 }, containers: samples };
}

/** A scripted stats stream: passes arrive only when the test emits them. */
export class FakeStatsStream implements StatsStreamLike {
  stopped = false;
  private readonly listeners = new Set<(p: StatsPass) => void>();
  private readonly errorListeners = new Set<(e: unknown) => void>();
  constructor(readonly opts: { intervalMs: number; names?: readonly string[]; count?: number }) {}
  onPass(fn: (p: StatsPass) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  onError(fn: (e: unknown) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }
  stop(): void {
    this.stopped = true;
  }
  emit(p: StatsPass): void {
    if (!this.stopped) for (const fn of this.listeners) fn(p);
  }
  fail(e: unknown): void {
    if (this.stopped) return;
    for (const fn of this.errorListeners) fn(e);
    this.stopped = true;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<StatsPass> {
    // not used by the console (it listens with onPass)
  }
}

/** A StatsSource whose streams the test drives: emit() goes to every open stream. */
export class FakeStatsSource implements StatsSource {
  readonly streams: FakeStatsStream[] = [];
  async pass(): Promise<StatsPass> {
    return passOf([]);
  }
  stream(opts: { intervalMs: number; names?: readonly string[]; count?: number }): FakeStatsStream {
    const s = new FakeStatsStream(opts);
    this.streams.push(s);
    return s;
  }
  /** streams started and not stopped */
  open(): FakeStatsStream[] {
    return this.streams.filter((s) => !s.stopped);
  }
  emit(p: StatsPass): void {
    for (const s of this.open()) s.emit(p);
  }
}
