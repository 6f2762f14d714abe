/**
 * The LXD (and Incus) backend: the Backend seam (core/backend.ts) over LXD's REST API on its
 * unix socket (core/lxd/client.ts). Containers are LXD instances; their config keys are LXD's
 * (limits.memory, limits.cpu, boot.autostart, security.protection.delete). What LXD cannot do
 * the way lxdeck's local engine does is refused with E_USAGE and a hint, never half done.
 *
 * Sources: LXD 5.0 REST API ("Instances": /1.0/instances, ?recursion=2, /state, /exec;
 * "Operations"), and the instance options documentation ("Resource limits": limits.memory,
 * limits.cpu, limits.cpu.allowance, limits.processes).
 */
import { availableParallelism, totalmem } from 'node:os';
import type { Backend } from '../backend.js';
import { LxdeckError } from '../errors.js';
import type { ContainerInfo, ContainerLimits, ContainerState, ContainerSummary, CreateOptions, InteractiveResult, NetInfo, StopOptions } from '../types.js';
import { CONTAINER_STATES } from '../types.js';
import type { SetLimitsResult } from '../cgroup/resources.js';
import type { LimitsInput } from '../cgroup/limit-input.js';
import type { HostTotals, StatsPass, StatsSample, StatsSource, StatsStreamLike } from '../stats/types.js';
import { StatsStream, stoppedSample, ratePerSec } from '../stats/sampler.js';
import { parseCpuList, parseCpus, parseSize, type LimitValue } from '../units.js';
import { LxdClient, type LxdClientOptions, type LxdOperation } from './client.js';
import type { LxdInstance, LxdInstanceState, LxdServer } from './types.js';
import { LxdEvents, lifecycleChange } from './events.js';
import { consoleInteractive, execInteractive, execPty, LXD_SHELL } from './exec.js';
import type { AttachPtyOptions } from '../backend.js';

/** A row of `lxdeck --backend lxd ls`: the summary plus where it runs and LXD's own status. */
export interface LxdContainerSummary extends ContainerSummary {
  /** the cluster member running it; present only when LXD is clustered */
  location?: string;
  /** LXD's status as it reports it ("Running", "Stopped", "Frozen", "Error", ...) */
  status: string;
  /** "container" or "virtual-machine" */
  type: string;
}

/** `lxdeck --backend lxd info NAME`: the ContainerInfo fields lxdeck shares, plus LXD's. */
export interface LxdContainerInfo extends ContainerInfo {
  location?: string;
  status: string;
  type: string;
  profiles: string[];
  /** the instance's own config keys (not those from profiles) */
  config: Record<string, string>;
}

/** Options of {@link LxdBackend.create}: the shared ones LXD can honour, plus the image and profiles. */
export interface LxdCreateOptions extends CreateOptions {
  /** a local image alias (or fingerprint): `lxc image list` shows them; required */
  image?: string;
  /** profiles to apply in order; default LXD's ["default"] */
  profiles?: string[];
  /** cluster member to create it on (LXD's `?target=`) */
  target?: string;
}

/** What {@link LxdBackend.exec} returns: the command's exit status and its recorded output. */
export interface LxdExecResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface LxdBackendOptions extends LxdClientOptions {
  /** a client made elsewhere (tests); else one on `socketPath` */
  client?: LxdClient;
  /** clock for CPU rates, microseconds (tests) */
  clock?: () => number;
}

/**
 * LXD's status to lxdeck's ContainerState (core/types.ts, LXC's lxc_state_t names): the
 * same words upper-cased where LXC has them; LXD's "Error" (and anything unknown) is STOPPED,
 * since no action but start or delete applies to it. `status` stays on the row as LXD says it.
 */
export function lxdState(status: string): ContainerState {
  const up = status.toUpperCase();
  return (CONTAINER_STATES as readonly string[]).includes(up) ? (up as ContainerState) : 'STOPPED';
}

/** The global IPv4 addresses of an instance's interfaces (lo left out), without prefix. */
export function lxdIpv4(state: LxdInstanceState | null | undefined, family: 'inet' | 'inet6' = 'inet'): string[] {
  const out: string[] = [];
  for (const [ifname, n] of Object.entries(state?.network ?? {})) {
    if (ifname === 'lo' || n.type === 'loopback') continue;
    for (const a of n.addresses ?? []) if (a.family === family && a.scope === 'global') out.push(a.address);
  }
  return out;
}

/**
 * Whether LXD is clustered, read from instances: an instance's `location` is its member's name
 * in a cluster and "none" otherwise (LXD 5.0's instance API); undefined when there is none to read.
 */
