/**
 * The console in a real terminal (tmux at 80x24), driven as a user would:
 * keys, signals, resizes, locales. Runs the built console (dist/, made by
 * `npm run build`; scripts/test.sh builds before testing) against an
 * in-memory engine (fixtures/console-fake.mjs), so no root or LXC is needed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TmuxTerm, delay, haveTmux, sh } from './tmux.js';

const root = resolve(import.meta.dirname, '../..');
const fixture = join(root, 'test/e2e/fixtures/console-fake.mjs');
const cli = join(root, 'dist/src/cli.js');
const node = process.execPath;

// SGR that sets a colour (30-38, 40-48, 90-97, 100-107); 39/49 (default colour) are tmux's own resets
const COLOUR_SGR = /\u001b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;
const hasFlag = (stty: string, flag: string): boolean => new RegExp(`(^|\\s)${flag}(\\s|$)`).test(stty);

let term: TmuxTerm | undefined;
afterEach(() => {
  term?.close();
  term = undefined;
});

beforeAll(() => {
  expect(haveTmux(), 'tmux is needed for the terminal tests (scripts/install-deps.sh --test installs it)').toBe(true);
  expect(existsSync(join(root, 'dist/src/console/run-console.js')), 'dist/ is missing: run npm run build first').toBe(true);
});

/** Starts the fake console and waits for its first frame on the alternate screen, in raw mode. */
async function openConsole(env: Record<string, string> = {}, columns = 80, rows = 24): Promise<{ t: TmuxTerm; pid: number }> {
  const t = new TmuxTerm();
  term = t;
  const pidfile = join(t.dir, 'pid');
  t.start(`${sh(node)} ${sh(fixture)}`, { FAKE_PIDFILE: pidfile, ...env }, columns, rows);
  await t.waitForScreen('the console', (s) => s.includes('fake-01') && s.includes('quit'));
  const pid = Number(readFileSync(pidfile, 'utf8'));
  expect(t.format('#{alternate_on}')).toBe('1');
  const during = t.stty();
  expect(hasFlag(during, '-icanon'), `raw mode while running:\n${during}`).toBe(true);
  expect(hasFlag(during, '-echo')).toBe(true);
  return { t, pid };
}

/** The terminal is back as the shell wants it: cooked mode with echo, cursor shown, main screen. */
function expectRestored(t: TmuxTerm): void {
  const after = t.stty();
  expect(hasFlag(after, 'icanon'), `icanon after exit:\n${after}`).toBe(true);
  expect(hasFlag(after, 'echo'), `echo after exit:\n${after}`).toBe(true);
  expect(t.format('#{alternate_on}')).toBe('0');
  expect(t.format('#{cursor_flag}')).toBe('1');
}

describe('R4: the terminal is restored on every way out', () => {
  // Ctrl+C is a key in raw mode (no SIGINT is sent), yet it is an interrupt: 130 as a shell reports it
  const keyExits: [string, string, number][] = [
    ['q', 'q', 0],
    ['Ctrl+C', 'C-c', 130],
    ['Ctrl+D', 'C-d', 0],
  ];
  for (const [label, key, status] of keyExits) {
    it(`R4: ${label} exits ${status} and restores the terminal`, async () => {
      const { t } = await openConsole();
      t.keys(key);
      expect(await t.waitForExit()).toBe(status);
      expectRestored(t);
    });
  }

  it('R4: Ctrl+C on a screen above the list (info) exits 130 too; `echo $?` in the shell after says 130', async () => {
    const t = new TmuxTerm();
    term = t;
    // an interactive shell in the pane: the console runs in it, then the shell is asked for $?
    t.start(`sh -c ${sh(`${sh(node)} ${sh(fixture)}; echo "exit=$?"; exec sleep 600`)}`, {});
    await t.waitForScreen('the console', (s) => s.includes('fake-01') && s.includes('quit'));
    t.keys('i');
    await t.waitForScreen('the info screen', (s) => /Autostart/.test(s));
    t.keys('C-c');
    const s = await t.waitForScreen('the shell after', (x) => /^exit=\d+$/m.test(x));
    expect(s).toMatch(/^exit=130$/m);
    expectRestored(t);
  });

  const signals: [NodeJS.Signals, number][] = [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];
  for (const [sig, status] of signals) {
    it(`R4: kill -${sig.slice(3)} exits ${status} and restores the terminal`, async () => {
      const { t, pid } = await openConsole();
      process.kill(pid, sig);
      expect(await t.waitForExit()).toBe(status);
      expectRestored(t);
    });
  }

  it('R4: an uncaught error exits 1, restores the terminal and prints the error on the normal screen', async () => {
    const { t } = await openConsole({ FAKE_THROW_MS: '1500' });
    expect(await t.waitForExit()).toBe(1);
    expectRestored(t);
    expect(t.screen()).toContain('lxdeck: fake uncaught boom');
  });

  it('R4: an unhandled rejection exits 1 and restores the terminal', async () => {
    const { t } = await openConsole({ FAKE_REJECT_MS: '1500' });
    expect(await t.waitForExit()).toBe(1);
    expectRestored(t);
    expect(t.screen()).toContain('lxdeck: fake unhandled rejection');
  });
});

