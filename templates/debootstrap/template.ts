import { existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LxdeckError, isLxdeckError } from '../../core/errors.js';
import type { Runner } from '../../core/exec/runner.js';
import { cacheEntryDir, cacheRoot, copyTree, ensureCached } from '../../core/rootfs/cache.js';
import { checkHttpUrl } from '../../core/rootfs/http.js';
import { mkdirInRootfs, writeFileInRootfs } from '../../core/rootfs/safe-write.js';
import type { Template, TemplateContext, TemplateManifest, TemplateResult } from '../../core/rootfs/template.js';
import { IDENTITY_OPTIONS, hostDebArch, parseBool, resolveOptions } from '../common/options.js';
import { applyIdentityOptions, checkBootable, initSignalConfig, readFileInRootfs, writeHostname } from '../common/rootfs-files.js';

/**
 * Debian and Ubuntu through debootstrap(8) and the distribution's mirror. The
 * base system (debootstrap --variant=minbase plus {@link BASE_PACKAGES}) is
 * built once per distro/release/arch into the rootfs cache and copied for each
 * container; per-container work (hostname, network, extra packages, root
 * password, SSH key, a fresh machine-id) is done on the copy.
 */

export const DEBIAN_RELEASES = ['buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'sid', 'oldoldstable', 'oldstable', 'stable', 'testing', 'unstable'];
export const UBUNTU_RELEASES = ['focal', 'jammy', 'noble', 'oracular', 'plucky', 'questing'];
export const DEFAULT_MIRRORS: Record<Distro, string> = { debian: 'http://deb.debian.org/debian', ubuntu: 'http://archive.ubuntu.com/ubuntu' };
/** Packages added to minbase: an init LXC can boot (systemd through `init`), ifupdown for /etc/network/interfaces, ip, /etc/services. */
export const BASE_PACKAGES = ['init', 'ifupdown', 'iproute2', 'netbase'];
export const UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';

export type Distro = 'debian' | 'ubuntu';

export const debootstrapManifest: TemplateManifest = {
  name: 'debootstrap',
  description: 'Debian or Ubuntu from the distribution mirror (debootstrap); the base system is cached, so the next one takes seconds',
  offline: false,
  options: [
    { name: 'release', type: 'string', default: 'bookworm', description: `release code name: Debian ${DEBIAN_RELEASES.slice(0, 6).join(', ')}; Ubuntu ${UBUNTU_RELEASES.join(', ')}` },
    { name: 'distro', type: 'string', description: 'debian or ubuntu (default: known from the release name)' },
    { name: 'arch', type: 'string', default: hostDebArch(), description: "architecture in Debian's names (amd64, arm64, ...); another than the host's needs qemu-user-static" },
    { name: 'mirror', type: 'string', description: `mirror URL (default ${DEFAULT_MIRRORS.debian} or ${DEFAULT_MIRRORS.ubuntu})` },
    { name: 'variant', type: 'string', default: 'minbase', description: 'debootstrap variant: minbase (smallest), buildd, or default (the "important" packages too)' },
    { name: 'packages', type: 'string', default: '', description: 'extra packages to install, comma-separated (e.g. openssh-server,less)' },
    { name: 'network', type: 'string', default: 'static', description: 'static: eth0 keeps the address LXC sets (lxc.net.0.ipv4.address), no DHCP client; dhcp: ifupdown runs a DHCP client on eth0' },
    { name: 'refresh', type: 'boolean', default: 'false', description: 'rebuild the cached base system from the mirror' },
    ...IDENTITY_OPTIONS,
  ],
};

/**
 * The distribution a release belongs to.
 * @throws LxdeckError E_INVALID_VALUE for a release lxdeck does not know and no `distro` override.
 */
export function distroOf(release: string, override?: string): Distro {
  if (override) {
    if (override !== 'debian' && override !== 'ubuntu') throw new LxdeckError('E_INVALID_VALUE', `distro must be debian or ubuntu, not ${JSON.stringify(override)}`);
    return override;
  }
  if (DEBIAN_RELEASES.includes(release)) return 'debian';
  if (UBUNTU_RELEASES.includes(release)) return 'ubuntu';
  throw new LxdeckError('E_INVALID_VALUE', `unknown release ${JSON.stringify(release)}`, {
    hint: `Debian: ${DEBIAN_RELEASES.join(', ')}; Ubuntu: ${UBUNTU_RELEASES.join(', ')}; or give --option distro=debian|ubuntu`,
  });
}

/** Debian policy 5.6.1: lower-case letters, digits, `+ - .`, at least two characters, starting alphanumeric. */
const PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]+$/;

