/**
 * The snapshots of one container, as `lxc-snapshot -L` lists them: name,
 * creation time and comment. Keys (SNAPSHOT_COMMANDS in src/keymap.ts):
 * `c` snapshot now (an optional comment, lxc-snapshot -c), `R` restore in
 * place (y/n; the engine refuses unless the container is STOPPED, and the
 * refusal is shown), `a` restore as a new container (its name;
 * lxc-snapshot -r SNAP -N NEW), `d` delete (y/n), `r` list again, Esc back.
 * One action at a time; while one runs the status line says what.
 * State: src/state/snapshots.ts (a pure reducer).
 */
import React, { useCallback, useEffect, useRef } from 'react';
import { Box, type Key } from 'ink';
import type { SnapshotInfo } from '../../core/types.js';
import { formatError } from '../../core/errors.js';
import { validateContainerName } from '../../core/names.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { Table, type Column } from '../../components/Table.js';
import { Dialog, dialogHeight, type DialogLine } from '../../components/Dialog.js';
import { TextPrompt, textPromptHeight, type TextPromptProps } from '../../components/TextPrompt.js';
import { eraseHowOf, DIALOG_COMMANDS, SNAPSHOT_COMMANDS, YES_NO_COMMANDS, commandFor, quitHow, hintsFor, offeredHints, refusalOf, textOf } from '../keymap.js';
import { useKeys, useRefReducer } from '../hooks/use-keys.js';
import { initialSnapUi, selectedSnapshot, snapReducer } from '../state/snapshots.js';
import { scrollTop } from '../state/reducer.js';
import type { ScreenProps } from './types.js';

/** `2026-12-04T23:10:00.000Z` as `2026-12-04 23:10:00` (UTC); other text as it is. */
export function createdText(created: string | null): string {
  if (!created) return '-';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(created);
  return m ? `${m[1]} ${m[2]}` : created;
}

export const SNAPSHOT_COLUMNS: readonly Column<SnapshotInfo>[] = [
  { key: 'name', header: 'NAME', minWidth: 5, maxWidth: 20, value: (s) => s.name },
  { key: 'created', header: 'CREATED (UTC)', width: 19, value: (s) => createdText(s.created) },
  { key: 'comment', header: 'COMMENT', minWidth: 7, value: (s) => (s.comment ?? '').replace(/\s+/g, ' ').trim() || '-' },
];

