/**
 * Issue 9's console keys on the in-memory engine (test/helpers/fake-engine.ts):
 * marks and bulk actions, restart, protect, rename, copy, autostart, the
 * snapshots screen, sort across refreshes, read-only mode, and keys hidden
 * when the engine lacks their method.
 */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { FakeEngine, fakeCreateEnv, summary } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function open(engine: FakeEngine, opts: { columns?: number; rows?: number; refreshMs?: number; readOnly?: boolean } = {}): Rendered {
  r = renderAt(
    <App engine={engine} refreshMs={opts.refreshMs ?? 0} theme={theme} readOnly={opts.readOnly} services={{ createEnv: () => fakeCreateEnv() }} />,
    opts.columns ?? 80,
    opts.rows ?? 24,
  );
  return r;
}

function rowOf(frame: string, name: string): string {
  const line = frame.split('\n').find((l) => new RegExp(`^[› ][* ]${name} `).test(l));
  if (!line) throw new Error(`no row for ${name} in\n${frame}`);
  return line;
}
const hasRow = (f: string, name: string): boolean => f.split('\n').some((l) => new RegExp(`^[› ][* ]${name} `).test(l));
const footer = (f: string, n = 2): string => f.split('\n').slice(-n).join('  ');

describe('marks and bulk actions', () => {
  it('space marks rows (a * and the count in the title); s starts every marked one; a failure does not stop the others', async () => {
    const e = new FakeEngine([summary('a'), summary('b'), summary('c')]);
    e.failOn('start', { code: 'E_COMMAND', message: 'lxc-start failed', hint: 'see lxdeck info a', times: 1 });
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'c'));
    await s.press(' ', 'j', ' ');
    let f = await s.waitFor((x) => x.includes('2 marked'), 'two marked');
    expect(rowOf(f, 'a')).toMatch(/^ \*a /);
    expect(rowOf(f, 'c')).toMatch(/^›\*c /); // selected and marked
    expect(rowOf(f, 'b')).toMatch(/^  b /);
    await s.press('s');
    f = await s.waitFor((x) => x.includes('started 1 of 2 marked'), 'the summary');
    expect(f).toContain('started 1 of 2 marked (c); failed: a: lxc-start failed');
    expect(f).toContain('hint: see lxdeck info a');
    expect(e.callsOf('start')).toEqual([['a'], ['c']]);
    await s.waitFor((x) => rowOf(x, 'c').includes('RUNNING'), 'c RUNNING');
    // the marks stay; t stops the running one and skips the stopped one
    await s.press('t');
    f = await s.waitFor((x) => x.includes('stopped 1 of 2 marked'), 'the stop summary');
    expect(f).toContain('stopped 1 of 2 marked (c); skipped: a (already STOPPED)');
    expect(e.callsOf('stop').map((a) => a[0])).toEqual(['c']);
    // Esc clears the marks; then s acts on the selected row only
    await s.press(KEY.escape);
    await s.waitFor((x) => !x.includes('marked') || x.includes('stopped 1 of 2 marked') && !x.includes(', 2 marked'), 'marks cleared');
    f = s.frame();
    expect(rowOf(f, 'a')).toMatch(/^  a /);
  });

  it('freeze and snapshot act on the marked rows; u clears the marks; a container that goes loses its mark', async () => {
    const e = new FakeEngine([summary('a', 'RUNNING'), summary('b', 'FROZEN'), summary('c')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'c'));
    await s.press(' ', ' ', ' ');
    await s.waitFor((x) => x.includes('3 marked'));
    await s.press('f');
    let f = await s.waitFor((x) => x.includes('froze/thawed 2 of 3 marked'), 'freeze summary');
    expect(f).toContain('skipped: c (STOPPED: not running)');
    expect(e.callsOf('freeze')).toEqual([['a']]);
    expect(e.callsOf('unfreeze')).toEqual([['b']]);
    await s.press('N');
    f = await s.waitFor((x) => x.includes('snapshotted 3 of 3 marked'), 'snapshot summary');
    expect(e.snaps.get('b')?.map((x) => x.name)).toEqual(['snap0']);
    await e.destroy('c');
    await s.press('r');
    await s.waitFor((x) => x.includes('2 marked') && !hasRow(x, 'c'), 'c gone, its mark too');
    await s.press('u');
    await s.waitFor((x) => !x.includes('marked)') && !x.includes('2 marked'), 'no marks');
  });
});