/**
 * Splits the `packages` option (comma or white-space separated) into package names.
 * @throws LxdeckError E_INVALID_VALUE for a name outside Debian policy's rule (which also keeps
 *   names from being read as apt options).
 */
export function parsePackages(s: string): string[] {
  const names = s.split(/[\s,]+/).filter(Boolean);
  for (const n of names)
    if (!PACKAGE_RE.test(n))
      throw new LxdeckError('E_INVALID_VALUE', `invalid package name ${JSON.stringify(n)}`, { hint: 'package names are lower-case letters, digits and + - . (Debian policy 5.6.1)' });
  return [...new Set(names)];
}

/** What {@link debootstrapArgv} builds from. */
export interface DebootstrapSpec {
  distro: Distro;
  release: string;
  arch: string;
  variant: string;
  mirror: string;
  include: string[];
  target: string;
  keyring?: string;
}

/**
 * The argv of debootstrap(8): `debootstrap --variant=V --arch=A --include=P,...
 * [--components=main,universe] [--keyring=K] RELEASE TARGET MIRROR`.
 */
export function debootstrapArgv(s: DebootstrapSpec): string[] {
  const a: string[] = [];
  if (s.variant !== 'default') a.push(`--variant=${s.variant}`);
  a.push(`--arch=${s.arch}`);
  if (s.include.length) a.push(`--include=${s.include.join(',')}`);
  if (s.distro === 'ubuntu') a.push('--components=main,universe');
  if (s.keyring) a.push(`--keyring=${s.keyring}`);
  a.push(s.release, s.target, s.mirror);
  return a;
}

/** debootstrap's stage lines and how far along each one is (0..1). */
const STAGES: [RegExp, number][] = [
  [/^I: Retrieving InRelease|^I: Retrieving Release/, 0.02],
  [/^I: Retrieving Packages/, 0.05],
  [/^I: Resolving dependencies/, 0.08],
  [/^I: Found (additional )?(required|base) packages/, 0.1],
  [/^I: Checking component/, 0.12],
  [/^I: Retrieving /, 0.2],
  [/^I: Validating /, 0.3],
  [/^I: Extracting /, 0.4],
  [/^I: Installing core packages/, 0.5],
  [/^I: Unpacking required packages/, 0.55],
  [/^I: Configuring required packages/, 0.65],
  [/^I: Unpacking the base system/, 0.75],
  [/^I: Configuring the base system/, 0.85],
  [/^I: Configuring /, 0.9],
  [/^I: Base system installed successfully/, 1],
];

/** How far debootstrap is, from one of its output lines; undefined when the line says nothing about it. */
export function debootstrapFraction(line: string): number | undefined {
  for (const [re, f] of STAGES) if (re.test(line)) return f;
  return undefined;
}

/**
 * /etc/network/interfaces for the container. `static`: eth0 is `manual`, so
 * ifupdown never touches the address and gateway LXC put on it before init
 * (lxc.net.0.ipv4.address / .gateway); `dhcp`: ifupdown runs a DHCP client on eth0.
 */
export function interfacesFile(network: 'static' | 'dhcp'): string {
  const head = '# written by lxdeck\nauto lo\niface lo inet loopback\n\n';
  if (network === 'dhcp') return `${head}auto eth0\niface eth0 inet dhcp\n`;
  return `${head}# eth0's address and gateway are set by LXC from the container's config (lxc.net.0.ipv4.*);\n# "manual" keeps ifupdown from configuring or removing them.\niface eth0 inet manual\n`;
}

