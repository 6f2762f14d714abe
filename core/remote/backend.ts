/**
 * A remote LXC host over SSH as a {@link Backend} (issue 10): the remote's own lxc-* tools, each
 * with `-P <lxcpath>`, run through one multiplexed SSH connection (ssh.ts); no daemon on the
 * remote beyond sshd and LXC. The lifecycle calls go through the same driver as locally
 * (core/lxc/driver.ts) on an {@link SshRunner}; the list is one `lxc-ls -f` call; stats come from
 * one long-lived reader `sh` on one channel, a request per pass (stats.ts); attach runs lxc-attach on a channel (a pty when the local
 * stdin is a terminal) and passes its exit status on; console runs lxc-console in a pty; the
 * console's shell pane (attachPty) runs lxc-attach on a channel with a pty whose output lxdeck draws.
 *
 * The lifecycle (issue 9's verbs) runs LXC's own tools there: restart (lxc-stop then lxc-start; lxc-stop -r for an ephemeral one), copy
 * (lxc-copy, new hwaddrs as LXC gives them; a static address is not copied), rename (lxc-copy -R),
 * snapshots (lxc-snapshot; the list is one read of `snaps/`), autostart (the config's
 * lxc.start.* and lxc.group keys, rewritten whole).
 * Limits (`lxdeck limits`, the console's sliders) follow the local rules over a copy of the
 * remote's files (core/cgroup/resources.ts over files.ts readThrough): the same units, checks,
 * v1/v2 files and config keys; the writes and the config go in one request there.
 * So do single cgroup files (`lxdeck cgroup`: cgroupGet, cgroupSet).
 * What a remote does not do (yet): protection, ps, devices;
 * the CLI and the console see those methods missing and refuse or hide them. Create
 * makes a privileged busybox container (LXC's own `lxc-create -t busybox`) with no network, or
 * a veth on an existing bridge of the remote; other create options are refused with E_USAGE.
 */
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { LxdeckError } from '../errors.js';
import type { AttachPtyOptions, Backend } from '../backend.js';
import { ptyChildOf, type PtyExit } from '../exec/pty.js';
import { LxcDriver, lastLxcError } from '../lxc/driver.js';
import { LxcConfig, isEphemeral, netInterfaces } from '../lxc/config.js';
import { attachArgv, consoleArgv, FALLBACK_SHELL } from '../lxc/attach.js';
import { validateContainerName, validateIfName } from '../names.js';
import { parseCidr, parseIpv4 } from '../network/ipv4.js';
import { CONTAINER_STATES, type AutostartSettings, type ContainerInfo, type ContainerState, type ContainerSummary, type CopyOptions, type CreateOptions, type InteractiveResult, type SnapshotInfo, type StopOptions } from '../types.js';
import { applyAutostartSettings, checkAutostart, readAutostart } from '../lxc/autostart.js';
import { parseSnapshotTs, snapOrder, validateSnapshotName } from '../lxc/snapshot.js';
import type { StatsSource } from '../stats/types.js';
import { SshRunner, SshTransport, quoteArgv, type SshTarget } from './ssh.js';
import { RemoteStatsSource, sshChannel } from './stats.js';
import { SnapshotFs } from './snapshot-fs.js';
import { READ_SCRIPT, WRITE_SCRIPT, parseReadReply, readThrough, refusalOf, writeArgs } from './files.js';
import { RemoteShell, SHELL_SCRIPT, ShellRunner } from './shell.js';
import { containerCgroupFile, containerLimitsFrom, limitsOfInput, planContainerLimits, readContainerCgroupFile, type ContainerLimits, type SetLimitsResult } from '../cgroup/resources.js';
import { cgroupWriteError } from '../cgroup/limits.js';
import { cgroupFileWriteError } from '../cgroup/cgroup-key.js';
import type { LimitsInput } from '../cgroup/limit-input.js';
import { knownHostsName } from './known-hosts.js';

/** The columns asked of lxc-ls (lxc-ls(1) `--fancy-format`). */
const LS_COLUMNS = ['NAME', 'STATE', 'PID', 'IPV4', 'AUTOSTART', 'GROUPS'] as const;

/**
 * Parses `lxc-ls -f -F NAME,STATE,PID,IPV4,AUTOSTART,GROUPS`: a header, then one row per
 * container in columns aligned under the header words; `-` for none; several addresses or
 * groups joined by ", " or ",".
 * @returns rows in lxc-ls's order (by name)
 */
export function parseLxcLsFancy(text: string): ContainerSummary[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0];
  const starts = LS_COLUMNS.map((c) => new RegExp(`(^|\\s)${c}(\\s|$)`).exec(header)).map((m, i) => {
    if (!m) throw new LxdeckError('E_COMMAND', `lxc-ls printed no ${LS_COLUMNS[i]} column: ${JSON.stringify(header)}`);
    return m.index + m[1].length;
  });
  const out: ContainerSummary[] = [];
  for (const l of lines.slice(1)) {
    const cell = (i: number) => l.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
    const state = cell(1).toUpperCase();
    const list = (s: string) => (s === '-' || s === '' ? [] : s.split(',').map((x) => x.trim()).filter(Boolean));
    const pid = Number(cell(2));
    out.push({
      name: cell(0),
      state: ((CONTAINER_STATES as readonly string[]).includes(state) ? state : 'STOPPED') as ContainerState,
      pid: Number.isInteger(pid) && pid > 0 ? pid : null,
      ipv4: list(cell(3)),
      autostart: cell(4) === '1' || /^yes$/i.test(cell(4)),
      groups: list(cell(5)),
    });
  }
  return out;
}

