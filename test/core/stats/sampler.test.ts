import { afterEach, describe, expect, it } from 'vitest';
import { StatsSampler, ratePerSec } from '../../../core/stats/sampler.js';
import { RecordingRunner } from '../../../core/exec/runner.js';
import { parseMonitorCmdline, netSourceOf } from '../../../core/stats/locate.js';
import { parseBlkioServiceBytes, parseIoStat, parseNetDev, parseProcStat, parsePsi } from '../../../core/stats/parse.js';
import { statsRows } from '../../../core/stats/format.js';
import type { StatsPass } from '../../../core/stats/types.js';
import { makeTree, procStat, type StatsTree } from './tree.js';

let trees: StatsTree[] = [];
afterEach(() => {
  for (const t of trees) t.done();
  trees = [];
});

function setup(kind: 'v1' | 'v2', limitsTtlMs = 0) {
  const tree = makeTree(kind);
  trees.push(tree);
  let clock = 1_000_000_000;
  const sampler = new StatsSampler({ lxcpath: '/var/lib/lxc', fs: tree.fs, clockUsec: () => clock, now: () => 1_700_000_000_000 + clock / 1000, limitsTtlMs });
  return { tree, sampler, advance: (usec: number) => (clock += usec) };
}

/** true when no number anywhere in the value is NaN, infinite, negative or a 19-digit sentinel (U2) */
function saneNumbers(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 && v < 2 ** 62;
  if (v && typeof v === 'object') return Object.values(v).every(saneNumbers);
  return true;
}