const CHROOT_ENV = { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/**
 * Installs packages in the rootfs with apt-get under chroot (after apt-get update;
 * a policy-rc.d that forbids starting services keeps daemons from starting on the host;
 * it is removed after).
 * @throws LxdeckError E_TEMPLATE with apt's last lines when it fails.
 */
export async function installPackages(runner: Runner, rootfs: string, pkgs: string[], onLine: (l: string) => void, signal?: AbortSignal): Promise<void> {
  writeFileInRootfs(rootfs, 'usr/sbin/policy-rc.d', '#!/bin/sh\n# lxdeck: no service starts while packages are installed from the host\nexit 101\n', 0o755);
  try {
    const steps: string[][] = [
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs],
      ['apt-get', 'clean'],
    ];
    for (const s of steps) {
      onLine(`chroot: ${s.join(' ')}`);
      const r = await runner.run('chroot', [rootfs, ...s], { env: CHROOT_ENV, timeoutMs: 30 * 60_000, signal, onLine: (l) => onLine(l) });
      if (r.exitCode !== 0)
        throw new LxdeckError('E_TEMPLATE', `${s.slice(0, 2).join(' ')} in the container failed (exit ${r.exitCode}): ${lastLines(r.stdout + r.stderr)}`, {
          hint: 'check the package names and that the mirror is reachable',
        });
    }
  } finally {
    const p = join(rootfs, 'usr/sbin/policy-rc.d');
    try {
      if (lstatSync(p).isFile()) unlinkSync(p);
    } catch {
      /* gone */
    }
  }
}

function lastLines(s: string, n = 3): string {
  return s.trim().split('\n').filter(Boolean).slice(-n).join(' | ') || 'no output';
}

/**
 * A Debian or Ubuntu container. The base system is debootstrap's `variant` of
 * `release` with {@link BASE_PACKAGES}, built from `mirror` into the cache
 * (`<cache>/rootfs/<distro>-<release>-<arch>[-variant]/rootfs`, under a lock, its
 * output reported live) and copied with `cp -a`. On the copy: /etc/hostname,
 * /etc/hosts, /etc/network/interfaces (see {@link interfacesFile}), an empty
 * /etc/machine-id (systemd makes a new one at first boot, so copies never share it),
 * extra packages through apt-get in a chroot, root password and SSH key — all
 * writes symlink-safe (case T1).
 * Returns lxc.tty.dir empty (Debian's consoles are /dev/ttyN, as LXC's
 * debian.common.conf sets) and lxc.signal.halt = SIGRTMIN+3 for systemd.
 * @throws LxdeckError E_INVALID_VALUE, E_MISSING_PROGRAM (debootstrap, Ubuntu's keyring),
 *   E_TEMPLATE (debootstrap or apt failed), E_CANCELLED, E_UNSAFE_PATH.
 */