export function clusteredFrom(list: readonly Pick<LxdInstance, 'location'>[]): boolean | undefined {
  if (!list.length) return undefined;
  return list.some((i) => !!i.location && i.location !== 'none');
}

/** One LXD instance (InstanceFull, with state) as a list row; `clustered` adds `location`. */
export function lxdSummary(i: LxdInstance, clustered: boolean): LxdContainerSummary {
  const pid = i.state && i.state.pid > 0 ? i.state.pid : null;
  const status = i.state?.status ?? i.status;
  const cfg = i.expanded_config ?? i.config ?? {};
  return {
    name: i.name,
    state: lxdState(status),
    pid,
    ipv4: lxdIpv4(i.state),
    autostart: cfg['boot.autostart'] === 'true',
    groups: [],
    protected: cfg['security.protection.delete'] === 'true',
    status,
    type: i.type,
    ...(clustered ? { location: i.location } : {}),
  };
}

const BINARY_UNITS: [string, number][] = [
  ['TiB', 2 ** 40],
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
];

/** Bytes as LXD's size text: the largest binary unit that divides it exactly (67108864 -> "64MiB"), else plain bytes. */
export function lxdSizeText(bytes: number): string {
  for (const [u, n] of BINARY_UNITS) if (bytes >= n && bytes % n === 0) return `${bytes / n}${u}`;
  return String(bytes);
}

/**
 * LXD's limits.memory value in bytes (its size grammar: plain bytes, kB/MB/GB/TB powers of
 * 1000, KiB/MiB/GiB/TiB powers of 1024); null for a percentage of the host (or anything else).
 */
export function parseLxdSize(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKMGTPE]i?B|B)?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const u = m[2] ?? 'B';
  const pow: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15, EB: 1e18, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50, EiB: 2 ** 60 };
  return pow[u] === undefined ? null : Math.round(n * pow[u]);
}

/** CPUs an instance may use from limits.cpu ("2" = two CPUs, "0-1,3" = that set) and limits.cpu.allowance ("50ms/100ms"); null when unlimited or unknown. */
export function lxdLimitCpus(cfg: Record<string, string>): number | null {
  const c = cfg['limits.cpu'];
  let n: number | null = null;
  if (c !== undefined && c !== '') n = /^\d+$/.test(c) ? Number(c) : parseCpuList(c).length || null;
  const a = /^(\d+)ms\/(\d+)ms$/.exec(cfg['limits.cpu.allowance'] ?? '');
  if (a) {
    const q = Number(a[1]) / Number(a[2]);
    n = n === null ? q : Math.min(n, q);
  }
  return n;
}

const LIMIT_KEYS = ['limits.memory', 'limits.memory.swap', 'limits.memory.enforce', 'limits.cpu', 'limits.cpu.allowance', 'limits.cpu.priority', 'limits.processes'];

/** The limits.* keys of a config, sorted. */
function limitKeys(cfg: Record<string, string>): { key: string; value: string }[] {
  return Object.keys(cfg)
    .filter((k) => k.startsWith('limits.'))
    .sort()
    .map((key) => ({ key, value: cfg[key] }));
}

const enc = encodeURIComponent;

/**
 * The Backend over an LXD daemon (see the module comment). `lxcpath` names the daemon
 * (`lxd:<socket>`) for titles and messages; nothing is read from an lxcpath.
 */
export class LxdBackend implements Backend {
  readonly lxcpath: string;
  readonly client: LxdClient;
  private readonly clock: () => number;
  private clustered: boolean | undefined;

  constructor(opts: LxdBackendOptions = {}) {
    this.client = opts.client ?? new LxdClient(opts);
    this.lxcpath = `lxd:${this.client.socketPath}`;
    this.clock = opts.clock ?? (() => Number(process.hrtime.bigint() / 1000n));
  }

  /** GET /1.0: the server's API version and environment. @throws LxdeckError E_UNREACHABLE */
  server(): Promise<LxdServer> {
    return this.client.get<LxdServer>('/1.0');
  }

  /** True when the daemon is a cluster member (GET /1.0, environment.server_clustered); asked once. */
  async isClustered(): Promise<boolean> {
    if (this.clustered === undefined) this.clustered = (await this.server()).environment?.server_clustered === true;
    return this.clustered;
  }

  /** Every instance with its state: one GET /1.0/instances?recursion=2. */
  async instances(): Promise<LxdInstance[]> {
    return (await this.client.get<LxdInstance[] | null>('/1.0/instances?recursion=2')) ?? [];
  }