describe('lifecycle keys', () => {
  it('R restarts a running container (a new PID); on a stopped one it says why not', async () => {
    const e = new FakeEngine([summary('web', 'RUNNING', { pid: 100 }), summary('db')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'db'));
    await s.press('j', 'R');
    await s.waitFor((x) => x.includes('restarted web'), 'restarted');
    expect(e.callsOf('restart').map((a) => a[0])).toEqual(['web']);
    await s.waitFor((x) => !/ 100\s+-/.test(rowOf(x, 'web')), 'a new pid');
    await s.press('k', 'R');
    await s.waitFor((x) => x.includes('db is STOPPED: restart needs it RUNNING'), 'refused');
    expect(e.callsOf('restart')).toHaveLength(1);
  });

  it('P protects: the list shows it, d is refused with a hint; the engine\'s E_PROTECTED is shown too', async () => {
    const e = new FakeEngine([summary('web')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'web'));
    await s.press('P');
    let f = await s.waitFor((x) => x.includes('web is protected: delete is refused until P again'), 'protected');
    f = await s.waitFor((x) => /PROT/.test(x) && /yes\s*$/.test(rowOf(x, 'web')), 'PROT column');
    await s.press('d');
    f = await s.waitFor((x) => x.includes('web is protected: delete is refused'), 'refused');
    expect(f).toContain('hint: press P to unprotect it (lxdeck protect web off)');
    expect(f).not.toContain('Delete container');
    await s.press('P');
    await s.waitFor((x) => x.includes('web is no longer protected'));
    // protected behind the console's back while the dialog is open: the engine refuses
    await s.press('d');
    await s.waitFor((x) => x.includes('Delete container web?'));
    await e.setProtected('web', true);
    await s.press('w', 'e', 'b', KEY.enter);
    f = await s.waitFor((x) => x.includes('web is protected: it cannot be destroyed'), 'E_PROTECTED shown');
    expect(f).toContain('hint: lxdeck protect web off, then delete it');
    expect(e.has('web')).toBe(true);
  });

  it('e renames a stopped container (the selection follows); on a running one the engine refuses and the refusal is shown', async () => {
    const e = new FakeEngine([summary('old'), summary('up', 'RUNNING')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'up'));
    await s.press('e');
    await s.waitFor((x) => x.includes('Rename old') && x.includes('new name: old'));
    await s.press(KEY.backspace, KEY.backspace, KEY.backspace, 'n', 'e', 'w', KEY.enter);
    await s.waitFor((x) => x.includes('renamed old to new') && hasRow(x, 'new'), 'renamed');
    expect(e.callsOf('rename')).toEqual([['old', 'new']]);
    expect(s.frame()).toMatch(/^› new /m);
    await s.press('j', 'e', 'x', KEY.enter);
    await s.waitFor((x) => x.includes('up is RUNNING: rename needs it STOPPED'), 'the engine refused');
    expect(s.frame()).toContain('hint: stop it first: lxdeck stop up');
    // a bad name is refused in the prompt, nothing called
    await s.press('e', KEY.backspace, KEY.backspace, KEY.backspace, '/', KEY.enter);
    await s.waitFor((x) => x.includes('Rename up') && x.includes('not allowed'), 'name rule');
    expect(e.callsOf('rename')).toHaveLength(2);
  });

  it('C copies: a full copy by default, Tab for a snapshot clone', async () => {
    const e = new FakeEngine([summary('base', 'STOPPED', { autostart: true, groups: ['web'] })]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'base'));
    await s.press('C');
    let f = await s.waitFor((x) => x.includes('Copy base') && x.includes('new name: base-copy') && x.includes('a full copy of the rootfs'));
    // the dialog's line tells its keys, not a command to type in a shell
    expect(f.replace(/[│\n ]+/g, ' ')).toContain('Tab: a snapshot clone instead, Enter: copy, Esc: cancel');
    expect(f).not.toMatch(/lxc-copy|lxdeck copy/);
    await s.press('\t');
    f = await s.waitFor((x) => x.includes('a snapshot clone (overlay or btrfs'));
    expect(f.replace(/[│\n ]+/g, ' ')).toContain('Tab: a full copy instead, Enter: clone, Esc: cancel');
    expect(f).not.toMatch(/lxc-copy|lxdeck copy/);
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('copied base to base-copy (snapshot clone)') && hasRow(x, 'base-copy'), 'copied');
    expect(e.callsOf('copy')).toEqual([['base', 'base-copy', { snapshot: true }]]);
  });

  it("C: a refused snapshot clone brings the prompt back with the refusal told in the dialog's keys; Tab and Enter make a full copy", async () => {
    const e = new FakeEngine([summary('base', 'STOPPED')]);
    e.failOn('copy', { code: 'E_USAGE', message: 'base is unprivileged: an overlay clone would share its rootfs files and so its idmap range', hint: 'make a full copy instead: lxdeck copy base base-2', times: 1 });
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'base'));
    await s.press('C', KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, '2', '\t', KEY.enter);
    let f = await s.waitFor((x) => x.includes('Copy base') && x.includes('base is unprivileged') && e.callsOf('copy').length === 1, 'the prompt again with the refusal');
    const flat = f.replace(/[│\n ]+/g, ' ');
    expect(flat).toContain('(Tab switches to a full copy)');
    expect(f).toContain('new name: base-2'); // the name typed is kept
    expect(f).not.toContain('lxdeck copy'); // no shell command in the console
    expect(e.callsOf('copy')).toEqual([['base', 'base-2', { snapshot: true }]]);
    await s.press('\t');
    f = await s.waitFor((x) => x.includes('a full copy of the rootfs'), 'full copy chosen');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('copied base to base-2') && hasRow(x, 'base-2') && !x.includes('Copy base'), 'copied');
    expect(e.callsOf('copy')[1]).toEqual(['base', 'base-2', { snapshot: false }]);
  });

  it('A toggles autostart; O sets order, delay and groups; AUTO shows them', async () => {
    const e = new FakeEngine([summary('web')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'web'));
    expect(s.frame()).toMatch(/AUTO/);
    // not autostarting reads `no`, as in ls and info; on, `yes`
    expect(rowOf(s.frame(), 'web')).toMatch(/web\s+STOPPED.*\sno\s+-/);
    await s.press('A');
    await s.waitFor((x) => x.includes('autostart of web: yes (order 0, delay 0 s, no groups)') && /web\s+STOPPED.*yes\s+-/.test(rowOf(x, 'web')), 'on');
    await s.press('O');
    await s.waitFor((x) => x.includes('Autostart settings of web'));
    await s.press('order=10 delay=5 group=db,web', KEY.enter);
    await s.waitFor((x) => x.includes('autostart of web: yes (order 10, delay 5 s, groups db,web)'), 'saved');
    await s.waitFor((x) => /yes db,web/.test(rowOf(x, 'web')), 'groups in AUTO');
    expect(e.autostartSettings('web')).toEqual({ auto: true, order: 10, delay: 5, groups: ['db', 'web'] });
    // the info screen says it the same way
    await s.press('i');
    await s.waitFor((x) => /Autostart\s+yes \(order 10, delay 5 s, groups db,web\)/.test(x), 'info: yes with the settings');
    await s.press(KEY.escape);
    await s.waitFor((x) => hasRow(x, 'web'));
    await s.press('A');
    await s.waitFor((x) => x.includes('autostart of web: no (order 10, delay 5 s, groups db,web)') && /\sno db,web/.test(rowOf(x, 'web')), 'off: no, the groups kept');
    await s.press('O', ' speed=1', KEY.enter);
    await s.waitFor((x) => x.includes('speed=1" is not order=N'), 'bad input refused in the prompt');
  });
});

