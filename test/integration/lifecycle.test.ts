import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxdt${id}`; // 10 bytes, within IFNAMSIZ
const env = tempLxcpath([bridge]);
const name = `it-${id}`;

function lxcInfoState(n: string): string {
  return execFileSync('lxc-info', ['-P', env.lxcpath, '-n', n, '-sH'], { encoding: 'utf8' }).trim();
}

describe.runIf(RUN_LXC)('integration: a real busybox container through the engine', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
    expect(linkExists(bridge)).toBe(false);
  });
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });

  it('creates a container LXC recognises, on a bridge the engine made, with a static address', async () => {
    const phases: string[] = [];
    const info = await engine.create(name, { onProgress: (e) => phases.push(e.phase) });
    expect(info.state).toBe('STOPPED');
    expect(info.net[0].link).toBe(bridge);
    expect(info.net[0].ipv4[0]).toMatch(/^10\.\d+\.\d+\.\d+\/24$/);
    expect(phases).toContain('rootfs');
    expect(linkExists(bridge)).toBe(true);
    expect(lxcInfoState(name)).toBe('STOPPED');
    const ls = execFileSync('lxc-ls', ['-P', env.lxcpath, '-1'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(ls).toEqual([name]);
    // nothing half-made: only the container and lxdeck's own state dir
    expect(readdirSync(env.lxcpath).sort()).toEqual(['.lxdeck', name].sort());
    expect(readdirSync(join(env.lxcpath, '.lxdeck')).filter((f) => f.startsWith('staging'))).toEqual([]);
  });

  it('refuses a second container of the same name (E_EXISTS) and gives the next one another address', async () => {
    await expect(engine.create(name)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_EXISTS'));
    const other = await engine.create(`${name}b`);
    const first = await engine.info(name);
    expect(other.net[0].ipv4[0]).not.toBe(first.net[0].ipv4[0]);
    // the allocation is in the configs, so a new engine (a restart of lxdeck) sees it
    const third = await localEngine({ lxcpath: env.lxcpath, bridge }).create(`${name}c`);
    expect(new Set([first, other, third].map((i) => i.net[0].ipv4[0])).size).toBe(3);
    await engine.destroy(`${name}b`);
    await engine.destroy(`${name}c`);
  });

  it('P1: start returns once RUNNING, without waiting on the daemonised monitor', async () => {
    const t0 = Date.now();
    await engine.start(name);
    const took = Date.now() - t0;
    expect(lxcInfoState(name)).toBe('RUNNING');
    // the monitor process lives on after lxc-start -d returned: we did not wait for it to exit
    const monitors = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('[lxc monitor]') && l.includes(name));
    expect(monitors.length).toBeGreaterThan(0);
    expect(took).toBeLessThan(30_000); // bounded by the start timeout, not by the monitor's life
    const list = await engine.list();
    expect(list.find((c) => c.name === name)).toMatchObject({ state: 'RUNNING', pid: expect.any(Number) });
  });

  it('the host pings the container at its static address on the bridge', async () => {
    const info = await engine.info(name);
    const addr = info.net[0].ipv4[0].split('/')[0];
    // the address shows inside once LXC configured eth0
    expect(info.ipv4).toContain(addr);
    const out = execFileSync('busybox', ['ping', '-c', '1', '-W', '3', addr], { encoding: 'utf8' });
    expect(out).toMatch(/1 packets received/);
  });

  it('freezes and thaws the container (its processes stop being scheduled, then run again)', async () => {
    await engine.freeze(name);
    expect(lxcInfoState(name)).toBe('FROZEN');
    expect((await engine.list()).find((c) => c.name === name)?.state).toBe('FROZEN');
    await expect(engine.freeze(name)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_STATE'));
    await engine.unfreeze(name);
    expect(lxcInfoState(name)).toBe('RUNNING');
  });

  it('refuses to destroy a running container unless forced', async () => {
    await expect(engine.destroy(name)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_RUNNING'));
    expect(existsSync(join(env.lxcpath, name))).toBe(true);
  });

  it('stops cleanly within the timeout, and its cgroups go away', async () => {
    const pid = (await engine.info(name)).pid!;
    const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    await engine.stop(name, { timeoutSec: 20 });
    expect(lxcInfoState(name)).toBe('STOPPED');
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    const payload = /:(\/[^\n]*lxc\.payload\.[^\n/]+)/.exec(cg)?.[1];
    if (payload) expect(existsSync(join('/sys/fs/cgroup/memory', payload))).toBe(false);
  });

  it('destroys it: nothing left under the lxcpath but lxdeck state', async () => {
    await engine.destroy(name);
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
    expect(await engine.list()).toEqual([]);
    await expect(engine.info(name)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND'));
  });
});
