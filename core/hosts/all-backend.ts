/**
 * The console's backend over every host (issue 10, part 4): one {@link Backend} whose list holds
 * the containers of each host ({@link listAllHosts}: concurrent, each within a timeout), and whose
 * actions go to the backend of the row's host. Row names are the ids the screens pass back:
 * a local container keeps its name (`web`), another host's is `HOST:NAME` (`lab1:web`, incus's
 * addressing; container names cannot hold `:`). A host that does not answer gives one row
 * `HOST:` in state UNREACHABLE, so it shows as such within one refresh, never blocking the others.
 *
 * Capabilities: what every backend of a row can be asked for (start, stop, freeze,
 * unfreeze, destroy, info), and the optional ones (attach, console, restart, copy, rename,
 * snapshots, autostart, limits and the sliders' setLimits) when some host has them, refused with E_USAGE on a row whose host
 * lacks it; copy and rename stay on the row's host (a copy across hosts is not offered); and
 * live stats: {@link AllHostsBackend.sampler} combines each host's sampler (all-stats.ts), each
 * host in a loop of its own, so every row has its CPU and memory figures and a host that stops
 * answering does not hold the others'.
 */
import type { AttachPtyOptions, Backend } from '../backend.js';
import { LxdeckError } from '../errors.js';
import type { AutostartSettings, ContainerInfo, ContainerSummary, CopyOptions, CreateOptions, InteractiveResult, SnapshotInfo, StopOptions } from '../types.js';
import type { StatsSource } from '../stats/types.js';
import type { ContainerLimits, SetLimitsResult } from '../cgroup/resources.js';
import type { LimitsInput } from '../cgroup/limit-input.js';
import { DEFAULT_HOST_TIMEOUT_MS, listAllHosts, type HostEntry, type HostStatus } from './all-hosts.js';
import { AllHostsStats } from './all-stats.js';

/** The host name of this machine's lxcpath in row ids and the HOST column. */
export const LOCAL_HOST = 'local';

/**
 * Splits a row id into host and container: `lab1:web` -> {host: lab1, name: web}, `web` ->
 * {host: local, name: web}. Pure.
 */
export function parseRowId(id: string): { host: string; name: string } {
  const i = id.indexOf(':');
  return i < 0 ? { host: LOCAL_HOST, name: id } : { host: id.slice(0, i), name: id.slice(i + 1) };
}

/** The row id of container `name` on `host` (the inverse of {@link parseRowId}). Pure. */
export function rowId(host: string, name: string): string {
  return host === LOCAL_HOST ? name : `${host}:${name}`;
}

/** See the module comment. `lxcpath` is a title: `all hosts (local, lab1, lxd)`. */
export class AllHostsBackend implements Backend {
  readonly lxcpath: string;
  readonly hosts: readonly HostEntry[];
  private readonly timeoutMs: number;
  private readonly statsTimeoutMs: number | undefined;
  private stats: AllHostsStats | null = null;
  /** each host's answer to the last list (for the host picker and messages) */
  lastStatus: HostStatus[] = [];

  /**
   * @param hosts the hosts, `local` first (its backend is also the default for an id without `HOST:`)
   * @param opts.timeoutMs how long each host gets to answer a list (default {@link DEFAULT_HOST_TIMEOUT_MS})
   * @param opts.statsTimeoutMs a host whose stats are older is reported not answering (default all-stats.ts DEFAULT_STATS_TIMEOUT_MS)
   */
  constructor(hosts: readonly HostEntry[], opts: { timeoutMs?: number; statsTimeoutMs?: number } = {}) {
    this.hosts = hosts;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_HOST_TIMEOUT_MS;
    this.statsTimeoutMs = opts.statsTimeoutMs;
    if (!hosts.some((h) => h.backend.sampler)) this.sampler = undefined;
    this.lxcpath = `all hosts (${hosts.map((h) => h.name).join(', ')})`;
    // attach and console only where some host has them; the call checks the row's host
    if (!hosts.some((h) => h.backend.attach)) this.attach = undefined;
    if (!hosts.some((h) => h.backend.console)) this.console = undefined;
    if (!hosts.some((h) => h.backend.attachArgv)) this.attachArgv = undefined;
    if (!hosts.some((h) => h.backend.attachPty)) this.attachPty = undefined;
    for (const m of ROUTED) if (!hosts.some((h) => h.backend[m])) (this as Partial<Pick<Backend, RoutedMethod>>)[m] = undefined;
  }

  /**
   * Live stats of every host that has a sampler (all-stats.ts): samples named by row id, with
   * `host`, and each host's status in the pass. One source per backend (made on the first call).
   */
  sampler? = (): StatsSource => {
    this.stats ??= new AllHostsStats(
      this.hosts.filter((h) => h.backend.sampler).map((h) => ({ name: h.name, source: h.backend.sampler!() })),
      { timeoutMs: this.statsTimeoutMs },
    );
    return this.stats;
  };

