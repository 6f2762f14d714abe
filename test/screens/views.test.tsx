import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { actionLogScope, type ConsoleServices, type TerminalHandOff } from '../../src/console/services.js';
import { reportLines } from '../../src/screens/CheckconfigReport.js';
import { displayWidth } from '../../components/text.js';
import type { CheckReport, Finding } from '../../core/checkconfig/types.js';
import { readRecentActions, type ActionEntry } from '../../core/actionlog/log.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeEngine, proc, summary } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, stripAnsi, type Rendered } from './render.js';

const plain = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function open(engine: FakeEngine, services: ConsoleServices = {}, theme = plain, columns = 80, rows = 24): Rendered {
  r = renderAt(<App engine={engine} refreshMs={0} theme={theme} services={services} />, columns, rows);
  return r;
}

function expectFits(frame: string, columns: number, rows: number): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(displayWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(columns);
}

/** Waits for a screen, then lets its key handler subscribe (a passive effect after the frame). */
async function shown(s: Rendered, ok: (f: string) => boolean, what: string): Promise<string> {
  const f = await s.waitFor(ok, what);
  await delay(50);
  return f;
}

const finding = (f: Partial<Finding> & Pick<Finding, 'id' | 'severity'>): Finding => ({ section: 'Namespaces', title: f.id, explanation: 'x', ...f });

/** A report like the one on a host without user namespaces (fixture). */
function fixtureReport(extra: Finding[] = []): CheckReport {
  const findings: Finding[] = [
    finding({ id: 'ns.user', title: 'User namespace', severity: 'error', explanation: 'missing: unprivileged containers cannot start', remedy: { kernelParam: 'user_namespace.enable=1' } }),
    finding({ id: 'ns.pid', title: 'PID namespace', severity: 'ok', explanation: 'enabled' }),
    finding({ section: 'Control groups', id: 'cgroup.layout', title: 'Cgroup layout', severity: 'ok', explanation: 'hybrid' }),
    finding({ section: 'Security', id: 'mac', title: 'Mandatory access control', severity: 'warning', explanation: 'neither AppArmor nor SELinux is active', remedy: { apt: 'apparmor', zypper: 'apparmor-parser' } }),
    ...extra,
  ];
  return {
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    host: {
      distro: { id: 'debian', idLike: [], prettyName: 'Debian GNU/Linux 12 (bookworm)', packageManager: 'apt' },
      kernelRelease: '6.1.0-18-amd64',
      kernelConfig: '/boot/config-6.1.0-18-amd64',
      cgroupLayout: 'hybrid',
      virtualization: { kind: 'none', name: null, source: null },
      lxcVersion: '5.0.2',
    },
  };
}