export const debootstrapTemplate: Template = {
  manifest: debootstrapManifest,
  async build(ctx: TemplateContext): Promise<TemplateResult> {
    const o = resolveOptions(debootstrapManifest, ctx.options);
    const release = o.release.trim();
    if (!/^[a-z][a-z0-9-]*$/.test(release)) throw new LxdeckError('E_INVALID_VALUE', `invalid release ${JSON.stringify(release)}`);
    const distro = distroOf(release, o.distro);
    const arch = o.arch.trim();
    if (!/^[a-z0-9][a-z0-9-]*$/.test(arch)) throw new LxdeckError('E_INVALID_VALUE', `invalid arch ${JSON.stringify(arch)}`);
    const variant = o.variant.trim();
    if (!['minbase', 'buildd', 'default'].includes(variant)) throw new LxdeckError('E_INVALID_VALUE', `variant must be minbase, buildd or default, not ${JSON.stringify(variant)}`);
    const mirror = checkHttpUrl(o.mirror?.trim() || DEFAULT_MIRRORS[distro]).toString().replace(/\/+$/, '');
    const network = o.network.trim();
    if (network !== 'static' && network !== 'dhcp') throw new LxdeckError('E_INVALID_VALUE', `network must be static or dhcp, not ${JSON.stringify(network)}`);
    const extra = parsePackages(o.packages ?? '');
    if (network === 'dhcp' && !extra.includes('isc-dhcp-client')) extra.push('isc-dhcp-client');
    let keyring: string | undefined;
    if (distro === 'ubuntu') {
      if (!existsSync(UBUNTU_KEYRING)) throw new LxdeckError('E_MISSING_PROGRAM', `Ubuntu's archive keyring ${UBUNTU_KEYRING} is not installed`, { hint: 'apt-get install ubuntu-keyring' });
      keyring = UBUNTU_KEYRING;
    }
    const say = (phase: string, line?: string, fraction?: number) => ctx.onProgress({ phase, line, fraction });

    const key = `${distro}-${release}-${arch}${variant === 'minbase' ? '' : `-${variant}`}`;
    const entry = await ensureCached(
      cacheEntryDir('rootfs', key, cacheRoot()),
      async (partial) => {
        const target = join(partial, 'rootfs');
        mkdirSync(target, { mode: 0o755 });
        const argv = debootstrapArgv({ distro, release, arch, variant, mirror, include: BASE_PACKAGES, target, keyring });
        say('debootstrap', `debootstrap ${argv.join(' ')}`, 0);
        let r;
        try {
          r = await ctx.runner.run('debootstrap', argv, {
            timeoutMs: 60 * 60_000,
            signal: ctx.signal,
            onLine: (line) => {
              const f = debootstrapFraction(line);
              say('debootstrap', line, f === undefined ? undefined : f * 0.75);
            },
          });
        } catch (e) {
          if (isLxdeckError(e, 'E_MISSING_PROGRAM')) throw new LxdeckError('E_MISSING_PROGRAM', 'debootstrap is not installed', { hint: 'apt-get install debootstrap (SUSE: zypper install debootstrap)' });
          throw e;
        }
        if (r.exitCode !== 0) {
          const log = readFileInRootfs(target, 'debootstrap/debootstrap.log');
          throw new LxdeckError('E_TEMPLATE', `debootstrap ${release} failed (exit ${r.exitCode}): ${lastLines(r.stderr || r.stdout)}`, {
            hint: `check the mirror ${mirror} and the release name${log ? `; debootstrap.log ends: ${lastLines(log, 2)}` : ''}`,
          });
        }
        return { distro, release, arch, variant, mirror, include: BASE_PACKAGES };
      },
      { refresh: parseBool('refresh', o.refresh), signal: ctx.signal, runner: ctx.runner, onWait: (l) => say('debootstrap', `waiting for another build of ${key} (${l})`) },
    );
    say('rootfs', entry.hit ? `copying the cached ${key} base system (built ${String(entry.info.built ?? '?')})` : `copying the new ${key} base system`, 0.76);
    await copyTree(ctx.runner, join(entry.dir, 'rootfs'), ctx.rootfs, { signal: ctx.signal });

    say('configure', 'hostname, hosts, network', 0.8);
    writeHostname(ctx.rootfs, ctx.name);
    mkdirInRootfs(ctx.rootfs, 'etc/network');
    writeFileInRootfs(ctx.rootfs, 'etc/network/interfaces', interfacesFile(network));
    // a copy must not share the machine-id of the cache: an empty file makes systemd generate one at first boot
    writeFileInRootfs(ctx.rootfs, 'etc/machine-id', '', 0o444);
    const dbusId = join(ctx.rootfs, 'var/lib/dbus/machine-id');
    try {
      if (lstatSync(dbusId).isFile()) unlinkSync(dbusId);
    } catch {
      /* none */
    }
    if (extra.length) {
      say('packages', `installing ${extra.join(', ')}`, 0.82);
      await installPackages(ctx.runner, ctx.rootfs, extra, (l) => say('packages', l), ctx.signal);
    }
    for (const l of await applyIdentityOptions(ctx.runner, ctx.rootfs, o, ctx.signal)) say('configure', l);
    checkBootable(ctx.rootfs);
    say('configure', undefined, 1);
    return { config: [['lxc.tty.dir', ''], ...initSignalConfig(ctx.rootfs)] };
  },
};
