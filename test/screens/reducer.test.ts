import { describe, expect, it } from 'vitest';
import { initialState, reducer, scrollTop, selectedContainer, topScreen, visibleContainers, type Action, type UiState } from '../../src/state/reducer.js';
import { summary } from '../helpers/fake-engine.js';

function run(actions: Action[], from: UiState = initialState): UiState {
  return actions.reduce(reducer, from);
}

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `c${String(i).padStart(2, '0')}`);
const loaded = (list: string[]): Action => ({ type: 'list-loaded', containers: list.map((n) => summary(n)) });

describe('UI reducer', () => {
  it('selects the first container when the first list arrives', () => {
    const s = run([loaded(['a', 'b'])]);
    expect(s.loaded).toBe(true);
    expect(s.selected).toBe(0);
    expect(selectedContainer(s)?.name).toBe('a');
  });

  it('keeps the same container selected across a refresh that adds rows above it', () => {
    const s = run([loaded(['b', 'c']), { type: 'move', delta: 1 }, loaded(['a', 'b', 'c'])]);
    expect(selectedContainer(s)?.name).toBe('c');
    expect(s.selected).toBe(2);
  });

  it('keeps the row position when the selected container goes away', () => {
    const s = run([loaded(['a', 'b', 'c']), { type: 'move', delta: 1 }, loaded(['a', 'c'])]);
    expect(selectedContainer(s)?.name).toBe('c');
  });

  it('returns the same state object for an identical list (no redraw)', () => {
    const s = run([loaded(['a', 'b'])]);
    expect(reducer(s, loaded(['a', 'b']))).toBe(s);
  });

  it('clamps moves and scrolls so the selection stays on screen', () => {
    let s = run([{ type: 'viewport', pageSize: 5 }, loaded(names(20))]);
    s = run([{ type: 'move', delta: -3 }], s);
    expect(s.selected).toBe(0);
    s = run([{ type: 'move', delta: 7 }], s);
    expect(s.selected).toBe(7);
    expect(s.top).toBe(3);
    s = run([{ type: 'move-to', where: 'last' }], s);
    expect(s.selected).toBe(19);
    expect(s.top).toBe(15);
    s = run([{ type: 'page', dir: -1 }], s);
    expect(s.selected).toBe(14);
    expect(s.top).toBe(14);
    s = run([{ type: 'viewport', pageSize: 10 }], s);
    // a bigger page shows more rows above instead of blank rows below
    expect(s.top).toBe(10);
  });

  it('scrollTop never leaves blank rows at the bottom while rows above are hidden', () => {
    expect(scrollTop(15, 16, 5, 20)).toBe(15);
    expect(scrollTop(18, 19, 5, 20)).toBe(15);
    expect(scrollTop(0, 3, 10, 4)).toBe(0);
    expect(scrollTop(5, 2, 5, 20)).toBe(2);
  });

  it('filters by a case-insensitive substring of the name and keeps the selection when it still shows', () => {
    let s = run([loaded(['web-01', 'db-01', 'Web-02']), { type: 'move', delta: 2 }, { type: 'filter-open' }]);
    s = run([{ type: 'filter-text', text: 'web' }], s);
    expect(visibleContainers(s).map((c) => c.name)).toEqual(['web-01', 'Web-02']);
    expect(selectedContainer(s)?.name).toBe('Web-02');
    s = run([{ type: 'filter-erase' }, { type: 'filter-erase' }, { type: 'filter-erase' }, { type: 'filter-text', text: 'zz' }], s);
    expect(visibleContainers(s)).toEqual([]);
    expect(s.selected).toBe(-1);
    s = run([{ type: 'filter-clear' }], s);
    expect(s.filter).toBe('');
    expect(s.filterEditing).toBe(false);
    expect(visibleContainers(s)).toHaveLength(3);
    expect(s.selected).toBe(0);
  });

  it('the delete dialog collects typed text, clears its error on typing, and closes', () => {
    let s = run([loaded(['web']), { type: 'open-delete', name: 'web', state: 'RUNNING' }, { type: 'dialog-text', text: 'wex' }]);
    expect(s.dialog).toEqual({ kind: 'confirm-delete', name: 'web', state: 'RUNNING', typed: 'wex' });
    s = run([{ type: 'dialog-error', error: 'no match' }], s);
    expect(s.dialog && s.dialog.kind === 'confirm-delete' && s.dialog.error).toBe('no match');
    s = run([{ type: 'dialog-erase' }, { type: 'dialog-text', text: 'b' }], s);
    expect(s.dialog).toEqual({ kind: 'confirm-delete', name: 'web', state: 'RUNNING', typed: 'web', error: undefined });
    s = run([{ type: 'dialog-close' }], s);
    expect(s.dialog).toBeNull();
  });

  it('opening a dialog clears the last status; the action after it sets its own', () => {
    const done = { type: 'done', status: { kind: 'ok', message: 'started web' } } as const;
    for (const open of [
      { type: 'open-delete', name: 'web', state: 'STOPPED' },
      { type: 'open-prompt', purpose: 'copy', name: 'web' },
      { type: 'open-console-intro', name: 'web', escape: 'Ctrl+a q' },
    ] as const) {
      let s = run([loaded(['web']), done]);
      expect(s.status?.message).toBe('started web');
      s = run([open], s);
      expect(s.status, open.type).toBeNull();
      s = run([{ type: 'dialog-close' }, { type: 'done', status: { kind: 'ok', message: 'copied web' } }], s);
      expect(s.status?.message).toBe('copied web');
    }
  });

  it('erasing removes one whole character, also a wide one', () => {
    const s = run([{ type: 'open-delete', name: 'x', state: 'STOPPED' }, { type: 'dialog-text', text: '数据库' }, { type: 'dialog-erase' }]);
    expect(s.dialog && s.dialog.kind === 'confirm-delete' && s.dialog.typed).toBe('数据');
  });

  it('screen stack: push draws a screen over the list, pop goes back; the same screen twice is one', () => {
    let s = run([{ type: 'push', screen: { kind: 'info', name: 'web' } }]);
    expect(topScreen(s)).toEqual({ kind: 'info', name: 'web' });
    s = run([{ type: 'push', screen: { kind: 'info', name: 'web' } }, { type: 'push', screen: { kind: 'processes', name: 'web' } }], s);
    expect(s.screens.map((x) => x.kind)).toEqual(['info', 'processes']);
    s = run([{ type: 'pop' }], s);
    expect(topScreen(s)?.kind).toBe('info');
    s = run([{ type: 'pop' }], s);
    expect(topScreen(s)).toBeUndefined();
    expect(run([{ type: 'pop' }], s)).toBe(s);
  });

  it('push closes an open dialog and the filter line; list state (selection, filter) is kept under the screen', () => {
    const list = [summary('a'), summary('b')];
    let s = run([{ type: 'list-loaded', containers: list }, { type: 'move', delta: 1 }, { type: 'open-delete', name: 'b', state: 'STOPPED' }]);
    s = run([{ type: 'push', screen: { kind: 'log' } }], s);
    expect(s.dialog).toBeNull();
    s = run([{ type: 'pop' }], s);
    expect(s.selectedName).toBe('b');
  });

  it('suspend and resume: the hand-off text, then nothing', () => {
    let s = run([{ type: 'open-console-intro', name: 'web', escape: 'Ctrl+a q' }]);
    expect(s.dialog).toEqual({ kind: 'console-intro', name: 'web', escape: 'Ctrl+a q' });
    s = run([{ type: 'suspend', text: 'attaching to web' }], s);
    expect(s.suspended).toBe('attaching to web');
    expect(s.dialog).toBeNull();
    s = run([{ type: 'resume' }], s);
    expect(s.suspended).toBeNull();
  });

  it('busy and done: the spinner text, then the result status', () => {
    let s = run([{ type: 'busy', text: 'starting web' }]);
    expect(s.busy).toBe('starting web');
    s = run([{ type: 'done', status: { kind: 'error', message: 'failed', hint: 'look' } }], s);
    expect(s.busy).toBeNull();
    expect(s.status).toEqual({ kind: 'error', message: 'failed', hint: 'look' });
  });

  it('select-name selects a container once a list holds it', () => {
    let s = run([loaded(['a', 'b'])]);
    s = run([{ type: 'select-name', name: 'new' }], s);
    expect(s.selectedName).toBe('new');
    s = run([loaded(['a', 'b', 'new'])], s);
    expect(selectedContainer(s)?.name).toBe('new');
  });
});
