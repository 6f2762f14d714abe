import { describe, expect, it } from 'vitest';
import { LxcConfig } from '../../../core/lxc/config.js';
import { isLxdeckError } from '../../../core/errors.js';
import { limitToConfigChanges, limitToConfigKeys, validateLimits } from '../../../core/cgroup/limits.js';
import type { CgroupLayout } from '../../../core/cgroup/layout.js';
import { cgroupKeysOf, checkSwapBase, currentFromConfig, saveLimitKeys, savedMemoryProblem } from '../../../core/cgroup/limit-config.js';
import { parseLimitsInput } from '../../../core/cgroup/limit-input.js';
import { cgroupFileFor } from '../../../core/cgroup/cgroup-key.js';
import { makeTree } from '../stats/tree.js';

const V2: CgroupLayout = { kind: 'v2', v2Mount: '/sys/fs/cgroup', v2MountRoot: '/', v2Controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'], v1: {}, v1MountRoots: {} };
const V1: CgroupLayout = {
  kind: 'hybrid',
  v2Mount: '/sys/fs/cgroup/unified',
  v2MountRoot: '/',
  v2Controllers: [],
  v1: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu', blkio: '/sys/fs/cgroup/blkio', pids: '/sys/fs/cgroup/pids', cpuset: '/sys/fs/cgroup/cpuset' },
  v1MountRoots: { memory: '/', cpu: '/', blkio: '/', pids: '/', cpuset: '/' },
};

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error & { hint?: string; code?: string };
  }
  throw new Error('did not throw');
};

describe('typed limits (parseLimitsInput)', () => {
  it('U1: sizes in one grammar; -1 and max are unlimited; 12x and 1Gb are refused with the grammar in the hint', () => {
    expect(parseLimitsInput({ memory: '512M', swap: '1GB', memorySoft: '-1' }).limits).toEqual({ memory: 512 * 1024 ** 2, swap: 1e9, memorySoft: 'max' });
    expect(parseLimitsInput({ memory: '1.5G' }).limits.memory).toBe(1610612736);
    const e = err(() => parseLimitsInput({ memory: '12x' }));
    expect(e.message).toMatch(/^memory: invalid size "12x"/);
    expect(e.hint).toMatch(/KiB\.\.PiB.*kB MB GB.*-1 or max/);
    expect(err(() => parseLimitsInput({ swap: '1Gb' })).message).toMatch(/bits/);
  });

  it('U4: a cpuset is trimmed to the online CPUs with the dropped ones named; bad lists are refused', () => {
    const r = parseLimitsInput({ cpuset: '0-3,7' }, { online: [0, 1, 2, 3] });
    expect(r.limits.cpuset).toEqual([0, 1, 2, 3]);
    expect(r.messages[0]).toMatch(/CPU 7 is not online/);
    expect(parseLimitsInput({ cpuset: '0-7' }, { online: [0, 1, 2, 3] }).messages[0]).toMatch(/CPUs 4-7 are not online/);
    for (const bad of ['10-6', '1--3', 'a', '']) expect(isLxdeckError(err(() => parseLimitsInput({ cpuset: bad }, { online: [0, 1, 2, 3] })), 'E_INVALID_VALUE')).toBe(true);
  });

  it('U5: CPUs as a number or max; 0 and words refused; the quota minimum is checked when translated', () => {
    expect(parseLimitsInput({ cpus: '1.5' }).limits.cpus).toBe(1.5);
    expect(parseLimitsInput({ cpus: 'max' }).limits.cpus).toBe('max');
    expect(() => parseLimitsInput({ cpus: '0' })).toThrow(/invalid number of CPUs/);
    const { limits } = parseLimitsInput({ cpus: '0.001' });
    expect(() => limitToConfigKeys(limits, V2)).toThrow(/below the kernel minimum/);
    expect(limitToConfigChanges({ cpus: 'max' }, V2)).toMatchObject({ set: [], unset: ['lxc.cgroup2.cpu.max'] });
  });

  it('per-device I/O as DEV=RATE (MAJOR:MINOR or a device node), weights and pids in range', () => {
    const r = parseLimitsInput(
      { ioRead: ['8:0=10M'], ioWrite: '/dev/sdz=1M', ioWeight: '50', cpuWeight: 200, pids: '100' },
      { deviceNumberOf: (p) => (p === '/dev/sdz' ? '8:0' : 'x') },
    );
    expect(r.limits.io).toEqual([{ device: '8:0', rbps: 10 * 1024 ** 2, wbps: 1024 ** 2 }]);
    expect(r.limits).toMatchObject({ ioWeight: 50, cpuWeight: 200, pids: 100 });
    expect(() => parseLimitsInput({ ioRead: '8:0' })).toThrow(/not DEV=RATE/);
    expect(() => parseLimitsInput({ ioRead: 'sda=1M' })).toThrow(/not MAJOR:MINOR/);
    expect(() => parseLimitsInput({ ioRead: '8:0=0' })).toThrow(/stop all I\/O/);
    expect(() => parseLimitsInput({ cpuWeight: '0' })).toThrow(/1\.\.10000/);
    expect(() => parseLimitsInput({ pids: '-5' })).toThrow(/pids limit/);
    // the hint says what the file takes, not the range's lower end as an example
    expect(() => parseLimitsInput({ pids: '0' })).toThrow(expect.objectContaining({ hint: expect.stringMatching(/pids\.max must be at least 1.*max \(or -1\) for no limit/) }));
    expect(() => parseLimitsInput({ cpuWeight: '0' })).toThrow(expect.objectContaining({ hint: expect.stringContaining('from 1 to 10000') }));
  });
});