/** A remote as the backend needs it. */
export interface RemoteBackendOptions extends SshTarget {
  /** the remote's name in the store, shown in messages */
  name: string;
  /** the lxcpath on the remote host */
  lxcpath: string;
}

/** The Backend of one remote host (see the module comment); one SSH connection, opened on first use. */
export class RemoteLxcBackend implements Backend {
  readonly lxcpath: string;
  readonly remote: string;
  readonly transport: SshTransport;
  private readonly driver: LxcDriver;
  private stats: RemoteStatsSource | null = null;
  /** one long-lived sh there for short requests (limits: lxc-info, reads, writes; shell.ts), started on first use */
  private readonly shell: RemoteShell;
  /** the lxc-* driver over {@link shell}: a short call costs a request, not a channel */
  private readonly shellDriver: LxcDriver;

  /** Connects nothing yet; the first call does (errors are those calls'). */
  constructor(opts: RemoteBackendOptions) {
    this.lxcpath = opts.lxcpath;
    this.remote = opts.name;
    this.transport = new SshTransport(opts);
    this.driver = new LxcDriver(new SshRunner(this.transport), opts.lxcpath);
    this.shell = new RemoteShell(() => sshChannel(this.transport, ['sh', '-c', SHELL_SCRIPT]), this.where);
    this.shellDriver = new LxcDriver(new ShellRunner(this.shell), opts.lxcpath);
  }

  /** `user@host[:port]` of the remote, for messages. */
  get where(): string {
    return `${this.transport.target.user}@${knownHostsName(this.transport.target.host, this.transport.target.port)}`;
  }

  private async run(argv: string[], timeoutMs = 30_000, input?: string) {
    return this.transport.run(argv, { timeoutMs, input });
  }

  /**
   * Every container of the remote lxcpath: one `lxc-ls -P LXCPATH -f -F ...` call.
   * @throws LxdeckError E_UNREACHABLE (E_HOST_KEY, E_AUTH), E_COMMAND when lxc-ls fails (hint: is LXC installed there?)
   */
  async list(): Promise<ContainerSummary[]> {
    const r = await this.run(['lxc-ls', '-P', this.lxcpath, '-f', '-F', LS_COLUMNS.join(',')]);
    if (r.exitCode !== 0)
      throw new LxdeckError('E_COMMAND', `lxc-ls on ${this.remote} failed: ${lastLxcError(r.stderr) ?? `exit status ${r.exitCode}`}`, {
        hint: r.exitCode === 127 ? `install LXC on ${this.where} (apt-get install lxc)` : `the command was: ${quoteArgv(['lxc-ls', '-P', this.lxcpath, '-f'])}`,
      });
    return parseLxcLsFancy(r.stdout);
  }

  /** Names of the containers (from {@link list}). @throws as list */
  async names(): Promise<string[]> {
    return (await this.list()).map((c) => c.name);
  }

