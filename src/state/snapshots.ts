/**
 * UI state of the snapshots screen (src/screens/SnapshotsView.tsx) as one
 * pure reducer: the snapshots as `lxc-snapshot -L` lists them, the selection
 * (kept on the same snapshot across a refresh), the open prompt or question,
 * the running action and the status line. Nothing here calls the engine.
 */
import type { SnapshotInfo } from '../../core/types.js';
import type { Status } from '../../components/StatusLine.js';
import { eraseText, type EraseHow } from './line-edit.js';

export type SnapDialog =
  /** create: an optional comment (lxc-snapshot -c) */
  | { kind: 'comment'; typed: string }
  /** restore as a new container: its name (lxc-snapshot -r SNAP -N NEW) */
  | { kind: 'as'; snap: string; typed: string; error?: string }
  /** restore in place or delete: y/n */
  | { kind: 'confirm'; what: 'restore' | 'delete'; snap: string };

export interface SnapUi {
  /** null until the first list has come */
  snaps: SnapshotInfo[] | null;
  /** index of the selected snapshot; -1 when there is none */
  selected: number;
  /** its name, so a refresh keeps it selected */
  selectedName: string | null;
  dialog: SnapDialog | null;
  /** the running action (`restoring snap0`), null when idle */
  busy: string | null;
  status: Status | null;
}

export type SnapAction =
  | { type: 'loaded'; snaps: SnapshotInfo[] }
  | { type: 'select'; index: number }
  | { type: 'open'; dialog: SnapDialog }
  | { type: 'text'; text: string }
  | { type: 'erase'; how?: EraseHow }
  | { type: 'error'; error: string }
  | { type: 'close' }
  | { type: 'busy'; text: string }
  | { type: 'done'; status: Status | null }
  | { type: 'status'; status: Status | null };

export const initialSnapUi: SnapUi = { snaps: null, selected: -1, selectedName: null, dialog: null, busy: null, status: null };

/** The selected snapshot, or undefined. */
export function selectedSnapshot(s: SnapUi): SnapshotInfo | undefined {
  return s.selected >= 0 ? s.snaps?.[s.selected] : undefined;
}

function selectAt(s: SnapUi, index: number): SnapUi {
  const n = s.snaps?.length ?? 0;
  const selected = n === 0 ? -1 : Math.max(0, Math.min(n - 1, index));
  const selectedName = selected >= 0 ? s.snaps![selected].name : null;
  if (selected === s.selected && selectedName === s.selectedName) return s;
  return { ...s, selected, selectedName };
}

/** The snapshots screen's reducer. Pure: returns `s` itself when nothing changed. */
export function snapReducer(s: SnapUi, a: SnapAction): SnapUi {
  switch (a.type) {
    case 'loaded': {
      const next = { ...s, snaps: a.snaps };
      const at = s.selectedName === null ? -1 : a.snaps.findIndex((x) => x.name === s.selectedName);
      // the newest is selected first (the one just made); a deleted one leaves the row position
      return selectAt(next, at >= 0 ? at : s.snaps === null ? a.snaps.length - 1 : s.selected);
    }
    case 'select':
      return selectAt(s, a.index);
    case 'open':
      // the last action's status goes: what shows under the dialog after is its own outcome
      return { ...s, dialog: a.dialog, status: null };
    case 'text':
    case 'erase': {
      const d = s.dialog;
      if (!d || d.kind === 'confirm') return s;
      const typed = a.type === 'text' ? d.typed + a.text : eraseText(d.typed, a.how ?? 'char');
      return { ...s, dialog: d.kind === 'as' ? { ...d, typed, error: undefined } : { ...d, typed } };
    }
    case 'error':
      return s.dialog?.kind === 'as' ? { ...s, dialog: { ...s.dialog, error: a.error } } : s;
    case 'close':
      return s.dialog ? { ...s, dialog: null } : s;
    case 'busy':
      return { ...s, busy: a.text };
    case 'done':
      return { ...s, busy: null, status: a.status };
    case 'status':
      return { ...s, status: a.status };
    default: {
      const never: never = a;
      return never;
    }
  }
}
