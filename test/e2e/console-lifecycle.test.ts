/**
 * Issue 9's console keys in a real terminal (tmux, 80x24), the built
 * binary against the in-memory engine of fixtures/console-fake.mjs (no
 * root, no LXC; the list is polled every 300 ms): marks and a bulk start
 * where one start fails, a sort that stays while the list refreshes and
 * rows move (the selection staying on its container), the `/` filter
 * kept across refreshes, and read-only mode.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TmuxTerm, delay, haveTmux, sh } from './tmux.js';

const root = resolve(import.meta.dirname, '../..');
const fixture = join(root, 'test/e2e/fixtures/console-fake.mjs');

let term: TmuxTerm | undefined;
afterEach(() => {
  term?.close();
  term = undefined;
});

beforeAll(() => {
  expect(haveTmux(), 'tmux is needed for the terminal tests').toBe(true);
  expect(existsSync(join(root, 'dist/src/console/run-console.js')), 'dist/ is missing: run npm run build first').toBe(true);
});

function start(env: Record<string, string>): TmuxTerm {
  const t = new TmuxTerm();
  term = t;
  t.start(`${sh(process.execPath)} ${sh(fixture)}`, { FAKE_CALLS: join(t.dir, 'calls'), ...env }, 80, 24);
  return t;
}

const calls = (t: TmuxTerm): string[] => {
  const f = join(t.dir, 'calls');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
};
/** The table rows (pointer, mark, name, state), top to bottom. */
const rows = (screen: string): { sel: boolean; mark: boolean; name: string; state: string }[] =>
  screen
    .split('\n')
    .map((l) => /^([› ])([* ])(\S+)\s+(RUNNING|STOPPED|FROZEN)\b/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ sel: m[1] === '›', mark: m[2] === '*', name: m[3], state: m[4] }));

