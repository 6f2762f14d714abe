/**
 * The checks of the report, one function per section. Each reads only
 * through the HostFs in its context (and the Runner for `lxc-start
 * --version`), so every check runs against fixture trees.
 *
 * Item list and kernel options follow lxc-checkconfig (lxc
 * src/lxc/cmd/lxc-checkconfig.in); severities follow what LXC 5 does when the
 * item is missing (error: lxc-create / lxc-start fails; warning: a feature
 * or a safeguard is lost).
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { controllerDriver, joinPath, type CgroupLayout } from '../cgroup/layout.js';
import { isLxdeckError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import type { HostFs } from '../host/host-fs.js';
import type { MountInfoEntry } from '../host/mountinfo.js';
import { readConfig, validateConfig } from '../lxc/config.js';
import { isEnabled, kernelMajorMinor, type KernelConfig, type KconfigValue } from './kernel-config.js';
import { cvesAffecting, parseLxcVersion } from './lxc-version.js';
import { findProgram, isSetuidRoot, isStaticElf } from './programs.js';
import { activeThinPools, hostBackings } from '../rootfs/backings.js';
import { onBtrfs } from '../rootfs/create.js';
import type { Distro, Facts, Finding, Remedy, SectionName, Severity, Virtualization } from './types.js';

/** Everything the checks read, gathered once by runCheckconfig. */
export interface CheckContext {
  fs: HostFs;
  runner: Runner;
  lxcpath: string;
  /** the bridge new containers join (for the bridges item), when known */
  bridge?: string;
  kconfig: KernelConfig | null;
  kernelRelease: string | null;
  distro: Distro;
  /** null when /proc/self/mountinfo could not be read */
  layout: CgroupLayout | null;
  mounts: MountInfoEntry[];
  virtualization: Virtualization;
}

function read(fs: HostFs, path: string): string | null {
  try {
    return fs.readTextOrNull(path);
  } catch {
    return null;
  }
}

function exists(fs: HostFs, path: string): boolean {
  try {
    return fs.exists(path);
  } catch {
    return false;
  }
}

function listDir(fs: HostFs, path: string): string[] {
  try {
    return fs.readdir(path);
  } catch {
    return [];
  }
}

/** A distribution kernel has every option LXC needs. */
function kernelRemedy(): Remedy {
  const deb = process.arch === 'arm64' ? 'linux-image-arm64' : 'linux-image-amd64';
  return { apt: deb, zypper: 'kernel-default', dnf: 'kernel' };
}

const LXC_PKG: Remedy = { apt: 'lxc', zypper: 'lxc', dnf: 'lxc' };

function finding(
  section: SectionName,
  id: string,
  title: string,
  severity: Severity,
  explanation: string,
  remedy?: Remedy,
  facts?: Facts,
): Finding {
  const f: Finding = { section, id, title, severity, explanation };
  if (remedy && severity !== 'ok') f.remedy = remedy;
  if (facts) f.facts = facts;
  return f;
}

interface KernelItem {
  section: SectionName;
  id: string;
  title: string;
  /** every option must be y or m */
  options: string[];
  /** severity when the option is not set */
  missing: Exclude<Severity, 'ok'>;
  /** what works, shown when ok */
  ok: string;
  /** what is lost, shown when missing */
  lost: string;
  /** a sign from the running kernel: true present, false absent, null cannot tell */
  runtime?: () => boolean | null;
  remedy?: Remedy;
}

function optionValue(ctx: CheckContext, name: string): KconfigValue | null {
  if (!ctx.kconfig) return null;
  return ctx.kconfig.options.get(name) ?? 'n';
}

/**
 * One kernel-option item. A positive sign from the running kernel wins (the
 * option is there); else the kernel config decides, as in lxc-checkconfig
 * (`CONFIG_X=[y|m]`); with neither, a warning says it cannot tell.
 */
function kernelItem(ctx: CheckContext, k: KernelItem): Finding {
  const values: Facts = {};
  for (const o of k.options) values[o] = optionValue(ctx, o);
  const rt = k.runtime ? k.runtime() : null;
  const cfgOn = ctx.kconfig ? k.options.every((o) => isEnabled(ctx.kconfig!.options.get(o))) : null;
  const notSet = k.options.filter((o) => ctx.kconfig && !isEnabled(ctx.kconfig.options.get(o)));
  const facts: Facts = { ...values, runtime: rt };
  if (rt === true || cfgOn === true) return finding(k.section, k.id, k.title, 'ok', k.ok, undefined, facts);
  if (cfgOn === false) {
    return finding(k.section, k.id, k.title, k.missing, `${k.lost} (${notSet.join(', ')} not set in ${ctx.kconfig!.source})`, k.remedy ?? kernelRemedy(), facts);
  }
  if (rt === false) return finding(k.section, k.id, k.title, k.missing, `${k.lost} (the running kernel shows no sign of ${k.options.join(', ')})`, k.remedy ?? kernelRemedy(), facts);
  return finding(k.section, k.id, k.title, 'warning', `cannot tell without the kernel config whether ${k.options.join(', ')} is set; if not: ${k.lost}`, undefined, facts);
}

/** true/false when /proc/self/ns is there to ask, null otherwise. */
function nsRuntime(ctx: CheckContext, ns: string): () => boolean | null {
  return () => (exists(ctx.fs, '/proc/self/ns') ? exists(ctx.fs, `/proc/self/ns/${ns}`) : null);
}

