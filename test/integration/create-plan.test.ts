// Pure checks of the create path's option handling (no LXC, no root): planCreate and renderConfig.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CgroupLayout } from '../../core/cgroup/layout.js';
import { isLxdeckError } from '../../core/errors.js';
import { LxcConfig } from '../../core/lxc/config.js';
import { LXC_USERNS_CONF, createCommandLine, planCreate, renderConfig, validateHwaddr } from '../../core/rootfs/create.js';
import { getTemplate } from '../../templates/index.js';

const v2: CgroupLayout = { kind: 'v2', v2Mount: '/sys/fs/cgroup', v2MountRoot: '/', v2Controllers: ['cpu', 'memory', 'pids', 'io', 'cpuset'], v1: {}, v1MountRoots: {} };
const v1: CgroupLayout = {
  kind: 'hybrid',
  v2Mount: '/sys/fs/cgroup/unified',
  v2MountRoot: '/',
  v2Controllers: [],
  v1: { memory: '/nonexistent-lxdeck/memory', cpu: '/nonexistent-lxdeck/cpu,cpuacct' },
  v1MountRoots: { memory: '/', cpu: '/' },
};
const env = (layout: CgroupLayout) => ({ defaultBridge: 'lxdeckbr0', layout, template: getTemplate });
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (isLxdeckError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
};