describe('console lifecycle keys in a real terminal', () => {
  it('space marks two rows; s starts both: one fails, the other starts, the summary says which', { timeout: 60_000 }, async () => {
    const t = start({ FAKE_NAMES: 'alpha,beta,gamma,delta', FAKE_FAIL_START: 'gamma' });
    await t.waitForScreen('the list', (x) => x.includes('delta') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('j', 'Space', 'Space');
    let s = await t.waitForScreen('two marked', (x) => x.includes('4 containers, 1 running, 2 marked'));
    expect(rows(s).filter((r) => r.mark).map((r) => r.name)).toEqual(['beta', 'gamma']);
    t.keys('s');
    s = await t.waitForScreen('the summary', (x) => x.includes('started 1 of 2 marked (beta); failed: gamma: lxc-start of gamma failed'));
    expect(s).toContain('hint: see lxdeck info gamma');
    s = await t.waitForScreen('beta RUNNING', (x) => rows(x).some((r) => r.name === 'beta' && r.state === 'RUNNING'));
    expect(rows(s).find((r) => r.name === 'delta')?.state).toBe('STOPPED');
    expect(calls(t)).toEqual(['start beta', 'start gamma']);
    // the marks survive the refreshes; Esc clears them
    await delay(700);
    expect(t.screen()).toContain('2 marked');
    t.keys('Escape');
    await t.waitForScreen('marks cleared', (x) => x.split('\n')[0].endsWith('4 containers, 2 running') && rows(x).every((r) => !r.mark));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('> sorts by STATE; as a container starts and stops behind the console, rows re-sort and the selection stays on it', { timeout: 60_000 }, async () => {
    const t = start({ FAKE_NAMES: 'alpha,beta,gamma', FAKE_FLIP_MS: '900' });
    await t.waitForScreen('the list', (x) => x.includes('gamma') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('>');
    await t.waitForScreen('sorted by state', (x) => x.includes('STATE▲'));
    t.keys('G');
    // gamma is selected; it flips every 0.9 s, the list refreshes every 0.3 s
    const seen = new Set<string>();
    for (const want of ['RUNNING', 'STOPPED', 'RUNNING']) {
      const s = await t.waitForScreen(`gamma ${want}`, (x) => rows(x).some((r) => r.name === 'gamma' && r.state === want));
      const rs = rows(s);
      expect(rs.find((r) => r.sel)?.name, s).toBe('gamma');
      // RUNNING rows before STOPPED ones, by name within each
      const states = rs.map((r) => r.state);
      expect([...states].sort(), s).toEqual(states);
      expect(s).toContain('STATE▲');
      seen.add(rs.map((r) => r.name).join(','));
    }
    // gamma really moved: two different orders were drawn
    expect(seen.size).toBe(2);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('/ filters; the filter stays while the list refreshes; Esc clears it', { timeout: 60_000 }, async () => {
    const t = start({ FAKE_NAMES: 'web-01,db-01,web-02' });
    await t.waitForScreen('the list', (x) => x.includes('web-02') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('/');
    t.literal('web');
    t.keys('Enter');
    await t.waitForScreen('filtered', (x) => x.includes('/ filter: web') && !rows(x).some((r) => r.name === 'db-01'));
    await delay(1000); // three refreshes
    const s = t.screen();
    expect(rows(s).map((r) => r.name)).toEqual(['web-01', 'web-02']);
    expect(s).toContain('/ filter: web');
    t.keys('Escape');
    await t.waitForScreen('all rows again', (x) => rows(x).length === 3 && !x.includes('/ filter'));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('read-only mode: the changing keys are not in the footer and are refused; viewing keys work', { timeout: 60_000 }, async () => {
    const t = start({ FAKE_NAMES: 'alpha,beta', FAKE_READ_ONLY: '1' });
    let s = await t.waitForScreen('the list', (x) => x.includes('beta') && x.includes('q quit'), 20_000);
    expect(s).toContain('[read-only]');
    const footer = s.split('\n').filter(Boolean).slice(-2).join('  ');
    for (const hidden of ['s start', 't stop', 'd delete', 'a attach', 'o console', 'R restart']) expect(footer).not.toContain(hidden);
    expect(footer).toContain('i info');
    await delay(150);
    t.keys('s');
    await t.waitForScreen('refused', (x) => x.includes('read-only mode: s start is disabled'));
    t.keys('d');
    await t.waitForScreen('refused', (x) => x.includes('read-only mode: d delete is disabled'));
    t.keys('a');
    await t.waitForScreen('refused', (x) => x.includes('read-only mode: a attach is disabled'));
    expect(calls(t)).toEqual([]);
    t.keys('n');
    s = await t.waitForScreen('the snapshots screen', (x) => x.includes('Snapshots of alpha') && x.includes('no snapshots of alpha'));
    expect(s).not.toContain('c snapshot');
    await delay(150);
    t.keys('c');
    await t.waitForScreen('refused', (x) => x.includes('read-only mode: c snapshot is disabled'));
    t.keys('Escape');
    await t.waitForScreen('the list', (x) => x.includes('[read-only]'));
    await delay(150);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(calls(t)).toEqual([]);
  });
});

describe('lxdeck --read-only', () => {
  it('the global option and LXDECK_READ_ONLY=1 reach the console of the real binary', { timeout: 60_000 }, async () => {
    expect(process.getuid?.(), 'the console needs root').toBe(0);
    const cli = join(root, 'dist/src/cli.js');
    for (const [args, env] of [['--read-only'], [[], { LXDECK_READ_ONLY: '1' }]] as [string[] | string, Record<string, string>?][]) {
      const t = new TmuxTerm();
      term = t;
      const argv = (Array.isArray(args) ? args : [args]).map(sh).join(' ');
      // an empty lxcpath of its own: nothing to list, nothing LXC is run for
      t.start(`${sh(process.execPath)} ${sh(cli)} --lxcpath ${sh(t.dir)} ${argv}`, { LXDECK_LOG: join(t.dir, 'actions.log'), ...(env ?? {}) }, 80, 24);
      const s = await t.waitForScreen('the read-only console', (x) => x.includes('[read-only]') && x.includes('q quit'), 30_000);
      expect(s).not.toContain('s start');
      await delay(300);
      t.keys('Escape'); // the host report may open at start on a host with problems
      await delay(300);
      t.keys('q');
      expect(await t.waitForExit()).toBe(0);
      t.close();
      term = undefined;
    }
  });
});