// ---------------------------------------------------------------- Namespaces

/** Namespaces: uts, ipc, pid, user (and newuidmap/newgidmap), net, mount, cgroup (namespaces(7)). */
export function checkNamespaces(ctx: CheckContext): Finding[] {
  const S: SectionName = 'Namespaces';
  const out: Finding[] = [];
  out.push(
    kernelItem(ctx, {
      section: S, id: 'ns.namespaces', title: 'Namespaces', options: ['CONFIG_NAMESPACES'], missing: 'error',
      ok: 'the kernel supports namespaces', lost: 'no namespaces: LXC cannot isolate a container at all',
      runtime: () => (exists(ctx.fs, '/proc/self/ns') ? listDir(ctx.fs, '/proc/self/ns').length > 0 : null),
    }),
  );
  const items: [string, string, string, string, Severity, string][] = [
    ['uts', 'Utsname namespace', 'CONFIG_UTS_NS', 'each container has its own hostname', 'error', 'LXC always unshares the UTS namespace: lxc-start fails'],
    ['ipc', 'Ipc namespace', 'CONFIG_IPC_NS', 'each container has its own System V IPC and POSIX queues', 'error', 'LXC always unshares the IPC namespace: lxc-start fails'],
    ['pid', 'Pid namespace', 'CONFIG_PID_NS', 'each container has its own PID 1', 'error', 'LXC always unshares the PID namespace: lxc-start fails'],
  ];
  for (const [ns, title, opt, ok, sev, lost] of items)
    out.push(kernelItem(ctx, { section: S, id: `ns.${ns}`, title, options: [opt], missing: sev as 'error', ok, lost, runtime: nsRuntime(ctx, ns) }));

  const user = kernelItem(ctx, {
    section: S, id: 'ns.user', title: 'User namespace', options: ['CONFIG_USER_NS'], missing: 'warning',
    ok: 'unprivileged containers (lxc.idmap) can run', lost: 'only privileged containers can run: no lxc.idmap, container root is host root',
    runtime: nsRuntime(ctx, 'user'),
  });
  if (user.severity === 'ok') {
    const max = read(ctx.fs, '/proc/sys/user/max_user_namespaces')?.trim();
    if (max === '0') {
      user.severity = 'warning';
      user.explanation = 'the kernel has user namespaces but user.max_user_namespaces is 0: unprivileged containers cannot start';
      user.remedy = { command: 'sysctl -w user.max_user_namespaces=15000' };
    }
    if (user.facts && max !== undefined) user.facts.maxUserNamespaces = Number(max);
  }
  out.push(user);
  if (user.severity === 'ok') {
    for (const prog of ['newuidmap', 'newgidmap']) {
      const p = findProgram(ctx.fs, prog);
      const remedy: Remedy = { apt: 'uidmap', zypper: 'shadow', dnf: 'shadow-utils' };
      if (p === null) out.push(finding(S, `ns.${prog}`, prog, 'warning', `${prog} is not installed: unprivileged containers cannot map their ids`, remedy));
      else if (!isSetuidRoot(ctx.fs, p)) out.push(finding(S, `ns.${prog}`, prog, 'warning', `${p} is not setuid-root: it cannot write another process's id map`, { command: `chmod u+s ${p}` }, { path: p }));
      else out.push(finding(S, `ns.${prog}`, prog, 'ok', `${p} is installed and setuid-root`, undefined, { path: p }));
    }
  }
  out.push(
    kernelItem(ctx, {
      section: S, id: 'ns.net', title: 'Network namespace', options: ['CONFIG_NET_NS'], missing: 'error',
      ok: 'each container has its own network stack (veth on a bridge)', lost: 'containers with a network (lxc.net.0.type = veth) cannot start',
      runtime: nsRuntime(ctx, 'net'),
    }),
  );
  out.push(
    kernelItem(ctx, {
      section: S, id: 'ns.mnt', title: 'Mount namespace', options: ['CONFIG_NAMESPACES'], missing: 'error',
      ok: 'each container has its own mount table', lost: 'LXC always unshares the mount namespace: lxc-start fails',
      runtime: nsRuntime(ctx, 'mnt'),
    }),
  );
  // lxc-checkconfig tests only the file; so do we (there is no Kconfig option of its own since 4.6).
  const cgns = exists(ctx.fs, '/proc/self/ns/cgroup');
  out.push(
    finding(S, 'ns.cgroup', 'Cgroup namespace', cgns ? 'ok' : 'warning',
      cgns ? 'containers see their own cgroup as the root (/proc/self/cgroup)' : 'no cgroup namespace (/proc/self/ns/cgroup): containers see the host cgroup paths; systemd inside may fail',
      kernelRemedy(), { path: '/proc/self/ns/cgroup' }),
  );
  return out;
}

// ------------------------------------------------------------ Control groups

interface ControllerItem {
  id: string;
  title: string;
  /** Kconfig option for v1 (and v2 unless v2Option) */
  option: string;
  v1: string;
  /** v2 controller name in cgroup.controllers; 'core' for a v2 core feature; null when not a v2 controller */
  v2: string | null;
  v2Option?: string;
  /** severity on v1/hybrid when the controller is missing */
  missingV1: Exclude<Severity, 'ok'>;
  missingV2: Exclude<Severity, 'ok'>;
  use: string;
  /** why a missing v1 controller is an error */
  why?: string;
}

