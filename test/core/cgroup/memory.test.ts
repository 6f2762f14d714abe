import { describe, expect, it } from 'vitest';
import { memoryUsed, readCpuUsageUsec, readMemoryUse, usageUsecFromCpuStat } from '../../../core/cgroup/memory.js';
import { parseFlatKeyed } from '../../../core/cgroup/parse.js';
import { cpuPercent, percent } from '../../../core/units.js';
import { openTree } from './helpers.js';

const M = 1024 ** 2;

describe('memory use', () => {
  it('S1: v1 used = usage - total_inactive_file; cache shown apart', () => {
    const t = openTree('v1');
    const m = readMemoryUse(t.paths, t.fs)!;
    expect(m.usage).toBe(734003200);
    expect(m.inactiveFile).toBe(524288000); // the 500 MB file just written
    expect(m.used).toBe(734003200 - 524288000);
    expect(m.cache).toBe(530579456);
    expect(m.limit).toBe(512 * M);
    expect(m.swap).toBe(0);
    expect(percent(m.used, m.limit)).toBeCloseTo(39.06, 1);
  });

  it('S1: v2 used = memory.current - inactive_file: the same figure as v1 for the same state', () => {
    const t = openTree('v2');
    const m = readMemoryUse(t.paths, t.fs)!;
    expect(m.used).toBe(734003200 - 524288000);
    expect(m.cache).toBe(530579456);
    expect(m.limit).toBe('max');
    expect(percent(m.used, m.limit)).toBeNull(); // U2: no percentage of unlimited
    expect(m.swap).toBe(0);
    const v1 = openTree('v1');
    expect(readMemoryUse(v1.paths, v1.fs)!.used).toBe(m.used);
  });

  it('S1: used never goes negative, and v1 without total_* falls back to the local keys', () => {
    expect(memoryUsed(100, { inactive_file: 300 }, 'v2').used).toBe(0);
    expect(memoryUsed(1000, { inactive_file: 300, cache: 400 }, 'v1')).toEqual({ used: 700, cache: 400, inactiveFile: 300 });
  });

  it('hybrid fixture captured on this host reads real memory.stat', () => {
    const t = openTree('hybrid');
    const m = readMemoryUse(t.paths, t.fs)!;
    expect(m.usage).toBe(565248);
    expect(m.used).toBe(565248 - 4096); // total_inactive_file 4096 in the capture
    expect(m.limit).toBe('max'); // 9223372036854771712 in the file (U2)
  });

  it('a gone cgroup is null, not zeros', () => {
    const t = openTree('v2');
    expect(readMemoryUse({ v1: {}, v2: '/sys/fs/cgroup/lxc.payload.gone' }, t.fs)).toBeNull();
    expect(readCpuUsageUsec({ v1: {}, v2: '/sys/fs/cgroup/lxc.payload.gone' }, t.fs)).toBeNull();
    expect(readCpuUsageUsec({ v1: {} }, t.fs)).toBeNull();
  });
});

describe('CPU time', () => {
  it('U3: v2 cpu.stat usage_usec and v1 cpuacct.usage (ns) read as the same microseconds', () => {
    const v2 = openTree('v2');
    const v1 = openTree('v1');
    expect(readCpuUsageUsec(v2.paths, v2.fs)).toBe(14700070);
    expect(readCpuUsageUsec(v1.paths, v1.fs)).toBe(14700070);
    expect(cpuPercent(14700070, usageUsecFromCpuStat('usage_usec 15700070\nuser_usec 1\n'), 1_000_000)).toBe(100);
  });

  it('parseFlatKeyed skips non-numeric lines', () => {
    expect(parseFlatKeyed('a 1\nb x\n c  -2 \n\n')).toEqual({ a: 1, c: -2 });
  });
});
