/**
 * A small writable host tree for sampler tests: mountinfo (v1 or v2), one
 * container `web1` in /var/lib/lxc with its monitor (PID 100) and init
 * (PID 4242), its cgroup files, a host veth, online CPUs and MemTotal.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostFs } from '../../../core/host/host-fs.js';

export interface StatsTree {
  root: string;
  fs: HostFs;
  kind: 'v1' | 'v2';
  /** writes a host path (parents made) */
  put(path: string, text: string): void;
  rm(path: string): void;
  /** the container's directory for `controller` (v1) or its v2 directory */
  cg(controller: string): string;
  done(): void;
}

const V1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids', 'freezer'];

export const PSI = 'some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=42\n';

export function procStat(pid: number, ppid: number, start: number): string {
  // fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal starttime
  return `${pid} (my (odd) init) S ${ppid} ${pid} ${pid} 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 ${start} 1000 100\n`;
}

export function makeTree(kind: 'v1' | 'v2', opts: { lxcpath?: string; name?: string } = {}): StatsTree {
  const root = mkdtempSync(join(tmpdir(), `stats-${kind}-`));
  const fs = new HostFs(root);
  const name = opts.name ?? 'web1';
  const lxcpath = opts.lxcpath ?? '/var/lib/lxc';
  const put = (p: string, text: string) => {
    const real = join(root, p);
    mkdirSync(dirname(real), { recursive: true });
    writeFileSync(real, text);
  };
  const cg = (c: string) => (kind === 'v2' ? `/sys/fs/cgroup/lxc.payload.${name}` : `/sys/fs/cgroup/${c}/lxc.payload.${name}`);
  if (kind === 'v2') {
    put('/proc/self/mountinfo', '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n');
    put('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory pids\n');
    put(`/sys/fs/cgroup/lxc.monitor.${name}/cgroup.procs`, '100\n');
    put(`/proc/4242/cgroup`, `0::/lxc.payload.${name}\n`);
  } else {
    put(
      '/proc/self/mountinfo',
      V1.map((c, i) => `${40 + i} 31 0:${40 + i} / /sys/fs/cgroup/${c} rw,relatime - cgroup cgroup rw,${c}`).join('\n') + '\n',
    );
    for (const c of V1) put(`/sys/fs/cgroup/${c}/lxc.monitor.${name}/cgroup.procs`, '100\n');
    put('/proc/4242/cgroup', V1.map((c, i) => `${i + 1}:${c}:/lxc.payload.${name}`).join('\n') + '\n');
  }
  put(`${lxcpath}/${name}/config`, `lxc.uts.name = ${name}\nlxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.veth.pair = veth${name}\n`);
  put('/proc/100/cmdline', `[lxc monitor] ${lxcpath} ${name}\0`);
  put('/proc/100/task/100/children', '4242 ');
  put('/proc/4242/stat', procStat(4242, 100, 5000));
  put('/sys/devices/system/cpu/online', '0-3\n');
  put('/proc/meminfo', 'MemTotal:        8000000 kB\nMemFree:         100 kB\n');
  put(`/sys/class/net/veth${name}/statistics/rx_bytes`, '1000\n');
  put(`/sys/class/net/veth${name}/statistics/tx_bytes`, '5000\n');
  if (kind === 'v2') {
    const d = cg('');
    put(`${d}/cpu.stat`, 'usage_usec 14700070\nuser_usec 10000000\nsystem_usec 4700070\n');
    put(`${d}/cpu.max`, 'max 100000\n');
    put(`${d}/cpuset.cpus.effective`, '0-3\n');
    put(`${d}/memory.current`, '600000000\n');
    put(`${d}/memory.stat`, 'anon 50000000\nfile 540000000\ninactive_file 520000000\nactive_file 20000000\n');
    put(`${d}/memory.max`, 'max\n');
    put(`${d}/memory.swap.current`, '0\n');
    put(`${d}/io.stat`, '8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n');
    put(`${d}/pids.current`, '7\n');
    put(`${d}/pids.max`, 'max\n');
    put(`${d}/cgroup.events`, 'populated 1\nfrozen 0\n');
    put(`${d}/cgroup.freeze`, '0\n');
    put(`${d}/cpu.pressure`, PSI);
    put(`${d}/memory.pressure`, PSI);
    put(`${d}/io.pressure`, PSI);
  } else {
    put(`${cg('cpuacct')}/cpuacct.usage`, '14700070000\n');
    put(`${cg('cpu')}/cpu.cfs_quota_us`, '-1\n');
    put(`${cg('cpu')}/cpu.cfs_period_us`, '100000\n');
    put(`${cg('cpuset')}/cpuset.effective_cpus`, '0-3\n');
    put(`${cg('memory')}/memory.usage_in_bytes`, '600000000\n');
    put(`${cg('memory')}/memory.stat`, 'cache 540000000\ntotal_cache 540000000\ninactive_file 520000000\ntotal_inactive_file 520000000\n');
    put(`${cg('memory')}/memory.limit_in_bytes`, '9223372036854771712\n');
    put(`${cg('memory')}/memory.memsw.usage_in_bytes`, '600000000\n');
    put(`${cg('blkio')}/blkio.throttle.io_service_bytes`, '8:0 Read 1000\n8:0 Write 2000\n8:0 Sync 3000\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 3000\n8:16 Read 10\n8:16 Write 20\nTotal 3030\n');
    put(`${cg('pids')}/pids.current`, '7\n');
    put(`${cg('pids')}/pids.max`, 'max\n');
    put(`${cg('freezer')}/freezer.state`, 'THAWED\n');
  }
  return {
    root,
    fs,
    kind,
    put,
    rm: (p) => rmSync(join(root, p), { recursive: true, force: true }),
    cg,
    done: () => rmSync(root, { recursive: true, force: true }),
  };
}
