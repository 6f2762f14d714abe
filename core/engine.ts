import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ExecaRunner, type Runner } from './exec/runner.js';
import { LxdeckError, isLxdeckError } from './errors.js';
import { lxcpathMissing, noContainerError } from './lxcpath.js';
import { LxcConfig, isEphemeral, netInterfaces, readConfig, readConfigSync, writeConfig } from './lxc/config.js';
import { listSnapshots, requireSnapshot, restoreInPlace, takeSnapshot, validateSnapshotName } from './lxc/snapshot.js';
import { applyAutostartSettings, autostartPlan, checkAutostart, parseGroupSelection, readAutostart, readGroups, type AutostartCandidate } from './lxc/autostart.js';
import { assertNotProtected, isProtected, isProtectedSync, writeProtected } from './lxc/protect.js';
import { type CommandListener, LxcDriver } from './lxc/driver.js';
import { ListStateReader, configLxcLoads } from './lxc/list-state.js';
import { containerNames, listContainers, readConfigOrNullSync } from './lxc/listing.js';
import type { LxcInfo } from './lxc/driver.js';
import { validateExistingName, validateIfName } from './names.js';
import { ensureBridge, linkExists } from './network/bridge.js';
import { formatCidr } from './network/ipv4.js';
import type { TemplateSource } from './rootfs/template.js';
import { createContainer } from './rootfs/create.js';
import { repairInittab } from './rootfs/inittab.js';
import { copyContainer, renameContainer, restoreSnapshotAs, type CloneHost } from './rootfs/clone.js';
import { lvExists, parseLvmRootfs, removeLv } from './rootfs/lvm.js';
import { parseZfsRootfs, removeDataset, zfsExists } from './rootfs/zfs.js';
import { HostState, resolveHostStateDir } from './hoststate/index.js';
import type { AutostartResult, AutostartSettings, ContainerInfo, ContainerSummary, CopyOptions, CreateOptions, SnapshotInfo, StopOptions } from './types.js';
import type { AttachPtyOptions, Backend } from './backend.js';
import { cgroupGet, cgroupSet, readContainerLimits, setContainerLimits, type ContainerLimits, type ResourceContext, type SetLimitsResult } from './cgroup/resources.js';
import type { LimitsInput } from './cgroup/limit-input.js';
import { StatsSampler } from './stats/sampler.js';
import { constants as osConstants } from 'node:os';
import { HostFs } from './host/host-fs.js';
import { detectCgroupLayout } from './cgroup/layout.js';
import { readCgroupPaths } from './cgroup/paths.js';
import { attachArgv, consoleArgv, findShell, runInteractive } from './lxc/attach.js';
import { spawnPty } from './exec/pty.js';
import { listApplicationRecords, runApplication, type RunOptions, type RunResult } from './lxc/execute.js';
import { addDeviceToConfig, configDevices, hostDevice, removeDeviceFromConfig } from './lxc/device.js';
import { enrichInfo } from './ps/inspect.js';
import { cgroupPids, parseSignal, procsDirOf, readProcesses, userContextOf, withCpuPercent, type ProcessInfo, type ProcessSnapshot } from './ps/procs.js';
import type { DeviceChange, DeviceEntry, InteractiveResult } from './types.js';

/** LXC's default lxcpath (`lxc-config lxc.lxcpath`). */
export const DEFAULT_LXCPATH = '/var/lib/lxc';
/** The bridge lxdeck makes and uses when none is named. */
export const DEFAULT_BRIDGE = 'lxdeckbr0';
/** Where LXC keeps the config every container includes (lxc.include). */
export const LXC_COMMON_CONF = '/usr/share/lxc/config/common.conf';
/** The sidecar beside a container's config: what LXC's format cannot hold. */
export const SIDECAR = 'lxdeck.json';
/** lxdeck's own state inside the lxcpath (ignored by lxc-ls: it holds no config). */
export const STATE_DIR = '.lxdeck';

export interface EngineOptions {
  runner?: Runner;
  /** default $LXDECK_LXCPATH or /var/lib/lxc */
  lxcpath?: string;
  /** the bridge new containers join; default lxdeckbr0 */
  bridge?: string;
  /** the subnet for a bridge lxdeck creates, "A.B.C.0/24"; default the first free /24 of 10.0.0.0/8 from the routing table */
  subnet?: string;
  /**
   * the templates `create` can use, by name: handed in by the caller (src/local-engine.ts hands
   * templates/'s registry), so core never imports templates/. Without it `create` fails with
   * E_TEMPLATE.
   */
  templates?: TemplateSource;
  /** every lxc-* / ip command run, with its result */
  onCommand?: CommandListener;
  /** the host's file system for /proc, /sys and cgroupfs reads (info, ps, kill); default `/` */
  hostFs?: HostFs;
  /**
   * where the host-wide records live (addresses per bridge, idmap ranges: core/hoststate);
   * default $LXDECK_STATE_DIR or /var/lib/lxdeck. Every engine of the host must share it.
   */
  hostStateDir?: string;
}

interface Sidecar {
  template: string;
  created: string;
  lxdeckVersion?: string;
}

interface NetworkState {
  /** bridge name → the host's address on it, "10.0.3.1/24" */
  bridges: Record<string, string>;
}

/**
 * The engine facade the CLI verbs and the screens both call. Containers live
 * in the lxcpath in LXC's own layout (`<lxcpath>/<name>/config`, `rootfs/`), so
 * `lxc-ls` sees what lxdeck made and lxdeck sees what `lxc-create` made.
 */

/**
 * For an unprivileged container: the host's node keeps its owner and mode inside (a bind mount),
 * and root inside is an unmapped host uid, so a node only root may open (crw------- root) is of no
 * use there. Says so, with the way out; null when the node already lets others read and write.
 */
function unprivilegedAccessNote(cfg: LxcConfig, path: string): string | null {
  const m = cfg.getAll('lxc.idmap').map((v) => /^u\s+0\s+(\d+)\s+\d+$/.exec(v.trim())).find((x) => x !== null);
  if (!m) return null;
  let st;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  const base = Number(m[1]);
  if ((st.mode & 0o006) === 0o006 || st.uid === base) return null;
  return `root inside ${cfg.get('lxc.uts.name') ?? 'the container'} is uid ${base} on the host, and ${path} is mode ${(st.mode & 0o777).toString(8)} owned by ${st.uid}:${st.gid}: it cannot open it. Give it access on the host first, e.g. chown ${base} ${path} (or chmod o+rw ${path}), then start it again`;
}

/** The last line of a tool's stderr, for a one-line error. */
function lastErrorLine(stderr: string): string {
  return stderr.trim().split('\n').filter(Boolean).pop() ?? 'no message';
}

/** The template source of an engine given none: every name is refused. */
const noTemplates: TemplateSource = (name) => {
  throw new LxdeckError('E_TEMPLATE', `no templates were handed to this engine, so ${JSON.stringify(name)} cannot be used`, {
    hint: 'create the engine with localEngine() (src/local-engine.ts) or pass EngineOptions.templates',
  });
};

