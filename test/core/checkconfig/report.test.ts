import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LxdeckError } from '../../../core/errors.js';
import { RecordingRunner, type Runner } from '../../../core/exec/runner.js';
import { HostFs } from '../../../core/host/host-fs.js';
import { formatReport, runCheckconfig, type CheckReport, type Finding } from '../../../core/checkconfig/index.js';
import { fixtureTree } from './fixtures.js';

/** A runner that answers `lxc-start --version` with `version` (and nothing else runs). */
function lxcRunner(version = '5.0.2'): RecordingRunner {
  return new RecordingRunner((file, args) => (file === 'lxc-start' && args[0] === '--version' ? { stdout: `${version}\n` } : { exitCode: 127, stderr: 'unexpected' }));
}

const missingLxc: Runner = {
  run: async (file) => {
    throw new LxdeckError('E_MISSING_PROGRAM', `${file} is not installed`);
  },
};

async function report(tree: string, runner: Runner = lxcRunner(), bridge = 'lxcbr0'): Promise<{ r: CheckReport; root: string; expected: ReturnType<typeof fixtureTree>['expected'] }> {
  const { root, expected } = fixtureTree(tree);
  const r = await runCheckconfig({ fs: new HostFs(root), runner, lxcpath: '/var/lib/lxc', bridge });
  return { r, root, expected };
}

function byId(r: CheckReport, id: string): Finding {
  const f = r.findings.find((x) => x.id === id);
  if (!f) throw new Error(`no finding ${id}; ids: ${r.findings.map((x) => x.id).join(' ')}`);
  return f;
}

