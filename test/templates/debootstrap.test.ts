import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { LxcConfig } from '../../core/lxc/config.js';
import { checkBootable } from '../../templates/common/rootfs-files.js';
import {
  debootstrapArgv,
  debootstrapFraction,
  debootstrapTemplate,
  distroOf,
  interfacesFile,
  parsePackages,
} from '../../templates/debootstrap/template.js';
import { lxcAvailable, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { attach, makeCtx, startAndAttach, stopAndDestroy, writeMinimalConfig } from './helpers.js';

describe('debootstrap: argv, options and files (pure)', () => {
  it('knows Debian and Ubuntu releases, and refuses an unknown one unless distro is given', () => {
    expect(distroOf('bookworm')).toBe('debian');
    expect(distroOf('noble')).toBe('ubuntu');
    expect(() => distroOf('bookwrom')).toThrow(/unknown release "bookwrom"/);
    expect(distroOf('excalibur', 'debian')).toBe('debian');
    expect(() => distroOf('x', 'fedora')).toThrow(/debian or ubuntu/);
  });
  it('splits extra packages and refuses names that are not Debian package names (nor apt options)', () => {
    expect(parsePackages('openssh-server, less,,libc6-dev  g++')).toEqual(['openssh-server', 'less', 'libc6-dev', 'g++']);
    expect(parsePackages('')).toEqual([]);
    for (const bad of ['-o=APT::x', 'Less', 'a;rm', 'x'])
      expect(() => parsePackages(bad)).toSatisfy((f: () => void) => {
        try {
          f();
          return false;
        } catch (e) {
          return isLxdeckError(e, 'E_INVALID_VALUE');
        }
      });
  });
  it('builds the debootstrap argv as debootstrap(8) takes it', () => {
    expect(debootstrapArgv({ distro: 'debian', release: 'bookworm', arch: 'amd64', variant: 'minbase', mirror: 'http://m/debian', include: ['init', 'iproute2'], target: '/t' })).toEqual([
      '--variant=minbase',
      '--arch=amd64',
      '--include=init,iproute2',
      'bookworm',
      '/t',
      'http://m/debian',
    ]);
    expect(debootstrapArgv({ distro: 'ubuntu', release: 'noble', arch: 'arm64', variant: 'default', mirror: 'http://u', include: [], target: '/t', keyring: '/k.gpg' })).toEqual([
      '--arch=arm64',
      '--components=main,universe',
      '--keyring=/k.gpg',
      'noble',
      '/t',
      'http://u',
    ]);
  });
  it('reads how far debootstrap is from its stage lines', () => {
    expect(debootstrapFraction('I: Retrieving InRelease ')).toBe(0.02);
    expect(debootstrapFraction('I: Configuring the base system...')).toBe(0.85);
    expect(debootstrapFraction('I: Base system installed successfully.')).toBe(1);
    expect(debootstrapFraction('W: something')).toBeUndefined();
  });
  it('writes eth0 as manual for a static address (LXC sets it) and dhcp otherwise', () => {
    expect(interfacesFile('static')).toMatch(/^iface eth0 inet manual$/m);
    expect(interfacesFile('static')).not.toMatch(/dhcp|^auto eth0/m);
    expect(interfacesFile('dhcp')).toMatch(/^auto eth0\niface eth0 inet dhcp$/m);
  });
  it('refuses bad option values before running anything', async () => {
    const ctx = makeCtx('x', '/nonexistent');
    await expect(debootstrapTemplate.build({ ...ctx, options: { network: 'bridge' } })).rejects.toThrow(/network must be static or dhcp/);
    await expect(debootstrapTemplate.build({ ...ctx, options: { variant: 'fat' } })).rejects.toThrow(/variant must be/);
    await expect(debootstrapTemplate.build({ ...ctx, options: { packages: 'a;b' } })).rejects.toThrow(/invalid package name/);
    await expect(debootstrapTemplate.build({ ...ctx, options: { mirror: 'ftp://x' } })).rejects.toThrow(/only http and https/);
    expect(ctx.events).toEqual([]);
  });
});

function debootstrapAvailable(): { ok: boolean; reason: string } {
  const l = lxcAvailable();
  if (!l.ok) return l;
  try {
    execFileSync('which', ['debootstrap'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'debootstrap is not installed (apt-get install debootstrap)' };
  }
  return { ok: true, reason: '' };
}
const RUN = debootstrapAvailable().ok || process.env.CI === 'true';

/**
 * The real thing: debootstrap (minbase, bookworm) through the Debian mirror
 * once into the cache (about a minute cold), then containers copied from it.
 * The cache is $LXDECK_CACHE, else /var/tmp/lxdeck-test-cache, kept between runs.
 */
describe.runIf(RUN)('debootstrap: real Debian bookworm containers', () => {
  requireLxc();
  const oldCache = process.env.LXDECK_CACHE;
  beforeAll(() => {
    const a = debootstrapAvailable();
    if (!a.ok) throw new Error(`this test needs ${a.reason}`);
    process.env.LXDECK_CACHE = oldCache ?? '/var/tmp/lxdeck-test-cache';
  });
  const env = tempLxcpath();
  const id = uniq(3);
  const c1 = `db-${id}a`;
  const c2 = `db-${id}b`;
  let config1: [string, string][] = [];
  afterAll(() => {
    env.cleanup();
    if (oldCache === undefined) delete process.env.LXDECK_CACHE;
    else process.env.LXDECK_CACHE = oldCache;
    expect(existsSync(env.lxcpath)).toBe(false);
  });

  it('builds a bookworm rootfs (debootstrap through the mirror, or the cache) that passes the sanity check', async () => {
    const rootfs = join(env.lxcpath, c1, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    const ctx = makeCtx(c1, rootfs, { release: 'bookworm', 'root-password': 'pw' });
    const t0 = Date.now();
    const r = await debootstrapTemplate.build(ctx);
    const lines = ctx.events.map((e) => e.line ?? '');
    const cold = lines.some((l) => l.startsWith('I: Base system installed successfully'));
    console.log(`debootstrap template, ${cold ? 'cold (debootstrap ran)' : 'warm (from the cache)'}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (cold) {
      // debootstrap's own lines arrived as progress, with rising fractions
      expect(lines.some((l) => l.startsWith('I: Retrieving'))).toBe(true);
      const fr = ctx.events.filter((e) => e.phase === 'debootstrap' && e.fraction !== undefined).map((e) => e.fraction!);
      expect(fr.length).toBeGreaterThan(3);
    } else expect(lines.some((l) => /copying the cached debian-bookworm-/.test(l))).toBe(true);
    expect(checkBootable(rootfs).init).toBe('/sbin/init');
    expect(readFileSync(join(rootfs, 'etc/hostname'), 'utf8')).toBe(`${c1}\n`);
    expect(readFileSync(join(rootfs, 'etc/network/interfaces'), 'utf8')).toMatch(/^iface eth0 inet manual$/m);
    expect(readFileSync(join(rootfs, 'etc/machine-id'), 'utf8')).toBe('');
    expect(readFileSync(join(rootfs, 'etc/shadow'), 'utf8')).toMatch(/^root:\$6\$/m);
    expect(existsSync(join(rootfs, 'usr/sbin/ifup'))).toBe(true);
    expect(r.config).toContainEqual(['lxc.signal.halt', 'SIGRTMIN+3']);
    // the engine's config reader takes the keys as the engine writes them
    LxcConfig.parse(r.config.map(([k, v]) => `${k} = ${v}`).join('\n'));
    config1 = r.config;
  }, 20 * 60_000);

  it('a second container of the same release comes from the cache, with an extra package installed', async () => {
    const rootfs = join(env.lxcpath, c2, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    const ctx = makeCtx(c2, rootfs, { release: 'bookworm', packages: 'hello' });
    const t0 = Date.now();
    const r = await debootstrapTemplate.build(ctx);
    console.log(`debootstrap template, warm with one extra package: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const lines = ctx.events.map((e) => e.line ?? '');
    expect(lines.some((l) => l.startsWith('I: Retrieving'))).toBe(false);
    expect(lines.some((l) => /copying the cached debian-bookworm-/.test(l))).toBe(true);
    expect(statSync(join(rootfs, 'usr/bin/hello')).isFile()).toBe(true);
    expect(existsSync(join(rootfs, 'usr/sbin/policy-rc.d'))).toBe(false);
    writeMinimalConfig(env.lxcpath, c2, rootfs, r.config);
  }, 10 * 60_000);

  it('a cancelled cold build stops debootstrap and leaves no partial tree in the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'lxdeck-cancel-cache-'));
    const saved = process.env.LXDECK_CACHE;
    process.env.LXDECK_CACHE = cache;
    try {
      const rootfs = mkdtempSync(join(tmpdir(), 'lxdeck-cancel-rootfs-'));
      const ac = new AbortController();
      const ctx = makeCtx('db-cancel', rootfs, { release: 'bookworm' }, ac.signal);
      const seen: string[] = [];
      ctx.onProgress = (e) => {
        if (e.line) seen.push(e.line);
        if (e.line?.startsWith('I: ')) ac.abort(); // debootstrap has started talking: cancel now
      };
      await expect(debootstrapTemplate.build(ctx)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_CANCELLED'));
      expect(seen.some((l) => l.startsWith('I: '))).toBe(true);
      expect(readdirSync(join(cache, 'rootfs')).filter((n) => !n.endsWith('.lock'))).toEqual([]);
      expect(readdirSync(rootfs)).toEqual([]);
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(ps).not.toContain(cache);
      rmSync(rootfs, { recursive: true, force: true });
    } finally {
      if (saved === undefined) delete process.env.LXDECK_CACHE;
      else process.env.LXDECK_CACHE = saved;
      rmSync(cache, { recursive: true, force: true });
    }
  }, 5 * 60_000);

  it('both containers start under systemd and answer lxc-attach; the static address LXC set on eth0 survives boot', async () => {
    // a veth whose host end is on no bridge: the address exists only in the container's own namespace
    writeMinimalConfig(env.lxcpath, c1, join(env.lxcpath, c1, 'rootfs'), config1, [
      ['lxc.net.0.type', 'veth'],
      ['lxc.net.0.flags', 'up'],
      ['lxc.net.0.name', 'eth0'],
      ['lxc.net.0.ipv4.address', '192.0.2.10/24'],
    ]);
    expect(startAndAttach(env.lxcpath, c1, ['/bin/cat', '/etc/hostname'])).toBe(`${c1}\n`);
    expect(startAndAttach(env.lxcpath, c2, ['/usr/bin/hello'])).toMatch(/Hello, world!/);
    // let systemd finish booting (networking.service ran ifup -a), then look at eth0;
    // its bus socket appears a moment after RUNNING, so ask until it answers
    let booted = '';
    for (let i = 0; i < 60 && !/^(running|degraded)$/.test(booted); i++) {
      try {
        booted = attach(env.lxcpath, c1, ['/bin/systemctl', 'is-system-running', '--wait']).trim();
      } catch (e) {
        booted = String((e as { stdout?: string }).stdout ?? '').trim();
        if (!/^(running|degraded)$/.test(booted)) await new Promise((r) => setTimeout(r, 1000));
      }
    }
    expect(booted).toMatch(/^(running|degraded)$/);
    expect(attach(env.lxcpath, c1, ['/bin/systemctl', 'is-active', 'networking.service']).trim()).toBe('active');
    expect(attach(env.lxcpath, c1, ['/sbin/ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).toMatch(/inet 192\.0\.2\.10\/24/);
    // each copy got its own machine-id at first boot
    const m1 = attach(env.lxcpath, c1, ['/bin/cat', '/etc/machine-id']).trim();
    const m2 = attach(env.lxcpath, c2, ['/bin/cat', '/etc/machine-id']).trim();
    expect(m1).toMatch(/^[0-9a-f]{32}$/);
    expect(m1).not.toBe(m2);
    stopAndDestroy(env.lxcpath, c1, 60);
    stopAndDestroy(env.lxcpath, c2, 60);
    expect(existsSync(join(env.lxcpath, c1))).toBe(false);
    expect(existsSync(join(env.lxcpath, c2))).toBe(false);
  }, 5 * 60_000);
});