describe('checkconfig screen', () => {
  it('shows sections like lxc-checkconfig, errors and warnings with the remedy for this distro (apt only)', () => {
    const lines = reportLines(fixtureReport());
    const text = lines.map((l) => l.text);
    expect(text).toContain('--- Namespaces ---');
    expect(text.indexOf('--- Namespaces ---')).toBeLessThan(text.indexOf('--- Control groups ---'));
    const err = lines.find((l) => l.text.startsWith('[FAIL] User namespace'));
    expect(err?.color).toBe('red');
    expect(lines.find((l) => l.text.startsWith('[warn] Mandatory access control'))?.color).toBe('yellow');
    expect(text).toContain('       fix: add the kernel parameter: user_namespace.enable=1');
    expect(text).toContain('       fix: apt-get install apparmor');
    expect(text.join('\n')).not.toContain('zypper');
    // an ok finding has no remedy line
    expect(text[text.indexOf(text.find((t) => t.startsWith('[ok]   PID namespace'))!) + 1]).not.toMatch(/fix:/);
  });

  it('opens at start when the report has errors, in red, and Esc shows the list', async () => {
    const e = new FakeEngine([summary('web-01')]);
    const s = open(e, { checkconfig: async () => fixtureReport() });
    const f = await shown(s, (x) => x.includes('Host check'), 'the report');
    expect(f).toContain('[FAIL] User namespace: missing');
    expect(f).toContain('1 error, 1 warning');
    expect(f).toContain('this host has 1 problem that stops containers');
    await s.press(KEY.escape);
    await shown(s, (x) => x.includes('web-01') && !x.includes('Host check'), 'the list');
    // K opens it again, from the report made at start (not made twice)
    await s.press('K');
    await s.waitFor((x) => x.includes('Host check'), 'the report again');
  });

  it('does not open at start without errors; K makes the report again (the host may have changed since), r once more', async () => {
    let made = 0;
    const e = new FakeEngine([summary('web-01')]);
    const report = fixtureReport().findings.filter((f) => f.severity !== 'error');
    const s = open(e, { checkconfig: async () => (made++, { ...fixtureReport(), findings: report, errors: 0 }) });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await delay(100);
    expect(s.frame()).not.toContain('Host check');
    expect(made).toBe(1);
    await s.press('K');
    await shown(s, (x) => x.includes('Host check') && x.includes('0 errors, 1 warning'), 'the report');
    await s.waitFor(() => made === 2, 'a fresh report when the screen opens');
    await s.press('r');
    await s.waitFor(() => made === 3, 'a third report on r');
  });

  it('scrolls a long report within 80x24', async () => {
    const many = Array.from({ length: 40 }, (_, i) => finding({ section: 'Storage', id: `s${i}`, title: `Item ${i}`, severity: 'warning', explanation: 'a'.repeat(120), remedy: { command: 'b'.repeat(100) } }));
    const e = new FakeEngine();
    const s = open(e, { checkconfig: async () => fixtureReport(many) });
    let f = await shown(s, (x) => x.includes('Host check'), 'the report');
    expect(f).toMatch(/1-\d+ of \d+/);
    await s.press('G');
    f = await s.waitFor((x) => x.includes('Item 39'), 'the end');
    expect(f).not.toContain('--- Namespaces ---');
    for (const raw of s.stdout.frames) expectFits(stripAnsi(raw), 80, 24);
  });
});