describe('checkconfig against fixture trees', () => {
  for (const tree of ['hybrid', 'v2', 'h1', 'no-userns', 'no-veth', 'no-config']) {
    it(`${tree === 'h1' ? 'H1: ' : ''}${tree}: layout, error count and the severities of expected.json`, async () => {
      const { r, expected } = await report(tree);
      expect(r.host.cgroupLayout).toBe(expected.layout);
      for (const [id, sev] of Object.entries(expected.severities)) expect({ id, sev: byId(r, id).severity }).toEqual({ id, sev });
      for (const id of expected.absent ?? []) expect(r.findings.map((f) => f.id)).not.toContain(id);
      expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.id)).toHaveLength(expected.errors);
      expect(r.errors).toBe(expected.errors);
      expect(r.warnings).toBe(r.findings.filter((f) => f.severity === 'warning').length);
      // every finding is well formed
      for (const f of r.findings) {
        expect(f.explanation).not.toMatch(/\n/);
        expect(f.explanation.length).toBeGreaterThan(5);
        expect(f.id).toMatch(/^[a-z0-9]+(\.[a-z0-9_@-]+)+$/);
      }
    });
  }

  it('H1: cgroup2 mounted only at /cgroup2 is v2; no v1 controller or v1 hierarchy is reported missing, no cgroup error', async () => {
    const { r } = await report('h1');
    const layout = byId(r, 'cgroup.layout');
    expect(layout.severity).toBe('ok');
    expect(layout.facts).toMatchObject({ kind: 'v2', v2Mount: '/cgroup2', v1MountPoints: [], v2MountPoints: ['/cgroup2'] });
    const cg = r.findings.filter((f) => f.section === 'Control groups');
    expect(cg.filter((f) => f.severity === 'error')).toEqual([]);
    expect(cg.some((f) => f.id.startsWith('cgroup.v1.'))).toBe(false);
    expect(cg.map((f) => f.explanation).join('\n')).not.toMatch(/v1 hierarchy|v1 freezer/);
    // the controllers come from /cgroup2/cgroup.controllers; freeze from cgroup.freeze
    expect(byId(r, 'cgroup.memory').explanation).toContain('/cgroup2/cgroup.controllers');
    expect(byId(r, 'cgroup.freezer').explanation).toContain('cgroup.freeze in /cgroup2');
    // cpuset is not offered there: a warning with the v2 remedy, not a v1 one
    expect(byId(r, 'cgroup.cpuset').remedy?.command).toBe('echo +cpuset > /cgroup2/cgroup.subtree_control');
  });

  it('the hybrid tree reads like this host: v1 controllers, name=systemd, clone_children, v2 at /sys/fs/cgroup/unified', async () => {
    const { r } = await report('hybrid');
    expect(byId(r, 'cgroup.layout').facts).toMatchObject({
      kind: 'hybrid',
      v2MountPoints: ['/sys/fs/cgroup/unified'],
      v1MountPoints: expect.arrayContaining(['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/freezer', '/sys/fs/cgroup/systemd']),
    });
    expect(byId(r, 'cgroup.freezer').facts?.driver).toBe('v1');
    expect(byId(r, 'tools.kernel-config').explanation).toContain('/proc/config.gz');
    expect(byId(r, 'net.bridges').explanation).toContain('lxcbr0 exists');
    expect(byId(r, 'ns.newuidmap').explanation).toContain('setuid-root');
  });

  it('no kernel config at all: a warning "cannot read the kernel config", no crash, runtime signs still count', async () => {
    const { r } = await report('no-config');
    const kc = byId(r, 'tools.kernel-config');
    expect(kc.severity).toBe('warning');
    expect(kc.explanation).toMatch(/^cannot read the kernel config/);
    expect(r.host.kernelConfig).toBeNull();
    // namespaces from /proc/self/ns, veth from /sys/module/veth
    expect(byId(r, 'ns.user').facts?.runtime).toBe(true);
    expect(byId(r, 'net.veth').severity).toBe('ok');
    expect(byId(r, 'net.vlan').explanation).toMatch(/^cannot tell without the kernel config/);
  });

  it("a relative 'lxcpath' (the LXD backend's `lxd:SOCKET`) ends the storage check instead of looping on dirname('.')", async () => {
    const { root } = fixtureTree('v2');
    const r = await runCheckconfig({ fs: new HostFs(root), runner: lxcRunner(), lxcpath: 'lxd:/var/lib/lxd/unix.socket' });
    expect(r.findings.length).toBeGreaterThan(0);
  });

  it('an empty root (no /proc, no /sys, no programs): no crash; unknown cgroup layout and missing tools are errors, the rest cannot be told', async () => {
    const { mkdtempSync, rmdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'lxdeck-cc-empty-'));
    const r = await runCheckconfig({ fs: new HostFs(root), runner: lxcRunner(), lxcpath: '/var/lib/lxc' });
    rmdirSync(root); // empty: nothing was written into it
    expect(byId(r, 'cgroup.layout')).toMatchObject({ severity: 'error', explanation: expect.stringContaining('/proc/self/mountinfo') });
    expect(byId(r, 'tools.kernel-config').severity).toBe('warning');
    expect(byId(r, 'ns.pid').severity).toBe('warning');
    expect(byId(r, 'tools.lxc-start').severity).toBe('error');
    expect(r.host.distro).toEqual({ id: null, idLike: [], prettyName: null, packageManager: null });
    expect(formatReport(r)).toContain('fix: apt-get install lxc'); // unknown distribution: all three package managers
    expect(formatReport(r)).toContain('fix: dnf install lxc');
  });

  it('the kernel config falls back to /boot/config-$(uname -r) (v2 tree)', async () => {
    const { r } = await report('v2');
    expect(r.host.kernelRelease).toBe('6.1.0-18-amd64');
    expect(r.host.kernelConfig).toBe('/boot/config-6.1.0-18-amd64');
    expect(byId(r, 'net.veth').facts?.CONFIG_VETH).toBe('m');
  });

  it('no user namespaces: a warning that only privileged containers run; newuidmap is not checked', async () => {
    const { r } = await report('no-userns');
    const u = byId(r, 'ns.user');
    expect(u.explanation).toContain('only privileged containers');
    expect(u.explanation).toContain('CONFIG_USER_NS not set in /proc/config.gz');
    expect(u.facts).toMatchObject({ CONFIG_USER_NS: 'n', runtime: false });
  });

  it('no veth: an error naming CONFIG_VETH, with the distribution kernel as remedy; a dynamic busybox is an error too', async () => {
    const { r } = await report('no-veth');
    const v = byId(r, 'net.veth');
    expect(v.severity).toBe('error');
    expect(v.explanation).toContain('CONFIG_VETH not set');
    expect(v.remedy?.apt).toMatch(/^linux-image-/);
    expect(byId(r, 'tools.busybox').explanation).toContain('dynamically linked');
  });

  it('C3: a v1 cgroup key in a container config on a v2 host is flagged with the file, line and the cgroup2 key to use', async () => {
    const { r } = await report('v2');
    const k = byId(r, 'cgroup.keys.web1');
    expect(k.severity).toBe('warning');
    expect(k.explanation).toContain('/var/lib/lxc/web1/config:2: lxc.cgroup.memory.limit_in_bytes');
    expect(k.explanation).toContain('Ignoring legacy cgroup limits');
    expect(k.remedy?.command).toContain('lxc.cgroup2.memory.max');
    expect(k.facts?.keys).toEqual(['2:lxc.cgroup.memory.limit_in_bytes']);
  });

  it('newuidmap without the setuid bit is a warning with the chmod that fixes it', async () => {
    const { root } = fixtureTree('hybrid');
    chmodSync(join(root, 'usr/bin/newuidmap'), 0o755);
    const r = await runCheckconfig({ fs: new HostFs(root), runner: lxcRunner(), lxcpath: '/var/lib/lxc' });
    const f = byId(r, 'ns.newuidmap');
    expect(f.severity).toBe('warning');
    expect(f.remedy?.command).toBe('chmod u+s /usr/bin/newuidmap');
    expect(byId(r, 'ns.newgidmap').severity).toBe('ok');
  });

  it('a missing lxc-* program is an error with the lxc package for this distribution', async () => {
    const { root } = fixtureTree('v2');
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'usr/bin/lxc-attach'));
    const r = await runCheckconfig({ fs: new HostFs(root), runner: missingLxc, lxcpath: '/var/lib/lxc' });
    expect(byId(r, 'tools.lxc-attach').severity).toBe('error');
    expect(byId(r, 'tools.lxc-version')).toMatchObject({ severity: 'error', remedy: { apt: 'lxc', zypper: 'lxc', dnf: 'lxc' } });
    const text = formatReport(r);
    expect(text).toContain('fix: dnf install lxc');
    expect(text).not.toContain('apt-get install');
  });
});