describe('saving limits in the config (C3)', () => {
  it('C3: on a v2 host the v1 key for the same limit is removed when the v2 key is written', () => {
    const cfg = LxcConfig.parse('lxc.uts.name = a\nlxc.cgroup.memory.limit_in_bytes = 2048M\nlxc.cgroup.cpu.shares = 512\n');
    const keys = limitToConfigKeys({ memory: 1024 ** 3 }, V2);
    const { removed } = saveLimitKeys(cfg, keys);
    expect(removed).toEqual(['lxc.cgroup.memory.limit_in_bytes']);
    expect(cfg.get('lxc.cgroup2.memory.max')).toBe(String(1024 ** 3));
    expect(cfg.has('lxc.cgroup.memory.limit_in_bytes')).toBe(false);
    expect(cfg.get('lxc.cgroup.cpu.shares')).toBe('512'); // another limit: left alone
  });

  it('C3: on a v1 host the v2 key is removed; v1 quota and period are both saved', () => {
    const cfg = LxcConfig.parse('lxc.cgroup2.memory.max = 1G\nlxc.cgroup2.cpu.max = 50000 100000\n');
    const { removed } = saveLimitKeys(cfg, limitToConfigKeys({ memory: 512 * 1024 ** 2, cpus: 1.5 }, V1));
    expect(removed.sort()).toEqual(['lxc.cgroup2.cpu.max', 'lxc.cgroup2.memory.max']);
    expect(cgroupKeysOf(cfg)).toEqual([
      { key: 'lxc.cgroup.memory.limit_in_bytes', value: String(512 * 1024 ** 2) },
      { key: 'lxc.cgroup.cpu.cfs_period_us', value: '100000' },
      { key: 'lxc.cgroup.cpu.cfs_quota_us', value: '150000' },
    ]);
  });

  it('the BFQ weight replaces a plain blkio.weight key (a file this kernel lacks)', () => {
    const cfg = LxcConfig.parse('lxc.cgroup.blkio.weight = 500\n');
    const { removed } = saveLimitKeys(cfg, limitToConfigKeys({ ioWeight: 50 }, V1, { ioWeightFile: 'bfq.weight' }));
    expect(removed).toEqual(['lxc.cgroup.blkio.weight']);
    expect(cfg.get('lxc.cgroup.blkio.bfq.weight')).toBe('50');
  });

  it('per-device keys: one line per device, io.max merged, a removal drops the line', () => {
    const cfg = LxcConfig.parse('lxc.cgroup2.io.max = 8:0 wbps=100\nlxc.cgroup2.io.max = 8:16 rbps=5\n');
    saveLimitKeys(cfg, limitToConfigKeys({ io: [{ device: '8:0', rbps: 200 }] }, V2));
    expect(cfg.getAll('lxc.cgroup2.io.max').sort()).toEqual(['8:0 wbps=100 rbps=200', '8:16 rbps=5']);
    saveLimitKeys(cfg, limitToConfigKeys({ io: [{ device: '8:16', rbps: 'max' }] }, V2));
    expect(cfg.getAll('lxc.cgroup2.io.max')).toEqual(['8:0 wbps=100 rbps=200']);
    const v1 = LxcConfig.parse('lxc.cgroup.blkio.throttle.read_bps_device = 8:0 100\n');
    saveLimitKeys(v1, limitToConfigKeys({ io: [{ device: '8:0', rbps: 'max' }] }, V1));
    expect(v1.has('lxc.cgroup.blkio.throttle.read_bps_device')).toBe(false);
  });

  it('current limits from a config (for a stopped container): memory, memsw, CPU period', () => {
    const cur = currentFromConfig(LxcConfig.parse('lxc.cgroup.memory.limit_in_bytes = 1G\nlxc.cgroup.memory.memsw.limit_in_bytes = 1536M\nlxc.cgroup.cpu.cfs_period_us = 50000\n'));
    expect(cur).toEqual({ memory: 1024 ** 3, memsw: 1536 * 1024 ** 2, cpuQuota: { quotaUsec: 'max', periodUsec: 50000 } });
    // v1 swap keeps the memory from the config: memsw = memory + swap
    expect(limitToConfigKeys({ swap: 256 * 1024 ** 2 }, V1, { current: cur })).toEqual([
      { key: 'lxc.cgroup.memory.memsw.limit_in_bytes', value: String(1024 ** 3 + 256 * 1024 ** 2) },
    ]);
  });
});

