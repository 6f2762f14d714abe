import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { LxdBackend } from '../../core/lxd/backend.js';
import { lifecycleChange, type LxdEvent } from '../../core/lxd/events.js';
import { contains, parseCidr } from '../../core/network/ipv4.js';
import type { StatsSample } from '../../core/stats/types.js';
import type { ActionEntry } from '../../core/actionlog/index.js';
import { CLI, runCli } from '../helpers/cli.js';
import { TmuxTerm, haveTmux, sh } from '../e2e/tmux.js';
import { linkExists, uniq } from '../helpers/lxc-env.js';
import { RUN_LXD, dnsmasqOf, importBusyboxImage, requireLxd, startTestLxd, type TestLxd } from '../helpers/lxd-env.js';

const id = uniq(3);
const alias = `bb-${id}`;
let lxd: TestLxd | undefined;
let backend: LxdBackend;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` until `ok` holds or `ms` pass; returns the last value (the caller asserts on it). */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < end) {
    await sleep(250);
    v = await fn();
  }
  return v;
}

const onBridge = (a: string) => lxd !== undefined && contains(lxd.subnet, parseCidr(`${a}/32`).addr);

/** The memory cgroup limit of a running instance, read on the host from its init's /proc/PID/cgroup (v1 or v2). */
function memoryLimitOnHost(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1 = lines.find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l));
  if (v1) return readFileSync(`/sys/fs/cgroup/memory${v1.split(':')[2]}/memory.limit_in_bytes`, 'utf8').trim();
  const v2 = lines.find((l) => l.startsWith('0::'));
  return readFileSync(`/sys/fs/cgroup${v2!.slice(3)}/memory.max`, 'utf8').trim();
}

describe.runIf(RUN_LXD)('integration: LXD backend over a test daemon of its own (issue 10, part 3)', () => {
  requireLxd();
  beforeAll(async () => {
    lxd = await startTestLxd(`lxdt${id}`);
    backend = new LxdBackend({ socketPath: lxd.socket });
    await importBusyboxImage(lxd, alias);
  }, 240_000);
  afterAll(async () => {
    if (!lxd) return;
    await lxd.cleanup();
    expect(existsSync(lxd.dir)).toBe(false);
    expect(linkExists(lxd.bridge)).toBe(false);
    expect(await until(async () => dnsmasqOf(lxd!.lxdDir), (l) => l.length === 0, 10_000)).toEqual([]);
  }, 180_000);

  const cliEnv = () => ({ LXD_DIR: lxd!.lxdDir, LXDECK_BACKEND: 'lxd', LXDECK_LOG: `${lxd!.dir}/actions.log` });

  it('the daemon answers and is not clustered; the local image alias is there', async () => {
    const s = await backend.server();
    expect(s.api_version).toBe('1.0');
    expect(await backend.isClustered()).toBe(false);
    const imgs = await backend.client.get<{ name: string }[]>('/1.0/images/aliases?recursion=1');
    expect(imgs.map((a) => a.name)).toContain(alias);
    // its image-server fetches went to the closed loopback proxy, not out (no DNS lookup of a server)
    expect(readFileSync(lxd!.logFile, 'utf8')).not.toMatch(/lookup images\./);
  });

  it('LxdBackend: create from the alias, start, address on the bridge, stats, limits, exec, freeze, stop, delete', async () => {
    const c = `lb-${id}`;
    const made = await backend.create(c, { image: alias, memory: '128M', cpus: 1 });
    expect(made.state).toBe('STOPPED');
    expect(made.limits?.saved).toEqual([
      { key: 'limits.cpu', value: '1' },
      { key: 'limits.memory', value: '128MiB' },
    ]);
    await backend.start(c);
    const row = await until(
      async () => (await backend.list()).find((r) => r.name === c),
      (r) => r?.state === 'RUNNING' && r.ipv4.some(onBridge),
    );
    expect(row?.state).toBe('RUNNING');
    expect(row?.pid).toBeGreaterThan(1);
    expect(row?.ipv4.filter(onBridge)).toHaveLength(1);
    expect(row && 'location' in row).toBe(false);

    const info = await backend.info(c);
    expect(info.net[0]).toMatchObject({ link: lxd!.bridge, ifname: 'eth0' });
    expect(info.net[0].ipv4[0]).toMatch(/\/24$/);

    // stats: two passes; memory and CPU time known, a CPU rate on the second
    const sampler = backend.sampler();
    const first = (await sampler.pass([c])).containers[0];
    await backend.exec(c, ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done']);
    const second = (await sampler.pass([c])).containers[0] as StatsSample;
    expect(first.state).toBe('RUNNING');
    expect(first.cpu.percent).toBeNull();
    expect(second.memory.used).toBeGreaterThan(0);
    expect(second.memory.limit).toBe(128 * 2 ** 20);
    expect(second.memory.percentOf).toBe('limit');
    expect(second.cpu.usageUsec).toBeGreaterThan(first.cpu.usageUsec!);
    expect(second.cpu.percent).toBeGreaterThan(0);
    expect(second.cpu.limitCpus).toBe(1);
    expect(second.blkio.readBytes).toBeNull();
    expect(second.pids.current).toBeGreaterThan(0);

    // limits: set 64 MiB, read it back from LXD and from the kernel
    const set = await backend.setLimits(c, { memory: '64MiB' });
    expect(set).toMatchObject({ live: true, saved: [{ key: 'limits.memory', value: '64MiB' }] });
    expect((await backend.limits(c)).saved).toContainEqual({ key: 'limits.memory', value: '64MiB' });
    expect(memoryLimitOnHost(row!.pid!)).toBe(String(64 * 2 ** 20));
    await expect(backend.setLimits(c, { pids: '10' })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_USAGE'));

    // exec: exit status and output
    expect((await backend.exec(c, ['sh', '-c', 'exit 3'])).exitCode).toBe(3);
    const echo = await backend.exec(c, ['sh', '-c', 'echo out; echo err >&2']);
    expect(echo).toMatchObject({ exitCode: 0, stdout: 'out\n', stderr: 'err\n' });

    await backend.freeze(c);
    expect((await backend.list()).find((r) => r.name === c)?.state).toBe('FROZEN');
    expect((await sampler.pass([c])).containers[0].state).toBe('FROZEN');
    await backend.unfreeze(c);
    expect((await backend.list()).find((r) => r.name === c)?.state).toBe('RUNNING');

    await expect(backend.destroy(c)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_RUNNING'));
    await backend.stop(c, { timeoutSec: 5 });
    const stopped = (await backend.list()).find((r) => r.name === c);
    expect(stopped).toMatchObject({ state: 'STOPPED', pid: null, ipv4: [] });
    expect((await sampler.pass([c])).containers[0].memory.used).toBeNull();
    await backend.destroy(c);
    expect((await backend.list()).map((r) => r.name)).not.toContain(c);
    await expect(backend.info(c)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND'));
  }, 300_000);

  it('LxdBackend refuses what it cannot do, with E_USAGE and a hint; an unknown alias is E_NOT_FOUND; a taken name E_EXISTS', async () => {
    await expect(backend.create(`lr-${id}`, { image: alias, ipv4: '10.0.0.5/24' })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_USAGE') && /--ipv4/.test(e.message) && /--image/.test(e.hint ?? ''));
    await expect(backend.create(`lr-${id}`, {})).rejects.toSatisfy((e) => isLxdeckError(e, 'E_USAGE') && /--image/.test(e.message));
    await expect(backend.create(`lr-${id}`, { image: `nope-${id}` })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND'));
    await backend.create(`lr-${id}`, { image: alias });
    await expect(backend.create(`lr-${id}`, { image: alias })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_EXISTS'));
    await backend.destroy(`lr-${id}`);
  }, 120_000);

  it('CLI --backend lxd: create --image, start, ls --json, stats --json, limits, attach exit status, freeze, stop, destroy', async () => {
    const c = `lc-${id}`;
    const run = (args: string[]) => runCli(args, cliEnv());
    const made = run(['create', c, '--image', alias, '--memory', '96M', '--start']);
    expect(made.stderr).toBe('');
    expect(made.stdout).toMatch(new RegExp(`^created ${c} from ${alias}, RUNNING`));
    const ls = await until(
      async () => JSON.parse(run(['ls', '--json']).stdout) as { name: string; state: string; ipv4: string[]; pid: number | null }[],
      (l) => l.some((r) => r.name === c && r.ipv4.some(onBridge)),
    );
    const row = ls.find((r) => r.name === c)!;
    expect(row).toMatchObject({ state: 'RUNNING', status: 'Running', type: 'container' });
    expect(row.ipv4.some(onBridge)).toBe(true);
    expect(row).not.toHaveProperty('location');
    expect(run(['ls']).stdout).toMatch(new RegExp(`^${c}\\s+RUNNING\\s+no\\s+-\\s+${row.pid}\\s+${row.ipv4[0].replace(/\./g, '\\.')}`, 'm'));

    const stats = run(['stats', c, '--json', '--count', '2', '--interval', '0.3']);
    expect(stats.status).toBe(0);
    const lines = stats.stdout.trim().split('\n').map((l) => JSON.parse(l) as StatsSample & { time: string });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ name: c, state: 'RUNNING' });
    expect(lines[1].memory.used).toBeGreaterThan(0);
    expect(lines[1].memory.limit).toBe(96 * 2 ** 20);
    expect(lines[1].cpu.usageUsec).toBeGreaterThan(0);

    const setOut = run(['limits', c, '--memory', '64MiB']);
    expect(setOut).toMatchObject({ status: 0, stdout: `set limits.memory = 64MiB\n${c} is running: LXD applied them live\n` });
    const lim = JSON.parse(run(['limits', c, '--json']).stdout) as { saved: { key: string; value: string }[] };
    expect(lim.saved).toContainEqual({ key: 'limits.memory', value: '64MiB' });
    expect(run(['limits', c, '--pids', '5']).status).toBe(2); // not an option of the LXD program: bad usage
    expect(memoryLimitOnHost(row.pid!)).toBe(String(64 * 2 ** 20));

    expect(run(['attach', c, '--', 'sh', '-c', 'echo hi; exit 3'])).toMatchObject({ status: 3, stdout: 'hi\n' });
    expect(run(['freeze', c])).toMatchObject({ status: 0, stdout: `${c} FROZEN\n` });
    expect(JSON.parse(run(['info', c, '--json']).stdout)).toMatchObject({ name: c, state: 'FROZEN', status: 'Frozen' });
    expect(run(['unfreeze', c])).toMatchObject({ status: 0, stdout: `${c} RUNNING\n` });
    expect(run(['destroy', c])).toMatchObject({ status: 1 });
    expect(run(['stop', c, '--timeout', '5'])).toMatchObject({ status: 0, stdout: `${c} STOPPED\n` });
    expect(run(['destroy', c])).toMatchObject({ status: 0, stdout: `destroyed ${c}\n` });
    expect((JSON.parse(run(['ls', '--json']).stdout) as { name: string }[]).map((r) => r.name)).not.toContain(c);

    // every action went to the action log like a local one, with LXD's client command
    const log = (JSON.parse(run(['log', '--json', '-n', '100']).stdout) as ActionEntry[]).filter((e) => e.container === c);
    const viaLxc = `env LXD_DIR=${lxd!.lxdDir} lxc`;
    expect(log.map((e) => [e.action, e.command, e.result, e.exitStatus])).toEqual([
      ['create', `${viaLxc} init ${alias} ${c} -c limits.memory=96MiB && ${viaLxc} start ${c}`, 'ok', undefined],
      ['limits', `${viaLxc} config set ${c} limits.memory=64MiB`, 'ok', undefined],
      ['attach', `${viaLxc} exec ${c} -- sh -c 'echo hi; exit 3'`, 'ok', 3],
      ['freeze', `${viaLxc} pause ${c}`, 'ok', undefined],
      ['unfreeze', `${viaLxc} start ${c} # LXD's client resumes a frozen instance with start`, 'ok', undefined],
      ['destroy', `${viaLxc} delete ${c}`, 'E_RUNNING', undefined],
      ['stop', `${viaLxc} stop ${c} --timeout 5`, 'ok', undefined],
      ['destroy', `${viaLxc} delete ${c}`, 'ok', undefined],
    ]);
    expect(readFileSync(`${lxd!.dir}/actions.log`, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(8);
  }, 300_000);

  it('the console over LXD (tmux, 80x24): the instance listed, s starts, f freezes and thaws, d deletes after the typed name, q quits', async () => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    const c = `lt-${id}`;
    await backend.create(c, { image: alias });
    const row = (screen: string) => screen.split('\n').find((l) => l.includes(` ${c} `));
    const t = new TmuxTerm();
    try {
      t.start(`${sh(process.execPath)} ${sh(CLI)}`, { ...cliEnv(), LXDECK_LOG: `${lxd!.dir}/actions.log` }, 80, 24);
      let screen = await t.waitForScreen(`${c} in the list`, (s) => row(s) !== undefined, 20_000);
      expect(row(screen)).toMatch(new RegExp(`${c}\\s+STOPPED`));
      expect(screen).toContain('lxd:');
      t.keys('s');
      screen = await t.waitForScreen(`${c} RUNNING with an address`, (s) => /RUNNING\s.*\d+\.\d+\.\d+\.\d+/.test(row(s) ?? ''), 60_000);
      expect((await backend.list()).find((r) => r.name === c)?.state).toBe('RUNNING');
      t.keys('f');
      await t.waitForScreen(`${c} FROZEN`, (s) => /FROZEN/.test(row(s) ?? '') && s.includes(`froze ${c}`), 30_000);
      expect((await backend.list()).find((r) => r.name === c)?.state).toBe('FROZEN');
      t.keys('f');
      await t.waitForScreen(`${c} thawed`, (s) => /RUNNING/.test(row(s) ?? '') && s.includes(`thawed ${c}`), 30_000);
      t.keys('d');
      await t.waitForScreen('the confirmation', (s) => s.includes(`Type the name "${c}"`));
      t.literal(c);
      t.keys('Enter');
      await t.waitForScreen(`${c} gone`, (s) => row(s) === undefined && s.includes(`deleted ${c}`), 60_000);
      expect((await backend.list()).map((r) => r.name)).not.toContain(c);
      t.keys('q');
      expect(await t.waitForExit()).toBe(0);
    } finally {
      t.close();
    }
  }, 240_000);

  it("events: start and stop by another client (LXD's own lxc) arrive on the /1.0/events stream; watch hears them; an operation is followed to its end", async () => {
    const c = `le-${id}`;
    await backend.create(c, { image: alias });
    const seen: LxdEvent[] = [];
    const ev = backend.events({ onEvent: (e) => seen.push(e) });
    const changes: { name: string | null; action: string }[] = [];
    const unwatch = backend.watch((ch) => changes.push(ch));
    try {
      await ev.start();
      const started = ev.waitFor((e) => lifecycleChange(e)?.name === c && lifecycleChange(e)?.action === 'instance-started', 60_000, `${c} started`);
      await lxd!.lxc(['start', c]);
      const e = await started;
      expect(e).toMatchObject({ type: 'lifecycle', metadata: { action: 'instance-started', source: `/1.0/instances/${c}` } });
      // the operation behind `lxc start` was seen as an operation event that ended in Success
      expect(seen.some((x) => x.type === 'operation' && x.metadata.status === 'Success' && JSON.stringify(x.metadata.resources ?? {}).includes(`/1.0/instances/${c}`))).toBe(true);
      // an operation of our own followed through its events: PUT .../state answers at once with the operation
      const put = await backend.client.request('PUT', `/1.0/instances/${c}/state`, { action: 'freeze', timeout: -1 });
      expect(put.type).toBe('async');
      const states: string[] = [];
      const op = await ev.followOperation(put.operation!, 60_000, (o) => states.push(o.status));
      expect(op.status).toBe('Success');
      expect(states[states.length - 1]).toBe('Success');
      expect((await backend.list()).find((r) => r.name === c)?.state).toBe('FROZEN');
      const stopped = ev.waitFor((x) => lifecycleChange(x)?.name === c && lifecycleChange(x)?.action === 'instance-stopped', 60_000, `${c} stopped`);
      await lxd!.lxc(['stop', '--force', c]);
      await stopped;
      // watch (what the console's list subscribes to) heard the same changes
      for (let i = 0; i < 100 && !changes.some((x) => x.name === c && x.action === 'instance-stopped'); i++) await sleep(50);
      expect(changes).toContainEqual({ name: c, action: 'instance-stopped' });
    } finally {
      unwatch();
      ev.close();
    }
    await backend.destroy(c);
  }, 180_000);

  it('attach with a pty over the exec websockets (tmux, 80x24): the CLI verb runs a command inside, follows a resize, passes the exit status on; the console hands the terminal over and takes it back', async () => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    const c = `la-${id}`;
    await backend.create(c, { image: alias, start: true });
    const t = new TmuxTerm();
    try {
      t.start(`${sh(process.execPath)} ${sh(CLI)} attach ${c}`, cliEnv(), 80, 24);
      await t.waitForScreen('the shell prompt', (s) => /#\s*$/m.test(s), 30_000);
      t.literal('echo in-$((6*7)) $(hostname); stty size');
      t.keys('Enter');
      let screen = await t.waitForScreen('the output', (s) => /^in-42 /m.test(s) && /^24 80$/m.test(s), 20_000);
      expect(screen).toMatch(new RegExp(`^in-42 ${c}$`, 'm'));
      t.resize(100, 30);
      t.literal('stty size');
      t.keys('Enter');
      await t.waitForScreen('the new size inside', (s) => /^30 100$/m.test(s), 20_000);
      t.literal('exit 5');
      t.keys('Enter');
      expect(await t.waitForExit(20_000)).toBe(5);
      expect(t.stty()).toMatch(/(^|\s)icanon(\s|$)/m); // the terminal is out of raw mode again
    } finally {
      t.close();
    }

    // the console: a on the running row, a command inside, exit, the list again
    const row = (screen: string) => screen.split('\n').find((l) => l.includes(` ${c} `));
    const u = new TmuxTerm();
    try {
      u.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv(), 80, 24);
      await u.waitForScreen(`${c} RUNNING`, (s) => /RUNNING/.test(row(s) ?? ''), 30_000);
      for (let i = 0; i < 40 && !/›/.test(row(u.screen()) ?? ''); i++) {
        u.keys('Down');
        await sleep(100);
      }
      expect(row(u.screen())).toMatch(/›/);
      u.keys('a');
      await u.waitForScreen('the shell prompt', (s) => /#\s*$/m.test(s) && s.includes(`attached to ${c}`), 30_000);
      u.literal('echo console-$((2+3))');
      u.keys('Enter');
      await u.waitForScreen('the output', (s) => /^console-5$/m.test(s), 20_000);
      u.literal('exit');
      u.keys('Enter');
      await u.waitForScreen('the list again', (s) => s.includes(`back from attach to ${c} (exit status 0)`) && row(s) !== undefined, 30_000);
      u.keys('q');
      expect(await u.waitForExit()).toBe(0);
    } finally {
      u.close();
    }
    const logged = (JSON.parse(runCli(['log', '--json', '-n', '200'], cliEnv()).stdout) as ActionEntry[]).filter((e) => e.container === c && e.action === 'attach');
    expect(logged.map((e) => e.exitStatus)).toEqual([5, 0]);
    await backend.destroy(c, { force: true });
  }, 240_000);

  it('CLI --backend lxd: a create without --image is bad usage (2); a missing socket is one clear error with a hint (1); --location needs a cluster', () => {
    expect(runCli(['create', `lx-${id}`], cliEnv()).status).toBe(2);
    const gone = runCli(['--backend', 'lxd', '--lxd-socket', `${lxd!.dir}/nothing.socket`, 'ls']);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/^lxdeck: cannot reach LXD at .*nothing\.socket \(ENOENT\)\nhint: start the daemon/);
    const loc = runCli(['ls', '--location', 'm1'], cliEnv());
    expect(loc.status).toBe(2);
    expect(loc.stderr).toMatch(/not clustered/);
  });
});