export class Engine implements Backend {
  readonly lxcpath: string;
  readonly bridge: string;
  private readonly runner: Runner;
  private readonly driver: LxcDriver;
  private readonly subnet?: string;
  private readonly templates: TemplateSource;
  private readonly fs: HostFs;
  /** the host-wide allocation records (core/hoststate) */
  readonly hostState: HostState;

  constructor(opts: EngineOptions = {}) {
    this.runner = opts.runner ?? new ExecaRunner();
    // relative to the current directory, once, as lxc-* -P takes it (core/lxcpath.ts checks it for the CLI)
    this.lxcpath = resolvePath(opts.lxcpath ?? DEFAULT_LXCPATH);
    this.bridge = opts.bridge ?? DEFAULT_BRIDGE;
    validateIfName(this.bridge, 'bridge name');
    this.subnet = opts.subnet;
    this.templates = opts.templates ?? noTemplates;
    this.driver = new LxcDriver(this.runner, this.lxcpath, opts.onCommand);
    this.fs = opts.hostFs ?? new HostFs('/');
    this.hostState = new HostState({ dir: resolveHostStateDir(opts.hostStateDir), runner: this.runner });
  }

  private dir(name: string): string {
    return join(this.lxcpath, name);
  }

  /**
   * True when the lxcpath does not exist (ENOENT of one stat(2), core/lxcpath.ts): the console's
   * list says so instead of "no containers".
   */
  lxcpathMissing(): boolean {
    return lxcpathMissing(this.lxcpath);
  }

  /** Names of every container in the lxcpath: directories holding a `config` file, as lxc-ls counts them (core/lxc/listing.ts containerNames). */
  async names(): Promise<string[]> {
    return containerNames(this.lxcpath);
  }

  /** @throws LxdeckError E_NOT_FOUND when there is no `<lxcpath>/<name>/config`. */
  private async requireExisting(name: string): Promise<void> {
    validateExistingName(name);
    try {
      statSync(join(this.dir(name), 'config'));
    } catch (e) {
      // a container directory this user may not search (LXC makes them 0770): permission denied,
      // which the CLI reports with the hint to run it as root, not "no container named"
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw e;
      throw noContainerError(name, this.lxcpath);
    }
  }

  /**
   * State, init PID and IPv4 of one container for the read-only verbs (info, limits): lxc-info's
   * answer; as a user for whom lxc-info fails (it takes a lock under /run/lxc that only root may
   * make: "Failed to create lock"), the listing's reads of cgroupfs and /proc instead
   * (core/lxc/list-state.ts), which need no lock; they give no IPv6 addresses (empty).
   * @throws LxdeckError E_NOT_ROOT when neither can tell (the reads would need lxc-info), E_COMMAND as root
   */
  private async runState(name: string): Promise<LxcInfo> {
    try {
      return await this.driver.info(name);
    } catch (e) {
      if (!isLxdeckError(e, 'E_COMMAND') || process.getuid?.() === 0) throw e;
      const states = new ListStateReader(
        this.lxcpath,
        async () => {
          throw new LxdeckError('E_NOT_ROOT', `lxc-info cannot read the state of ${name} as this user (${e.message}), nor can lxdeck from /proc and the cgroups`, { hint: 'run it as root (e.g. sudo lxdeck ...)' });
        },
        this.fs,
      );
      const cfg = this.readConfigOrNullSync(name);
      // the listing's reads have no IPv6 (lxc-info's -i lists both): none is shown this way
      return { ...(await states.read(name, { askLxc: cfg === null || !configLxcLoads(cfg) })), ipv6: [] };
    }
  }

  /**
   * Every container in the lxcpath with state, init PID and IPv4 addresses, as lxc-info reports
   * them, read from cgroupfs and /proc without a child process where that gives lxc-info's answer,
   * else from lxc-info (at most 8 at once): core/lxc/list-state.ts says which. A container that
   * vanishes while listed is left out; one LXC cannot read (a broken config) is left out too, as
   * lxc-ls does, and reported through `opts.onSkip`. Takes no lock.
   */
  async list(opts: { onSkip?: (name: string, reason: string) => void } = {}): Promise<ContainerSummary[]> {
    // core/lxc/listing.ts: the same function the bin's small `ls` build calls (src/ls-fast.ts)
    return listContainers(this.lxcpath, { slow: (n) => this.driver.info(n), fs: this.fs, onSkip: opts.onSkip });
  }

  /**
   * A cheap stamp of what the list reads from each container's files (its `config`: lxc.start.auto,
   * lxc.group; its sidecar `lxdeck.json`: protection): inode, mtime (ms) and size of both, from two
   * stat(2) calls and no parse, so the console's list can poll 500 containers every pass and re-read
   * ({@link configSummary}) only those whose stamp changed (a write, or a temp file renamed over it).
   * @param names container names; a file that is missing stamps as `-`
   * @returns name -> stamp (compare for equality only)
   */
  configStamps(names: readonly string[]): Map<string, string> {
    // no exception for a file that is not there (most containers have no sidecar): an Error with
    // its stack per container per poll was most of what the poll allocated
    const stamp = (path: string): string => {
      try {
        const st = statSync(path, { throwIfNoEntry: false });
        return st === undefined ? '-' : `${st.ino}:${st.mtimeMs}:${st.size}`;
      } catch {
        return '-';
      }
    };
    const out = new Map<string, string>();
    for (const n of names) out.set(n, `${stamp(join(this.dir(n), 'config'))}/${stamp(join(this.dir(n), 'lxdeck.json'))}`);
    return out;
  }

  /**
   * What the list shows from a container's files, read now (synchronously: one config parse and one
   * sidecar read): autostart (lxc.start.auto = 1), its lxc.group values, delete protection.
   * @returns null when the container has no readable config (gone, or a config LXC cannot parse)
   */
  configSummary(name: string): Pick<ContainerSummary, 'autostart' | 'groups' | 'protected'> | null {
    let cfg: LxcConfig | null;
    try {
      cfg = this.readConfigOrNullSync(name);
    } catch {
      return null;
    }
    if (cfg === null) return null;
    return { autostart: cfg.get('lxc.start.auto')?.trim() === '1', groups: readGroups(cfg), protected: isProtectedSync(this.dir(name)) };
  }

  private readConfigOrNullSync(name: string): LxcConfig | null {
    return readConfigOrNullSync(this.dir(name));
  }