describe('one cgroup file by key (lxc-cgroup)', () => {
  it('memory.max is refused where memory is v1, with memory.limit_in_bytes in the hint; the v1 name is found', () => {
    const t = makeTree('v1');
    try {
      const layout = { ...V1, v1: { ...V1.v1, memory: '/sys/fs/cgroup/memory' } };
      const paths = { v1: { memory: t.cg('memory'), pids: t.cg('pids') } };
      const e = err(() => cgroupFileFor('memory.max', layout, paths, t.fs));
      expect(e.code).toBe('E_INVALID_VALUE');
      expect(e.hint).toBe('use memory.limit_in_bytes');
      expect(cgroupFileFor('memory.limit_in_bytes', layout, paths, t.fs)).toBe(`${t.cg('memory')}/memory.limit_in_bytes`);
      expect(err(() => cgroupFileFor('memory.nosuch', layout, paths, t.fs)).hint).toMatch(/memory\.limit_in_bytes/);
      expect(err(() => cgroupFileFor('../../etc/passwd', layout, paths, t.fs)).message).toMatch(/not a cgroup file name/);
    } finally {
      t.done();
    }
  });

  it('memory.limit_in_bytes is refused on a v2 host with memory.max in the hint', () => {
    const t = makeTree('v2');
    try {
      const e = err(() => cgroupFileFor('memory.limit_in_bytes', V2, { v1: {}, v2: t.cg('') }, t.fs));
      expect(e.hint).toBe('use memory.max');
      expect(cgroupFileFor('memory.max', V2, { v1: {}, v2: t.cg('') }, t.fs)).toBe(`${t.cg('')}/memory.max`);
    } finally {
      t.done();
    }
  });
});

describe('limits below the minimum', () => {
  it('name the size as typed units and bytes, and the minimum the same way', () => {
    let e: unknown;
    try {
      validateLimits({ memory: 102400 });
    } catch (x) {
      e = x;
    }
    expect(isLxdeckError(e) && e.message).toBe('memory limit 100 KiB (102400 bytes) is not allowed');
    expect(isLxdeckError(e) && e.hint).toBe('at least 1 MiB (1048576 bytes), or max for unlimited');
  });
});

