/**
 * The bin's small `ls` build (src/ls-fast.ts) against the full program (the ES module entry,
 * dist/src/cli.js, which never takes it): byte-identical stdout and stderr and the same exit
 * status for each listing, on real containers in a temporary lxcpath. Which build ran is read from
 * the code caches a run writes into an empty LXDECK_CODE_CACHE_DIR (src/script-cache.ts): the small
 * build's (ls-fast-*) when it printed the listing, the local program's (cli-local-*) when it handed
 * the listing over.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

const id = uniq(3);
const bridge = `lxdf${id}`;
const env = tempLxcpath([bridge]);
const cliEnv = { LXDECK_BRIDGE: bridge, NO_COLOR: '1' };
const FULL = join(dirname(CLI), 'cli.js');
const caches: string[] = [];

/** Which builds wrote a code cache in a run: 'ls' (the small build printed it), 'local' (the local program ran). */
type Ran = { ls: boolean; local: boolean };

/** Runs the bin (dist/src/cli.cjs) with an empty code cache directory; says which builds ran. */
function viaBin(args: string[], extra: Record<string, string> = {}): CliResult & { ran: Ran } {
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-lsfast-cc-'));
  caches.push(dir);
  const r = runCli(args, { ...cliEnv, ...extra, LXDECK_CODE_CACHE_DIR: dir });
  const files = readdirSync(dir);
  return { ...r, ran: { ls: files.some((f) => f.startsWith('ls-fast-')), local: files.some((f) => f.startsWith('cli-local-')) } };
}

