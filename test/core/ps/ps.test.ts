import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostFs } from '../../../core/host/host-fs.js';
import {
  cgroupPids,
  formatCmdline,
  hostIdToNs,
  parseIdMap,
  parsePasswd,
  parseProcStatLine,
  parseProcStatus,
  parseSignal,
  procsDirOf,
  readFileInside,
  readProcesses,
  userContextOf,
  userName,
  withCpuPercent,
  type ProcessInfo,
} from '../../../core/ps/procs.js';
import { diskUsage, netnsInterfaces, parseLxcInfoLinks, rootfsDirOf } from '../../../core/ps/inspect.js';
import { isLxdeckError } from '../../../core/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'lxdeck-ps-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function put(root: string, path: string, text: string): void {
  const p = join(root, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

/** /proc/PID/stat text with utime/stime in ticks and a start time. */
function stat(pid: number, comm: string, state: string, utime: number, stime: number, start: number): string {
  // fields 3..22: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal starttime
  return `${pid} (${comm}) ${state} 1 1 1 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 ${start} 4000000 300 18446744073709551615\n`;
}

function proc(root: string, pid: number, o: { nspid: number; uid: number; comm: string; cmdline: string; utime?: number; rssKb?: number; start?: number; state?: string }): void {
  put(
    root,
    `proc/${pid}/status`,
    `Name:\t${o.comm}\nState:\t${o.state ?? 'S'} (sleeping)\nPPid:\t1\nUid:\t${o.uid}\t${o.uid}\t${o.uid}\t${o.uid}\nNSpid:\t${pid}\t${o.nspid}\n${o.rssKb !== undefined ? `VmRSS:\t    ${o.rssKb} kB\n` : ''}`,
  );
  put(root, `proc/${pid}/stat`, stat(pid, o.comm, o.state ?? 'S', o.utime ?? 0, 0, o.start ?? 1000 + pid));
  put(root, `proc/${pid}/cmdline`, o.cmdline);
}

describe('parsing /proc and id maps', () => {
  it('reads /proc/PID/stat from the last parenthesis (a comm may hold ") (") with CPU time in microseconds (USER_HZ 100)', () => {
    const s = parseProcStatLine(stat(77, 'a) (b', 'R', 150, 50, 999));
    expect(s).toEqual({ comm: 'a) (b', state: 'R', cpuTimeUsec: 2_000_000, startTime: 999 });
    expect(parseProcStatLine('nonsense')).toBeNull();
  });
  it('reads Uid, PPid, the LAST NSpid field and VmRSS in bytes from /proc/PID/status', () => {
    const s = parseProcStatus('Name:\tsh\nPPid:\t40\nUid:\t100000\t100000\t100000\t100000\nNSpid:\t4242\t17\nVmRSS:\t    1612 kB\n');
    expect(s).toEqual({ name: 'sh', ppid: 40, uid: 100000, nspid: 17, rssBytes: 1612 * 1024 });
    expect(parseProcStatus('Name:\tkthreadd\nNSpid:\t2\n').rssBytes).toBe(0);
  });
  it('turns NULs into spaces and brackets an empty command line', () => {
    expect(formatCmdline('/bin/sh\0-c\0echo hi\0', 'sh')).toBe('/bin/sh -c echo hi');
    expect(formatCmdline('', 'kworker/0:1')).toBe('[kworker/0:1]');
  });
  it('maps host uids back through uid_map and names them from the container passwd', () => {
    const map = parseIdMap('         0     100000      65536\n');
    expect(map).toEqual([{ nsid: 0, hostid: 100000, count: 65536 }]);
    expect(hostIdToNs(100033, map)).toBe(33);
    expect(hostIdToNs(99999, map)).toBeNull();
    const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n#c:x:1:1\n');
    expect(userName(100033, { uidMap: map, passwd }).user).toBe('www-data');
    expect(userName(100500, { uidMap: map, passwd })).toEqual({ nsUid: 500, user: '500' });
    expect(userName(5, { uidMap: map, passwd }).user).toBe('host:5');
    // privileged: identity
    expect(userName(0, { uidMap: [], passwd }).user).toBe('root');
  });
  it('checks signals against the host table', () => {
    const sigs = constants.signals as unknown as Record<string, number>;
    expect(parseSignal('TERM', sigs)).toBe(15);
    expect(parseSignal('sigkill', sigs)).toBe(9);
    expect(parseSignal('9', sigs)).toBe(9);
    expect(parseSignal(1, sigs)).toBe(1);
    for (const bad of ['NOPE', '999', 0]) expect(() => parseSignal(bad, sigs)).toThrow(/unknown signal/);
  });
  it("parses lxc-info's Link lines and rootfs paths", () => {
    expect(parseLxcInfoLinks('Name:  t1\nState:   RUNNING\nLink:           vethuVuhB7\n TX bytes:      522 bytes\nLink:  vethB\n')).toEqual(['vethuVuhB7', 'vethB']);
    expect(rootfsDirOf('dir:/var/lib/lxc/a/rootfs')).toBe('/var/lib/lxc/a/rootfs');
    expect(rootfsDirOf('/x/rootfs')).toBe('/x/rootfs');
    expect(rootfsDirOf('overlay:/a:/b')).toBeNull();
  });
});

describe('processes of a container from a fixture tree', () => {
  const root = join(tmp, 'host');
  const cg = '/sys/fs/cgroup/pids/lxc.payload.web1';
  put(root, `${cg}/cgroup.procs`, '300\n301\n');
  put(root, `${cg}/init.scope/cgroup.procs`, '302\n');
  put(root, `${cg}/system.slice/cgroup.procs`, ''); // every cgroup directory has cgroup.procs, empty when only its children hold processes
  put(root, `${cg}/system.slice/cron.service/cgroup.procs`, '303\n399\n'); // 399 vanished before its /proc was read
  put(root, `${cg}/pids.max`, 'max\n');
  proc(root, 300, { nspid: 1, uid: 100000, comm: 'init', cmdline: '/sbin/init\0', utime: 10, rssKb: 1000 });
  proc(root, 301, { nspid: 5, uid: 100033, comm: 'nginx', cmdline: 'nginx: worker\0', utime: 200, rssKb: 2000 });
  proc(root, 302, { nspid: 9, uid: 100000, comm: 'sh', cmdline: '', state: 'Z' });
  proc(root, 303, { nspid: 12, uid: 100000, comm: 'cron', cmdline: '/usr/sbin/cron\0-f\0', rssKb: 4 });
  put(root, 'proc/300/uid_map', '0 100000 65536\n');
  put(root, 'proc/300/root/etc/passwd', 'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/:/bin/false\n');
  put(root, 'proc/300/net/dev', 'Inter-|   Receive\n face |bytes\n    lo: 0 0\n  eth0: 1 2\n');
  const fs = new HostFs(root);

  it('lists every PID of the cgroup and its children, skipping one that vanished, with its cgroup', () => {
    expect(cgroupPids(fs, cg).map((p) => `${p.pid}${p.cgroup}`)).toEqual(['300/', '301/', '302/init.scope', '303/system.slice/cron.service', '399/system.slice/cron.service']);
    const procs = readProcesses(fs, cg, userContextOf(fs, 300));
    expect(procs.map((p) => [p.pid, p.nspid, p.user, p.command, p.rssBytes])).toEqual([
      [300, 1, 'root', '/sbin/init', 1000 * 1024],
      [301, 5, 'www-data', 'nginx: worker', 2000 * 1024],
      [302, 9, 'root', '[sh]', 0],
      [303, 12, 'root', '/usr/sbin/cron -f', 4096],
    ]);
    expect(procs[1].cpuTimeUsec).toBe(2_000_000);
    expect(procs.every((p) => p.cpuPercent === null)).toBe(true);
    expect(netnsInterfaces(fs, 300)).toEqual(['eth0']);
  });

  it('a cgroup that is gone is E_NOT_FOUND (the container stopped)', () => {
    expect(() => cgroupPids(fs, '/sys/fs/cgroup/pids/lxc.payload.gone')).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
  });

  it('picks the v2 directory on a v2 host, a v1 hierarchy otherwise', () => {
    expect(procsDirOf({ v2: '/sys/fs/cgroup/lxc.payload.a', v1: {} }, { kind: 'v2' })).toBe('/sys/fs/cgroup/lxc.payload.a');
    expect(procsDirOf({ v2: '/sys/fs/cgroup/unified/lxc.payload.a', v1: { memory: '/m', pids: '/p' } }, { kind: 'hybrid' })).toBe('/p');
    expect(procsDirOf({ v1: {} }, { kind: 'none' })).toBeNull();
  });

  it('CPU % between two reads matches the process by PID and start time (a reused PID starts afresh)', () => {
    const p = (pid: number, usec: number, start: number): ProcessInfo => ({ pid, nspid: 1, ppid: 0, state: 'R', uid: 0, nsUid: 0, user: 'root', cpuTimeUsec: usec, cpuPercent: null, rssBytes: 0, command: 'x', startTime: start, cgroup: '/' });
    const prev = { takenAtMs: 1000, processes: [p(1, 1_000_000, 5), p(2, 0, 6)] };
    const next = { takenAtMs: 2000, processes: [p(1, 1_500_000, 5), p(2, 900_000, 7), p(3, 10, 8)] };
    expect(withCpuPercent(prev, next).map((x) => x.cpuPercent)).toEqual([50, null, null]);
  });
});

describe('reading a file inside a container without trusting its tree', () => {
  const root = join(tmp, 'inside');
  put(root, 'proc/500/root/etc/passwd', 'root:x:0:0::/root:/bin/sh\n');
  put(root, 'outside-secret', 'host:x:0:0\n');
  mkdirSync(join(root, 'proc/501/root'), { recursive: true });
  symlinkSync('/outside-secret', join(root, 'proc/501/root/etc'));
  put(root, 'proc/502/root/etc/.keep', '');
  symlinkSync('/outside-secret', join(root, 'proc/502/root/etc/passwd'));
  put(root, 'proc/503/root/etc/.keep', '');
  execFileSync('mkfifo', [join(root, 'proc/503/root/etc/passwd')]);
  const fs = new HostFs(root);

  it('reads a plain file', () => {
    expect(readFileInside(fs, 500, '/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\n');
  });
  it('refuses a symlinked directory, a symlinked file, a FIFO (without blocking) and ..', () => {
    expect(readFileInside(fs, 501, '/etc/passwd')).toBeNull();
    expect(readFileInside(fs, 502, '/etc/passwd')).toBeNull();
    expect(readFileInside(fs, 503, '/etc/passwd')).toBeNull();
    expect(readFileInside(fs, 500, '/etc/../etc/passwd')).toBeNull();
  });
});

describe('rootfs size', () => {
  it('counts allocated blocks like du -sx, a hard link once, never following a symlink', async () => {
    const d = join(tmp, 'rootfs');
    mkdirSync(join(d, 'bin'), { recursive: true });
    writeFileSync(join(d, 'bin', 'big'), Buffer.alloc(64 * 1024, 1));
    linkSync(join(d, 'bin', 'big'), join(d, 'bin', 'hard'));
    symlinkSync('/usr', join(d, 'usr'));
    const du = await diskUsage(d);
    const expected = Number(execFileSync('du', ['-sx', '-B1', d], { encoding: 'utf8' }).split('\t')[0]);
    expect(du.bytes).toBe(expected);
    expect(du.truncated).toBe(false);
    const cut = await diskUsage(d, { maxFiles: 1 });
    expect(cut.truncated).toBe(true);
  });
});

describe('errors', () => {
  it('E_NOT_FOUND is an LxdeckError', () => {
    try {
      cgroupPids(new HostFs(tmp), '/nope');
    } catch (e) {
      expect(isLxdeckError(e, 'E_NOT_FOUND')).toBe(true);
      return;
    }
    throw new Error('no error');
  });
});