describe('planCreate: every check before anything is written', () => {
  it('C3/U1: a memory limit becomes lxc.cgroup2.memory.max on a v2 host and lxc.cgroup.memory.limit_in_bytes on a v1 one', () => {
    expect(planCreate('web1', { memory: '512MiB', cpuWeight: 200 }, env(v2)).limitKeys).toEqual([
      { key: 'lxc.cgroup2.memory.max', value: '536870912' },
      { key: 'lxc.cgroup2.cpu.weight', value: '200' },
    ]);
    expect(planCreate('web1', { memory: '1GB', cpuWeight: '200' }, env(v1)).limitKeys).toEqual([
      { key: 'lxc.cgroup.memory.limit_in_bytes', value: '1000000000' },
      { key: 'lxc.cgroup.cpu.shares', value: '2048' },
    ]);
    // unlimited is what a cgroup has without a key: none is written
    expect(planCreate('web1', { memory: 'max' }, env(v2)).limitKeys).toEqual([]);
  });

  it('refuses, with the reason: bad sizes, swap without swap accounting on v1, CPU weight out of range, 0 CPUs', () => {
    expect(code(() => planCreate('w', { memory: '12x' }, env(v2)))).toMatch(/^E_INVALID_VALUE: memory limit: invalid size "12x"/);
    expect(code(() => planCreate('w', { memory: '1.5G', swap: '1Gb' }, env(v2)))).toMatch(/reads as bits/);
    expect(code(() => planCreate('w', { memory: '1G', swap: '1G' }, env(v1)))).toMatch(/swapaccount=1|memsw/);
    expect(code(() => planCreate('w', { cpuWeight: 0 }, env(v2)))).toMatch(/1\.\.10000/);
    expect(code(() => planCreate('w', { cpuWeight: '1.5' }, env(v2)))).toMatch(/1\.\.10000/);
    expect(code(() => planCreate('w', { cpus: '0' }, env(v2)))).toMatch(/invalid number of CPUs/);
  });

  it('refuses bad names (N1), unknown templates and options, and interface names over 15 bytes (N2)', () => {
    expect(code(() => planCreate('a/b', {}, env(v2)))).toMatch(/^E_NAME_INVALID/);
    expect(code(() => planCreate('w', { template: 'nope' }, env(v2)))).toMatch(/^E_TEMPLATE/);
    expect(code(() => planCreate('w', { options: { nope: '1' } }, env(v2)))).toMatch(/^E_USAGE: template busybox has no option "nope"/);
    expect(code(() => planCreate('w', { vethPair: 'abcdefghijklmnop' }, env(v2)))).toMatch(/16 bytes; the kernel allows at most 15 bytes \(IFNAMSIZ 16/);
    expect(code(() => planCreate('w', { vethPair: 'abcdefghijklmno' }, env(v2)))).toBe('no error');
    expect(code(() => planCreate('w', { bridge: 'br:0' }, env(v2)))).toMatch(/holds ":"/);
    // the default veth name of a long container name is within the limit and differs per name
    const a = planCreate('helloabcdef1', {}, env(v2)).vethPair;
    const b = planCreate('helloabcdef2', {}, env(v2)).vethPair;
    expect(a).not.toBe(b);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(15);
  });

  it('checks addresses: DHCP excludes a static address and a gateway; a gateway must be on the subnet; no network or broadcast address', () => {
    expect(code(() => planCreate('w', { dhcp: true, ipv4: '10.0.3.5/24' }, env(v2)))).toMatch(/^E_USAGE: --dhcp and --ipv4/);
    expect(code(() => planCreate('w', { dhcp: true, gateway: '10.0.3.1' }, env(v2)))).toMatch(/^E_USAGE/);
    expect(code(() => planCreate('w', { gateway: '10.0.3.1' }, env(v2)))).toMatch(/--gateway needs --ipv4/);
    expect(code(() => planCreate('w', { ipv4: '10.0.3.5/24', gateway: '10.0.4.1' }, env(v2)))).toMatch(/not inside 10\.0\.3\.5\/24/);
    expect(code(() => planCreate('w', { ipv4: '10.0.3.0/24' }, env(v2)))).toMatch(/network address/);
    expect(code(() => planCreate('w', { ipv4: '10.0.3.255/24' }, env(v2)))).toMatch(/broadcast address/);
    expect(code(() => planCreate('w', { ipv4: '10.0.3.300/24' }, env(v2)))).toMatch(/^E_INVALID_VALUE/);
    expect(planCreate('w', { dhcp: true }, env(v2)).net).toEqual({ mode: 'dhcp' });
  });

  it('checks a MAC: six octets, unicast, not zero; given ones are lower-cased', () => {
    expect(validateHwaddr('00:16:3E:0A:0b:0C')).toBe('00:16:3e:0a:0b:0c');
    for (const bad of ['00:16:3e:0a:0b', '01:00:5e:00:00:01', '00:00:00:00:00:00', '00-16-3e-0a-0b-0c', 'zz:16:3e:0a:0b:0c'])
      expect(() => validateHwaddr(bad), bad).toThrow(/MAC address/);
    expect(planCreate('w', {}, env(v2)).hwaddr).toMatch(/^00:16:3e(:[0-9a-f]{2}){3}$/);
  });
});

describe('renderConfig: the exact lines a create writes', () => {
  it('unprivileged: userns.conf (where it exists) and the two lxc.idmap lines; privileged: neither', () => {
    const plan = planCreate('web1', { ipv4: '10.0.3.5/24', memory: '512M' }, env(v2));
    const text = renderConfig(plan, { dir: '/var/lib/lxc/web1', ipv4: '10.0.3.5/24', gateway: '10.0.3.1', idmapBase: 165536, templateConfig: [['lxc.tty.max', '1']], created: 'T' });
    const cfg = LxcConfig.parse(text);
    expect(cfg.getAll('lxc.idmap')).toEqual(['u 0 165536 65536', 'g 0 165536 65536']);
    expect(cfg.getAll('lxc.include').includes(LXC_USERNS_CONF)).toBe(existsSync(LXC_USERNS_CONF));
    expect(cfg.get('lxc.rootfs.path')).toBe('dir:/var/lib/lxc/web1/rootfs');
    expect(cfg.get('lxc.net.0.ipv4.address')).toBe('10.0.3.5/24');
    expect(cfg.get('lxc.net.0.ipv4.gateway')).toBe('10.0.3.1');
    expect(cfg.get('lxc.cgroup2.memory.max')).toBe('536870912');
    expect(cfg.get('lxc.tty.max')).toBe('1');
    const priv = renderConfig(planCreate('web1', { privileged: true, dhcp: true }, env(v2)), { dir: '/x/web1', templateConfig: [], created: 'T' });
    expect(priv).not.toMatch(/lxc\.idmap|userns\.conf|ipv4/);
  });
});

describe('createCommandLine: the wizard summary\'s equivalent command', () => {
  it('gives the flags the CLI takes, quotes for a shell, hides passwords', () => {
    const c = createCommandLine('web1', {
      template: 'debootstrap',
      options: { packages: 'less,openssh-server', 'root-password': 's3cret', 'ssh-key': 'ssh-ed25519 AAAA me@h' },
      memory: '512MiB',
      ipv4: '10.0.3.20/24',
      gateway: '10.0.3.1',
      cpuWeight: 200,
      start: true,
    });
    expect(c.argv).toEqual(['create', 'web1', '--template', 'debootstrap', '--option', 'packages=less,openssh-server', '--option', 'root-password=***', '--option', 'ssh-key=ssh-ed25519 AAAA me@h', '--memory', '512MiB', '--cpu-weight', '200', '--ipv4', '10.0.3.20/24', '--gateway', '10.0.3.1', '--start']);
    expect(c.line).toBe("lxdeck create web1 --template debootstrap --option packages=less,openssh-server --option 'root-password=***' --option 'ssh-key=ssh-ed25519 AAAA me@h' --memory 512MiB --cpu-weight 200 --ipv4 10.0.3.20/24 --gateway 10.0.3.1 --start");
    expect(createCommandLine('x', { dhcp: true, privileged: true }).line).toBe('lxdeck create x --dhcp --privileged');
  });
});