describe('LXC version and known CVE fixes', () => {
  const cases: [string, string[]][] = [
    ['3.0.3', ['CVE-2019-5736', 'CVE-2022-47952']],
    ['3.0.4', ['CVE-2022-47952']],
    ['3.1.0', ['CVE-2019-5736', 'CVE-2022-47952']],
    ['3.2.1', ['CVE-2022-47952']],
    ['5.0.1', ['CVE-2022-47952']],
    ['5.0.2', []],
    ['6.0.0', []],
    ['1.1.3', ['CVE-2019-5736', 'CVE-2022-47952', 'CVE-2015-1335']],
  ];
  for (const [v, cves] of cases) {
    it(`lxc-start --version ${v} -> ${cves.length ? cves.join(', ') : 'no known fix missing'}`, async () => {
      const { root } = fixtureTree('hybrid');
      const runner = lxcRunner(v);
      const r = await runCheckconfig({ fs: new HostFs(root), runner, lxcpath: '/var/lib/lxc' });
      expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['lxc-start', '--version']]);
      const f = byId(r, 'tools.lxc-version');
      expect(f.facts?.cves).toEqual(cves);
      expect(f.severity).toBe(cves.length ? 'warning' : 'ok');
      for (const c of cves) expect(f.explanation).toContain(c);
      expect(r.host.lxcVersion).toBe(v);
    });
  }
});

describe('host virtualization from structured sources', () => {
  it('container from /run/systemd/container, VM from DMI, VM from the cpuinfo hypervisor flag, else bare metal', async () => {
    const check = async (files: Record<string, string>) => {
      const { root } = fixtureTree('hybrid');
      for (const [p, t] of Object.entries(files)) {
        mkdirSync(join(root, p, '..'), { recursive: true });
        writeFileSync(join(root, p), t);
      }
      const r = await runCheckconfig({ fs: new HostFs(root), runner: lxcRunner(), lxcpath: '/var/lib/lxc' });
      return byId(r, 'tools.virtualization');
    };
    expect(await check({ 'run/systemd/container': 'lxc\n' })).toMatchObject({ severity: 'warning', facts: { kind: 'container', name: 'lxc' } });
    expect(await check({ 'sys/class/dmi/id/sys_vendor': 'QEMU\n' })).toMatchObject({ severity: 'ok', facts: { kind: 'vm', name: 'qemu' } });
    expect(await check({ 'proc/cpuinfo': 'flags\t\t: fpu vme hypervisor lahf_lm\n' })).toMatchObject({ facts: { kind: 'vm', source: '/proc/cpuinfo' } });
    expect(await check({})).toMatchObject({ severity: 'ok', facts: { kind: 'none' } });
  });
});

describe('formatReport', () => {
  it('groups by section with plain markers and no escape codes; colour only when asked', async () => {
    const { r } = await report('no-veth');
    const plain = formatReport(r);
    expect(plain).not.toMatch(/\u001b/);
    const sections = [...plain.matchAll(/^--- (.+) ---$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['Namespaces', 'Control groups', 'Networking', 'Security', 'LXC and tools', 'Storage']);
    expect(plain).toMatch(/^\[FAIL\] Veth pair device: .*CONFIG_VETH/m);
    expect(formatReport((await report('hybrid')).r)).toMatch(/^\[warn\] Vlan: .*CONFIG_VLAN_8021Q not set/m);
    expect(plain).toMatch(/^\[ok\] {3}Bridges: /m);
    expect(plain).toContain('fix: apt-get install busybox-static');
    expect(plain.trimEnd().split('\n').at(-1)).toBe(`2 errors, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}`);
    const coloured = formatReport(r, { color: true });
    expect(coloured).toContain('\u001b[1;31m[FAIL]\u001b[0m');
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain);
  });
});