  /** One instance with its state (GET /1.0/instances/NAME?recursion=1). @throws LxdeckError E_NOT_FOUND */
  async instance(name: string): Promise<LxdInstance> {
    checkName(name);
    try {
      return await this.client.get<LxdInstance>(`/1.0/instances/${enc(name)}?recursion=1`);
    } catch (e) {
      throw notFound(e, name);
    }
  }

  /**
   * The instances as list rows, sorted by name: state (LXD's status mapped, see
   * {@link lxdState}), init PID, the global IPv4 addresses of its interfaces, autostart
   * (boot.autostart), delete protection (security.protection.delete) and, when clustered,
   * `location` (the member). @throws LxdeckError E_UNREACHABLE, E_API
   */
  async list(): Promise<LxdContainerSummary[]> {
    return (await this.listing()).rows;
  }

  /**
   * {@link list}'s rows and whether LXD is clustered, from ONE request (GET
   * /1.0/instances?recursion=2) when there is an instance: its `location` is the member's name
   * when clustered and "none" when not. Only an empty list asks GET /1.0.
   * @throws LxdeckError E_UNREACHABLE, E_API
   */
  async listing(): Promise<{ rows: LxdContainerSummary[]; clustered: boolean }> {
    const list = await this.instances();
    const known = clusteredFrom(list);
    if (known !== undefined) this.clustered ??= known;
    const clustered = known ?? (await this.isClustered());
    return { rows: list.map((i) => lxdSummary(i, clustered)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), clustered };
  }

  /** One instance in lxdeck's info shape plus LXD's fields (see LxdContainerInfo). @throws LxdeckError E_NOT_FOUND */
  async info(name: string): Promise<LxdContainerInfo> {
    const i = await this.instance(name);
    const clustered = clusteredFrom([i]) ?? (await this.isClustered());
    const s = lxdSummary(i, clustered);
    const cfg = i.expanded_config ?? {};
    const net: NetInfo[] = [];
    let index = 0;
    for (const [dev, d] of Object.entries(i.expanded_devices ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (d.type !== 'nic') continue;
      const ifname = d.name ?? dev;
      const st = i.state?.network?.[ifname];
      net.push({
        index: index++,
        type: d.nictype ?? (d.network ? 'network' : 'nic'),
        link: d.network ?? d.parent,
        hwaddr: cfg[`volatile.${dev}.hwaddr`] ?? d.hwaddr,
        ipv4: (st?.addresses ?? []).filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => `${a.address}/${a.netmask}`),
        hostVeth: st?.host_name || cfg[`volatile.${dev}.host_name`] || undefined,
        ifname,
        hwaddrInEffect: st?.hwaddr || undefined,
      });
    }
    return {
      ...s,
      lxcpath: this.lxcpath,
      configPath: `/1.0/instances/${name}`,
      rootfs: null,
      rootfsDir: null,
      hostname: i.name,
      net,
      template: cfg['image.description'] ?? null,
      created: i.created_at && !i.created_at.startsWith('0001-') ? i.created_at : null,
      ipv6: lxdIpv4(i.state, 'inet6'),
      unprivileged: cfg['security.privileged'] !== 'true',
      limits: this.limitsOf(i),
      profiles: i.profiles ?? [],
      config: i.config ?? {},
    };
  }

