/**
 * UI state of the console as one pure reducer (idea: ink's
 * examples/alternate-screen, a `useReducer` tested without rendering).
 * Nothing here talks to the engine or the terminal: src/App.tsx turns key
 * presses and engine results into actions.
 */
import type { ContainerState, ContainerSummary } from '../../core/types.js';
import type { CheckReport } from '../../core/checkconfig/types.js';
import type { Status } from '../../components/StatusLine.js';
import { eraseText, type EraseHow } from './line-edit.js';

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
  | { kind: 'top' }
  /** the snapshots of one container, lxc-snapshot -L (src/screens/SnapshotsView.tsx) */
  | { kind: 'snapshots'; name: string }
  | { kind: 'help' };

/** What a one-line prompt over the list asks for. */
export type PromptPurpose =
  /** the copy's name, and full copy or snapshot clone (lxc-copy [-s]) */
  | 'copy'
  /** the new name (lxc-copy -R) */
  | 'rename'
  /** `order=N delay=S group=a,b` (lxc.start.order, lxc.start.delay, lxc.group) */
  | 'autostart';

/** Columns the list can be sorted by (`>` / `<` cycle them, `I` reverses). */
export const SORT_KEYS = ['name', 'state', 'ipv4', 'pid', 'auto', 'prot'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface SortOrder {
  key: SortKey;
  desc: boolean;
}

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
      kind: 'prompt';
      purpose: PromptPurpose;
      /** the container it is about */
      name: string;
      typed: string;
      /** copy only: a snapshot clone (lxc-copy -s) instead of a full copy */
      snapshot?: boolean;
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
  /** the host picker (all-hosts view): only that host's rows; null shows every host */
  host: string | null;
  dialog: Dialog | null;
  status: Status | null;
  /** text of the action that runs (`starting web-01`), null when idle */
  busy: string | null;
  /** a quit key was pressed while an action ran: the console quits when it ends (src/App.tsx); the busy text says so */
  quitPending: boolean;
  /** screens above the list, the last one on top ({@link Screen}) */
  screens: Screen[];
  /** set while a child (lxc-attach, lxc-console) has the terminal: what it is; no screen reads keys meanwhile */
  suspended: string | null;
  /**
   * the shell pane under the list (src/screens/ShellPane.tsx): the container whose shell runs
   * there; while set, typed keys go to that shell, not to the list
   */
  pane: { name: string } | null;
  /** marked containers (space), in the order marked; bulk start/stop/freeze/snapshot act on them */
  marked: string[];
  /** the list's sort; null: the engine's order (by name) */
  sort: SortOrder | null;
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
  | { type: 'filter-erase'; how?: EraseHow }
  | { type: 'filter-keep' }
  | { type: 'filter-clear' }
  | { type: 'open-delete'; name: string; state: ContainerState }
  | { type: 'open-console-intro'; name: string; escape: string }
  /** `snapshot` (copy only) and `error`: the prompt again after a refusal, as it was */
  | { type: 'open-prompt'; purpose: PromptPurpose; name: string; typed?: string; snapshot?: boolean; error?: string }
  | { type: 'prompt-toggle' }
  | { type: 'mark-toggle'; name: string }
  | { type: 'marks-clear' }
  | { type: 'sort-next'; dir: 1 | -1 }
  | { type: 'sort-reverse' }
  /** the host picker: the next of `hosts` after the current one, then back to every host */
  | { type: 'host-next'; hosts: readonly string[] }
  | { type: 'push'; screen: Screen }
  | { type: 'pop' }
  | { type: 'suspend'; text: string }
  | { type: 'resume' }
  /** the shell pane opens for `name` (one pane at a time: a second open replaces nothing) */
  | { type: 'pane-open'; name: string }
  /** the shell pane is gone (left with Ctrl+a q, the shell exited, or it could not start) */
  | { type: 'pane-close' }
  | { type: 'report-busy' }
  | { type: 'report'; report: CheckReport | null }
  | { type: 'dialog-text'; text: string }
  | { type: 'dialog-erase'; how?: EraseHow }
  | { type: 'dialog-error'; error: string; hint?: string }
  | { type: 'dialog-close' }
  | { type: 'quit-pending' }
  | { type: 'busy'; text: string }
  | { type: 'done'; status: Status | null }
  | { type: 'status'; status: Status | null };

/** What the busy line adds once a quit key was pressed while an action runs (see App's quit). */
export const QUIT_PENDING_NOTE = ' (quitting when it ends; Ctrl+C again quits now)';

export const initialState: UiState = {
  containers: [],
  loaded: false,
  selected: -1,
  selectedName: null,
  top: 0,
  pageSize: 10,
  filter: '',
  filterEditing: false,
  host: null,
  dialog: null,
  status: null,
  busy: null,
  quitPending: false,
  screens: [],
  suspended: null,
  pane: null,
  marked: [],
  sort: null,
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

/** A dotted IPv4 address as a number for ordering; none sorts last. */
function ipKey(c: ContainerSummary): number {
  const a = c.ipv4[0];
  if (!a) return Number.POSITIVE_INFINITY;
  return a.split('.').reduce((n, p) => n * 256 + (Number(p) || 0), 0);
}

const VALUE_OF: Record<SortKey, (c: ContainerSummary) => string | number> = {
  name: (c) => c.name,
  state: (c) => c.state,
  ipv4: ipKey,
  pid: (c) => c.pid ?? Number.POSITIVE_INFINITY,
  // on first: the rows that autostart / are protected come first in ascending order
  auto: (c) => (c.autostart ? 0 : 1),
  prot: (c) => (c.protected ? 0 : 1),
};

/**
 * `rows` in `order` (a new array): by the column's value, then by name, so
 * equal values keep a stable order across refreshes. Pure.
 */
export function sortContainers(rows: readonly ContainerSummary[], order: SortOrder): ContainerSummary[] {
  const v = VALUE_OF[order.key];
  const sign = order.desc ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = v(a);
    const y = v(b);
    const c = typeof x === 'number' && typeof y === 'number' ? (x === y ? 0 : x < y ? -1 : 1) : String(x).localeCompare(String(y));
    return c !== 0 ? sign * c : a.name.localeCompare(b.name);
  });
}