const CONTROLLERS: readonly ControllerItem[] = [
  { id: 'devices', title: 'Cgroup device', option: 'CONFIG_CGROUP_DEVICE', v1: 'devices', v2: 'core', v2Option: 'CONFIG_CGROUP_BPF', missingV1: 'error', missingV2: 'warning',
    use: 'device access rules', why: "LXC's common.conf sets lxc.cgroup.devices.*, so lxc-start fails" },
  { id: 'cpu', title: 'Cgroup sched', option: 'CONFIG_CGROUP_SCHED', v1: 'cpu', v2: 'cpu', missingV1: 'warning', missingV2: 'warning', use: 'CPU weight and quota limits' },
  { id: 'cpuacct', title: 'Cgroup cpu account', option: 'CONFIG_CGROUP_CPUACCT', v1: 'cpuacct', v2: 'core', missingV1: 'warning', missingV2: 'warning', use: 'CPU usage per container' },
  { id: 'memory', title: 'Cgroup memory controller', option: 'CONFIG_MEMCG', v1: 'memory', v2: 'memory', missingV1: 'warning', missingV2: 'warning', use: 'memory limits and memory use per container' },
  { id: 'cpuset', title: 'Cgroup cpuset', option: 'CONFIG_CPUSETS', v1: 'cpuset', v2: 'cpuset', missingV1: 'warning', missingV2: 'warning', use: 'pinning containers to CPUs' },
  { id: 'pids', title: 'Cgroup pids', option: 'CONFIG_CGROUP_PIDS', v1: 'pids', v2: 'pids', missingV1: 'warning', missingV2: 'warning', use: 'a limit on the number of processes (fork bombs)' },
  { id: 'blkio', title: 'Cgroup block I/O', option: 'CONFIG_BLK_CGROUP', v1: 'blkio', v2: 'io', missingV1: 'warning', missingV2: 'warning', use: 'disk I/O weight and throttling' },
];

/** Whether a v2 hierarchy offers cgroup.freeze (kernel 5.2+): any child cgroup with the file, else the kernel release. */
function v2HasFreeze(ctx: CheckContext, mount: string): boolean {
  for (const child of listDir(ctx.fs, mount)) {
    if (exists(ctx.fs, joinPath(joinPath(mount, child), 'cgroup.freeze'))) return true;
  }
  const mm = kernelMajorMinor(ctx.kernelRelease);
  return mm !== null && (mm[0] > 5 || (mm[0] === 5 && mm[1] >= 2));
}

/** The mount points of every cgroup (v1) and cgroup2 mount, in mountinfo order, like lxc-checkconfig lists them. */
export function cgroupMountPoints(mounts: readonly MountInfoEntry[]): { v1: string[]; v2: string[] } {
  return {
    v1: mounts.filter((m) => m.fsType === 'cgroup').map((m) => m.mountPoint),
    v2: mounts.filter((m) => m.fsType === 'cgroup2').map((m) => m.mountPoint),
  };
}

/**
 * Control groups: CONFIG_CGROUPS, the layout (v1, v2, hybrid) with its mount
 * points, and each controller on THAT layout: on a unified-only host (v2,
 * wherever it is mounted, e.g. /cgroup2 — case H1) no v1 hierarchy is
 * expected, so none is reported missing. Also cgroup v1 keys in container
 * configs that a v2 host ignores (case C3).
 */
