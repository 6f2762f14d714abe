import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

const id = uniq(3);
const bridge = `lxdc${id}`;
const env = tempLxcpath([bridge]);
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge, NO_COLOR: '1' };
const ESC = '\x1b';

describe('cli: usage and terminal handling (no containers needed)', () => {
  it('R1: no terminal → one plain line naming the verbs, exit 2, no escape codes', () => {
    const r = runCli([], cliEnv);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const verb of ['ls', 'info', 'create', 'start', 'stop', 'freeze', 'unfreeze', 'destroy']) expect(lines[0]).toContain(verb);
    expect(r.stderr).not.toContain(ESC);
  });

  it('bad usage exits 2 with a hint; --help and --version exit 0', () => {
    const bad = runCli(['frobnicate'], cliEnv);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command/);
    const missing = runCli(['start'], cliEnv);
    expect(missing.status).toBe(2);
    const help = runCli(['--help'], cliEnv);
    expect(help.status).toBe(0);
    for (const verb of ['ls', 'info', 'create', 'start', 'stop', 'freeze', 'unfreeze', 'destroy']) expect(help.stdout).toContain(verb);
    expect(help.stdout).not.toContain(ESC);
    const v = runCli(['--version'], cliEnv);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.runIf(process.getuid?.() === 0)('without root: a verb that changes something says system containers need root, exit 1 (ls only reads: see cli-trial.test.ts)', () => {
    const r = runCli(['start', 'web'], cliEnv, { user: 'nobody' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs root/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2); // message + hint
  });
});

describe.runIf(RUN_LXC)('cli: real containers', () => {
  requireLxc();
  afterAll(() => env.cleanup());

  it('N1: names that would become paths, options or bad hostnames are refused before anything is written', () => {
    for (const bad of ['a/b', '../x', '-rf', 'x\0y', '', 'a b', '.', '..', 'x'.repeat(64)]) {
      // argv cannot carry NUL: the engine test covers x\0y directly; here it arrives as "x"
      if (bad.includes('\0')) continue;
      const r = runCli(['create', '--', bad], cliEnv);
      expect(r.status, `name ${JSON.stringify(bad)}`).toBe(2);
      expect(r.stderr).toMatch(/letters|characters/);
    }
    expect(readdirSync(env.lxcpath)).toEqual([]);
  });

  it('a container made by plain lxc-create shows in ls --json with its state; lxc-ls -f agrees', () => {
    const plain = `plain-${id}`;
    execFileSync('lxc-create', ['-P', env.lxcpath, '-n', plain, '-t', 'busybox'], { stdio: 'ignore', timeout: 60_000 });
    const r = runCli(['ls', '--json'], cliEnv);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; state: string; pid: number | null; ipv4: string[] }[];
    expect(list).toEqual([{ name: plain, state: 'STOPPED', pid: null, ipv4: [], autostart: false, groups: [], protected: false }]);
  });

  it('create, start, ls, freeze, unfreeze, stop, destroy from the command line', () => {
    const n = `cli-${id}`;
    const c = runCli(['create', n], cliEnv);
    // the test's own bridge is made by this first create, which says so (and nothing else)
    expect(c.stderr).toMatch(new RegExp(`^lxdeck: warning: made the host bridge ${bridge} \\(.*\\n$`));
    expect(c.status).toBe(0);
    expect(c.stdout).toMatch(new RegExp(`created ${n} \\(10\\.`));
    expect(runCli(['start', n], cliEnv).status).toBe(0);
    const again = runCli(['start', n], cliEnv);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^lxdeck: .*RUNNING.*\nhint: /);

    const list = JSON.parse(runCli(['ls', '--json'], cliEnv).stdout) as { name: string; state: string; pid: number | null; ipv4: string[] }[];
    const row = list.find((x) => x.name === n)!;
    expect(row.state).toBe('RUNNING');
    expect(row.pid).toBeGreaterThan(1);
    expect(row.ipv4).toHaveLength(1);

    // lxc-ls -f agrees about every container
    const fancy = execFileSync('lxc-ls', ['-P', env.lxcpath, '-f', '-F', 'NAME,STATE,PID,IPV4'], { encoding: 'utf8' }).trim().split('\n').slice(1);
    for (const line of fancy) {
      const [fname, fstate, fpid, ...fip] = line.trim().split(/\s+/);
      const mine = list.find((x) => x.name === fname)!;
      expect(mine.state).toBe(fstate);
      expect(mine.pid === null ? '-' : String(mine.pid)).toBe(fpid);
      expect(mine.ipv4.length ? mine.ipv4.join(', ') : '-').toBe(fip.join(' '));
    }
    expect(fancy).toHaveLength(list.length);

    expect(runCli(['freeze', n], cliEnv).status).toBe(0);
    expect(JSON.parse(runCli(['info', n, '--json'], cliEnv).stdout).state).toBe('FROZEN');
    expect(runCli(['unfreeze', n], cliEnv).status).toBe(0);
    const refused = runCli(['destroy', n], cliEnv);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/--force/);
    expect(runCli(['stop', n, '--timeout', '20'], cliEnv).status).toBe(0);
    expect(runCli(['destroy', n], cliEnv).status).toBe(0);
    const gone = runCli(['info', n], cliEnv);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/no container/);
  });

  it('ls and ls --json give what lxc-ls -f gives: running with an address, frozen, stopped with autostart and a group', () => {
    const run = `lsr-${id}`;
    const frz = `lsf-${id}`;
    const stp = `lss-${id}`;
    for (const n of [run, frz, stp]) expect(runCli(['create', n], cliEnv).status).toBe(0);
    expect(runCli(['autostart', stp, 'on', '--group', 'onboot'], cliEnv).status).toBe(0);
    for (const n of [run, frz]) expect(runCli(['start', n], cliEnv).status).toBe(0);
    expect(runCli(['freeze', frz], cliEnv).status).toBe(0);
    try {
      const list = JSON.parse(runCli(['ls', '--json'], cliEnv).stdout) as { name: string; state: string; pid: number | null; ipv4: string[]; autostart: boolean; groups: string[] }[];
      const row = (n: string) => list.find((x) => x.name === n)!;
      expect(row(run)).toMatchObject({ state: 'RUNNING', autostart: false, groups: [] });
      expect(row(run).ipv4).toHaveLength(1);
      expect(row(frz)).toMatchObject({ state: 'FROZEN', autostart: false });
      expect(row(frz).pid).toBeGreaterThan(1);
      expect(row(stp)).toEqual({ name: stp, state: 'STOPPED', pid: null, ipv4: [], autostart: true, groups: ['onboot'], protected: false });
      // every column lxc-ls -f also shows, for each of the three (lxc-ls: YES/NO, "-" for none)
      const table = runCli(['ls'], cliEnv).stdout.split('\n');
      const fancy = execFileSync('lxc-ls', ['-P', env.lxcpath, '-f', '-F', 'NAME,STATE,AUTOSTART,GROUPS,PID,IPV4'], { encoding: 'utf8' }).trim().split('\n').slice(1);
      for (const n of [run, frz, stp]) {
        const [fname, fstate, fauto, fgroups, fpid, ...fip] = fancy.find((l) => l.startsWith(`${n} `))!.trim().split(/\s+/);
        const mine = row(n);
        expect([mine.name, mine.state, mine.autostart ? '1' : '0', mine.groups.join(',') || '-', mine.pid === null ? '-' : String(mine.pid), mine.ipv4.join(', ') || '-']).toEqual([
          fname,
          fstate,
          fauto,
          fgroups,
          fpid,
          fip.join(' '),
        ]);
        const cells = table.find((l) => l.startsWith(`${n} `))!.trim().split(/\s{2,}/);
        expect(cells[0]).toBe(n);
        expect(cells[1]).toBe(fstate);
        expect(cells).toContain(fpid);
        expect(cells[cells.length - 1]).toBe(fip.join(' '));
      }
    } finally {
      runCli(['unfreeze', frz], cliEnv);
      for (const n of [run, frz, stp]) runCli(['destroy', n, '--force'], cliEnv);
    }
  });

  it('destroy --force kills a running container first', () => {
    const n = `frc-${id}`;
    expect(runCli(['create', n], cliEnv).status).toBe(0);
    expect(runCli(['start', n], cliEnv).status).toBe(0);
    expect(runCli(['destroy', n, '--force'], cliEnv).status).toBe(0);
    expect(runCli(['ls', '--json'], cliEnv).stdout).not.toContain(n);
  });

  it('a container LXC cannot read is skipped with a warning (as lxc-ls does), and destroy --force removes it', () => {
    const dir = join(env.lxcpath, `broken-${id}`);
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
    writeFileSync(join(dir, 'config'), 'lxc.no.such.key = 1\n');
    const r = runCli(['ls', '--json'], cliEnv);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`warning: skipped broken-${id}`));
    expect((JSON.parse(r.stdout) as { name: string }[]).map((c) => c.name)).not.toContain(`broken-${id}`);
    const refused = runCli(['destroy', `broken-${id}`], cliEnv);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/hint: .*destroy --force/);
    expect(runCli(['destroy', '--force', `broken-${id}`], cliEnv).status).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('a container named by lxc-create outside the lxdeck name rule is still managed', () => {
    const odd = `Odd.${id}`;
    execFileSync('lxc-create', ['-P', env.lxcpath, '-n', odd, '-t', 'busybox'], { stdio: 'ignore', timeout: 60_000 });
    const i = runCli(['info', odd, '--json'], cliEnv);
    expect(i.status).toBe(0);
    expect(JSON.parse(i.stdout).state).toBe('STOPPED');
    expect(runCli(['destroy', odd], cliEnv).status).toBe(0);
    // but a new container still follows the rule
    expect(runCli(['create', odd], cliEnv).status).toBe(2);
  });

  it('stop --timeout 0 kills at once and returns only when STOPPED, so destroy can follow', () => {
    const n = `t0-${id}`;
    expect(runCli(['create', n, '--start'], cliEnv).status).toBe(0);
    const s = runCli(['stop', n, '--timeout', '0'], cliEnv);
    expect(s.status).toBe(0);
    expect(execFileSync('lxc-info', ['-P', env.lxcpath, '-n', n, '-sH'], { encoding: 'utf8' }).trim()).toBe('STOPPED');
    expect(runCli(['destroy', n], cliEnv).status).toBe(0);
    const huge = runCli(['stop', n, '--timeout', '1e9'], cliEnv);
    expect(huge.status).toBe(2);
    expect(huge.stderr).toMatch(/^lxdeck: --timeout takes whole seconds/);
  });

  it('an init that exits at once: start says so instead of waiting out the timeout', () => {
    const n = `dies-${id}`;
    expect(runCli(['create', n], cliEnv).status).toBe(0);
    appendFileSync(join(env.lxcpath, n, 'config'), 'lxc.init.cmd = /bin/false\n');
    const r = runCli(['start', n], cliEnv);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stopped right after it started|failed/);
    expect(r.stderr).toMatch(/hint: /);
    expect(runCli(['destroy', '--force', n], cliEnv).status).toBe(0);
  });

  it('a link that is not a bridge, and an address off the bridge subnet, are refused before anything is written', () => {
    const before = readdirSync(env.lxcpath).sort();
    const lo = runCli(['create', `lo-${id}`, '--bridge', 'lo'], cliEnv);
    expect(lo.status).toBe(1);
    expect(lo.stderr).toMatch(/lo is .*not a bridge/);
    const off = runCli(['create', `off-${id}`, '--ipv4', '192.0.2.77/24'], cliEnv);
    expect(off.status).toBe(1);
    expect(off.stderr).toMatch(/not on the subnet of the bridge/);
    expect(readdirSync(env.lxcpath).sort()).toEqual(before);
  });

  it('usage errors take the one-line form with a hint', () => {
    const r = runCli(['ls', '-rf'], cliEnv);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^lxdeck: unknown option '-rf'\nhint: /);
  });
});

