import { describe, expect, it } from 'vitest';
import { isLxdeckError, type LxdeckError } from '../../core/errors.js';
import {
  SIZE_GRAMMAR,
  cpuPercent,
  cpuQuotaFor,
  cpusFromQuota,
  effectiveLimit,
  formatBytes,
  formatCpuList,
  formatCpuMax,
  isUnlimited,
  nsTextToUsec,
  parseCgroupLimit,
  parseCpuList,
  parseCpuMax,
  parseCpus,
  parseSize,
  percent,
  trimToOnline,
} from '../../core/units.js';

function caught(fn: () => unknown): LxdeckError {
  try {
    fn();
  } catch (e) {
    if (isLxdeckError(e)) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('sizes', () => {
  it('U1: one grammar for the handed inputs', () => {
    expect(parseSize('512M')).toBe(536870912);
    expect(parseSize('512MiB')).toBe(536870912);
    expect(parseSize('1G')).toBe(1073741824);
    expect(parseSize('1GiB')).toBe(1073741824);
    expect(parseSize('1Gib')).toBe(1073741824);
    expect(parseSize('1GB')).toBe(1_000_000_000);
    expect(parseSize('1024K')).toBe(1048576);
    expect(parseSize('-1')).toBe('max');
    expect(parseSize('max')).toBe('max');
    expect(parseSize('0')).toBe(0);
    expect(parseSize('1.5G')).toBe(1610612736);
    const e = caught(() => parseSize('12x'));
    expect(e.code).toBe('E_INVALID_VALUE');
    expect(e.message).toContain('12x');
    expect(e.hint).toContain('KiB');
    expect(e.hint).toContain('kB');
    expect(e.hint).toContain('max');
    // one line an 80-column terminal shows in two rows, not the whole grammar (that is in --help)
    expect(e.hint!.length).toBeLessThan(160);
  });

  it('U1: case of the unit letter and of i/b, SI vs IEC, bits and junk refused', () => {
    expect(parseSize('512m')).toBe(536870912);
    expect(parseSize('1gib')).toBe(1073741824);
    expect(parseSize('1GIB')).toBe(1073741824);
    expect(parseSize('1Gi')).toBe(1073741824);
    expect(parseSize('1kB')).toBe(1000);
    expect(parseSize('1KB')).toBe(1000);
    expect(parseSize('2TB')).toBe(2e12);
    expect(parseSize('1T')).toBe(2 ** 40);
    expect(parseSize(' 100B ')).toBe(100);
    expect(parseSize('MAX')).toBe('max');
    expect(parseSize('1.1K')).toBe(1126); // rounded down to a whole byte
    for (const bad of ['', ' ', '1Gb', '1mb', '1.5', '-2', '-1G', 'G', '1 G B', '1X', '1GiBB', '0x10', 'NaN', '1e9']) {
      expect(caught(() => parseSize(bad)).code, bad).toBe('E_INVALID_VALUE');
    }
    expect(caught(() => parseSize('1Gb')).message).toMatch(/bits/);
    expect(caught(() => parseSize('99999P')).message).toMatch(/too large/);
    expect(SIZE_GRAMMAR).toMatch(/powers of 1024/);
  });

  it('formatBytes gives IEC text, unlimited and unknown', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(536870912)).toBe('512 MiB');
    expect(formatBytes(1610612736)).toBe('1.5 GiB');
    expect(formatBytes(1_000_000_000)).toBe('953.7 MiB');
    expect(formatBytes('max')).toBe('unlimited');
    expect(formatBytes(null)).toBe('unknown');
    expect(formatBytes(-5)).toBe('unknown');
  });
});

describe('unlimited sentinels', () => {
  it('U2: v2 max and v1 9223372036854771712 are unlimited, never a 19-digit number', () => {
    expect(parseCgroupLimit('max\n')).toBe('max');
    expect(parseCgroupLimit('9223372036854771712\n')).toBe('max');
    expect(parseCgroupLimit('9223372036854775807')).toBe('max');
    expect(parseCgroupLimit(String(2n ** 62n))).toBe('max');
    expect(parseCgroupLimit(String(2n ** 62n - 1n))).toBe(Number(2n ** 62n - 1n));
    expect(parseCgroupLimit('-1')).toBe('max');
    expect(parseCgroupLimit('536870912')).toBe(536870912);
    expect(parseCgroupLimit('0')).toBe(0);
    expect(parseCgroupLimit('')).toBeNull();
    expect(parseCgroupLimit('abc')).toBeNull();
    expect(formatBytes(parseCgroupLimit('9223372036854771712'))).toBe('unlimited');
    expect(isUnlimited(9223372036854771712)).toBe(true);
    expect(isUnlimited(1024)).toBe(false);
  });

  it('U2: no percentage divides by zero or by a sentinel', () => {
    expect(percent(512, 1024)).toBe(50);
    expect(percent(512, 'max')).toBeNull();
    expect(percent(512, 9223372036854771712)).toBeNull();
    expect(percent(512, 0)).toBeNull();
    expect(percent(512, null)).toBeNull();
    expect(percent(null, 1024)).toBeNull();
    expect(percent(2048, 1024)).toBe(200);
  });

  it('U2: effective limit falls back to the nearest limited parent, then the host', () => {
    expect(effectiveLimit(1024, [2048])).toEqual({ value: 1024, source: 'own' });
    expect(effectiveLimit('max', ['max', 4096, 2048], 8192)).toEqual({ value: 4096, source: 'parent' });
    expect(effectiveLimit('max', ['max'], 8192)).toEqual({ value: 8192, source: 'host' });
    expect(effectiveLimit(null, [], null)).toEqual({ value: null, source: 'none' });
  });
});

