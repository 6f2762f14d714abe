/**
 * Real cgroups on this host (root + LXC): a throwaway busybox container in a
 * temporary lxcpath, with no network (lxc.net.0.type = empty), driven through
 * core/cgroup: paths from its init PID, a memory limit written and read back
 * from the real cgroup file, freeze and thaw through the freezer.
 * Under CI=true it fails (never skips) when root or LXC is missing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../../core/exec/runner.js';
import { isLxdeckError } from '../../../core/errors.js';
import { HostFs } from '../../../core/host/host-fs.js';
import { detectCgroupLayout, type CgroupLayout } from '../../../core/cgroup/layout.js';
import { readCgroupPaths, type CgroupPaths } from '../../../core/cgroup/paths.js';
import { applyLimit, readLimits } from '../../../core/cgroup/limits.js';
import { freeze, readFreezerState, thaw } from '../../../core/cgroup/freezer.js';
import { readCpuUsageUsec, readMemoryUse } from '../../../core/cgroup/memory.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../../helpers/lxc-env.js';

const M = 1024 ** 2;

describe.runIf(RUN_LXC)('integration: real cgroups of a throwaway busybox container', () => {
  requireLxc();
  const runner = new ExecaRunner();
  const env = tempLxcpath();
  const name = `cgt-${uniq(3)}`;
  const fs = new HostFs('/');
  let layout: CgroupLayout;
  let paths: CgroupPaths;
  let pid = 0;

  const lxc = async (tool: string, args: string[], output: 'pipe' | 'file' = 'pipe') => {
    const r = await runner.run(tool, ['-P', env.lxcpath, '-n', name, ...args], { output, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`);
    return r.stdout;
  };

  beforeAll(async () => {
    await createNetlessContainer(env.lxcpath, name);
    await lxc('lxc-start', ['-d'], 'file');
    await lxc('lxc-wait', ['-s', 'RUNNING', '-t', '20']);
    pid = Number((await lxc('lxc-info', ['-pH'])).trim());
    layout = detectCgroupLayout(fs);
    paths = readCgroupPaths(fs, pid, layout, { name });
  });

  afterAll(() => {
    // a frozen container cannot be killed: thaw first, whatever happened above
    try {
      if (paths && readFreezerState(paths, fs) !== 'THAWED') {
        if (paths.v1.freezer) fs.writeText(join(paths.v1.freezer, 'freezer.state'), 'THAWED');
        if (paths.v2 && fs.exists(join(paths.v2, 'cgroup.freeze'))) fs.writeText(join(paths.v2, 'cgroup.freeze'), '0');
      }
    } catch {
      /* already gone */
    }
    env.cleanup();
  });

  it("finds the container's cgroup directories from its init PID", () => {
    expect(pid).toBeGreaterThan(1);
    const dirs = [...Object.values(paths.v1), ...(paths.v2 ? [paths.v2] : [])];
    expect(dirs.length).toBeGreaterThan(0);
    for (const d of dirs) {
      expect(d).toContain(`lxc.payload.${name}`);
      expect(fs.exists(d)).toBe(true);
      expect(fs.readText(join(d, 'cgroup.procs')).split('\n')).toContain(String(pid));
    }
    if (layout.kind !== 'v2') expect(paths.v1.memory).toBe(`${layout.v1.memory}/lxc.payload.${name}`);
  });

  it('applies a 64 MiB memory limit, visible in the real cgroup file and read back', () => {
    const r = applyLimit(paths, { memory: 64 * M, pids: 64 }, fs);
    const memFile = r.written.find((w) => w.controller === 'memory')!.path;
    expect(memFile).toMatch(/memory\.(limit_in_bytes|max)$/);
    expect(readFileSync(memFile, 'utf8').trim()).toBe(String(64 * M));
    const back = readLimits(paths, fs);
    expect(back.memory).toBe(64 * M);
    expect(back.pids).toBe(64);
    const use = readMemoryUse(paths, fs)!;
    expect(use.limit).toBe(64 * M);
    expect(use.usage).toBeGreaterThan(0);
    expect(use.used).toBeLessThanOrEqual(use.usage);
    expect(readCpuUsageUsec(paths, fs)).toBeGreaterThan(0);
    // back to unlimited: read as 'max', never the 19-digit sentinel (U2)
    applyLimit(paths, { memory: 'max' }, fs);
    expect(readLimits(paths, fs).memory).toBe('max');
  });

  it('the kernel refusing a value is an LxdeckError naming the file and the value', () => {
    let err: unknown;
    try {
      applyLimit(paths, { pids: 5_000_000 }, fs); // above PID_MAX_LIMIT: the kernel says EINVAL
    } catch (e) {
      err = e;
    }
    expect(isLxdeckError(err, 'E_INVALID_VALUE')).toBe(true);
    expect((err as Error).message).toMatch(/"5000000" to \/sys\/fs\/cgroup\/.*pids\.max.*EINVAL/);
    err = undefined;
    try {
      applyLimit(paths, { io: [{ device: '250:999', rbps: M }] }, fs); // no such block device
    } catch (e) {
      err = e;
    }
    expect(isLxdeckError(err, 'E_NOT_FOUND')).toBe(true);
    // v1 blkio.throttle.read_bps_device takes "MAJ:MIN BYTES", v2 io.max "MAJ:MIN rbps=BYTES"
    expect((err as Error).message).toMatch(/"250:999 (rbps=)?1048576".*ENODEV/);
    // a quota keeps the period and reads back
    applyLimit(paths, { cpus: 1.5 }, fs);
    expect(readLimits(paths, fs).cpus).toBe(1.5);
    applyLimit(paths, { cpus: 'max', pids: 'max' }, fs);
    expect(readLimits(paths, fs).cpus).toBe('max');
  });

  it('freezes (FROZEN) and thaws (THAWED) through the freezer', async () => {
    expect(readFreezerState(paths, fs)).toBe('THAWED');
    expect(await freeze(paths, fs, { timeoutMs: 10_000 })).toBe('FROZEN');
    expect(readFreezerState(paths, fs)).toBe('FROZEN');
    expect(await thaw(paths, fs, { timeoutMs: 10_000 })).toBe('THAWED');
    expect(readFreezerState(paths, fs)).toBe('THAWED');
    expect((await lxc('lxc-info', ['-sH'])).trim()).toBe('RUNNING');
  });
});
