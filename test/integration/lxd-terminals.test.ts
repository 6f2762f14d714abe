/**
 * Terminals over LXD (issue 10 leftovers), against a test daemon of its own with a local busybox
 * image (test/helpers/lxd-host.mjs): the instance's console (POST /1.0/instances/NAME/console) from
 * the CLI verb and the console's `o` key in a real terminal (tmux), left with Ctrl+a q; and the
 * shell pane's pty over LXD's exec websockets (LxdBackend.attachPty) read and written through
 * PtyChild, resized, ended, and `x` in the console. The instance runs busybox init with a shell on
 * its console (an inittab pushed with `lxc file push`), so typed commands answer there.
 * Needs root, lxd, lxc (LXD's client), dnsmasq, busybox-static, tmux.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LxdBackend } from '../../core/lxd/backend.js';
import { LXD_ACTION_SPECS } from '../../core/lxd/actions.js';
import { LxdTerminal } from '../../core/lxd/exec.js';
import { recordActions, type ActionEntry } from '../../core/actionlog/index.js';
import type { PtyChild } from '../../core/exec/pty.js';
import { isLxdeckError } from '../../core/errors.js';
import { CLI, runCli } from '../helpers/cli.js';
import { TmuxTerm, haveTmux, sh } from '../e2e/tmux.js';
import { uniq } from '../helpers/lxc-env.js';
import { RUN_LXD, importBusyboxImage, requireLxd, startTestLxd, type TestLxd } from '../helpers/lxd-env.js';

const id = uniq(3);
const alias = `bb-${id}`;
const c = `lq-${id}`;
let lxd: TestLxd | undefined;
let backend: LxdBackend;
const terms: TmuxTerm[] = [];
/** A terminal closed when the test ends, pass or fail (a console left attached refuses the next one: LXC has one console peer). */
function term(): TmuxTerm {
  const t = new TmuxTerm();
  terms.push(t);
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | Promise<T>, ms = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const cliEnv = () => ({ LXD_DIR: lxd!.lxdDir, LXDECK_BACKEND: 'lxd', LXDECK_LOG: `${lxd!.dir}/actions.log` });
/** Enter on the console until busybox sh's prompt answers (the shell init respawns there may still be starting). */
async function consolePrompt(t: TmuxTerm): Promise<void> {
  for (let i = 0; ; i++) {
    t.keys('Enter');
    try {
      await t.waitForScreen('the console shell prompt', (s) => /^\/ #\s*$/m.test(s), 3000);
      return;
    } catch (e) {
      if (i >= 5) throw e;
    }
  }
}

const logged = (): ActionEntry[] => readFileSync(`${lxd!.dir}/actions.log`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ActionEntry);
/** processes in the instance whose command line has `needle` (busybox ps inside) */
async function inside(needle: string): Promise<string[]> {
  const r = await backend.exec(c, ['ps', '-o', 'pid,args']);
  return r.stdout.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -o'));
}

describe.runIf(RUN_LXD)('terminals over LXD: the console and the shell pane (test daemon of its own)', () => {
  requireLxd();
  beforeAll(async () => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    lxd = await startTestLxd(`lxdq${id}`);
    backend = new LxdBackend({ socketPath: lxd.socket });
    await importBusyboxImage(lxd, alias);
    await backend.create(c, { image: alias });
    // the image's inittab plus a shell on the console (busybox init: an empty id is /dev/console)
    const inittab = `${lxd.dir}/inittab`;
    writeFileSync(inittab, ['::sysinit:/bin/mkdir -p /run /tmp', '::sysinit:/sbin/ip link set lo up', '::respawn:/bin/sh', '::ctrlaltdel:/sbin/reboot', ''].join('\n'));
    await lxd.lxc(['file', 'push', inittab, `${c}/etc/inittab`]);
    await backend.start(c);
  }, 240_000);
  afterEach(() => {
    for (const t of terms.splice(0)) t.close();
  });
  afterAll(async () => {
    await lxd?.cleanup();
  }, 180_000);

  it('lxdeck --backend lxd console NAME (tmux, 80x24): a command typed on the console answers, a resize passes, Ctrl+a a types Ctrl+a, Ctrl+a q leaves with 0 and a sane terminal, the action log has lxc console', async () => {
    const t = term();
    t.start(`${sh(process.execPath)} ${sh(CLI)} console ${c}`, cliEnv(), 80, 24);
    await t.waitForScreen('the banner', (s) => s.includes(`Connected to the console of ${c}. Type Ctrl+a q to leave it`), 30_000);
    await consolePrompt(t);
    t.literal('echo con-$((6*7)); tty');
    t.keys('Enter');
    await t.waitForScreen('the answer of the console shell', (s) => /^con-42$/m.test(s) && /^\/dev\/(console|pts\/\d+)$/m.test(s), 20_000);
    // a window change is passed on (window-resize on the control websocket) and the console goes on
    t.resize(100, 30);
    t.literal('echo resized-ok');
    t.keys('Enter');
    await t.waitForScreen('the console after a resize', (s) => /^resized-ok$/m.test(s), 20_000);
    // Ctrl+a a types one Ctrl+a: busybox sh's line editing moves to the start of the line, so
    // "echo " typed after it comes before what was typed first
    t.literal('moved-ok');
    t.keys('C-a');
    t.literal('a');
    t.literal('echo ');
    t.keys('Enter');
    await t.waitForScreen('the line edited by the Ctrl+a', (s) => /^moved-ok$/m.test(s), 20_000);
    // LXC has one console peer: a second console while this one is attached fails, with LXD's error
    const second = await LxdTerminal.open(backend.client, c, `/1.0/instances/${c}/console`, { type: 'console', width: 80, height: 24 }, 'console');
    const op = await second.done;
    second.dispose();
    expect(op.status_code, JSON.stringify(op)).toBeGreaterThanOrEqual(400);
    console.log(`a second console while one is attached: ${op.status} (${op.err})`);
    t.keys('C-a');
    t.literal('q');
    expect(await t.waitForExit(20_000)).toBe(0);
    expect(t.stty()).toMatch(/(^|\s)icanon(\s|$)/m);
    // the console shell inside is still there (leaving does not end it), and LXD has no console operation left
    expect(await inside('/bin/sh')).not.toEqual([]);
    const ops = await backend.client.get<{ running?: { description: string }[] } | null>('/1.0/operations?recursion=1');
    expect((ops?.running ?? []).filter((o) => /console/i.test(o.description))).toEqual([]);
    const e = logged().filter((x) => x.container === c && x.action === 'console');
    expect(e.map((x) => [x.command, x.result, x.exitStatus])).toEqual([[`env LXD_DIR=${lxd!.lxdDir} lxc console ${c}`, 'ok', 0]]);
  }, 120_000);

  it('the console again from lxdeck over LXD (tmux): o shows the escape, Enter hands the terminal over, a marker echoes, Ctrl+a q comes back to the list', async () => {
    const row = (screen: string) => screen.split('\n').find((l) => l.includes(` ${c} `));
    const t = term();
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv(), 80, 24);
    await t.waitForScreen(`${c} RUNNING`, (s) => /RUNNING/.test(row(s) ?? ''), 30_000);
    expect(t.screen()).toMatch(/o console/);
    t.keys('o');
    await t.waitForScreen('the escape before the hand-over', (s) => s.includes('Ctrl+a q'), 10_000);
    t.keys('Enter');
    await t.waitForScreen('the console', (s) => s.includes(`console of ${c}; type Ctrl+a q to come back`), 20_000);
    await consolePrompt(t);
    t.literal('echo tui-$((2+3))');
    t.keys('Enter');
    await t.waitForScreen('the marker', (s) => /^tui-5$/m.test(s), 20_000);
    t.keys('C-a');
    t.literal('q');
    await t.waitForScreen('the list again', (s) => s.includes(`back from the console of ${c}`) && row(s) !== undefined, 20_000);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(logged().filter((x) => x.container === c && x.action === 'console').map((x) => x.result)).toEqual(['ok', 'ok']);
  }, 120_000);

  it('a missing instance: the console verb fails with one clear error (1), no terminal is bad usage (2)', async () => {
    expect(runCli(['console', c], cliEnv())).toMatchObject({ status: 2, stderr: expect.stringMatching(/needs a terminal/) });
    const t = term();
    const code = `${lxd!.dir}/console-missing.code`;
    t.start(`${sh(process.execPath)} ${sh(CLI)} console nope-${id} 2>&1; echo $? > ${sh(code)}; sleep 30`, cliEnv(), 80, 24);
    await t.waitFor('the exit status', () => {
      try {
        return readFileSync(code, 'utf8').trim() || undefined;
      } catch {
        return undefined;
      }
    }, 20_000);
    expect(readFileSync(code, 'utf8').trim()).toBe('1');
    expect(t.screen()).toMatch(new RegExp(`lxdeck: no LXD instance named nope-${id}`));
    t.close();
  }, 60_000);

  it('attachPty over the exec websockets: a command written through PtyChild answers, stty size follows resize, exit N is the status; end() ends a shell with SIGHUP; both logged', async () => {
    const log: ActionEntry[] = [];
    const rec = recordActions(backend, (e) => log.push(e), { specs: LXD_ACTION_SPECS });
    let child: PtyChild | undefined;
    let out = '';
    const run = rec.attachPty(c, {
      cols: 80,
      rows: 24,
      onStart(ch) {
        child = ch;
        ch.onData((d) => (out += d));
      },
    });
    await until('the shell to start', () => child);
    expect(child!.pid).toBeNull();
    child!.write('echo pty-$((6*7)) ü€; stty size\r');
    await until('the output', () => /pty-42 ü€\r?\n/.test(out) && /^24 80\r?$/m.test(out));
    child!.resize(100, 30);
    await sleep(200);
    child!.write('stty size\r');
    await until('the new size', () => /^30 100\r?$/m.test(out));
    child!.write('exit 7\r');
    expect(await run).toEqual({ argv: expect.arrayContaining(['/bin/sh']), exitCode: 7 });

    // end(): the pane's Ctrl+a q, while the shell waits for input
    let second: PtyChild | undefined;
    let out2 = '';
    const run2 = rec.attachPty(c, {
      cols: 40,
      rows: 10,
      onStart(ch) {
        second = ch;
        ch.onData((d) => (out2 += d));
      },
    });
    await until('the second shell', () => second);
    second!.write('echo ready-$((1+1))\r');
    await until('the second shell answering', () => out2.includes('ready-2'));
    expect((await inside('sh -l')).length).toBe(1);
    const t0 = Date.now();
    const ended = await second!.end(5000);
    expect(Date.now() - t0).toBeLessThan(4000); // SIGHUP ended it; no SIGKILL needed
    expect(ended.exitCode).toBe(129);
    expect((await run2).exitCode).toBe(129);
    expect(await until('the shell gone inside', async () => (await inside('sh -l')).length === 0, 10_000)).toBe(true);

    expect(log.map((e) => [e.action, e.result, e.exitStatus, /lxc exec .* -- \/bin\/sh -c .* # in a pane of the console$/.test(e.command)])).toEqual([
      ['attach', 'ok', 7, true],
      ['attach', 'ok', 129, true],
    ]);
    await expect(backend.attachPty(`nope-${id}`, { cols: 80, rows: 24, onStart: () => undefined })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND'));
  }, 120_000);

  it('x in lxdeck over LXD (tmux): the shell pane under the list, a command answers in it, Ctrl+a q leaves', async () => {
    const row = (screen: string) => screen.split('\n').find((l) => l.includes(` ${c} `));
    const t = term();
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv(), 80, 24);
    await t.waitForScreen(`${c} RUNNING`, (s) => /RUNNING/.test(row(s) ?? ''), 30_000);
    t.keys('x');
    await t.waitForScreen('the pane', (s) => s.includes(`shell in ${c}`) && !s.includes('starting a shell'), 20_000);
    t.literal('echo pane-$((3*3))');
    t.keys('Enter');
    const s = await t.waitForScreen('the output in the pane', (x) => /^pane-9\s*$/m.test(x), 20_000);
    expect(row(s)).toMatch(/RUNNING/); // the list stays above the pane
    t.keys('C-a');
    t.keys('q');
    await t.waitForScreen('the list without the pane', (x) => x.includes(`left the shell in ${c}`) && !x.includes(`── shell in ${c}`), 20_000);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(await until('the pane shell gone inside', async () => (await inside('sh -l')).length === 0, 10_000)).toBe(true);
  }, 120_000);
});