export async function checkCgroups(ctx: CheckContext): Promise<Finding[]> {
  const S: SectionName = 'Control groups';
  const out: Finding[] = [];
  const layout = ctx.layout;
  out.push(
    kernelItem(ctx, {
      section: S, id: 'cgroup.kernel', title: 'Cgroups', options: ['CONFIG_CGROUPS'], missing: 'error',
      ok: 'the kernel has control groups', lost: 'no control groups: LXC cannot start containers',
      runtime: () => (layout ? layout.kind !== 'none' || exists(ctx.fs, '/proc/self/cgroup') : null),
    }),
  );
  if (!layout) {
    out.push(finding(S, 'cgroup.layout', 'Cgroup layout', 'error', 'cannot read /proc/self/mountinfo: the cgroup layout is unknown'));
    return out;
  }
  const mp = cgroupMountPoints(ctx.mounts);
  const layoutFacts: Facts = { kind: layout.kind, v1MountPoints: mp.v1, v2MountPoints: mp.v2, v2Mount: layout.v2Mount, v2Controllers: layout.v2Controllers };
  const kindText: Record<string, string> = {
    v1: `cgroup v1 only (${mp.v1.length} hierarchies)`,
    v2: `cgroup v2 only (unified, at ${layout.v2Mount})`,
    hybrid: `hybrid: cgroup v1 controllers plus cgroup v2 at ${layout.v2Mount}`,
  };
  if (layout.kind === 'none')
    out.push(finding(S, 'cgroup.layout', 'Cgroup layout', 'error', 'no cgroup file system is mounted: lxc-start fails', { command: 'mount -t cgroup2 none /sys/fs/cgroup' }, layoutFacts));
  else out.push(finding(S, 'cgroup.layout', 'Cgroup layout', 'ok', `${kindText[layout.kind]}; LXC 5 drives all three`, undefined, layoutFacts));
  if (layout.kind === 'none') return out;

  const legacy = layout.kind === 'v1' || layout.kind === 'hybrid';
  if (legacy) {
    // lxc-checkconfig: "Cgroup v1 systemd controller" and "Cgroup v1 clone_children flag", only where v2 is not the whole tree.
    const sd = layout.v1['name=systemd'];
    out.push(
      finding(S, 'cgroup.v1.systemd', 'Cgroup v1 systemd controller', sd ? 'ok' : 'warning',
        sd ? `name=systemd hierarchy at ${sd}` : 'no name=systemd v1 hierarchy: a systemd inside a container cannot track its services',
        { command: 'mkdir -p /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd' }, { mountPoint: sd ?? null }),
    );
    const first = mp.v1[0];
    const cc = first !== undefined && exists(ctx.fs, joinPath(first, 'cgroup.clone_children'));
    out.push(
      finding(S, 'cgroup.v1.clone_children', 'Cgroup v1 clone_children flag', cc ? 'ok' : 'warning',
        cc ? `${first}/cgroup.clone_children is there (new cpuset cgroups inherit their parent's CPUs)` : 'no cgroup.clone_children in the first v1 hierarchy: new cpuset cgroups may start empty',
        undefined, { path: first ? joinPath(first, 'cgroup.clone_children') : null }),
    );
  }

  for (const c of CONTROLLERS) {
    const id = `cgroup.${c.id}`;
    const opt = legacy || c.v2Option === undefined ? c.option : c.v2Option;
    const val = optionValue(ctx, opt);
    const facts: Facts = { [opt]: val };
    const notBuilt = ctx.kconfig !== null && !isEnabled(val ?? undefined);
    let where: string | null = null;
    if (layout.v1[c.v1] !== undefined) where = `v1 hierarchy at ${layout.v1[c.v1]}`;
    else if (c.v2 !== null && c.v2 !== 'core' && layout.v2Mount !== null && layout.v2Controllers.includes(c.v2))
      where = `v2 controller "${c.v2}" in ${layout.v2Mount}/cgroup.controllers`;
    else if (!legacy && c.v2 === 'core' && !notBuilt)
      where = c.id === 'devices' ? 'v2 device control through eBPF (CONFIG_CGROUP_BPF)' : 'v2 core: cpu.stat in every cgroup';
    facts.driver = where ? (where.startsWith('v1') ? 'v1' : 'v2') : null;
    if (where) {
      out.push(finding(S, id, c.title, 'ok', `${c.use}: ${where}`, undefined, facts));
      continue;
    }
    const sev = legacy ? c.missingV1 : c.missingV2;
    if (notBuilt) {
      out.push(finding(S, id, c.title, sev, `no ${c.use}: ${opt} is not set in ${ctx.kconfig!.source}${legacy && c.why ? `; ${c.why}` : ''}`, kernelRemedy(), facts));
    } else if (legacy) {
      out.push(finding(S, id, c.title, sev, `no ${c.use}: the kernel has it but no v1 hierarchy mounts "${c.v1}"${c.why ? `; ${c.why}` : ''}`,
        { command: `mkdir -p /sys/fs/cgroup/${c.v1} && mount -t cgroup -o ${c.v1} cgroup /sys/fs/cgroup/${c.v1}`, kernelParam: c.v1 === 'memory' ? 'cgroup_enable=memory' : undefined }, facts));
    } else {
      out.push(finding(S, id, c.title, sev, `no ${c.use}: "${c.v2}" is not in ${layout.v2Mount}/cgroup.controllers`,
        c.v2 === 'core' ? kernelRemedy() : { command: `echo +${c.v2} > ${joinPath(layout.v2Mount!, 'cgroup.subtree_control')}` }, facts));
    }
  }

  // Freezer: v1 freezer controller, or cgroup.freeze on v2 (kernel 5.2+). Neither blocks create or start.
  const drv = controllerDriver('freezer', layout);
  const fzFacts: Facts = { driver: drv, CONFIG_CGROUP_FREEZER: optionValue(ctx, 'CONFIG_CGROUP_FREEZER') };
  if (layout.v1.freezer !== undefined) {
    out.push(finding(S, 'cgroup.freezer', 'Cgroup freezer', 'ok', `lxc-freeze works: v1 freezer hierarchy at ${layout.v1.freezer}`, undefined, fzFacts));
  } else if (layout.v2Mount !== null && v2HasFreeze(ctx, layout.v2Mount)) {
    out.push(finding(S, 'cgroup.freezer', 'Cgroup freezer', 'ok', `freeze works through cgroup.freeze in ${layout.v2Mount} (cgroup v2)`, undefined, { ...fzFacts, driver: 'v2' }));
  } else {
    out.push(finding(S, 'cgroup.freezer', 'Cgroup freezer', 'warning', 'no v1 freezer and no v2 cgroup.freeze: freezing a container fails',
      legacy ? { command: 'mkdir -p /sys/fs/cgroup/freezer && mount -t cgroup -o freezer cgroup /sys/fs/cgroup/freezer' } : kernelRemedy(), fzFacts));
  }

  out.push(...(await checkCgroupKeys(ctx, layout)));
  return out;
}

