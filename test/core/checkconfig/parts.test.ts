import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { HostFs } from '../../../core/host/host-fs.js';
import {
  compareVersions,
  isStaticElf,
  packageManagerOf,
  parseKernelConfig,
  parseLxcVersion,
  parseOsRelease,
  readKernelConfig,
  remedyLines,
} from '../../../core/checkconfig/index.js';

/** The fixture roots of this file, removed after it. */
const scratch = mkdtempSync(join(tmpdir(), 'lxdeck-parts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('kernel config', () => {
  it('parses y, m, "is not set", strings and the version header', () => {
    const c = parseKernelConfig('# Linux/x86 6.1.76 Kernel Configuration\nCONFIG_VETH=m\nCONFIG_BRIDGE=y\n# CONFIG_VLAN_8021Q is not set\nCONFIG_CC_VERSION_TEXT="gcc 12"\n');
    expect(c.version).toBe('6.1.76');
    expect(c.options.get('CONFIG_VETH')).toBe('m');
    expect(c.options.get('CONFIG_BRIDGE')).toBe('y');
    expect(c.options.get('CONFIG_VLAN_8021Q')).toBe('n');
    expect(c.options.get('CONFIG_CC_VERSION_TEXT')).toBe('gcc 12');
  });

  it('reads /proc/config.gz before /boot/config-RELEASE, gunzipping by magic number; null when neither exists', () => {
    const root = mkdtempSync(join(scratch, 'kc-'));
    const fs = new HostFs(root);
    expect(readKernelConfig(fs, '6.1.0')).toBeNull();
    mkdirSync(join(root, 'boot'));
    writeFileSync(join(root, 'boot/config-6.1.0'), 'CONFIG_VETH=y\n');
    expect(readKernelConfig(fs, '6.1.0')?.source).toBe('/boot/config-6.1.0');
    mkdirSync(join(root, 'proc'));
    writeFileSync(join(root, 'proc/config.gz'), gzipSync('# CONFIG_VETH is not set\n'));
    const c = readKernelConfig(fs, '6.1.0');
    expect(c?.source).toBe('/proc/config.gz');
    expect(c?.options.get('CONFIG_VETH')).toBe('n');
  });
});

describe('os-release and remedies', () => {
  it('maps ID and ID_LIKE to apt, zypper or dnf', () => {
    const kv = parseOsRelease('ID="opensuse-leap"\nID_LIKE="suse opensuse"\nPRETTY_NAME="openSUSE Leap 15.6"\n');
    expect(kv.ID).toBe('opensuse-leap');
    expect(packageManagerOf('opensuse-leap', ['suse', 'opensuse'])).toBe('zypper');
    expect(packageManagerOf('ubuntu', ['debian'])).toBe('apt');
    expect(packageManagerOf('linuxmint', ['ubuntu', 'debian'])).toBe('apt');
    expect(packageManagerOf('rocky', ['rhel', 'centos', 'fedora'])).toBe('dnf');
    expect(packageManagerOf('arch', [])).toBeNull();
  });

  it("shows only this distribution's install line, or all three when it is unknown", () => {
    const r = { apt: 'busybox-static', zypper: 'busybox-static', dnf: 'busybox', command: 'modprobe veth', kernelParam: 'cgroup_enable=memory' };
    expect(remedyLines(r, 'zypper')).toEqual(['zypper install busybox-static', 'modprobe veth', 'add the kernel parameter: cgroup_enable=memory']);
    expect(remedyLines(r, 'dnf')[0]).toBe('dnf install busybox');
    expect(remedyLines(r, null).slice(0, 3)).toEqual(['apt-get install busybox-static', 'zypper install busybox-static', 'dnf install busybox']);
    expect(remedyLines(undefined, 'apt')).toEqual([]);
  });
});

describe('versions and ELF', () => {
  it('parses lxc-start --version output and compares numerically', () => {
    expect(parseLxcVersion('5.0.2\n')).toEqual([5, 0, 2]);
    expect(parseLxcVersion('4.0.12~rc1')).toEqual([4, 0, 12]);
    expect(parseLxcVersion('6.0')).toEqual([6, 0, 0]);
    expect(parseLxcVersion('garbage')).toBeNull();
    expect(compareVersions([3, 0, 10], [3, 0, 4])).toBeGreaterThan(0);
    expect(compareVersions([3, 1], [3, 1, 0])).toBe(0);
  });

  it('tells a static ELF from a dynamic one by PT_INTERP, and a script from both', () => {
    const root = mkdtempSync(join(scratch, 'elf-'));
    const fs = new HostFs(root);
    writeFileSync(join(root, 'script'), '#!/bin/sh\n');
    expect(isStaticElf(fs, '/script')).toBeNull();
    expect(isStaticElf(fs, '/missing')).toBeNull();
    // the real node binary is dynamically linked
    expect(isStaticElf(new HostFs('/'), process.execPath)).toBe(false);
    const fx = new HostFs(join(import.meta.dirname, '../../fixtures/checkconfig'));
    expect(isStaticElf(fx, '/hybrid/usr/bin/busybox')).toBe(true);
    expect(isStaticElf(fx, '/no-veth/usr/bin/busybox')).toBe(false);
  });
});
