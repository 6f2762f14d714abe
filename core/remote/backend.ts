/**
 * A remote LXC host over SSH as a {@link Backend} (issue 10): the remote's own lxc-* tools, each
 * with `-P <lxcpath>`, run through one multiplexed SSH connection (ssh.ts); no daemon on the
 * remote beyond sshd and LXC. The lifecycle calls go through the same driver as locally
 * (core/lxc/driver.ts) on an {@link SshRunner}; the list is one `lxc-ls -f` call; stats come from
 * one long-lived reader `sh` on one channel, a request per pass (stats.ts); attach runs lxc-attach on a channel (a pty when the local
 * stdin is a terminal) and passes its exit status on; console runs lxc-console in a pty.
 *
 * What a remote does not do (yet): limits, snapshots, copy, rename, autostart, protection, ps;
 * the CLI and the console see those methods missing and refuse or hide them. Create
 * makes a privileged busybox container (LXC's own `lxc-create -t busybox`) with no network, or
 * a veth on an existing bridge of the remote; other create options are refused with E_USAGE.
 */
import { randomBytes } from 'node:crypto';
import { LxdeckError } from '../errors.js';
import type { Backend } from '../backend.js';
import { LxcDriver, lastLxcError } from '../lxc/driver.js';
import { LxcConfig, netInterfaces } from '../lxc/config.js';
import { attachArgv, consoleArgv, FALLBACK_SHELL } from '../lxc/attach.js';
import { validateContainerName, validateIfName } from '../names.js';
import { parseCidr, parseIpv4 } from '../network/ipv4.js';
import { CONTAINER_STATES, type ContainerInfo, type ContainerState, type ContainerSummary, type CreateOptions, type InteractiveResult, type StopOptions } from '../types.js';
import type { StatsSource } from '../stats/types.js';
import { SshRunner, SshTransport, quoteArgv, type SshTarget } from './ssh.js';
import { RemoteStatsSource } from './stats.js';
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

  /** Connects nothing yet; the first call does (errors are those calls'). */
  constructor(opts: RemoteBackendOptions) {
    this.lxcpath = opts.lxcpath;
    this.remote = opts.name;
    this.transport = new SshTransport(opts);
    this.driver = new LxcDriver(new SshRunner(this.transport), opts.lxcpath);
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
  async destroy(name: string, opts: { force?: boolean } = {}): Promise<void> {
    validateContainerName(name);
    const li = await this.driver.info(name);
    if (li.state !== 'STOPPED' && !opts.force)
      throw new LxdeckError('E_RUNNING', `${name} is ${li.state} on ${this.remote}`, { hint: `stop it first (lxdeck stop ${this.remote}:${name}) or add --force` });
    await this.driver.destroy(name, opts.force === true);
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
    this.transport.close();
  }
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