/** C3: `lxc.cgroup.*` (v1) keys in container configs under the lxcpath that this host ignores or cannot apply. */
async function checkCgroupKeys(ctx: CheckContext, layout: CgroupLayout): Promise<Finding[]> {
  const out: Finding[] = [];
  const v1 = Object.keys(layout.v1).filter((c) => !c.startsWith('name='));
  const host = { v1, v2: layout.v2Mount === null ? null : layout.v2Controllers };
  for (const name of listDir(ctx.fs, ctx.lxcpath)) {
    const path = `${ctx.lxcpath.replace(/\/+$/, '')}/${name}/config`;
    if (!exists(ctx.fs, path)) continue;
    let problems;
    try {
      problems = validateConfig(await readConfig(ctx.fs.resolve(path)), { cgroup: host }).filter((p) => /^lxc\.cgroup2?\./.test(p.key));
    } catch {
      continue;
    }
    if (problems.length === 0) continue;
    const first = problems[0];
    out.push(
      finding('Control groups', `cgroup.keys.${name}`, `Cgroup keys of ${name}`, 'warning',
        `${path}:${first.lineNo}: ${first.key}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
        first.hint ? { command: `edit ${path}: ${first.hint}` } : undefined,
        { container: name, keys: problems.map((p) => `${p.lineNo}:${p.key}`) }),
    );
  }
  return out;
}

// ---------------------------------------------------------------- Networking

/** Networking: veth, bridge, macvlan, vlan, netfilter and NAT (iptables and nftables), the existing bridges. */
export function checkNetworking(ctx: CheckContext): Finding[] {
  const S: SectionName = 'Networking';
  const mod = (m: string) => () => (exists(ctx.fs, `/sys/module/${m}`) ? true : null);
  const out: Finding[] = [
    kernelItem(ctx, { section: S, id: 'net.veth', title: 'Veth pair device', options: ['CONFIG_VETH'], missing: 'error',
      ok: 'veth pairs connect containers to a bridge', lost: 'no veth: containers with lxc.net.0.type = veth (lxdeck\'s default) cannot start', runtime: mod('veth') }),
    kernelItem(ctx, { section: S, id: 'net.macvlan', title: 'Macvlan', options: ['CONFIG_MACVLAN'], missing: 'warning',
      ok: 'lxc.net.N.type = macvlan is available', lost: 'no macvlan: lxc.net.N.type = macvlan fails', runtime: mod('macvlan') }),
    kernelItem(ctx, { section: S, id: 'net.vlan', title: 'Vlan', options: ['CONFIG_VLAN_8021Q'], missing: 'warning',
      ok: 'lxc.net.N.type = vlan is available', lost: 'no 802.1Q: lxc.net.N.type = vlan fails', runtime: mod('8021q') }),
    kernelItem(ctx, { section: S, id: 'net.bridge', title: 'Bridges', options: ['CONFIG_BRIDGE'], missing: 'error',
      ok: 'Linux bridges are available', lost: 'no bridges: containers cannot join lxcbr0, lxc-start fails', runtime: mod('bridge') }),
    kernelItem(ctx, { section: S, id: 'net.netfilter', title: 'Advanced netfilter', options: ['CONFIG_NETFILTER_ADVANCED'], missing: 'warning',
      ok: 'advanced netfilter options are available', lost: 'no advanced netfilter: NAT and checksum rules for the bridge may be missing' }),
    kernelItem(ctx, { section: S, id: 'net.nat', title: 'NAT (nftables)', options: ['CONFIG_NF_NAT', 'CONFIG_NF_TABLES', 'CONFIG_NFT_NAT', 'CONFIG_NFT_MASQ'], missing: 'warning',
      ok: 'nftables can masquerade containers to the uplink', lost: 'no nftables NAT: containers on a private subnet cannot reach outside', remedy: { ...kernelRemedy() } }),
    kernelItem(ctx, { section: S, id: 'net.masquerade.ipv4', title: 'CONFIG_IP_NF_TARGET_MASQUERADE', options: ['CONFIG_IP_NF_TARGET_MASQUERADE'], missing: 'warning',
      ok: 'iptables MASQUERADE (used by lxc-net) is available', lost: 'no iptables IPv4 MASQUERADE: lxc-net cannot NAT containers' }),
    kernelItem(ctx, { section: S, id: 'net.masquerade.ipv6', title: 'CONFIG_IP6_NF_TARGET_MASQUERADE', options: ['CONFIG_IP6_NF_TARGET_MASQUERADE'], missing: 'warning',
      ok: 'ip6tables MASQUERADE is available', lost: 'no ip6tables MASQUERADE: no IPv6 NAT for containers' }),
    kernelItem(ctx, { section: S, id: 'net.checksum', title: 'CONFIG_NETFILTER_XT_TARGET_CHECKSUM', options: ['CONFIG_NETFILTER_XT_TARGET_CHECKSUM'], missing: 'warning',
      ok: 'the CHECKSUM target (DHCP replies to containers) is available', lost: 'no CHECKSUM target: some DHCP clients in containers reject replies' }),
    kernelItem(ctx, { section: S, id: 'net.comment', title: 'CONFIG_NETFILTER_XT_MATCH_COMMENT', options: ['CONFIG_NETFILTER_XT_MATCH_COMMENT'], missing: 'warning',
      ok: 'the comment match (tagging lxc-net rules) is available', lost: 'no comment match: lxc-net cannot tag its rules' }),
  ];
  const bridges = listDir(ctx.fs, '/sys/class/net').filter((n) => exists(ctx.fs, `/sys/class/net/${n}/bridge`));
  const want = ctx.bridge;
  const facts: Facts = { bridges, wanted: want ?? null };
  if (want && bridges.includes(want)) out.push(finding(S, 'net.bridges', 'Existing bridges', 'ok', `${want} exists (bridges: ${bridges.join(', ')})`, undefined, facts));
  else if (bridges.length > 0)
    out.push(finding(S, 'net.bridges', 'Existing bridges', 'ok', `bridges: ${bridges.join(', ')}${want ? `; ${want} is made when the first container needs it` : ''}`, undefined, facts));
  else {
    const b = want ?? 'lxcbr0';
    out.push(
      finding(S, 'net.bridges', 'Existing bridges', 'warning', `no bridge yet: containers with a veth need one (lxdeck create makes ${b}, but it does not survive a reboot)`,
        { command: `ip link add name ${b} type bridge && ip link set ${b} up` }, facts),
    );
  }
  return out;
}

// ------------------------------------------------------------------ Security

/** Security: seccomp, AppArmor, SELinux, file capabilities. */
export function checkSecurity(ctx: CheckContext): Finding[] {
  const S: SectionName = 'Security';
  const out: Finding[] = [];
  const status = read(ctx.fs, '/proc/self/status');
  out.push(
    kernelItem(ctx, { section: S, id: 'sec.seccomp', title: 'Seccomp', options: ['CONFIG_SECCOMP', 'CONFIG_SECCOMP_FILTER'], missing: 'warning',
      ok: "LXC's seccomp policy (lxc.seccomp.profile) can block dangerous system calls", lost: 'no seccomp filters: LXC cannot load its system call policy',
      // proc(5): "Seccomp:" needs CONFIG_SECCOMP, "Seccomp_filters:" (5.9+) CONFIG_SECCOMP_FILTER.
      runtime: () => (status === null ? null : /^Seccomp:/m.test(status) && /^Seccomp_filters:/m.test(status) ? true : /^Seccomp:/m.test(status) ? null : false) }),
  );

  const aa = read(ctx.fs, '/sys/module/apparmor/parameters/enabled')?.trim();
  const aaOn = aa === 'Y';
  if (aaOn) {
    const parser = findProgram(ctx.fs, 'apparmor_parser');
    out.push(parser
      ? finding(S, 'sec.apparmor', 'AppArmor', 'ok', `enabled; ${parser} loads LXC's generated profiles`, undefined, { enabled: true, parser })
      : finding(S, 'sec.apparmor', 'AppArmor', 'error', 'enabled but apparmor_parser is missing: LXC cannot load a generated profile (lxc.apparmor.profile = generated) and lxc-start fails',
          { apt: 'apparmor', zypper: 'apparmor-parser', command: 'or set lxc.apparmor.profile = unconfined' }, { enabled: true, parser: null }));
  } else {
    out.push(finding(S, 'sec.apparmor', 'AppArmor', 'ok', aa === undefined ? 'not in this kernel (no /sys/module/apparmor): LXC skips AppArmor profiles' : 'disabled: LXC skips AppArmor profiles', undefined, { enabled: false }));
  }
  const enforce = read(ctx.fs, '/sys/fs/selinux/enforce')?.trim();
  const seOn = enforce === '1' || enforce === '0';
  out.push(finding(S, 'sec.selinux', 'SELinux', 'ok',
    enforce === '1' ? 'enforcing: containers run with lxc.selinux.context' : enforce === '0' ? 'permissive: denials are logged, not enforced' : 'not enabled (no /sys/fs/selinux)',
    undefined, { enforce: enforce === undefined ? null : enforce }));
  if (!aaOn && !seOn) {
    const aaBuilt = optionValue(ctx, 'CONFIG_SECURITY_APPARMOR');
    out.push(finding(S, 'sec.mac', 'Mandatory access control', 'warning',
      'neither AppArmor nor SELinux is active: root in a privileged container is held back only by capabilities, seccomp and namespaces; prefer unprivileged containers (lxc.idmap)',
      aaBuilt !== null && isEnabled(aaBuilt) ? { apt: 'apparmor', zypper: 'apparmor-parser', kernelParam: 'apparmor=1 security=apparmor' } : undefined));
  }

  const mm = kernelMajorMinor(ctx.kernelRelease);
  const capLast = read(ctx.fs, '/proc/sys/kernel/cap_last_cap')?.trim();
  const facts: Facts = { capLastCap: capLast === undefined ? null : Number(capLast) };
  if (mm && (mm[0] > 2 || (mm[0] === 2 && mm[1] >= 33)) || mm === null) {
    // Linux 2.6.33 made file capabilities unconditional (lxc-checkconfig prints "enabled" for it).
    out.push(finding(S, 'sec.capabilities', 'File capabilities', 'ok',
      `always on since Linux 2.6.33; LXC drops capabilities with lxc.cap.drop${capLast ? ` (highest capability: ${capLast})` : ''}`, undefined, facts));
  } else {
    out.push(kernelItem(ctx, { section: S, id: 'sec.capabilities', title: 'File capabilities', options: ['CONFIG_SECURITY_FILE_CAPABILITIES'], missing: 'warning',
      ok: 'file capabilities are on', lost: 'no file capabilities: setcap binaries in containers do not work' }));
  }
  return out;
}

// ------------------------------------------------------------- LXC and tools

/** Programs lxdeck runs, with what each is for. */
export const PROGRAMS: readonly [string, string][] = [
  ['lxc-start', 'starting containers'],
  ['lxc-info', 'reading state, PID and addresses'],
  ['lxc-stop', 'stopping containers'],
  ['lxc-wait', 'waiting for a state'],
  ['lxc-freeze', 'freezing containers'],
  ['lxc-unfreeze', 'thawing containers'],
  ['lxc-destroy', 'destroying containers'],
  ['lxc-attach', 'running commands in containers'],
  ['lxc-console', 'the container console'],
  ['ip', 'making bridges and addresses'],
];

/** LXC and tools: the kernel config source, the LXC version and its known CVEs, the programs lxdeck runs, busybox static, the host's own virtualization. */
export async function checkTools(ctx: CheckContext): Promise<{ findings: Finding[]; lxcVersion: string | null }> {
  const S: SectionName = 'LXC and tools';
  const out: Finding[] = [];
  if (ctx.kconfig) {
    out.push(finding(S, 'tools.kernel-config', 'Kernel config', 'ok', `read from ${ctx.kconfig.source}${ctx.kconfig.version ? ` (Linux ${ctx.kconfig.version})` : ''}`, undefined, { source: ctx.kconfig.source }));
  } else {
    out.push(finding(S, 'tools.kernel-config', 'Kernel config', 'warning',
      `cannot read the kernel config (no /proc/config.gz${ctx.kernelRelease ? `, /boot/config-${ctx.kernelRelease}` : ''}): kernel options are judged from /proc and /sys only`,
      { command: 'modprobe configs' }, { source: null }));
  }

  let lxcVersion: string | null = null;
  try {
    const r = await ctx.runner.run('lxc-start', ['--version'], { timeoutMs: 10_000 });
    const v = parseLxcVersion(r.stdout);
    if (r.exitCode !== 0 || v === null) {
      out.push(finding(S, 'tools.lxc-version', 'LXC version', 'warning', `lxc-start --version failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`, LXC_PKG));
    } else {
      lxcVersion = r.stdout.trim().split('\n')[0];
      const cves = cvesAffecting(v);
      const facts: Facts = { version: lxcVersion, cves: cves.map((c) => c.id) };
      if (cves.length === 0) out.push(finding(S, 'tools.lxc-version', 'LXC version', 'ok', `LXC ${lxcVersion}: no known container-escape fix missing`, undefined, facts));
      else
        out.push(finding(S, 'tools.lxc-version', 'LXC version', 'warning',
          `LXC ${lxcVersion} predates fixes for ${cves.map((c) => `${c.id} (${c.summary}; fixed in ${c.fixedIn})`).join('; ')}, unless your distribution backported them`,
          LXC_PKG, facts));
    }
  } catch (e) {
    if (isLxdeckError(e, 'E_MISSING_PROGRAM'))
      out.push(finding(S, 'tools.lxc-version', 'LXC version', 'error', 'LXC is not installed (no lxc-start): lxdeck cannot create or start containers', LXC_PKG));
    else out.push(finding(S, 'tools.lxc-version', 'LXC version', 'warning', `could not run lxc-start --version: ${String((e as Error).message ?? e)}`, LXC_PKG));
  }

  for (const [prog, what] of PROGRAMS) {
    const p = findProgram(ctx.fs, prog);
    const remedy: Remedy = prog === 'ip' ? { apt: 'iproute2', zypper: 'iproute2', dnf: 'iproute' } : LXC_PKG;
    out.push(p
      ? finding(S, `tools.${prog}`, prog, 'ok', `${p} (${what})`, undefined, { path: p })
      : finding(S, `tools.${prog}`, prog, 'error', `${prog} is not installed: ${what} fails`, remedy, { path: null }));
  }
  const bb = findProgram(ctx.fs, 'busybox');
  const bbRemedy: Remedy = { apt: 'busybox-static', zypper: 'busybox-static', dnf: 'busybox' };
  if (bb === null) out.push(finding(S, 'tools.busybox', 'busybox (static)', 'error', 'no busybox: the busybox template cannot build a rootfs', bbRemedy, { path: null, static: null }));
  else {
    const st = isStaticElf(ctx.fs, bb);
    out.push(st === true
      ? finding(S, 'tools.busybox', 'busybox (static)', 'ok', `${bb} is statically linked (the busybox template copies it into the rootfs)`, undefined, { path: bb, static: true })
      : finding(S, 'tools.busybox', 'busybox (static)', 'error', `${bb} is ${st === false ? 'dynamically linked' : 'not an ELF program'}: it cannot run inside a busybox rootfs`, bbRemedy, { path: bb, static: st }));
  }

  const v = ctx.virtualization;
  const vf: Facts = { kind: v.kind, name: v.name, source: v.source };
  if (v.kind === 'container')
    out.push(finding(S, 'tools.virtualization', 'Host virtualization', 'warning',
      `the host is itself a container (${v.name ?? 'unknown'}, from ${v.source}): nested containers need the outer one to allow nesting (cgroup delegation, lxc.apparmor.allow_nesting)`, undefined, vf));
  else
    out.push(finding(S, 'tools.virtualization', 'Host virtualization', 'ok',
      v.kind === 'vm' ? `a virtual machine (${v.name ?? 'hypervisor flag'}, from ${v.source}): containers run as on bare metal` : 'bare metal: no container or hypervisor sign', undefined, vf));
  return { findings: out, lxcVersion };
}

// ------------------------------------------------------------------- Storage

/** Free bytes below which creating a container fails or soon will. */
export const FREE_ERROR_BYTES = 100 * 1024 ** 2;
export const FREE_WARNING_BYTES = 2 * 1024 ** 3;

/** Storage: free space in the lxcpath (statfs(2) of it or its nearest existing parent), FUSE for lxcfs, overlayfs. */
export async function checkStorage(ctx: CheckContext): Promise<Finding[]> {
  const S: SectionName = 'Storage';
  const out: Finding[] = [];
  let at = ctx.lxcpath;
  // up to the root, or to '.' for a relative path (dirname('.') is '.': the loop would never end)
  while (at !== '/' && !exists(ctx.fs, at) && dirname(at) !== at) at = dirname(at);
  try {
    const st = await statfs(ctx.fs.resolve(at));
    const free = Number(st.bavail) * Number(st.bsize);
    const total = Number(st.blocks) * Number(st.bsize);
    const facts: Facts = { path: ctx.lxcpath, measuredAt: at, freeBytes: free, totalBytes: total };
    const gib = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);
    const sev: Severity = free < FREE_ERROR_BYTES ? 'error' : free < FREE_WARNING_BYTES ? 'warning' : 'ok';
    const text = `${gib(free)} free of ${gib(total)} in ${ctx.lxcpath}${at !== ctx.lxcpath ? ` (not made yet; measured at ${at})` : ''}`;
    out.push(finding(S, 'storage.lxcpath', 'Free space in the lxcpath', sev,
      sev === 'ok' ? text : sev === 'error' ? `${text}: a rootfs will not fit` : `${text}: room for small containers only`,
      { command: `free space on the file system of ${at}, or use --lxcpath on a larger one` }, facts));
  } catch (e) {
    out.push(finding(S, 'storage.lxcpath', 'Free space in the lxcpath', 'warning', `cannot measure free space at ${at}: ${(e as Error).message}`, undefined, { path: ctx.lxcpath }));
  }
  out.push(
    kernelItem(ctx, { section: S, id: 'storage.fuse', title: 'FUSE (for use with lxcfs)', options: ['CONFIG_FUSE_FS'], missing: 'warning',
      ok: 'lxcfs can give containers their own /proc/meminfo and /proc/cpuinfo', lost: 'no FUSE: lxcfs cannot run, containers see host totals in /proc', runtime: () => (exists(ctx.fs, '/sys/module/fuse') || exists(ctx.fs, '/sys/fs/fuse') ? true : null) }),
    kernelItem(ctx, { section: S, id: 'storage.overlay', title: 'OverlayFS', options: ['CONFIG_OVERLAY_FS'], missing: 'warning',
      ok: 'overlay snapshots (lxc-copy -s -B overlay) are available', lost: 'no overlayfs: snapshot clones must copy the whole rootfs', runtime: mod(ctx, 'overlay') }),
  );
  return out;
}

