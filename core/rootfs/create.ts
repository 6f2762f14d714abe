/**
 * The create path: checks every option before anything is written, builds the
 * container in a staging directory inside `<lxcpath>/.lxdeck/`, and renames it
 * into place; a failure, a cancel (AbortSignal: Esc, SIGINT, SIGTERM) removes
 * everything it made, and a staging directory left by a killed create
 * (SIGKILL, power loss) is swept by the next create once its owner is dead.
 *
 * Config keys follow lxc.container.conf(5): lxc.include, lxc.arch,
 * lxc.uts.name, lxc.rootfs.path, lxc.idmap, lxc.net.0.{type,link,flags,name,
 * hwaddr,veth.pair,ipv4.address,ipv4.gateway}, lxc.cgroup.* / lxc.cgroup2.*.
 */
import { addressingArgs } from '../suggest.js';
import { chownSync, existsSync, lstatSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { LxdeckError, isLxdeckError } from '../errors.js';
import { HostFs } from '../host/host-fs.js';
import { parseMountInfo } from '../host/mountinfo.js';
import { detectCgroupLayout, controllerDriver, joinPath, type CgroupLayout } from '../cgroup/layout.js';
import { checkCgroupFiles, limitToConfigChanges, sampleCgroupDir, type ConfigKeyValue, type Limits } from '../cgroup/limits.js';
import { LxcConfig, netInterfaces, readConfig } from '../lxc/config.js';
import { validateContainerName, validateIfName, vethName } from '../names.js';
import { randomHwaddr } from '../network/hwaddr.js';
import { type Cidr, contains, formatCidr, formatIpv4, maskOf, networkOf, parseCidr, parseIpv4 } from '../network/ipv4.js';
import { linkDelArgv } from '../network/ip-argv.js';
import { ensureRootSubids, idmapValues, IDMAP_SIZE, shiftRootfsOwnership, usedRanges, type SubidPaths } from '../idmap.js';
import { formatBytes, parseCpus, parseSize, SIZE_HINT, type LimitValue } from '../units.js';
import { mkdirInRootfs, writeFileInRootfs } from './safe-write.js';
import { ownerAlive, processStartTime } from '../hoststate/owner.js';
import type { HostState } from '../hoststate/index.js';
import type { Template } from './template.js';
import { checkApparmor, checkSeccomp, detectHostSecurity, securityConfigLines, securityWarnings, type ApparmorChoice, type HostSecurity, type SeccompChoice } from './security.js';
import { resolveOptions } from './template-options.js';
import type { ContainerInfo, CreateOptions, ProgressEvent } from '../types.js';
import { checkZfsHost, checkZfsRoot, removeDataset, zfsCreateArgv } from './zfs.js';
import { findProgram } from '../checkconfig/programs.js';
import { checkLvmHost, checkLvmName, checkLvmTarget, lastLine, lvcreateThinArgv, lvDevice, LVM_ENV, removeLv, type LvmTarget } from './lvm.js';

/** Where LXC keeps the config every container includes (lxc.include). */
export const LXC_COMMON_CONF = '/usr/share/lxc/config/common.conf';
/** What LXC's own templates include for an unprivileged container (clears device rules, keeps caps, sys:rw). */
export const LXC_USERNS_CONF = '/usr/share/lxc/config/userns.conf';
/** The file in a staging directory naming the process that builds it. */
export const STAGING_OWNER = 'owner.json';
/** Prefix of staging directories in `<lxcpath>/.lxdeck/`. */
export const STAGING_PREFIX = 'staging-';

/** What the create path needs from the engine. */
export interface CreateHost {
  lxcpath: string;
  /** `<lxcpath>/.lxdeck` */
  stateDir: string;
  defaultBridge: string;
  runner: Runner;
  /** the template called `name` */
  template(name: string): Template;
  /** makes sure the bridge exists, addressed and up; returns the host's address on it ("10.0.3.1/24") */
  ensureBridge(bridge: string): Promise<{ name: string; gateway: string }>;
  /** true when the link exists on the host */
  linkExists(dev: string): Promise<boolean>;
  /** forgets a bridge lxdeck remembered (its entry in the network state) */
  forgetBridge(bridge: string): Promise<void>;
  start(name: string): Promise<void>;
  info(name: string): Promise<ContainerInfo>;
  /** the host's cgroup layout; default detected from /proc/self/mountinfo */
  layout?: CgroupLayout;
  /** /etc/subuid and /etc/subgid; tests may point elsewhere */
  subidPaths?: SubidPaths;
  /** atomic writer for state and host files */
  atomicWrite(path: string, content: string, mode?: number): Promise<void>;
  /** the host-wide records: addresses per bridge and idmap ranges across every lxcpath (core/hoststate) */
  hostState: HostState;
}

/** The network part of a plan. */
export type NetPlan =
  | { mode: 'static'; ipv4?: Cidr; prefixGiven: boolean; gateway?: number }
  | { mode: 'dhcp' };

/** Every option of a create, checked and normalised; made before anything is written. */
export interface CreatePlan {
  name: string;
  templateName: string;
  template: Template;
  /** template options with the manifest's defaults filled in */
  options: Record<string, string>;
  bridge: string;
  net: NetPlan;
  hwaddr: string;
  vethPair: string;
  vethPairGiven: boolean;
  limits: Limits;
  /** config keys of `limits` for this host's cgroup layout (lxc.cgroup2.* on v2, lxc.cgroup.* on v1) */
  limitKeys: ConfigKeyValue[];
  privileged: boolean;
  /** lxc.apparmor.profile to write; undefined leaves LXC's default (no key) */
  apparmorProfile: ApparmorChoice;
  /** lxc.seccomp.profile: LXC's default (no key), none (the key cleared), or an absolute file path */
  seccomp: SeccompChoice;
  /** what the user should know before creating (unconfined AppArmor, no seccomp) */
  warnings: string[];
  start: boolean;
  /** the rootfs backing store: `dir`, `loop` with `sizeBytes`, `btrfs` (a subvolume, lxc.rootfs.path = btrfs:DIR) or `lvm` (a thin volume, lxc.rootfs.path = lvm:/dev/VG/NAME) */
  backing: Backing;
  /** the loop image's or thin volume's size in bytes (backing loop and lvm only) */
  sizeBytes?: number;
  /** the volume group and thin pool (backing lvm only) */
  lvm?: LvmTarget;
  /** the parent dataset (backing zfs only; an untested path, see core/rootfs/zfs.ts) */
  zfsRoot?: string;
}

/** The backing stores lxdeck builds a rootfs on (lxc-create -B); zfs is not built (its tools are not in Debian main). */
export const BACKINGS = ['dir', 'loop', 'btrfs', 'lvm'] as const;
/** The backing stores; `zfs` only where the `zfs` program is installed (core/rootfs/zfs.ts, untested). */
export type Backing = (typeof BACKINGS)[number] | 'zfs';
/** lxc-create's --fssize default for loop, lvm and zfs: 1 GiB. */
export const DEFAULT_LOOP_SIZE = 1024 ** 3;
/** The smallest loop image lxdeck makes: ext4's journal and a busybox rootfs fit. */
export const MIN_LOOP_SIZE = 16 * 1024 ** 2;
/** statfs(2) f_type of a btrfs file system (BTRFS_SUPER_MAGIC, linux/magic.h). */
export const BTRFS_SUPER_MAGIC = 0x9123683e;

/**
 * Checks `--backing`, `--size` and, for lvm, `--vgname` / `--thinpool` (lxc-create(1)'s -B, --fssize,
 * --vgname, --thinpool; LXC's defaults: 1 GiB, volume group `lxc`, thin pool `lxc`).
 * @throws LxdeckError E_USAGE (a backing store not built, --size without loop or lvm, a volume group without lvm), E_INVALID_VALUE (a size, an LVM name), E_MISSING_PROGRAM (zfs where the zfs program is not installed: exit status 1)
 */
export function checkBacking(
  backing: string | undefined,
  size: string | number | undefined,
  lvm: { vg?: string; thinpool?: string; zfsroot?: string } = {},
  host: { zfs?: boolean } = {},
): { backing: Backing; sizeBytes?: number; lvm?: LvmTarget; zfsRoot?: string } {
  const b = (backing ?? 'dir').trim();
  if (b !== 'zfs' && lvm.zfsroot !== undefined) throw new LxdeckError('E_USAGE', `--zfsroot belongs to --backing zfs, not ${b}`, { hint: 'add --backing zfs, or leave --zfsroot out', exitCode: 2 });
  if (b === 'zfs' && host.zfs) {
    if (size !== undefined) throw new LxdeckError('E_USAGE', '--size is the size of a loop image or LVM volume; a ZFS dataset takes none (set a quota with zfs set quota=)', { exitCode: 2 });
    if (lvm.vg !== undefined || lvm.thinpool !== undefined) throw new LxdeckError('E_USAGE', 'a volume group and thin pool belong to --backing lvm, not zfs', { exitCode: 2 });
    return { backing: 'zfs', zfsRoot: checkZfsRoot(lvm.zfsroot) };
  }
  // a host tool that is missing is the action failing here (exit status 1, as for btrfs and lvm), not bad usage
  if (b === 'zfs')
    throw new LxdeckError('E_MISSING_PROGRAM', '--backing zfs needs the zfs program, which is not installed', {
      hint: "install ZFS's tools (zfsutils-linux, in Debian's contrib, not main) and make a pool; then lxdeck create NAME --backing zfs --zfsroot POOL works (or lxc-create -B zfs)",
    });
  if (!(BACKINGS as readonly string[]).includes(b))
    throw new LxdeckError('E_USAGE', `backing store ${JSON.stringify(b)} is not one lxdeck builds`, {
      hint: `--backing takes ${BACKINGS.join(', ')} and zfs where the zfs program is installed${['overlay', 'overlayfs'].includes(b) ? `; for ${b} use lxc-create -B ${b} (lxdeck manages the container after)` : ''}`,
      exitCode: 2,
    });
  if (b !== 'lvm' && (lvm.vg !== undefined || lvm.thinpool !== undefined))
    throw new LxdeckError('E_USAGE', `a volume group and thin pool belong to --backing lvm, not ${b}`, { hint: 'add --backing lvm, or leave --vgname/--thinpool (vg=, thinpool=) out', exitCode: 2 });
  if (b !== 'loop' && b !== 'lvm') {
    if (size !== undefined) throw new LxdeckError('E_USAGE', `--size is the size of a loop image or LVM volume; backing ${b} takes none`, { hint: 'use --backing loop --size 2G, or leave --size out', exitCode: 2 });
    return { backing: b as Backing };
  }
  const what = b === 'loop' ? 'loop image' : 'LVM thin volume';
  let v;
  let why = '';
  try {
    v = size === undefined ? DEFAULT_LOOP_SIZE : typeof size === 'number' ? size : parseSize(size);
  } catch (e) {
    v = NaN;
    // the size grammar's own reason ("unknown unit "X"") says more than "not a size"
    why = `: ${(e as Error).message.replace(/^invalid size "[^"]*": /, '')}`;
  }
  if (v === 'max') why = ': an image or volume has a size, it cannot be unlimited';
  if (v === 'max' || !Number.isFinite(v) || v < MIN_LOOP_SIZE)
    throw new LxdeckError('E_INVALID_VALUE', `${what} size ${JSON.stringify(String(size))} is not a size of at least 16M${why}`, {
      hint: 'a number with K M G T (x1024: 512M, 2G, 1.5G) or kB MB GB TB (x1000); e.g. --size 2G',
      exitCode: 2,
    });
  const sizeBytes = Math.floor(v / 4096) * 4096;
  if (b === 'loop') return { backing: 'loop', sizeBytes };
  return { backing: 'lvm', sizeBytes, lvm: checkLvmTarget(lvm.vg, lvm.thinpool) };
}

/**
 * Whether `path` (or, when it does not exist yet, its nearest existing parent) lies on a
 * btrfs file system: statfs(2)'s f_type is BTRFS_SUPER_MAGIC.
 */
export function onBtrfs(path: string): boolean {
  let p = path;
  for (;;) {
    try {
      return statfsSync(p).type === BTRFS_SUPER_MAGIC;
    } catch {
      const up = dirname(p);
      if (up === p) return false;
      p = up;
    }
  }
}

/**
 * What `--backing btrfs` needs of the host, checked before anything is written: the lxcpath on a
 * btrfs file system (the rootfs is a subvolume of it, as lxc-create -B btrfs makes it) and the
 * `btrfs` program (btrfs-progs) on the PATH.
 * @throws LxdeckError E_CONFIG naming what is missing, with the remedy as the hint
 */
export async function checkBtrfsHost(runner: Runner, lxcpath: string): Promise<void> {
  if (!onBtrfs(lxcpath))
    throw new LxdeckError('E_CONFIG', `--backing btrfs needs the lxcpath on btrfs; ${lxcpath} is not`, {
      hint: 'use --backing dir or loop, or point LXDECK_LXCPATH (-P) at a directory on a btrfs file system',
    });
  let ok = false;
  try {
    ok = (await runner.run('btrfs', ['--version'], { timeoutMs: 10_000 })).exitCode === 0;
  } catch {
    ok = false;
  }
  if (!ok) throw new LxdeckError('E_CONFIG', '--backing btrfs needs the btrfs program, which is not installed', { hint: 'apt-get install btrfs-progs (zypper install btrfsprogs; dnf install btrfs-progs)' });
}

const HWADDR_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function usage(msg: string, hint?: string): LxdeckError {
  return new LxdeckError('E_USAGE', msg, { hint });
}

/**
 * Checks `hwaddr` for lxc.net.N.hwaddr: six hex octets separated by `:`,
 * a unicast address (bit 0 of the first octet clear), not all zero.
 * @returns the address in lower case
 * @throws LxdeckError E_INVALID_VALUE naming the rule
 */
export function validateHwaddr(hwaddr: string): string {
  const h = hwaddr.trim().toLowerCase();
  const hint = 'six hex octets separated by ":", e.g. 00:16:3e:12:34:56 (unicast: the first octet even)';
  if (!HWADDR_RE.test(h)) throw new LxdeckError('E_INVALID_VALUE', `MAC address ${JSON.stringify(hwaddr)} is not of the form xx:xx:xx:xx:xx:xx`, { hint });
  if ((parseInt(h.slice(0, 2), 16) & 1) === 1) throw new LxdeckError('E_INVALID_VALUE', `MAC address ${h} is a multicast address`, { hint });
  if (h === '00:00:00:00:00:00') throw new LxdeckError('E_INVALID_VALUE', 'MAC address 00:00:00:00:00:00 is not usable', { hint });
  return h;
}

function checkTemplateOptions(t: Template, given: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(given))
    if (typeof v !== 'string' || /[\n\r\0]/.test(v)) throw usage(`option ${k}: the value must be one line of text`);
  // the templates' own rule (unknown names, booleans, numbers), so the check here and the builder's agree
  return resolveOptions(t.manifest, given);
}

