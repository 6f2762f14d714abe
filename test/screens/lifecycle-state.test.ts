/**
 * Issue 9's UI state, pure: marks (survive a refresh, vanish with their
 * container), the sort (kept across refreshes, the selection following the
 * container, not the index), the prompts, the snapshots screen's reducer,
 * and the key table's read-only and capability rules.
 */
import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { initialState, markedContainers, reducer, selectedContainer, sortContainers, visibleContainers, type Action, type UiState } from '../../src/state/reducer.js';
import { initialSnapUi, selectedSnapshot, snapReducer } from '../../src/state/snapshots.js';
import { LIST_COMMANDS, NO_KEY, PROCESS_COMMANDS, SNAPSHOT_COMMANDS, STATS_VIEW_COMMANDS, TOP_COMMANDS, commandFor, engineCan, offered, refusalOf, type Command } from '../../src/keymap.js';
import { mergeSampled } from '../../src/state/list-merge.js';
import { parseAutostartInput } from '../../src/screens/ContainerList.js';
import { FakeEngine, sample, summary } from '../helpers/fake-engine.js';

function run(s: UiState, ...actions: Action[]): UiState {
  return actions.reduce(reducer, s);
}

const loaded = (cs = [summary('a'), summary('b', 'RUNNING', { pid: 10 }), summary('c', 'RUNNING', { pid: 5 })]): UiState =>
  run(initialState, { type: 'list-loaded', containers: cs });

describe('marks', () => {
  it('space toggles a mark; marked rows are listed in list order; marks-clear empties them', () => {
    let s = run(loaded(), { type: 'mark-toggle', name: 'c' }, { type: 'mark-toggle', name: 'a' });
    expect(s.marked).toEqual(['c', 'a']);
    expect(markedContainers(s).map((c) => c.name)).toEqual(['a', 'c']);
    s = run(s, { type: 'mark-toggle', name: 'c' });
    expect(s.marked).toEqual(['a']);
    s = run(s, { type: 'marks-clear' });
    expect(s.marked).toEqual([]);
    // a name not listed cannot be marked
    expect(run(s, { type: 'mark-toggle', name: 'zzz' }).marked).toEqual([]);
  });

  it('survive a refresh and a stats merge; a container that vanishes loses its mark', () => {
    let s = run(loaded(), { type: 'mark-toggle', name: 'a' }, { type: 'mark-toggle', name: 'b' });
    s = run(s, { type: 'list-loaded', containers: [summary('a', 'RUNNING', { pid: 3 }), summary('b', 'RUNNING', { pid: 10 }), summary('c', 'RUNNING', { pid: 5 })] });
    expect(s.marked).toEqual(['a', 'b']);
    const m = mergeSampled(s.containers, [sample('a', { pid: 3 }), sample('c', { pid: 5 })]);
    s = run(s, { type: 'list-loaded', containers: m.containers });
    expect(s.marked).toEqual(['a']);
  });
});

