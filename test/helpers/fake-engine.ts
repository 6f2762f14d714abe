/**
 * An in-memory EngineApi for console tests: containers with LXC states,
 * start/stop/freeze/unfreeze/destroy/create change them, every call is
 * recorded, and any action can be told to fail with an LxdeckError.
 */
import { LxdeckError, type ErrorCode } from '../../core/errors.js';
import { validateContainerName } from '../../core/names.js';
import type { ContainerInfo, ContainerState, ContainerSummary, CreateOptions, EngineApi, StopOptions } from '../../core/types.js';

export type FakeMethod = 'list' | 'info' | 'create' | 'start' | 'stop' | 'freeze' | 'unfreeze' | 'destroy';

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

export class FakeEngine implements EngineApi {
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
    };
  }

  async create(name: string, opts?: CreateOptions): Promise<ContainerInfo> {
    await this.enter('create', [name, opts]);
    validateContainerName(name);
    if (this.boxes.has(name)) throw new LxdeckError('E_EXISTS', `container "${name}" exists`, { hint: 'choose another name' });
    this.boxes.set(name, summary(name, 'STOPPED'));
    return this.info(name);
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
    if (c.state !== 'STOPPED' && !opts?.force) throw new LxdeckError('E_RUNNING', `${name} is ${c.state}`, { hint: 'stop it first or use --force' });
    this.boxes.delete(name);
  }
}