let memo: { containers: ContainerSummary[]; filter: string; host: string | null; sort: SortOrder | null; rows: ContainerSummary[] } | null = null;

/**
 * The containers the list shows: those whose name (or host, in the all-hosts
 * view) holds the filter (case-insensitive), of the picked host if one is,
 * in the sort order. The same array for the same
 * inputs (memoised on the last call), so it is cheap to call per key.
 */
export function visibleContainers(s: Pick<UiState, 'containers' | 'filter'> & { sort?: SortOrder | null; host?: string | null }): ContainerSummary[] {
  const sort = s.sort ?? null;
  const host = s.host ?? null;
  if (memo && memo.containers === s.containers && memo.filter === s.filter && memo.host === host && memo.sort === sort) return memo.rows;
  let rows = s.containers;
  if (host !== null) rows = rows.filter((c) => c.host === host);
  if (s.filter !== '') {
    const f = s.filter.toLowerCase();
    rows = rows.filter((c) => c.name.toLowerCase().includes(f) || (c.host ?? '').toLowerCase().includes(f));
  }
  if (sort) rows = sortContainers(rows, sort);
  memo = { containers: s.containers, filter: s.filter, host, sort, rows };
  return rows;
}

/** The containers bulk actions act on: the marked ones still listed, in list order. */
export function markedContainers(s: Pick<UiState, 'containers' | 'marked'>): ContainerSummary[] {
  if (s.marked.length === 0) return [];
  const m = new Set(s.marked);
  return s.containers.filter((c) => m.has(c.name));
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
      x.protected !== y.protected ||
      (x.groups ?? []).join(',') !== (y.groups ?? []).join(',') ||
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
      const names = new Set(action.containers.map((c) => c.name));
      // marks of containers that went away go with them
      const marked = state.marked.some((n) => !names.has(n)) ? state.marked.filter((n) => names.has(n)) : state.marked;
      const next: UiState = { ...state, containers: action.containers, loaded: true, marked };
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
    case 'host-next': {
      const i = state.host === null ? -1 : action.hosts.indexOf(state.host);
      const host = i + 1 < action.hosts.length ? action.hosts[i + 1] : null;
      const next = { ...state, host, top: 0 };
      const at = indexOf(next, state.selectedName);
      return select(next, at >= 0 ? at : 0);
    }
    case 'filter-text':
    case 'filter-erase': {
      const filter = action.type === 'filter-text' ? state.filter + action.text : eraseText(state.filter, action.how ?? 'char');
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
    // a dialog hides the last action's status: what shows under it after is its own outcome
    case 'open-delete':
      return { ...state, status: null, dialog: { kind: 'confirm-delete', name: action.name, state: action.state, typed: '' } };
    case 'open-prompt':
      return {
        ...state,
        status: null,
        dialog: { kind: 'prompt', purpose: action.purpose, name: action.name, typed: action.typed ?? '', ...(action.purpose === 'copy' ? { snapshot: action.snapshot ?? false } : {}), ...(action.error ? { error: action.error } : {}) },
      };
    case 'prompt-toggle': {
      const d = state.dialog;
      if (d?.kind !== 'prompt' || d.purpose !== 'copy') return state;
      return { ...state, dialog: { ...d, snapshot: !d.snapshot, error: undefined } };
    }
    case 'mark-toggle': {
      if (!state.containers.some((c) => c.name === action.name)) return state;
      const has = state.marked.includes(action.name);
      return { ...state, marked: has ? state.marked.filter((n) => n !== action.name) : [...state.marked, action.name] };
    }
    case 'marks-clear':
      return state.marked.length ? { ...state, marked: [] } : state;
    case 'sort-next':
    case 'sort-reverse': {
      let sort: SortOrder;
      if (action.type === 'sort-reverse') sort = { key: state.sort?.key ?? 'name', desc: !(state.sort?.desc ?? false) };
      else {
        const i = SORT_KEYS.indexOf(state.sort?.key ?? 'name');
        sort = { key: SORT_KEYS[(i + action.dir + SORT_KEYS.length) % SORT_KEYS.length], desc: false };
      }
      const next = { ...state, sort };
      // the same container stays selected as the rows move
      const at = indexOf(next, state.selectedName);
      return select(next, at >= 0 ? at : 0);
    }
    case 'open-console-intro':
      return { ...state, status: null, dialog: { kind: 'console-intro', name: action.name, escape: action.escape } };
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
    case 'pane-open':
      return state.pane !== null ? state : { ...state, pane: { name: action.name }, dialog: null, filterEditing: false };
    case 'pane-close':
      return state.pane === null ? state : { ...state, pane: null };
    case 'report-busy':
      return { ...state, reportBusy: true };
    case 'report':
      return { ...state, report: action.report, reportBusy: false };
    case 'dialog-text':
    case 'dialog-erase': {
      const d = state.dialog;
      if (!d) return state;
      const edit = (v: string): string =>
        action.type === 'dialog-text' ? v + action.text : eraseText(v, action.how ?? 'char');
      if (d.kind === 'confirm-delete' || d.kind === 'prompt') return { ...state, dialog: { ...d, typed: edit(d.typed), error: undefined } };
      return state;
    }
    case 'dialog-error': {
      const d = state.dialog;
      if (!d) return state;
      if (d.kind === 'confirm-delete' || d.kind === 'prompt') return { ...state, dialog: { ...d, error: action.hint ? `${action.error} (hint: ${action.hint})` : action.error } };
      return state;
    }
    case 'dialog-close':
      return state.dialog ? { ...state, dialog: null } : state;
    case 'busy':
      return { ...state, busy: state.quitPending ? `${action.text}${QUIT_PENDING_NOTE}` : action.text };
    case 'quit-pending':
      return state.quitPending || state.busy === null ? state : { ...state, quitPending: true, busy: `${state.busy}${QUIT_PENDING_NOTE}` };
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
