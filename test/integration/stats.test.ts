/**
 * The stats sampler on real LXC (root): throwaway busybox containers (no
 * network) in a temporary lxcpath. A container burning one CPU shows about
 * 100% of a CPU; a 500 MB file written to its rootfs on disk does not show
 * as 500 MB used (S1); a container killed while stats stream at 10 Hz turns
 * STOPPED without a throw (S2), also one killed in the middle of its own reads within a pass,
 * whose cgroup files the sampler had open paths to; unlimited memory reads 'max' (U2).
 * Bounds are generous: the machine has 2 shared cores.
 * Under CI=true it fails (never skips) when root or LXC is missing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../core/exec/runner.js';
import { StatsSampler } from '../../core/stats/sampler.js';
import type { StatsPass, StatsSample } from '../../core/stats/types.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const M = 1024 ** 2;

describe.runIf(RUN_LXC)('integration: stats of real containers', () => {
  requireLxc();
  const runner = new ExecaRunner();
  const env = tempLxcpath();
  const engine = localEngine({ lxcpath: env.lxcpath });
  const burn = `stb-${uniq(3)}`;
  const disk = `std-${uniq(3)}`;
  const victim = `stv-${uniq(3)}`;
  const mid = `stm-${uniq(3)}`;

  const lxc = async (name: string, tool: string, args: string[], output: 'pipe' | 'file' = 'pipe', timeoutMs = 60_000) => {
    const r = await runner.run(tool, ['-P', env.lxcpath, '-n', name, ...args], { output, timeoutMs });
    if (r.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`);
    return r.stdout;
  };
  const make = async (name: string) => {
    await createNetlessContainer(env.lxcpath, name);
    await lxc(name, 'lxc-start', ['-d'], 'file');
    await lxc(name, 'lxc-wait', ['-s', 'RUNNING', '-t', '20']);
  };
  const sampleOf = (p: StatsPass, name: string): StatsSample => p.containers.find((c) => c.name === name)!;

  beforeAll(async () => {
    await Promise.all([make(burn), make(disk), make(victim), make(mid)]);
  }, 120_000);

  afterAll(() => env.cleanup());

  it('finds every running container without lxc-info, with its init PID', async () => {
    const s = engine.sampler();
    const p = await s.pass();
    expect(p.containers.map((c) => c.name).sort()).toEqual([burn, disk, victim, mid].sort());
    for (const c of p.containers) {
      expect(c.state).toBe('RUNNING');
      const pid = Number((await lxc(c.name, 'lxc-info', ['-pH'])).trim());
      expect(c.pid).toBe(pid);
      expect(c.cpu.usageUsec).toBeGreaterThan(0);
      expect(c.pids.current).toBeGreaterThan(0);
    }
    expect(p.host.cpus).toBeGreaterThan(0);
  });

  it('U2: unlimited memory reads max; the percent is of the host memory, never a division by zero', async () => {
    const c = sampleOf(await engine.sampler().pass(), victim);
    expect(c.memory.limit).toBe('max');
    expect(c.memory.percentOf).toBe('host');
    expect(Number.isFinite(c.memory.percent)).toBe(true);
  });

  it('a container burning one CPU shows about 100% of a CPU', async () => {
    // the loop runs in the background inside the container; the weight gives it its share on a busy host
    await engine.setLimits(burn, { cpuWeight: '10000' });
    await lxc(burn, 'lxc-attach', ['--', 'sh', '-c', 'sh -c "while :; do :; done" >/dev/null 2>&1 </dev/null &'], 'file');
    const s = engine.sampler();
    await new Promise((r) => setTimeout(r, 500));
    await s.pass();
    await new Promise((r) => setTimeout(r, 3000));
    const c = sampleOf(await s.pass(), burn);
    expect(c.cpu.percent).not.toBeNull();
    expect(c.cpu.percent!).toBeGreaterThan(50);
    expect(c.cpu.percent!).toBeLessThan(130);
    expect(c.cpu.percentOfHost!).toBeCloseTo(c.cpu.percent! / c.cpu.limitCpus!, 6);
    await lxc(burn, 'lxc-stop', ['-k']); // stop burning for the other tests
  }, 30_000);

  it('S1: writing a 500 MB file to the rootfs with a 1 GiB limit does not show as 500 MB used; the cache shows it', async () => {
    await engine.setLimits(disk, { memory: '1G' });
    const s = engine.sampler();
    const before = sampleOf(await s.pass(), disk);
    await lxc(disk, 'lxc-attach', ['--', 'sh', '-c', 'dd if=/dev/zero of=/root/f bs=1M count=500 2>/dev/null && sync'], 'file', 120_000);
    const after = sampleOf(await s.pass(), disk);
    expect(after.memory.limit).toBe(1024 * M);
    expect(after.memory.usage!).toBeGreaterThan(before.memory.usage! + 300 * M); // the kernel charged the page cache
    expect(after.memory.cache!).toBeGreaterThan(300 * M);
    expect(after.memory.used!).toBeLessThan(before.memory.used! + 100 * M); // but it is not use
    expect(after.memory.percentOf).toBe('limit');
    expect(after.memory.percent!).toBeLessThan(15);
  }, 150_000);

  it('S2: streaming at 10 Hz while lxc-stop -k kills a container: no throw, its sample turns STOPPED', async () => {
    const stream = engine.sampler().stream({ intervalMs: 100 });
    const errors: unknown[] = [];
    stream.onError((e) => errors.push(e));
    const states: string[] = [];
    const warn = console.warn;
    const error = console.error;
    const noise: unknown[] = [];
    console.warn = (...a: unknown[]) => noise.push(a);
    console.error = (...a: unknown[]) => noise.push(a);
    try {
      let killed = false;
      let after = 0;
      for await (const p of stream) {
        states.push(sampleOf(p, victim).state);
        if (!killed && states.length >= 3) {
          killed = true;
          void lxc(victim, 'lxc-stop', ['-k']);
        }
        if (killed && states[states.length - 1] === 'STOPPED' && ++after >= 5) break;
        if (states.length > 200) break;
      }
    } finally {
      stream.stop();
      console.warn = warn;
      console.error = error;
    }
    expect(errors).toEqual([]);
    expect(noise).toEqual([]);
    expect(states.slice(0, 3)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(states[states.length - 1]).toBe('STOPPED');
    // once stopped it stays stopped (no flapping between half-read states)
    const first = states.indexOf('STOPPED');
    expect(states.slice(first).every((s) => s === 'STOPPED')).toBe(true);
  }, 60_000);

  it('S2: a container killed in the middle of its own reads (its cgroup removed between two files of one pass) reads STOPPED, no throw', async () => {
    // the sampler reads the clock once per container, after the freezer state and before the
    // CPU, memory, I/O and pids files: the clock given here kills the container right there
    let killNow = false;
    let killed = false;
    const sampler = new StatsSampler({
      lxcpath: env.lxcpath,
      clockUsec: () => {
        if (killNow && !killed) {
          killed = true;
          execaSync('lxc-stop', ['-P', env.lxcpath, '-n', mid, '-k'], { timeout: 30_000 });
        }
        return Math.round(performance.now() * 1000);
      },
    });
    const first = sampleOf(sampler.passSync([mid]), mid);
    expect(first.state).toBe('RUNNING');
    expect(first.memory.usage).toBeGreaterThan(0);
    killNow = true;
    const during = sampleOf(sampler.passSync([mid]), mid);
    expect(killed).toBe(true);
    expect(during.state).toBe('STOPPED');
    expect(during.pid).toBeNull();
    expect(during.memory.usage).toBeNull();
    // the files it knew are gone for good: the next pass looks it up afresh and finds it stopped
    expect(sampleOf(sampler.passSync(), mid).state).toBe('STOPPED');
    // started again: a new init, new files, figures again
    await lxc(mid, 'lxc-start', ['-d'], 'file');
    await lxc(mid, 'lxc-wait', ['-s', 'RUNNING', '-t', '20']);
    const again = sampleOf(sampler.passSync(), mid);
    expect(again.state).toBe('RUNNING');
    expect(again.pid).toBe(Number((await lxc(mid, 'lxc-info', ['-pH'])).trim()));
    expect(again.cpu.percent).toBeNull(); // a restart: no delta across it
    expect(again.memory.usage).toBeGreaterThan(0);
  }, 60_000);
});