  /**
   * Creates an instance from a local image (POST /1.0/instances, source type "image" by alias,
   * waited for). Honours: image (required), profiles, memory (limits.memory), cpus
   * (limits.cpu for a whole number, limits.cpu.allowance for a fraction), privileged
   * (security.privileged), bridge (eth0 on that LXD network), target (cluster member), start.
   * @throws LxdeckError E_USAGE for options LXD's create cannot take here (template, ipv4, ...)
   *   or a missing image; E_EXISTS when the name is taken; E_NOT_FOUND for an unknown alias
   */
  async create(name: string, opts: LxdCreateOptions = {}): Promise<LxdContainerInfo> {
    checkName(name);
    const refused: string[] = [];
    const flag: [keyof LxdCreateOptions, string][] = [
      ['options', '--option'],
      ['ipv4', '--ipv4'],
      ['gateway', '--gateway'],
      ['hwaddr', '--hwaddr'],
      ['vethPair', '--veth-pair'],
      ['swap', '--swap'],
      ['cpuWeight', '--cpu-weight'],
      ['apparmorProfile', '--apparmor'],
      ['seccompProfile', '--seccomp'],
    ];
    for (const [k, f] of flag) {
      const v = opts[k];
      if (v !== undefined && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0)) refused.push(f);
    }
    if (opts.template !== undefined && opts.template !== 'busybox') refused.push('--template');
    if (refused.length)
      throw new LxdeckError('E_USAGE', `the LXD backend cannot create with ${refused.join(', ')}`, {
        hint: 'LXD makes instances from images: --image ALIAS, with --memory, --cpus, --profile, --bridge, --privileged; set the rest in a profile (lxc profile edit)',
      });
    if (!opts.image)
      throw new LxdeckError('E_USAGE', 'the LXD backend creates from an image: --image ALIAS is needed', { hint: 'lxc image list shows the local images and their aliases' });
    const config: Record<string, string> = {};
    if (opts.memory !== undefined) Object.assign(config, memoryConfig(opts.memory));
    if (opts.cpus !== undefined) Object.assign(config, cpusConfig(opts.cpus));
    if (opts.privileged) config['security.privileged'] = 'true';
    const body: Record<string, unknown> = {
      name,
      type: 'container',
      source: { type: 'image', alias: opts.image },
      config,
    };
    if (opts.profiles) body.profiles = opts.profiles;
    if (opts.bridge) body.devices = { eth0: { type: 'nic', name: 'eth0', network: opts.bridge } };
    opts.onProgress?.({ phase: 'create', line: `POST /1.0/instances ${name} from image ${opts.image}` });
    try {
      await this.client.call('POST', `/1.0/instances${opts.target ? `?target=${enc(opts.target)}` : ''}`, body, 600);
    } catch (e) {
      if (e instanceof LxdeckError && /already exists/i.test(e.message))
        throw new LxdeckError('E_EXISTS', `an instance named ${name} already exists`, { hint: 'pick another name, or delete it first', cause: e });
      if (e instanceof LxdeckError && /image not found|alias/i.test(e.message) && e.code !== 'E_EXISTS')
        throw new LxdeckError('E_NOT_FOUND', `no local image ${JSON.stringify(opts.image)}: ${e.message}`, { hint: 'lxc image list shows the local aliases; lxc image import adds one', cause: e });
      throw e;
    }
    if (opts.start) await this.start(name);
    return this.info(name);
  }

  private async setState(name: string, action: 'start' | 'stop' | 'restart' | 'freeze' | 'unfreeze', extra: Record<string, unknown> = {}, waitSec = 120): Promise<void> {
    checkName(name);
    try {
      await this.client.call('PUT', `/1.0/instances/${enc(name)}/state`, { action, timeout: -1, force: false, stateful: false, ...extra }, waitSec);
    } catch (e) {
      throw notFound(e, name);
    }
  }

  /** PUT /1.0/instances/NAME/state {action: "start"}, waited for. @throws LxdeckError E_NOT_FOUND, E_STATE, E_API */
  async start(name: string): Promise<void> {
    await this.setState(name, 'start');
  }

  /**
   * A clean shutdown within `timeoutSec` (default 30), then a forced stop if it is still
   * running, as lxc-stop does; `kill` stops it at once (force). @throws LxdeckError E_NOT_FOUND, E_STATE
   */
  async stop(name: string, opts: StopOptions = {}): Promise<void> {
    if (opts.kill) return this.setState(name, 'stop', { force: true });
    const t = opts.timeoutSec ?? 30;
    try {
      await this.setState(name, 'stop', { timeout: t }, t + 30);
    } catch (e) {
      if (e instanceof LxdeckError && (e.code === 'E_NOT_FOUND' || (e.code === 'E_STATE' && /not running/i.test(e.message)))) throw e;
      const i = await this.instance(name);
      if (lxdState(i.status) === 'STOPPED') return;
      await this.setState(name, 'stop', { force: true });
    }
  }

  /** PUT .../state {action: "freeze"}. @throws LxdeckError E_NOT_FOUND, E_STATE */
  async freeze(name: string): Promise<void> {
    await this.setState(name, 'freeze');
  }

  /** PUT .../state {action: "unfreeze"}. @throws LxdeckError E_NOT_FOUND, E_STATE */
  async unfreeze(name: string): Promise<void> {
    await this.setState(name, 'unfreeze');
  }

  /** PUT .../state {action: "restart"}: a clean reboot (forced after `timeoutSec`, default 30). */
  async restart(name: string, opts: StopOptions = {}): Promise<void> {
    await this.setState(name, 'restart', { timeout: opts.kill ? 0 : (opts.timeoutSec ?? 30), force: opts.kill === true });
  }

  /**
   * DELETE /1.0/instances/NAME, waited for. A running instance is refused (E_RUNNING) unless
   * `force`, which stops it at once first; security.protection.delete refuses (E_PROTECTED).
   */
  async destroy(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const i = await this.instance(name);
    if ((i.expanded_config ?? {})['security.protection.delete'] === 'true')
      throw new LxdeckError('E_PROTECTED', `${name} is protected against delete (security.protection.delete)`, { hint: `lxc config unset ${name} security.protection.delete` });
    if (lxdState(i.status) !== 'STOPPED') {
      if (!opts.force) throw new LxdeckError('E_RUNNING', `${name} is ${i.status.toLowerCase()}`, { hint: 'stop it first, or destroy --force' });
      await this.setState(name, 'stop', { force: true });
    }
    try {
      await this.client.call('DELETE', `/1.0/instances/${enc(name)}`);
    } catch (e) {
      throw notFound(e, name);
    }
  }

  private limitsOf(i: LxdInstance): ContainerLimits {
    return {
      name: i.name,
      running: lxdState(i.status) !== 'STOPPED',
      layout: 'none',
      applied: null,
      saved: limitKeys(i.config ?? {}),
      ignored: [],
    };
  }

  /**
   * The instance's own limits.* config keys (`saved`; LXD applies them live to a running
   * instance, so they are also what is in effect unless a profile sets others). `applied` is
   * null and `layout` "none": LXD owns the cgroups. @throws LxdeckError E_NOT_FOUND
   */
  async limits(name: string): Promise<ContainerLimits> {
    return this.limitsOf(await this.instance(name));
  }

  /**
   * Sets memory (limits.memory), cpus (limits.cpu for a whole number, limits.cpu.allowance
   * for a fraction) and cpuset (limits.cpu as a CPU list) in the instance config with a
   * PATCH; LXD applies them live. `max` removes the key (PUT of the whole config).
   * @throws LxdeckError E_USAGE for other limits (swap, weights, io, pids: set them with lxc config set),
   *   E_INVALID_VALUE for a bad size, E_NOT_FOUND, E_API when LXD refuses the value
   */
  async setLimits(name: string, input: LimitsInput): Promise<SetLimitsResult> {
    const other = Object.keys(input).filter((k) => !['memory', 'cpus', 'cpuset'].includes(k) && (input as Record<string, unknown>)[k] !== undefined);
    if (other.length)
      throw new LxdeckError('E_USAGE', `the LXD backend sets only --memory, --cpus and --cpuset, not ${other.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`, {
        hint: 'set other LXD limits with lxc config set NAME limits.KEY VALUE',
      });
    if (input.cpus !== undefined && input.cpuset !== undefined)
      throw new LxdeckError('E_USAGE', '--cpus and --cpuset both set limits.cpu under LXD', { hint: 'give one of them' });
    const set: Record<string, string | null> = {};
    if (input.memory !== undefined) Object.assign(set, memoryConfig(input.memory));
    if (input.cpus !== undefined) Object.assign(set, cpusConfig(input.cpus));
    if (input.cpuset !== undefined) {
      const list = Array.isArray(input.cpuset) ? input.cpuset : parseCpuList(input.cpuset);
      if (!list.length) throw new LxdeckError('E_INVALID_VALUE', `--cpuset takes a CPU list like 0-1,3, not ${JSON.stringify(input.cpuset)}`);
      set['limits.cpu'] = list.length === 1 ? `${list[0]}-${list[0]}` : list.join(',');
      set['limits.cpu.allowance'] = null;
    }
    const i = await this.instance(name);
    const config = { ...(i.config ?? {}) };
    const removed: string[] = [];
    for (const [k, v] of Object.entries(set)) {
      if (v === null) {
        if (k in config) removed.push(k);
        delete config[k];
      } else config[k] = v;
    }
    // PUT the whole instance (config, devices, profiles...): PATCH cannot remove a key
    await this.client.call('PUT', `/1.0/instances/${enc(name)}`, {
      architecture: i.architecture,
      config,
      devices: i.devices,
      ephemeral: i.ephemeral,
      profiles: i.profiles,
      stateful: i.stateful,
      description: i.description,
    });
    return {
      live: lxdState(i.status) !== 'STOPPED',
      written: [],
      saved: Object.entries(set)
        .filter((e): e is [string, string] => e[1] !== null)
        .map(([key, value]) => ({ key, value })),
      removed,
      messages: [],
    };
  }

  /**
   * Runs `command` inside the instance without a terminal (POST /1.0/instances/NAME/exec with
   * record-output, waited for) and returns its exit status and output (the logs LXD recorded).
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not running), E_API
   */
  async exec(name: string, command: string[], opts: { env?: Record<string, string>; timeoutSec?: number } = {}): Promise<LxdExecResult> {
    checkName(name);
    if (!command.length) throw new LxdeckError('E_USAGE', 'exec needs a command', { hint: 'e.g. attach NAME -- sh -c "uptime"' });
    let op: LxdOperation;
    try {
      op = (await this.client.call(
        'POST',
        `/1.0/instances/${enc(name)}/exec`,
        { command, environment: opts.env ?? {}, 'wait-for-websocket': false, interactive: false, 'record-output': true },
        opts.timeoutSec ?? 600,
      )) as LxdOperation;
    } catch (e) {
      throw notFound(e, name);
    }
    const md = (op.metadata ?? {}) as { return?: number; output?: Record<string, string> };
    const read = async (k: string) => {
      const p = md.output?.[k];
      if (!p) return '';
      try {
        return (await this.client.getBytes(p)).toString('utf8');
      } catch {
        return '';
      }
    };
    const [stdout, stderr] = await Promise.all([read('1'), read('2')]);
    // the logs are the instance's files under LXD: remove them once read
    for (const k of ['1', '2']) {
      const p = md.output?.[k];
      if (p) await this.client.request('DELETE', p).catch(() => undefined);
    }
    return { argv: command, exitCode: typeof md.return === 'number' ? md.return : -1, stdout, stderr };
  }

  /**
   * Runs `command` (no command: bash when the instance has one, else /bin/sh, see LXD_SHELL) inside
   * the instance on this process's terminal, as `lxc exec` does: POST .../exec with
   * interactive=true and wait-for-websocket, then the pty's data websocket carries the keys and
   * the output, the control websocket the window size (followed on SIGWINCH), with the local
   * terminal in raw mode and restored after (core/lxd/exec.ts). `beforeHandover` runs once the
   * instance answered, right before the terminal is taken (the console releases its screen then).
   * @returns the argv run and its exit status (the operation's `return`)
   * @throws LxdeckError E_NO_TERMINAL (exit 2) when stdin or stdout is not a terminal, E_NOT_FOUND,
   *   E_STATE (not running), E_UNREACHABLE
   */
  async attach(name: string, command: string[] = [], opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    checkName(name);
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new LxdeckError('E_NO_TERMINAL', 'an interactive attach needs a terminal', { hint: 'give a command to run without one: attach NAME -- COMMAND...', exitCode: 2 });
    const argv = command.length ? command : LXD_SHELL;
    try {
      return await execInteractive(this.client, name, argv, { stdin: process.stdin, stdout: process.stdout, env: { TERM: process.env.TERM || 'xterm' }, beforeHandover: opts.beforeHandover });
    } catch (e) {
      throw notFound(e, name);
    }
  }

  /**
   * A shell (bash when the instance has it, else /bin/sh: LXD_SHELL) on a pty of `opts.cols` x
   * `opts.rows` cells on LXD's side, for the console's shell pane: POST .../exec with interactive
   * and wait-for-websocket, its websockets as a PtyChild (core/lxd/exec.ts execPty: output, keys,
   * window-resize on the control websocket; `end` sends SIGHUP, then SIGKILL). `opts.onStart` gets
   * it once it runs; resolves when the shell ended.
   * @returns the argv run and its exit status (LXD's `return`; 128+N after signal N, -1 when unknown)
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_STATE (not running), E_UNREACHABLE, E_API
   */
  async attachPty(name: string, opts: AttachPtyOptions): Promise<InteractiveResult> {
    checkName(name);
    let child;
    try {
      child = await execPty(this.client, name, LXD_SHELL, { cols: opts.cols, rows: opts.rows, env: { TERM: 'xterm-256color' } });
    } catch (e) {
      throw notFound(e, name);
    }
    opts.onStart(child);
    const r = await child.exited;
    return { argv: LXD_SHELL, exitCode: r.signal ? 128 + r.signal : r.exitCode };
  }

  /**
   * The instance's console on this process's terminal, as `lxc console NAME` does (POST
   * /1.0/instances/NAME/console, type console, the window size followed; core/lxd/exec.ts
   * consoleInteractive): raw mode while it runs, restored after. LXD's console has no escape of its
   * own: Ctrl+a q (read by lxdeck) leaves, Ctrl+a a types a Ctrl+a, as with lxc-console.
   * `beforeHandover` runs once the instance answered, right before the terminal is taken.
   * @returns argv `lxc console NAME` and exit status 0 once left (or the console ended)
   * @throws LxdeckError E_NO_TERMINAL (exit 2) when stdin or stdout is not a terminal, E_NOT_FOUND,
   *   E_STATE (not running, or frozen), E_UNREACHABLE
   */
  async console(name: string, opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    checkName(name);
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new LxdeckError('E_NO_TERMINAL', 'the console needs a terminal', { hint: 'run it from an interactive shell', exitCode: 2 });
    try {
      return await consoleInteractive(this.client, name, { stdin: process.stdin, stdout: process.stdout, beforeHandover: opts.beforeHandover });
    } catch (e) {
      throw notFound(e, name);
    }
  }

  /**
   * Follows LXD's lifecycle events (GET /1.0/events over the unix socket, core/lxd/events.ts):
   * `onChange` hears each instance event ({name, action: "instance-started"...}), and
   * `{name: null, action: "reconnected"}` when the stream came back after a drop (events may have
   * been missed). `onError` hears the drop (LxdeckError E_UNREACHABLE; it reconnects by itself)
   * and null when it is back. Returns the unsubscribe (closes the stream).
   */
  watch(onChange: (change: { name: string | null; action: string }) => void, onError?: (e: Error | null) => void): () => void {
    let reconnecting = false;
    const events = new LxdEvents({
      socketPath: this.client.socketPath,
      types: ['lifecycle'],
      onEvent: (e) => {
        const c = lifecycleChange(e);
        if (c && (c.name !== null || c.action.startsWith('instance'))) onChange(c);
      },
      onOpen: () => {
        if (reconnecting) onChange({ name: null, action: 'reconnected' });
      },
      onError: (e) => {
        if (e) reconnecting = true;
        onError?.(e);
      },
    });
    void events.start();
    return () => events.close();
  }

  /** An event stream of this daemon (lifecycle and operation events by default), not yet started: see LxdEvents. */
  events(opts: Omit<ConstructorParameters<typeof LxdEvents>[0], 'socketPath'>): LxdEvents {
    return new LxdEvents({ ...opts, socketPath: this.client.socketPath });
  }

  /**
   * A stats source over the daemon's instances: each pass is one GET
   * /1.0/instances?recursion=2 (see {@link lxdSample}); CPU percent from the change in
   * `cpu.usage` between passes.
   */
  sampler(): StatsSource {
    return new LxdStatsSampler(this, this.clock);
  }
}