describe('CPU time', () => {
  it('U3: usage_usec 14700070 then 15700070 one second apart is 100% of one CPU', () => {
    expect(cpuPercent(14700070, 15700070, 1_000_000)).toBe(100);
  });

  it('U3: v1 cpuacct.usage nanoseconds become microseconds exactly, even past 2^53', () => {
    expect(nsTextToUsec('14700070000\n')).toBe(14700070);
    expect(nsTextToUsec('18446744073709551615')).toBe(18446744073709551);
    expect(nsTextToUsec('x')).toBeNull();
    const prev = nsTextToUsec('14700070000')!;
    const next = nsTextToUsec('16700070000')!;
    expect(cpuPercent(prev, next, 1_000_000)).toBe(200);
  });

  it('U3: unknown when elapsed is 0 or the counter went backwards', () => {
    expect(cpuPercent(100, 200, 0)).toBeNull();
    expect(cpuPercent(200, 100, 1000)).toBeNull();
    expect(cpuPercent(null, 100, 1000)).toBeNull();
  });
});

describe('cpuset lists', () => {
  const online = parseCpuList('0-3');

  it('U4: 0-3,7 and 0-7 are trimmed to the online CPUs, naming the dropped ones', () => {
    const a = trimToOnline(parseCpuList('0-3,7'), online);
    expect(a.cpus).toEqual([0, 1, 2, 3]);
    expect(a.dropped).toEqual([7]);
    expect(a.message).toContain('CPU 7 is not online');
    const b = trimToOnline(parseCpuList('0-7'), online);
    expect(formatCpuList(b.cpus)).toBe('0-3');
    expect(b.dropped).toEqual([4, 5, 6, 7]);
    expect(b.message).toContain('CPUs 4-7 are not online');
    expect(trimToOnline([1, 2], online)).toEqual({ cpus: [1, 2], dropped: [] });
    expect(caught(() => trimToOnline([9], online)).code).toBe('E_INVALID_VALUE');
  });

  it('U4: 10-6, 1--3, a and the empty list are refused', () => {
    for (const bad of ['10-6', '1--3', 'a', '', '1,,2', '-1', '1-', '99999']) {
      expect(caught(() => parseCpuList(bad)).code, bad).toBe('E_INVALID_VALUE');
    }
    expect(caught(() => parseCpuList('10-6')).message).toContain('backwards');
  });

  // CASES.md says this list "counts 16"; it has 8 + 3 + 6 + 1 = 18 CPUs (reported to the session).
  it('U4: 1-8,10-12,20-25,28 counts 18 CPUs (8+3+6+1, not the 16 in the case text) and formats back', () => {
    const c = parseCpuList('1-8,10-12,20-25,28');
    expect(c).toHaveLength(18);
    expect(c.slice(0, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10]);
    expect(formatCpuList(c)).toBe('1-8,10-12,20-25,28');
    expect(formatCpuList([3, 1, 0, 1])).toBe('0-1,3');
    expect(parseCpuList(' 0 , 2-3 ')).toEqual([0, 2, 3]);
    expect(formatCpuList([])).toBe('');
  });
});

describe('CPU quota', () => {
  it('U5: below the kernel minimum of 1000 us is refused, or raised with a message', () => {
    const e = caught(() => cpuQuotaFor(0.001));
    expect(e.code).toBe('E_INVALID_VALUE');
    expect(e.message).toContain('1000 us');
    const r = cpuQuotaFor(0.001, 100000, { raise: true });
    expect(r.quotaUsec).toBe(1000);
    expect(r.message).toMatch(/raised to 0.01 CPU/);
    expect(cpuQuotaFor(0.01)).toEqual({ quotaUsec: 1000, periodUsec: 100000 });
  });

  it('U5: unlimited on v2 is "max 100000" (keeping the period), never a number', () => {
    expect(formatCpuMax(cpuQuotaFor('max'))).toBe('max 100000');
    expect(formatCpuMax(cpuQuotaFor('max', 50000))).toBe('max 50000');
  });

  it('U5: changing the quota keeps the current period', () => {
    const cur = parseCpuMax('max 250000\n')!;
    const q = cpuQuotaFor(1.5, cur.periodUsec);
    expect(q).toEqual({ quotaUsec: 375000, periodUsec: 250000 });
    expect(formatCpuMax(q)).toBe('375000 250000');
    expect(cpusFromQuota(q)).toBe(1.5);
    expect(cpusFromQuota({ quotaUsec: -1, periodUsec: 100000 })).toBe('max');
  });

  it('U5: parse cpu.max and numbers of CPUs; bad periods refused', () => {
    expect(parseCpuMax('150000 100000')).toEqual({ quotaUsec: 150000, periodUsec: 100000 });
    expect(parseCpuMax('max')).toEqual({ quotaUsec: 'max', periodUsec: 100000 });
    expect(parseCpuMax('x y')).toBeNull();
    expect(parseCpus('1.5')).toBe(1.5);
    expect(parseCpus('max')).toBe('max');
    expect(parseCpus('-1')).toBe('max');
    for (const bad of ['0', '-2', 'abc', '']) expect(caught(() => parseCpus(bad)).code, bad).toBe('E_INVALID_VALUE');
    expect(caught(() => cpuQuotaFor(1, 500)).code).toBe('E_INVALID_VALUE');
    expect(caught(() => cpuQuotaFor(1, 2_000_000)).code).toBe('E_INVALID_VALUE');
  });
});