  private async readConfigOrNull(name: string): Promise<LxcConfig | null> {
    try {
      return await readConfig(join(this.dir(name), 'config'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (isLxdeckError(e, 'E_CONFIG')) return null;
      throw e;
    }
  }

  /**
   * State, addresses, network and paths of one container, like lxc-info and more (core/ps/inspect.ts
   * enrichInfo): IPv4 and IPv6, host-side veth (LXC's name) and the name and MAC inside, cgroup
   * paths, limits in effect and saved, keys this host ignores with their replacement (C3),
   * unprivileged and its lxc.idmap, the rootfs directory and, with `opts.size`, its size on disk
   * (a du -sx walk: seconds for a large rootfs, so only when asked).
   * @throws LxdeckError E_NOT_FOUND, E_NAME_INVALID, E_CONFIG (a config line LXC would not take, with file:line).
   */
  async info(name: string, opts: { size?: boolean } = {}): Promise<ContainerInfo> {
    await this.requireExisting(name);
    const configPath = join(this.dir(name), 'config');
    const [li, cfg, side, prot] = await Promise.all([this.runState(name), readConfig(configPath), this.readSidecar(name), isProtected(this.dir(name))]);
    const base: ContainerInfo = {
      name,
      state: li.state,
      pid: li.pid,
      ipv4: li.ipv4,
      autostart: cfg.get('lxc.start.auto')?.trim() === '1',
      groups: readGroups(cfg),
      protected: prot,
      startOrder: readAutostart(cfg).order,
      startDelay: readAutostart(cfg).delay,
      lxcpath: this.lxcpath,
      configPath,
      rootfs: cfg.get('lxc.rootfs.path') ?? null,
      hostname: cfg.get('lxc.uts.name') ?? null,
      net: netInterfaces(cfg),
      template: side?.template ?? null,
      created: side?.created ?? null,
    };
    return enrichInfo({ lxcpath: this.lxcpath, runner: this.runner, fs: this.fs }, base, cfg, li.ipv6, opts);
  }

  private async readSidecar(name: string): Promise<Sidecar | null> {
    try {
      return JSON.parse(await readFile(join(this.dir(name), SIDECAR), 'utf8')) as Sidecar;
    } catch {
      return null;
    }
  }

  private stateDir(): string {
    return join(this.lxcpath, STATE_DIR);
  }

  private async readNetworkState(): Promise<NetworkState> {
    try {
      const s = JSON.parse(await readFile(join(this.stateDir(), 'network.json'), 'utf8')) as NetworkState;
      return { bridges: s.bridges ?? {} };
    } catch {
      return { bridges: {} };
    }
  }

  private async writeNetworkState(s: NetworkState): Promise<void> {
    await mkdir(this.stateDir(), { recursive: true, mode: 0o700 });
    await atomicWrite(join(this.stateDir(), 'network.json'), `${JSON.stringify(s, null, 2)}\n`);
  }

  /**
   * The gateway remembered for `bridge`: the host record (core/hoststate `bridges/<bridge>.json`),
   * else this lxcpath's old `.lxdeck/network.json` (lxdeck before the host records); null when none.
   */
  private async rememberedGateway(bridge: string): Promise<string | null> {
    return this.hostState.readBridge(bridge)?.gateway ?? (await this.readNetworkState()).bridges[bridge] ?? null;
  }

  /**
   * Makes sure `bridge` exists, addressed and up, creating it with the subnet remembered
   * for it host-wide (so addresses handed out before a reboot stay valid, whichever lxcpath
   * made the bridge), else the configured one, else a free /24 read from the routing table;
   * remembers what it used in the bridge's host record.
   */
  async ensureBridge(bridge = this.bridge): Promise<{ name: string; gateway: string }> {
    const remembered = await this.rememberedGateway(bridge);
    const preferred = remembered ?? (bridge === this.bridge ? this.subnet : undefined);
    const b = await ensureBridge(this.runner, bridge, preferred);
    const gw = formatCidr(b.gateway);
    if (this.hostState.readBridge(bridge)?.gateway !== gw) await this.hostState.setBridgeGateway(bridge, gw, this.lxcpath);
    return { name: bridge, gateway: gw };
  }

  /** Drops `bridge` from the remembered network state (a create that made the bridge and failed). */
  private async forgetBridge(bridge: string): Promise<void> {
    await this.hostState.forgetBridgeGateway(bridge);
    const state = await this.readNetworkState();
    if (!(bridge in state.bridges)) return;
    delete state.bridges[bridge];
    await this.writeNetworkState(state);
  }

  /**
   * Creates a container from a template (core/rootfs/create.ts): every option is checked
   * before anything is written; the rootfs, config and sidecar are built in a staging
   * directory inside `<lxcpath>/.lxdeck/` and renamed into place, so a failure, a cancel
   * (opts.signal) or a kill leaves nothing under `<lxcpath>/<name>` (a killed create's
   * staging directory is swept by the next create). Unprivileged by default: an lxc.idmap
   * range allocated per container, the rootfs ownership shifted into it.
   * Addresses, veth names and idmap ranges are allocated under a lock on the lxcpath,
   * so concurrent creates never share one.
   * Config keys follow lxc.container.conf(5): lxc.idmap, lxc.net.0.{type,link,flags,name,hwaddr,veth.pair,ipv4.address,ipv4.gateway}, lxc.cgroup(2).*.
   * @throws LxdeckError E_NAME_INVALID, E_EXISTS, E_TEMPLATE, E_USAGE, E_INVALID_VALUE, E_NETWORK, E_CONFIG, E_CANCELLED, E_UNSAFE_PATH.
   */
  async create(name: string, opts: CreateOptions = {}): Promise<ContainerInfo> {
    return createContainer(
      {
        lxcpath: this.lxcpath,
        stateDir: this.stateDir(),
        defaultBridge: this.bridge,
        runner: this.runner,
        template: this.templates,
        ensureBridge: (b) => this.ensureBridge(b),
        linkExists: (dev) => linkExists(this.runner, dev),
        forgetBridge: (b) => this.forgetBridge(b),
        start: (n) => this.start(n),
        info: (n) => this.info(n),
        atomicWrite,
        hostState: this.hostState,
      },
      name,
      opts,
    );
  }

  /**
   * Starts a container and returns once it is RUNNING. When its lxc.net.N.link is a bridge
   * lxdeck manages and the bridge is gone (a host reboot), the bridge is made again first.
   * A busybox rootfs in a directory (lxc.rootfs.path `dir:`, `btrfs:` or a path) whose
   * /etc/inittab re-runs a program that is not there gets that line put right first
   * (core/rootfs/inittab.ts repairInittab: lxdeck's busybox template before this fix wrote
   * /bin/getty, which jams init about 6 minutes after each start).
   * @throws LxdeckError E_NOT_FOUND, E_STATE (already running), E_COMMAND, E_TIMEOUT.
   */
  async start(name: string): Promise<void> {
    await this.requireExisting(name);
    const li = await this.driver.info(name);
    if (li.state === 'RUNNING') throw new LxdeckError('E_STATE', `${name} is already RUNNING`, { hint: `to start it afresh: lxdeck stop ${name} && lxdeck start ${name}` });
    if (li.state !== 'STOPPED') throw new LxdeckError('E_STATE', `${name} is ${li.state}, not STOPPED`, { hint: li.state === 'FROZEN' || li.state === 'FREEZING' ? `it is running but frozen: lxdeck unfreeze ${name}` : `wait until it settles: lxdeck info ${name}` });
    const cfg = await readConfig(join(this.dir(name), 'config'));
    for (const n of netInterfaces(cfg)) {
      if (n.type === 'veth' && n.link && (await this.rememberedGateway(n.link)) && !(await linkExists(this.runner, n.link))) await this.ensureBridge(n.link);
    }
    const rootfs = /^(dir:|btrfs:)?\//.test(cfg.get('lxc.rootfs.path') ?? '') ? cfg.get('lxc.rootfs.path')!.replace(/^(dir|btrfs):/, '') : null;
    if (rootfs) {
      try {
        repairInittab(rootfs);
      } catch {
        /* a rootfs lxdeck will not write through (a symlinked /etc): left as it is */
      }
    }
    await this.driver.start(name);
  }

  /**
   * Stops a container: clean shutdown, killed after `timeoutSec` (default 30), or at once with `kill`.
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not running), E_COMMAND.
   */
  async stop(name: string, opts: StopOptions = {}): Promise<void> {
    await this.requireExisting(name);
    const li = await this.driver.info(name);
    if (li.state === 'STOPPED') throw new LxdeckError('E_STATE', `${name} is not running`, { hint: `start it: lxdeck start ${name}` });
    if (li.state === 'FROZEN' || li.state === 'FREEZING') {
      // a frozen init cannot take the halt signal
      if (!opts.kill) await this.driver.unfreeze(name);
    }
    await this.driver.stop(name, opts);
  }

  /** Freezes every process of a running container (cgroup freezer). @throws E_STATE when not RUNNING. */
  async freeze(name: string): Promise<void> {
    await this.requireExisting(name);
    const li = await this.driver.info(name);
    if (li.state !== 'RUNNING')
      throw new LxdeckError('E_STATE', `${name} is ${li.state}, not RUNNING`, {
        hint: li.state === 'STOPPED' ? `start it: lxdeck start ${name}` : li.state === 'FROZEN' ? 'it is frozen already' : `wait until it settles: lxdeck info ${name}`,
      });
    await this.driver.freeze(name);
  }

  /** Thaws a FROZEN or FREEZING container (case S3). @throws E_STATE when neither. */
  async unfreeze(name: string): Promise<void> {
    await this.requireExisting(name);
    const li = await this.driver.info(name);
    if (li.state !== 'FROZEN' && li.state !== 'FREEZING')
      throw new LxdeckError('E_STATE', `${name} is ${li.state}, not FROZEN`, { hint: li.state === 'RUNNING' ? 'it is not frozen: nothing to thaw' : `start it: lxdeck start ${name}` });
    await this.driver.unfreeze(name);
  }

  /**
   * Destroys a container and its rootfs (`lxc-destroy`). A running one is refused unless `force`,
   * which kills it first. A protected container (`lxdeck protect NAME on`) is refused, --force or not.
   * @throws LxdeckError E_NOT_FOUND, E_PROTECTED, E_RUNNING, E_COMMAND.
   */
  async destroy(name: string, opts: { force?: boolean; snapshots?: boolean } = {}): Promise<void> {
    await this.requireExisting(name);
    await assertNotProtected(this.dir(name), name);
    let li;
    try {
      li = await this.driver.info(name);
    } catch (e) {
      // LXC cannot load it (a broken config): with --force, remove it if it is surely not running
      if (!isLxdeckError(e, 'E_COMMAND') || !opts.force) {
        if (isLxdeckError(e, 'E_COMMAND')) throw new LxdeckError('E_COMMAND', e.message, { hint: `fix ${join(this.dir(name), 'config')}, or remove it with lxdeck destroy --force ${name}` });
        throw e;
      }
      await this.removeUnloadable(name);
      await this.releaseHostRecords(name);
      return;
    }
    if (li.state !== 'STOPPED' && !opts.force)
      throw new LxdeckError('E_RUNNING', `${name} is ${li.state}; refusing to destroy a running container`, { hint: `stop it first (lxdeck stop ${name}) or use --force` });
    if (li.state !== 'STOPPED') await this.driver.stop(name, { kill: true });
    // with --snapshots, once nothing else refuses: each snapshot as snapshot-delete removes it
    // (lxc-snapshot -d), so a failure leaves the container whole; then the container itself
    if (opts.snapshots) for (const s of await listSnapshots(this.dir(name))) await this.driver.snapshotDestroy(name, s.name);
    await this.destroyWithRootfs(name);
    await this.releaseHostRecords(name);
  }

  /**
   * `lxc-destroy`, and for an LVM-backed rootfs (`lxc.rootfs.path = lvm:/dev/VG/LV`) a check that
   * the thin volume went with it: LXC's lvm_destroy runs `lvremove -f` (as root; LXC moves the
   * storage removal into the container's user namespace only when not run as root). A volume
   * still there after lxc-destroy succeeded is removed (`lvremove -f VG/LV`); when lxc-destroy
   * fails with the volume still there (open, busy), lxdeck removes it, points lxc.rootfs.path at
   * the empty mount point directory and runs lxc-destroy once more. A ZFS dataset
   * (`zfs:ROOT/NAME`, an untested path: core/rootfs/zfs.ts) is handled alike with `zfs destroy -r`.
   * @throws LxdeckError E_STATE (snapshots, clones), E_COMMAND
   */
  private async destroyWithRootfs(name: string): Promise<void> {
    const cfgPath = join(this.dir(name), 'config');
    const val = (await readConfig(cfgPath).catch(() => null))?.get('lxc.rootfs.path');
    const lv = parseLvmRootfs(val);
    const dataset = parseZfsRootfs(val);
    if (!lv && !dataset) return this.driver.destroy(name);
    const exists = () => (lv ? lvExists(this.runner, lv.vg, lv.lv) : zfsExists(this.runner, dataset!));
    const remove = () => (lv ? removeLv(this.runner, lv.vg, lv.lv) : removeDataset(this.runner, dataset!));
    try {
      await this.driver.destroy(name);
    } catch (e) {
      if (!isLxdeckError(e, 'E_COMMAND') || !(await exists())) throw e;
      await remove();
      const cfg = await readConfig(cfgPath);
      cfg.set('lxc.rootfs.path', `dir:${join(this.dir(name), 'rootfs')}`);
      await mkdir(join(this.dir(name), 'rootfs'), { recursive: true });
      await writeConfig(cfgPath, cfg);
      await this.driver.destroy(name);
      return;
    }
    await remove();
  }

  /** Releases a destroyed container's address and idmap entries in the host records (best effort: the next reconcile drops them anyway). */
  private async releaseHostRecords(name: string): Promise<void> {
    await this.hostState.release(this.lxcpath, name).catch(() => undefined);
  }

  /**
   * Removes `<lxcpath>/<name>` of a container LXC cannot load, when no monitor answers for it
   * (LXC's command socket `@<lxcpath>/<name>/command` is not in /proc/net/unix) and its rootfs
   * (lxc.rootfs.path, read as text) is inside that directory.
   * @throws LxdeckError E_RUNNING when a monitor still runs, E_UNSAFE_PATH when the rootfs lies elsewhere.
   */
  private async removeUnloadable(name: string): Promise<void> {
    const dir = this.dir(name);
    const unix = await readFile('/proc/net/unix', 'utf8').catch(() => '');
    if (unix.includes(`@${dir}/command`))
      throw new LxdeckError('E_RUNNING', `${name} still has a running monitor, though LXC cannot read its config`, { hint: `stop it with lxc-stop -P ${this.lxcpath} -n ${name} -k, then destroy it` });
    const text = await readFile(join(dir, 'config'), 'utf8').catch(() => '');
    const m = /^\s*lxc\.rootfs(?:\.path)?\s*=\s*(.*)$/m.exec(text);
    const rootfs = m ? m[1].trim().replace(/^dir:/, '') : join(dir, 'rootfs');
    if (rootfs && !(rootfs === join(dir, 'rootfs') || rootfs.startsWith(`${dir}/`)))
      throw new LxdeckError('E_UNSAFE_PATH', `the rootfs of ${name} (${rootfs}) is outside ${dir}; not removing it on a guess`, { hint: `remove it by hand, then rm -r ${dir}` });
    await rm(dir, { recursive: true, force: true });
  }

  // ------------------------------------------- resources and stats (core/stats)

  private resourceContext(): ResourceContext {
    return { lxcpath: this.lxcpath, initPid: async (n) => (await this.runState(n)).pid };
  }

  /**
   * The limits of a container: in effect (read from its cgroups when running, readLimits),
   * saved in its config (lxc.cgroup.*, lxc.cgroup2.*), and saved keys this host ignores (C3).
   * @throws LxdeckError E_NOT_FOUND, E_NAME_INVALID, E_CONFIG.
   */
  async limits(name: string): Promise<ContainerLimits> {
    await this.requireExisting(name);
    return readContainerLimits(this.resourceContext(), name);
  }

  /**
   * Sets limits: checked (U1 sizes, U4 cpuset trimmed to online CPUs, U5 quota), written live to a
   * running container, and saved in its config in this host's keys, the other layout's key removed (C3).
   * @throws LxdeckError E_INVALID_VALUE, E_STATE, E_NOT_FOUND, E_NOT_ROOT, E_CONFIG, E_USAGE (nothing given).
   */
  async setLimits(name: string, limits: LimitsInput, opts: { raiseCpuQuota?: boolean } = {}): Promise<SetLimitsResult> {
    await this.requireExisting(name);
    return setContainerLimits(this.resourceContext(), name, limits, opts);
  }

  /** Reads one cgroup file of a running container, like `lxc-cgroup NAME KEY`. @throws LxdeckError E_STATE (not running), E_INVALID_VALUE (other cgroup version's file), E_NOT_FOUND. */
  async cgroupGet(name: string, key: string): Promise<string> {
    await this.requireExisting(name);
    return cgroupGet(this.resourceContext(), name, key);
  }

  /** Writes one cgroup file of a running container, live only, like `lxc-cgroup NAME KEY VALUE`. @throws as {@link cgroupGet}, plus the kernel's refusal. */
  async cgroupSet(name: string, key: string, value: string): Promise<void> {
    await this.requireExisting(name);
    return cgroupSet(this.resourceContext(), name, key, value);
  }

  /** A stats sampler over this lxcpath: `pass()` and `stream({intervalMs})` (core/stats/sampler.ts). */
  sampler(): StatsSampler {
    return new StatsSampler({ lxcpath: this.lxcpath, runner: this.runner });
  }

  // ------------------------------------------- console, attach, processes (core/lxc/attach.ts, core/ps)

  /** The init PID of a container that must be running (RUNNING, FROZEN...). @throws LxdeckError E_STATE with a hint when stopped. */
  private async requireRunning(name: string, what: string): Promise<number> {
    await this.requireExisting(name);
    const li = await this.driver.info(name);
    if (li.state !== 'RUNNING' || li.pid === null)
      throw new LxdeckError('E_STATE', `${name} is ${li.state}: ${what} needs it RUNNING`, {
        hint: li.state === 'STOPPED' ? `start it first: lxdeck start ${name}` : li.state === 'FROZEN' || li.state === 'FREEZING' ? `thaw it first: lxdeck unfreeze ${name}` : `wait until it is RUNNING (lxdeck info ${name})`,
      });
    return li.pid;
  }

  /** `lxc-console -P LXCPATH -n NAME -t 0` (core/lxc/attach.ts). Its escape sequence is Ctrl+a q (CONSOLE_ESCAPE_HINT). @throws LxdeckError E_NAME_INVALID */
  consoleArgv(name: string): string[] {
    validateExistingName(name);
    return consoleArgv(this.lxcpath, name);
  }

  /**
   * The lxc-attach argv for `command`, or without one for the shell found inside the running
   * container (bash at /bin/bash or /usr/bin/bash, else /bin/sh), environment cleared but TERM.
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not RUNNING)
   */
  async attachArgv(name: string, command?: string[]): Promise<string[]> {
    await this.requireRunning(name, 'attach');
    const cmd = command && command.length ? command : [await findShell(this.runner, this.lxcpath, name)];
    return attachArgv(this.lxcpath, name, cmd);
  }

  /**
   * Runs lxc-attach on the real terminal (Runner output 'inherit', no effective timeout:
   * INTERACTIVE_TIMEOUT_MS) and resolves with the argv and the command's exit status.
   * `beforeHandover` runs after the checks, right before the terminal is handed over.
   * The caller must have left raw mode and the alternate screen.
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not RUNNING, with a hint), E_MISSING_PROGRAM
   */
  async attach(name: string, command?: string[], opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    const argv = await this.attachArgv(name, command);
    opts.beforeHandover?.();
    const exitCode = await runInteractive(this.runner, argv);
    return { argv, exitCode };
  }

  /**
   * Runs the container's shell (as {@link attach} finds it: bash, else /bin/sh) with the same
   * lxc-attach argv, on a pseudo-terminal of lxdeck's own (core/exec/pty.ts) instead of the real
   * terminal: `opts.onStart` gets its master side (output, keys, resize, end). TERM inside is
   * `xterm-256color`, the emulation of the pane's screen model (@xterm/headless). Resolves with
   * the argv and the exit status once the shell (lxc-attach) has ended; a pane that ends it with
   * PtyChild.end gets lxc-attach's status for SIGTERM.
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not RUNNING, with a hint), E_MISSING_PROGRAM (node-pty not built)
   */
  async attachPty(name: string, opts: AttachPtyOptions): Promise<InteractiveResult> {
    const argv = await this.attachArgv(name);
    const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color' };
    const child = await spawnPty(argv, { cols: opts.cols, rows: opts.rows, env });
    opts.onStart(child);
    const r = await child.exited;
    return { argv, exitCode: r.signal ? 128 + r.signal : r.exitCode };
  }

  /**
   * Runs `lxc-console -t 0` on the real terminal until the administrator types Ctrl+a q.
   * Tell them the escape sequence in `beforeHandover` (CONSOLE_ESCAPE_HINT).
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not RUNNING, with a hint), E_MISSING_PROGRAM
   */
  async console(name: string, opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    await this.requireRunning(name, 'the console');
    const argv = consoleArgv(this.lxcpath, name);
    opts.beforeHandover?.();
    const exitCode = await runInteractive(this.runner, argv);
    return { argv, exitCode };
  }

  /**
   * Runs `command` as an application container (lxc-execute: the host's file system read-only,
   * namespaces and cgroup limits of its own, core/lxc/execute.ts) on the real terminal, and
   * removes it when the command ends. The caller must have left raw mode.
   * @returns its name, the argv and the command's exit status
   * @throws LxdeckError E_USAGE, E_NAME_INVALID, E_EXISTS, E_INVALID_VALUE, E_MISSING_PROGRAM
   */
  async run(command: readonly string[], opts: RunOptions = {}, hooks: { beforeHandover?: (name: string) => void } = {}): Promise<RunResult> {
    return runApplication(
      { lxcpath: this.lxcpath, runner: this.runner, layout: detectCgroupLayout(this.fs), state: (n) => this.stateOrStopped(n) },
      command,
      opts,
      hooks,
    );
  }

  /**
   * Passes the host's device node `path` into the container (core/lxc/device.ts): saved in the
   * config (devices allow rule, bind mount entry) and, when the container is RUNNING and
   * privileged, added live with `lxc-device add`. An unprivileged container gets it at its next
   * start (LXC cannot mknod in a user namespace): `live` is false and a message says so; `lxdeck
   * restart` (a stop and a start, {@link restart}) gives it to it.
   * @returns the device, whether it was added live, the config lines added, messages
   * @throws LxdeckError E_NOT_FOUND (container or node), E_INVALID_VALUE (path, not a device
   *   node, a node every container has), E_COMMAND (lxc-device failed; the config is put back)
   */
  async addDevice(name: string, path: string): Promise<DeviceChange> {
    await this.requireExisting(name);
    const d = hostDevice(path);
    const cfgPath = join(this.dir(name), 'config');
    const cfg = await readConfig(cfgPath);
    const before = cfg.toString();
    const lines = addDeviceToConfig(cfg, d, detectCgroupLayout(this.fs));
    await writeConfig(cfgPath, cfg);
    const li = await this.driver.info(name);
    const messages: string[] = [];
    let live = false;
    if (li.state === 'RUNNING' || li.state === 'FROZEN') {
      if (cfg.getAll('lxc.idmap').length) messages.push(`${name} is unprivileged: LXC cannot make a device node inside a user namespace, so ${d.path} comes with its next start (lxdeck restart ${name}, which stops and starts it)`);
      else {
        const r = await this.runner.run('lxc-device', ['-P', this.lxcpath, '-n', name, 'add', d.path], { timeoutMs: 30_000 });
        if (r.exitCode !== 0) {
          await writeFile(cfgPath, before);
          throw new LxdeckError('E_COMMAND', `lxc-device add ${d.path} to ${name} failed: ${lastErrorLine(r.stderr)}`, { hint: `the config was left as it was; try: lxc-device -P ${this.lxcpath} -n ${name} add ${d.path}` });
        }
        live = true;
      }
    } else messages.push(`${name} is ${li.state}: ${d.path} comes with its next start`);
    const access = unprivilegedAccessNote(cfg, d.path);
    if (access) messages.push(access);
    return { device: d, live, config: lines, messages };
  }

  /**
   * Takes the device node `path` out of the container: its allow rule and bind mount entry leave
   * the config, and a RUNNING privileged container loses it live (`lxc-device del`).
   * @throws LxdeckError E_NOT_FOUND (container, or a device its config does not pass in), E_INVALID_VALUE, E_COMMAND
   */
  async removeDevice(name: string, path: string): Promise<DeviceChange> {
    await this.requireExisting(name);
    const d = hostDevice(path);
    const cfgPath = join(this.dir(name), 'config');
    const cfg = await readConfig(cfgPath);
    const lines = removeDeviceFromConfig(cfg, d);
    if (!lines.length) throw new LxdeckError('E_NOT_FOUND', `${name}'s config does not pass ${d.path} in`, { hint: `lxdeck device ${name} ls lists what it does` });
    await writeConfig(cfgPath, cfg);
    const li = await this.driver.info(name);
    const messages: string[] = [];
    let live = false;
    if ((li.state === 'RUNNING' || li.state === 'FROZEN') && !cfg.getAll('lxc.idmap').length) {
      const r = await this.runner.run('lxc-device', ['-P', this.lxcpath, '-n', name, 'del', d.path], { timeoutMs: 30_000 });
      if (r.exitCode !== 0) messages.push(`removed from the config; lxc-device del said: ${lastErrorLine(r.stderr)} (it goes at the next start)`);
      else live = true;
    } else if (li.state !== 'STOPPED') messages.push(`${d.path} stays in the running container until its next start`);
    return { device: d, live, config: lines, messages };
  }

  /**
   * The device nodes the container's config passes in (bind mount entries with their allow rule).
   * @throws LxdeckError E_NOT_FOUND, E_CONFIG
   */
  async devices(name: string): Promise<DeviceEntry[]> {
    await this.requireExisting(name);
    return configDevices(await readConfig(join(this.dir(name), 'config')));
  }

  /** LXC's state of `name`; STOPPED when LXC knows no such container (no config, no command socket). */
  private async stateOrStopped(name: string): Promise<string> {
    try {
      return (await this.driver.info(name)).state;
    } catch (e) {
      if (isLxdeckError(e, 'E_NOT_FOUND')) return 'STOPPED';
      throw e;
    }
  }

  /** The cgroup directory listing every process of a running container, and its init PID. */
  private async procsDir(name: string): Promise<{ pid: number; dir: string }> {
    await this.requireExisting(name);
    const li = await this.driver.info(name);
    if (li.pid === null) throw new LxdeckError('E_STATE', `${name} is ${li.state}: it has no processes`, { hint: `start it first: lxdeck start ${name}` });
    const layout = detectCgroupLayout(this.fs);
    const dir = procsDirOf(readCgroupPaths(this.fs, li.pid, layout, { name }), layout);
    if (dir === null) throw new LxdeckError('E_NOT_FOUND', `no cgroup of ${name} found from its init ${li.pid}`, { hint: 'is the cgroup file system mounted? lxdeck checkconfig' });
    return { pid: li.pid, dir };
  }

  /**
   * One read of the processes in the container's cgroup (recursively): host PID, PID inside
   * (NSpid), user (uid mapped back through the container's uid_map, named from its /etc/passwd),
   * CPU time, RSS, command line. For CPU %, take two and call withCpuPercent (core/ps).
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not running)
   */
  async psSnapshot(name: string): Promise<ProcessSnapshot> {
    const { pid, dir } = await this.procsDir(name);
    const takenAtMs = performance.now();
    return { takenAtMs, processes: readProcesses(this.fs, dir, userContextOf(this.fs, pid)) };
  }

  /**
   * The processes of a running container, like lxc-ps. With `intervalMs` > 0, two reads that far
   * apart give cpuPercent (percent of one CPU); without, cpuPercent is null and cpuTimeUsec is the
   * CPU time used so far.
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not running)
   */
  async ps(name: string, opts: { intervalMs?: number } = {}): Promise<ProcessInfo[]> {
    const first = await this.psSnapshot(name);
    if (!opts.intervalMs || opts.intervalMs <= 0) return first.processes;
    await new Promise((r) => setTimeout(r, opts.intervalMs));
    return withCpuPercent(first, await this.psSnapshot(name));
  }

  /**
   * Sends `signal` (name like TERM/SIGKILL or number) to one process of the container, given by
   * its host PID. A PID that is not in the container's cgroup is refused. (The PID is checked,
   * then signalled: a process that exits in between and whose PID is reused at once is the race
   * left; kill(2) has no PID-and-start-time form.)
   * @throws LxdeckError E_INVALID_VALUE (PID not in the container, unknown signal), E_STATE (not running), E_NOT_FOUND
   */
  async kill(name: string, hostPid: number, signal: string | number = 'TERM'): Promise<void> {
    const sig = parseSignal(signal, osConstants.signals as unknown as Record<string, number>);
    const { dir } = await this.procsDir(name);
    if (!Number.isInteger(hostPid) || hostPid <= 0 || !cgroupPids(this.fs, dir).some((p) => p.pid === hostPid))
      throw new LxdeckError('E_INVALID_VALUE', `process ${hostPid} is not in container ${name}`, { hint: `lxdeck ps ${name} lists its processes with their host PIDs` });
    try {
      process.kill(hostPid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new LxdeckError('E_NOT_FOUND', `process ${hostPid} has exited`);
      throw e;
    }
  }

  // ------------------------------------------- lifecycle (issue 9)
  // Identity-allocating verbs (copy, rename, restore --as) live with the host-wide
  // allocation records (core/hoststate); the others beside them. Each method is one
  // block so the two halves can be filled independently.

  // ---- [identity] copy, rename, restore as a new container

  /**
   * Full copy of a STOPPED container (core/rootfs/clone.ts): `lxc-copy -P LP -n SRC -N DST -K`, then
   * a new identity: lxc.net.N.hwaddr, a static address from the bridge's host record when SRC had one,
   * veth.pair, lxc.uts.name and /etc/hostname (symlink-safe, T1), a new idmap range with the rootfs
   * ownership shifted (unprivileged), the sidecar with `copiedFrom`. A failure leaves no DST.
   * `opts.snapshot`: an overlay clone, `lxc-copy -s -B overlay` of a dir-backed PRIVILEGED SRC (its
   * lower layer keeps SRC's file ownership, so an unprivileged SRC is refused with E_USAGE); no
   * ownership shift, the hostname goes in the upper layer. For a btrfs-backed SRC (privileged or
   * not): `lxc-copy -s`, a btrfs snapshot of SRC's subvolume, then the same new identity as a full
   * copy (the ownership shift rewrites the snapshot's own inodes; the data stays shared).
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_EXISTS, E_STATE, E_USAGE, E_COMMAND, E_NETWORK, E_CONFIG, E_UNSAFE_PATH
   */
  async copy(src: string, dst: string, opts: CopyOptions = {}): Promise<ContainerInfo> {
    await copyContainer(this.cloneHost(), src, dst, opts);
    return this.info(dst);
  }

  private cloneHost(): CloneHost {
    return { lxcpath: this.lxcpath, runner: this.runner, hostState: this.hostState, state: async (n) => (await this.driver.info(n)).state, ensureBridge: (b) => this.ensureBridge(b), atomicWrite };
  }

  /**
   * Renames a STOPPED container, `lxc-copy -P LP -n OLD -N NEW -R` (lxc-copy(1)), then puts back
   * what LXC drops (core/rootfs/clone.ts renameContainer): the sidecar (protection follows), the
   * directory mode, veth.pair when it was lxdeck's vethName(OLD), lxc.uts.name and /etc/hostname
   * when they were OLD (symlink-safe, T1). The host records follow: same address and idmap range,
   * new name. A container with snapshots is refused (LXC cannot rename it).
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_EXISTS, E_STATE, E_UNSAFE_PATH, E_COMMAND
   */
  async rename(oldName: string, newName: string): Promise<void> {
    await renameContainer(this.cloneHost(), oldName, newName);
  }

  /**
   * `lxc-snapshot -P LP -n NAME -r SNAP -N NEW` (lxc-snapshot(1)) after a symlink check of the
   * snapshot's etc/hostname (T1), then a new identity as copy gives (core/rootfs/clone.ts
   * restoreSnapshotAs). A failure leaves no NEW.
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_EXISTS, E_UNSAFE_PATH, E_COMMAND, E_NETWORK, E_CONFIG
   */
  protected async restoreAs(name: string, snap: string, newName: string): Promise<void> {
    validateSnapshotName(snap);
    await restoreSnapshotAs(this.cloneHost(), name, snap, newName);
  }

  // ---- [lifecycle] restart, snapshots, autostart, protection

  /**
   * Restarts a running container so that it runs with its saved config: a clean stop (init gets
   * lxc.signal.halt; killed after `opts.timeoutSec`, default 30, as {@link stop}), then
   * {@link start}; returns once it is RUNNING again with a new init PID. With `opts.kill` it is
   * killed at once (`lxc-stop -k`) instead. A FROZEN container is thawed first (a frozen init
   * cannot take the signal).
   *
   * Why not `lxc-stop -r` (lxc.signal.reboot): LXC's monitor then starts the container again
   * from the config it loaded at the first `lxc-start` (lxc-stop(1); liblxc keeps its
   * lxc_conf in memory across a reboot), so every key saved since (limits set with `lxdeck
   * limits`, lxc.cgroup.* / lxc.cgroup2.*, devices, network, mounts, idmap, autodev, any other
   * lxc.* key) would be silently undone until the next full start. A stop and a start reads
   * the saved config, as LXD's and Incus's restart (a stop then a start) do. The one exception
   * is an ephemeral container (lxc.ephemeral = 1), which LXC destroys when it stops: it reboots
   * with `lxc-stop -r -t T` and keeps the config it started with.
   * @throws LxdeckError E_NOT_FOUND, E_STATE (STOPPED, with a hint to start it), E_COMMAND
   *   (LXC refused the stop or the start; an ephemeral one that did not reboot: init ignores
   *   lxc.signal.reboot), E_TIMEOUT.
   */
  async restart(name: string, opts: StopOptions = {}): Promise<void> {
    await this.requireExisting(name);
    const li = await this.driver.info(name);
    if (li.state === 'STOPPED') throw new LxdeckError('E_STATE', `${name} is not running: nothing to restart`, { hint: `start it: lxdeck start ${name}` });
    if (li.state === 'FROZEN' || li.state === 'FREEZING') {
      if (!opts.kill) await this.driver.unfreeze(name);
    } else if (li.state !== 'RUNNING') throw new LxdeckError('E_STATE', `${name} is ${li.state}, not RUNNING`, { hint: `wait until it settles: lxdeck info ${name}` });
    const cfg = await readConfig(join(this.dir(name), 'config'));
    if (!isEphemeral(cfg) || opts.kill) {
      if (opts.kill && isEphemeral(cfg))
        throw new LxdeckError('E_STATE', `${name} is ephemeral (lxc.ephemeral = 1): killing it would destroy it`, { hint: `reboot it cleanly: lxdeck restart ${name}` });
      await this.driver.stop(name, { kill: opts.kill, timeoutSec: opts.timeoutSec ?? 30 });
      await this.start(name);
      return;
    }
    const t = opts.timeoutSec ?? 30;
    let failed: unknown;
    // lxc-stop -r once failed with "Failed to receive message" (its state client) on this host:
    // what counts is whether init was replaced, so the state is read either way
    await this.driver.reboot(name, t).catch((e: unknown) => (failed = e));
    const now = await this.driver.info(name);
    if (failed && (now.state !== 'RUNNING' || now.pid === li.pid)) throw failed;
    if (now.state !== 'RUNNING' || now.pid === null || now.pid === li.pid)
      throw new LxdeckError('E_COMMAND', `${name} did not reboot: ${now.state === 'RUNNING' ? `its init (PID ${now.pid}) is the same as before` : `it is ${now.state}`}`, {
        hint: `its init may ignore lxc.signal.reboot (${cfg.get('lxc.signal.reboot') ?? 'SIGINT, LXC\'s default'}); an ephemeral container cannot be stopped and started again (a stop destroys it)`,
      });
  }

  /** The container must be STOPPED for lxc-snapshot (snapshot, restore). @throws LxdeckError E_STATE with a hint. */
  private async requireStopped(name: string, what: string): Promise<void> {
    const li = await this.driver.info(name);
    if (li.state !== 'STOPPED')
      throw new LxdeckError('E_STATE', `${name} is ${li.state}: LXC ${what} only a STOPPED container`, {
        hint: li.state === 'FROZEN' || li.state === 'FREEZING' ? `thaw and stop it first: lxdeck stop ${name}` : `stop it first: lxdeck stop ${name}`,
      });
  }

  /**
   * Takes a snapshot with `lxc-snapshot [-c FILE]` (lxc-snapshot(1)), in LXC's layout
   * `<lxcpath>/<name>/snaps/snapN` (core/lxc/snapshot.ts), so `lxc-snapshot -L` lists it.
   * LXC names it (the first free snapN). A running (or frozen) container is refused, as
   * lxc-snapshot refuses it: a copy of a live rootfs is not consistent, and lxc-snapshot has no
   * --allowrunning; stop it first.
   * @returns the snapshot made, with its time and comment
   * @throws LxdeckError E_NOT_FOUND, E_NAME_INVALID, E_STATE (not STOPPED), E_COMMAND, E_TIMEOUT.
   */
  async snapshot(name: string, opts: { comment?: string } = {}): Promise<SnapshotInfo> {
    await this.requireExisting(name);
    await this.requireStopped(name, 'snapshots');
    return takeSnapshot(this.driver, this.dir(name), name, opts.comment);
  }

  /**
   * The snapshots of a container, as `lxc-snapshot -L -C` lists them (read from
   * `<lxcpath>/<name>/snaps/*` with their `ts` and `comment`), snap0 first.
   * @throws LxdeckError E_NOT_FOUND, E_NAME_INVALID.
   */
  async snapshots(name: string): Promise<SnapshotInfo[]> {
    await this.requireExisting(name);
    return listSnapshots(this.dir(name));
  }

  /**
   * Restores a snapshot. In place (`lxc-snapshot -r SNAP`): the container must be STOPPED; its
   * rootfs and lxdeck's files are moved aside first and put back if LXC fails, and the sidecar
   * (protection, template, idmap base) is kept across the restore (core/lxc/snapshot.ts
   * restoreInPlace). With `opts.as`: a new container from the snapshot (restoreAs).
   * @throws LxdeckError E_NOT_FOUND (container or snapshot), E_NAME_INVALID (N1: a snapshot name
   *   that is not one path component, `-x`, `ALL`), E_STATE, E_UNSAFE_PATH, E_COMMAND.
   */
  async restoreSnapshot(name: string, snap: string, opts: { as?: string } = {}): Promise<void> {
    if (opts.as !== undefined) return this.restoreAs(name, snap, opts.as);
    validateSnapshotName(snap);
    await this.requireExisting(name);
    requireSnapshot(this.dir(name), name, snap);
    await this.requireStopped(name, 'restores');
    await restoreInPlace(this.driver, this.dir(name), name, snap, this.stateDir());
  }

  /**
   * Deletes one snapshot, `lxc-snapshot -d SNAP` (never `ALL`).
   * @throws LxdeckError E_NOT_FOUND (container or snapshot), E_NAME_INVALID, E_COMMAND.
   */
  async deleteSnapshot(name: string, snap: string): Promise<void> {
    validateSnapshotName(snap);
    await this.requireExisting(name);
    requireSnapshot(this.dir(name), name, snap);
    await this.driver.snapshotDestroy(name, snap);
  }

  /**
   * Writes the given autostart fields into the config (core/lxc/autostart.ts; lxc.container.conf(5)
   * lxc.start.auto, lxc.start.order, lxc.start.delay, lxc.group; other lines kept): `order` or
   * `delay` null removes the key, `groups` replaces every lxc.group line. Read back after.
   * @returns the settings now saved
   * @throws LxdeckError E_NOT_FOUND, E_NAME_INVALID, E_INVALID_VALUE, E_CONFIG.
   */
  async setAutostart(name: string, s: Partial<AutostartSettings>): Promise<AutostartSettings> {
    await this.requireExisting(name);
    checkAutostart(s);
    const path = join(this.dir(name), 'config');
    const cfg = await readConfig(path);
    applyAutostartSettings(cfg, s);
    await writeConfig(path, cfg);
    return readAutostart(await readConfig(path));
  }

  /**
   * Starts the autostart containers as lxc-autostart(1) does (selection, group passes,
   * ascending lxc.start.order, lxc.start.delay seconds after each start: core/lxc/autostart.ts).
   * `opts.groups` is lxc-autostart's -g list ('' = containers without a group); without it only
   * containers with no lxc.group are started. A container LXC cannot read is left out.
   * @returns started (in start order), skipped (not STOPPED), failed (with the message)
   * @throws LxdeckError E_INVALID_VALUE (a group name).
   */
  async applyAutostart(opts: { groups?: string[] } = {}): Promise<AutostartResult> {
    const groups = opts.groups === undefined ? undefined : parseGroupSelection(opts.groups);
    const candidates: AutostartCandidate[] = [];
    for (const n of await this.names()) {
      const cfg = await this.readConfigOrNull(n);
      if (cfg) candidates.push({ name: n, settings: readAutostart(cfg) });
    }
    const result: AutostartResult = { started: [], skipped: [], failed: [] };
    for (const c of autostartPlan(candidates, groups)) {
      try {
        const li = await this.driver.info(c.name);
        if (li.state !== 'STOPPED') {
          result.skipped.push(c.name);
          continue;
        }
        await this.start(c.name);
        result.started.push(c.name);
      } catch (e) {
        result.failed.push({ name: c.name, message: e instanceof Error ? e.message : String(e) });
        continue;
      }
      if (c.settings.delay) await new Promise((r) => setTimeout(r, c.settings.delay! * 1000));
    }
    return result;
  }

  /**
   * Delete protection on or off, kept in the sidecar (`"protected": true` in lxdeck.json, written
   * atomically; one is made for a container lxc-create made). While on, destroy refuses with
   * E_PROTECTED, --force included.
   * @throws LxdeckError E_NOT_FOUND, E_NAME_INVALID, E_CONFIG (a sidecar that is not JSON).
   */
  async setProtected(name: string, on: boolean): Promise<void> {
    await this.requireExisting(name);
    await writeProtected(this.dir(name), on, (p, c) => atomicWrite(p, c));
  }
}

/** Writes `path` through a temporary file in the same directory and a rename (DESIGN.md: config and state writes). */
export async function atomicWrite(path: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, content, { mode });
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