interface PrevCounters {
  atUsec: number;
  cpuUsec: number | null;
  rx: number | null;
  tx: number | null;
}

/** Host totals of the machine the socket is on (the daemon is local to its unix socket). */
function hostTotals(): HostTotals {
  return { cpus: availableParallelism(), memoryBytes: totalmem() };
}

/**
 * One instance's state as a StatsSample (core/stats/types.ts). Units: LXD's cpu.usage is
 * nanoseconds (-> usageUsec), memory bytes. Values LXD does not give (block I/O, pressure,
 * page cache) are null; a running instance's 0 or negative reading is unknown (null), never 0.
 */
export function lxdSample(i: LxdInstance, host: HostTotals, prev: PrevCounters | undefined, nowUsec: number): { sample: StatsSample; counters: PrevCounters } {
  const st = i.state;
  const status = lxdState(st?.status ?? i.status);
  if (!st || status === 'STOPPED') return { sample: stoppedSample(i.name), counters: { atUsec: nowUsec, cpuUsec: null, rx: null, tx: null } };
  const cfg = i.expanded_config ?? {};
  const cpuUsec = st.cpu && st.cpu.usage > 0 ? Math.floor(st.cpu.usage / 1000) : null;
  const elapsed = prev ? nowUsec - prev.atUsec : 0;
  const percent = prev ? ratePerSec(prev.cpuUsec, cpuUsec, elapsed) : null;
  const pct = percent === null ? null : percent / 1e4; // usec per second -> percent of one CPU
  const limitCpus = Math.min(lxdLimitCpus(cfg) ?? host.cpus, host.cpus);
  const memLimitText = cfg['limits.memory'];
  const memLimit: LimitValue | null = memLimitText === undefined || memLimitText === '' ? 'max' : parseLxdSize(memLimitText);
  const used = st.memory && st.memory.usage > 0 ? st.memory.usage : null;
  const memPercent = used === null ? null : typeof memLimit === 'number' ? (used / memLimit) * 100 : host.memoryBytes ? (used / host.memoryBytes) * 100 : null;
  let rx = 0;
  let tx = 0;
  const ifs: string[] = [];
  for (const [ifname, n] of Object.entries(st.network ?? {})) {
    if (ifname === 'lo' || n.type === 'loopback' || !n.counters) continue;
    rx += n.counters.bytes_received;
    tx += n.counters.bytes_sent;
    ifs.push(n.host_name || ifname);
  }
  const hasNet = ifs.length > 0;
  const procLimit = cfg['limits.processes'];
  const sample: StatsSample = {
    name: i.name,
    state: status === 'FROZEN' ? 'FROZEN' : status === 'FREEZING' ? 'FREEZING' : 'RUNNING',
    pid: st.pid > 0 ? st.pid : null,
    cpu: {
      usageUsec: cpuUsec,
      percent: pct,
      percentOfHost: pct === null ? null : pct / host.cpus,
      percentOfLimit: pct === null ? null : pct / limitCpus,
      limitCpus,
    },
    memory: {
      used,
      cache: null,
      usage: used,
      limit: memLimit,
      percent: memPercent,
      percentOf: memPercent === null ? null : typeof memLimit === 'number' ? 'limit' : 'host',
      swap: st.memory && st.memory.swap_usage >= 0 ? st.memory.swap_usage : null,
    },
    blkio: { readBytes: null, writeBytes: null, readBps: null, writeBps: null },
    pids: { current: st.processes > 0 ? st.processes : null, limit: procLimit ? Number(procLimit) : 'max' },
    net: hasNet
      ? {
          rxBytes: rx,
          txBytes: tx,
          rxBps: prev ? ratePerSec(prev.rx, rx, elapsed) : null,
          txBps: prev ? ratePerSec(prev.tx, tx, elapsed) : null,
          interfaces: ifs,
        }
      : null,
    pressure: { cpu: null, memory: null, io: null },
  };
  return { sample, counters: { atUsec: nowUsec, cpuUsec, rx: hasNet ? rx : null, tx: hasNet ? tx : null } };
}