  /**
   * State, PID and addresses (lxc-info) and what the config says (network, rootfs, hostname).
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_UNREACHABLE, E_COMMAND
   */
  async info(name: string): Promise<ContainerInfo> {
    validateContainerName(name);
    const li = await this.driver.info(name);
    const configPath = `${this.lxcpath}/${name}/config`;
    const c = await this.run(['cat', configPath]);
    const cfg = LxcConfig.parse(c.exitCode === 0 ? c.stdout : '', configPath);
    const rootfs = cfg.get('lxc.rootfs.path') ?? null;
    return {
      name,
      state: li.state,
      pid: li.pid,
      ipv4: li.ipv4,
      ipv6: li.ipv6,
      autostart: cfg.get('lxc.start.auto') === '1',
      groups: cfg.getAll('lxc.group').flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean),
      startOrder: readAutostart(cfg).order,
      startDelay: readAutostart(cfg).delay,
      lxcpath: this.lxcpath,
      configPath,
      rootfs,
      rootfsDir: rootfs === null ? null : rootfs.replace(/^dir:/, ''),
      hostname: cfg.get('lxc.uts.name') ?? null,
      net: netInterfaces(cfg),
      template: null,
      created: null,
      unprivileged: cfg.getAll('lxc.idmap').length > 0,
    };
  }

  /**
   * `lxc-create -t busybox` on the remote, then the network keys (see the module comment).
   * @throws LxdeckError E_USAGE for an option a remote does not support, E_NAME_INVALID,
   *   E_INVALID_VALUE (address, MAC), E_EXISTS, E_NETWORK (no such bridge there), E_COMMAND, E_UNREACHABLE
   */
  async create(name: string, opts: CreateOptions = {}): Promise<ContainerInfo> {
    validateContainerName(name);
    const unsupported = (
      [
        ['options', opts.options && Object.keys(opts.options).length > 0, '--option'],
        ['memory', opts.memory !== undefined, '--memory'],
        ['swap', opts.swap !== undefined, '--swap'],
        ['cpus', opts.cpus !== undefined, '--cpus'],
        ['cpuWeight', opts.cpuWeight !== undefined, '--cpu-weight'],
        ['apparmor', opts.apparmorProfile !== undefined, '--apparmor'],
        ['seccomp', opts.seccompProfile !== undefined, '--seccomp'],
      ] as const
    ).filter(([, on]) => on);
    if (unsupported.length)
      throw new LxdeckError('E_USAGE', `${unsupported.map(([, , f]) => f).join(', ')} ${unsupported.length > 1 ? 'are' : 'is'} not supported on a remote yet`, {
        hint: `create it without, then set it on ${this.where} by hand (lxc-cgroup, the config)`,
      });
    if ((opts.template ?? 'busybox') !== 'busybox')
      throw new LxdeckError('E_USAGE', `a remote creates busybox containers only, not ${JSON.stringify(opts.template)}`, { hint: `use --template busybox, or lxc-create -t ... on ${this.where}` });
    if (opts.privileged !== true)
      throw new LxdeckError('E_USAGE', 'a remote creates privileged containers only (LXC\'s lxc-create -t busybox as root, no idmap)', { hint: 'add --privileged' });
    if (!opts.bridge && (opts.ipv4 || opts.gateway || opts.hwaddr || opts.vethPair || opts.dhcp))
      throw new LxdeckError('E_USAGE', '--ipv4, --gateway, --hwaddr, --veth-pair and --dhcp need --bridge on a remote', { hint: 'name a bridge of the remote host with --bridge BR' });
    if (opts.dhcp && (opts.ipv4 || opts.gateway)) throw new LxdeckError('E_USAGE', '--dhcp excludes --ipv4 and --gateway');
    const net: string[] = [];
    if (opts.bridge) {
      validateIfName(opts.bridge, 'bridge');
      const hw = opts.hwaddr ?? randomMac();
      if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(hw) || (parseInt(hw.slice(0, 2), 16) & 1) === 1)
        throw new LxdeckError('E_INVALID_VALUE', `not a unicast MAC address: ${JSON.stringify(hw)}`, { hint: 'e.g. 00:16:3e:12:34:56' });
      net.push('lxc.net.0.type = veth', `lxc.net.0.link = ${opts.bridge}`, 'lxc.net.0.flags = up', `lxc.net.0.hwaddr = ${hw}`);
      if (opts.vethPair) {
        validateIfName(opts.vethPair, 'veth pair');
        net.push(`lxc.net.0.veth.pair = ${opts.vethPair}`);
      }
      if (opts.ipv4) {
        const c = parseCidr(opts.ipv4.includes('/') ? opts.ipv4 : `${opts.ipv4}/24`);
        net.push(`lxc.net.0.ipv4.address = ${opts.ipv4.includes('/') ? opts.ipv4 : `${opts.ipv4}/${c.prefix}`}`);
      }
      if (opts.gateway) {
        parseIpv4(opts.gateway);
        net.push(`lxc.net.0.ipv4.gateway = ${opts.gateway}`);
      }
      const b = await this.run(['test', '-d', `/sys/class/net/${opts.bridge}/bridge`]);
      if (b.exitCode !== 0)
        throw new LxdeckError('E_NETWORK', `${this.remote} has no bridge ${opts.bridge}`, { hint: `create it there first (ip link add ${opts.bridge} type bridge && ip link set ${opts.bridge} up), or leave out --bridge for a container without network` });
    } else {
      net.push('lxc.net.0.type = empty');
    }
    opts.onProgress?.({ phase: 'create', line: `lxc-create -t busybox on ${this.remote}` });
    // -f /dev/null: not the remote's default.conf, whose lxcbr0 may not exist; the network is ours
    const r = await this.run(['lxc-create', '-P', this.lxcpath, '-n', name, '-f', '/dev/null', '-t', 'busybox'], 300_000);
    if (r.exitCode !== 0) {
      if (/already exists/i.test(r.stderr)) throw new LxdeckError('E_EXISTS', `a container named ${name} exists on ${this.remote}`, { hint: `lxdeck ls --remote ${this.remote}` });
      throw new LxdeckError('E_COMMAND', `lxc-create on ${this.remote} failed: ${lastLxcError(r.stderr) ?? `exit status ${r.exitCode}`}`, {
        hint: /busybox/i.test(r.stderr) ? `install busybox-static on ${this.where}` : `the command was: ${quoteArgv(['lxc-create', '-P', this.lxcpath, '-n', name, '-t', 'busybox'])}`,
      });
    }
    const configPath = `${this.lxcpath}/${name}/config`;
    const a = await this.run(['sh', '-c', 'cat >> "$1"', 'sh', configPath], 30_000, `${net.join('\n')}\n`);
    if (a.exitCode !== 0) {
      await this.run(['lxc-destroy', '-P', this.lxcpath, '-n', name]).catch(() => undefined);
      throw new LxdeckError('E_COMMAND', `writing the network of ${name} on ${this.remote} failed: ${a.stderr.trim() || `exit status ${a.exitCode}`}`);
    }
    if (opts.start) await this.start(name);
    return this.info(name);
  }

  /** lxc-start -d, then lxc-wait until RUNNING (driver.ts). @throws LxdeckError E_COMMAND, E_TIMEOUT, E_UNREACHABLE */
  async start(name: string): Promise<void> {
    validateContainerName(name);
    await this.driver.start(name);
  }

  /** lxc-stop (then lxc-wait STOPPED). @throws LxdeckError E_COMMAND, E_TIMEOUT, E_UNREACHABLE */
  async stop(name: string, opts: StopOptions = {}): Promise<void> {
    validateContainerName(name);
    await this.driver.stop(name, opts);
  }

  /** lxc-freeze. @throws LxdeckError E_COMMAND, E_UNREACHABLE */
  async freeze(name: string): Promise<void> {
    validateContainerName(name);
    await this.driver.freeze(name);
  }

  /** lxc-unfreeze. @throws LxdeckError E_COMMAND, E_UNREACHABLE */
  async unfreeze(name: string): Promise<void> {
    validateContainerName(name);
    await this.driver.unfreeze(name);
  }

  /**
   * lxc-destroy (with force: -f, which stops it first). A running container without force is
   * refused first, as locally.
   * @throws LxdeckError E_RUNNING, E_NOT_FOUND, E_STATE, E_COMMAND, E_UNREACHABLE
   */
  async destroy(name: string, opts: { force?: boolean; snapshots?: boolean } = {}): Promise<void> {
    validateContainerName(name);
    const li = await this.driver.info(name);
    if (li.state !== 'STOPPED' && !opts.force)
      throw new LxdeckError('E_RUNNING', `${name} is ${li.state} on ${this.remote}`, { hint: `stop it first (lxdeck stop ${this.remote}:${name}) or add --force` });
    if (opts.snapshots) for (const s of await this.snapshots(name)) await this.driver.snapshotDestroy(name, s.name);
    await this.driver.destroy(name, opts.force === true);
  }

  /** The container's state there; E_NOT_FOUND when LXC has no such container. */
  private async stateOf(name: string): Promise<ContainerState> {
    const c = await this.run(['test', '-f', `${this.lxcpath}/${name}/config`]);
    if (c.exitCode !== 0) throw new LxdeckError('E_NOT_FOUND', `no container named ${name} on ${this.remote}`, { hint: `lxdeck ls --remote ${this.remote}` });
    return (await this.driver.info(name)).state;
  }

  private async requireStopped(name: string, what: string): Promise<void> {
    const st = await this.stateOf(name);
    if (st !== 'STOPPED') throw new LxdeckError('E_STATE', `${name} is ${st} on ${this.remote}: ${what} needs it STOPPED`, { hint: `lxdeck stop ${this.remote}:${name}` });
  }

  /** The config file's text there (empty when it cannot be read). */
  private async readConfig(name: string): Promise<LxcConfig> {
    const path = `${this.lxcpath}/${name}/config`;
    const c = await this.run(['cat', path]);
    if (c.exitCode !== 0) throw new LxdeckError('E_NOT_FOUND', `cannot read ${path} on ${this.remote}: ${c.stderr.trim() || `exit ${c.exitCode}`}`, { hint: `lxdeck ls --remote ${this.remote}` });
    return LxcConfig.parse(c.stdout, path);
  }

  /** Writes a config there whole ({@link writeThere}: a temporary file beside it with its mode and owner, then rename). */
  private async writeConfig(name: string, cfg: LxcConfig): Promise<void> {
    await this.writeThere([], `${this.lxcpath}/${name}/config`, cfg);
  }

  /**
   * One request there (files.ts WRITE_SCRIPT): cgroup file writes in order, stopping at the first
   * the kernel refuses, then, when they all went in, a config written whole (temporary file, rename).
   * @param refusal the error of a refused write (default core/cgroup/limits.ts cgroupWriteError, as setLimits' local writes)
   * @throws LxdeckError as `refusal` for a refused write (by its
   *   errno: E_INVALID_VALUE, E_STATE, E_NOT_FOUND, E_NOT_ROOT); E_COMMAND when the config cannot
   *   be written; E_UNREACHABLE, E_TIMEOUT
   */
  private async writeThere(
    writes: readonly { path: string; value: string }[],
    configPath: string | null,
    cfg?: LxcConfig,
    refusal: (e: unknown, path: string, value: string) => LxdeckError = cgroupWriteError,
  ): Promise<void> {
    const r = await this.shell.run(WRITE_SCRIPT, writeArgs(writes, configPath !== null && cfg ? { path: configPath, text: cfg.toString() } : null));
    if (r.exitCode === 0) return;
    const refused = refusalOf(r.stdout);
    if (r.exitCode === 3 && refused && writes[refused.index]) {
      const w = writes[refused.index];
      throw refusal(refused.error, w.path, w.value);
    }
    throw new LxdeckError('E_COMMAND', `writing ${configPath ?? 'cgroup files'} on ${this.remote} failed: ${r.stderr.trim() || `exit status ${r.exitCode}`}`, {
      hint: r.exitCode === 4 ? `is ${configPath} on a writable file system there, with room left?` : undefined,
    });
  }

  /**
   * Runs `fn` over a copy of the files of the remote host it reads (files.ts readThrough): first
   * the container's config, mountinfo, the online CPUs, the cgroup v2 roots' controllers and,
   * when `pid` runs, its /proc/PID/cgroup, then what a pass over them asks for (the cgroup
   * files), a request each. `fn` gets the config parsed.
   * @throws LxdeckError E_NOT_FOUND (no config there), what `fn` throws, E_UNREACHABLE, E_COMMAND
   */
  private async overHostFiles<T>(name: string, pid: number | null, fn: (fs: SnapshotFs, cfg: LxcConfig) => T): Promise<T> {
    const configPath = `${this.lxcpath}/${name}/config`;
    const seed = [configPath, '/proc/self/mountinfo', '/sys/devices/system/cpu/online', '/sys/fs/cgroup/cgroup.controllers', '/sys/fs/cgroup/unified/cgroup.controllers'];
    if (pid !== null) seed.push(`/proc/${pid}/cgroup`);
    const read = async (paths: string[]) => {
      const r = await this.shell.run(READ_SCRIPT, paths);
      if (r.exitCode !== 0) throw new LxdeckError('E_COMMAND', `reading files on ${this.remote} failed: ${r.stderr.trim() || `exit status ${r.exitCode}`}`);
      return parseReadReply(r.stdout);
    };
    const { value } = await readThrough(read, seed, (fs) => {
      const text = fs.readTextOrNull(configPath);
      if (text === null) throw new LxdeckError('E_NOT_FOUND', `no container named ${name} on ${this.remote}`, { hint: `lxdeck ls --remote ${this.remote}` });
      return fn(fs, LxcConfig.parse(text, configPath));
    });
    return value;
  }

  /**
   * The limits of a container there, as locally (core/cgroup/resources.ts containerLimitsFrom over
   * a copy of the remote's files): in effect when it runs (its cgroups, v1 or v2), saved in its
   * config (lxc.cgroup.*, lxc.cgroup2.*), and saved keys that host ignores (C3). Its init PID from
   * lxc-info there, then two or three reads of files (see {@link overHostFiles}).
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_CONFIG, E_COMMAND, E_UNREACHABLE
   */
  async limits(name: string): Promise<ContainerLimits> {
    validateContainerName(name);
    const { pid } = await this.shellDriver.info(name);
    return this.overHostFiles(name, pid, (fs, cfg) => containerLimitsFrom(fs, name, cfg, pid));
  }

  /**
   * Sets limits there with the local rules (core/cgroup/resources.ts limitsOfInput and
   * planContainerLimits over a copy of the remote's files: units, the remote's online CPUs, its
   * cgroup layout's files and keys, C3): written live when it runs, then saved in its config, in
   * one request ({@link writeThere}); a value the kernel refuses stops the writes and is not saved.
   * A stopped container's config only is changed.
   * @throws LxdeckError E_USAGE (nothing given), E_INVALID_VALUE (bad value, or the kernel's EINVAL),
   *   E_STATE (EBUSY), E_NOT_FOUND, E_NOT_ROOT, E_CONFIG, E_COMMAND, E_UNREACHABLE
   */
  async setLimits(name: string, input: LimitsInput, opts: { raiseCpuQuota?: boolean } = {}): Promise<SetLimitsResult> {
    validateContainerName(name);
    const { pid } = await this.shellDriver.info(name);
    const { config, ...plan } = await this.overHostFiles(name, pid, (fs, cfg) => planContainerLimits(fs, name, cfg, pid, limitsOfInput(fs, input), opts));
    await this.writeThere(plan.written, `${this.lxcpath}/${name}/config`, config);
    return plan;
  }

  /**
   * Reads one cgroup file of a running container there, like `lxc-cgroup NAME KEY`, with the local
   * checks (core/cgroup/resources.ts readContainerCgroupFile over a copy of the remote's files:
   * the key against that host's cgroup layout).
   * @returns the file's text without the final newline
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_STATE (not running), E_INVALID_VALUE (the other cgroup version's file), E_UNREACHABLE
   */
  async cgroupGet(name: string, key: string): Promise<string> {
    validateContainerName(name);
    const { pid } = await this.shellDriver.info(name);
    return this.overHostFiles(name, pid, (fs) => readContainerCgroupFile(fs, name, key, pid));
  }

  /**
   * Writes one cgroup file of a running container there, live only (not saved), like
   * `lxc-cgroup NAME KEY VALUE`: the file found with the local checks, then written in one request.
   * @throws LxdeckError as {@link cgroupGet}, and the kernel's refusal by its errno as locally (core/cgroup/cgroup-key.ts cgroupFileWriteError)
   */
  async cgroupSet(name: string, key: string, value: string): Promise<void> {
    validateContainerName(name);
    const { pid } = await this.shellDriver.info(name);
    const path = await this.overHostFiles(name, pid, (fs) => containerCgroupFile(fs, name, key, pid, 'write'));
    await this.writeThere([{ path, value }], null, undefined, cgroupFileWriteError);
  }

  /**
   * A clean stop there (lxc-stop -t T, killed after T, default 30 s; with opts.kill lxc-stop -k),
   * then lxc-start, so the container runs with its saved config, as the local restart
   * (core/engine.ts restart: `lxc-stop -r` would reboot it with the config LXC loaded at the
   * first start, undoing every key saved since, limits included). An ephemeral container
   * (lxc.ephemeral = 1: a stop destroys it) reboots with `lxc-stop -r` instead. A frozen
   * container is thawed first, as locally.
   * @throws LxdeckError E_NOT_FOUND, E_STATE (not running; kill of an ephemeral one), E_COMMAND, E_TIMEOUT, E_UNREACHABLE
   */
  async restart(name: string, opts: StopOptions = {}): Promise<void> {
    validateContainerName(name);
    const st = await this.stateOf(name);
    if (st === 'STOPPED') throw new LxdeckError('E_STATE', `${name} is not running on ${this.remote}: nothing to restart`, { hint: `lxdeck start ${this.remote}:${name}` });
    if ((st === 'FROZEN' || st === 'FREEZING') && !opts.kill) await this.driver.unfreeze(name);
    const ephemeral = isEphemeral(await this.readConfig(name));
    if (ephemeral && opts.kill)
      throw new LxdeckError('E_STATE', `${name} on ${this.remote} is ephemeral (lxc.ephemeral = 1): killing it would destroy it`, { hint: `reboot it cleanly: lxdeck restart ${this.remote}:${name}` });
    if (ephemeral) return this.driver.reboot(name, opts.timeoutSec ?? 30);
    await this.driver.stop(name, { kill: opts.kill, timeoutSec: opts.timeoutSec ?? 30 });
    await this.driver.start(name);
  }

  /**
   * `lxc-copy -P LP -n SRC -N DST [-s]` there (lxc-copy(1): LXC gives the copy new hwaddrs and
   * its name as lxc.uts.name). A static `lxc.net.N.ipv4.address` would be the source's twin on
   * the same bridge, so the copy's is removed (it gets none until one is set). SRC must be STOPPED.
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_EXISTS, E_STATE, E_COMMAND, E_UNREACHABLE
   */
  async copy(src: string, dst: string, opts: CopyOptions = {}): Promise<ContainerInfo> {
    validateContainerName(src);
    validateContainerName(dst);
    await this.requireStopped(src, 'a copy');
    if ((await this.run(['test', '-e', `${this.lxcpath}/${dst}`])).exitCode === 0)
      throw new LxdeckError('E_EXISTS', `a container named ${dst} exists on ${this.remote}`, { hint: `lxdeck ls --remote ${this.remote}` });
    const argv = ['lxc-copy', '-P', this.lxcpath, '-n', src, '-N', dst, ...(opts.snapshot ? ['-s'] : [])];
    opts.onProgress?.({ phase: 'copy', line: `${quoteArgv(argv)} on ${this.remote}` });
    const r = await this.run(argv, 30 * 60_000);
    if (r.exitCode !== 0)
      throw new LxdeckError('E_COMMAND', `lxc-copy on ${this.remote} failed: ${lastLxcError(r.stderr) ?? `exit status ${r.exitCode}`}`, {
        hint: opts.snapshot ? `a snapshot clone needs a backing store LXC can snapshot (overlay, btrfs); try a full copy` : `the command was: ${quoteArgv(argv)}`,
      });
    const cfg = await this.readConfig(dst);
    const statics = cfg.entries().filter((e) => /^lxc\.net\.\d+\.ipv4\.address$/.test(e.key));
    if (statics.length) {
      for (const k of new Set(statics.map((e) => e.key))) cfg.unset(k);
      await this.writeConfig(dst, cfg);
    }
    return this.info(dst);
  }

  /**
   * `lxc-copy -P LP -n OLD -N NEW -R` there (lxc-copy(1) rename). OLD must be STOPPED and have no
   * snapshots (LXC refuses those).
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_EXISTS, E_STATE, E_COMMAND, E_UNREACHABLE
   */
  async rename(oldName: string, newName: string): Promise<void> {
    validateContainerName(oldName);
    validateContainerName(newName);
    await this.requireStopped(oldName, 'a rename');
    if ((await this.run(['test', '-e', `${this.lxcpath}/${newName}`])).exitCode === 0)
      throw new LxdeckError('E_EXISTS', `a container named ${newName} exists on ${this.remote}`, { hint: `lxdeck ls --remote ${this.remote}` });
    const snaps = await this.snapshots(oldName);
    if (snaps.length)
      throw new LxdeckError('E_STATE', `${oldName} has ${snaps.length} snapshot(s) (${snaps.map((x) => x.name).join(', ')}): LXC cannot rename a container with snapshots`, {
        hint: `copy it instead (lxdeck copy ${this.remote}:${oldName} ${newName}), or delete its snapshots first`,
      });
    const argv = ['lxc-copy', '-P', this.lxcpath, '-n', oldName, '-N', newName, '-R'];
    const r = await this.run(argv, 10 * 60_000);
    if (r.exitCode !== 0) throw new LxdeckError('E_COMMAND', `lxc-copy -R on ${this.remote} failed: ${lastLxcError(r.stderr) ?? `exit status ${r.exitCode}`}`, { hint: `the command was: ${quoteArgv(argv)}` });
  }

  /**
   * The snapshots there, as `lxc-snapshot -L -C` lists them: one read of `snaps/*` (name, `ts`,
   * `comment`, separated by ASCII RS/US so a comment may hold any line), sorted snap0, snap1, ...
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_UNREACHABLE
   */
  async snapshots(name: string): Promise<SnapshotInfo[]> {
    validateContainerName(name);
    await this.stateOf(name);
    const script = 'cd "$1/snaps" 2>/dev/null || exit 0; for s in *; do [ -f "$s/config" ] || continue; printf "\\036%s\\037" "$s"; cat "$s/ts" 2>/dev/null; printf "\\037"; if [ -f "$s/comment" ]; then printf 1; cat "$s/comment"; fi; done';
    const r = await this.run(['sh', '-c', script, 'sh', `${this.lxcpath}/${name}`]);
    if (r.exitCode !== 0) throw new LxdeckError('E_COMMAND', `reading the snapshots of ${name} on ${this.remote} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    return parseRemoteSnapshots(r.stdout);
  }

  /**
   * `lxc-snapshot [-c FILE]` there (the comment through a private temporary file there); returns
   * the snapshot it made. The container must be STOPPED (a consistent copy), as locally.
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_STATE, E_INVALID_VALUE (NUL in the comment), E_COMMAND, E_UNREACHABLE
   */
  async snapshot(name: string, opts: { comment?: string } = {}): Promise<SnapshotInfo> {
    validateContainerName(name);
    if (opts.comment?.includes('\0')) throw new LxdeckError('E_INVALID_VALUE', 'a snapshot comment cannot hold a NUL character');
    await this.requireStopped(name, 'a snapshot');
    const before = new Set((await this.snapshots(name)).map((x) => x.name));
    const argv = ['lxc-snapshot', '-P', this.lxcpath, '-n', name];
    const r =
      opts.comment === undefined
        ? await this.run(argv, 30 * 60_000)
        : await this.run(['sh', '-c', 'f=$(mktemp) || exit 1; cat > "$f"; shift; "$@" -c "$f"; r=$?; rm -f "$f"; exit $r', 'sh', '-', ...argv], 30 * 60_000, opts.comment);
    if (r.exitCode !== 0) throw new LxdeckError('E_COMMAND', `lxc-snapshot of ${name} on ${this.remote} failed: ${lastLxcError(r.stderr) ?? `exit status ${r.exitCode}`}`, { hint: `the command was: ${quoteArgv(argv)}` });
    const made = (await this.snapshots(name)).filter((x) => !before.has(x.name));
    if (made.length !== 1) throw new LxdeckError('E_COMMAND', `lxc-snapshot of ${name} on ${this.remote} left ${made.length} new snapshots`, { hint: `lxc-snapshot -P ${this.lxcpath} -n ${name} -L` });
    return made[0];
  }

  /**
   * `lxc-snapshot -r SNAP [-N AS]` there: in place (NAME must be STOPPED), or as a new container.
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND (container or snapshot), E_EXISTS, E_STATE, E_COMMAND, E_UNREACHABLE
   */
  async restoreSnapshot(name: string, snap: string, opts: { as?: string } = {}): Promise<void> {
    validateContainerName(name);
    validateSnapshotName(snap);
    if (opts.as !== undefined) validateContainerName(opts.as);
    if (opts.as === undefined) await this.requireStopped(name, 'a restore in place');
    if (!(await this.snapshots(name)).some((x) => x.name === snap)) throw new LxdeckError('E_NOT_FOUND', `${name} has no snapshot ${snap} on ${this.remote}`, { hint: `lxdeck snapshots ${this.remote}:${name}` });
    if (opts.as !== undefined && (await this.run(['test', '-e', `${this.lxcpath}/${opts.as}`])).exitCode === 0)
      throw new LxdeckError('E_EXISTS', `a container named ${opts.as} exists on ${this.remote}`);
    await this.driver.snapshotRestore(name, snap, opts.as);
  }

  /** `lxc-snapshot -d SNAP` there. @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_COMMAND, E_UNREACHABLE */
  async deleteSnapshot(name: string, snap: string): Promise<void> {
    validateContainerName(name);
    validateSnapshotName(snap);
    if (!(await this.snapshots(name)).some((x) => x.name === snap)) throw new LxdeckError('E_NOT_FOUND', `${name} has no snapshot ${snap} on ${this.remote}`, { hint: `lxdeck snapshots ${this.remote}:${name}` });
    await this.driver.snapshotDestroy(name, snap);
  }

  /**
   * Writes lxc.start.auto, lxc.start.order, lxc.start.delay and lxc.group (the given fields;
   * lxc.container.conf(5)) into the config there, rewritten whole; returns what is saved now.
   * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_INVALID_VALUE, E_COMMAND, E_UNREACHABLE
   */
  async setAutostart(name: string, s: Partial<AutostartSettings>): Promise<AutostartSettings> {
    validateContainerName(name);
    checkAutostart(s);
    const cfg = await this.readConfig(name);
    applyAutostartSettings(cfg, s);
    await this.writeConfig(name, cfg);
    return readAutostart(await this.readConfig(name));
  }

  /** Stats of the remote lxcpath: one long-lived reader on one channel, a request per pass (stats.ts); one source per backend. */
  sampler(): StatsSource {
    this.stats ??= new RemoteStatsSource(this.transport, this.lxcpath);
    return this.stats;
  }

  /**
   * Runs `lxc-attach -P LXCPATH -n NAME --clear-env --keep-var TERM -- COMMAND...` on the remote
   * with the local stdin, stdout and stderr (see {@link handOver}). Without a command, the
   * container's /bin/sh.
   * @returns the argv run there and its exit status (255 when the connection dropped)
   * @throws LxdeckError E_NAME_INVALID, E_UNREACHABLE (could not connect)
   */
  async attach(name: string, command: string[] = [], opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    validateContainerName(name);
    // the same argv as locally (core/lxc/attach.ts); no command: the container's /bin/sh
    return this.handOver(attachArgv(this.lxcpath, name, command.length ? command : [FALLBACK_SHELL]), opts);
  }

  /**
   * The console's shell pane on a remote row: `lxc-attach -P LXCPATH -n NAME --clear-env --keep-var
   * TERM -- /bin/sh` (as {@link attach}) on an SSH exec channel with a pty of `opts.cols` x
   * `opts.rows` cells there (RFC 4254 section 6.2, TERM xterm-256color), as a PtyChild: output,
   * keys, resize (window-change, section 6.7: lxc-attach passes it on), and `end`: the channel
   * closed (section 5.3: sshd closes the pty, lxc-attach gets SIGHUP and detaches, the shell inside
   * ends with it), given up after the grace time. `opts.onStart` gets it once the channel is open;
   * resolves when it ended.
   * @returns the argv run there and its exit status (128+N after signal N, 255 when the channel was closed or the connection dropped)
   * @throws LxdeckError E_NAME_INVALID, E_UNREACHABLE (could not connect or open a channel), E_HOST_KEY, E_AUTH
   */
  async attachPty(name: string, opts: AttachPtyOptions): Promise<InteractiveResult> {
    validateContainerName(name);
    const argv = attachArgv(this.lxcpath, name, [FALLBACK_SHELL]);
    const ch = await this.transport.exec(argv, { pty: { term: 'xterm-256color', cols: Math.max(1, Math.floor(opts.cols)), rows: Math.max(1, Math.floor(opts.rows)) } });
    let finish: (e: PtyExit) => void = () => {};
    const exited = new Promise<PtyExit>((resolve) => {
      let done = false;
      finish = (e) => {
        if (!done) resolve(e);
        done = true;
      };
      ch.on('close', (code: number | null | undefined, signal?: string) => {
        if (typeof code === 'number') return finish({ exitCode: code, signal: 0 });
        const n = signal ? (osConstants.signals as Record<string, number>)[`SIG${signal}`] : undefined;
        finish(n ? { exitCode: 128 + n, signal: n } : { exitCode: 255, signal: 0 });
      });
    });
    const child = ptyChildOf({
      argv,
      write: (d) => {
        if (ch.writable) ch.write(d);
      },
      resize: (cols, rows) => ch.setWindow(rows, cols, 0, 0),
      output: (fn) => {
        ch.on('data', fn);
        ch.stderr.on('data', fn);
      },
      exited,
      // a closed channel is a hung-up terminal: sshd closes the pty, lxc-attach (its session leader)
      // gets SIGHUP and detaches, the shell inside ends with it. (A "signal" request would be
      // gentler, but sshd refuses it in some setups: "session signalling requires privilege separation".)
      hangup: () => ch.close(),
      // sshd never answered the close: stop waiting for it
      kill: () => {
        ch.destroy();
        finish({ exitCode: 255, signal: 0 });
      },
    });
    opts.onStart(child);
    const r = await child.exited;
    return { argv, exitCode: r.exitCode };
  }

  /**
   * Runs `lxc-console -P LXCPATH -n NAME -t 0` on the remote in a pty (leave with Ctrl+a q, which
   * lxc-console reads there).
   * @throws LxdeckError E_NO_TERMINAL (exit 2) when stdin or stdout is not a terminal, E_UNREACHABLE
   */
  async console(name: string, opts: { beforeHandover?: () => void } = {}): Promise<InteractiveResult> {
    validateContainerName(name);
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new LxdeckError('E_NO_TERMINAL', 'the console needs a terminal', { hint: 'run it from an interactive shell', exitCode: 2 });
    return this.handOver(consoleArgv(this.lxcpath, name), opts);
  }

  /**
   * Runs argv on the remote with this process's terminal: when stdin and stdout are terminals,
   * in a pty (RFC 4254 section 6.2; TERM and the window size passed, resizes followed) with the
   * local terminal in raw mode, restored after; otherwise with plain streams (stdin to the
   * command until EOF). Resolves once the remote command ends.
   * @returns the argv and its exit status (255 when the connection dropped)
   * @throws LxdeckError E_UNREACHABLE (could not connect or open a channel)
   */
  private async handOver(argv: string[], opts: { beforeHandover?: () => void }): Promise<InteractiveResult> {
    const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
    const ch = await this.transport.exec(argv, tty ? { pty: { term: process.env.TERM || 'xterm', rows: process.stdout.rows, cols: process.stdout.columns } } : {});
    opts.beforeHandover?.();
    return new Promise<InteractiveResult>((resolve) => {
      const stdin = process.stdin;
      const onData = (d: Buffer) => ch.write(d);
      const onEnd = () => ch.end();
      const onResize = () => ch.setWindow(process.stdout.rows, process.stdout.columns, 0, 0);
      if (tty) {
        stdin.setRawMode(true);
        process.stdout.on('resize', onResize);
      }
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.resume();
      ch.on('data', (d: Buffer) => process.stdout.write(d));
      ch.stderr.on('data', (d: Buffer) => process.stderr.write(d));
      ch.on('close', (code: number | null | undefined) => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        if (tty) {
          stdin.setRawMode(false);
          process.stdout.off('resize', onResize);
        }
        stdin.pause();
        resolve({ argv, exitCode: typeof code === 'number' ? code : 255 });
      });
    });
  }

  /** Closes the SSH connection (the CLI calls it when a verb is done, so the process can exit). */
  close(): void {
    this.stats?.close();
    this.shell.close();
    this.transport.close();
  }
}

/**
 * Parses the snapshot listing of {@link RemoteLxcBackend.snapshots}: records `RS name US ts US
 * [1 comment]` (RS = 0x1e, US = 0x1f; the `1` marks a comment file, which may be empty). Pure.
 */
export function parseRemoteSnapshots(text: string): SnapshotInfo[] {
  const out: SnapshotInfo[] = [];
  for (const rec of text.split('\x1e').slice(1)) {
    const [name, ts = '', rest = ''] = rec.split('\x1f');
    out.push({ name, created: parseSnapshotTs(ts), comment: rest.startsWith('1') ? rest.slice(1).replace(/\n$/, '') : null });
  }
  return out.sort((a, b) => snapOrder(a.name, b.name));
}

/** A random locally administered unicast MAC in LXC's 00:16:3e prefix. */
function randomMac(): string {
  const b = randomBytes(3);
  return `00:16:3e:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
}

/** A short label for a backend in messages: the remote's name, or "local". */
export function backendLabel(b: Backend): string {
  return b instanceof RemoteLxcBackend ? b.remote : 'local';
}
