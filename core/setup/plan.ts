/**
 * Planning the first-time setup: reads the host (checkconfig report, links,
 * routes, nftables, dnsmasq's pid file, the unit files, the first container)
 * and says for each step whether it is already done and, if not, the exact
 * actions that make it so. Planning only reads: it runs `ip -j ...`,
 * `nft -j list table`, `lxc-start --version`, `lxc-info` and nothing that
 * changes the host.
 */
import { resolveHostStateDir } from '../hoststate/index.js';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckconfig } from '../checkconfig/report.js';
import { findProgram } from '../checkconfig/programs.js';
import type { CheckReport, PackageManager, Remedy } from '../checkconfig/types.js';
import { DEFAULT_BRIDGE, STATE_DIR } from '../engine.js';
import { LxdeckError, isLxdeckError } from '../errors.js';
import { shellQuote, type Runner } from '../exec/runner.js';
import { validateContainerName, validateIfName } from '../names.js';
import { dhcpLeaseFile, dhcpPidFile, dhcpSatisfied, dnsmasqArgv, readDhcpState, type DhcpSpec } from '../network/dhcp.js';
import { addrAddArgv, bridgeAddArgv, linkUpArgv, routesArgv } from '../network/ip-argv.js';
import { readLink } from '../network/bridge.js';
import { type Cidr, formatCidr, formatIpv4, networkOf, overlaps, parseCidr, pickFreeSubnet } from '../network/ipv4.js';
import { DEFAULT_NAT_TABLE, ipForwardArgv, natChainName, natRuleset, natSatisfied, natSubnetText, nftApplyArgv, nftDeleteChainArgv, readNatState, validateNftTable, type NatSpec } from '../network/nat.js';
import { netUnitName, netUnit, systemctlDisableArgv, systemctlEnableArgv, systemctlReloadArgv, unitWantsLink } from '../network/persist.js';
import { STEP_IDS, type ResolvedSetupOptions, type SetupAction, type SetupDeps, type SetupOptions, type SetupPaths, type SetupPlan, type SetupStep } from './types.js';

/** The first container's name when none is given. */
export const DEFAULT_FIRST_CONTAINER = 'first';

/** Package installs may download a lot: 30 minutes. */
export const INSTALL_TIMEOUT_MS = 30 * 60_000;
const SHORT_TIMEOUT_MS = 30_000;

/**
 * Fills in defaults and checks every option before anything is read or written.
 * @throws LxdeckError E_INVALID_VALUE (bridge name past IFNAMSIZ, bad subnet or table name),
 *   E_NAME_INVALID (container name), E_USAGE (a subnet prefix outside /8../30).
 */
export function resolveSetupOptions(o: SetupOptions = {}): ResolvedSetupOptions {
  const bridge = o.bridge ?? DEFAULT_BRIDGE;
  validateIfName(bridge, 'bridge name');
  let subnet: string | null = null;
  if (o.subnet !== undefined) {
    const c = parseCidr(o.subnet);
    if (!o.subnet.includes('/')) throw new LxdeckError('E_USAGE', `--subnet needs a prefix: ${o.subnet}`, { hint: 'e.g. --subnet 10.0.3.0/24' });
    if (c.prefix < 8 || c.prefix > 30) throw new LxdeckError('E_USAGE', `a bridge subnet must be /8 to /30, not /${c.prefix}`, { hint: 'e.g. --subnet 10.0.3.0/24' });
    subnet = formatCidr(c);
  }
  const natTable = o.natTable ?? DEFAULT_NAT_TABLE;
  validateNftTable(natTable);
  const container = o.container === false ? null : (o.container ?? DEFAULT_FIRST_CONTAINER);
  if (container !== null) validateContainerName(container);
  return {
    bridge,
    subnet,
    nat: o.nat ?? true,
    dhcp: o.dhcp ?? true,
    persist: o.persist ?? true,
    install: o.install ?? true,
    container,
    template: o.template ?? 'busybox',
    natTable,
  };
}

