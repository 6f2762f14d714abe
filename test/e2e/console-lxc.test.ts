/**
 * The built binary's console in a real terminal (tmux, 80x24) against real
 * LXC: a temporary lxcpath, a unique bridge, a busybox container made with
 * `lxdeck create` beforehand. Driven by keys as a user would; everything made
 * is removed in afterAll even when a test fails. Needs root and LXC: under
 * CI=true a host without them FAILS this test (requireLxc), it is not skipped.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const name = `con${id}`;
const bridge = `lxdk${id}`; // 10 bytes, within IFNAMSIZ
const env = tempLxcpath([bridge]);
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge };

/** The table row of the container on screen, or undefined. */
function row(screen: string): string | undefined {
  return screen.split('\n').find((l) => l.includes(` ${name} `));
}

function lxcState(): string {
  try {
    return execFileSync('lxc-info', ['-P', env.lxcpath, '-n', name, '-s', '-H'], { encoding: 'utf8' }).trim();
  } catch {
    return 'GONE';
  }
}

describe.runIf(RUN_LXC)('console against real LXC', () => {
  requireLxc();
  let term: TmuxTerm | undefined;

  beforeAll(() => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    const made = runCli(['create', name], cliEnv);
    expect(made.status, made.stderr).toBe(0);
  });

  afterAll(() => {
    term?.close();
    env.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });

  it('lists the container, starts it with s, freezes and thaws it with f, deletes it after the typed name, quits with q', { timeout: 240_000 }, async () => {
    const t = new TmuxTerm();
    term = t;
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv, 80, 24);

    let screen = await t.waitForScreen(`${name} in the list`, (s) => row(s) !== undefined, 20_000);
    expect(row(screen)).toMatch(new RegExp(`${name}\\s+STOPPED`));
    expect(screen).toContain(env.lxcpath);

    t.keys('s');
    // the list has CPU% and MEM columns between the state and the address, AUTO and PROT after the PID
    screen = await t.waitForScreen(`${name} RUNNING`, (s) => /RUNNING\s.*\d+\.\d+\.\d+\.\d+\s+\d+\s/.test(row(s) ?? ''), 30_000);
    expect(row(screen)).toMatch(new RegExp(`${name}\\s+RUNNING\\s.*\\d+\\.\\d+\\.\\d+\\.\\d+\\s+\\d+`));
    expect(lxcState()).toBe('RUNNING');

    t.keys('f');
    // the row follows the kernel's freezer live (the stats passes), so it can show FROZEN before
    // lxc-freeze returns and lxc-info stops saying FREEZING: wait for the action to finish too
    await t.waitForScreen(`${name} FROZEN`, (s) => /FROZEN/.test(row(s) ?? '') && s.includes(`froze ${name}`), 30_000);
    expect(lxcState()).toBe('FROZEN');
    t.keys('f');
    await t.waitForScreen(`${name} thawed`, (s) => /RUNNING/.test(row(s) ?? '') && s.includes(`thawed ${name}`), 30_000);

    // delete: a wrong name deletes nothing; the exact name deletes (a running one is killed first)
    t.keys('d');
    await t.waitForScreen('the confirmation', (s) => s.includes(`Type the name "${name}"`));
    t.literal('nope');
    t.keys('Enter');
    await t.waitForScreen('the refusal', (s) => s.includes('nothing was deleted'));
    expect(lxcState()).toBe('RUNNING');
    for (let i = 0; i < 4; i++) t.keys('BSpace');
    t.literal(name);
    t.keys('Enter');
    await t.waitForScreen(`${name} gone`, (s) => row(s) === undefined && s.includes(`deleted ${name}`), 60_000);
    expect(lxcState()).toBe('GONE');

    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    const stty = t.stty();
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/);
    expect(t.format('#{alternate_on}')).toBe('0');
  });
});
