/**
 * UI state of the console as one pure reducer (idea: ink's
 * examples/alternate-screen, a `useReducer` tested without rendering).
 * Nothing here talks to the engine or the terminal: src/App.tsx turns key
 * presses and engine results into actions.
 */
import type { ContainerState, ContainerSummary } from '../../core/types.js';
import type { CheckReport } from '../../core/checkconfig/types.js';
import type { Status } from '../../components/StatusLine.js';

export type { Status };

/**
 * A screen drawn over the container list. The list is the bottom of the
 * stack and always there; `UiState.screens` holds what is above it, the
 * last one drawn. To add a screen: add a variant here, a component in
 * src/screens/ taking {@link ScreenProps} (src/screens/types.ts), a case
 * in src/App.tsx's `renderScreen`, and a command in src/keymap.ts whose
 * handler dispatches `{ type: 'push', screen }`.
 */
export type Screen =
  | { kind: 'create' }
  | { kind: 'checkconfig' }
  | { kind: 'info'; name: string }
  | { kind: 'processes'; name: string }
  | { kind: 'log' }
  | { kind: 'setup' }
  /** live stats of one container with sparklines (src/screens/StatsView.tsx) */
  | { kind: 'stats'; name: string }
  /** resource sliders of one container (src/screens/LimitsView.tsx) */
  | { kind: 'limits'; name: string }
  /** every running container, sortable, like lxc-top (src/screens/TopView.tsx) */
  | { kind: 'top' };

/** An open dialog. */
export type Dialog =
  | {
      kind: 'confirm-delete';
      /** the container to delete; the user must type exactly this */
      name: string;
      /** its state when the dialog opened (a running one is stopped first) */
      state: ContainerState;
      typed: string;
      error?: string;
    }
  | {
      /** before lxc-console takes the terminal: its escape sequence, Enter to go on */
      kind: 'console-intro';
      name: string;
      /** e.g. `Ctrl+a q` */
      escape: string;
    };

export interface UiState {
  /** as the engine listed them, in its order */
  containers: ContainerSummary[];
  /** the first list has arrived */
  loaded: boolean;
  /** index into {@link visibleContainers}; -1 when the list is empty */
  selected: number;
  /** name of the selected container, kept so a refresh does not move the selection */
  selectedName: string | null;
  /** index of the first row drawn */
  top: number;
  /** rows the list can draw (set from the terminal size) */
  pageSize: number;
  /** case-insensitive substring of the name; '' shows all */
  filter: string;
  /** the filter line has the keyboard */
  filterEditing: boolean;
  dialog: Dialog | null;
  status: Status | null;
  /** text of the action that runs (`starting web-01`), null when idle */
  busy: string | null;
  /** screens above the list, the last one on top ({@link Screen}) */
  screens: Screen[];
  /** set while a child (lxc-attach, lxc-console) has the terminal: what it is; no screen reads keys meanwhile */
  suspended: string | null;
  /** the last checkconfig report; null until one is made */
  report: CheckReport | null;
  /** the report is being made */
  reportBusy: boolean;
}

export type Action =
  | { type: 'list-loaded'; containers: ContainerSummary[] }
  | { type: 'move'; delta: number }
  | { type: 'select-name'; name: string }
  | { type: 'move-to'; where: 'first' | 'last' }
  | { type: 'page'; dir: 1 | -1 }
  | { type: 'viewport'; pageSize: number }
  | { type: 'filter-open' }
  | { type: 'filter-text'; text: string }
  | { type: 'filter-erase' }
  | { type: 'filter-keep' }
  | { type: 'filter-clear' }
  | { type: 'open-delete'; name: string; state: ContainerState }
  | { type: 'open-console-intro'; name: string; escape: string }
  | { type: 'push'; screen: Screen }
  | { type: 'pop' }
  | { type: 'suspend'; text: string }
  | { type: 'resume' }
  | { type: 'report-busy' }
  | { type: 'report'; report: CheckReport | null }
  | { type: 'dialog-text'; text: string }
  | { type: 'dialog-erase' }
  | { type: 'dialog-error'; error: string; hint?: string }
  | { type: 'dialog-close' }
  | { type: 'busy'; text: string }
  | { type: 'done'; status: Status | null }
  | { type: 'status'; status: Status | null };

export const initialState: UiState = {
  containers: [],
  loaded: false,
  selected: -1,
  selectedName: null,
  top: 0,
  pageSize: 10,
  filter: '',
  filterEditing: false,
  dialog: null,
  status: null,
  busy: null,
  screens: [],
  suspended: null,
  report: null,
  reportBusy: false,
};

/** The screen on top of the stack; undefined when the list is on top. */
export function topScreen(s: Pick<UiState, 'screens'>): Screen | undefined {
  return s.screens.at(-1);
}

function sameScreen(a: Screen, b: Screen): boolean {
  return a.kind === b.kind && ('name' in a ? a.name : '') === ('name' in b ? b.name : '');
}

/** The containers the list shows: those whose name holds the filter (case-insensitive). */
export function visibleContainers(s: Pick<UiState, 'containers' | 'filter'>): ContainerSummary[] {
  if (s.filter === '') return s.containers;
  const f = s.filter.toLowerCase();
  return s.containers.filter((c) => c.name.toLowerCase().includes(f));
}

/** The selected container, or undefined when the list is empty. */
export function selectedContainer(s: UiState): ContainerSummary | undefined {
  return s.selected >= 0 ? visibleContainers(s)[s.selected] : undefined;
}