describe('sort', () => {
  it('> cycles the column, I reverses; the selection stays on the same container as rows move', () => {
    let s = run(loaded(), { type: 'select-name', name: 'c' });
    expect(s.selected).toBe(2);
    s = run(s, { type: 'sort-next', dir: 1 }); // state
    expect(s.sort).toEqual({ key: 'state', desc: false });
    expect(visibleContainers(s).map((c) => c.name)).toEqual(['b', 'c', 'a']);
    expect(selectedContainer(s)?.name).toBe('c');
    s = run(s, { type: 'sort-reverse' });
    expect(visibleContainers(s).map((c) => c.name)).toEqual(['a', 'b', 'c']);
    s = run(s, { type: 'sort-next', dir: 1 }, { type: 'sort-next', dir: 1 }); // ipv4, then pid
    expect(s.sort).toEqual({ key: 'pid', desc: false });
    expect(visibleContainers(s).map((c) => c.name)).toEqual(['c', 'b', 'a']);
    expect(selectedContainer(s)?.name).toBe('c');
    expect(run(s, { type: 'sort-next', dir: -1 }).sort?.key).toBe('ipv4');
  });

  it('stays while the list refreshes: a container that starts moves, the selection goes with it', () => {
    let s = run(loaded(), { type: 'sort-next', dir: 1 }, { type: 'select-name', name: 'a' }); // by state: b c a
    expect(s.selected).toBe(2);
    s = run(s, { type: 'list-loaded', containers: [summary('a', 'RUNNING', { pid: 1 }), summary('b', 'STOPPED'), summary('c', 'RUNNING', { pid: 5 })] });
    expect(s.sort).toEqual({ key: 'state', desc: false });
    expect(visibleContainers(s).map((c) => c.name)).toEqual(['a', 'c', 'b']);
    expect(selectedContainer(s)?.name).toBe('a');
    expect(s.selected).toBe(0);
  });

  it('filters, then sorts; ties go by name; addresses sort as numbers', () => {
    const rows = [summary('x', 'RUNNING', { ipv4: ['10.0.3.10'] }), summary('y', 'RUNNING', { ipv4: ['10.0.3.9'] }), summary('z')];
    expect(sortContainers(rows, { key: 'ipv4', desc: false }).map((c) => c.name)).toEqual(['y', 'x', 'z']);
    const s = run(loaded([summary('web-2', 'RUNNING'), summary('db'), summary('web-1')]), { type: 'filter-text', text: 'web' }, { type: 'sort-reverse' });
    expect(visibleContainers(s).map((c) => c.name)).toEqual(['web-2', 'web-1']);
  });

  it('autostart, groups and protection from engine.list() survive a stats merge and count as a change', () => {
    const a = summary('a', 'RUNNING', { pid: 3, autostart: true, groups: ['web'], protected: true });
    const m = mergeSampled([a], [sample('a', { pid: 9 })]);
    expect(m.containers[0]).toMatchObject({ autostart: true, groups: ['web'], protected: true, pid: 9 });
    const s = loaded([summary('a')]);
    expect(run(s, { type: 'list-loaded', containers: [summary('a', 'STOPPED', { protected: true })] }).containers[0].protected).toBe(true);
    expect(run(s, { type: 'list-loaded', containers: [summary('a', 'STOPPED', { groups: ['db'] })] }).containers[0].groups).toEqual(['db']);
  });
});

describe('prompts', () => {
  it('the copy prompt toggles full/snapshot with Tab, takes text, and shows an error with its hint', () => {
    let s = run(loaded(), { type: 'open-prompt', purpose: 'copy', name: 'a', typed: 'a-copy' });
    expect(s.dialog).toMatchObject({ kind: 'prompt', purpose: 'copy', typed: 'a-copy', snapshot: false });
    s = run(s, { type: 'prompt-toggle' }, { type: 'dialog-erase' }, { type: 'dialog-text', text: 'x' });
    expect(s.dialog).toMatchObject({ typed: 'a-copx', snapshot: true });
    s = run(s, { type: 'dialog-error', error: 'bad', hint: 'try another' });
    expect(s.dialog).toMatchObject({ error: 'bad (hint: try another)' });
    // Tab means nothing in the rename prompt
    const r = run(loaded(), { type: 'open-prompt', purpose: 'rename', name: 'a', typed: 'a' });
    expect(run(r, { type: 'prompt-toggle' })).toBe(r);
  });

  it('autostart settings: order, delay and groups; anything else is refused', () => {
    expect(parseAutostartInput('order=10 delay=5 group=web,db')).toEqual({ order: 10, delay: 5, groups: ['web', 'db'] });
    expect(parseAutostartInput('group=')).toEqual({ groups: [] });
    expect(() => parseAutostartInput('order=-1')).toThrow(/whole number/);
    expect(() => parseAutostartInput('speed=9')).toThrow(/not order=N/);
    expect(() => parseAutostartInput('group=web,d=b')).toThrow(/may hold only/);
    expect(() => parseAutostartInput('')).toThrow(/nothing to set/);
  });
});