describe('a dialog hides the last status; its own outcome shows after', () => {
  it('list: the delete question, the copy and rename prompts and the console intro never show the previous status', async () => {
    const e = new FakeEngine([summary('web'), summary('db')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'db'));
    await s.press('j', 's'); // web: started
    await s.waitFor((x) => x.includes('started web') && rowOf(x, 'web').includes('RUNNING'), 'started');
    await s.press('t');
    await s.waitFor((x) => x.includes('stopped web') && rowOf(x, 'web').includes('STOPPED'), 'stopped');
    // each dialog opens over a clear status line, and Esc leaves it clear
    for (const [key, marker] of [['d', 'Delete container web?'], ['C', 'Copy web'], ['e', 'Rename web'], ['O', 'Autostart settings of web']] as const) {
      await s.press(key);
      const f = await s.waitFor((x) => x.includes(marker), marker);
      expect(f, marker).not.toContain('stopped web');
      await s.press(KEY.escape);
      await s.waitFor((x) => !x.includes(marker), `${marker} closed`);
      expect(s.frame()).not.toContain('stopped web');
    }
    // the outcome of the dialog's own action shows after it
    await s.press('s');
    await s.waitFor((x) => x.includes('started web'), 'started again');
    await s.press('o');
    const f = await s.waitFor((x) => x.includes('Console of web'), 'the console intro');
    expect(f).not.toContain('started web');
    await s.press(KEY.escape);
    await s.press('t');
    await s.waitFor((x) => x.includes('stopped web'), 'stopped again');
    await s.press('C');
    await s.waitFor((x) => x.includes('Copy web') && !x.includes('stopped web'), 'the copy prompt, clear');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('copied web to web-copy') && !x.includes('Copy web'), 'the copy result after');
  });

  it('snapshots screen: the restore question and the comment prompt hide the last result', async () => {
    const e = new FakeEngine([summary('db')]);
    e.addSnapshot('db');
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'db'));
    await s.press('n');
    await s.waitFor((x) => x.includes('snap0'));
    await s.press('c', KEY.enter);
    await s.waitFor((x) => x.includes('snapshot of db made') && x.includes('snap1'), 'made');
    await s.press('R');
    let f = await s.waitFor((x) => x.includes('Restore db to snap0? y/n'), 'the question');
    expect(f).not.toContain('snapshot of db made');
    await s.press('y');
    await s.waitFor((x) => x.includes('restored db to snap0'), 'restored');
    await s.press('c');
    f = await s.waitFor((x) => x.includes('comment:'), 'the prompt');
    expect(f).not.toContain('restored db to snap0');
  });
});

