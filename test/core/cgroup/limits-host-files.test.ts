/**
 * Saving a limit whose cgroup file the host lacks is refused up front, for a stopped container
 * (the file looked for in another cgroup of the same hierarchy) as for a running one, on v1 and
 * v2 fixture trees; max and a weight's default remove the limit's keys and are never refused.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LxcConfig } from '../../../core/lxc/config.js';
import { isLxdeckError } from '../../../core/errors.js';
import { planContainerLimits } from '../../../core/cgroup/resources.js';
import { openTree, type Tree } from './helpers.js';

const M = 1024 ** 2;
let t: Tree | undefined;
afterEach(() => {
  t?.done();
  t = undefined;
});

/** plans limits for a STOPPED container `other` (no pid) over the tree */
function plan(tree: Tree, cfgText: string, limits: Parameters<typeof planContainerLimits>[4]['limits']) {
  const cfg = LxcConfig.parse(cfgText, '/x/config');
  try {
    return { result: planContainerLimits(tree.fs, 'other', cfg, null, { limits, messages: [] }), cfg };
  } catch (e) {
    return { error: e as Error & { hint?: string }, cfg };
  }
}

describe('limits a host cannot take are refused before they are saved', () => {
  const cases = [
    { tree: 'v1', file: 'blkio/lxc.payload.web1/blkio.weight', limits: { ioWeight: 200 }, key: 'lxc.cgroup.blkio.weight', hint: /BFQ/ },
    { tree: 'v1', file: 'memory/lxc.payload.web1/memory.memsw.limit_in_bytes', limits: { memory: 64 * M, swap: 64 * M }, key: 'lxc.cgroup.memory.memsw.limit_in_bytes', hint: /swapaccount=1/ },
    { tree: 'v1', file: 'cpu,cpuacct/lxc.payload.web1/cpu.cfs_quota_us', limits: { cpus: 0.5 }, key: 'lxc.cgroup.cpu.cfs_quota_us', hint: /CFS_BANDWIDTH/ },
    { tree: 'v1', file: 'pids/lxc.payload.web1/pids.max', limits: { pids: 50 }, key: 'lxc.cgroup.pids.max', hint: /leave the limit out/ },
    { tree: 'v2', file: 'lxc.payload.web1/io.weight', limits: { ioWeight: 200 }, key: 'lxc.cgroup2.io.weight', hint: /BFQ/ },
    { tree: 'v2', file: 'lxc.payload.web1/memory.swap.max', limits: { swap: 64 * M }, key: 'lxc.cgroup2.memory.swap.max', hint: /swap accounting/ },
    { tree: 'v2', file: 'lxc.payload.web1/cpu.max', limits: { cpus: 1.5 }, key: 'lxc.cgroup2.cpu.max', hint: /CFS_BANDWIDTH/ },
    { tree: 'v2', file: 'lxc.payload.web1/memory.max', limits: { memory: 64 * M }, key: 'lxc.cgroup2.memory.max', hint: /leave the limit out/ },
  ] as const;
  for (const c of cases) {
    it(`${c.tree}: ${c.key} is refused where ${c.file.split('/').pop()} is missing, saved where it is there`, () => {
      t = openTree(c.tree, true);
      const ok = plan(t, 'lxc.uts.name = other\n', { ...c.limits });
      expect(ok.error).toBeUndefined();
      expect(ok.result!.saved.map((s) => s.key)).toContain(c.key);
      rmSync(join(t.root, 'sys/fs/cgroup', c.file));
      const no = plan(t, 'lxc.uts.name = other\n', { ...c.limits });
      expect(isLxdeckError(no.error, 'E_UNSUPPORTED')).toBe(true);
      expect(no.error!.message).toContain(`cannot save ${c.key}`);
      expect(no.error!.message).toContain('no such file');
      expect(no.error!.hint).toMatch(c.hint);
      expect(no.cfg.toString()).not.toContain(c.key);
    });
  }

  it('default and max remove a saved key the host lacks (the only way to undo it), and are never refused', () => {
    t = openTree('v1', true);
    rmSync(join(t.root, 'sys/fs/cgroup/blkio/lxc.payload.web1/blkio.weight'));
    const { result, cfg } = plan(t, 'lxc.uts.name = other\nlxc.cgroup.blkio.weight = 1000\nlxc.cgroup2.io.weight = default 200\nlxc.cgroup.memory.limit_in_bytes = 67108864\nlxc.cgroup.memory.memsw.limit_in_bytes = 134217728\nlxc.cgroup.cpu.shares = 2048\n', {
      ioWeight: 'default',
      memory: 'max',
      cpuWeight: 'default',
    });
    expect(result!.removed).toEqual(expect.arrayContaining(['lxc.cgroup.blkio.weight', 'lxc.cgroup2.io.weight', 'lxc.cgroup.memory.limit_in_bytes', 'lxc.cgroup.memory.memsw.limit_in_bytes', 'lxc.cgroup.cpu.shares']));
    expect(result!.saved).toEqual([]);
    expect(cfg.toString()).toBe('lxc.uts.name = other\n');
  });
});
