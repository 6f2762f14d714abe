import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { LIST_COMMANDS, engineCan, hintsFor } from '../../src/keymap.js';
import { displayWidth } from '../../components/text.js';
import { CONTAINER_NAME_RULE } from '../../core/names.js';
import { FakeEngine, fakeCreateEnv, summary } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, stripAnsi, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function open(engine: FakeEngine, opts: { columns?: number; rows?: number; refreshMs?: number; onQuit?: (how: string) => void } = {}): Rendered {
  r = renderAt(
    <App engine={engine} refreshMs={opts.refreshMs ?? 0} theme={theme} onQuit={opts.onQuit} services={{ createEnv: () => fakeCreateEnv() }} />,
    opts.columns ?? 80,
    opts.rows ?? 24,
  );
  return r;
}

/** True when the frame has a table row for `name` (the footer's "c create" is not a row for "c"). */
function hasRow(frame: string, name: string): boolean {
  return frame.split('\n').some((l) => new RegExp(`^[› ] ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `).test(l));
}

/** The table row of a container (the line holding its name). */
function rowOf(frame: string, name: string): string {
  const line = frame.split('\n').find((l) => l.includes(` ${name} `));
  if (!line) throw new Error(`no row for ${name} in\n${frame}`);
  return line;
}

/** The text inside dialog boxes, lines joined, spaces collapsed (wrapped sentences read whole). */
function boxText(frame: string): string {
  return frame
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) => l.replace(/^│|│$/g, '').trim())
    .join(' ')
    .replace(/ +/g, ' ');
}

function expectFits(frame: string, columns: number, rows: number): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(displayWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(columns);
}

