/**
 * The backend seam: what the console's screens and the CLI verbs call, whatever runs the
 * containers. One implementation per backend; today the local LXC engine (core/engine.ts,
 * `Engine`, made by src/local-engine.ts), and an in-memory fake for the console tests
 * (test/helpers/fake-engine.ts). Every required method is what any container backend can do;
 * the optional ones are capabilities, as ctop's connectors and k9s's dao have them: the console
 * hides a key whose method the backend lacks (src/keymap.ts `needs`), so a backend implements
 * only what it really can.
 */
import type { ContainerLimits, SetLimitsResult } from './cgroup/resources.js';
import type { LimitsInput } from './cgroup/limit-input.js';
import type { StatsSource } from './stats/types.js';
import type { ProcessInfo, ProcessSnapshot } from './ps/procs.js';
import type { PtyChild } from './exec/pty.js';
import type { DeviceChange, DeviceEntry, AutostartResult, AutostartSettings, ContainerInfo, ContainerSummary, CopyOptions, CreateOptions, InteractiveResult, SnapshotInfo, StopOptions } from './types.js';

/** How the console's shell pane asks for a shell on a pty ({@link Backend.attachPty}). */
export interface AttachPtyOptions {
  /** the pty's size in character cells */
  cols: number;
  rows: number;
  /** called once with the pty's master side as soon as the shell runs: its output, keys, resize */
  onStart(child: PtyChild): void;
}

/**
 * What the CLI and the screens need from a backend (see the module comment). Errors are
 * LxdeckError with a stable code (core/errors.ts), as each implementation documents.
 */
export interface Backend {
  readonly lxcpath: string;
  /**
   * True when the lxcpath does not exist (one stat: a mistyped --lxcpath, which the console's list
   * says instead of "no containers"); absent where there is no local lxcpath (a remote, LXD, fakes)
   */
  lxcpathMissing?(): boolean;
  /**
   * a cheap stamp per container of the files the list reads (config, sidecar: stat, no parse) for
   * the console's poll; absent where there are no local files (a remote, LXD, fakes)
   */
  configStamps?(names: readonly string[]): Map<string, string>;
  /** autostart, groups and protection read from the container's files now; null when it has no readable config */
  configSummary?(name: string): Pick<ContainerSummary, 'autostart' | 'groups' | 'protected'> | null;
  /** the remote's name when the containers are on another host (core/remote: `lxdeck --remote NAME`); the console's title shows `NAME:LXCPATH` */
  readonly remote?: string;
  /** `onSkip` hears of containers LXC cannot read (left out, as lxc-ls does) */
  list(opts?: { onSkip?: (name: string, reason: string) => void }): Promise<ContainerSummary[]>;
  info(name: string): Promise<ContainerInfo>;
  create(name: string, opts?: CreateOptions): Promise<ContainerInfo>;
  start(name: string): Promise<void>;
  stop(name: string, opts?: StopOptions): Promise<void>;
  freeze(name: string): Promise<void>;
  unfreeze(name: string): Promise<void>;
  /** with opts.snapshots, its snapshots too (lxc-destroy -s; LXD deletes an instance's snapshots with it anyway) */
  destroy(name: string, opts?: { force?: boolean; snapshots?: boolean }): Promise<void>;
  /** limits in effect, saved and ignored (core/stats/resources.ts); optional so fakes may leave it out */
  limits?(name: string): Promise<ContainerLimits>;
  /** sets limits live and in the config (core/stats/resources.ts) */
  setLimits?(name: string, limits: LimitsInput, opts?: { raiseCpuQuota?: boolean }): Promise<SetLimitsResult>;
  /** a stats sampler over the lxcpath (core/stats/sampler.ts) */
  sampler?(): StatsSource;
  /** the argv `attach` hands the terminal to (the shell found inside when no command); the console shows it */
  attachArgv?(name: string, command?: string[]): Promise<string[]>;
  /** the argv `console` hands the terminal to */
  consoleArgv?(name: string): string[];
  /** runs lxc-attach on the real terminal (the caller left raw mode first); recorded in the action log */
  attach?(name: string, command?: string[], opts?: { beforeHandover?: () => void }): Promise<InteractiveResult>;
  /**
   * runs lxc-attach's shell on a pty of lxdeck's own (the console's shell pane): `onStart` gets the
   * pty's master side once it runs; resolves when the shell ends; recorded in the action log
   */
  attachPty?(name: string, opts: AttachPtyOptions): Promise<InteractiveResult>;
  /** runs lxc-console on the real terminal (the caller left raw mode first); recorded in the action log */
  console?(name: string, opts?: { beforeHandover?: () => void }): Promise<InteractiveResult>;
  /** the processes in the container's cgroup; with intervalMs, two reads give CPU % */
  ps?(name: string, opts?: { intervalMs?: number }): Promise<ProcessInfo[]>;
  /** one read of the processes, for CPU % between reads (withCpuPercent in core/ps) */
  psSnapshot?(name: string): Promise<ProcessSnapshot>;
  /** sends `signal` to one process of the container (its host PID) */
  kill?(name: string, hostPid: number, signal: string | number): Promise<void>;
  /** passes a host device node in: saved in the config, live for a running privileged container (lxc-device add) */
  addDevice?(name: string, path: string): Promise<DeviceChange>;
  /** takes a device node out: config, and live for a running privileged container (lxc-device del) */
  removeDevice?(name: string, path: string): Promise<DeviceChange>;
  /** the device nodes the config passes in */
  devices?(name: string): Promise<DeviceEntry[]>;