describe('the snapshots screen', () => {
  it('n lists them; c makes one with a comment; R needs STOPPED (the refusal shows); a restores as new; d deletes', async () => {
    const e = new FakeEngine([summary('web', 'RUNNING')]);
    e.addSnapshot('web', 'first one');
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'web'));
    await s.press('n');
    let f = await s.waitFor((x) => x.includes('Snapshots of web') && x.includes('snap0') && x.includes('first one'), 'the list');
    expect(f).toContain('2026-12-04 23:10:00');
    // the trial: c on a RUNNING container asked for a comment, then refused and lost it
    await s.press('c');
    f = await s.waitFor((x) => x.includes('web is RUNNING: LXC snapshots only a STOPPED container'), 'refused before asking');
    expect(f).toContain('hint: stop it first');
    expect(f).not.toContain('comment:');
    e.setState('web', 'STOPPED');
    await s.press('c');
    await s.waitFor((x) => x.includes('comment:'));
    await s.press('before upgrade', KEY.enter);
    f = await s.waitFor((x) => x.includes('snapshot of web made') && x.includes('snap1') && x.includes('before upgrade'), 'made');
    expect(e.callsOf('snapshot')).toEqual([['web', { comment: 'before upgrade' }]]);
    expect(f).toContain('2 snapshots');
    e.setState('web', 'RUNNING');
    await s.press('R');
    await s.waitFor((x) => x.includes('Restore web to snap0? y/n'));
    await s.press('y');
    f = await s.waitFor((x) => x.includes('web is RUNNING: restore in place needs it STOPPED'), 'refusal');
    expect(f).toContain('hint: stop it first');
    await s.press('a');
    await s.waitFor((x) => x.includes('Restore snap0 of web as a new container') && x.includes('name: web-snap0'));
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('restored snap0 of web as web-snap0'), 'restored as');
    expect(e.has('web-snap0')).toBe(true);
    await s.press('k', 'd');
    await s.waitFor((x) => x.includes('Delete snapshot snap0 of web? y/n'));
    await s.press('n');
    await s.waitFor((x) => !x.includes('Delete snapshot'));
    await s.press('d', 'y');
    f = await s.waitFor((x) => x.includes('deleted snapshot snap0 of web') && !x.includes('first one'), 'deleted');
    expect(e.callsOf('deleteSnapshot')).toEqual([['web', 'snap0']]);
    await s.press(KEY.escape);
    await s.waitFor((x) => hasRow(x, 'web-snap0'), 'the list again');
  });

  it('restore in place of a stopped container runs; a failure shows its message and hint', async () => {
    const e = new FakeEngine([summary('db')]);
    e.addSnapshot('db');
    e.actionDelayMs = 100;
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'db'));
    await s.press('n');
    await s.waitFor((x) => x.includes('snap0'));
    await s.press('R', 'y');
    await s.waitFor((x) => x.includes('restoring db to snap0'), 'busy');
    await s.waitFor((x) => x.includes('restored db to snap0'), 'done');
    e.failOn('snapshot', { code: 'E_COMMAND', message: 'lxc-snapshot failed', hint: 'see the action log' });
    await s.press('c', KEY.enter);
    await s.waitFor((x) => x.includes('lxc-snapshot failed') && x.includes('hint: see the action log'), 'error');
  });
});