/** Runs the full program: `node dist/src/cli.js ARGS` (the ES module entry, which has no small ls build). */
function viaFull(args: string[], extra: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [FULL, ...args], { encoding: 'utf8', env: { ...process.env, ...cliEnv, ...extra }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Both ways, with the same argv and environment: the same bytes and status; returns the bin's run. */
function same(args: string[], extra: Record<string, string> = {}): CliResult & { ran: Ran } {
  const fast = viaBin(args, extra);
  const full = viaFull(args, extra);
  expect({ status: fast.status, stdout: fast.stdout, stderr: fast.stderr }, `lxdeck ${args.join(' ')}`).toEqual(full);
  return fast;
}

const SMALL: Ran = { ls: true, local: false };
const HANDED_OVER: Ran = { ls: false, local: true };

afterAll(() => {
  for (const d of caches) rmSync(d, { recursive: true, force: true });
});

describe.runIf(RUN_LXC)('ls: the small build and the full program print the same', () => {
  requireLxc();
  afterAll(() => env.cleanup());

  it('a missing lxcpath (table and --json, --lxcpath P and --lxcpath=P): the same warning and hint, exit 0, from the small build', () => {
    const missing = join(env.lxcpath, 'not-here');
    const t = same(['ls', '--lxcpath', missing]);
    expect(t.ran).toEqual(SMALL);
    expect(t.status).toBe(0);
    expect(t.stdout).toBe(`no containers: ${missing} does not exist\n`);
    expect(t.stderr).toMatch(/^hint: lxdeck --lxcpath \S+ create NAME makes it/);
    const j = same([`--lxcpath=${missing}`, 'ls', '--json']);
    expect(j.ran).toEqual(SMALL);
    expect(j.stdout).toBe('[]\n');
    expect(j.stderr).toMatch(/^lxdeck: warning: the lxcpath .* does not exist/);
  });

  it('an empty lxcpath, named by LXDECK_LXCPATH: "no containers in", and [] for --json', () => {
    const empty = mkdtempSync(join(tmpdir(), 'lxdeck-lsfast-empty-'));
    try {
      const t = same(['ls'], { LXDECK_LXCPATH: empty });
      expect(t.ran).toEqual(SMALL);
      expect(t.stdout).toBe(`no containers in ${empty}\n`);
      expect(t.stderr).toBe('');
      expect(same(['ls', '--json'], { LXDECK_LXCPATH: empty }).ran).toEqual(SMALL);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('an lxcpath that is a file: the full program\'s usage error (exit 2), the small build hands it over', () => {
    const file = join(env.lxcpath, '.a-file');
    writeFileSync(file, '');
    try {
      const r = same(['ls', '--lxcpath', file]);
      expect(r.ran).toEqual(HANDED_OVER);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/not a directory/);
    } finally {
      rmSync(file);
    }
  });

  it('running with an address, frozen, stopped with autostart and a group: the same table and JSON, from the small build', () => {
    const run = `fr-${id}`;
    const frz = `ff-${id}`;
    const stp = `fs-${id}`;
    const P = ['--lxcpath', env.lxcpath];
    for (const n of [run, frz, stp]) expect(runCli([...P, 'create', n], cliEnv).status).toBe(0);
    expect(runCli([...P, 'autostart', stp, 'on', '--group', 'onboot'], cliEnv).status).toBe(0);
    for (const n of [run, frz]) expect(runCli([...P, 'start', n], cliEnv).status).toBe(0);
    expect(runCli([...P, 'freeze', frz], cliEnv).status).toBe(0);

    const t = same(['ls', ...P]);
    expect(t.ran).toEqual(SMALL);
    expect(t.status).toBe(0);
    expect(t.stderr).toBe('');
    const row = (n: string) => t.stdout.split('\n').find((l) => l.startsWith(`${n} `))!.split(/\s{2,}/);
    expect(row(run)[1]).toBe('RUNNING');
    expect(row(run)[6]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(row(frz)[1]).toBe('FROZEN');
    expect(row(stp)).toEqual([stp, 'STOPPED', 'yes', 'onboot', '-', '-', '-']);

    const j = same([...P, 'ls', '--json']);
    expect(j.ran).toEqual(SMALL);
    const list = JSON.parse(j.stdout) as { name: string; state: string; ipv4: string[] }[];
    expect(list.map((c) => [c.name, c.state])).toEqual([
      [frz, 'FROZEN'],
      [run, 'RUNNING'],
      [stp, 'STOPPED'],
    ]);
    expect(list[1].ipv4).toHaveLength(1);
    expect(runCli([...P, 'unfreeze', frz], cliEnv).status).toBe(0);
  });

  it('containers that need lxc-info (two addresses in one namespace; a config key LXC refuses): handed to the full program before anything is printed, the same output', () => {
    const run = `fr-${id}`;
    const P = ['--lxcpath', env.lxcpath];
    const pid = (JSON.parse(runCli([...P, 'ls', '--json'], cliEnv).stdout) as { name: string; pid: number | null }[]).find((c) => c.name === run)!.pid!;
    expect(pid).toBeGreaterThan(1);
    // a second address: /proc/PID/net/fib_trie then lists two, in address order, not getifaddrs' (core/lxc/list-state.ts)
    execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', 'addr', 'add', '198.51.100.7/24', 'dev', 'eth0'], { stdio: 'ignore' });
    const t = same(['ls', ...P]);
    expect(t.ran).toEqual(HANDED_OVER);
    expect(t.stdout.split('\n').find((l) => l.startsWith(`${run} `))).toMatch(/198\.51\.100\.7/);
    expect(same(['ls', '--json', ...P]).ran).toEqual(HANDED_OVER);
    execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', 'addr', 'del', '198.51.100.7/24', 'dev', 'eth0'], { stdio: 'ignore' });
    expect(same(['ls', ...P]).ran).toEqual(SMALL);

    // a config with a key liblxc does not know: lxc-info fails on it, and ls leaves it out with a warning, as lxc-ls does
    const odd = `fo-${id}`;
    mkdirSync(join(env.lxcpath, odd));
    writeFileSync(join(env.lxcpath, odd, 'config'), `lxc.uts.name = ${odd}\nlxc.no.such.key = 1\n`);
    try {
      const o = same(['ls', ...P]);
      expect(o.ran).toEqual(HANDED_OVER);
      expect(o.stderr).toMatch(new RegExp(`warning: skipped ${odd}`));
      expect(o.stdout).not.toContain(odd);
    } finally {
      rmSync(join(env.lxcpath, odd), { recursive: true, force: true });
    }
  });

  it('a reader that went away (the read end of stdout closed before the listing is written): exit 0, nothing on stderr, both ways', async () => {
    const P = ['--lxcpath', env.lxcpath];
    const gone = (file: string, cacheDir?: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [file, 'ls', ...P], { env: { ...process.env, ...cliEnv, ...(cacheDir ? { LXDECK_CODE_CACHE_DIR: cacheDir } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
        c.stdout.destroy(); // the only read end: the child's write(2) gets EPIPE
        let stderr = '';
        c.stderr.on('data', (d: Buffer) => (stderr += String(d)));
        c.on('close', (code) => resolve({ code, stderr }));
      });
    const dir = mkdtempSync(join(tmpdir(), 'lxdeck-lsfast-cc-'));
    caches.push(dir);
    expect(await gone(CLI, dir)).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(dir).some((f) => f.startsWith('ls-fast-'))).toBe(true);
    expect(readdirSync(dir).some((f) => f.startsWith('cli-local-'))).toBe(false);
    expect(await gone(FULL)).toEqual({ code: 0, stderr: '' });
  });

  it('an argv or environment the small build does not take (an ls option it leaves out, an invalid LXDECK_BRIDGE) goes to the full program; LXDECK_BACKEND=local does not', () => {
    expect(viaBin(['ls', '--lxcpath', env.lxcpath, '--timeout', '5']).ran).toEqual(HANDED_OVER);
    expect(viaBin(['ls', '--json', '--lxcpath', env.lxcpath], { LXDECK_BACKEND: 'local' }).ran).toEqual(SMALL);
    const bad = same(['ls', '--lxcpath', env.lxcpath], { LXDECK_BRIDGE: 'no spaces allowed' });
    expect(bad.status).not.toBe(0);
    expect(bad.ran).toEqual(HANDED_OVER);
  });
});
