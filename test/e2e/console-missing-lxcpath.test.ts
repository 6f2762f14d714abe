/**
 * The built binary's console in a real terminal (tmux, 80x24) on a mistyped lxcpath: the title
 * and the list say the lxcpath does not exist (not "no containers"); an lxcpath that exists and
 * is empty still reads "no containers in ...". Nothing is made at the missing path. Needs root and
 * LXC: under CI=true a host without them FAILS this test (requireLxc).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const env = tempLxcpath();

describe.runIf(RUN_LXC)('console on a missing lxcpath', () => {
  requireLxc();
  const terms: TmuxTerm[] = [];
  afterAll(() => {
    for (const t of terms) t.close();
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
  });

  it('says the lxcpath does not exist in the title and the list, and quits with q (0)', { timeout: 60_000 }, async () => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    const missing = join(env.lxcpath, 'typo');
    const t = new TmuxTerm();
    terms.push(t);
    t.start(`${sh(process.execPath)} ${sh(CLI)} --lxcpath ${sh(missing)}`, {}, 80, 24);
    const screen = await t.waitForScreen('the empty list', (s) => s.includes('c creates it') || s.includes('no containers'), 20_000);
    const lines = screen.split('\n');
    expect(lines[0]).toContain(`lxdeck ${missing} (does not exist)`);
    expect(screen).toContain(`${missing} does not exist: mistyped --lxcpath? c creates it`);
    expect(screen).not.toContain('no containers in');
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(existsSync(missing)).toBe(false);

    const empty = join(env.lxcpath, 'empty');
    mkdirSync(empty);
    const t2 = new TmuxTerm();
    terms.push(t2);
    t2.start(`${sh(process.execPath)} ${sh(CLI)} --lxcpath ${sh(empty)}`, {}, 80, 24);
    const s2 = await t2.waitForScreen('the empty list', (s) => s.includes('no containers in') || s.includes('does not exist'), 20_000);
    expect(s2).toContain(`no containers in ${empty}; press c to create one`);
    expect(s2).not.toContain('does not exist');
    t2.keys('q');
    expect(await t2.waitForExit()).toBe(0);
  });
});