/**
 * Storage: one info finding per rootfs backing store (lxc-create(1) -B) saying whether lxdeck can
 * create on it here (core/rootfs/backings hostBackings) and, where a package is missing, the
 * remedy; for lvm, whether a volume group exists (`vgs`).
 */
export async function checkBackings(ctx: CheckContext): Promise<Finding[]> {
  const out: Finding[] = [];
  // not an LXC lxcpath (the LXD backend's `lxd:SOCKET`): LXD has storage pools of its own
  if (!ctx.lxcpath.startsWith('/')) return out;
  for (const b of hostBackings(ctx.lxcpath, ctx.fs)) {
    let reason = b.reason;
    const facts: Facts = { backing: b.backing, available: b.available };
    if (b.backing === 'btrfs') facts.lxcpathOnBtrfs = onBtrfs(ctx.fs.resolve(ctx.lxcpath));
    if (b.backing === 'lvm' && b.apt === undefined) {
      facts.thinPools = activeThinPools(ctx.fs);
      let vgs: string[] = [];
      try {
        const r = await ctx.runner.run('vgs', ['--noheadings', '-o', 'vg_name'], { timeoutMs: 10_000 });
        if (r.exitCode === 0) vgs = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      } catch {
        /* vgs not runnable */
      }
      facts.volumeGroups = vgs;
      reason += vgs.length ? `; volume groups: ${vgs.join(', ')}` : '; no volume group exists';
    }
    const remedy: Remedy | undefined = b.apt
      ? { apt: b.apt, zypper: b.apt === 'btrfs-progs' ? 'btrfsprogs' : b.apt, dnf: b.apt.replace('thin-provisioning-tools', 'device-mapper-persistent-data') }
      : b.backing === 'lvm' && !b.available
        ? { command: 'a volume group with a thin pool, as LXC expects by default: vgcreate lxc DEVICE && lvcreate --type thin-pool -L 10G -n lxc lxc (or name yours with lxdeck create --backing lvm --vgname VG --thinpool POOL)' }
      : b.backing === 'btrfs' && !b.available
        ? { command: `put the lxcpath on a btrfs file system (e.g. mkfs.btrfs DEV && mount DEV ${ctx.lxcpath})` }
        : b.backing === 'zfs'
          ? { command: "ZFS's tools (zfsutils-linux: Debian contrib, not main) and a pool made by hand, then lxc-create -B zfs" }
          : undefined;
    const f = finding('Storage', `storage.backing.${b.backing}`, `Backing store ${b.backing}`, 'info', `${b.available ? 'available' : 'not available'}: ${reason}`, remedy, facts);
    out.push(f);
  }
  return out;
}

function mod(ctx: CheckContext, m: string): () => boolean | null {
  return () => (exists(ctx.fs, `/sys/module/${m}`) ? true : null);
}
