/**
 * The resource verbs of the real binary against a real busybox container
 * (root, LXC): `stats --json` as JSON lines, `limits` read and set, `cgroup`
 * with the key checked against the layout, `top` without a terminal.
 * Uses the built CLI (dist/src/cli.js, or LXDECK_CLI).
 * Under CI=true it fails (never skips) when root or LXC is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../core/exec/runner.js';
import { HostFs } from '../../core/host/host-fs.js';
import { controllerDriver, detectCgroupLayout } from '../../core/cgroup/layout.js';
import { CLI } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

const BIN = process.env.LXDECK_CLI ?? CLI;

describe.runIf(RUN_LXC)('integration: lxdeck limits / stats / cgroup / top', () => {
  requireLxc();
  const runner = new ExecaRunner();
  const env = tempLxcpath();
  const name = `scl-${uniq(3)}`;
  const memV2 = controllerDriver('memory', detectCgroupLayout(new HostFs('/'))) === 'v2';
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, '--lxcpath', env.lxcpath, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const lxc = async (tool: string, args: string[], output: 'pipe' | 'file' = 'pipe') => {
    const r = await runner.run(tool, ['-P', env.lxcpath, '-n', name, ...args], { output, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  };

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    await lxc('lxc-create', ['-t', 'busybox']);
    const cfgPath = join(env.lxcpath, name, 'config');
    writeFileSync(
      cfgPath,
      readFileSync(cfgPath, 'utf8')
        .split('\n')
        .filter((l) => !/^\s*lxc\.net\.0\./.test(l))
        .concat(['lxc.net.0.type = empty', ''])
        .join('\n'),
    );
    await lxc('lxc-start', ['-d'], 'file');
    await lxc('lxc-wait', ['-s', 'RUNNING', '-t', '20']);
  });
  afterAll(() => env.cleanup());

  it('stats --json --count 2 prints one JSON line per container per pass; rates from the second pass', () => {
    const r = cli('stats', name, '--json', '--count', '2', '--interval', '0.2');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).toMatchObject({ name, state: 'RUNNING' });
      // JSON times are ISO 8601 strings, as log --json and snapshots --json write them
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(l.time) - Date.now())).toBeLessThan(60_000);
      expect(l.memory.limit).toBe('max'); // U2
    }
    expect(lines[0].cpu.percent).toBeNull();
    expect(typeof lines[1].cpu.percent).toBe('number');
  });

  it('stats (text) of an lxcpath with no containers says so once and ends, instead of a header per pass forever', () => {
    const empty = mkdtempSync(join(tmpdir(), 'lxdeck-stats-empty-'));
    try {
      const r = spawnSync(process.execPath, [BIN, '--lxcpath', empty, 'stats', '--interval', '0.2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`no containers in ${empty}\n`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('stats of an unknown container fails before streaming', () => {
    const r = cli('stats', 'nosuch', '--count', '1');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no container named nosuch/);
    // with --json the error is one JSON line on stdout, as the passes are
    const j = cli('stats', 'nosuch', '--json', '--count', '1');
    expect(j.status).toBe(1);
    expect(j.stderr).toBe('');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND', message: expect.stringMatching(/no container named nosuch/) } });
  });

  it('limits sets live and saved, then reads back; a bad size lists the grammar', () => {
    const set = cli('limits', name, '--memory', '64M', '--pids', '40');
    expect(set.status).toBe(0);
    expect(set.stdout).toMatch(/^set \/sys\/fs\/cgroup\/.*pids\.max = 40$/m);
    expect(set.stdout).toMatch(new RegExp(`^saved lxc\\.cgroup2?\\.memory\\.(max|limit_in_bytes) = ${64 * 1024 ** 2}$`, 'm'));
    const get = cli('limits', name, '--json');
    expect(get.status).toBe(0);
    expect(JSON.parse(get.stdout).applied).toMatchObject({ memory: 64 * 1024 ** 2, pids: 40 });
    const bad = cli('limits', name, '--memory', '12x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/invalid size "12x"/);
    expect(bad.stderr).toMatch(/hint: accepted: .*KiB\.\.PiB.*-1 or max/);
    expect(cli('limits', '--help').stdout).toMatch(/powers of 1024/);
  });

  it("cgroup reads and writes one file; the other cgroup version's name is refused with this host's name", () => {
    expect(cli('cgroup', name, 'pids.max').stdout.trim()).toBe('40');
    expect(cli('cgroup', name, 'pids.max', '41').status).toBe(0);
    expect(cli('cgroup', name, 'pids.max').stdout.trim()).toBe('41');
    const wrong = cli('cgroup', name, memV2 ? 'memory.limit_in_bytes' : 'memory.max');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain(`hint: use ${memV2 ? 'memory.max' : 'memory.limit_in_bytes'}`);
  });

  it('top without a terminal prints plain tables, no escape codes', () => {
    const r = cli('top', '--count', '2', '--interval', '0.2', '--sort', 'mem');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b/);
    expect(r.stdout.match(/^NAME +STATE +CPU%/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(new RegExp(`^${name} +RUNNING`, 'm'));
  });
});