describe('info view', () => {
  it('Enter on a container shows state, PID, addresses, network, cgroups, idmap, limits and C3 ignored keys with their replacement', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING', { pid: 4321, ipv4: ['10.0.3.5'] })]);
    e.infoExtra = {
      ipv6: ['fd00::5'],
      net: [{ index: 0, type: 'veth', link: 'lxdeckbr0', vethPair: 'vlweb-01-x', hostVeth: 'vethAB12', hostVethExists: true, ifname: 'eth0', hwaddr: '00:16:3e:11:22:33', ipv4: ['10.0.3.5/24'], ipv4Gateway: '10.0.3.1' }],
      unprivileged: true,
      idmap: [
        { type: 'u', nsid: 0, hostid: 100000, count: 65536 },
        { type: 'g', nsid: 0, hostid: 100000, count: 65536 },
      ],
      cgroupPaths: { v2: '/sys/fs/cgroup/lxc.payload.web-01', v1: {} },
      limits: { name: 'web-01', running: true, layout: 'v2', applied: { memory: 536870912, memorySoft: null, swap: 'max', memsw: null, cpuWeight: 100, cpus: 'max', cpuQuota: null, cpuset: null, cpusetEffective: [0, 1], ioWeight: null, io: [], pids: 'max' }, saved: [{ key: 'lxc.cgroup2.memory.max', value: '536870912' }], ignored: [] },
      ignoredKeys: [{ key: 'lxc.cgroup.memory.limit_in_bytes', value: '2048M', reason: 'this host has no cgroup v1 memory hierarchy: LXC ignores it', replacement: 'lxc.cgroup2.memory.max', replacementLine: 'lxc.cgroup2.memory.max = 2147483648' }],
    };
    const s = open(e);
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press(KEY.enter);
    let f = await shown(s, (x) => x.includes('Container web-01') && x.includes('4321'), 'the info');
    expect(f).toMatch(/State +RUNNING/);
    expect(f).toMatch(/IPv4 +10\.0\.3\.5/);
    expect(f).toMatch(/IPv6 +fd00::5/);
    expect(f).toMatch(/eth0 +veth, bridge lxdeckbr0, host veth vethAB12/);
    expect(f).toContain('hwaddr 00:16:3e:11:22:33');
    expect(f).toContain('ipv4 10.0.3.5/24 via 10.0.3.1');
    expect(f).toContain('unprivileged (lxc.idmap = u 0 100000 65536; g 0 100000 65536)');
    await s.press('G');
    f = await s.waitFor((x) => x.includes('write instead'), 'the end of the info');
    expect(f).toContain('/sys/fs/cgroup/lxc.payload.web-01');
    expect(f.replace(/\s+/g, ' ')).toContain('In effect memory 512 MiB, swap unlimited, CPUs unlimited, CPU weight 100, cpuset 0-1, pids unlimited');
    expect(f).toContain('lxc.cgroup2.memory.max = 536870912');
    expect(f.replace(/\s+/g, ' ')).toContain('lxc.cgroup.memory.limit_in_bytes = 2048M: this host has no cgroup v1 memory hierarchy');
    expect(f).toContain('write instead: lxc.cgroup2.memory.max = 2147483648');
    expect(e.callsOf('info')).toEqual([['web-01']]);
    // r reads it again; p opens the processes; Esc comes back here, then to the list
    await s.press('r');
    await s.waitFor(() => e.callsOf('info').length === 2, 'a second read');
    await s.press('p');
    await shown(s, (x) => x.includes('Processes of web-01'), 'the processes');
    await s.press(KEY.escape);
    await shown(s, (x) => x.includes('Container web-01'), 'the info again');
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('1 container, 1 running'), 'the list');
  });

  it('an engine error is shown with its hint', async () => {
    const e = new FakeEngine([summary('web-01')]);
    e.failOn('info', { code: 'E_CONFIG', message: 'web-01/config:3: bad line', hint: 'fix the line' });
    const s = open(e);
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('i');
    const f = await s.waitFor((x) => x.includes('bad line'), 'the error');
    expect(f).toContain('hint: fix the line');
  });
});

