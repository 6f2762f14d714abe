/**
 * The built binary's console in a real terminal (tmux, 80x24) against real LXC: what the list
 * reads from configs (AUTO, PROT) follows changes made from another session on the list's own
 * poll (a stat per file each pass, a re-read of the changed ones), without `r` and long before the
 * full list's 300 s; `d` checks protection on disk before it asks for the name. Two busybox
 * containers without network in a temporary lxcpath, removed after. Needs root and LXC: under
 * CI=true a host without them FAILS this test (requireLxc).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const a = `cpa${id}`;
const b = `cpb${id}`;
const env = tempLxcpath();
const cliEnv = { LXDECK_LXCPATH: env.lxcpath };

function row(screen: string, n: string): string | undefined {
  return screen.split('\n').find((l) => new RegExp(`^[› ][* ]?${n}\\s`).test(l));
}

describe.runIf(RUN_LXC)('console: config changes from another session', () => {
  requireLxc();
  let t: TmuxTerm | undefined;
  beforeAll(async () => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    await createNetlessContainer(env.lxcpath, a);
    await createNetlessContainer(env.lxcpath, b);
    expect(runCli(['start', b], cliEnv).status).toBe(0);
  });
  afterAll(() => {
    t?.close();
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
  });

  it('AUTO and PROT follow autostart and protect run elsewhere within a few passes; d on a row protected elsewhere is refused before the name is asked', { timeout: 120_000 }, async () => {
    t = new TmuxTerm();
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv, 80, 24);
    let s = await t.waitForScreen('both rows', (x) => row(x, a) !== undefined && row(x, b) !== undefined && x.includes('q quit'), 30_000);
    expect(row(s, a)).toMatch(/\bno\s+-\s*$/);

    expect(runCli(['autostart', a, 'on', '--group', 'web'], cliEnv).status).toBe(0);
    expect(runCli(['protect', a, 'on'], cliEnv).status).toBe(0);
    s = await t.waitForScreen(`${a}: AUTO yes web, PROT yes`, (x) => /\byes web\s+yes\s*$/.test(row(x, a) ?? ''), 10_000);
    expect(runCli(['autostart', a, 'off'], cliEnv).status).toBe(0);
    await t.waitForScreen(`${a}: AUTO no (its groups kept)`, (x) => /\bno web\s+yes\s*$/.test(row(x, a) ?? ''), 10_000);

    // b (running) is protected elsewhere and d pressed at once: refused without the name prompt
    t.keys('g');
    await t.waitForScreen(`${b} selected`, (x) => (x.split('\n').find((l) => l.startsWith('›')) ?? '').includes(b) || (x.split('\n').find((l) => l.startsWith('›')) ?? '').includes(a), 5000);
    const sel = (x: string) => x.split('\n').find((l) => l.startsWith('›')) ?? '';
    if (!sel(t.screen()).includes(b)) t.keys('j');
    await t.waitForScreen(`${b} selected`, (x) => sel(x).includes(b), 5000);
    expect(runCli(['protect', b, 'on'], cliEnv).status).toBe(0);
    t.keys('d');
    s = await t.waitForScreen('delete refused', (x) => x.includes(`${b} is protected: delete is refused`), 10_000);
    expect(s).not.toMatch(/Delete container/);
    expect(existsSync(join(env.lxcpath, b, 'config'))).toBe(true);

    expect(runCli(['protect', a, b, 'off'], cliEnv).status).toBe(0);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });
});
