import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostFs } from '../../../core/host/host-fs.js';
import { parseMountInfo, readMountInfo, unescapeMountField } from '../../../core/host/mountinfo.js';

const FIX = new URL('../../fixtures/host/', import.meta.url).pathname;

describe('mountinfo', () => {
  it('H1: the unified-only line is split at " - " with its optional field', () => {
    const [m] = parseMountInfo('116 32 0:32 / /cgroup2 rw,relatime shared:93 - cgroup2 none rw\n');
    expect(m).toEqual({
      mountId: 116,
      parentId: 32,
      majorMinor: '0:32',
      root: '/',
      mountPoint: '/cgroup2',
      mountOptions: ['rw', 'relatime'],
      optionalFields: ['shared:93'],
      fsType: 'cgroup2',
      source: 'none',
      superOptions: ['rw'],
    });
  });

  it('takes zero or many optional fields and unescapes octal in paths', () => {
    const text = [
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '120 28 8:17 / /mnt/backup\\040disk rw,relatime shared:60 master:2 propagate_from:2 - ext4 /dev/sdb1 rw',
      '121 28 8:18 /dir\\011tab /mnt/a\\134b rw unbindable - ext4 /dev/my\\040disk rw,errors=remount-ro',
    ].join('\n');
    const ms = parseMountInfo(text);
    expect(ms.map((m) => m.optionalFields)).toEqual([[], ['shared:60', 'master:2', 'propagate_from:2'], ['unbindable']]);
    expect(ms[1].mountPoint).toBe('/mnt/backup disk');
    expect(ms[1].fsType).toBe('ext4');
    expect(ms[2].root).toBe('/dir\ttab');
    expect(ms[2].mountPoint).toBe('/mnt/a\\b');
    expect(ms[2].source).toBe('/dev/my disk');
    expect(ms[2].superOptions).toEqual(['rw', 'errors=remount-ro']);
  });

  it('skips malformed lines instead of guessing', () => {
    const ms = parseMountInfo('garbage\n1 2 0:1 / /x rw cgroup2 none rw\n\n3 4 0:2 / /y rw - tmpfs tmpfs rw\n');
    expect(ms.map((m) => m.mountPoint)).toEqual(['/y']);
  });

  it('unescapes only three-digit octal escapes', () => {
    expect(unescapeMountField('a\\040b\\1c')).toBe('a b\\1c');
  });

  it('reads /proc/self/mountinfo of a fixture tree', () => {
    const ms = readMountInfo(new HostFs(join(FIX, 'hybrid')));
    expect(ms.filter((m) => m.fsType === 'cgroup')).toHaveLength(9);
    expect(ms.find((m) => m.fsType === 'cgroup2')?.mountPoint).toBe('/sys/fs/cgroup/unified');
  });
});