describe('sort across refreshes', () => {
  it('> sorts by STATE (the header shows it); as states change the rows re-sort and the selection stays on its container', async () => {
    const e = new FakeEngine([summary('a'), summary('b', 'RUNNING'), summary('c')]);
    const s = open(e, { refreshMs: 100 });
    await s.waitFor((x) => hasRow(x, 'c'));
    await s.press('>');
    let f = await s.waitFor((x) => x.includes('STATE▲'), 'sorted by state');
    const order = (x: string): string[] => x.split('\n').filter((l) => /^[› ][* ][abc] /.test(l)).map((l) => l[2]);
    expect(order(f)).toEqual(['b', 'a', 'c']);
    await s.press('j', 'j'); // c
    await s.waitFor((x) => /^› c /m.test(x));
    e.setState('c', 'RUNNING');
    f = await s.waitFor((x) => order(x).join('') === 'bca', 'c moved up');
    expect(f).toMatch(/^› c /m);
    expect(f).toContain('STATE▲');
    await s.press('I');
    f = await s.waitFor((x) => x.includes('STATE▼') && order(x).join('') === 'abc', 'reversed (ties by name)');
    expect(f).toMatch(/^› c /m);
  });
});

describe('read-only mode', () => {
  it('the snapshots screen of a container without snapshots does not suggest c, which is refused', async () => {
    const e = new FakeEngine([summary('web')]);
    const s = open(e, { readOnly: true, columns: 140 });
    await s.waitFor((x) => hasRow(x, 'web'));
    await s.press('n');
    let f = await s.waitFor((x) => x.includes('no snapshots of web'), 'the empty list');
    expect(f).not.toContain('press c');
    await s.press('R');
    f = await s.waitFor((x) => x.includes('read-only mode:'), 'refused');
    expect(f).not.toContain('press c');
    // not read-only: the same list suggests it
    const e2 = new FakeEngine([summary('web')]);
    const s2 = open(e2, { columns: 140 });
    await s2.waitFor((x) => hasRow(x, 'web'));
    await s2.press('n');
    await s2.waitFor((x) => x.includes('no snapshots of web; press c to make one'), 'the suggestion');
  });

  it('changing keys are hidden and refused; viewing keys still work', async () => {
    const e = new FakeEngine([summary('web', 'RUNNING')]);
    e.addSnapshot('web');
    const s = open(e, { readOnly: true, columns: 140 });
    let f = await s.waitFor((x) => hasRow(x, 'web'));
    expect(f).toContain('[read-only]');
    const foot = footer(f, 3);
    for (const hidden of ['s start', 't stop', 'd delete', 'c create', 'a attach', 'o console', 'L limits', 'R restart', 'C copy', 'P protect']) expect(foot).not.toContain(hidden);
    for (const shown of ['i info', 'p procs', 'n snapshots', 'v stats', 'T top', 'l log', '/ filter', '> sort', 'q quit']) expect(foot).toContain(shown);
    for (const k of ['s', 't', 'f', 'd', 'a', 'o', 'R', 'P', 'A', 'C', 'e', 'N', 'L', 'c']) {
      await s.press(k);
      f = await s.waitFor((x) => x.includes('read-only mode:'), `refusal of ${k}`);
    }
    await s.press('s');
    await s.waitFor((x) => x.includes('read-only mode: s start is disabled'));
    const changing = ['start', 'stop', 'freeze', 'unfreeze', 'destroy', 'create', 'attach', 'console', 'restart', 'setProtected', 'setAutostart', 'copy', 'rename', 'snapshot'] as const;
    for (const m of changing) expect(e.callsOf(m), m).toEqual([]);
    expect(s.frame()).not.toContain('Delete container');
    // viewing works: the snapshots list, without its changing keys
    await s.press('n');
    f = await s.waitFor((x) => x.includes('Snapshots of web') && x.includes('snap0'));
    expect(footer(f)).not.toContain('c snapshot');
    expect(footer(f)).toContain('r refresh');
    await s.press('d');
    await s.waitFor((x) => x.includes('read-only mode: d delete is disabled'));
    expect(e.callsOf('deleteSnapshot')).toEqual([]);
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('[read-only]'));
    await delay(50); // the list's frame is drawn before its key handler is subscribed
    await s.press('p');
    f = await s.waitFor((x) => x.includes('Processes of web'));
    expect(footer(f)).not.toContain('SIGKILL');
    await s.press('K');
    await s.waitFor((x) => x.includes('read-only mode: K SIGKILL is disabled'));
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('[read-only]'));
    await delay(50);
    await s.press('i');
    await s.waitFor((x) => x.includes('web') && !x.includes('Processes of web') && x.includes('/var/lib/lxc/web/config'), 'info');
  });
});

describe('capabilities', () => {
  it('a key whose engine method is missing is not in the footer, and says so when pressed', async () => {
    const e = new FakeEngine([summary('web')]).without('copy', 'snapshots', 'restart');
    const s = open(e, { columns: 140 });
    const f = await s.waitFor((x) => hasRow(x, 'web'));
    const foot = footer(f, 3);
    expect(foot).not.toContain('C copy');
    expect(foot).not.toContain('n snapshots');
    expect(foot).not.toContain('R restart');
    expect(foot).toContain('e rename');
    await s.press('C');
    await s.waitFor((x) => x.includes('copy is not available: this engine has no copy'));
    await delay(10);
  });
});