/**
 * The files and directories setup uses under `root` (default `/`) for `bridge`: the unit and the
 * nft script are per bridge (lxdeck-net-BRIDGE.service, net-BRIDGE.nft), so setting up a second
 * bridge never replaces the first one's.
 */
export function setupPaths(bridge: string, root = '/'): SetupPaths {
  const unitDir = join(root, 'etc/systemd/system');
  const confDir = join(root, 'etc/lxdeck');
  return {
    root,
    unitDir,
    unitFile: join(unitDir, netUnitName(bridge)),
    confDir,
    nftFile: join(confDir, `net-${bridge}.nft`),
    runDir: join(root, 'run/lxdeck'),
    stateDir: join(root, 'var/lib/lxdeck'),
  };
}

/** One IPv4 route: destination and device, for naming a clash. */
export interface RouteEntry {
  dst: Cidr;
  /** e.g. "192.0.2.0/24 dev eth0" (table too when not main) */
  text: string;
}

/** Every IPv4 route but the default ones (`ip -j -4 route show table all`). Never probes addresses. */
export async function readRoutes(runner: Runner): Promise<RouteEntry[]> {
  const r = await runner.run('ip', routesArgv(), { timeoutMs: SHORT_TIMEOUT_MS });
  if (r.exitCode !== 0) throw new LxdeckError('E_NETWORK', `ip ${routesArgv().join(' ')} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const rows = JSON.parse(r.stdout || '[]') as { dst?: string; dev?: string; table?: string; type?: string }[];
  const out: RouteEntry[] = [];
  for (const row of rows) {
    if (!row.dst || row.dst === 'default') continue;
    let dst: Cidr;
    try {
      dst = parseCidr(row.dst);
    } catch {
      continue;
    }
    const kind = row.type && row.type !== 'unicast' ? `${row.type} ` : '';
    out.push({ dst, text: `${kind}${row.dst}${row.dev ? ` dev ${row.dev}` : ''}${row.table && row.table !== 'main' ? ` table ${row.table}` : ''}` });
  }
  return out;
}

/**
 * The first route that overlaps `subnet`, or undefined.
 * Used to refuse a user-given subnet that the host already routes.
 */
export function routeClash(routes: readonly RouteEntry[], subnet: Cidr): RouteEntry | undefined {
  return routes.find((r) => overlaps(r.dst, subnet));
}

/** The subnet the engine remembered for `bridge` (`<lxcpath>/.lxdeck/network.json`), or null. */
function rememberedGateway(lxcpath: string, bridge: string): Cidr | null {
  // the host record first (core/hoststate: bridges/<bridge>.json), then the lxcpath's old network.json
  try {
    const rec = JSON.parse(readFileSync(join(resolveHostStateDir(), 'bridges', `${bridge}.json`), 'utf8')) as { gateway?: string | null };
    if (rec.gateway) return parseCidr(rec.gateway);
  } catch {
    /* no host record */
  }
  try {
    const s = JSON.parse(readFileSync(join(lxcpath, STATE_DIR, 'network.json'), 'utf8')) as { bridges?: Record<string, string> };
    const v = s.bridges?.[bridge];
    return v ? parseCidr(v) : null;
  } catch {
    return null;
  }
}

function runAction(file: string, args: string[], extra: Partial<Extract<SetupAction, { kind: 'run' }>> = {}): SetupAction {
  const envText = extra.env ? `${Object.entries(extra.env).map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
  const body = `${envText}${shellQuote([file, ...args])}`;
  const display = extra.input !== undefined ? `${body} <<'EOF'\n${extra.input.replace(/\n$/, '')}\nEOF` : body;
  return { kind: 'run', file, args, timeoutMs: SHORT_TIMEOUT_MS, output: 'pipe', ...extra, display };
}

function writeAction(path: string, content: string, mode = 0o644): SetupAction {
  return { kind: 'write', path, content, mode, display: `cat > ${shellQuote([path])} <<'EOF'\n${content.replace(/\n$/, '')}\nEOF` };
}

function mkdirAction(path: string): SetupAction {
  return { kind: 'mkdir', path, display: shellQuote(['mkdir', '-p', path]) };
}

/** Packages that provide the programs the chosen steps need, per package manager. */
const FEATURE_PACKAGES: Record<'nft' | 'dnsmasq', Remedy> = {
  nft: { apt: 'nftables', zypper: 'nftables', dnf: 'nftables' },
  dnsmasq: { apt: 'dnsmasq-base', zypper: 'dnsmasq', dnf: 'dnsmasq' },
};

/** Kernel packages (Debian's linux-image-*, SUSE's kernel-default, Fedora's kernel): a new kernel helps only after a reboot into it. */
const KERNEL_PACKAGE = /^(linux-image-\S+|kernel|kernel-default)$/;

/** True when the remedy's packages for `pm` are a kernel: setup never installs a kernel by itself. */
export function needsKernel(remedy: Remedy | undefined, pm: PackageManager): boolean {
  const pkgs = (remedy?.[pm] ?? '').split(/\s+/).filter(Boolean);
  return pkgs.length > 0 && pkgs.every((p) => KERNEL_PACKAGE.test(p));
}

/**
 * The packages to install (never a kernel: see {@link needsKernel}): those named by the report's error findings for
 * `pm`, plus nftables / dnsmasq when NAT / DHCP is asked for and the program
 * is missing. Sorted, without duplicates.
 */
export function packagesToInstall(report: CheckReport, pm: PackageManager, need: { nft: boolean; dnsmasq: boolean }): string[] {
  const set = new Set<string>();
  for (const f of report.findings) if (f.severity === 'error' && !needsKernel(f.remedy, pm)) for (const p of (f.remedy?.[pm] ?? '').split(/\s+/)) if (p) set.add(p);
  if (need.nft) for (const p of FEATURE_PACKAGES.nft[pm]!.split(' ')) set.add(p);
  if (need.dnsmasq) for (const p of FEATURE_PACKAGES.dnsmasq[pm]!.split(' ')) set.add(p);
  return [...set].sort();
}

/** The install commands for a package manager: apt-get update first (a fresh host has no package lists), then the install, non-interactive. */
export function installActions(pm: PackageManager, pkgs: string[]): SetupAction[] {
  const long = { timeoutMs: INSTALL_TIMEOUT_MS };
  if (pm === 'apt') {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    return [runAction('apt-get', ['update'], { ...long, env }), runAction('apt-get', ['install', '-y', ...pkgs], { ...long, env })];
  }
  if (pm === 'zypper') return [runAction('zypper', ['--non-interactive', 'install', ...pkgs], long)];
  return [runAction('dnf', ['install', '-y', ...pkgs], long)];
}

const REMOVE: Record<PackageManager, string> = { apt: 'apt-get remove', zypper: 'zypper remove', dnf: 'dnf remove' };

function step(id: SetupStep['id'], title: string, status: SetupStep['status'], detail: string[], actions: SetupAction[] = [], undo: string[] = []): SetupStep {
  return { id, number: STEP_IDS.indexOf(id) + 1, title, status: status === 'todo' && actions.length === 0 ? 'done' : status, detail, actions: status === 'todo' ? actions : [], undo };
}

/**
 * Reads the host and plans every step of the setup. Running the plan's actions
 * in order (core/setup/apply.ts) brings the host to what `opts` asks; a step
 * whose state is already right has status `done` and no actions, so planning
 * again after applying gives `nothingToDo: true`.
 *
 * @throws LxdeckError (from {@link resolveSetupOptions}) for bad options;
 *   E_NETWORK when a user-given subnet overlaps a route of this host (the message names the route),
 *   when the bridge already has another subnet, or when `ip` cannot be run.
 */
export async function planSetup(deps: SetupDeps, opts: SetupOptions = {}): Promise<SetupPlan> {
  const o = resolveSetupOptions(opts);
  const paths = setupPaths(o.bridge, deps.root ?? '/');
  const unitName = netUnitName(o.bridge);
  const { runner, fs } = deps;
  const lxcpath = deps.engine.lxcpath;
  const report = await runCheckconfig({ fs, runner, lxcpath, bridge: o.bridge });
  const pm = report.host.distro.packageManager;
  const steps: SetupStep[] = [];

  // 1. the report, errors first
  const errs = report.findings.filter((f) => f.severity === 'error');
  const warns = report.findings.filter((f) => f.severity === 'warning');
  steps.push(
    step('report', 'Host report (checkconfig)', 'done', [
      `${report.errors} error(s), ${report.warnings} warning(s) on ${report.host.distro.prettyName ?? 'an unknown distribution'}`,
      ...errs.map((f) => `[FAIL] ${f.title}: ${f.explanation}`),
      ...warns.map((f) => `[warn] ${f.title}: ${f.explanation}`),
    ]),
  );

  // 2. packages
  const prog = (p: string) => findProgram(fs, p);
  const need = { nft: o.nat && prog('nft') === null, dnsmasq: o.dhcp && prog('dnsmasq') === null };
  if (!o.install) steps.push(step('packages', 'Install missing packages', 'skipped', ['not asked for']));
  else if (pm === null) {
    const any = errs.some((f) => f.remedy?.apt || f.remedy?.zypper || f.remedy?.dnf) || need.nft || need.dnsmasq;
    steps.push(
      any
        ? step('packages', 'Install missing packages', 'blocked', [
            'unknown package manager (/etc/os-release names no apt, zypper or dnf distribution); install these yourself:',
            ...(['apt', 'zypper', 'dnf'] as const).map((p) => `${p}: ${packagesToInstall(report, p, need).join(' ')}`),
          ])
        : step('packages', 'Install missing packages', 'done', ['no package is missing']),
    );
  } else {
    const pkgs = packagesToInstall(report, pm, need);
    const kernel = errs.filter((f) => needsKernel(f.remedy, pm));
    const noPkg = errs.filter((f) => !f.remedy?.[pm]);
    const extra = [
      ...(kernel.length ? [`needs another kernel (setup does not install one): ${kernel.map((f) => f.title).join(', ')}; install ${[...new Set(kernel.map((f) => f.remedy![pm]))].join(' ')} and reboot into it`] : []),
      ...(noPkg.length ? [`not fixed by a package: ${noPkg.map((f) => f.title).join(', ')} (see the report)`] : []),
    ];
    steps.push(
      pkgs.length
        ? step('packages', 'Install missing packages', 'todo', [`missing: ${pkgs.join(' ')}`, ...extra], installActions(pm, pkgs), [`${REMOVE[pm]} ${pkgs.join(' ')}`])
        : step('packages', 'Install missing packages', 'done', ['no package is missing', ...extra]),
    );
  }

  // 3a. the bridge
  const link = await readLink(runner, o.bridge);
  if (link.exists && link.kind !== 'bridge')
    throw new LxdeckError('E_NETWORK', `${o.bridge} exists and is ${link.kind ? `a ${link.kind} link` : 'a network device'}, not a bridge`, {
      hint: 'name a bridge (or a new name) with --bridge; setup never takes over another device',
    });
  const wanted = o.subnet ? parseCidr(o.subnet) : null;
  const asGateway = (c: Cidr): Cidr => (networkOf(c) === c.addr ? { addr: (c.addr + 1) >>> 0, prefix: c.prefix } : c);
  let gateway: Cidr;
  const bridgeActions: SetupAction[] = [];
  const bridgeDetail: string[] = [];
  if (link.exists && link.addrs.length > 0) {
    const match = wanted ? link.addrs.find((a) => a.prefix === wanted.prefix && networkOf(a) === networkOf(wanted)) : link.addrs[0];
    if (!match)
      throw new LxdeckError('E_NETWORK', `bridge ${o.bridge} already has ${link.addrs.map(formatCidr).join(', ')}, not ${o.subnet}; setup does not readdress a bridge in use`, {
        hint: `leave out --subnet to keep ${formatCidr(link.addrs[0])}, or name another bridge with --bridge`,
      });
    gateway = match;
    bridgeDetail.push(`${o.bridge} exists with ${formatCidr(gateway)}${link.up ? ' and is up' : ''}`);
  } else {
    const routes = await readRoutes(runner);
    if (wanted) {
      const g = asGateway(wanted);
      const clash = routeClash(routes, g);
      if (clash)
        throw new LxdeckError('E_NETWORK', `subnet ${o.subnet} overlaps the route ${clash.text} already on this host`, {
          hint: 'choose a subnet no route covers (ip route show table all lists them), or leave out --subnet to take the first free /24',
        });
      gateway = g;
      bridgeDetail.push(`subnet ${formatIpv4(networkOf(g))}/${g.prefix} (given); no route overlaps it`);
    } else {
      const rem = rememberedGateway(lxcpath, o.bridge);
      if (rem && !routeClash(routes, rem)) {
        gateway = rem;
        bridgeDetail.push(`subnet ${formatIpv4(networkOf(rem))}/${rem.prefix}, remembered for ${o.bridge} in ${join(lxcpath, STATE_DIR, 'network.json')}`);
      } else {
        const net = pickFreeSubnet(routes.map((r) => r.dst));
        gateway = { addr: (net.addr + 1) >>> 0, prefix: net.prefix };
        bridgeDetail.push(`subnet ${formatCidr(net)}: the first /24 of 10.0.0.0/8 that no route of this host covers`);
      }
    }
    if (!link.exists) bridgeActions.push(runAction('ip', bridgeAddArgv(o.bridge)));
    bridgeActions.push(runAction('ip', addrAddArgv(o.bridge, formatCidr(gateway))));
  }
  if (!link.up) bridgeActions.push(runAction('ip', linkUpArgv(o.bridge)));
  if (bridgeActions.length) bridgeDetail.push(`${link.exists ? 'address and bring up' : 'make'} ${o.bridge} with ${formatCidr(gateway)}`);
  // undo: the bridge and its host-wide record (address book and subnet, core/hoststate), which the first container's create writes
  steps.push(step('bridge', `Bridge ${o.bridge}`, 'todo', bridgeDetail, bridgeActions, [shellQuote(['ip', 'link', 'delete', 'dev', o.bridge]), shellQuote(['rm', '-f', join(resolveHostStateDir(), 'bridges', `${o.bridge}.json`)])]));

  // 3b. NAT
  const natSpec: NatSpec = { table: o.natTable, bridge: o.bridge, subnet: gateway };
  const ruleset = natRuleset(natSpec);
  if (!o.nat) steps.push(step('nat', 'NAT to the uplink (nftables)', 'skipped', ['not asked for (--no-nat)']));
  else {
    const natActions: SetupAction[] = [];
    const detail: string[] = [];
    const undo = [shellQuote(['nft', ...nftDeleteChainArgv(o.natTable, o.bridge)])];
    let natOk = false;
    if (!need.nft) {
      try {
        natOk = natSatisfied(await readNatState(runner, o.natTable), natSpec);
      } catch (e) {
        // a plan made by a user (setup --dry-run) cannot read nftables: shown as to do, the apply (as root) reads it again
        if (typeof process.getuid !== 'function' || process.getuid() === 0) throw e;
        detail.push('(nftables can only be read as root: shown as to do; setup as root checks it again)');
      }
    }
    if (natOk) detail.push(`chain ${natChainName(o.bridge)} of table ip ${o.natTable} masquerades ${natSubnetText(natSpec)} leaving through any interface but ${o.bridge}`);
    else {
      detail.push(`chain ${natChainName(o.bridge)} of table ip ${o.natTable} (other bridges' chains are kept): masquerade ${natSubnetText(natSpec)} leaving through any interface but ${o.bridge}`);
      natActions.push(runAction('nft', nftApplyArgv('-'), { input: ruleset }));
    }
    const fwd = (fs.readTextOrNull('/proc/sys/net/ipv4/ip_forward') ?? '').trim();
    if (fwd === '1') detail.push('IPv4 forwarding is on (net.ipv4.ip_forward = 1)');
    else {
      detail.push('turn on IPv4 forwarding (net.ipv4.ip_forward = 1)');
      natActions.push(runAction('sysctl', ipForwardArgv(true)));
      undo.push(shellQuote(['sysctl', ...ipForwardArgv(false)]));
    }
    steps.push(step('nat', 'NAT to the uplink (nftables)', 'todo', detail, natActions, undo));
  }

  // 3c. DHCP
  const dhcpSpec: DhcpSpec = { bridge: o.bridge, gateway, runDir: paths.runDir, stateDir: paths.stateDir };
  const dnsArgs = dnsmasqArgv(dhcpSpec);
  if (!o.dhcp) steps.push(step('dhcp', 'DHCP for containers (dnsmasq)', 'skipped', ['not asked for (--no-dhcp)']));
  else {
    const st = readDhcpState(fs, dhcpSpec);
    const acts: SetupAction[] = [];
    const detail: string[] = [];
    if (dhcpSatisfied(st, dhcpSpec)) detail.push(`dnsmasq (pid ${st.pid}) serves ${o.bridge} only; leases in ${dhcpLeaseFile(dhcpSpec)}`);
    else {
      if (st.pid !== null) {
        detail.push(`dnsmasq pid ${st.pid} runs with other arguments: restart it`);
        acts.push({ kind: 'kill', pid: st.pid, program: 'dnsmasq', display: `kill ${st.pid}` });
      }
      detail.push(`dnsmasq on ${o.bridge} only, pool ${dnsArgs.find((a) => a.startsWith('--dhcp-range='))!.slice(13)}`);
      for (const d of [paths.runDir, paths.stateDir]) if (!existsSync(d)) acts.push(mkdirAction(d));
      acts.push(runAction('dnsmasq', dnsArgs, { output: 'file' }));
    }
    steps.push(step('dhcp', 'DHCP for containers (dnsmasq)', 'todo', detail, acts, [shellQuote(['pkill', '-F', dhcpPidFile(dhcpSpec), 'dnsmasq']), shellQuote(['rm', '-f', dhcpPidFile(dhcpSpec), dhcpLeaseFile(dhcpSpec)])]));
  }

  // 3d. persistence
  const comm = (fs.readTextOrNull('/proc/1/comm') ?? '').trim();
  const systemd = comm === 'systemd';
  if (!o.persist) steps.push(step('persist', `Persistent network (${unitName})`, 'skipped', ['not asked for']));
  else {
    const absolute = (p: string, fallback: string) => prog(p) ?? fallback;
    const unit = netUnit({
      bridge: o.bridge,
      gateway,
      programs: { ip: absolute('ip', '/usr/sbin/ip'), nft: absolute('nft', '/usr/sbin/nft'), sysctl: absolute('sysctl', '/usr/sbin/sysctl'), dnsmasq: absolute('dnsmasq', '/usr/sbin/dnsmasq'), mkdir: absolute('mkdir', '/bin/mkdir'), pkill: absolute('pkill', '/usr/bin/pkill'), rm: absolute('rm', '/bin/rm') },
      nat: o.nat ? { rulesFile: paths.nftFile, table: o.natTable } : undefined,
      dhcp: o.dhcp ? { args: dnsArgs, dirs: [paths.runDir, paths.stateDir], pidFile: dhcpPidFile(dhcpSpec) } : undefined,
    });
    const acts: SetupAction[] = [];
    const detail: string[] = [];
    const same = (p: string, text: string) => {
      try {
        return readFileSync(p, 'utf8') === text;
      } catch {
        return false;
      }
    };
    const undo: string[] = [];
    if (o.nat) {
      if (same(paths.nftFile, ruleset)) detail.push(`${paths.nftFile} holds the NAT rules`);
      else {
        if (!existsSync(paths.confDir)) acts.push(mkdirAction(paths.confDir));
        acts.push(writeAction(paths.nftFile, ruleset));
        detail.push(`write the NAT rules to ${paths.nftFile}`);
      }
      undo.push(shellQuote(['rm', '-f', paths.nftFile]));
    }
    const unitSame = same(paths.unitFile, unit);
    if (unitSame) detail.push(`${paths.unitFile} is up to date`);
    else {
      if (!existsSync(paths.unitDir)) acts.push(mkdirAction(paths.unitDir));
      acts.push(writeAction(paths.unitFile, unit));
      detail.push(`write ${paths.unitFile} (Type=oneshot, RemainAfterExit=yes, as lxc-net.service)`);
    }
    if (systemd) {
      let enabled = false;
      try {
        enabled = readlinkSync(unitWantsLink(paths.unitDir, o.bridge)).endsWith(unitName);
      } catch {
        enabled = false;
      }
      if (enabled && unitSame) detail.push(`${unitName} is enabled`);
      else {
        if (paths.root === '/' && !unitSame) acts.push(runAction('systemctl', systemctlReloadArgv()));
        if (!enabled) acts.push(runAction('systemctl', systemctlEnableArgv(o.bridge, paths.root)));
        detail.push(`enable ${unitName} so the network comes back at boot`);
      }
      undo.unshift(shellQuote(['systemctl', ...systemctlDisableArgv(o.bridge, paths.root)]));
    } else {
      detail.push(`systemd is not PID 1 here (/proc/1/comm: ${comm || 'unreadable'}): ${unitName} is written but not enabled; enable it on a systemd host with: systemctl enable ${unitName}`);
    }
    undo.push(shellQuote(['rm', '-f', paths.unitFile]));
    steps.push(step('persist', `Persistent network (${unitName})`, 'todo', detail, acts, undo));
  }

  // 4. the first container
  if (o.container === null) steps.push(step('container', 'First container', 'skipped', ['not asked for (--no-container)']));
  else {
    const name = o.container;
    const lx = lxcpath === '/var/lib/lxc' ? [] : ['--lxcpath', lxcpath];
    const undo = [shellQuote(['lxdeck', ...lx, 'destroy', '--force', name])];
    let state: string | null = null;
    try {
      state = (await deps.engine.info(name)).state;
    } catch (e) {
      if (!isLxdeckError(e, 'E_NOT_FOUND')) throw e;
    }
    const start: SetupAction = { kind: 'start', name, display: shellQuote(['lxdeck', ...lx, 'start', name]) };
    if (state === null) {
      const create: SetupAction = {
        kind: 'create',
        name,
        options: { template: o.template, bridge: o.bridge },
        display: shellQuote(['lxdeck', ...lx, 'create', name, '--template', o.template, '--bridge', o.bridge]),
      };
      steps.push(step('container', `First container ${name}`, 'todo', [`create ${name} from the ${o.template} template on ${o.bridge} and start it`], [create, start], undo));
    } else if (state === 'STOPPED') steps.push(step('container', `First container ${name}`, 'todo', [`${name} exists and is STOPPED: start it`], [start], undo));
    else steps.push(step('container', `First container ${name}`, 'done', [`${name} exists and is ${state}`], [], undo));
  }

  return {
    options: o,
    paths,
    report,
    packageManager: pm,
    gateway: formatCidr(gateway),
    systemd,
    steps,
    nothingToDo: steps.every((s) => s.status === 'done' || s.status === 'skipped'),
  };
}
