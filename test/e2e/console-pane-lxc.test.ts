/**
 * The shell pane (issue 11) in a real terminal (tmux) against real LXC: the
 * built binary's console, a running busybox container in a temporary
 * lxcpath on a bridge of its own. `x` opens the container's shell in a pane
 * under the list; a typed command's output shows inside the pane while the
 * list (with the container RUNNING) is still on screen; a resized window
 * resizes the pane and the shell's pty (`stty size` inside); Ctrl+a q leaves
 * and returns the keys to the list, with the container still running and no
 * lxc-attach or shell of the pane left behind. Everything made is removed
 * in afterAll even when a test fails. Under CI=true a host without root,
 * LXC or tmux FAILS this test.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import type { ActionEntry } from '../../core/actionlog/index.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const name = `pn${id}`;
const bridge = `lxpn${id}`;
const env = tempLxcpath([bridge]);
const log = join(env.lxcpath, '.actions.log');
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge, LXDECK_LOG: log };

function lxcState(): string {
  try {
    return execFileSync('lxc-info', ['-P', env.lxcpath, '-n', name, '-s', '-H'], { encoding: 'utf8' }).trim();
  } catch {
    return 'GONE';
  }
}

/** Host PIDs of every process in the container's cgroups (v1 or v2), read from /proc. */
function containerPids(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cgroup`, 'utf8').includes(`/lxc.payload.${name}`)) out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Host PIDs of lxc-attach processes for this container. */
function attachPids(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('lxc-attach') && argv.includes(env.lxcpath) && argv.includes(name)) out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The pane's title rule: `── shell in NAME ──...── COLSxROWS ──`; its line index and size. */
function paneRule(screen: string): { at: number; cols: number; rows: number } | undefined {
  const lines = screen.split('\n');
  const at = lines.findIndex((l) => l.includes(`shell in ${name}`) && !l.includes('starting'));
  if (at < 0) return undefined;
  const m = /(\d+)x(\d+)/.exec(lines[at].slice(lines[at].indexOf(`shell in ${name}`) + 9 + name.length));
  return m ? { at, cols: Number(m[1]), rows: Number(m[2]) } : undefined;
}

/** The container's row in the list (above the pane). */
function listRow(screen: string): string | undefined {
  const lines = screen.split('\n');
  const rule = paneRule(screen)?.at ?? lines.length;
  return lines.slice(0, rule).find((l) => new RegExp(`\\s${name}\\s`).test(l));
}

/** Lines inside the pane (below its rule), or [] when no pane is open. */
function paneLines(screen: string): string[] {
  const r = paneRule(screen);
  return r ? screen.split('\n').slice(r.at + 1, r.at + 1 + r.rows) : [];
}

describe.runIf(RUN_LXC)('the shell pane in a real terminal', () => {
  requireLxc();
  let term: TmuxTerm | undefined;
  beforeAll(() => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    const r = runCli(['create', name, '--start'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    term?.close();
    env.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });

  it('x opens the shell under the live list, a typed command runs there, the pane follows a resize, Ctrl+a q leaves with the container running', { timeout: 180_000 }, async () => {
    const t = new TmuxTerm();
    term = t;
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv, 80, 24);
    await t.waitForScreen(`${name} RUNNING in the list`, (s) => /RUNNING/.test(listRow(s) ?? ''), 30_000);
    const before = containerPids();
    expect(before.length).toBeGreaterThan(0);

    t.keys('x');
    // busybox sh inside: a prompt ending in "# " on the pane's last non-blank line
    let screen = await t.waitForScreen('the shell prompt in the pane', (s) => paneLines(s).some((l) => /# $/.test(l) || /#$/.test(l.trimEnd())), 30_000);
    let rule = paneRule(screen)!;
    expect(rule.cols).toBe(80);
    expect(attachPids().length).toBe(1);

    t.literal('echo pane-$((6*7))-ok; cat /etc/hostname');
    t.keys('Enter');
    screen = await t.waitForScreen('the command output in the pane', (s) => paneLines(s).some((l) => l.trim() === 'pane-42-ok'), 15_000);
    const inside = paneLines(screen);
    const at = inside.findIndex((l) => l.trim() === 'pane-42-ok');
    expect(inside[at + 1].trim()).toBe(name);
    // the list is still on screen above the pane and live: the container RUNNING, its CPU % and
    // memory from the stats passes (the first pass has no CPU figure yet: it needs two)
    screen = await t.waitForScreen('live stats in the list above the pane', (s) => new RegExp(`${name}\\s+RUNNING\\s+\\d+\\.\\d+\\s+\\d+(\\.\\d+)?[KMG]`).test(listRow(s) ?? ''), 15_000);
    expect(paneLines(screen).some((l) => l.trim() === 'pane-42-ok')).toBe(true);
    expect(screen).toContain('Ctrl+a q');
    process.stdout.write(`the pane at 80x24:\n${screen}\n`);

    // a bigger window: the pane and the shell's pty follow it
    t.resize(100, 30);
    screen = await t.waitForScreen('the pane at 100 columns', (s) => paneRule(s)?.cols === 100, 15_000);
    rule = paneRule(screen)!;
    expect(rule.rows).toBeGreaterThan(11);
    t.literal('clear; stty size');
    t.keys('Enter');
    screen = await t.waitForScreen('stty size inside the pane', (s) => paneLines(s).some((l) => /^\d+ \d+\s*$/.test(l)), 15_000);
    const size = paneLines(screen).find((l) => /^\d+ \d+\s*$/.test(l))!.trim();
    expect(size).toBe(`${rule.rows} ${rule.cols}`);
    expect(listRow(screen)).toMatch(/RUNNING/);

    // Ctrl+a q leaves: the pane closes, the list has the keys again, the container runs on
    t.keys('C-a');
    t.keys('q');
    screen = await t.waitForScreen('the list without the pane', (s) => paneRule(s) === undefined && s.includes(`left the shell in ${name}`), 15_000);
    expect(lxcState()).toBe('RUNNING');
    await t.waitFor('lxc-attach gone', () => attachPids().length === 0, 10_000);
    // the pane's shell inside has gone too: the container has the processes it had before
    await t.waitFor('the shell inside gone', () => containerPids().length === before.length, 10_000);
    const entries = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ActionEntry);
    const last = entries.at(-1)!;
    expect(last.action).toBe('attach');
    expect(last.command).toContain('lxc-attach');
    expect(last.command).toContain('in a pane');

    // keys are the list's again: q quits with status 0
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(lxcState()).toBe('RUNNING');
  });
});