describe('a CPU quota above the host', () => {
  it('is kept (the kernel allows it) with a message that the container can use at most the online CPUs', () => {
    const r = parseLimitsInput({ cpus: '3' }, { online: [0, 1] });
    expect(r.limits.cpus).toBe(3);
    expect(r.messages).toEqual(["3 CPUs is more than this host's 2 online CPUs: the container can use at most 2"]);
    expect(parseLimitsInput({ cpus: '2' }, { online: [0, 1] }).messages).toEqual([]);
  });
});

describe('v1 swap: each side from its own memory limit; saved memory keys LXC can start', () => {
  const M = 1024 ** 2;
  const G = 1024 ** 3;
  it('checkSwapBase: swap alone needs a memory limit live and saved; says which side lacks one, and when they differ', () => {
    expect(checkSwapBase('r1', { swap: M }, { memory: 512 * M }, { memory: 512 * M })).toBeNull();
    expect(checkSwapBase('r1', { swap: M }, null, { memory: 512 * M })).toBeNull();
    // given with memory, max, or not about swap: nothing to check
    expect(checkSwapBase('r1', { swap: M, memory: G }, { memory: 'max' }, {})).toBeNull();
    expect(checkSwapBase('r1', { swap: 'max' }, { memory: 'max' }, {})).toBeNull();
    // the trial's web2: 24G saved, 100M live (lxdeck cgroup): each side gets its own memsw, and a note
    expect(checkSwapBase('web2', { swap: G }, { memory: 100 * M }, { memory: 24 * G })).toBe(
      "web2's memory limit in effect (100 MiB) differs from the saved one (24 GiB): swap 1 GiB is added to each, memory + swap 1.1 GiB in effect and 25 GiB saved",
    );
    const none = err(() => checkSwapBase('r1', { swap: M }, { memory: 'max' }, {}));
    expect(isLxdeckError(none, 'E_INVALID_VALUE')).toBe(true);
    expect(none.message).toMatch(/r1 has no memory limit/);
    expect(err(() => checkSwapBase('r1', { swap: M }, null, {})).message).toMatch(/no memory limit/);
    const live = err(() => checkSwapBase('r1', { swap: M }, { memory: 'max' }, { memory: 512 * M }));
    expect(live.message).toMatch(/saved memory limit is 512 MiB but the one in effect is unlimited/);
    expect(live.hint).toBe('give the memory limit with it, e.g. --memory 512M --swap 1M');
    const saved = err(() => checkSwapBase('r1', { swap: 3 * 1024 }, { memory: 100 * M }, {}));
    expect(saved.message).toMatch(/in effect is 100 MiB but none is saved/);
    expect(saved.hint).toBe('give the memory limit with it, e.g. --memory 100M --swap 3K');
  });

  it('planned per side: the saved memsw from the saved memory, whatever the live memory is', () => {
    const cfg = LxcConfig.parse('lxc.cgroup.memory.limit_in_bytes = 25769803776\n', '/x/config');
    const { set } = limitToConfigChanges({ swap: G }, V1, { current: currentFromConfig(cfg) });
    expect(set).toEqual([{ key: 'lxc.cgroup.memory.memsw.limit_in_bytes', value: String(25 * G) }]);
  });

  it('savedMemoryProblem: a memsw key below the memory key, or without one, is what lxc-start refuses', () => {
    const p = (t: string) => savedMemoryProblem(LxcConfig.parse(t, '/x/config'));
    // the trial's config
    expect(p('lxc.cgroup.memory.limit_in_bytes = 25232932864\nlxc.cgroup.memory.memsw.limit_in_bytes = 1178599424\n')).toMatch(/1\.1 GiB is below lxc\.cgroup\.memory\.limit_in_bytes 23\.5 GiB/);
    expect(p('lxc.cgroup.memory.memsw.limit_in_bytes = 1G\n')).toMatch(/no memory limit is saved/);
    expect(p('lxc.cgroup.memory.limit_in_bytes = 512M\nlxc.cgroup.memory.memsw.limit_in_bytes = 512M\n')).toBeNull();
    expect(p('lxc.cgroup.memory.limit_in_bytes = 1G\nlxc.cgroup.memory.memsw.limit_in_bytes = -1\n')).toBeNull();
    expect(p('lxc.cgroup.memory.limit_in_bytes = 1G\n')).toBeNull();
  });
});