function sameList(a: readonly ContainerSummary[], b: readonly ContainerSummary[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (
      x.name !== y.name ||
      x.state !== y.state ||
      x.pid !== y.pid ||
      x.autostart !== y.autostart ||
      x.ipv4.length !== y.ipv4.length ||
      x.ipv4.some((ip, k) => ip !== y.ipv4[k])
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Puts the selection at `index` (clamped to the visible rows) and scrolls
 * so it is drawn: `top` moves the least needed, and never leaves blank rows
 * at the bottom while rows above are hidden.
 */
function select(s: UiState, index: number): UiState {
  const rows = visibleContainers(s);
  const n = rows.length;
  const selected = n === 0 ? -1 : Math.max(0, Math.min(n - 1, index));
  const top = scrollTop(s.top, selected, s.pageSize, n);
  const selectedName = selected >= 0 ? rows[selected].name : null;
  if (selected === s.selected && top === s.top && selectedName === s.selectedName) return s;
  return { ...s, selected, top, selectedName };
}

/**
 * The first row to draw so that row `selected` is on screen, moving `top`
 * the least needed and never leaving blank lines at the bottom while rows
 * above are hidden. `page` is the number of rows drawn, `n` the row count.
 */
export function scrollTop(top: number, selected: number, page: number, n: number): number {
  const p = Math.max(1, page);
  let t = top;
  if (selected >= 0) {
    if (selected < t) t = selected;
    if (selected >= t + p) t = selected - p + 1;
  }
  return Math.max(0, Math.min(t, n - p));
}

/** Index of `name` in the visible rows, else -1. */
function indexOf(s: UiState, name: string | null): number {
  if (name === null) return -1;
  return visibleContainers(s).findIndex((c) => c.name === name);
}

/** The UI reducer. Pure: returns `state` itself when nothing changed. */
export function reducer(state: UiState, action: Action): UiState {
  switch (action.type) {
    case 'list-loaded': {
      if (state.loaded && sameList(state.containers, action.containers)) return state;
      const next: UiState = { ...state, containers: action.containers, loaded: true };
      const at = indexOf(next, state.selectedName);
      // keep the same container selected; if it went away keep the row position
      return select(next, at >= 0 ? at : state.selected < 0 ? 0 : state.selected);
    }
    case 'move':
      return select(state, state.selected + action.delta);
    case 'select-name': {
      const at = indexOf(state, action.name);
      if (at >= 0) return select(state, at);
      // not listed yet (being created): select it when a list holds it
      return { ...state, selectedName: action.name };
    }
    case 'move-to':
      return select(state, action.where === 'first' ? 0 : visibleContainers(state).length - 1);
    case 'page':
      return select(state, state.selected + action.dir * Math.max(1, state.pageSize));
    case 'viewport': {
      const pageSize = Math.max(1, Math.floor(action.pageSize));
      if (pageSize === state.pageSize) return state;
      return select({ ...state, pageSize }, state.selected);
    }
    case 'filter-open':
      return { ...state, filterEditing: true };
    case 'filter-text':
    case 'filter-erase': {
      const filter = action.type === 'filter-text' ? state.filter + action.text : [...state.filter].slice(0, -1).join('');
      const next = { ...state, filter, top: 0 };
      const at = indexOf(next, state.selectedName);
      return select(next, at >= 0 ? at : 0);
    }
    case 'filter-keep':
      return { ...state, filterEditing: false };
    case 'filter-clear': {
      const next = { ...state, filter: '', filterEditing: false };
      const at = indexOf(next, state.selectedName);
      return select(next, at >= 0 ? at : 0);
    }
    case 'open-delete':
      return { ...state, dialog: { kind: 'confirm-delete', name: action.name, state: action.state, typed: '' } };
    case 'open-console-intro':
      return { ...state, dialog: { kind: 'console-intro', name: action.name, escape: action.escape } };
    case 'push': {
      // the same screen twice in a row is one screen (a key pressed twice)
      const top = topScreen(state);
      if (top && sameScreen(top, action.screen)) return state;
      return { ...state, screens: [...state.screens, action.screen], dialog: null, filterEditing: false };
    }
    case 'pop':
      return state.screens.length ? { ...state, screens: state.screens.slice(0, -1) } : state;
    case 'suspend':
      return { ...state, suspended: action.text, dialog: null };
    case 'resume':
      return state.suspended === null ? state : { ...state, suspended: null };
    case 'report-busy':
      return { ...state, reportBusy: true };
    case 'report':
      return { ...state, report: action.report, reportBusy: false };
    case 'dialog-text':
    case 'dialog-erase': {
      const d = state.dialog;
      if (!d) return state;
      const edit = (v: string): string =>
        action.type === 'dialog-text' ? v + action.text : [...v].slice(0, -1).join('');
      if (d.kind === 'confirm-delete') return { ...state, dialog: { ...d, typed: edit(d.typed), error: undefined } };
      return state;
    }
    case 'dialog-error': {
      const d = state.dialog;
      if (!d) return state;
      if (d.kind === 'confirm-delete') return { ...state, dialog: { ...d, error: action.error } };
      return state;
    }
    case 'dialog-close':
      return state.dialog ? { ...state, dialog: null } : state;
    case 'busy':
      return { ...state, busy: action.text };
    case 'done':
      return { ...state, busy: null, status: action.status };
    case 'status':
      return { ...state, status: action.status };
    default: {
      const never: never = action;
      return never;
    }
  }
}