export function SnapshotsView(props: ScreenProps & { name: string }): React.JSX.Element {
  const { engine, name, width, height, theme, dispatch, onQuit } = props;
  const ctx = { readOnly: props.readOnly ?? false, engine };
  const [ui, d, get] = useRefReducer(snapReducer, initialSnapUi);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const load = useCallback(async (): Promise<void> => {
    if (!engine.snapshots) {
      d({ type: 'loaded', snaps: [] });
      d({ type: 'status', status: { kind: 'error', message: 'this engine cannot list snapshots' } });
      return;
    }
    try {
      const snaps = await engine.snapshots(name);
      if (mounted.current) d({ type: 'loaded', snaps });
    } catch (e) {
      if (!mounted.current) return;
      const { message, hint } = formatError(e);
      d({ type: 'loaded', snaps: get().snaps ?? [] });
      d({ type: 'status', status: { kind: 'error', message: `cannot list the snapshots of ${name}: ${message}`, hint } });
    }
  }, [engine, name, d, get]);
  useEffect(() => {
    void load();
  }, [load]);

  /** Runs one action; its outcome goes to the status line, then the list is read again. */
  const act = async (busy: string, run: () => Promise<unknown>, ok: string): Promise<void> => {
    if (get().busy !== null || props.getState().busy !== null) return;
    d({ type: 'busy', text: busy });
    // the console's busy too: one action at a time, and a quit key waits for it (src/App.tsx)
    props.dispatch({ type: 'busy', text: busy });
    try {
      await run();
      if (mounted.current) d({ type: 'done', status: { kind: 'ok', message: ok } });
    } catch (e) {
      if (mounted.current) d({ type: 'done', status: { kind: 'error', ...formatError(e) } });
    } finally {
      props.dispatch({ type: 'done', status: props.getState().status });
    }
    if (mounted.current) await load();
  };

  const rows = ui.snaps ?? [];
  const dlg = ui.dialog;
  // c is offered (not read-only, the engine can snapshot): only then does the screen suggest it
  const createCmd = SNAPSHOT_COMMANDS.find((x) => x.id === 'create');
  const canCreate = createCmd !== undefined && refusalOf(createCmd, ctx) === null;
  const hints = dlg
    ? hintsFor(dlg.kind === 'confirm' ? YES_NO_COMMANDS : DIALOG_COMMANDS, theme.ascii)
    : offeredHints(SNAPSHOT_COMMANDS, ctx, theme.ascii);
  const body = frameBodyHeight(height, width, hints, theme.ascii);
  let dialog: React.JSX.Element | null = null;
  let dialogLines = 0;
  if (dlg?.kind === 'comment' || dlg?.kind === 'as') {
    const p: TextPromptProps =
      dlg.kind === 'comment'
        ? { title: `Snapshot ${name} now`, label: 'comment: ', value: dlg.typed, rule: 'optional; Enter makes the snapshot (lxc-snapshot -c)', width, theme }
        : { title: `Restore ${dlg.snap} of ${name} as a new container`, label: 'name: ', value: dlg.typed, rule: 'a new container with its own address and MAC', error: dlg.error, width, theme };
    dialog = <TextPrompt {...p} />;
    dialogLines = textPromptHeight(p);
  } else if (dlg?.kind === 'confirm') {
    const title = dlg.what === 'restore' ? `Restore ${name} to ${dlg.snap}? y/n` : `Delete snapshot ${dlg.snap} of ${name}? y/n`;
    const lines: DialogLine[] = [
      {
        text:
          dlg.what === 'restore'
            ? `${name}'s rootfs and config are replaced by the snapshot's; changes since it was taken are lost. ${name} must be STOPPED.`
            : 'The snapshot is removed; this cannot be undone.',
      },
      { text: `y: ${dlg.what}; n or Esc: keep it`, color: 'yellow' },
    ];
    dialog = <Dialog title={title} lines={lines} width={width} theme={theme} accent="red" />;
    dialogLines = dialogHeight(title, lines, width, theme.ascii);
  }
  const tableRows = Math.max(1, body - 2 - dialogLines);
  const top = scrollTop(0, ui.selected, tableRows, rows.length);

  useKeys(
    (input: string, key: Key) => {
      const s = get();
      const open = s.dialog;
      if (open?.kind === 'confirm') {
        const c = commandFor(YES_NO_COMMANDS, input, key);
        if (c?.id === 'yes') {
          d({ type: 'close' });
          if (open.what === 'restore') void act(`restoring ${name} to ${open.snap}`, () => engine.restoreSnapshot!(name, open.snap), `restored ${name} to ${open.snap}`);
          else void act(`deleting snapshot ${open.snap}`, () => engine.deleteSnapshot!(name, open.snap), `deleted snapshot ${open.snap} of ${name}`);
        } else if (c?.id === 'no') d({ type: 'close' });
        return;
      }
      if (open) {
        const c = commandFor(DIALOG_COMMANDS, input, key);
        if (c?.id === 'cancel') d({ type: 'close' });
        else if (c?.id === 'erase') d({ type: 'erase', how: eraseHowOf(input, key) });
        else if (c?.id === 'confirm') {
          if (open.kind === 'comment') {
            d({ type: 'close' });
            const comment = open.typed.trim();
            void act(`snapshotting ${name}`, () => engine.snapshot!(name, comment ? { comment } : {}), `snapshot of ${name} made`);
          } else {
            const as = open.typed.trim();
            try {
              validateContainerName(as);
            } catch (e) {
              d({ type: 'error', error: formatError(e).message });
              return;
            }
            d({ type: 'close' });
            void act(`restoring ${open.snap} as ${as}`, () => engine.restoreSnapshot!(name, open.snap, { as }), `restored ${open.snap} of ${name} as ${as}`);
          }
        } else {
          const t = textOf(input, key);
          if (t) d({ type: 'text', text: t });
        }
        return;
      }
      const c = commandFor(SNAPSHOT_COMMANDS, input, key);
      if (!c) return;
      const no = refusalOf(c, ctx);
      if (no) {
        d({ type: 'status', status: { kind: 'error', ...no } });
        return;
      }
      const cur = s.selected;
      const n = s.snaps?.length ?? 0;
      switch (c.id) {
        case 'up':
          return d({ type: 'select', index: cur - 1 });
        case 'down':
          return d({ type: 'select', index: cur + 1 });
        case 'pageUp':
          return d({ type: 'select', index: cur - tableRows });
        case 'pageDown':
          return d({ type: 'select', index: cur + tableRows });
        case 'home':
          return d({ type: 'select', index: 0 });
        case 'end':
          return d({ type: 'select', index: n - 1 });
        case 'refresh':
          void load();
          return;
        case 'back':
          dispatch({ type: 'pop' });
          return;
        case 'quit':
          onQuit(quitHow(input, key));
          return false;
        default:
          break;
      }
      if (s.busy !== null) return; // one action at a time
      if (c.id === 'create') {
        // LXC snapshots only a STOPPED container (so does every backend here): the prompt opens at
        // once (keys typed meanwhile go into it), and closes with the refusal as soon as the state
        // reads otherwise, before a comment is typed (the trial typed one, then was refused)
        d({ type: 'open', dialog: { kind: 'comment', typed: '' } });
        void engine
          .info(name)
          .then((i) => i.state, () => null)
          .then((st) => {
            if (!mounted.current || st === null || st === 'STOPPED' || get().dialog?.kind !== 'comment') return;
            d({ type: 'close' });
            d({ type: 'status', status: { kind: 'error', message: `${name} is ${st}: LXC snapshots only a STOPPED container`, hint: `stop it first (t in the list, or lxdeck stop ${name}), then press c here` } });
          });
        return;
      }
      const sel = selectedSnapshot(s);
      if (!sel) return d({ type: 'status', status: { kind: 'info', message: `${name} has no snapshot selected`, ...(canCreate ? { hint: 'press c to make one' } : {}) } });
      if (c.id === 'restore') return d({ type: 'open', dialog: { kind: 'confirm', what: 'restore', snap: sel.name } });
      if (c.id === 'delete') return d({ type: 'open', dialog: { kind: 'confirm', what: 'delete', snap: sel.name } });
      if (c.id === 'restoreAs') return d({ type: 'open', dialog: { kind: 'as', snap: sel.name, typed: `${name}-${sel.name}` } });
      return undefined;
    },
    true,
    props.takePendingKeys,
  );

  const right = ui.snaps === null ? '' : `${rows.length} snapshot${rows.length === 1 ? '' : 's'}`;
  return (
    <Frame title={`Snapshots of ${name}`} right={right} width={width} height={height} theme={theme} status={ui.status} busy={ui.busy === null ? null : (props.state.busy ?? ui.busy)} hints={hints}>
      <Box flexDirection="column" width={width} height={body}>
        <Table
          columns={SNAPSHOT_COLUMNS}
          rows={rows}
          rowKey={(x) => x.name}
          selected={ui.selected}
          top={top}
          height={tableRows}
          width={width}
          theme={theme}
          empty={ui.snaps === null ? 'reading…' : `no snapshots of ${name}${canCreate ? '; press c to make one' : ''}`}
        />
        {dialog}
      </Box>
    </Frame>
  );
}
