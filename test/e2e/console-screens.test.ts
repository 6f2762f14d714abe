/**
 * The built console's screens in a real terminal (tmux, 80x24) against the
 * in-memory engine of fixtures/console-fake.mjs (no root, no LXC): the host
 * report opened at start when it has errors, and the terminal hand-off of
 * console/attach (the fake runs /bin/sh on the real terminal as lxc-console
 * would): cooked mode and the main screen while the child runs, a resize
 * meanwhile draws nothing over it, the list redrawn whole after.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TmuxTerm, delay, haveTmux, sh } from './tmux.js';

const root = resolve(import.meta.dirname, '../..');
const fixture = join(root, 'test/e2e/fixtures/console-fake.mjs');
const hasFlag = (stty: string, flag: string): boolean => new RegExp(`(^|\\s)${flag}(\\s|$)`).test(stty);

let term: TmuxTerm | undefined;
afterEach(() => {
  term?.close();
  term = undefined;
});

beforeAll(() => {
  expect(haveTmux(), 'tmux is needed for the terminal tests').toBe(true);
  expect(existsSync(join(root, 'dist/src/console/run-console.js')), 'dist/ is missing: run npm run build first').toBe(true);
});

function start(env: Record<string, string> = {}): TmuxTerm {
  const t = new TmuxTerm();
  term = t;
  t.start(`${sh(process.execPath)} ${sh(fixture)}`, env, 80, 24);
  return t;
}

describe('console screens in a real terminal', () => {
  it('opens on the host report when it has errors; Esc shows the list; K shows the report again', async () => {
    const t = start({ FAKE_REPORT: 'errors' });
    const s = await t.waitForScreen('the report', (x) => x.includes('Host check') && x.includes('[FAIL] User namespace'), 20_000);
    expect(s).toContain('fix: add the kernel parameter: user_namespace.enable=1');
    expect(s).toContain('this host has 1 problem that stops containers');
    await delay(150);
    t.keys('Escape');
    await t.waitForScreen('the list', (x) => x.includes('fake-01') && !x.includes('Host check'));
    await delay(150);
    t.keys('K');
    await t.waitForScreen('the report again', (x) => x.includes('Host check'));
    await delay(150);
    t.keys('q'); // back to the list, then quit
    await t.waitForScreen('the list', (x) => x.includes('fake-01') && !x.includes('Host check'));
    await delay(150);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('console: the escape sequence first, then the child has the terminal in cooked mode; a resize draws nothing over it; back in the list after', { timeout: 60_000 }, async () => {
    const t = start();
    await t.waitForScreen('the list', (x) => x.includes('fake-01') && x.includes('quit'), 20_000);
    await delay(150);
    t.keys('o');
    await t.waitForScreen('the escape sequence', (x) => x.includes('type Ctrl+a q'));
    await delay(150);
    t.keys('Enter');
    let s = await t.waitForScreen('the child', (x) => x.includes('fake-shell$') && x.includes('type Ctrl+a q to come back'));
    expect(t.format('#{alternate_on}')).toBe('0');
    const during = t.stty();
    expect(hasFlag(during, 'icanon'), `cooked mode for the child:\n${during}`).toBe(true);
    expect(hasFlag(during, 'echo')).toBe(true);
    // every key goes to the child (lxdeck reads none): "q" does not quit lxdeck
    t.literal('echo q-went-to-the-child');
    t.keys('Enter');
    await t.waitForScreen('the output', (x) => x.includes('\nq-went-to-the-child'));
    // a resize while the child runs: lxdeck draws nothing (no list over the shell)
    t.resize(70, 20);
    await delay(500);
    s = t.screen();
    expect(s).not.toContain('lxdeck /fake/lxcpath');
    expect(s).not.toContain('s start');
    t.resize(80, 24);
    t.literal('exit');
    t.keys('Enter');
    s = await t.waitForScreen('the list again', (x) => x.includes('back from the console of fake-01') && x.includes('quit'));
    expect(s).not.toContain('fake-shell$');
    expect(t.format('#{alternate_on}')).toBe('1');
    expect(hasFlag(t.stty(), '-icanon')).toBe(true);
    await delay(150);
    // keys work again
    t.keys('j');
    await t.waitForScreen('the selection moved', (x) => /^› 数据库-01/m.test(x));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(hasFlag(t.stty(), 'icanon')).toBe(true);
  });
});