  /** The names of the hosts, in order. */
  hostNames(): string[] {
    return this.hosts.map((h) => h.name);
  }

  /**
   * The backend of row `id`, and the container's name there.
   * @throws LxdeckError E_NOT_FOUND (no such host), E_UNREACHABLE (the `HOST:` row of a host that did not answer)
   */
  route(id: string): { backend: Backend; name: string; host: string } {
    const { host, name } = parseRowId(id);
    const h = this.hosts.find((x) => x.name === host);
    if (!h) throw new LxdeckError('E_NOT_FOUND', `no host ${host}`, { hint: `hosts: ${this.hostNames().join(', ')}` });
    if (name === '') {
      const st = this.lastStatus.find((s) => s.name === host);
      throw new LxdeckError('E_UNREACHABLE', `${host} did not answer${st?.error ? `: ${st.error}` : ''}`, { hint: 'r lists again' });
    }
    return { backend: h.backend, name, host };
  }

  /**
   * Every host's containers (ids as in the module comment, `host` set), then one UNREACHABLE row
   * `HOST:` per host that failed or timed out. Never throws for one host; throws only when
   * every host failed (the first host's error), so the list says "cannot list".
   */
  async list(opts: { onSkip?: (name: string, reason: string) => void } = {}): Promise<ContainerSummary[]> {
    const res = await listAllHosts(this.hosts, { timeoutMs: this.timeoutMs, onSkip: opts.onSkip ? (h, n, why) => opts.onSkip!(rowId(h, n), why) : undefined });
    this.lastStatus = res.hosts;
    if (res.hosts.length && res.hosts.every((h) => !h.ok)) throw new LxdeckError('E_UNREACHABLE', `no host answered: ${res.hosts.map((h) => `${h.name}: ${h.error}`).join('; ')}`);
    const rows: ContainerSummary[] = res.containers.map((c) => ({ ...c, name: rowId(c.host, c.name) }));
    for (const h of res.hosts)
      if (!h.ok) rows.push({ name: `${h.name}:`, host: h.name, state: 'UNREACHABLE', pid: null, ipv4: [], autostart: false });
    return rows;
  }

  /** info of the row's container, with `name` as the row id. @throws as route and the host's info */
  async info(id: string): Promise<ContainerInfo> {
    const r = this.route(id);
    return { ...(await r.backend.info(r.name)), name: id };
  }

  /** create on a host: `HOST:NAME` (local without a prefix). @throws as route and the host's create */
  async create(id: string, opts?: CreateOptions): Promise<ContainerInfo> {
    const r = this.route(id);
    return r.backend.create(r.name, opts);
  }

  /** @throws as route and the host's start */
  async start(id: string): Promise<void> {
    const r = this.route(id);
    return r.backend.start(r.name);
  }

  /** @throws as route and the host's stop */
  async stop(id: string, opts?: StopOptions): Promise<void> {
    const r = this.route(id);
    return r.backend.stop(r.name, opts);
  }

  /** @throws as route and the host's freeze */
  async freeze(id: string): Promise<void> {
    const r = this.route(id);
    return r.backend.freeze(r.name);
  }

  /** @throws as route and the host's unfreeze */
  async unfreeze(id: string): Promise<void> {
    const r = this.route(id);
    return r.backend.unfreeze(r.name);
  }

  /** @throws as route and the host's destroy */
  async destroy(id: string, opts?: { force?: boolean }): Promise<void> {
    const r = this.route(id);
    return r.backend.destroy(r.name, opts);
  }

  /** The argv attach hands over, from the row's host. @throws E_USAGE when that host cannot attach */
  attachArgv? = async (id: string, command?: string[]): Promise<string[]> => {
    const r = this.route(id);
    if (!r.backend.attachArgv) throw notOn(r.host, 'attach');
    return r.backend.attachArgv(r.name, command);
  };

  /** attach on the row's host (its own terminal hand-over). @throws E_USAGE when that host cannot attach */
  attach? = async (id: string, command?: string[], opts?: { beforeHandover?: () => void }): Promise<InteractiveResult> => {
    const r = this.route(id);
    if (!r.backend.attach) throw notOn(r.host, 'attach');
    return r.backend.attach(r.name, command, opts);
  };

  /** the shell pane's attach on the row's host (a pty there). @throws E_USAGE when that host cannot */
  attachPty? = async (id: string, opts: AttachPtyOptions): Promise<InteractiveResult> => {
    const r = this.route(id);
    if (!r.backend.attachPty) throw notOn(r.host, 'attach in a pane');
    return r.backend.attachPty(r.name, opts);
  };

  /** the console on the row's host. @throws E_USAGE when that host has none */
  console? = async (id: string, opts?: { beforeHandover?: () => void }): Promise<InteractiveResult> => {
    const r = this.route(id);
    if (!r.backend.console) throw notOn(r.host, 'the console');
    return r.backend.console(r.name, opts);
  };