/** The LXD stats source (see LxdBackend.sampler). */
class LxdStatsSampler implements StatsSource {
  private readonly prev = new Map<string, PrevCounters>();
  constructor(
    private readonly backend: LxdBackend,
    private readonly clock: () => number,
  ) {}

  /** One pass over every instance (or `names`): GET /1.0/instances?recursion=2. */
  async pass(names?: readonly string[]): Promise<StatsPass> {
    const t0 = Date.now();
    const list = await this.backend.instances();
    const now = this.clock();
    const host = hostTotals();
    const want = names ? new Set(names) : null;
    const containers: StatsSample[] = [];
    for (const i of list.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (want && !want.has(i.name)) continue;
      const { sample, counters } = lxdSample(i, host, this.prev.get(i.name), now);
      this.prev.set(i.name, counters);
      containers.push(sample);
    }
    for (const n of want ?? []) if (!list.some((i) => i.name === n)) containers.push(stoppedSample(n));
    return { time: t0, durationMs: Date.now() - t0, host, containers };
  }

  stream(opts: { intervalMs: number; names?: readonly string[]; count?: number }): StatsStreamLike {
    return new StatsStream(this, opts);
  }
}

/** Memory limit config: limits.memory in LXD's size text, or null (remove) for max. */
function memoryConfig(v: string | number | 'max'): Record<string, string | null> {
  const b = typeof v === 'number' ? v : parseSize(String(v));
  if (b === 'max') return { 'limits.memory': null };
  return { 'limits.memory': lxdSizeText(b) };
}

