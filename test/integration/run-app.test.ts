/**
 * `lxdeck run` (issue 11): an application container as lxc-execute runs it, for real: the host's
 * file system read-only, tmpfs scratch space, a network namespace with only lo, a memory limit
 * in its own cgroup, the exit status passed through; shown by `lxc-ls` and `lxdeck ls` while it
 * runs and gone after, on SIGTERM too; names checked (N1) before anything is written. A
 * temporary lxcpath, removed after. Needs root and LXC: under CI=true a host without them FAILS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout, joinPath, controllerDriver } from '../../core/cgroup/layout.js';
import { HostFs } from '../../core/host/host-fs.js';
import { applicationConfig, runDir } from '../../core/lxc/execute.js';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

const id = uniq(3);
const env = tempLxcpath();
const cliEnv = { LXDECK_LXCPATH: env.lxcpath };
const runFiles = () => (existsSync(runDir(env.lxcpath)) ? readdirSync(runDir(env.lxcpath)) : []);

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('application container config (pure)', () => {
  it('has no rootfs of its own in the lxcpath: the host\'s /, read-only, tmpfs on /tmp and /run, limits as keys', () => {
    const text = applicationConfig('a1', 'empty', [{ key: 'lxc.cgroup2.memory.max', value: '67108864' }]);
    expect(text).toMatch(/^lxc\.rootfs\.path = dir:\/$/m);
    expect(text).toMatch(/^lxc\.rootfs\.options = ro$/m);
    expect(text).toMatch(/^lxc\.mount\.entry = tmpfs tmp tmpfs /m);
    expect(text).toMatch(/^lxc\.net\.0\.type = empty$/m);
    expect(text).toMatch(/^lxc\.cgroup2\.memory\.max = 67108864$/m);
    expect(applicationConfig('a1', 'host', [])).toMatch(/^lxc\.net\.0\.type = none$/m);
  });
});

describe.runIf(RUN_LXC)('integration: lxdeck run (lxc-execute)', () => {
  requireLxc();
  afterAll(() => env.cleanup());

  it('runs the command read-only with tmpfs /tmp and only lo, passes its exit status, leaves nothing behind', () => {
    const name = `app-${id}`;
    const r = runCli(['run', '--name', name, '--memory', '64M', '--', 'sh', '-c', 'hostname; touch /etc/lxdeck-run-x 2>&1; echo ok > /tmp/y && cat /tmp/y; cat /proc/net/dev | tail -n +3 | cut -d: -f1; exit 3'], cliEnv);
    expect(r.status, r.stderr).toBe(3);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines[0]).toBe(name);
    expect(r.stdout).toMatch(/Read-only file system/);
    expect(existsSync('/etc/lxdeck-run-x')).toBe(false);
    expect(lines).toContain('ok');
    expect(lines.filter((l) => /^[a-z0-9]+$/.test(l) && l !== 'ok' && l !== name)).toEqual(['lo']);
    // nothing left: no container directory, no run files; lxc-ls has forgotten it
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
    expect(runFiles()).toEqual([]);
    expect(spawnSync('lxc-ls', ['-P', env.lxcpath], { encoding: 'utf8' }).stdout).not.toContain(name);
  });

  it('while it runs: its memory limit is in its own cgroup, lxc-ls and lxdeck ls show it as an application; SIGTERM to lxdeck stops it (exit 143) and removes its files', async () => {
    const name = `apl-${id}`;
    const child = spawn(process.execPath, [CLI, 'run', '--name', name, '--memory', '48M', '--', 'sleep', '300'], { env: { ...process.env, ...cliEnv }, stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      await until('RUNNING in lxc-ls', () => (/RUNNING/.test(spawnSync('lxc-ls', ['-P', env.lxcpath, '-f'], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.startsWith(name)) ?? '') ? true : undefined));
      const layout = detectCgroupLayout(new HostFs('/'));
      const base = controllerDriver('memory', layout) === 'v2' ? joinPath(layout.v2Mount!, `lxc.payload.${name}/memory.max`) : joinPath(layout.v1.memory!, `lxc.payload.${name}/memory.limit_in_bytes`);
      expect(readFileSync(base, 'utf8').trim()).toBe(String(48 * 1024 * 1024));
      const ls = runCli(['ls', '--json'], cliEnv);
      expect(ls.status, ls.stderr).toBe(0);
      const row = (JSON.parse(ls.stdout) as { name: string; kind?: string; state: string; command?: string[] }[]).find((c) => c.name === name);
      expect(row).toMatchObject({ kind: 'application', state: 'RUNNING', command: ['sleep', '300'] });
      const text = runCli(['ls'], cliEnv).stdout;
      expect(text).toMatch(new RegExp(`^APPLICATION\\s+STATE\\s+PID\\s+COMMAND\\n${name}\\s+RUNNING\\s+\\d+\\s+sleep 300$`, 'm'));
      // a second run of the same name is refused while it runs
      const dup = runCli(['run', '--name', name, '--', 'true'], cliEnv);
      expect(dup.status).toBe(1);
      expect(dup.stderr).toMatch(/already exists/);
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(runFiles()).toEqual([]);
      expect(spawnSync('lxc-info', ['-P', env.lxcpath, '-n', name, '-s'], { encoding: 'utf8' }).stdout).not.toMatch(/RUNNING/);
    } finally {
      child.kill('SIGKILL');
      spawnSync('lxc-stop', ['-P', env.lxcpath, '-n', name, '-k']);
    }
  });

  it('files a SIGKILL left behind are swept by the next run', () => {
    const stale = `stale-${id}`;
    mkdirSync(runDir(env.lxcpath), { recursive: true });
    writeFileSync(join(runDir(env.lxcpath), `${stale}.conf`), applicationConfig(stale, 'empty', []));
    writeFileSync(join(runDir(env.lxcpath), `${stale}.json`), JSON.stringify({ name: stale, command: ['x'], created: new Date().toISOString(), pid: 999999 }));
    expect(runCli(['run', '--', 'true'], cliEnv).status).toBe(0);
    expect(runFiles()).toEqual([]);
  });

  it('N1: bad names and a missing command are refused before anything is written (exit 2; a program not on this host exit 1)', () => {
    for (const bad of ['a/b', '../x', '-rf', '']) {
      const r = runCli(['run', '--name', bad, '--', 'true'], cliEnv);
      expect(r.status, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^lxdeck: .*\nhint: /);
    }
    expect(runCli(['run'], cliEnv).status).toBe(2);
    const missing = runCli(['run', '--', '/nonexistent-lxdeck-cmd'], cliEnv);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^lxdeck: no command \/nonexistent-lxdeck-cmd on this host.*\nhint: /);
    expect(runFiles()).toEqual([]);
    expect(readdirSync(env.lxcpath).filter((n) => !n.startsWith('.'))).toEqual([]);
  });
});