  // ---- lifecycle (issue 9); optional so fakes may leave them out, the console hides a key whose method is missing
  /** full copy (lxc-copy), or an overlay/btrfs snapshot clone with opts.snapshot; new hwaddr, address, veth name and idmap range */
  copy?(src: string, dst: string, opts?: CopyOptions): Promise<ContainerInfo>;
  /** renames a STOPPED container (lxc-copy -R); its address record follows */
  rename?(oldName: string, newName: string): Promise<void>;
  /** a clean stop and a start of a running container, so it runs with its saved config (core/engine.ts restart; LXD: its own restart) */
  restart?(name: string, opts?: StopOptions): Promise<void>;
  /** lxc-snapshot NAME [-c comment]: a snapshot in LXC's layout (`lxc-snapshot -L` sees it) */
  snapshot?(name: string, opts?: { comment?: string }): Promise<SnapshotInfo>;
  /** lxc-snapshot -L NAME */
  snapshots?(name: string): Promise<SnapshotInfo[]>;
  /** lxc-snapshot -r SNAP NAME: in place (container STOPPED), or as a new container with opts.as (new identity, like copy) */
  restoreSnapshot?(name: string, snap: string, opts?: { as?: string }): Promise<void>;
  /** lxc-snapshot -d SNAP NAME */
  deleteSnapshot?(name: string, snap: string): Promise<void>;
  /** writes lxc.start.auto/order/delay and lxc.group (given fields only); returns the settings now saved */
  setAutostart?(name: string, s: Partial<AutostartSettings>): Promise<AutostartSettings>;
  /** starts every lxc.start.auto = 1 container in lxc.start.order (delays honoured), like lxc-autostart */
  applyAutostart?(opts?: { groups?: string[] }): Promise<AutostartResult>;
  /** delete protection on or off (destroy refuses with E_PROTECTED while on) */
  setProtected?(name: string, on: boolean): Promise<void>;

  // ---- change notices (issue 10 part 3: LXD's event stream, core/lxd/events.ts)
  /**
   * Calls `onChange` whenever a container may have changed (created, started, stopped, frozen,
   * deleted... by anyone; `name` null when unknown, e.g. after the stream reconnected), so a
   * list can refresh at once instead of at its next poll. `onError` hears the stream drop
   * (LxdeckError E_UNREACHABLE; it reconnects by itself) and come back (null). Returns the unsubscribe.
   */
  watch?(onChange: (change: { name: string | null; action: string }) => void, onError?: (e: Error | null) => void): () => void;

  // ---- several hosts in one backend (issue 10 part 4, core/hosts/all-backend.ts)
  /** the hosts whose rows the list holds (each row's `host`), in order; the console's host picker needs it */
  hostNames?(): string[];
}