  /** lxc-stop -r on the row's host. @throws as route, E_USAGE when that host cannot */
  restart? = async (id: string, opts?: StopOptions): Promise<void> => {
    const r = this.routeTo(id, 'restart');
    return r.backend.restart!(r.name, opts);
  };

  /** A copy on the row's host: DST is a plain name there (or `HOST:NAME` of the same host). @throws as route, E_USAGE for another host */
  copy? = async (id: string, dst: string, opts?: CopyOptions): Promise<ContainerInfo> => {
    const r = this.routeTo(id, 'copy');
    const info = await r.backend.copy!(r.name, this.sameHost(r.host, dst, 'copy'), opts);
    return { ...info, name: rowId(r.host, info.name) };
  };

  /** A rename on the row's host. @throws as route, E_USAGE for another host */
  rename? = async (id: string, newName: string): Promise<void> => {
    const r = this.routeTo(id, 'rename');
    return r.backend.rename!(r.name, this.sameHost(r.host, newName, 'rename'));
  };

  /** @throws as route and the host's snapshot, E_USAGE when that host cannot */
  snapshot? = async (id: string, opts?: { comment?: string }): Promise<SnapshotInfo> => {
    const r = this.routeTo(id, 'snapshot');
    return r.backend.snapshot!(r.name, opts);
  };

  /** @throws as route and the host's snapshots, E_USAGE when that host cannot */
  snapshots? = async (id: string): Promise<SnapshotInfo[]> => {
    const r = this.routeTo(id, 'snapshots');
    return r.backend.snapshots!(r.name);
  };

  /** In place, or as a new container on the row's host. @throws as route, E_USAGE when that host cannot */
  restoreSnapshot? = async (id: string, snap: string, opts?: { as?: string }): Promise<void> => {
    const r = this.routeTo(id, 'restoreSnapshot');
    return r.backend.restoreSnapshot!(r.name, snap, opts?.as !== undefined ? { as: this.sameHost(r.host, opts.as, 'restore') } : opts);
  };

  /** @throws as route and the host's deleteSnapshot, E_USAGE when that host cannot */
  deleteSnapshot? = async (id: string, snap: string): Promise<void> => {
    const r = this.routeTo(id, 'deleteSnapshot');
    return r.backend.deleteSnapshot!(r.name, snap);
  };

  /** @throws as route and the host's setAutostart, E_USAGE when that host cannot */
  setAutostart? = async (id: string, st: Partial<AutostartSettings>): Promise<AutostartSettings> => {
    const r = this.routeTo(id, 'setAutostart');
    return r.backend.setAutostart!(r.name, st);
  };

  /** The limits of the row's container on its host (in effect, saved, ignored). @throws as route and the host's limits, E_USAGE when that host cannot */
  limits? = async (id: string): Promise<ContainerLimits> => {
    const r = this.routeTo(id, 'limits');
    return { ...(await r.backend.limits!(r.name)), name: id };
  };

  /** Sets limits of the row's container on its host, live and saved. @throws as route and the host's setLimits, E_USAGE when that host cannot */
  setLimits? = async (id: string, input: LimitsInput, opts?: { raiseCpuQuota?: boolean }): Promise<SetLimitsResult> => {
    const r = this.routeTo(id, 'setLimits');
    return r.backend.setLimits!(r.name, input, opts);
  };

  /** {@link route}, then E_USAGE when the row's host lacks `method`. */
  private routeTo(id: string, method: RoutedMethod): { backend: Backend; name: string; host: string } {
    const r = this.route(id);
    if (!r.backend[method]) throw notOn(r.host, method);
    return r;
  }

  /** A new name for a container on `host`: a plain name, or `host:NAME` of the same host. @throws E_USAGE for another host */
  private sameHost(host: string, typed: string, what: string): string {
    const t = parseRowId(typed);
    if (typed.includes(':') && t.host !== host) throw new LxdeckError('E_USAGE', `${what} stays on ${host}: ${typed} names another host`, { hint: `give a plain name (it is made on ${host})` });
    return typed.includes(':') ? t.name : typed;
  }

  /** Closes what the hosts' backends hold open (SSH connections). */
  close(): void {
    for (const h of this.hosts) (h.backend as { close?: () => void }).close?.();
  }
}

/** The optional methods routed to the row's host (defined when some host has them). */
const ROUTED = ['restart', 'copy', 'rename', 'snapshot', 'snapshots', 'restoreSnapshot', 'deleteSnapshot', 'setAutostart', 'limits', 'setLimits'] as const;
type RoutedMethod = (typeof ROUTED)[number];

function notOn(host: string, what: string): LxdeckError {
  return new LxdeckError('E_USAGE', `${what} is not supported on ${host}`, { hint: 'lxdeck --help lists what each backend can do' });
}
