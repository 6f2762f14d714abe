/**
 * Runs only inside the cgroup v2 lane (lane/run.sh sets LXDECK_IN_V2_LANE=1 in a qemu
 * guest booted with cgroup_no_v1=all): a real busybox container made and driven by the
 * Engine on a host whose only hierarchy is cgroup2 at /sys/fs/cgroup. Checks the unified
 * layout (Documentation/admin-guide/cgroup-v2.rst), the container's own cgroup
 * `lxc.payload.NAME`, a memory.max written and read back, and the v2 freezer
 * (cgroup.freeze, "frozen 1" in cgroup.events). Outside the lane it does not run at all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine.js';
import { HostFs } from '../../core/host/host-fs.js';
import { detectCgroupLayout } from '../../core/cgroup/layout.js';
import { readCgroupPaths } from '../../core/cgroup/paths.js';
import { tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const IN_LANE = process.env.LXDECK_IN_V2_LANE === '1';
const CG = '/sys/fs/cgroup';

describe.runIf(IN_LANE)('v2 lane: a real container on a cgroup2-only host', () => {
  const id = uniq(3);
  const bridge = `lxv2${id}`;
  const name = `v2-${id}`;
  const env = tempLxcpath([bridge]);
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  const dir = join(CG, `lxc.payload.${name}`);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8').trim();

  afterAll(() => {
    try {
      if (existsSync(join(dir, 'cgroup.freeze'))) writeFileSync(join(dir, 'cgroup.freeze'), '0');
    } catch {
      /* gone */
    }
    env.cleanup();
  });

  it('V2: the host is pure cgroup v2: one cgroup2 mount at /sys/fs/cgroup, no v1, controllers delegated', () => {
    const layout = detectCgroupLayout(new HostFs('/'));
    expect(layout.kind).toBe('v2');
    expect(layout.v2Mount).toBe(CG);
    expect(layout.v1).toEqual({});
    for (const c of ['cpu', 'memory', 'pids', 'io']) expect(layout.v2Controllers).toContain(c);
    expect(readFileSync(join(CG, 'cgroup.subtree_control'), 'utf8')).toMatch(/memory/);
  });

  it('V2: the engine creates and starts a container; its cgroup is /sys/fs/cgroup/lxc.payload.NAME, found from its init PID', async () => {
    const t0 = Date.now();
    const made = await engine.create(name);
    const createMs = Date.now() - t0;
    expect(made.state).toBe('STOPPED');
    const t1 = Date.now();
    await engine.start(name);
    const startMs = Date.now() - t1;
    console.log(`v2 lane timings: engine.create ${createMs} ms, engine.start ${startMs} ms`);
    const info = await engine.info(name);
    expect(info.state).toBe('RUNNING');
    const pid = info.pid!;
    expect(pid).toBeGreaterThan(1);
    // on v2 /proc/PID/cgroup has the single "0::" line
    const procCg = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim();
    expect(procCg).toMatch(new RegExp(`^0::/lxc\\.payload\\.${name}(/|$)`));
    const paths = readCgroupPaths(new HostFs('/'), pid, detectCgroupLayout(new HostFs('/')), { name });
    expect(paths.v2).toBe(dir);
    expect(paths.v1).toEqual({});
    expect(read('cgroup.procs').split('\n')).toContain(String(pid));
    expect(read('cgroup.controllers')).toMatch(/memory/);
  });

  it('V2: memory.max written in the container cgroup reads back, and memory.current is below it', () => {
    const limit = 64 * 1024 * 1024;
    writeFileSync(join(dir, 'memory.max'), String(limit));
    expect(read('memory.max')).toBe(String(limit));
    const current = Number(read('memory.current'));
    expect(current).toBeGreaterThan(0);
    expect(current).toBeLessThan(limit);
    writeFileSync(join(dir, 'memory.max'), 'max');
    expect(read('memory.max')).toBe('max');
  });

  it('V2: engine.freeze sets cgroup.freeze 1 and cgroup.events "frozen 1"; unfreeze clears both', async () => {
    await engine.freeze(name);
    expect(read('cgroup.freeze')).toBe('1');
    expect(read('cgroup.events')).toMatch(/^frozen 1$/m);
    expect((await engine.info(name)).state).toBe('FROZEN');
    await engine.unfreeze(name);
    expect(read('cgroup.freeze')).toBe('0');
    expect(read('cgroup.events')).toMatch(/^frozen 0$/m);
    expect((await engine.info(name)).state).toBe('RUNNING');
    // the container runs again: a command inside answers
    const out = execFileSync('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', '/bin/busybox', 'echo', 'thawed'], { encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe('thawed');
  });

  it('V2: stop removes the container cgroup; destroy leaves nothing', async () => {
    await engine.stop(name, { timeoutSec: 20 });
    expect((await engine.info(name)).state).toBe('STOPPED');
    expect(existsSync(dir)).toBe(false);
    await engine.destroy(name);
    expect(await engine.list()).toEqual([]);
  });
});