describe('stats sampler on a fixture tree', () => {
  it('U3: v2 usage_usec 14700070 then 15700070 one second apart is 100% of one CPU; of the host (4 CPUs) 25%', () => {
    const { tree, sampler, advance } = setup('v2');
    const a = sampler.passSync();
    expect(a.containers[0].state).toBe('RUNNING');
    expect(a.containers[0].cpu.usageUsec).toBe(14700070);
    expect(a.containers[0].cpu.percent).toBeNull(); // no delta on the first pass
    tree.put(`${tree.cg('')}/cpu.stat`, 'usage_usec 15700070\n');
    advance(1_000_000);
    const c = sampler.passSync().containers[0];
    expect(c.cpu.percent).toBeCloseTo(100, 6);
    expect(c.cpu.percentOfHost).toBeCloseTo(25, 6);
    expect(c.cpu.limitCpus).toBe(4);
    expect(c.cpu.percentOfLimit).toBeCloseTo(25, 6);
  });

  it('U3: v1 cpuacct.usage is nanoseconds: +1e9 ns in one second is 100%; a 1.5 CPU quota makes it 66.7% of the limit', () => {
    const { tree, sampler, advance } = setup('v1');
    expect(sampler.passSync().containers[0].cpu.usageUsec).toBe(14700070);
    tree.put(`${tree.cg('cpuacct')}/cpuacct.usage`, '15700070000\n');
    tree.put(`${tree.cg('cpu')}/cpu.cfs_quota_us`, '150000\n');
    advance(1_000_000);
    const c = sampler.passSync().containers[0];
    expect(c.cpu.percent).toBeCloseTo(100, 6);
    expect(c.cpu.limitCpus).toBe(1.5);
    expect(c.cpu.percentOfLimit).toBeCloseTo(66.667, 2);
  });

  it('an unchanged part of a sample is the last pass\'s object again, a changed one a new object; old samples never change', () => {
    for (const kind of ['v1', 'v2'] as const) {
      const { tree, sampler, advance } = setup(kind, 5000);
      sampler.passSync();
      advance(1_000_000);
      const a = sampler.passSync().containers[0];
      const copy = structuredClone(a);
      advance(1_000_000);
      const b = sampler.passSync().containers[0];
      expect(b).not.toBe(a);
      expect(b).toEqual(a);
      expect(b.cpu).toBe(a.cpu);
      expect(b.memory).toBe(a.memory);
      expect(b.blkio).toBe(a.blkio);
      expect(b.pids).toBe(a.pids);
      expect(b.net).toBe(a.net);
      // memory use moves: a new memory part, the others kept; the older sample as it was
      tree.put(`${tree.cg('memory')}/${kind === 'v1' ? 'memory.usage_in_bytes' : 'memory.current'}`, '99999999\n');
      advance(1_000_000);
      const c = sampler.passSync().containers[0];
      expect(c.memory).not.toBe(b.memory);
      expect(c.memory.usage).toBe(99999999);
      expect(c.cpu).toBe(b.cpu);
      expect(a).toEqual(copy);
      expect(b.memory.usage).toBe(copy.memory.usage);
    }
  });

  it('a cpuset of 2 CPUs is the limit when there is no quota', () => {
    const { tree, sampler } = setup('v2');
    tree.put(`${tree.cg('')}/cpuset.cpus.effective`, '1-2\n');
    expect(sampler.passSync().containers[0].cpu.limitCpus).toBe(2);
  });

  for (const kind of ['v1', 'v2'] as const) {
    it(`S1 (${kind}): used = usage - inactive file; the cache is shown apart`, () => {
      const { sampler } = setup(kind);
      const m = sampler.passSync().containers[0].memory;
      expect(m.usage).toBe(600_000_000);
      expect(m.used).toBe(80_000_000);
      expect(m.cache).toBe(540_000_000);
    });

    it(`U2 (${kind}): an unlimited memory limit reads 'max', the percent is of the host's memory, never of a sentinel`, () => {
      const { sampler } = setup(kind);
      const p = sampler.passSync();
      const m = p.containers[0].memory;
      expect(m.limit).toBe('max');
      expect(m.percentOf).toBe('host');
      expect(m.percent).toBeCloseTo((80_000_000 / (8_000_000 * 1024)) * 100, 6);
      expect(p.containers[0].pids.limit).toBe('max');
      expect(saneNumbers(p)).toBe(true);
      expect(JSON.stringify(p)).not.toMatch(/9223372036854771712|NaN|Infinity/);
      expect(statsRows(p)[1]).toContain('unlimited');
    });

    it(`blkio bytes (${kind}) summed over devices, rates from deltas`, () => {
      const { tree, sampler, advance } = setup(kind);
      const a = sampler.passSync().containers[0].blkio;
      expect(a).toEqual({ readBytes: 1010, writeBytes: 2020, readBps: null, writeBps: null });
      if (kind === 'v2') tree.put(`${tree.cg('')}/io.stat`, '8:0 rbytes=3010 wbytes=2020\n');
      else tree.put(`${tree.cg('blkio')}/blkio.throttle.io_service_bytes`, '8:0 Read 3010\n8:0 Write 2020\nTotal 5030\n');
      advance(2_000_000);
      const b = sampler.passSync().containers[0].blkio;
      expect(b.readBps).toBeCloseTo(1000, 6);
      expect(b.writeBps).toBe(0);
    });
  }

  it("network bytes come from the host veth, swapped to the container's view", () => {
    const { tree, sampler, advance } = setup('v2');
    const a = sampler.passSync().containers[0].net!;
    expect(a.interfaces).toEqual(['vethweb1']);
    expect(a.rxBytes).toBe(5000); // host tx
    expect(a.txBytes).toBe(1000); // host rx
    tree.put('/sys/class/net/vethweb1/statistics/tx_bytes', '15000\n');
    advance(500_000);
    const b = sampler.passSync().containers[0].net!;
    expect(b.rxBps).toBeCloseTo(20000, 6);
    expect(b.txBps).toBe(0);
  });

  it('PSI of the v2 cgroup is parsed; absent on a v1-only tree (null, not 0)', () => {
    const v2 = setup('v2').sampler.passSync().containers[0].pressure;
    expect(v2.cpu?.some).toEqual({ avg10: 1.5, avg60: 0.75, avg300: 0.1, total: 123456 });
    expect(v2.io?.full?.total).toBe(42);
    const v1 = setup('v1').sampler.passSync().containers[0];
    expect(v1.pressure).toEqual({ cpu: null, memory: null, io: null });
    expect(v1.pids.current).toBe(7);
  });

  it('reports FROZEN and FREEZING from the freezer', () => {
    const { tree, sampler } = setup('v2');
    tree.put(`${tree.cg('')}/cgroup.freeze`, '1\n');
    expect(sampler.passSync().containers[0].state).toBe('FREEZING');
    tree.put(`${tree.cg('')}/cgroup.events`, 'populated 1\nfrozen 1\n');
    expect(sampler.passSync().containers[0].state).toBe('FROZEN');
  });

  for (const kind of ['v1', 'v2'] as const) {
    it(`S2 (${kind}): the cgroup and the init vanish between passes: STOPPED, every figure null, no throw`, () => {
      const { tree, sampler } = setup(kind);
      expect(sampler.passSync().containers[0].state).toBe('RUNNING');
      tree.rm('/proc/4242');
      tree.rm('/proc/100');
      if (kind === 'v2') tree.rm(tree.cg(''));
      else for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids', 'freezer']) tree.rm(tree.cg(c));
      const s = sampler.passSync().containers[0];
      expect(s.state).toBe('STOPPED');
      expect(s.pid).toBeNull();
      expect(s.cpu.usageUsec).toBeNull();
      expect(s.memory.used).toBeNull();
      expect(s.net).toBeNull();
    });
  }

  it('S2: files vanish after the lookup (init gone mid-read): STOPPED, not a half sample', () => {
    const { tree, sampler } = setup('v2');
    sampler.passSync();
    // the cached lookup still says running; the init and the cgroup vanish
    tree.rm(tree.cg(''));
    tree.rm('/proc/4242');
    expect(sampler.passSync().containers[0].state).toBe('STOPPED');
  });

  it('a restart (same PID, new start time) gives no delta rather than a wrong one', () => {
    const { tree, sampler, advance } = setup('v2');
    sampler.passSync();
    tree.put('/proc/4242/stat', procStat(4242, 100, 9999));
    tree.put(`${tree.cg('')}/cpu.stat`, 'usage_usec 99999999\n');
    advance(1_000_000);
    const c = sampler.passSync().containers[0];
    expect(c.state).toBe('RUNNING');
    expect(c.cpu.percent).toBeNull();
  });

  it("a monitor of another lxcpath is not this container's", () => {
    const { tree, sampler } = setup('v2');
    tree.put('/proc/100/cmdline', '[lxc monitor] /srv/other web1\0');
    expect(sampler.passSync().containers[0].state).toBe('STOPPED');
  });

  it('finds the init through the payload cgroup when /proc/PID/task/PID/children is missing', () => {
    const { tree, sampler } = setup('v2');
    tree.rm('/proc/100/task');
    tree.put(`${tree.cg('')}/cgroup.procs`, '4300\n4242\n');
    tree.put('/proc/4300/stat', procStat(4300, 4242, 6000));
    const c = sampler.passSync().containers[0];
    expect(c.state).toBe('RUNNING');
    expect(c.pid).toBe(4242);
  });

  it('limits are re-read after limitsTtlMs, counters on every pass', () => {
    const { tree, sampler, advance } = setup('v2', 2000);
    expect(sampler.passSync().containers[0].memory.limit).toBe('max');
    tree.put(`${tree.cg('')}/memory.max`, '1073741824\n');
    tree.put(`${tree.cg('')}/memory.current`, '700000000\n');
    advance(1_000_000);
    const a = sampler.passSync().containers[0].memory;
    expect(a.limit).toBe('max'); // cached
    expect(a.usage).toBe(700_000_000); // counter: fresh
    advance(1_500_000);
    expect(sampler.passSync().containers[0].memory.limit).toBe(1073741824);
  });

  it('a container placed elsewhere (no lxc.monitor.NAME at the root) is found through lxc-info only when its command socket exists', async () => {
    const tree = makeTree('v2');
    trees.push(tree);
    tree.rm('/sys/fs/cgroup/lxc.monitor.web1');
    const runner = new RecordingRunner((file, args) => (file === 'lxc-info' && args.includes('web1') ? { stdout: '4242\n' } : undefined));
    const sampler = new StatsSampler({ lxcpath: '/var/lib/lxc', fs: tree.fs, runner, limitsTtlMs: 0 });
    tree.put('/proc/net/unix', 'Num       RefCount Protocol Flags    Type St Inode Path\n');
    expect((await sampler.pass()).containers[0].state).toBe('STOPPED');
    expect(runner.calls).toHaveLength(0); // no socket: not running, no command run
    tree.put('/proc/net/unix', 'Num       RefCount Protocol Flags    Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 39167 @/var/lib/lxc/web1/command\n');
    const c = (await sampler.pass()).containers[0];
    expect(c.state).toBe('RUNNING');
    expect(c.pid).toBe(4242);
    expect(runner.calls.map((x) => [x.file, ...x.args])).toEqual([['lxc-info', '-P', '/var/lib/lxc', '-n', 'web1', '-pH']]);
    await sampler.pass(); // cached: lxc-info is not asked again
    expect(runner.calls).toHaveLength(1);
  });

  it('host totals: online CPUs and MemTotal in bytes', () => {
    const { sampler } = setup('v1');
    expect(sampler.hostTotals()).toEqual({ cpus: 4, memoryBytes: 8_000_000 * 1024 });
  });

  it('unknown names and stopped containers read as STOPPED', () => {
    const { sampler } = setup('v2');
    const p = sampler.passSync(['web1', 'nosuch']);
    expect(p.containers.map((c) => [c.name, c.state])).toEqual([
      ['web1', 'RUNNING'],
      ['nosuch', 'STOPPED'],
    ]);
  });
});

