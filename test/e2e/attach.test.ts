/**
 * R4/P1 for attach and console: the built binary in a real terminal (tmux,
 * 80x24) hands the terminal to lxc-attach / lxc-console, a command typed
 * into the shell inside runs and its output appears, and after `exit` (or
 * Ctrl+a q) lxdeck returns the shell's exit status and leaves the terminal
 * sane (`stty -a` shows icanon and echo). Real LXC in a temporary lxcpath;
 * everything removed in afterAll even when a test fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import type { ActionEntry } from '../../core/actionlog/index.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const name = `ea${id}`;
const bridge = `lxea${id}`;
const env = tempLxcpath([bridge]);
const log = join(env.lxcpath, '.actions.log');
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge, LXDECK_LOG: log };

/** Flags of `stty -a` output as a set ("icanon", "-echo"...). */
function flags(stty: string): Set<string> {
  return new Set(stty.split(/[\s;]+/).filter((w) => /^-?[a-z0-9]+$/.test(w)));
}

function lastEntry(): ActionEntry {
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return JSON.parse(lines[lines.length - 1]) as ActionEntry;
}

describe.runIf(RUN_LXC)('attach and console in a real terminal', () => {
  requireLxc();
  const terms: TmuxTerm[] = [];
  beforeAll(() => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    const r = runCli(['create', name, '--start'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    for (const t of terms) t.close();
    env.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });

  /** Runs `lxdeck ARGS` in a fresh 80x24 terminal; its status and `stty -a` after it go to files. */
  function run(args: string): { t: TmuxTerm; code: string; stty: string } {
    const t = new TmuxTerm();
    terms.push(t);
    const code = join(t.dir, 'code');
    const stty = join(t.dir, 'stty');
    t.start(`${sh(process.execPath)} ${sh(CLI)} ${args}; echo $? > ${sh(code)}; stty -a > ${sh(stty)}`, cliEnv, 80, 24);
    return { t, code, stty };
  }

  it('R4/P1: attach runs a typed command in the shell inside, Ctrl+C reaches only the shell, exit returns its status and a sane terminal', { timeout: 120_000 }, async () => {
    const { t, code, stty } = run(`attach ${name}`);
    // busybox sh inside: a prompt ending in "# "
    await t.waitForScreen('the shell prompt inside', (s) => /#\s*$/m.test(s), 20_000);
    t.literal('echo marker-$((6*7)); cat /etc/hostname');
    t.keys('Enter');
    // both lines of output: the screen can be read between the echo and the cat
    const s1 = await t.waitForScreen('the command output', (s) => /^marker-42$/m.test(s) && new RegExp(`^${name}$`, 'm').test(s));
    expect(s1).toMatch(new RegExp(`^${name}$`, 'm'));
    // a terminal of its own inside (lxc-attach allocated a pty)
    t.literal('tty');
    t.keys('Enter');
    await t.waitForScreen('a pty inside', (s) => /^\/dev\/pts\/\d+$/m.test(s));
    // Ctrl+C interrupts the program inside, not lxdeck
    t.literal('sleep 30; echo not-interrupted');
    t.keys('Enter');
    await t.waitForScreen('sleep started', (s) => s.includes('sleep 30; echo not-interrupted'));
    t.keys('C-c');
    t.literal('echo after-$((1+1))');
    t.keys('Enter');
    const s2 = await t.waitForScreen('the shell alive after Ctrl+C', (s) => /^after-2$/m.test(s));
    expect(s2).not.toMatch(/^not-interrupted$/m);
    expect(existsSync(code)).toBe(false);
    t.literal('exit 7');
    t.keys('Enter');
    await t.waitFor('lxdeck to exit', () => existsSync(stty) && readFileSync(code, 'utf8').trim() !== '', 20_000);
    expect(readFileSync(code, 'utf8').trim()).toBe('7');
    const f = flags(readFileSync(stty, 'utf8'));
    for (const want of ['icanon', 'echo', 'isig', 'icrnl', 'opost']) expect(f.has(want), `stty shows ${want}`).toBe(true);
    expect(f.has('-icanon') || f.has('-echo')).toBe(false);
    // what was done is in the action log, with the shell lxdeck found inside
    expect(lastEntry()).toMatchObject({ action: 'attach', container: name, result: 'ok', exitStatus: 7, command: `lxc-attach -P ${env.lxcpath} -n ${name} --clear-env --keep-var TERM -- /bin/sh` });
  });

  it('R4: console says how to leave before handing over, and Ctrl+a q gives the terminal back sane', { timeout: 120_000 }, async () => {
    const { t, code, stty } = run(`console ${name}`);
    const s = await t.waitForScreen('the escape sequence', (x) => x.includes('Type Ctrl+a q to leave it'), 20_000);
    // lxdeck's line comes before lxc-console's own banner
    const ours = s.indexOf('Type Ctrl+a q to leave it');
    await t.waitForScreen("lxc-console's banner", (x) => /Connected to tty 0/.test(x));
    expect(t.screen().indexOf('Connected to tty 0')).toBeGreaterThan(ours);
    t.keys('C-a', 'q');
    await t.waitFor('lxdeck to exit', () => existsSync(stty) && readFileSync(code, 'utf8').trim() !== '', 20_000);
    expect(readFileSync(code, 'utf8').trim()).toBe('0');
    const f = flags(readFileSync(stty, 'utf8'));
    for (const want of ['icanon', 'echo', 'isig']) expect(f.has(want), `stty shows ${want}`).toBe(true);
    expect(lastEntry()).toMatchObject({ action: 'console', container: name, result: 'ok', command: `lxc-console -P ${env.lxcpath} -n ${name} -t 0` });
  });
});
