import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckReport, Finding } from '../../core/checkconfig/index.js';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc } from '../helpers/lxc-env.js';

const ESC = '\x1b';
const stripColour = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** lxc-checkconfig's report: `Label: enabled|missing|required[, loaded]` items, mount point lists, version, and newuidmap notes. */
interface LxcCheckconfig {
  version: string | null;
  items: Map<string, 'enabled' | 'missing' | 'required'>;
  v1Mounts: string[];
  v2Mounts: string[];
  notes: string[];
}

/** Parses lxc-checkconfig output (LXC 5.0's src/lxc/cmd/lxc-checkconfig.in), colour codes stripped. */
function parseLxcCheckconfig(raw: string): LxcCheckconfig {
  const out: LxcCheckconfig = { version: null, items: new Map(), v1Mounts: [], v2Mounts: [], notes: [] };
  let list: string[] | null = null;
  for (const line of stripColour(raw).split('\n')) {
    const v = /^LXC version (\S+)/.exec(line);
    if (v) out.version = v[1];
    if (/^Cgroup v1 mount points:/.test(line)) {
      list = out.v1Mounts;
      continue;
    }
    if (/^Cgroup v2 mount points:/.test(line)) {
      list = out.v2Mounts;
      continue;
    }
    const mp = /^ - (\S+)$/.exec(line);
    if (mp && list) {
      list.push(mp[1]);
      continue;
    }
    list = null;
    const m = /^(.+?): (enabled|missing|required)(?:,.*)?$/.exec(line.trim());
    if (m) out.items.set(m[1], m[2] as 'enabled' | 'missing' | 'required');
    if (/newuidmap|newgidmap/.test(line)) out.notes.push(line.trim());
  }
  return out;
}

/** lxc-checkconfig's label -> lxdeck's finding id, for every item both report. */
const SHARED: Record<string, string> = {
  Namespaces: 'ns.namespaces',
  'Utsname namespace': 'ns.uts',
  'Ipc namespace': 'ns.ipc',
  'Pid namespace': 'ns.pid',
  'User namespace': 'ns.user',
  'Network namespace': 'ns.net',
  Cgroups: 'cgroup.kernel',
  'Cgroup namespace': 'ns.cgroup',
  'Cgroup v1 clone_children flag': 'cgroup.v1.clone_children',
  'Cgroup v1 systemd controller': 'cgroup.v1.systemd',
  'Cgroup v1 freezer controller': 'cgroup.freezer',
  'Cgroup device': 'cgroup.devices',
  'Cgroup sched': 'cgroup.cpu',
  'Cgroup cpu account': 'cgroup.cpuacct',
  'Cgroup memory controller': 'cgroup.memory',
  'Cgroup cpuset': 'cgroup.cpuset',
  'Veth pair device': 'net.veth',
  Macvlan: 'net.macvlan',
  Vlan: 'net.vlan',
  Bridges: 'net.bridge',
  'Advanced netfilter': 'net.netfilter',
  CONFIG_IP_NF_TARGET_MASQUERADE: 'net.masquerade.ipv4',
  CONFIG_IP6_NF_TARGET_MASQUERADE: 'net.masquerade.ipv6',
  CONFIG_NETFILTER_XT_TARGET_CHECKSUM: 'net.checksum',
  CONFIG_NETFILTER_XT_MATCH_COMMENT: 'net.comment',
  'FUSE (for use with lxcfs)': 'storage.fuse',
  'File capabilities': 'sec.capabilities',
};

/**
 * Items where lxdeck disagrees with lxc-checkconfig ON PURPOSE, and only on a
 * unified-only host (H1): lxc-checkconfig asks for v1 systemd and freezer
 * hierarchies whenever cgroup2 is not mounted exactly at /sys/fs/cgroup, and
 * judges devices and cpuacct by their v1 kernel options.
 */
const V2_ON_PURPOSE = new Set(['cgroup.v1.systemd', 'cgroup.freezer', 'cgroup.devices', 'cgroup.cpuacct']);

function lxdeckJson(args: string[] = []): { status: number; report: CheckReport } {
  const r = runCli(['checkconfig', '--json', ...args], { NO_COLOR: '1' });
  expect(r.stderr).toBe('');
  return { status: r.status, report: JSON.parse(r.stdout) as CheckReport };
}