describe('stats stream', () => {
  it('delivers passes at an interval, stops after count, and ends the iteration', async () => {
    const { sampler } = setup('v2');
    const stream = sampler.stream({ intervalMs: 10, count: 3 });
    const got: StatsPass[] = [];
    for await (const p of stream) got.push(p);
    expect(got).toHaveLength(3);
    expect(stream.running).toBe(false);
  });

  it('skips a tick while the previous pass still runs, and stop() ends a waiting iterator', async () => {
    const { sampler } = setup('v2');
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const real = sampler.pass.bind(sampler);
    let calls = 0;
    sampler.pass = async (names) => {
      calls++;
      if (calls === 1) await slow;
      return real(names);
    };
    const stream = sampler.stream({ intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(1);
    expect(stream.skipped).toBeGreaterThan(0);
    release();
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    stream.stop();
    // drain what was queued; then the iterator is done
    let r = await it.next();
    while (!r.done) r = await it.next();
    expect(r.done).toBe(true);
  });

  it('a stream read through onPass alone keeps no pass; one nobody listens to keeps them for a later iterator', async () => {
    const { sampler } = setup('v2');
    const heard = sampler.stream({ intervalMs: 5 });
    let n = 0;
    heard.onPass(() => n++);
    const quiet = sampler.stream({ intervalMs: 5, count: 3 });
    await new Promise((r) => setTimeout(r, 80));
    heard.stop();
    expect(n).toBeGreaterThan(3);
    // the listened-to stream queued nothing: its iterator ends at once (stopped, empty queue)
    expect(await heard[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true });
    // the other one waited for an iterator: all three passes are there
    const got: StatsPass[] = [];
    for await (const p of quiet) got.push(p);
    expect(got).toHaveLength(3);
  });

  it('a pass that throws reaches onError and the iterator rejects', async () => {
    const { sampler } = setup('v2');
    sampler.pass = async () => {
      throw new Error('boom');
    };
    const stream = sampler.stream({ intervalMs: 5 });
    const errors: unknown[] = [];
    stream.onError((e) => errors.push(e));
    await expect((async () => {
      for await (const _ of stream) void _;
    })()).rejects.toThrow('boom');
    expect(errors).toHaveLength(1);
    expect(stream.running).toBe(false);
  });
});

describe('stats parsers', () => {
  it('parses PSI with and without a full line, and refuses garbage', () => {
    expect(parsePsi('some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n')).toEqual({ some: { avg10: 0, avg60: 0, avg300: 0, total: 5 }, full: null });
    expect(parsePsi('nonsense')).toBeNull();
  });
  it('parses io.stat, blkio service bytes and net/dev', () => {
    expect(parseIoStat('')).toEqual({ readBytes: 0, writeBytes: 0 });
    expect(parseBlkioServiceBytes('Total 0\n')).toEqual({ readBytes: 0, writeBytes: 0 });
    const dev =
      'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n  eth0:    5000      10    0    0    0     0          0         0     1000       5    0    0    0     0       0          0\n';
    expect(parseNetDev(dev)).toEqual({ rxBytes: 5000, txBytes: 1000, interfaces: ['eth0'] });
  });
  it("parses /proc/PID/stat whose command holds spaces and ')'", () => {
    expect(parseProcStat(procStat(7, 3, 1234))).toEqual({ ppid: 3, startTime: 1234 });
  });
  it("parses the monitor's command line, an lxcpath with spaces kept whole", () => {
    expect(parseMonitorCmdline('[lxc monitor] /var/lib/lxc web1\0')).toEqual({ lxcpath: '/var/lib/lxc', name: 'web1' });
    expect(parseMonitorCmdline('[lxc monitor] /srv/my lxc web1\0')).toEqual({ lxcpath: '/srv/my lxc', name: 'web1' });
    expect(parseMonitorCmdline('/sbin/init\0')).toBeNull();
  });
  it('network source from the config: veth pairs, netns for others, none for empty', () => {
    expect(netSourceOf('lxc.net.0.type = veth\nlxc.net.0.veth.pair = v1\n')).toEqual({ kind: 'veth', veths: ['v1'] });
    expect(netSourceOf('lxc.net.0.type = veth\n')).toEqual({ kind: 'netns' });
    expect(netSourceOf('lxc.net.0.type = macvlan\n')).toEqual({ kind: 'netns' });
    expect(netSourceOf('lxc.net.0.type = empty\n')).toEqual({ kind: 'none' });
  });
  it('ratePerSec: null without a previous value or when the counter went back', () => {
    expect(ratePerSec(null, 5, 1e6)).toBeNull();
    expect(ratePerSec(10, 5, 1e6)).toBeNull();
    expect(ratePerSec(0, 5, 0)).toBeNull();
    expect(ratePerSec(0, 5, 500_000)).toBe(10);
  });
});