describe('container list', () => {
  it('shows each container with its state, IPv4 and PID', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING', { pid: 1234, ipv4: ['10.0.3.5'] }), summary('db-01')]);
    const s = open(e);
    const f = await s.waitFor((x) => x.includes('web-01') && x.includes('db-01'), 'the list');
    expect(f).toMatch(/NAME\s+STATE\s+IPV4\s+PID/);
    expect(rowOf(f, 'web-01')).toMatch(/web-01\s+RUNNING\s+10\.0\.3\.5\s+1234/);
    expect(rowOf(f, 'db-01')).toMatch(/db-01\s+STOPPED\s+-\s+-/);
    expect(f).toContain('2 containers, 1 running');
  });

  it('the title counts frozen containers apart from running ones', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING', { pid: 1234 }), summary('db-01', 'FROZEN', { pid: 99 }), summary('x-01')]);
    const s = open(e);
    const f = await s.waitFor((x) => x.includes('db-01'), 'the list');
    expect(f).toContain('3 containers, 1 running, 1 frozen');
  });

  it('s on a STOPPED container calls start and shows RUNNING after the refresh', async () => {
    const e = new FakeEngine([summary('web-01')]);
    const s = open(e);
    await s.waitFor((x) => x.includes('web-01'));
    await s.press('s');
    const f = await s.waitFor((x) => rowOf(x, 'web-01').includes('RUNNING'), 'RUNNING');
    expect(e.callsOf('start')).toEqual([['web-01']]);
    expect(f).toContain('started web-01');
  });

  it('several keys in one read act one by one: "jjs" starts the third row', async () => {
    const e = new FakeEngine([summary('a'), summary('b'), summary('c')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'c'));
    await s.press('jjs');
    await s.waitFor((x) => rowOf(x, 'c').includes('RUNNING'), 'c RUNNING');
    expect(e.callsOf('start')).toEqual([['c']]);
    // "cweb" opens the create wizard and types the rest into its name field
    await s.press('cweb');
    await s.waitFor((x) => /name +web/.test(x), 'the name field holding "web"');
    // Backspace held down: several DELs in one read each erase one character; then text and Enter in one read
    await s.press('\u007f\u007f\u007f', 'new-2\r');
    await s.waitFor((x) => x.includes('step 2 of 6: Template') && x.includes('new-2'), 'the next step for new-2');
    expect(e.callsOf('create')).toEqual([]);
  });

  it('t stops, f freezes then thaws the selected container', async () => {
    const e = new FakeEngine([summary('a', 'RUNNING'), summary('b', 'RUNNING')]);
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'b'));
    await s.press(KEY.down, 'f');
    await s.waitFor((x) => rowOf(x, 'b').includes('FROZEN'), 'FROZEN');
    await s.press('f');
    await s.waitFor((x) => rowOf(x, 'b').includes('RUNNING') && x.includes('thawed b'), 'thawed');
    await s.press('t');
    await s.waitFor((x) => rowOf(x, 'b').includes('STOPPED'), 'STOPPED');
    expect(e.calls.filter((c) => c.method !== 'list').map((c) => `${c.method} ${c.args[0]}`)).toEqual(['freeze b', 'unfreeze b', 'stop b']);
  });

  it('delete needs the exact name typed: a wrong name deletes nothing, the right one deletes', async () => {
    const e = new FakeEngine([summary('web-01'), summary('web-02', 'RUNNING')]);
    const s = open(e);
    await s.waitFor((x) => x.includes('web-02'));
    await s.press(KEY.down, 'd');
    await s.waitFor((x) => x.includes('Type the name "web-02" to confirm'), 'the dialog');
    await s.press('web-01', KEY.enter);
    await s.waitFor((x) => x.includes('nothing was deleted'), 'the mismatch error');
    expect(e.callsOf('destroy')).toEqual([]);
    // Escape cancels without deleting
    await s.press(KEY.escape);
    await s.waitFor((x) => !x.includes('Type the name'), 'the dialog to close');
    expect(e.callsOf('destroy')).toEqual([]);
    // again, with the right name; the running container is killed first (force)
    await s.press('d');
    await s.waitFor((x) => x.includes('it will be killed first'));
    await s.press('web-0', '2', KEY.enter);
    await s.waitFor((x) => x.includes('deleted web-02') && !x.includes(' web-02 '), 'the row to go');
    expect(e.callsOf('destroy')).toEqual([['web-02', { force: true }]]);
    expect(e.has('web-01')).toBe(true);
  });

  it('N1: c opens the create wizard; an invalid name is refused with the rule and no step opens', async () => {
    const e = new FakeEngine([summary('old')]);
    const s = open(e);
    await s.waitFor((x) => x.includes('old'));
    await s.press('c');
    await s.waitFor((x) => x.includes('step 1 of 6: Name') && x.includes('Rule:'), 'the name step with the rule');
    for (const bad of ['a/b', '../x', '-rf']) {
      await s.press(bad, KEY.enter);
      const f = await s.waitFor((x) => x.includes('not allowed') || x.includes("starts with '-'"), `refusal of ${bad}`);
      expect(f.replace(/\s+/g, ' ')).toContain(CONTAINER_NAME_RULE);
      expect(f).toContain('step 1 of 6');
      for (let i = 0; i < bad.length; i++) await s.press(KEY.backspace);
    }
    await s.press(KEY.enter); // empty
    await s.waitFor((x) => x.includes('is empty'), 'refusal of the empty name');
    await s.press('old', KEY.enter); // taken
    await s.waitFor((x) => x.includes('a container named old already exists'), 'refusal of a taken name');
    expect(e.callsOf('create')).toEqual([]);
    // Esc on the first step leaves the wizard: the list again, nothing made
    await s.press(KEY.escape);
    await s.waitFor((x) => hasRow(x, 'old') && !x.includes('step 1'), 'the list');
    expect(e.callsOf('create')).toEqual([]);
  });

  it('an engine error shows its message and its hint', async () => {
    const e = new FakeEngine([summary('web-01')]);
    e.failOn('start', { code: 'E_NETWORK', message: 'bridge lxdeckbr0 does not exist', hint: 'run lxdeck setup to make it' });
    const s = open(e);
    await s.waitFor((x) => x.includes('web-01'));
    await s.press('s');
    const f = await s.waitFor((x) => x.includes('bridge lxdeckbr0 does not exist'), 'the error');
    expect(f).toContain('✖ bridge lxdeckbr0 does not exist');
    expect(f).toContain('hint: run lxdeck setup to make it');
    expect(rowOf(f, 'web-01')).toContain('STOPPED');
  });

  it('a failing list shows the error and hint, and clears it once listing works again', async () => {
    const e = new FakeEngine([summary('web-01')]);
    e.failOn('list', { code: 'E_MISSING_PROGRAM', message: 'lxc-ls not found', hint: 'apt-get install lxc', times: 1 });
    const s = open(e, { refreshMs: 40 });
    await s.waitFor((x) => x.includes('lxc-ls not found') && x.includes('hint: apt-get install lxc'), 'the list error');
    await s.waitFor((x) => x.includes('web-01') && !x.includes('lxc-ls not found'), 'recovery');
  });

  it('shows a spinner while an action runs and ignores other action keys meanwhile', async () => {
    const e = new FakeEngine([summary('a'), summary('b')]);
    e.actionDelayMs = 300;
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'b'));
    await s.press('s');
    await s.waitFor((x) => x.includes('starting a'), 'the busy line');
    await s.press(KEY.down, 's');
    await s.waitFor((x) => x.includes('started a'), 'the first action to finish');
    await delay(50);
    expect(e.callsOf('start')).toEqual([['a']]);
  });

  it('refreshes on the interval and never runs two lists at once', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    e.listDelayMs = 60; // slower than the interval
    const s = open(e, { refreshMs: 20 });
    await s.waitFor((x) => x.includes('RUNNING'));
    e.setState('web-01', 'STOPPED'); // as lxc-stop from another shell
    await s.waitFor((x) => rowOf(x, 'web-01').includes('STOPPED'), 'the refresh');
    expect(e.maxListsInFlight).toBe(1);
    const lists = e.callsOf('list').length;
    expect(lists).toBeGreaterThanOrEqual(2);
  });

  it('q, Ctrl+C and Ctrl+D quit; Ctrl+C as an interrupt (the console exits 130 for it)', async () => {
    for (const [k, how] of [['q', 'key'], [KEY.ctrlC, 'interrupt'], [KEY.ctrlD, 'key']] as const) {
      const quits: string[] = [];
      const s = open(new FakeEngine([summary('a')]), { onQuit: (h) => quits.push(h) });
      await s.waitFor((x) => hasRow(x, 'a'));
      await s.press(k);
      await delay(20);
      expect(quits, JSON.stringify(k)).toEqual([how]);
      s.unmount();
    }
  });

  it('the footer is the key table: every shown command with its key (at 80 columns the minor ones give way)', async () => {
    const e0 = new FakeEngine([summary('a')]);
    const s = open(e0, { columns: 140 });
    const f = await s.waitFor((x) => hasRow(x, 'a'));
    const footer = f.split('\n').slice(-3).join('  ');
    // every command this engine can do (the host picker needs several hosts: test/screens/all-hosts.test.tsx)
    const can = LIST_COMMANDS.filter((c) => engineCan(c, e0));
    expect(can.length).toBe(LIST_COMMANDS.length - 1);
    for (const h of hintsFor(can, false)) expect(footer).toContain(`${h.keys} ${h.label}`);
    expect(footer).not.toContain('H host');
    s.unmount();
    const n = open(new FakeEngine([summary('a')]), { columns: 80 });
    const f80 = await n.waitFor((x) => hasRow(x, 'a'));
    const footer80 = f80.split('\n').slice(-2).join('  ');
    for (const h of hintsFor(can, false).filter((x) => !x.minor)) expect(footer80).toContain(`${h.keys} ${h.label}`);
  });

  it('/ filters the list by name', async () => {
    const s = open(new FakeEngine([summary('web-01'), summary('db-01'), summary('web-02')]));
    await s.waitFor((x) => x.includes('db-01'));
    await s.press('/', 'web');
    const f = await s.waitFor((x) => x.includes('/ filter: web') && !x.includes('db-01'), 'the filtered list');
    expect(f).toContain('web-01');
    expect(f).toContain('web-02');
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('db-01'), 'the whole list back');
  });

  it('fits 80x24: no line wider than 80 cells in any frame, list, dialogs and errors included', async () => {
    const e = new FakeEngine([
      summary('a-container-with-a-rather-long-name-that-goes-on-and-on-and-on-01', 'RUNNING', { ipv4: ['10.0.3.100', '10.0.3.101', '10.0.3.102'] }),
      summary('数据库-01'),
    ]);
    e.failOn('stop', { code: 'E_TIMEOUT', message: 'x'.repeat(200), hint: 'y'.repeat(200) });
    const s = open(e);
    await s.waitFor((x) => x.includes('数据库-01'));
    await s.press('t');
    await s.waitFor((x) => x.includes('xxxx'));
    await s.press('d');
    await s.waitFor((x) => x.includes('Type the name'));
    await s.press(KEY.escape, 'c', 'z'.repeat(120));
    await s.waitFor((x) => x.includes('zzzz'));
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('characters long'));
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('数据库-01'));
    expect(s.stdout.frames.length).toBeGreaterThan(5);
    for (const raw of s.stdout.frames) expectFits(stripAnsi(raw), 80, 24);
  });

  it('R3: rows with wide characters and VS16 emoji keep the columns aligned', async () => {
    const e = new FakeEngine([
      summary('数据库-01', 'RUNNING', { pid: 77, ipv4: ['10.0.3.9'] }),
      summary('alert⚠️01'),
      summary('plain-01', 'FROZEN', { pid: 123456, ipv4: ['10.0.3.10'] }),
    ]);
    const s = open(e);
    const f = await s.waitFor((x) => x.includes('plain-01'));
    const lines = f.split('\n');
    const header = lines.find((l) => l.includes('NAME'))!;
    const rows = [lines.find((l) => l.includes('数据库-01'))!, lines.find((l) => l.includes('alert'))!, lines.find((l) => l.includes('plain-01'))!];
    const at = (l: string, re: RegExp): number => displayWidth(l.slice(0, l.search(re)));
    const stateCol = at(header, /STATE/);
    for (const l of rows) expect(at(l, /RUNNING|STOPPED|FROZEN/)).toBe(stateCol);
    // PID is right-aligned: every row's PID ends where the header's does
    const pidEnd = at(header, /PID/) + 3;
    for (const l of rows) expect(at(l, /\d+ +no +- *$|- +no +- *$/) + (l.match(/(\d+|-) +no +- *$/)![1].length)).toBe(pidEnd);
    // AUTO and PROT start at their header's cell on every row
    for (const l of rows) expect(at(l, /no +- *$/)).toBe(at(header, /AUTO/));
    for (const l of rows) expect(at(l, /- *$/)).toBe(at(header, /PROT/));
  });

  it('scrolls when there are more containers than lines, within 24 lines', async () => {
    const many = Array.from({ length: 50 }, (_, i) => summary(`c${String(i).padStart(2, '0')}`));
    const s = open(new FakeEngine(many));
    let f = await s.waitFor((x) => x.includes('c00'));
    expect(f).not.toContain('c40');
    for (let i = 0; i < 45; i++) await s.press(KEY.down);
    f = await s.waitFor((x) => x.includes('› c45'), 'c45 selected');
    expect(f).not.toContain(' c00 ');
    expectFits(f, 80, 24);
    expect(f.split('\n')).toHaveLength(24);
    await s.press('G');
    f = await s.waitFor((x) => x.includes('› c49'), 'the last row');
    expect(f).toMatch(/of 50/);
  });

  it('R2: shrinking to 60x20 and back redraws whole: right size, no duplicated rows', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING'), summary('数据库-01'), summary('db-02')]);
    const s = open(e);
    await s.waitFor((x) => x.includes('db-02'));
    s.stdout.resize(60, 20);
    let f = await s.waitFor((x) => x.split('\n').length === 20, '20 lines');
    expectFits(f, 60, 20);
    for (const n of ['web-01', '数据库-01', 'db-02']) expect(f.split(n).length - 1).toBe(1);
    s.stdout.resize(80, 24);
    f = await s.waitFor((x) => x.split('\n').length === 24, '24 lines');
    expectFits(f, 80, 24);
    for (const n of ['web-01', '数据库-01', 'db-02']) expect(f.split(n).length - 1).toBe(1);
    expect(f.split('\n')[2]).toBe('─'.repeat(80));
  });

  it('says the terminal is too small instead of drawing a broken screen', async () => {
    const s = open(new FakeEngine([summary('a')]), { columns: 30, rows: 8 });
    const f = await s.waitFor((x) => x.includes('terminal too small'));
    expectFits(f, 30, 8);
  });
});