describe.runIf(RUN_LXC)('checkconfig on this host, against lxc-checkconfig', () => {
  requireLxc();

  it('agrees with lxc-checkconfig on every item both report, and explains each', () => {
    const raw = execFileSync('lxc-checkconfig', [], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    const lcc = parseLxcCheckconfig(raw);
    expect(lcc.items.size).toBeGreaterThan(15); // the parser understood the output
    const { status, report } = lxdeckJson();
    const byId = new Map(report.findings.map((f) => [f.id, f] as [string, Finding]));
    const v2only = report.host.cgroupLayout === 'v2';
    const compared: string[] = [];
    const disagreements: string[] = [];
    for (const [label, state] of lcc.items) {
      const id = SHARED[label];
      if (id === undefined) continue; // Checkpoint/Restore items: lxdeck does not report them
      if (v2only && V2_ON_PURPOSE.has(id)) continue;
      const f = byId.get(id);
      expect(f, `lxdeck has no finding ${id} for lxc-checkconfig's "${label}"`).toBeDefined();
      compared.push(label);
      const ours = f!.severity === 'ok' ? 'enabled' : 'not enabled';
      const theirs = state === 'enabled' ? 'enabled' : 'not enabled';
      if (ours !== theirs) disagreements.push(`${label}: lxc-checkconfig ${state}, lxdeck ${f!.severity} (${f!.explanation})`);
      // lxc-checkconfig's "required" items block containers: lxdeck calls them errors
      if (state === 'required') expect(f!.severity).toBe('error');
      // explained: one line, and a remedy when it is not ok
      expect(f!.explanation).toMatch(/^[^\n]{10,}$/);
      if (f!.severity !== 'ok') expect(f!.remedy, `${id} has no remedy`).toBeDefined();
    }
    expect(disagreements).toEqual([]);
    expect(compared.length).toBeGreaterThan(15);

    // the version both read from lxc-start --version
    expect(report.host.lxcVersion).toBe(lcc.version);
    // the same cgroup mount points (lxc-checkconfig reads /proc/self/mounts, lxdeck mountinfo)
    const layout = byId.get('cgroup.layout')!;
    expect(layout.facts?.v1MountPoints).toEqual(lcc.v1Mounts);
    expect(layout.facts?.v2MountPoints).toEqual(lcc.v2Mounts);
    // newuidmap / newgidmap: lxc-checkconfig prints a note only when one is missing or not setuid
    if (byId.get('ns.user')!.severity === 'ok') {
      for (const p of ['newuidmap', 'newgidmap']) {
        const noted = lcc.notes.some((n) => n.includes(p));
        expect(byId.get(`ns.${p}`)!.severity === 'ok', `${p}: lxc-checkconfig notes ${JSON.stringify(lcc.notes)}`).toBe(!noted);
      }
    }
    // the exit status follows the errors
    expect(status).toBe(report.errors > 0 ? 1 : 0);
    expect(report.errors).toBe(report.findings.filter((f) => f.severity === 'error').length);
    expect(report.warnings).toBe(report.findings.filter((f) => f.severity === 'warning').length);
  });
});

describe('lxdeck checkconfig: output and exit status', () => {
  it('plain text when stdout is not a terminal: section headers, [ok]/[warn]/[FAIL] markers, no escape codes, exit 0 or 1 by errors', () => {
    const r = runCli(['checkconfig']);
    expect(r.stdout).not.toContain(ESC);
    const sections = [...r.stdout.matchAll(/^--- (.+) ---$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['Namespaces', 'Control groups', 'Networking', 'Security', 'LXC and tools', 'Storage']);
    expect(r.stdout).toMatch(/^\[ok\] {3}Cgroup layout: /m);
    const last = /(\d+) errors?, (\d+) warnings?\s*$/.exec(r.stdout);
    expect(last).not.toBeNull();
    expect(r.status).toBe(Number(last![1]) > 0 ? 1 : 0);
  });

  it('--json prints {findings, errors, warnings} with the counts matching the findings', () => {
    const { report } = lxdeckJson();
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['findings', 'errors', 'warnings']));
    expect(report.findings.length).toBeGreaterThan(30);
    // the backing stores are info findings: one each for dir, loop, btrfs, lvm, zfs
    expect(report.findings.filter((f: { severity: string }) => f.severity === 'info').length).toBeGreaterThanOrEqual(5);
    for (const f of report.findings) {
      expect(['error', 'warning', 'info', 'ok']).toContain(f.severity);
      expect(typeof f.section).toBe('string');
      expect(typeof f.title).toBe('string');
    }
  });

  it.runIf(process.getuid?.() === 0)('exits 1 when a finding blocks containers: an lxcpath on a 1 MiB tmpfs has no room for a rootfs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lxdeck-cc-tiny-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot mount a tmpfs for this test: ${String(e)}`);
    }
    try {
      mkdirSync(join(dir, 'lxc'));
      const r = runCli(['--lxcpath', join(dir, 'lxc'), 'checkconfig']);
      expect(r.stdout).toMatch(/^\[FAIL\] Free space in the lxcpath: .*MiB free.* a rootfs will not fit$/m);
      expect(r.status).toBe(1);
      const j = runCli(['--lxcpath', join(dir, 'lxc'), 'checkconfig', '--json']);
      expect(j.status).toBe(1);
      const report = JSON.parse(j.stdout) as CheckReport;
      expect(report.errors).toBeGreaterThanOrEqual(1);
      expect(report.findings.find((f) => f.id === 'storage.lxcpath')).toMatchObject({ severity: 'error', facts: { measuredAt: join(dir, 'lxc') } });
    } finally {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('colour only on a terminal, and never with NO_COLOR (script(1) gives the CLI a pty)', () => {
    const viaPty = (env: Record<string, string | undefined>) =>
      spawnSync('script', ['-qec', `${process.execPath} ${CLI} checkconfig`, '/dev/null'], {
        encoding: 'utf8',
        env: { ...process.env, TERM: 'xterm-256color', ...env },
        timeout: 60_000,
      });
    const coloured = viaPty({ NO_COLOR: undefined });
    expect(coloured.stdout).toMatch(/\x1b\[32m\[ok\]/);
    const plain = viaPty({ NO_COLOR: '1' });
    expect(plain.stdout).toContain('[ok]');
    expect(plain.stdout).not.toMatch(/\x1b\[[0-9;]*m/);
  });
});