describe('processes view', () => {
  it('lists the processes, refreshes live, t asks and y sends TERM, K asks and n keeps the process, y sends KILL', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING', { pid: 4321 })]);
    e.processes.set('web-01', [proc(4321, '/sbin/init', { nspid: 1 }), proc(4400, 'sshd: /usr/sbin/sshd -D', { nspid: 50, user: 'root' }), proc(4500, 'sleep 1000', { nspid: 60, user: 'daemon', rssBytes: 2 * 1048576 })]);
    const s = open(e, { psRefreshMs: 100 });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('p');
    let f = await shown(s, (x) => x.includes('Processes of web-01') && x.includes('sleep 1000'), 'the processes');
    expect(f).toMatch(/PID +CT-PID +USER +S +CPU% +RSS +COMMAND/);
    expect(f).toMatch(/4321 +1 +root +S .*\/sbin\/init/);
    expect(f).toMatch(/4500 +60 +daemon .*2 MiB +sleep 1000/);
    expect(f).toContain('3 processes');
    // live: a new process shows up without a key
    e.processes.get('web-01')!.push(proc(4600, 'top', { nspid: 70 }));
    await s.waitFor((x) => x.includes('top') && x.includes('4 processes'), 'the refresh');
    await s.press(KEY.down, 't');
    await s.waitFor((x) => x.includes('send TERM to PID 4400 (sshd: /usr/sbin/sshd -D)? y/n'), 'the TERM question');
    expect(e.signals).toEqual([]);
    await s.press('y');
    await s.waitFor((x) => x.includes('sent SIGTERM to 4400'), 'TERM sent');
    expect(e.signals).toEqual([['web-01', 4400, 'TERM']]);
    await s.waitFor((x) => !x.split('\n').some((l) => /^[› ] +4400 /.test(l)), 'the process gone');
    // KILL asks first
    await s.press('G', 'K');
    f = await s.waitFor((x) => x.includes('send KILL to PID 4600 (top)? y/n'), 'the question');
    expect(f).toContain('SIGKILL cannot be caught');
    expect(f).not.toContain('sent SIGTERM'); // the question hides the last signal's outcome
    await s.press('n');
    await s.waitFor((x) => !x.includes('send KILL'), 'the question closed');
    expect(e.signals).toHaveLength(1);
    await s.press('K');
    await s.waitFor((x) => x.includes('send KILL to PID 4600 (top)? y/n'), 'the question again');
    await s.press('y');
    await s.waitFor((x) => x.includes('sent SIGKILL to 4600'), 'KILL sent');
    expect(e.signals).toEqual([
      ['web-01', 4400, 'TERM'],
      ['web-01', 4600, 'KILL'],
    ]);
    for (const raw of s.stdout.frames) expectFits(stripAnsi(raw), 80, 24);
  });

  /** The PID on the marked row, or null when no row is marked. */
  const markedPid = (f: string): number | null => {
    const m = f.split('\n').map((l) => /^› +(\d+) /.exec(l)).find((x) => x !== null);
    return m ? Number(m[1]) : null;
  };

  async function openProcs(n: number): Promise<{ e: FakeEngine; s: Rendered; pids: number[] }> {
    const e = new FakeEngine([summary('web-01', 'RUNNING', { pid: 5000 })]);
    const pids = Array.from({ length: n }, (_, i) => 5000 + i * 10);
    e.processes.set('web-01', pids.map((pid, i) => proc(pid, i === 0 ? '/sbin/init' : `worker-${i}`, { nspid: i + 1 })));
    const s = open(e, { psRefreshMs: 0 });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('p');
    await shown(s, (x) => x.includes('Processes of web-01') && x.includes(`${n} processes`), 'the processes');
    return { e, s, pids };
  }

  it('several keys in one read move one row each (Down Down, jjj, kk), like the container list', async () => {
    const { s, pids } = await openProcs(6);
    expect(markedPid(s.frame())).toBe(pids[0]);
    s.stdin.write(KEY.down + KEY.down);
    await s.waitFor((x) => markedPid(x) === pids[2], 'two rows down from one read');
    s.stdin.write('jjj');
    await s.waitFor((x) => markedPid(x) === pids[5], 'three rows down from one read');
    s.stdin.write('kk');
    await s.waitFor((x) => markedPid(x) === pids[3], 'two rows up from one read');
    await delay(50);
    expect(markedPid(s.frame())).toBe(pids[3]);
  });

  it('Down on the last row stays on the last row (one read or key by key); the view still scrolls past a page', async () => {
    const { e, s, pids } = await openProcs(30);
    await s.press('G');
    await s.waitFor((x) => markedPid(x) === pids[29], 'the last row');
    await s.press(KEY.down);
    await delay(50);
    expect(markedPid(s.frame())).toBe(pids[29]);
    s.stdin.write('jjjj');
    await delay(80);
    expect(markedPid(s.frame())).toBe(pids[29]);
    await s.press('g');
    await s.waitFor((x) => markedPid(x) === pids[0], 'the first row');
    for (let i = 0; i < 35; i++) s.stdin.write('j');
    await s.waitFor((x) => markedPid(x) === pids[29], 'the last row key by key');
    await delay(50);
    expect(markedPid(s.frame())).toBe(pids[29]);
    // the marked process ends: the cursor stays on the (new) last row, not off the list nor back at the top
    e.processes.get('web-01')!.pop();
    await s.press('r');
    await s.waitFor((x) => x.includes('29 processes') && markedPid(x) === pids[28], 'the new last row marked');
    await s.press(KEY.down);
    await delay(50);
    expect(markedPid(s.frame())).toBe(pids[28]);
  });

  it('t and h ask first like K: "send TERM to PID N (command)? y/n"; n sends nothing, y sends to the row asked about', async () => {
    const { e, s, pids } = await openProcs(4);
    await s.press('j', 't');
    let f = await s.waitFor((x) => x.includes(`send TERM to PID ${pids[1]} (worker-1)? y/n`), 'the TERM question');
    expect(e.signals).toEqual([]);
    // keys other than y/n/Esc do not move the row nor answer
    await s.press('j', KEY.enter);
    await s.waitFor((x) => !x.includes('send TERM to PID'), 'Enter says no');
    expect(e.signals).toEqual([]);
    await s.press('t');
    await s.waitFor((x) => x.includes(`send TERM to PID ${pids[1]} (worker-1)? y/n`), 'asked again');
    await s.press('n');
    await s.waitFor((x) => !x.includes('send TERM to PID'), 'the question closed');
    expect(e.signals).toEqual([]);
    await s.press('t');
    await s.waitFor((x) => x.includes(`send TERM to PID ${pids[1]}`), 'asked again');
    await s.press('y');
    await s.waitFor((x) => x.includes(`sent SIGTERM to ${pids[1]}`), 'TERM sent');
    expect(e.signals).toEqual([['web-01', pids[1], 'TERM']]);
    await s.press('G', 'h');
    f = await s.waitFor((x) => x.includes(`send HUP to PID ${pids[3]} (worker-3)? y/n`), 'the HUP question');
    expect(f).not.toContain('sent SIGHUP');
    await s.press(KEY.escape);
    await s.waitFor((x) => !x.includes('send HUP to PID'), 'Esc says no');
    await delay(50);
    expect(e.signals).toHaveLength(1);
    expect(s.frame()).toContain('Processes of web-01');
    await s.press('h', 'y');
    await s.waitFor((x) => x.includes(`sent SIGHUP to ${pids[3]}`), 'HUP sent');
    expect(e.signals).toEqual([
      ['web-01', pids[1], 'TERM'],
      ['web-01', pids[3], 'HUP'],
    ]);
    for (const raw of s.stdout.frames) expectFits(stripAnsi(raw), 80, 24);
  });

  it('a STOPPED container has no processes: p says so and opens nothing', async () => {
    const e = new FakeEngine([summary('db')]);
    const s = open(e);
    await shown(s, (x) => x.includes('db'), 'the list');
    await s.press('p');
    const f = await s.waitFor((x) => x.includes('it has no processes'), 'the refusal');
    expect(f).toContain('start it first with s');
    expect(e.callsOf('psSnapshot')).toEqual([]);
  });
});