describe('snapshots screen state', () => {
  const snaps = [
    { name: 'snap0', created: null, comment: null },
    { name: 'snap1', created: null, comment: 'before upgrade' },
  ];
  it('selects the newest first, keeps the selection by name on refresh, keeps the row when it goes', () => {
    let s = snapReducer(initialSnapUi, { type: 'loaded', snaps });
    expect(selectedSnapshot(s)?.name).toBe('snap1');
    s = snapReducer(s, { type: 'select', index: 0 });
    s = snapReducer(s, { type: 'loaded', snaps: [...snaps, { name: 'snap2', created: null, comment: null }] });
    expect(selectedSnapshot(s)?.name).toBe('snap0');
    s = snapReducer(s, { type: 'loaded', snaps: snaps.slice(1) });
    expect(selectedSnapshot(s)?.name).toBe('snap1');
    s = snapReducer(s, { type: 'loaded', snaps: [] });
    expect(s.selected).toBe(-1);
  });
  it('prompts take text; a y/n question takes none; busy and done', () => {
    let s = snapReducer(initialSnapUi, { type: 'open', dialog: { kind: 'as', snap: 'snap0', typed: 'web' } });
    s = snapReducer(snapReducer(s, { type: 'text', text: '-2' }), { type: 'error', error: 'exists' });
    expect(s.dialog).toEqual({ kind: 'as', snap: 'snap0', typed: 'web-2', error: 'exists' });
    s = snapReducer(s, { type: 'erase' });
    expect(s.dialog).toEqual({ kind: 'as', snap: 'snap0', typed: 'web-' });
    const q = snapReducer(initialSnapUi, { type: 'open', dialog: { kind: 'confirm', what: 'delete', snap: 'snap0' } });
    expect(snapReducer(q, { type: 'text', text: 'x' })).toBe(q);
    s = snapReducer(snapReducer(s, { type: 'busy', text: 'restoring' }), { type: 'done', status: { kind: 'ok', message: 'done' } });
    expect(s).toMatchObject({ busy: null, status: { message: 'done' } });
  });
});

describe('the key table: read-only mode and capabilities', () => {
  const key = (over: Partial<Key> = {}): Key => ({ ...NO_KEY, ...over });
  // every capability, the all-hosts view's host picker included
  const engine = Object.assign(new FakeEngine(), { hostNames: () => ['local'] });
  const TABLES: readonly (readonly Command[])[] = [LIST_COMMANDS, SNAPSHOT_COMMANDS, PROCESS_COMMANDS, STATS_VIEW_COMMANDS, TOP_COMMANDS];

  it('every command that changes something is refused and hidden in read-only mode; the others are not', () => {
    for (const table of TABLES) {
      const shown = offered(table, { readOnly: true, engine });
      for (const c of table) {
        const no = refusalOf(c, { readOnly: true, engine });
        if (c.changes) {
          expect(no?.message, c.id).toBe(`read-only mode: ${c.show?.unicode ?? c.keys[0]} ${c.label} is disabled`);
          expect(shown).not.toContain(c);
        } else {
          expect(no, c.id).toBeNull();
          expect(shown).toContain(c);
        }
        expect(refusalOf(c, { readOnly: false, engine }), c.id).toBeNull();
      }
    }
  });

  it('what changes and what only looks: attach, console and limits change; info, procs, stats, log, top, filter, sort, snapshots list do not', () => {
    const changes = (id: string): boolean => LIST_COMMANDS.find((c) => c.id === id)!.changes;
    for (const id of ['start', 'stop', 'freeze', 'delete', 'create', 'attach', 'console', 'limits', 'setup', 'restart', 'copy', 'rename', 'autostart', 'autostartSettings', 'protect', 'snapshot']) expect(changes(id), id).toBe(true);
    for (const id of ['info', 'processes', 'stats', 'log', 'top', 'filter', 'sortNext', 'sortReverse', 'snapshots', 'mark', 'unmark', 'refresh', 'checkconfig', 'quit']) expect(changes(id), id).toBe(false);
  });

  it('a command whose engine method is missing is hidden and refused', () => {
    const old = new FakeEngine().without('rename', 'snapshots');
    const rename = commandFor(LIST_COMMANDS, 'e', key())!;
    expect(engineCan(rename, old)).toBe(false);
    expect(offered(LIST_COMMANDS, { readOnly: false, engine: old }).map((c) => c.id)).not.toContain('rename');
    expect(offered(LIST_COMMANDS, { readOnly: false, engine: old }).map((c) => c.id)).not.toContain('snapshots');
    expect(refusalOf(rename, { readOnly: false, engine: old })?.message).toBe('rename is not available: this engine has no rename');
    expect(engineCan(rename, new FakeEngine())).toBe(true);
  });

  it('space marks; the new keys are where the README says', () => {
    expect(commandFor(LIST_COMMANDS, ' ', key())?.id).toBe('mark');
    const ids = Object.fromEntries(['R', 'n', 'N', 'C', 'e', 'A', 'O', 'P', 'u', '>', '<', 'I'].map((k) => [k, commandFor(LIST_COMMANDS, k, key({ shift: /[A-Z]/.test(k) }))?.id]));
    expect(ids).toEqual({ R: 'restart', n: 'snapshots', N: 'snapshot', C: 'copy', e: 'rename', A: 'autostart', O: 'autostartSettings', P: 'protect', u: 'unmark', '>': 'sortNext', '<': 'sortPrev', I: 'sortReverse' });
  });
});
