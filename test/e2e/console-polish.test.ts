/**
 * The fresh-user trial's leftovers in a real terminal (tmux), the built
 * console against the in-memory engine of fixtures/console-fake.mjs (no
 * root, no LXC): a long error readable whole in the status area.
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

function start(env: Record<string, string>, columns = 80, rows = 24): TmuxTerm {
  const t = new TmuxTerm();
  term = t;
  t.start(`${sh(process.execPath)} ${sh(fixture)}`, { FAKE_CALLS: join(t.dir, 'calls'), ...env }, columns, rows);
  return t;
}

/** The engine calls of the console in `t`, one `method name` each (FAKE_CALLS). */
const calls = (t: TmuxTerm): string[] => {
  const f = join(t.dir, 'calls');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
};

/** The screen's lines joined with single spaces (a wrapped message reads as one). */
const flat = (screen: string): string => screen.replace(/\s+/g, ' ');

describe('console polish in a real terminal', () => {
  it('a long error is readable whole at 80 columns: the status area grows to more lines, then back to two', { timeout: 60_000 }, async () => {
    const long =
      'lxc-start of beta failed: lxc-start: beta: network.c: instantiate_veth: 243 Operation not permitted - Failed to create veth pair "vethQ1xYz" and "vethPEER00" END-OF-MESSAGE';
    const t = start({ FAKE_NAMES: 'alpha,beta', FAKE_FAIL_START: 'beta', FAKE_FAIL_MESSAGE: long });
    await t.waitForScreen('the list', (x) => x.includes('beta') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('j', 's');
    const s = await t.waitForScreen('the whole error', (x) => flat(x).includes('END-OF-MESSAGE'));
    expect(flat(s)).toContain(long);
    expect(flat(s)).toContain('hint: see lxdeck info beta');
    // the list and the keys are still there; every line fits the terminal
    expect(s).toContain('alpha');
    expect(s).toContain('q quit');
    for (const l of s.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    // the next message (a short one) gives the lines back
    t.keys('k', 's');
    const after = await t.waitForScreen('a short status', (x) => !x.includes('END-OF-MESSAGE') && /alpha\s+RUNNING/.test(x));
    expect(after).toContain('q quit');
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('text fields: Ctrl+W erases the word before the cursor, Ctrl+U the line (the filter line and the wizard name)', { timeout: 60_000 }, async () => {
    const t = start({ FAKE_NAMES: 'alpha,beta,gamma' });
    await t.waitForScreen('the list', (x) => x.includes('gamma') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('/');
    t.literal('xyz gam');
    await t.waitForScreen('no match', (x) => x.includes('/ filter: xyz gam') && x.includes('no container name holds'));
    t.keys('C-w');
    await t.waitForScreen('the word erased', (x) => /\/ filter: xyz\s/.test(x) && !x.includes('xyz gam'));
    t.keys('C-u');
    await t.waitForScreen('the line erased', (x) => /\/ filter:\s*$/m.test(x) && x.includes('alpha') && x.includes('gamma'));
    t.literal('gam');
    const s = await t.waitForScreen('the new filter', (x) => x.includes('/ filter: gam') && !x.includes('alpha'));
    expect(s).toContain('gamma');
    t.keys('Escape');
    await t.waitForScreen('the filter cleared', (x) => x.includes('alpha') && !x.includes('/ filter'));
    await delay(150);
    t.keys('c');
    await t.waitForScreen('the wizard', (x) => x.includes('Create a container'));
    await delay(150);
    t.keys('C-u'); // the name field: its suggested name goes
    t.literal('first second');
    await t.waitForScreen('the typed name', (x) => /name\s+first second/.test(x));
    t.keys('C-w');
    await t.waitForScreen('one word left', (x) => /name\s+first\s/.test(x) && !x.includes('first second'));
    t.keys('C-u');
    await t.waitForScreen('the name empty', (x) => !/name\s+first/.test(x));
    t.keys('Escape');
    await t.waitForScreen('the list', (x) => x.includes('gamma') && !x.includes('Create a container'));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('Ctrl+C while a start runs: the console says it quits when the start has ended, then exits 130; a second Ctrl+C quits at once and says what was left', { timeout: 60_000 }, async () => {
    let t = start({ FAKE_NAMES: 'alpha,beta', FAKE_START_MS: '2500' });
    await t.waitForScreen('the list', (x) => x.includes('beta') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('j', 's');
    await t.waitForScreen('the start running', (x) => x.includes('starting beta'));
    t.keys('C-c');
    await t.waitForScreen('the notice', (x) => x.includes('starting beta (quitting when it ends; Ctrl+C again quits now)'));
    expect(t.status()).toBeUndefined();
    expect(await t.waitForExit()).toBe(130);
    expect(calls(t)).toEqual(['start beta', 'started beta']);
    expect(t.screen()).not.toContain('lxdeck: quit while');

    // again, and Ctrl+C twice: out at once, and the normal screen says what was left
    t.close();
    t = start({ FAKE_NAMES: 'alpha,beta', FAKE_START_MS: '8000' });
    await t.waitForScreen('the list', (x) => x.includes('beta') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('j', 's');
    await t.waitForScreen('the start running', (x) => x.includes('starting beta'));
    t.keys('C-c');
    await t.waitForScreen('the notice', (x) => x.includes('Ctrl+C again quits now'));
    t.keys('C-c');
    expect(await t.waitForExit(4000)).toBe(130); // at once: the 8 s start is not waited for
    const after = t.screen().replace(/\n/g, ''); // lines the terminal wrapped, joined again
    expect(after).toContain('lxdeck: quit while starting beta: the lxc-* command that was running goes on without lxdeck');
    expect(after).toContain('hint: check with lxdeck ls');
    expect(calls(t)).toEqual(['start beta']);
  });

  it('Ctrl+C during a create in the wizard cancels it (nothing left behind), then quits with 130', { timeout: 60_000 }, async () => {
    const t = start({ FAKE_NAMES: 'alpha', FAKE_CREATE_MS: '1500' });
    await t.waitForScreen('the list', (x) => x.includes('alpha') && x.includes('q quit'), 20_000);
    await delay(150);
    t.keys('c');
    await t.waitForScreen('the wizard', (x) => /step 1 of \d: Name/.test(x));
    await delay(150);
    t.keys('C-u');
    t.literal('newbox');
    for (let i = 0; i < 8 && !/Summary/.test(t.screen()); i++) {
      t.keys('Enter');
      await delay(300);
    }
    await t.waitForScreen('the summary', (x) => /Summary/.test(x));
    t.keys('Enter');
    const s = await t.waitForScreen('the create running', (x) => x.includes('Ctrl+C cancel, then quit'));
    expect(s).toContain('Esc cancel (removes what was made)');
    t.keys('C-c');
    await t.waitForScreen('cancelling', (x) => x.includes('then quitting') || t.status() !== undefined);
    expect(await t.waitForExit(10_000)).toBe(130);
    expect(calls(t)).toEqual(['create newbox', 'create-cancelled newbox']);
  });

  it("display: q quit is the footer's last key; the too-small text fits the terminal it is shown in; at 60 columns the header says columns are hidden; the wizard's empty fields line up", { timeout: 60_000 }, async () => {
    const t = start({ FAKE_NAMES: 'alpha,beta' });
    let s = await t.waitForScreen('the list', (x) => x.includes('beta') && x.includes('q quit'), 20_000);
    const footer = s.trimEnd().split('\n').slice(-2).join('  ');
    expect(footer.trimEnd()).toMatch(/q quit$/);
    expect(footer.indexOf('n snapshots')).toBeLessThan(footer.indexOf('q quit'));
    expect(footer.indexOf('space mark')).toBeLessThan(footer.indexOf('q quit'));
    // at 60 columns: AUTO and PROT are left out, and the header says so
    t.resize(60, 24);
    s = await t.waitForScreen('60 columns', (x) => /NAME\s+STATE\b.*\+2\s*$/m.test(x));
    expect(s).not.toContain('AUTO');
    expect(s.trimEnd()).toMatch(/q quit( …)?$/);
    // too small: every word of the text is there, no line wider than the terminal
    for (const [w, h] of [[30, 8], [16, 6]] as const) {
      t.resize(w, h);
      s = await t.waitForScreen(`${w}x${h}`, (x) => x.includes('terminal too') && x.includes(`have ${w}x${h}`));
      expect(flat(s)).toContain(`terminal too small: need 40x10, have ${w}x${h}`);
      expect(s).toContain('q quit');
      for (const l of s.split('\n')) expect(l.length).toBeLessThanOrEqual(w);
    }
    t.resize(80, 24);
    await t.waitForScreen('the list again', (x) => x.includes('beta') && x.includes('q quit'));
    await delay(150);
    // the wizard's resources: the focused empty field's placeholder in the same column as the others'
    t.keys('c');
    await t.waitForScreen('the wizard', (x) => /step 1 of \d: Name/.test(x));
    await delay(150);
    t.literal('box1');
    for (let i = 0; i < 8 && !/Resources/.test(t.screen()); i++) {
      t.keys('Enter');
      await delay(300);
    }
    s = await t.waitForScreen('the resources step', (x) => /› memory\s+\(no limit\)/.test(x));
    const col = (label: string): number => {
      const l = s.split('\n').find((x) => new RegExp(`^[› ] ${label}\\s`).test(x))!;
      return l.indexOf('(');
    };
    expect(col('memory')).toBe(col('swap'));
    expect(col('memory')).toBe(col('CPUs'));
    t.keys('Escape');
    t.keys('q');
  });
});
