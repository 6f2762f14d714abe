import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isLxdeckError, type LxdeckError } from '../../../core/errors.js';
import {
  applyLimit,
  blkioToIoWeight,
  cpuSharesToWeight,
  cpuWeightToShares,
  ignoredConfigKeys,
  ioWeightToBlkio,
  limitToCgroupFiles,
  limitToConfigChanges,
  limitToConfigKeys,
  parseIoMax,
  readLimits,
  v2EquivalentOf,
} from '../../../core/cgroup/limits.js';
import { openTree, type Tree } from './helpers.js';

function caught(fn: () => unknown): LxdeckError {
  try {
    fn();
  } catch (e) {
    if (isLxdeckError(e)) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const G = 1024 ** 3;
const M = 1024 ** 2;

describe('weight conversions (kernel/systemd: shares = weight * 1024 / 100)', () => {
  it('defaults map to defaults and ranges clamp', () => {
    expect(cpuWeightToShares(100)).toBe(1024);
    expect(cpuSharesToWeight(1024)).toBe(100);
    expect(cpuWeightToShares(1)).toBe(10);
    expect(cpuWeightToShares(10000)).toBe(102400);
    expect(cpuSharesToWeight(2)).toBe(1);
    expect(cpuSharesToWeight(262144)).toBe(10000);
    expect(ioWeightToBlkio(100)).toBe(500);
    expect(ioWeightToBlkio(1)).toBe(10);
    expect(ioWeightToBlkio(10000)).toBe(1000);
    expect(blkioToIoWeight(500)).toBe(100);
    expect(blkioToIoWeight(10)).toBe(2);
  });
});

describe('translation', () => {
  const v1 = openTree('v1');
  const v2 = openTree('v2');
  const hybrid = openTree('hybrid');
  const h1 = openTree('h1');

  it('C3: on a v2 host the config keys are lxc.cgroup2.*, on v1 lxc.cgroup.*', () => {
    expect(limitToConfigKeys({ memory: 2048 * M }, v2.layout)).toEqual([{ key: 'lxc.cgroup2.memory.max', value: '2147483648' }]);
    expect(limitToConfigKeys({ memory: 2048 * M }, h1.layout)).toEqual([{ key: 'lxc.cgroup2.memory.max', value: '2147483648' }]);
    expect(limitToConfigKeys({ memory: 2048 * M }, v1.layout)).toEqual([
      { key: 'lxc.cgroup.memory.limit_in_bytes', value: '2147483648' },
    ]);
    // hybrid: memory is on v1 there
    expect(limitToConfigKeys({ memory: 512 * M }, hybrid.layout)).toEqual([{ key: 'lxc.cgroup.memory.limit_in_bytes', value: String(512 * M) }]);
    // unlimited is the kernel's default: the key is removed, not saved as -1
    expect(limitToConfigChanges({ memory: 'max' }, hybrid.layout)).toMatchObject({ set: [], unset: ['lxc.cgroup.memory.limit_in_bytes'] });
  });

  it('C3: lxc.cgroup.* keys are flagged on a v2-only host, lxc.cgroup2.* on v1, with the replacement', () => {
    const keys = ['lxc.cgroup.memory.limit_in_bytes', 'lxc.cgroup.dir', 'lxc.cgroup2.memory.max', 'lxc.cgroup.devices.allow', 'lxc.net.0.type'];
    const onV2 = ignoredConfigKeys(keys, v2.layout);
    expect(onV2.map((k) => k.key)).toEqual(['lxc.cgroup.memory.limit_in_bytes', 'lxc.cgroup.devices.allow']);
    expect(onV2[0].reason).toMatch(/only cgroup v2/);
    expect(onV2[0].replacement).toBe('lxc.cgroup2.memory.max');
    expect(onV2[1].replacement).toBe('lxc.cgroup2.devices.allow');
    const onV1 = ignoredConfigKeys(keys, v1.layout);
    expect(onV1.map((k) => k.key)).toEqual(['lxc.cgroup2.memory.max']);
    expect(onV1[0].replacement).toBe('lxc.cgroup.memory.limit_in_bytes');
    // hybrid: the unified hierarchy has no memory controller here
    const onHybrid = ignoredConfigKeys(keys, hybrid.layout);
    expect(onHybrid.map((k) => k.key)).toEqual(['lxc.cgroup2.memory.max']);
    expect(onHybrid[0].reason).toMatch(/no memory controller .*v1/);
  });

  it('C3: a v1 key and value translate to the v2 key', () => {
    expect(v2EquivalentOf('lxc.cgroup.memory.limit_in_bytes', '2048M')).toEqual({ key: 'lxc.cgroup2.memory.max', value: '2147483648' });
    expect(v2EquivalentOf('lxc.cgroup.cpu.shares', '512')).toEqual({ key: 'lxc.cgroup2.cpu.weight', value: '50' });
    expect(v2EquivalentOf('lxc.cgroup.blkio.weight', '1000')).toEqual({ key: 'lxc.cgroup2.io.weight', value: 'default 200' });
    expect(v2EquivalentOf('lxc.cgroup.pids.max', '-1')).toEqual({ key: 'lxc.cgroup2.pids.max', value: 'max' });
    expect(v2EquivalentOf('lxc.cgroup.cpu.cfs_quota_us', '50000')).toBeNull();
  });

  it('v2 files: memory, soft, swap alone, weights, cpu.max, cpuset, io.max, pids', () => {
    const w = limitToCgroupFiles(
      {
        memory: G,
        memorySoft: 768 * M,
        swap: 512 * M,
        cpuWeight: 200,
        cpus: 1.5,
        cpuset: [0, 1, 3],
        ioWeight: 300,
        io: [{ device: '8:0', rbps: 10 * M, wiops: 'max' }],
        pids: 100,
      },
      v2.layout,
    );
    expect(w.map((x) => `${x.file}=${x.value}`)).toEqual([
      'memory.max=1073741824',
      'memory.high=805306368',
      'memory.swap.max=536870912',
      'cpu.weight=200',
      'cpu.max=150000 100000',
      'cpuset.cpus=0-1,3',
      'io.weight=default 300',
      'io.max=8:0 rbps=10485760 wiops=max',
      'pids.max=100',
    ]);
    expect(new Set(w.map((x) => x.driver))).toEqual(new Set(['v2']));
  });

  it('v1 files: memsw is memory + swap, shares, quota, blkio', () => {
    const w = limitToCgroupFiles({ memory: G, swap: 512 * M, cpuWeight: 200, cpus: 'max', ioWeight: 100, io: [{ device: '8:0', rbps: 'max', wbps: M }] }, v1.layout);
    expect(w.map((x) => `${x.controller}/${x.file}=${x.value}`)).toEqual([
      'memory/memory.limit_in_bytes=1073741824',
      'memory/memory.memsw.limit_in_bytes=1610612736',
      'cpu/cpu.shares=2048',
      'cpu/cpu.cfs_quota_us=-1',
      'blkio/blkio.weight=500',
      'blkio/blkio.throttle.read_bps_device=8:0 0',
      'blkio/blkio.throttle.write_bps_device=8:0 1048576',
    ]);
  });

  it('v1 swap: alone needs a memory limit; unlimited is memsw -1; memory alone keeps the swap amount', () => {
    expect(caught(() => limitToCgroupFiles({ swap: M * 256 }, v1.layout, { current: { memory: 'max', memsw: 'max' } })).message).toMatch(
      /memory \+ swap/,
    );
    expect(limitToCgroupFiles({ swap: 256 * M }, v1.layout, { current: { memory: 512 * M, memsw: 'max' } })).toEqual([
      { driver: 'v1', controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(768 * M) },
    ]);
    expect(limitToCgroupFiles({ swap: 'max' }, v1.layout).map((x) => x.value)).toEqual(['-1']);
    // current: 512M memory + 256M swap; lower memory to 256M: memory first, then memsw = 256M + 256M
    const down = limitToCgroupFiles({ memory: 256 * M }, v1.layout, { current: { memory: 512 * M, memsw: 768 * M } });
    expect(down.map((x) => `${x.file}=${x.value}`)).toEqual(['memory.limit_in_bytes=268435456', `memory.memsw.limit_in_bytes=${512 * M}`]);
    // raise memory to 1G (above the current memsw 768M): memsw must go first
    const up = limitToCgroupFiles({ memory: G }, v1.layout, { current: { memory: 512 * M, memsw: 768 * M } });
    expect(up.map((x) => `${x.file}=${x.value}`)).toEqual([`memory.memsw.limit_in_bytes=${G + 256 * M}`, `memory.limit_in_bytes=${G}`]);
    // config keys always memory first (a fresh cgroup starts unlimited)
    expect(limitToConfigKeys({ memory: G, swap: 0 }, v1.layout, { current: { memory: 512 * M, memsw: 768 * M } }).map((k) => k.key)).toEqual([
      'lxc.cgroup.memory.limit_in_bytes',
      'lxc.cgroup.memory.memsw.limit_in_bytes',
    ]);
  });

  it('U5: the CPU quota keeps the current period; v1 config carries the period too', () => {
    expect(limitToCgroupFiles({ cpus: 0.5 }, v2.layout, { current: { cpuQuota: { quotaUsec: 'max', periodUsec: 250000 } } })[0].value).toBe(
      '125000 250000',
    );
    expect(limitToCgroupFiles({ cpus: 'max' }, v2.layout)[0].value).toBe('max 100000');
    expect(limitToConfigKeys({ cpus: 2 }, v1.layout)).toEqual([
      { key: 'lxc.cgroup.cpu.cfs_period_us', value: '100000' },
      { key: 'lxc.cgroup.cpu.cfs_quota_us', value: '200000' },
    ]);
    expect(caught(() => limitToCgroupFiles({ cpus: 0.001 }, v2.layout)).code).toBe('E_INVALID_VALUE');
    expect(limitToCgroupFiles({ cpus: 0.001 }, v2.layout, { raiseCpuQuota: true })[0].value).toBe('1000 100000');
  });

  it('refuses bad values and controllers the host lacks', () => {
    for (const l of [{ memory: 0 }, { memory: 100 }, { cpuWeight: 0 }, { cpuWeight: 10001 }, { pids: 0 }, { cpuset: [] }, { io: [{ device: 'sda', rbps: 1 }] }]) {
      expect(caught(() => limitToCgroupFiles(l, v2.layout)).code, JSON.stringify(l)).toBe('E_INVALID_VALUE');
    }
    // h1's v2 hierarchy has no cpuset controller
    expect(caught(() => limitToCgroupFiles({ cpuset: [0] }, h1.layout)).message).toMatch(/no cpuset controller/);
  });

  it('parses io.max and drops all-max lines', () => {
    expect(parseIoMax('8:0 rbps=1048576 wbps=max riops=max wiops=200\n8:16 rbps=max wbps=max riops=max wiops=max\n')).toEqual([
      { device: '8:0', rbps: 1048576, wbps: 'max', riops: 'max', wiops: 200 },
    ]);
  });
});

describe('readLimits', () => {
  it('U2: v1 fixture: huge sentinel is unlimited, swap is memsw - memory, shares become a weight', () => {
    const t = openTree('v1');
    const l = readLimits(t.paths, t.fs);
    expect(l.memory).toBe(512 * M);
    expect(l.memsw).toBe(768 * M);
    expect(l.swap).toBe(256 * M);
    expect(l.memorySoft).toBe('max'); // 9223372036854771712 in the file
    expect(l.cpuWeight).toBe(100);
    expect(l.cpuQuota).toEqual({ quotaUsec: 150000, periodUsec: 100000 });
    expect(l.cpus).toBe(1.5);
    expect(l.cpuset).toEqual([0, 1]);
    expect(l.ioWeight).toBe(100);
    expect(l.io).toEqual([{ device: '8:0', rbps: 1048576, wiops: 200 }]);
    expect(l.pids).toBe('max');
  });

  it('U2: v2 fixture: memory.max "max" is unlimited; cpu.max "max 100000" is no quota', () => {
    const t = openTree('v2');
    const l = readLimits(t.paths, t.fs);
    expect(l.memory).toBe('max');
    expect(l.swap).toBe('max');
    expect(l.cpus).toBe('max');
    expect(l.cpuQuota).toEqual({ quotaUsec: 'max', periodUsec: 100000 });
    expect(l.cpuset).toBeNull(); // empty: inherits
    expect(l.cpusetEffective).toEqual([0, 1, 2, 3]);
    expect(l.ioWeight).toBe(100);
    expect(l.io).toEqual([{ device: '8:0', rbps: 1048576, wbps: 'max', riops: 'max', wiops: 200 }]);
  });

  it('hybrid fixture captured on this host: real v1 files, BFQ weight, nothing invented', () => {
    const t = openTree('hybrid');
    const l = readLimits(t.paths, t.fs);
    expect(l.memory).toBe('max');
    expect(l.swap).toBe('max');
    expect(l.cpus).toBe('max');
    expect(l.cpuWeight).toBe(100);
    expect(l.ioWeight).toBe(100); // blkio.bfq.weight
    expect(l.pids).toBe('max');
  });

  it('a vanished cgroup reads as unknown, not 0', () => {
    const t = openTree('v2');
    const l = readLimits({ v1: {}, v2: '/sys/fs/cgroup/lxc.payload.gone' }, t.fs);
    expect(l.memory).toBeNull();
    expect(l.cpus).toBeNull();
    expect(l.pids).toBeNull();
  });
});

describe('applyLimit on fixture copies', () => {
  let t: Tree | undefined;
  afterEach(() => t?.done());

  it('v2: writes the files and reads them back; cpuset trimmed to online CPUs with a message (U4)', () => {
    t = openTree('v2', true);
    const r = applyLimit(t.paths, { memory: 512 * M, cpus: 2, cpuset: [0, 1, 7], pids: 50 }, t.fs);
    expect(r.messages.join('\n')).toMatch(/CPU 7 is not online/);
    const dir = join(t.root, 'sys/fs/cgroup/lxc.payload.web1');
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe('536870912');
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('200000 100000');
    expect(readFileSync(join(dir, 'cpuset.cpus'), 'utf8')).toBe('0-1');
    const back = readLimits(t.paths, t.fs);
    expect(back.memory).toBe(512 * M);
    expect(back.cpus).toBe(2);
    expect(back.pids).toBe(50);
    expect(r.written.map((w) => w.path)).toContain('/sys/fs/cgroup/lxc.payload.web1/memory.max');
  });

  it('v1: memory raised above the current memsw writes memsw first and keeps 256M swap', () => {
    t = openTree('v1', true);
    const r = applyLimit(t.paths, { memory: G }, t.fs);
    expect(r.written.map((w) => w.file)).toEqual(['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
    const back = readLimits(t.paths, t.fs);
    expect(back.memory).toBe(G);
    expect(back.swap).toBe(256 * M);
  });

  it('hybrid: the I/O weight goes to blkio.bfq.weight when blkio.weight is absent (this host)', () => {
    t = openTree('hybrid', true);
    const r = applyLimit(t.paths, { ioWeight: 300 }, t.fs);
    expect(r.written).toEqual([
      expect.objectContaining({ file: 'blkio.bfq.weight', value: '300', path: '/sys/fs/cgroup/blkio/lxc.payload.web1/blkio.bfq.weight' }),
    ]);
  });

  it('a missing file is an error naming the file and value', () => {
    t = openTree('h1', true);
    const e = caught(() => applyLimit(t!.paths, { memory: 64 * M, pids: 10 }, t!.fs));
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.message).toContain('/cgroup2/lxc.payload.web1/pids.max: no such file');
    // refused before anything was written: memory.max, which exists, is as it was
    expect(readFileSync(join(t!.root, 'cgroup2/lxc.payload.web1/memory.max'), 'utf8').trim()).not.toBe(String(64 * M));
  });
});