function sizeOf(what: string, v: string | number | undefined): LimitValue | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (v === -1) return 'max';
    if (!Number.isSafeInteger(v) || v < 0) throw new LxdeckError('E_INVALID_VALUE', `${what} ${v} is not a whole number of bytes`, { hint: SIZE_HINT });
    return v;
  }
  try {
    return parseSize(v);
  } catch (e) {
    if (isLxdeckError(e)) throw new LxdeckError(e.code, `${what}: ${e.message}`, { hint: e.hint });
    throw e;
  }
}

/**
 * Checks and normalises every create option; writes nothing and runs nothing
 * (the wizard calls it on its summary step).
 * @param env.layout the host's cgroup layout, to pick the config keys for limits
 * @param env.cgroupFs the host's files the layout was read from: when given, a limit whose cgroup
 *   file the host lacks is refused (limits.ts checkCgroupFiles, as `lxdeck limits` does)
 * @param env.template looks a template up by name (throws E_TEMPLATE for an unknown one)
 * @param env.security what the host has for AppArmor and seccomp; read from the host
 *   (detectHostSecurity, core/checkconfig's Security checks) only when an AppArmor profile is given
 * @throws LxdeckError E_NAME_INVALID (name), E_TEMPLATE (template), E_USAGE (options, conflicting
 *   flags), E_INVALID_VALUE (sizes per case U1, CPU numbers, addresses, MAC, interface names
 *   over IFNAMSIZ per case N2, an AppArmor profile name that is not a safe token or not loaded,
 *   a seccomp profile that is not an existing regular file in LXC's format), E_CONFIG (an
 *   AppArmor profile on a host without AppArmor; `generated` without apparmor_parser)
 */