/** CPU limit config: a whole number -> limits.cpu; a fraction -> limits.cpu.allowance "Nms/100ms"; max -> both removed. */
function cpusConfig(v: string | number | 'max'): Record<string, string | null> {
  const n = typeof v === 'number' ? v : parseCpus(String(v));
  if (n === 'max') return { 'limits.cpu': null, 'limits.cpu.allowance': null };
  if (Number.isInteger(n)) return { 'limits.cpu': String(n), 'limits.cpu.allowance': null };
  return { 'limits.cpu': null, 'limits.cpu.allowance': `${Math.round(n * 100)}ms/100ms` };
}

/** LXD instance names: 1..63 characters, letters, digits and dashes, not starting with a digit or dash (LXD's ValidHostname). */
function checkName(name: string): void {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(name) || name.endsWith('-'))
    throw new LxdeckError('E_NAME_INVALID', `invalid LXD instance name ${JSON.stringify(name)}`, {
      hint: 'LXD names are 1-63 letters, digits and dashes, starting with a letter, not ending with a dash',
    });
}

/** A 404 from LXD as "no instance named NAME". */
function notFound(e: unknown, name: string): unknown {
  if (e instanceof LxdeckError && e.code === 'E_NOT_FOUND')
    return new LxdeckError('E_NOT_FOUND', `no LXD instance named ${name}`, { hint: 'lxdeck --backend lxd ls lists them', cause: e });
  return e;
}

export { LIMIT_KEYS };
