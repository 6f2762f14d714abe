import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostFs } from '../../../core/host/host-fs.js';
import { controllerDriver, detectCgroupLayout } from '../../../core/cgroup/layout.js';

const FIX = new URL('../../fixtures/host/', import.meta.url).pathname;
const tree = (t: string) => new HostFs(join(FIX, t));

describe('detectCgroupLayout', () => {
  it('v1: co-mounted cpu,cpuacct and a named systemd hierarchy, no v2', () => {
    const l = detectCgroupLayout(tree('v1'));
    expect(l.kind).toBe('v1');
    expect(l.v2Mount).toBeNull();
    expect(l.v2Controllers).toEqual([]);
    expect(l.v1.cpu).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.cpuacct).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.memory).toBe('/sys/fs/cgroup/memory');
    expect(l.v1['name=systemd']).toBe('/sys/fs/cgroup/systemd');
    expect(l.v1.net_prio).toBe('/sys/fs/cgroup/net_cls,net_prio');
    // mount flags in the super options are not controllers
    expect(Object.keys(l.v1)).not.toContain('clone_children');
    expect(Object.keys(l.v1)).not.toContain('xattr');
    expect(controllerDriver('memory', l)).toBe('v1');
    expect(controllerDriver('io', l)).toBeNull();
  });

  it('hybrid (captured on this host): v1 controllers plus v2 at /sys/fs/cgroup/unified holding only hugetlb', () => {
    const l = detectCgroupLayout(tree('hybrid'));
    expect(l.kind).toBe('hybrid');
    expect(l.v2Mount).toBe('/sys/fs/cgroup/unified');
    // controllers not bound to a v1 hierarchy show up in the unified one
    expect(l.v2Controllers).toEqual(['hugetlb']);
    expect(controllerDriver('hugetlb', l)).toBe('v2');
    expect(Object.keys(l.v1).sort()).toEqual(
      ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'name=systemd', 'pids'].sort(),
    );
    expect(controllerDriver('memory', l)).toBe('v1');
    expect(controllerDriver('freezer', l)).toBe('v1');
  });

  it('v2: one cgroup2 mount at /sys/fs/cgroup with its controllers', () => {
    const l = detectCgroupLayout(tree('v2'));
    expect(l.kind).toBe('v2');
    expect(l.v2Mount).toBe('/sys/fs/cgroup');
    expect(l.v2Controllers).toEqual(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']);
    expect(l.v1).toEqual({});
    expect(controllerDriver('memory', l)).toBe('v2');
    expect(controllerDriver('freezer', l)).toBe('v2');
    expect(controllerDriver('blkio', l)).toBeNull();
  });

  it('H1: the only cgroup line is cgroup2 at /cgroup2 → v2 at /cgroup2', () => {
    const l = detectCgroupLayout(tree('h1'));
    expect(l.kind).toBe('v2');
    expect(l.v2Mount).toBe('/cgroup2');
    expect(l.v2Controllers).toEqual(['cpu', 'io', 'memory', 'pids']);
    expect(l.v1).toEqual({});
  });

  it('this machine, read live: hybrid with v2 at /sys/fs/cgroup/unified (skipped elsewhere)', () => {
    const l = detectCgroupLayout(new HostFs('/'));
    // whatever the host is, the kind agrees with what was found
    if (l.kind === 'hybrid') expect(l.v2Mount).not.toBeNull();
    if (l.kind === 'v2') expect(Object.keys(l.v1).filter((c) => !c.startsWith('name='))).toEqual([]);
    expect(['v1', 'v2', 'hybrid', 'none']).toContain(l.kind);
  });
});