export function planCreate(
  name: string,
  opts: CreateOptions,
  env: { defaultBridge: string; layout: CgroupLayout; template(name: string): Template; lxcpath?: string; security?: HostSecurity; cgroupFs?: HostFs },
): CreatePlan {
  validateContainerName(name);
  const templateName = opts.template ?? 'busybox';
  const template = env.template(templateName);
  const options = checkTemplateOptions(template, opts.options ?? {});

  const bridge = opts.bridge ?? env.defaultBridge;
  validateIfName(bridge, 'bridge name (lxc.net.0.link)');

  let net: NetPlan;
  if (opts.dhcp) {
    if (opts.ipv4 !== undefined) throw usage('--dhcp and --ipv4 exclude each other', 'give a static address, or DHCP, not both');
    if (opts.gateway !== undefined) throw usage('--gateway needs a static address (--ipv4); with --dhcp the DHCP server gives the gateway');
    net = { mode: 'dhcp' };
  } else if (opts.ipv4 !== undefined) {
    const c = parseCidr(opts.ipv4);
    const prefixGiven = opts.ipv4.includes('/');
    if (prefixGiven && c.prefix < 31) {
      const host = (c.addr & ~maskOf(c.prefix)) >>> 0;
      if (host === 0 || host === (~maskOf(c.prefix) >>> 0))
        throw new LxdeckError('E_INVALID_VALUE', `${opts.ipv4} is the ${host === 0 ? 'network' : 'broadcast'} address of its subnet`, { hint: 'give a host address, e.g. .2 to .254 of a /24' });
    }
    let gateway: number | undefined;
    if (opts.gateway !== undefined) {
      gateway = parseIpv4(opts.gateway);
      if (gateway === c.addr) throw new LxdeckError('E_INVALID_VALUE', `the gateway ${opts.gateway} is the container's own address`);
      if (prefixGiven && !contains(c, gateway))
        throw new LxdeckError('E_INVALID_VALUE', `the gateway ${opts.gateway} is not inside ${formatCidr(c)}`, { hint: 'a gateway must be on the container\'s subnet' });
    }
    net = { mode: 'static', ipv4: c, prefixGiven, gateway };
  } else {
    if (opts.gateway !== undefined) throw usage('--gateway needs --ipv4', 'e.g. --ipv4 10.0.3.5/24 --gateway 10.0.3.1');
    net = { mode: 'static', prefixGiven: false };
  }

  const hwaddr = opts.hwaddr !== undefined ? validateHwaddr(opts.hwaddr) : randomHwaddr();
  const vethPair = opts.vethPair ?? vethName(name, 0, env.lxcpath);
  validateIfName(vethPair, 'lxc.net.0.veth.pair');

  const limits: Limits = {};
  const memory = sizeOf('memory limit', opts.memory);
  if (memory !== undefined) limits.memory = memory;
  const swap = sizeOf('swap limit', opts.swap);
  if (swap !== undefined) limits.swap = swap;
  if (opts.cpus !== undefined) limits.cpus = typeof opts.cpus === 'string' ? parseCpus(opts.cpus) : opts.cpus;
  if (opts.cpuWeight !== undefined) {
    const w = typeof opts.cpuWeight === 'string' ? Number(opts.cpuWeight.trim()) : opts.cpuWeight;
    if (!Number.isInteger(w) || w < 1 || w > 10000)
      throw new LxdeckError('E_INVALID_VALUE', `CPU weight ${JSON.stringify(String(opts.cpuWeight))} is not a whole number 1..10000`, { hint: 'the default weight is 100; 200 gets twice the CPU time of a default container under contention' });
    limits.cpuWeight = w;
  }
  const changes = limitToConfigChanges(limits, env.layout);
  const limitKeys = changes.set;
  const cgFs = env.cgroupFs;
  if (cgFs) checkCgroupFiles(cgFs, changes.writes, (w) => sampleCgroupDir(cgFs, env.layout, w.driver, w.controller), true);
  if (limits.swap !== undefined && controllerDriver('memory', env.layout) === 'v1') {
    const memsw = joinPath(env.layout.v1.memory, 'memory.memsw.limit_in_bytes');
    if (!existsSync(memsw))
      throw new LxdeckError('E_INVALID_VALUE', 'this host cannot limit swap: cgroup v1 memory has no memory.memsw.limit_in_bytes', {
        hint: 'boot with swapaccount=1 to enable swap accounting, or leave --swap out',
      });
  }
  const aaGiven = opts.apparmorProfile !== undefined && opts.apparmorProfile.trim() !== '' && opts.apparmorProfile.trim() !== 'default';
  const apparmorProfile = checkApparmor(opts.apparmorProfile, aaGiven ? (env.security ?? detectHostSecurity()) : NO_APPARMOR_NEEDED);
  const seccomp = checkSeccomp(opts.seccompProfile);
  const backing = checkBacking(opts.backing, opts.size, { vg: opts.vgname, thinpool: opts.thinpool, zfsroot: opts.zfsroot }, { zfs: opts.backing?.trim() === 'zfs' && findProgram(new HostFs('/'), 'zfs') !== null });
  // LXC names the thin volume after the container (lxc-create -B lvm without --lvname)
  if (backing.backing === 'lvm') checkLvmName('logical volume', name);
  return {
    ...backing,
    name,
    templateName,
    template,
    options,
    bridge,
    net,
    hwaddr,
    vethPair,
    vethPairGiven: opts.vethPair !== undefined,
    limits,
    limitKeys,
    privileged: opts.privileged === true,
    apparmorProfile,
    seccomp,
    warnings: securityWarnings(apparmorProfile, seccomp),
    start: opts.start === true,
  };
}