describe('action log pane', () => {
  it('l shows the last actions, newest at the bottom, each with its equivalent command and result', async () => {
    const entries: ActionEntry[] = [
      { time: '2025-03-01T10:00:00.000Z', user: 'alice', container: 'web-01', action: 'start', command: 'lxc-start -P /var/lib/lxc -n web-01 -d', result: 'ok', durationMs: 12 },
      { time: '2025-03-01T10:01:00.000Z', user: 'alice', container: 'web-01', action: 'freeze', command: 'lxc-freeze -P /var/lib/lxc -n web-01', result: 'E_STATE', message: 'web-01 is STOPPED', durationMs: 3 },
      { time: '2025-03-01T10:02:00.000Z', user: 'bob', container: 'web-01', action: 'attach', command: 'lxc-attach -P /var/lib/lxc -n web-01 -- /bin/sh', result: 'ok', exitStatus: 3, durationMs: 5000 },
    ];
    let asked = 0;
    const e = new FakeEngine([summary('web-01')]);
    const s = open(e, { recentActions: (n) => (asked = n, entries) });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('l');
    const f = await shown(s, (x) => x.includes('Action log') && x.includes('alice'), 'the log');
    expect(asked).toBe(200);
    expect(f).toContain('2025-03-01 10:00:00  alice  start web-01  ok  12 ms');
    expect(f).toContain('$ lxc-start -P /var/lib/lxc -n web-01 -d');
    // a failure's heading keeps its two-space columns; the message is on the line under it
    expect(f).toContain('2025-03-01 10:01:00  alice  freeze web-01  E_STATE  3 ms');
    expect(f).toMatch(/freeze web-01 {2}E_STATE {2}3 ms\n\s+web-01 is STOPPED\n\s+\$ lxc-freeze/);
    expect(f).toContain('attach web-01  ok, exit 3');
    expect(f.indexOf('start web-01')).toBeLessThan(f.indexOf('attach web-01'));
  });

  it('a failure with a message longer than the line: the heading keeps its spacing, the message wraps under it', async () => {
    const long = 'no container named nosuchbox-pol in /var/lib/lxc, and a reason long enough to need two lines at 80 columns';
    const entries: ActionEntry[] = [{ time: '2025-03-01T10:01:00.000Z', user: 'root', container: 'nosuchbox-pol', action: 'start', command: 'lxc-start -P /var/lib/lxc -n nosuchbox-pol -d', result: 'E_NOT_FOUND', message: long, durationMs: 3 }];
    const e = new FakeEngine([summary('web-01')]);
    const s = open(e, { recentActions: () => entries });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('l');
    const f = await shown(s, (x) => x.includes('Action log') && x.includes('nosuchbox-pol'), 'the log');
    expect(f).toContain('2025-03-01 10:01:00  root  start nosuchbox-pol  E_NOT_FOUND  3 ms');
    expect(f.replace(/\s+/g, ' ')).toContain(long);
  });

  it("l shows only the console's lxcpath's actions and says which in its title; older entries without an lxcpath are left out", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lxdeck-logpane-'));
    try {
      const file = join(dir, 'actions.log');
      const line = (container: string, lxcpath?: string): string =>
        JSON.stringify({ time: '2025-03-01T10:00:00.000Z', user: 'alice', ...(lxcpath ? { lxcpath } : {}), container, action: 'start', command: `lxc-start -n ${container} -d`, result: 'ok', durationMs: 1 });
      writeFileSync(file, [line('old-one'), line('here-1', '/var/lib/lxc'), line('elsewhere', '/srv/other'), line('here-2', '/var/lib/lxc/')].join('\n') + '\n');
      const e = new FakeEngine([summary('web-01')]);
      expect(actionLogScope(e)).toBe(e.lxcpath);
      const s = open(e, { recentActions: (n, f) => readRecentActions(n, file, f), actionLogScope: actionLogScope(e) });
      await shown(s, (x) => x.includes('web-01'), 'the list');
      await s.press('l');
      const f = await shown(s, (x) => x.includes('Action log of /var/lib/lxc') && x.includes('here-2'), 'the log of this lxcpath');
      expect(f).toContain('start here-1');
      expect(f).not.toContain('elsewhere');
      expect(f).not.toContain('old-one');
      // a console over an lxcpath with no actions yet says whose log it is and where older ones are
      s.unmount();
      const t = open(e, { recentActions: (n, f2) => readRecentActions(n, file, f2), actionLogScope: '/srv/empty' });
      await shown(t, (x) => x.includes('web-01'), 'the list');
      await t.press('l');
      const g = await shown(t, (x) => x.includes('no actions in /srv/empty logged yet'), 'the empty log');
      expect(g).toContain('Action log of /srv/empty');
      expect(g).toContain('show in lxdeck log');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a log that cannot be read says why', async () => {
    const e = new FakeEngine([summary('web-01')]);
    const s = open(e, {
      recentActions: () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('l');
    const f = await s.waitFor((x) => x.includes('cannot read the action log'), 'the error');
    expect(f).toContain('readable by root only');
  });
});

describe('attach and console from the list', () => {
  function fakeTerminal(log: string[]): TerminalHandOff {
    return {
      release: (note) => log.push(`release ${note?.trim() ?? ''}`),
      reclaim: () => log.push('reclaim'),
    };
  }

  it('a hands the terminal to attach (release, child, reclaim) and redraws the list with the exit status', async () => {
    const log: string[] = [];
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    e.onHandOver = async (kind, name) => {
      log.push(`child ${kind} ${name}`);
      await delay(50);
      return 3;
    };
    const s = open(e, { terminal: fakeTerminal(log) });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('a');
    const f = await s.waitFor((x) => x.includes('back from attach to web-01 (exit status 3)'), 'the list again');
    expect(log).toEqual(['release lxdeck: attached to web-01; exit the shell (exit or Ctrl+D) to come back', 'child attach web-01', 'reclaim']);
    expect(f).toMatch(/› web-01 +RUNNING/);
    expect(e.callsOf('attach')).toEqual([['web-01', undefined]]);
    // the list reads keys again
    await delay(50);
    await s.press('t');
    await s.waitFor((x) => x.includes('stopped web-01'), 'a key after the hand-off');
  });

  it('attach to a STOPPED container is refused before anything is handed over', async () => {
    const log: string[] = [];
    const e = new FakeEngine([summary('db')]);
    const s = open(e, { terminal: fakeTerminal(log) });
    await shown(s, (x) => x.includes('db'), 'the list');
    await s.press('a');
    const f = await s.waitFor((x) => x.includes('attach needs it RUNNING'), 'the refusal');
    expect(f).toContain('start it first with s');
    expect(log).toEqual([]);
    expect(e.callsOf('attach')).toEqual([]);
  });

  it('an engine refusal (E_STATE) after the suspend gives the terminal back untouched and shows the hint', async () => {
    const log: string[] = [];
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    e.failOn('attach', { code: 'E_STATE', message: 'web-01 is FROZEN: attach needs it RUNNING', hint: 'thaw it first' });
    const s = open(e, { terminal: fakeTerminal(log) });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('a');
    const f = await s.waitFor((x) => x.includes('hint: thaw it first'), 'the error');
    expect(f).toContain('web-01 is FROZEN');
    expect(log).toEqual([]); // never released: nothing to reclaim
  });

  it('o shows the escape sequence first; Enter hands over to the console, Esc does not', async () => {
    const log: string[] = [];
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    e.onHandOver = (kind, name) => (log.push(`child ${kind} ${name}`), 0);
    const s = open(e, { terminal: fakeTerminal(log) });
    await shown(s, (x) => x.includes('web-01'), 'the list');
    await s.press('o');
    let f = await s.waitFor((x) => x.includes('Console of web-01'), 'the intro');
    expect(f.replace(/[│\s]+/g, ' ')).toContain('To come back to lxdeck, type Ctrl+a q');
    await s.press(KEY.escape);
    await s.waitFor((x) => !x.includes('Console of web-01'), 'the intro closed');
    expect(log).toEqual([]);
    await s.press('o');
    await s.waitFor((x) => x.includes('Console of web-01'), 'the intro again');
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('back from the console of web-01'), 'back');
    expect(log).toEqual(['release lxdeck: console of web-01; type Ctrl+a q to come back', 'child console web-01', 'reclaim']);
  });
});

describe('the all-keys screen (?)', () => {
  it('lists every key the list offers on this engine, also those the 80-column footer leaves out; Esc goes back', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING', { pid: 7 })]).without('copy');
    const s = open(e);
    const list = await shown(s, (x) => x.includes('web-01'), 'the list');
    expect(list).toContain('? all keys');
    expect(list).not.toMatch(/\bT top\b/); // not room for every key at 80 columns
    await s.press('?');
    expectFits(await shown(s, (x) => x.includes('All keys'), 'the help'), 80, 24);
    await s.press(KEY.escape);
    await shown(s, (x) => x.includes('web-01') && !x.includes('All keys'), 'the list again');
    s.unmount();
    // on a tall terminal every key is on one page
    const t = open(e, {}, plain, 80, 60);
    await shown(t, (x) => x.includes('web-01'), 'the list');
    await t.press('?');
    const f = await shown(t, (x) => x.includes('All keys'), 'the help');
    for (const line of [/^\s*s\s+start$/m, /^\s*d\s+delete \(asks first\)$/m, /^\s*Enter i\s+info$/m, /^\s*T\s+top$/m, /^\s*> <\s+sort by the next \/ previous column$/m, /^\s*e\s+rename$/m])
      expect(f).toMatch(line);
    // the engine has no copy: its key is not listed
    expect(f).not.toMatch(/^\s*C\s+copy$/m);
  });
});
