import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostFs } from '../../../core/host/host-fs.js';
import { detectCgroupLayout } from '../../../core/cgroup/layout.js';
import { cgroupPathsFromEntries, parseProcCgroup, readCgroupPaths, trimToContainer } from '../../../core/cgroup/paths.js';
import { isLxdeckError } from '../../../core/errors.js';

const FIX = new URL('../../fixtures/host/', import.meta.url).pathname;
const tree = (t: string) => new HostFs(join(FIX, t));

describe('/proc/PID/cgroup', () => {
  it('parses v1 lines, co-mounted and named hierarchies, and the v2 line', () => {
    const e = parseProcCgroup('2:cpu,cpuacct:/lxc.payload.a\n1:name=systemd:/lxc.payload.a/init.scope\n0::/lxc.payload.a\nbad line\n');
    expect(e).toEqual([
      { hierarchyId: 2, controllers: ['cpu', 'cpuacct'], path: '/lxc.payload.a' },
      { hierarchyId: 1, controllers: ['name=systemd'], path: '/lxc.payload.a/init.scope' },
      { hierarchyId: 0, controllers: [], path: '/lxc.payload.a' },
    ]);
  });

  it('trims to the container component (lxc.payload.NAME, LXC 3 lxc/NAME)', () => {
    expect(trimToContainer('/lxc.payload.web1/init.scope', 'web1')).toBe('/lxc.payload.web1');
    expect(trimToContainer('/machine/lxc.payload.web1/system.slice/x', 'web1')).toBe('/machine/lxc.payload.web1');
    expect(trimToContainer('/lxc/web1/init.scope', 'web1')).toBe('/lxc/web1');
    expect(trimToContainer('/lxc.payload.web10/init.scope', 'web1')).toBe('/lxc.payload.web10/init.scope');
    expect(trimToContainer('/', 'web1')).toBe('/');
  });

  it('hybrid (as captured on this host): v1 per controller and the unified directory', () => {
    const fs = tree('hybrid');
    const p = readCgroupPaths(fs, 4242, detectCgroupLayout(fs));
    expect(p.v2).toBe('/sys/fs/cgroup/unified/lxc.payload.web1');
    expect(p.v1.memory).toBe('/sys/fs/cgroup/memory/lxc.payload.web1');
    expect(p.v1.cpuacct).toBe('/sys/fs/cgroup/cpuacct/lxc.payload.web1');
    expect(p.v1.freezer).toBe('/sys/fs/cgroup/freezer/lxc.payload.web1');
    expect(p.v1['name=systemd']).toBe('/sys/fs/cgroup/systemd/lxc.payload.web1');
    expect(fs.exists(join(p.v1.memory, 'memory.limit_in_bytes'))).toBe(true);
  });

  it('v1: co-mounted cpu,cpuacct share a directory; name=systemd is cut at the container', () => {
    const fs = tree('v1');
    const l = detectCgroupLayout(fs);
    expect(readCgroupPaths(fs, 4242, l).v1['name=systemd']).toBe('/sys/fs/cgroup/systemd/lxc.payload.web1/init.scope');
    const p = readCgroupPaths(fs, 4242, l, { name: 'web1' });
    expect(p.v2).toBeUndefined();
    expect(p.v1.cpu).toBe('/sys/fs/cgroup/cpu,cpuacct/lxc.payload.web1');
    expect(p.v1.cpuacct).toBe(p.v1.cpu);
    expect(p.v1['name=systemd']).toBe('/sys/fs/cgroup/systemd/lxc.payload.web1');
    expect(p.v1.rdma).toBe('/sys/fs/cgroup/rdma');
  });

  it('v2: init in init.scope; with the name the container cgroup is used', () => {
    const fs = tree('v2');
    const l = detectCgroupLayout(fs);
    expect(readCgroupPaths(fs, 4242, l).v2).toBe('/sys/fs/cgroup/lxc.payload.web1/init.scope');
    expect(readCgroupPaths(fs, 4242, l, { name: 'web1' })).toEqual({ v1: {}, v2: '/sys/fs/cgroup/lxc.payload.web1' });
  });

  it('H1: v2 mounted at /cgroup2', () => {
    const fs = tree('h1');
    expect(readCgroupPaths(fs, 4242, detectCgroupLayout(fs))).toEqual({ v1: {}, v2: '/cgroup2/lxc.payload.web1' });
  });

  it('a mount whose root is a sub-cgroup maps paths below it and drops others', () => {
    const layout = {
      kind: 'v2' as const,
      v2Mount: '/sys/fs/cgroup',
      v2MountRoot: '/lxc.payload.outer',
      v2Controllers: ['memory'],
      v1: {},
      v1MountRoots: {},
    };
    expect(cgroupPathsFromEntries([{ hierarchyId: 0, controllers: [], path: '/lxc.payload.outer/inner' }], layout).v2).toBe(
      '/sys/fs/cgroup/inner',
    );
    expect(cgroupPathsFromEntries([{ hierarchyId: 0, controllers: [], path: '/elsewhere' }], layout).v2).toBeUndefined();
  });

  it('a vanished PID is E_NOT_FOUND', () => {
    const fs = tree('v2');
    let err: unknown;
    try {
      readCgroupPaths(fs, 99999, detectCgroupLayout(fs));
    } catch (e) {
      err = e;
    }
    expect(isLxdeckError(err, 'E_NOT_FOUND')).toBe(true);
  });
});