/** Stands in for the host when no AppArmor profile is given (checkApparmor then looks at nothing). */
const NO_APPARMOR_NEEDED: HostSecurity = { apparmor: false, apparmorParser: null, apparmorProfiles: null, seccomp: null, defaultSeccompProfile: null };

/** What lxc-* sees as `lxc.arch` for this Node's architecture. */
function lxcArch(): string {
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
}

/** The resolved parts a config needs besides the plan. */
export interface ConfigInputs {
  /** final container directory `<lxcpath>/<name>` */
  dir: string;
  /** "A.B.C.D/N" for static */
  ipv4?: string;
  gateway?: string;
  /** first host id of the container's range, for unprivileged */
  idmapBase?: number;
  /** config keys the template returned */
  templateConfig: [string, string][];
  /** ISO time */
  created: string;
}

/**
 * The exact config text a create writes (lxc.container.conf(5)); the wizard's summary
 * shows it. Keys: includes (common.conf, userns.conf where they exist), arch, uts.name,
 * rootfs.path, the template's keys, lxc.idmap (unprivileged), lxc.net.0.*,
 * lxc.apparmor.profile and lxc.seccomp.profile (only when not LXC's default), limits.
 */
export function renderConfig(plan: CreatePlan, inp: ConfigInputs): string {
  const lines: string[] = [`# Container ${plan.name}, made by lxdeck from template ${plan.templateName} on ${inp.created}`];
  if (existsSync(LXC_COMMON_CONF)) lines.push(`lxc.include = ${LXC_COMMON_CONF}`);
  if (!plan.privileged && existsSync(LXC_USERNS_CONF)) lines.push(`lxc.include = ${LXC_USERNS_CONF}`);
  lines.push(`lxc.arch = ${lxcArch()}`, `lxc.uts.name = ${plan.name}`, plan.backing === 'loop' ? `lxc.rootfs.path = loop:${join(inp.dir, 'rootdev')}` : plan.backing === 'btrfs' ? `lxc.rootfs.path = btrfs:${join(inp.dir, 'rootfs')}` : plan.backing === 'lvm' ? `lxc.rootfs.path = lvm:${lvDevice(plan.lvm!.vg, plan.name)}` : plan.backing === 'zfs' ? `lxc.rootfs.path = zfs:${plan.zfsRoot}/${plan.name}` : `lxc.rootfs.path = dir:${join(inp.dir, 'rootfs')}`);
  if (inp.templateConfig.length) lines.push('', `# from the ${plan.templateName} template`);
  for (const [k, v] of inp.templateConfig) lines.push(`${k} = ${v}`);
  if (!plan.privileged) {
    if (inp.idmapBase === undefined) throw new Error('renderConfig: an unprivileged container needs idmapBase');
    const [u, g] = idmapValues(inp.idmapBase);
    lines.push('', `# unprivileged: ids 0-${IDMAP_SIZE - 1} inside are ${inp.idmapBase}-${inp.idmapBase + IDMAP_SIZE - 1} on the host`, `lxc.idmap = ${u}`, `lxc.idmap = ${g}`);
  } else {
    lines.push('', '# privileged: root in the container is root on the host');
  }
  lines.push(...securityConfigLines(plan.apparmorProfile, plan.seccomp));
  lines.push(
    '',
    plan.net.mode === 'dhcp' ? '# network: a veth on the bridge; the address comes from DHCP' : '# network: a veth on the bridge with a static address',
    'lxc.net.0.type = veth',
    `lxc.net.0.link = ${plan.bridge}`,
    'lxc.net.0.flags = up',
    'lxc.net.0.name = eth0',
    `lxc.net.0.hwaddr = ${plan.hwaddr}`,
    `lxc.net.0.veth.pair = ${plan.vethPair}`,
  );
  if (plan.net.mode === 'static' && inp.ipv4) {
    lines.push(`lxc.net.0.ipv4.address = ${inp.ipv4}`);
    if (inp.gateway) lines.push(`lxc.net.0.ipv4.gateway = ${inp.gateway}`);
  }
  if (plan.limitKeys.length) {
    lines.push('', '# resources');
    for (const kv of plan.limitKeys) lines.push(`${kv.key} = ${kv.value}`);
  }
  const text = `${lines.join('\n')}\n`;
  LxcConfig.parse(text); // the engine's own reader must take what it writes
  return text;
}

// ------------------------------------------------------------ staging owners

/** What a staging directory's owner file records: who builds it and what it reserved. */
export interface StagingOwner {
  pid: number;
  /** field 22 of /proc/PID/stat (clock ticks since boot), so a reused PID is not taken for the owner */
  startTime: string | null;
  name: string;
  ipv4?: string;
  idmapBase?: number;
  vethPair: string;
  bridge: string;
  /** the thin volume this create made (backing lvm), once lvcreate is about to run */
  lv?: { vg: string; lv: string };
  /** the dataset this create made (backing zfs) */
  zfs?: string;
}

export { processStartTime, ownerAlive } from '../hoststate/owner.js';