describe('the console in a real terminal', () => {
  it('R2: 80x24 shrunk to 60x20 and back redraws whole, no stale or duplicated lines', async () => {
    const { t } = await openConsole();
    const check = (s: string, columns: number, rows: number): void => {
      const lines = s.replace(/\n$/, '').split('\n');
      expect(lines.length).toBe(rows);
      for (const name of ['fake-01', '数据库-01', 'web-02', 'NAME']) {
        expect(lines.filter((l) => l.includes(name)), `${name} once in\n${s}`).toHaveLength(1);
      }
      expect(lines.filter((l) => l.includes('quit'))).toHaveLength(1);
      // the rule under the header spans the whole width, nothing left of a wider frame
      expect(lines[2]).toBe('─'.repeat(columns));
    };
    t.resize(60, 20);
    await t.waitForScreen('60 columns', (s) => s.split('\n')[2] === '─'.repeat(60));
    await delay(300);
    check(t.screen(), 60, 20);
    t.resize(80, 24);
    await t.waitForScreen('80 columns', (s) => s.split('\n')[2] === '─'.repeat(80));
    await delay(300);
    check(t.screen(), 80, 24);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('R3: wide names keep the columns aligned on a real terminal', async () => {
    const { t } = await openConsole();
    const lines = t.screen().split('\n');
    // tmux lays out cells; string indexes differ for 数据库 but the cell column must not
    const cellCol = (l: string, re: RegExp): number => {
      const i = l.search(re);
      let w = 0;
      for (const ch of l.slice(0, i)) w += /[\u4e00-\u9fff]/.test(ch) ? 2 : 1;
      return w;
    };
    const header = lines.find((l) => l.includes('NAME'))!;
    const rows = ['fake-01', '数据库-01', 'web-02'].map((n) => lines.find((l) => l.includes(n))!);
    for (const r of rows) expect(cellCol(r, /RUNNING|STOPPED/)).toBe(cellCol(header, /STATE/));
  });

  it('R5: LANG=C LC_ALL=C draws ASCII only; TERM=xterm-unknown does not abort', async () => {
    const { t } = await openConsole({ LANG: 'C', LC_ALL: 'C', TERM: 'xterm-unknown' });
    const s = t.screen();
    expect(s).toMatch(/^[\x20-\x7e\n]*$/);
    expect(s.split('\n')[2]).toBe('-'.repeat(80));
    expect(s).toContain('???-01'); // 数据库-01 in an ASCII locale
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('R1: NO_COLOR=1 and TERM=dumb draw no colour codes; by default there are some', async () => {
    const { t: coloured } = await openConsole();
    expect(coloured.screen(true)).toMatch(COLOUR_SGR);
    coloured.keys('q');
    await coloured.waitForExit();
    coloured.close();
    for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }]) {
      const { t } = await openConsole(env);
      expect(t.screen(true), JSON.stringify(env)).not.toMatch(COLOUR_SGR);
      t.keys('q');
      expect(await t.waitForExit()).toBe(0);
      t.close();
    }
  });

  it('keys act through the engine; several keys in one read act one by one', async () => {
    const { t } = await openConsole();
    // one send-keys: the console reads "jjs" at once; the s must start web-02, the row the j's moved to
    t.keys('j', 'j', 's');
    await t.waitForScreen('web-02 RUNNING', (s) => /web-02\s+RUNNING/.test(s));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });
});

describe('R1: no terminal, no console', () => {
  it('R1: stdout a pipe, stdin /dev/null: one plain line naming the verbs, exit 2', () => {
    expect(existsSync(cli), 'dist/src/cli.js is missing: run npm run build first').toBe(true);
    const env = { ...process.env, LANG: 'C.UTF-8' };
    delete env.CI;
    const r = spawnSync(node, [cli], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env });
    expect(r.status).toBe(2);
    const all = r.stdout + r.stderr;
    expect(all).not.toContain('\u001b');
    expect(all.trim().split('\n')).toHaveLength(1);
    expect(all).toContain('ls|info|create|start|stop|freeze|unfreeze|destroy');
  });

  it('R1: `lxdeck | cat` and `lxdeck < /dev/null` in a real terminal print the line and exit 2', async () => {
    for (const cmd of [`${sh(node)} ${sh(cli)} | cat; exit \${PIPESTATUS:-0}`, `${sh(node)} ${sh(cli)} < /dev/null`]) {
      const t = new TmuxTerm();
      term = t;
      // bash for PIPESTATUS; the status of the pipeline is cat's otherwise
      t.start(cmd.includes('|') ? `bash -c ${sh(`${sh(node)} ${sh(cli)} | cat; exit \${PIPESTATUS[0]}`)}` : cmd, {});
      const status = await t.waitForExit();
      expect(status, cmd).toBe(2);
      const s = t.screen();
      expect(s).toContain('lxdeck: the console needs a terminal');
      expect(t.format('#{alternate_on}')).toBe('0');
      t.close();
      term = undefined;
    }
  });
});