/** Mount points at or below `dir` (deepest first), from /proc/self/mountinfo. */
function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return parseMountInfo(text)
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** True when `path` is the root of a btrfs subvolume (on btrfs, a subvolume's root directory is inode 256). */
export function isBtrfsSubvolume(path: string): boolean {
  try {
    return statSync(path).ino === 256 && statfsSync(path).type === BTRFS_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Removes a staging directory; a mount a template left inside (proc, a bind mount)
 * is detached first (`umount --lazy`), so removing never reaches into a host file system.
 * @throws LxdeckError E_COMMAND when a mount cannot be detached (the directory is kept)
 */
export async function removeStaging(runner: Runner, dir: string): Promise<void> {
  for (const mp of mountsUnder(dir)) {
    const r = await runner.run('umount', ['--lazy', mp], { timeoutMs: 10_000 });
    if (r.exitCode !== 0) throw new LxdeckError('E_COMMAND', `cannot detach ${mp} inside ${dir}: ${r.stderr.trim()}`, { hint: `umount it by hand, then remove ${dir}` });
  }
  // a btrfs rootfs is a subvolume (inode 256 on btrfs): deleted as one, as lxc-destroy does
  const rootfs = join(dir, 'rootfs');
  if (isBtrfsSubvolume(rootfs)) await runner.run('btrfs', ['subvolume', 'delete', rootfs], { timeoutMs: 120_000 });
  await rm(dir, { recursive: true, force: true });
}

async function readOwner(dir: string): Promise<StagingOwner | null> {
  try {
    return JSON.parse(await readFile(join(dir, STAGING_OWNER), 'utf8')) as StagingOwner;
  } catch {
    return null;
  }
}

/**
 * Removes staging directories whose creator is dead (a create killed with SIGKILL).
 * Call it holding the create lock: a staging directory gets its owner file under that
 * lock, so one without an owner file is stale too.
 * @returns the live owners (their reservations count as taken)
 */
export async function sweepStaging(runner: Runner, stateDir: string, onLine?: (line: string) => void): Promise<StagingOwner[]> {
  let entries: string[];
  try {
    entries = await readdir(stateDir);
  } catch {
    return [];
  }
  const live: StagingOwner[] = [];
  for (const e of entries) {
    if (!e.startsWith(STAGING_PREFIX)) continue;
    const dir = join(stateDir, e);
    const owner = await readOwner(dir);
    if (owner && ownerAlive(owner)) {
      live.push(owner);
      continue;
    }
    onLine?.(`removing ${e}, left by a create that did not finish${owner ? ` (pid ${owner.pid} is gone)` : ''}${owner?.lv ? `, and its thin volume ${owner.lv.vg}/${owner.lv.lv}` : ''}`);
    try {
      if (owner?.lv) await removeLv(runner, owner.lv.vg, owner.lv.lv);
      if (owner?.zfs) await removeDataset(runner, owner.zfs);
      await removeStaging(runner, dir);
    } catch (err) {
      onLine?.(`could not remove ${dir}: ${(err as Error).message}`);
    }
  }
  return live;
}

// ------------------------------------------------------------ what is taken

interface Taken {
  addresses: number[];
  idmapValues: string[];
  vethPairs: string[];
  links: string[];
}

async function scanLxcpath(lxcpath: string): Promise<Taken> {
  const t: Taken = { addresses: [], idmapValues: [], vethPairs: [], links: [] };
  let entries: string[];
  try {
    entries = await readdir(lxcpath);
  } catch {
    return t;
  }
  for (const e of entries) {
    if (e.startsWith('.')) continue;
    let cfg: LxcConfig;
    try {
      cfg = await readConfig(join(lxcpath, e, 'config'));
    } catch {
      continue;
    }
    t.idmapValues.push(...cfg.getAll('lxc.idmap'));
    for (const n of netInterfaces(cfg)) {
      if (n.vethPair) t.vethPairs.push(n.vethPair);
      if (n.link) t.links.push(n.link);
      for (const a of n.ipv4) {
        try {
          t.addresses.push(parseCidr(a).addr);
        } catch {
          /* reported by validateConfig */
        }
      }
    }
  }
  return t;
}

// ------------------------------------------------------------ the lock

async function withCreateLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  const release = await (await import('proper-lockfile')).default.lock(stateDir, {
    lockfilePath: join(stateDir, 'create.lock'),
    // held only for short sections (allocation, the final rename); a dead holder's lock is stale after 10 s
    stale: 10_000,
    retries: { retries: 150, minTimeout: 100, maxTimeout: 500 },
    onCompromised: (e) => {
      compromised = e;
    },
  });
  try {
    const r = await fn();
    if (compromised) throw new LxdeckError('E_COMMAND', `the create lock in ${stateDir} was taken over: ${compromised.message}`);
    return r;
  } finally {
    await release().catch(() => undefined);
  }
}

// ------------------------------------------------------------ create

interface Sidecar {
  template: string;
  created: string;
  unprivileged: boolean;
  idmapBase?: number;
  lxdeckVersion?: string;
  /** the backing store when not dir */
  backing?: Backing;
  /** backing lvm: the volume group and thin pool */
  lvm?: LvmTarget;
}

/**
 * True when a process running as host uid `uid` (not root) can reach `dir`:
 * every directory from `/` down has the "others" search bit (or is owned by uid).
 */
function searchableBy(dir: string, uid: number): boolean {
  const parts = dir.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    const st = statSync(p);
    if (st.uid === uid ? (st.mode & 0o100) === 0 : (st.mode & 0o001) === 0) return false;
  }
  return true;
}

/**
 * Creates a container (see the module comment). Order: every check
 * ({@link planCreate}); under the create lock: sweep dead staging directories, the
 * bridge, the address, the veth name, the idmap range, and the staging directory
 * with its owner file; then the template (outside the lock), the hostname (written
 * with symlink-safe writes, case T1), the ownership shift for an unprivileged
 * container, config and sidecar; under the lock again: the rename into place.
 * On any failure or cancel: the staging directory is removed, a bridge this create
 * made (and no other container uses) is deleted, and a `.lxdeck` directory or
 * lxcpath this create made is removed, so the lxcpath is as it was.
 * @throws LxdeckError E_NAME_INVALID, E_EXISTS, E_TEMPLATE, E_USAGE, E_INVALID_VALUE,
 *   E_NETWORK, E_CONFIG (no subordinate ids left), E_CANCELLED, E_UNSAFE_PATH, and
 *   from `--start` E_COMMAND / E_TIMEOUT (the container is then made but not running)
 */
export async function createContainer(host: CreateHost, name: string, opts: CreateOptions = {}): Promise<ContainerInfo> {
  const progress = (ev: ProgressEvent) => opts.onProgress?.(ev);
  const signal = opts.signal;
  const cancelled = () => new LxdeckError('E_CANCELLED', `create of ${name} cancelled; nothing was left behind`);
  const layout = host.layout ?? detectCgroupLayout(new HostFs('/'));
  const plan = planCreate(name, opts, {
    defaultBridge: host.defaultBridge,
    layout,
    template: (t) => host.template(t),
    lxcpath: host.lxcpath,
    ...(host.layout ? {} : { cgroupFs: new HostFs('/') }),
  });
  if (plan.backing === 'btrfs') await checkBtrfsHost(host.runner, host.lxcpath);
  if (plan.backing === 'lvm') await checkLvmHost(host.runner, plan.lvm!, name);
  if (plan.backing === 'zfs') await checkZfsHost(host.runner, plan.zfsRoot!, name);
  const final = join(host.lxcpath, name);
  const exists = () => new LxdeckError('E_EXISTS', `a container named ${name} already exists in ${host.lxcpath}`, { hint: 'choose another name, or destroy it first' });
  if (existsSync(final)) throw exists();
  if (signal?.aborted) throw cancelled();

  const lxcpathExisted = existsSync(host.lxcpath);
  const stateExisted = existsSync(host.stateDir);
  let staging: string | undefined;
  let bridgeMade = false;
  let hostReserved = false;
  let subidNote: string[] = [];
  let lxcpathModeBefore: number | undefined;
  /** the thin volume this create made (backing lvm), removed again on failure */
  let lvMade: { vg: string; lv: string } | undefined;
  /** the dataset this create made (backing zfs), destroyed again on failure */
  let zfsMade: string | undefined;
  try {
    progress({ phase: 'check', fraction: 0, line: `template ${plan.templateName}, bridge ${plan.bridge}, ${plan.privileged ? 'privileged' : 'unprivileged'}` });
    for (const w of plan.warnings) progress({ phase: 'warning', line: w });
    await mkdir(host.stateDir, { recursive: true, mode: 0o700 });

    // ---- reservations, under the lock
    const reserved = await withCreateLock(host.stateDir, async () => {
      const live = await sweepStaging(host.runner, host.stateDir, (line) => progress({ phase: 'check', line }));
      if (existsSync(final)) throw exists();
      if (live.some((o) => o.name === name))
        throw new LxdeckError('E_EXISTS', `a container named ${name} is being created in ${host.lxcpath} right now`, { hint: 'wait for that create to finish, or choose another name' });
      const taken = await scanLxcpath(host.lxcpath);

      progress({ phase: 'network', fraction: 0.02, line: `bridge ${plan.bridge}` });
      const hadLink = await host.linkExists(plan.bridge);
      const br = await host.ensureBridge(plan.bridge);
      bridgeMade = !hadLink;
      const gw = parseCidr(br.gateway);
      if (bridgeMade) {
        // a one-off verb changed the host's network: say what it made and how to undo it, and which bridge the
        // lxcpath's other containers use when it is another one (a forgotten --bridge)
        const others = [...new Set(taken.links)].filter((l) => l !== plan.bridge);
        progress({
          phase: 'warning',
          line:
            `made the host bridge ${plan.bridge} (${br.gateway}, up) for ${name}; it stays when the container goes (another lxcpath may use it). ` +
            `To remove it once no container uses it: ip link del ${plan.bridge}, and its record bridges/${plan.bridge}.json in the host state directory (/var/lib/lxdeck or LXDECK_STATE_DIR)` +
            (others.length ? `. The other containers of ${host.lxcpath} use ${others.join(', ')}: --bridge ${others[0]} joins them` : ''),
        });
      }

      let ipv4: string | undefined;
      let gateway: string | undefined;
      if (plan.net.mode === 'static') {
        // this lxcpath's addresses on any bridge and creates in flight here, plus (in the host record) every
        // container of every lxcpath on this bridge and what is live on it
        const alsoTaken = [...taken.addresses, ...live.flatMap((o) => (o.ipv4 ? [parseCidr(o.ipv4).addr] : []))];
        let want: Cidr | undefined;
        if (plan.net.ipv4) {
          want = { ...plan.net.ipv4 };
          if (!plan.net.prefixGiven) want.prefix = gw.prefix;
          if (plan.net.gateway === undefined && !(contains(gw, want.addr) && networkOf(gw) === networkOf(want)))
            throw new LxdeckError('E_NETWORK', `${formatCidr(want)} is not on the subnet of the bridge ${plan.bridge} (${formatCidr({ addr: networkOf(gw), prefix: gw.prefix })}): the container could not reach the host`, {
              hint: `give an address inside ${formatCidr({ addr: networkOf(gw), prefix: gw.prefix })}, or add --gateway when you route that subnet yourself`,
            });
        }
        const hs = host.hostState;
        const addr = await hs.withLock(() => hs.reserveAddressLocked({ bridge: plan.bridge, lxcpath: host.lxcpath, name, gateway: gw, hwaddr: plan.hwaddr, want, alsoTaken }));
        hostReserved = true;
        ipv4 = formatCidr(addr);
        if (plan.net.gateway !== undefined) gateway = formatIpv4(plan.net.gateway);
        else if (contains(gw, addr.addr) && networkOf(gw) === networkOf(addr)) gateway = formatIpv4(gw.addr);
      }

      if (taken.vethPairs.includes(plan.vethPair) || live.some((o) => o.vethPair === plan.vethPair))
        throw new LxdeckError('E_NETWORK', `host interface name ${plan.vethPair} (lxc.net.0.veth.pair) is already used by another container in ${host.lxcpath}`, { hint: 'give another --veth-pair, or leave it out' });
      if (plan.vethPairGiven && (await host.linkExists(plan.vethPair)))
        throw new LxdeckError('E_NETWORK', `a network interface named ${plan.vethPair} already exists on this host`, { hint: 'give another --veth-pair, or leave it out' });

      let idmapBase: number | undefined;
      if (!plan.privileged) {
        progress({ phase: 'idmap', fraction: 0.04 });
        const sub = await ensureRootSubids((p, t, m) => host.atomicWrite(p, t, m), host.subidPaths);
        subidNote = sub.added;
        for (const a of sub.added) progress({ phase: 'idmap', line: `added ${a} (root had no subordinate ids; newuidmap needs them)` });
        // this lxcpath's ranges and creates in flight here, plus (in the host record) every lxcpath's and every live user namespace's
        const alsoUsed = usedRanges([...taken.idmapValues, ...live.flatMap((o) => (o.idmapBase !== undefined ? idmapValues(o.idmapBase) : []))]);
        const hs = host.hostState;
        idmapBase = await hs.withLock(() => hs.reserveIdmapLocked({ lxcpath: host.lxcpath, name, available: sub.ranges, alsoUsed }));
        hostReserved = true;
        progress({ phase: 'idmap', line: `host ids ${idmapBase}-${idmapBase + IDMAP_SIZE - 1} map to 0-${IDMAP_SIZE - 1} inside` });
      }

      staging = join(host.stateDir, `${STAGING_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
      await mkdir(staging, { recursive: true, mode: 0o755 });
      await chmod(staging, 0o755);
      if (plan.backing === 'btrfs') {
        // the rootfs a subvolume of the lxcpath's file system, the template built straight into it;
        // the rename into place below moves it with its directory (same file system)
        const sv = await host.runner.run('btrfs', ['subvolume', 'create', join(staging, 'rootfs')], { timeoutMs: 60_000 });
        if (sv.exitCode !== 0)
          throw new LxdeckError('E_COMMAND', `btrfs subvolume create for ${name} failed: ${sv.stderr.trim().split('\n').pop() ?? `exit ${sv.exitCode}`}`, { hint: `${host.stateDir} must be on the lxcpath's btrfs file system` });
        await chmod(join(staging, 'rootfs'), 0o755);
      } else await mkdir(join(staging, 'rootfs'), { mode: 0o755 });
      const owner: StagingOwner = { pid: process.pid, startTime: processStartTime(process.pid), name, ipv4, idmapBase, vethPair: plan.vethPair, bridge: plan.bridge };
      await writeFile(join(staging, STAGING_OWNER), `${JSON.stringify(owner)}\n`, { mode: 0o600 });
      return { ipv4, gateway, idmapBase };
    });
    if (signal?.aborted) throw cancelled();

    // ---- the rootfs
    const rootfs = join(staging!, 'rootfs');
    progress({ phase: 'rootfs', fraction: 0.05, line: `template ${plan.templateName}` });
    let built;
    try {
      built = await plan.template.build({
        name,
        rootfs,
        options: plan.options,
        runner: host.runner,
        onProgress: (ev) => progress({ ...ev, fraction: ev.fraction === undefined ? undefined : 0.05 + ev.fraction * 0.8 }),
        signal,
      });
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      throw e;
    }
    if (signal?.aborted) throw cancelled();

    // the hostname: never written through a symlink out of the rootfs (T1)
    mkdirInRootfs(rootfs, 'etc'); // an image may have no /etc (an OCI scratch image)
    writeFileInRootfs(rootfs, 'etc/hostname', `${name}\n`);

    if (reserved.idmapBase !== undefined) {
      progress({ phase: 'idmap', fraction: 0.86, line: `shifting the rootfs ownership by ${reserved.idmapBase}` });
      const r = await shiftRootfsOwnership(rootfs, reserved.idmapBase, { signal });
      progress({ phase: 'idmap', line: `${r.entries} files shifted${r.modesRestored ? `, setuid/setgid kept on ${r.modesRestored}` : ''}` });
    }
    if (signal?.aborted) throw cancelled();

    if (plan.backing === 'loop') {
      // an ext4 image made from the rootfs directory as it is (mke2fs -d keeps owners, modes and
      // links: the shifted ids of an unprivileged container too); no loop device is needed here
      progress({ phase: 'rootfs', fraction: 0.88, line: `ext4 image ${formatBytes(plan.sizeBytes!)} from the rootfs (mke2fs -d)` });
      const image = join(staging!, 'rootdev');
      // the image's root directory is made by mke2fs, not copied: give it the rootfs's owner (root inside)
      const owner = reserved.idmapBase !== undefined ? `${reserved.idmapBase}:${reserved.idmapBase}` : '0:0';
      lostFoundOwnedBy(rootfs, reserved.idmapBase);
      const r = await host.runner.run('mke2fs', ['-q', '-F', '-t', 'ext4', '-E', `root_owner=${owner}`, '-d', rootfs, image, `${plan.sizeBytes! / 1024}k`], { timeoutMs: 30 * 60_000, signal });
      if (signal?.aborted) throw cancelled();
      if (r.exitCode !== 0)
        throw new LxdeckError('E_COMMAND', `making the loop image of ${name} failed: ${r.stderr.trim().split('\n').filter(Boolean).pop() ?? `mke2fs exit ${r.exitCode}`}`, {
          hint: /No space|Could not allocate|too small/i.test(r.stderr) ? `the rootfs does not fit in ${formatBytes(plan.sizeBytes!)}: give a larger --size` : 'mke2fs comes with e2fsprogs',
        });
      // the directory stays, empty: LXC's mount point for the image as lxc-create -B loop leaves it
      await rm(rootfs, { recursive: true, force: true });
      await mkdir(rootfs, { mode: 0o755 });
    }

    if (plan.backing === 'lvm') {
      // a thin volume named after the container (lxc-create -B lvm), then ext4 made from the rootfs
      // directory as it is (mke2fs -d: owners, modes, links, the shifted ids too), as for loop
      const t = plan.lvm!;
      const dev = lvDevice(t.vg, name);
      // the owner file names the volume first, so a create killed from here on has it removed by the next sweep
      const ownerPath = join(staging!, STAGING_OWNER);
      const ow = JSON.parse(await readFile(ownerPath, 'utf8')) as StagingOwner;
      // (atomically: another create's sweep reads it, and an unreadable owner file means a dead create)
      await host.atomicWrite(ownerPath, `${JSON.stringify({ ...ow, lv: { vg: t.vg, lv: name } })}\n`, 0o600);
      progress({ phase: 'rootfs', fraction: 0.87, line: `thin volume ${t.vg}/${name} of ${formatBytes(plan.sizeBytes!)} in the pool ${t.vg}/${t.thinpool} (lvcreate)` });
      const lc = await host.runner.run('lvcreate', lvcreateThinArgv(t, name, plan.sizeBytes!), { timeoutMs: 120_000, env: LVM_ENV });
      if (lc.exitCode !== 0) {
        // a volume made before lvcreate failed (it can fail after making it) is removed too
        lvMade = { vg: t.vg, lv: name };
        throw new LxdeckError('E_COMMAND', `lvcreate of ${t.vg}/${name} failed: ${lastLine(lc.stderr) ?? `exit ${lc.exitCode}`}`, {
          hint: /insufficient|free space|exceed/i.test(lc.stderr) ? `the thin pool ${t.vg}/${t.thinpool} is full: extend it (lvextend -L +1G ${t.vg}/${t.thinpool}) or give a smaller --size` : `the command was: lvcreate ${lvcreateThinArgv(t, name, plan.sizeBytes!).join(' ')}`,
        });
      }
      lvMade = { vg: t.vg, lv: name };
      if (signal?.aborted) throw cancelled();
      progress({ phase: 'rootfs', fraction: 0.9, line: `ext4 on ${dev} from the rootfs (mke2fs -d)` });
      const owner = reserved.idmapBase !== undefined ? `${reserved.idmapBase}:${reserved.idmapBase}` : '0:0';
      lostFoundOwnedBy(rootfs, reserved.idmapBase);
      const r = await host.runner.run('mke2fs', ['-q', '-F', '-t', 'ext4', '-E', `root_owner=${owner}`, '-d', rootfs, dev], { timeoutMs: 30 * 60_000, signal });
      if (signal?.aborted) throw cancelled();
      if (r.exitCode !== 0)
        throw new LxdeckError('E_COMMAND', `making the file system of ${name} on ${dev} failed: ${lastLine(r.stderr) ?? `mke2fs exit ${r.exitCode}`}`, {
          hint: /No space|Could not allocate|too small/i.test(r.stderr) ? `the rootfs does not fit in ${formatBytes(plan.sizeBytes!)}: give a larger --size` : 'mke2fs comes with e2fsprogs',
        });
      // the directory stays, empty: LXC's mount point for the volume as lxc-create -B lvm leaves it
      await rm(rootfs, { recursive: true, force: true });
      await mkdir(rootfs, { mode: 0o755 });
    }

    if (plan.backing === 'zfs') {
      // UNTESTED (core/rootfs/zfs.ts): the dataset as lxc-create -B zfs makes it, filled from the
      // built rootfs through a temporary mount (cp -a keeps owners, modes, links, xattrs)
      const dataset = `${plan.zfsRoot}/${name}`;
      const ownerPath = join(staging!, STAGING_OWNER);
      const ow = JSON.parse(await readFile(ownerPath, 'utf8')) as StagingOwner;
      await host.atomicWrite(ownerPath, `${JSON.stringify({ ...ow, zfs: dataset })}\n`, 0o600);
      progress({ phase: 'rootfs', fraction: 0.87, line: `ZFS dataset ${dataset} (zfs create)` });
      zfsMade = dataset;
      const zc = await host.runner.run('zfs', zfsCreateArgv(dataset, join(final, 'rootfs')), { timeoutMs: 120_000 });
      if (zc.exitCode !== 0) throw new LxdeckError('E_COMMAND', `zfs create ${dataset} failed: ${lastLine(zc.stderr) ?? `exit ${zc.exitCode}`}`, { hint: `the command was: zfs ${zfsCreateArgv(dataset, join(final, 'rootfs')).join(' ')}` });
      const mnt = join(staging!, 'zfs-mnt');
      await mkdir(mnt, { mode: 0o755 });
      const mo = await host.runner.run('mount', ['-t', 'zfs', '-o', 'zfsutil', dataset, mnt], { timeoutMs: 60_000 });
      if (mo.exitCode !== 0) throw new LxdeckError('E_COMMAND', `mounting ${dataset} failed: ${lastLine(mo.stderr) ?? `exit ${mo.exitCode}`}`);
      try {
        const cp = await host.runner.run('cp', ['-a', `${rootfs}/.`, `${mnt}/`], { timeoutMs: 30 * 60_000, signal });
        if (cp.exitCode !== 0) throw new LxdeckError('E_COMMAND', `copying the rootfs of ${name} onto ${dataset} failed: ${lastLine(cp.stderr) ?? `exit ${cp.exitCode}`}`);
      } finally {
        await host.runner.run('umount', [mnt], { timeoutMs: 60_000 });
      }
      await rmdir(mnt);
      await rm(rootfs, { recursive: true, force: true });
      await mkdir(rootfs, { mode: 0o755 });
    }

    progress({ phase: 'config', fraction: 0.92 });
    const created = new Date().toISOString();
    const text = renderConfig(plan, { dir: final, ipv4: reserved.ipv4, gateway: reserved.gateway, idmapBase: reserved.idmapBase, templateConfig: built.config, created });
    await writeFile(join(staging!, 'config'), text, { mode: 0o640 });
    const side: Sidecar = { template: plan.templateName, created, unprivileged: !plan.privileged, ...(reserved.idmapBase !== undefined ? { idmapBase: reserved.idmapBase } : {}), ...(plan.backing !== 'dir' ? { backing: plan.backing } : {}), ...(plan.lvm ? { lvm: plan.lvm } : {}) };
    await writeFile(join(staging!, 'lxdeck.json'), `${JSON.stringify(side, null, 2)}\n`, { mode: 0o644 });
    if (signal?.aborted) throw cancelled();

    // ---- into place, under the lock
    progress({ phase: 'install', fraction: 0.97 });
    await withCreateLock(host.stateDir, async () => {
      if (existsSync(final)) throw exists();
      if (signal?.aborted) throw cancelled();
      // an unprivileged container's root (host uid BASE) must be able to reach its rootfs
      if (reserved.idmapBase !== undefined && !searchableBy(host.lxcpath, reserved.idmapBase)) {
        lxcpathModeBefore = statSync(host.lxcpath).mode & 0o7777;
        await chmod(host.lxcpath, lxcpathModeBefore | 0o001);
        progress({ phase: 'install', line: `added the search bit for others to ${host.lxcpath} (o+x) so unprivileged containers can reach their rootfs` });
        if (!searchableBy(host.lxcpath, reserved.idmapBase))
          throw new LxdeckError('E_CONFIG', `an unprivileged container's root (host uid ${reserved.idmapBase}) cannot reach ${host.lxcpath}: a parent directory lacks the search bit for others`, {
            hint: `chmod o+x each parent of ${host.lxcpath}, or use --privileged`,
          });
      }
      await unlink(join(staging!, STAGING_OWNER));
      // the container directory is owned by the container's own root, as lxc-create makes it
      // (do_create_container_dir chowns it to the mapped root); host root for a privileged one
      if (reserved.idmapBase !== undefined) await chown(staging!, reserved.idmapBase, reserved.idmapBase);
      await rename(staging!, final);
      staging = undefined;
      lvMade = undefined; // the container's now
      zfsMade = undefined;
    });
  } catch (e) {
    await cleanupFailed();
    throw e;
  }

  async function cleanupFailed(): Promise<void> {
    if (lvMade) await removeLv(host.runner, lvMade.vg, lvMade.lv).catch(() => undefined);
    if (zfsMade) await removeDataset(host.runner, zfsMade).catch(() => undefined);
    if (staging) await removeStaging(host.runner, staging).catch(() => undefined);
    // this create's own pending reservations in the host records (never another container's entries)
    if (hostReserved) await host.hostState.releasePending(host.lxcpath, name).catch(() => undefined);
    if (lxcpathModeBefore !== undefined) await chmod(host.lxcpath, lxcpathModeBefore).catch(() => undefined);
    if (bridgeMade) {
      // delete the bridge only when no container (made or being made) names it
      await withCreateLock(host.stateDir, async () => {
        const taken = await scanLxcpath(host.lxcpath);
        const live = await sweepStaging(host.runner, host.stateDir);
        if (taken.links.includes(plan.bridge) || live.some((o) => o.bridge === plan.bridge)) return;
        await host.runner.run('ip', linkDelArgv(plan.bridge), { timeoutMs: 10_000 });
        await host.forgetBridge(plan.bridge);
      }).catch(() => undefined);
    }
    if (!stateExisted) {
      // what this create made: network.json (now without our bridge) and the directory itself
      try {
        const left = await readdir(host.stateDir);
        if (left.length === 1 && left[0] === 'network.json') {
          const s = JSON.parse(await readFile(join(host.stateDir, 'network.json'), 'utf8')) as { bridges?: Record<string, string> };
          if (Object.keys(s.bridges ?? {}).length === 0 || !bridgeMade) await unlink(join(host.stateDir, 'network.json'));
        }
        await rmdir(host.stateDir);
      } catch {
        /* another create uses it now */
      }
    }
    if (!lxcpathExisted) await rmdir(host.lxcpath).catch(() => undefined);
    void subidNote; // /etc/subuid and /etc/subgid lines stay: they are host setup, not part of the container
  }

  progress({ phase: 'done', fraction: 1, line: `created ${name}` });
  if (plan.start) {
    progress({ phase: 'start', line: `starting ${name}` });
    try {
      await host.start(name);
    } catch (e) {
      const err = e as Error;
      throw new LxdeckError(isLxdeckError(e) ? e.code : 'E_COMMAND', `created ${name}, but it did not start: ${err.message}`, {
        hint: isLxdeckError(e) && e.hint ? e.hint : `see lxdeck info ${name}; lxc-start -F -n ${name} -P ${host.lxcpath} shows why`,
        cause: e,
      });
    }
  }
  return host.info(name);
}

/**
 * Makes `lost+found` (mode 0700) at the top of a rootfs directory before `mke2fs -d` packs it into
 * ext4, owned by root inside the container (host uid/gid `base` for an unprivileged one): mke2fs
 * keeps a lost+found it finds with its owner (and reserves its blocks as for its own), where it
 * would otherwise make one owned by host root, an id outside the container's map (then shown as
 * nobody inside, and refused by the ownership shift of a later copy). Written symlink-safely (T1).
 */
export function lostFoundOwnedBy(rootfs: string, base: number | undefined): void {
  const p = join(rootfs, 'lost+found');
  if (existsSync(p) && !lstatSync(p).isDirectory()) return; // the template's own file: mke2fs's problem
  mkdirInRootfs(rootfs, 'lost+found', 0o700);
  if (base !== undefined && !lstatSync(p).isSymbolicLink()) chownSync(p, base, base);
}

/** Quotes one argv element for display in a POSIX shell (`'...'` when it holds anything but safe characters). */
function shellQuote(a: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `lxdeck create` command line equivalent to `opts` (the wizard's summary shows it).
 * Values of template options whose name holds "password" are shown as `***`.
 * @param where.lxcpath the lxcpath it is made in: `--lxcpath P` leads the argv unless it is LXC's default
 * @returns the argv (without `lxdeck`) and the line quoted for a POSIX shell
 */
export function createCommandLine(name: string, opts: CreateOptions, where: { lxcpath?: string } = {}): { argv: string[]; line: string } {
  // --lxcpath when it is not /var/lib/lxc: the line must act where the wizard acts (core/suggest.ts)
  const argv = [...addressingArgs({ lxcpath: where.lxcpath }), 'create', name];
  const add = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) argv.push(flag, String(v));
  };
  add('--template', opts.template);
  for (const [k, v] of Object.entries(opts.options ?? {})) argv.push('--option', `${k}=${/password/i.test(k) && v !== '' ? '***' : v}`);
  add('--memory', opts.memory);
  add('--swap', opts.swap);
  add('--cpus', opts.cpus);
  add('--cpu-weight', opts.cpuWeight);
  add('--bridge', opts.bridge);
  if (opts.dhcp) argv.push('--dhcp');
  add('--ipv4', opts.ipv4);
  add('--gateway', opts.gateway);
  add('--hwaddr', opts.hwaddr);
  add('--veth-pair', opts.vethPair);
  if (opts.backing !== undefined && opts.backing !== 'dir') add('--backing', opts.backing);
  add('--size', opts.size);
  add('--vgname', opts.vgname);
  add('--thinpool', opts.thinpool);
  add('--zfsroot', opts.zfsroot);
  if (opts.privileged) argv.push('--privileged');
  if (opts.apparmorProfile !== undefined && opts.apparmorProfile !== 'default') argv.push('--apparmor', opts.apparmorProfile);
  if (opts.seccompProfile !== undefined && opts.seccompProfile !== 'default') argv.push('--seccomp', opts.seccompProfile);
  if (opts.start) argv.push('--start');
  return { argv, line: ['lxdeck', ...argv].map(shellQuote).join(' ') };
}

/**
 * An AbortSignal that aborts on SIGINT or SIGTERM (the CLI's create verb). While it is
 * in use those signals no longer end the process at once, so the create can remove what
 * it made; call `dispose()` after.
 */
export function abortOnSignals(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): { signal: AbortSignal; received(): NodeJS.Signals | undefined; dispose(): void } {
  const ac = new AbortController();
  let got: NodeJS.Signals | undefined;
  const on = (s: NodeJS.Signals) => {
    got ??= s;
    ac.abort(new LxdeckError('E_CANCELLED', `${s} received`));
  };
  for (const s of signals) process.on(s, on);
  return {
    signal: ac.signal,
    received: () => got,
    dispose: () => {
      for (const s of signals) process.off(s, on);
    },
  };
}
