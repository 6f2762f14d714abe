/**
 * Key bindings as data (idea: gemini-cli's keyBindings.ts / keyMatchers.ts,
 * k9s's action table). One table per context; the footer hints and the
 * input handler both read it, so a key shown is a key that works.
 *
 * Key spec grammar: a single printable character matches exactly that
 * character with no Ctrl/Meta (`s` is not `S`, `d` is not Ctrl+D);
 * `ctrl+X` matches Ctrl with letter X; names match Ink's key flags:
 * `up down left right pageup pagedown home end enter escape backspace
 * delete tab`, and `shift+left` / `shift+right` (put them before `left` /
 * `right` in a table: a plain arrow spec matches a shifted arrow too).
 *
 * Ink reports the usual Backspace key (DEL, 0x7f) as `delete`, so dialogs
 * treat `backspace` and `delete` alike and the list binds neither.
 */
import type { Key } from 'ink';
import type { Hint } from '../components/KeyHints.js';

export type ListCommandId =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'start'
  | 'stop'
  | 'freeze'
  | 'delete'
  | 'create'
  | 'filter'
  | 'refresh'
  | 'info'
  | 'processes'
  | 'attach'
  | 'console'
  | 'log'
  | 'checkconfig'
  | 'setup'
  | 'stats'
  | 'limits'
  | 'top'
  | 'quit';

export type DialogCommandId = 'confirm' | 'cancel' | 'erase';

export interface Command<Id extends string = string> {
  id: Id;
  /** key specs (grammar above) */
  keys: readonly string[];
  /** verb for the footer */
  label: string;
  /** destroys something: drawn in red, always asks first */
  dangerous: boolean;
  /** how the keys are shown in the footer; leave out to hide the command there */
  show?: { unicode: string; ascii: string };
  /** its hint is left out first when the footer is too narrow */
  minor?: boolean;
}

/** Moving the selection in a list: the same keys on every screen that has rows. */
const MOVE_COMMANDS: readonly Command<'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end'>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'move', dangerous: false },
  { id: 'down', keys: ['down', 'j'], label: 'move', dangerous: false },
  { id: 'pageUp', keys: ['pageup'], label: 'page up', dangerous: false },
  { id: 'pageDown', keys: ['pagedown'], label: 'page down', dangerous: false },
  { id: 'home', keys: ['home', 'g'], label: 'first', dangerous: false },
  { id: 'end', keys: ['end', 'G'], label: 'last', dangerous: false },
];

/** Commands of the container list. */
export const LIST_COMMANDS: readonly Command<ListCommandId>[] = [
  ...MOVE_COMMANDS,
  { id: 'start', keys: ['s'], label: 'start', dangerous: false, show: { unicode: 's', ascii: 's' } },
  { id: 'stop', keys: ['t'], label: 'stop', dangerous: false, show: { unicode: 't', ascii: 't' } },
  { id: 'freeze', keys: ['f'], label: 'freeze/thaw', dangerous: false, show: { unicode: 'f', ascii: 'f' } },
  { id: 'delete', keys: ['d'], label: 'delete', dangerous: true, show: { unicode: 'd', ascii: 'd' } },
  { id: 'create', keys: ['c'], label: 'create', dangerous: false, show: { unicode: 'c', ascii: 'c' } },
  { id: 'filter', keys: ['/'], label: 'filter', dangerous: false, show: { unicode: '/', ascii: '/' }, minor: true },
  { id: 'info', keys: ['enter', 'i'], label: 'info', dangerous: false, show: { unicode: 'i', ascii: 'i' } },
  { id: 'processes', keys: ['p'], label: 'procs', dangerous: false, show: { unicode: 'p', ascii: 'p' } },
  { id: 'attach', keys: ['a'], label: 'attach', dangerous: false, show: { unicode: 'a', ascii: 'a' } },
  { id: 'console', keys: ['o'], label: 'console', dangerous: false, show: { unicode: 'o', ascii: 'o' } },
  { id: 'stats', keys: ['v'], label: 'stats', dangerous: false, show: { unicode: 'v', ascii: 'v' }, minor: true },
  { id: 'limits', keys: ['L'], label: 'limits', dangerous: false, show: { unicode: 'L', ascii: 'L' } },
  { id: 'top', keys: ['T'], label: 'top', dangerous: false, show: { unicode: 'T', ascii: 'T' }, minor: true },
  { id: 'log', keys: ['l'], label: 'log', dangerous: false, show: { unicode: 'l', ascii: 'l' }, minor: true },
  { id: 'checkconfig', keys: ['K'], label: 'host check', dangerous: false, show: { unicode: 'K', ascii: 'K' }, minor: true },
  { id: 'setup', keys: ['S'], label: 'setup', dangerous: false, show: { unicode: 'S', ascii: 'S' }, minor: true },
  { id: 'refresh', keys: ['r'], label: 'refresh', dangerous: false, show: { unicode: 'r', ascii: 'r' }, minor: true },
  { id: 'quit', keys: ['q', 'ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, show: { unicode: 'q', ascii: 'q' } },
];

export type ViewCommandId = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'refresh' | 'processes' | 'back' | 'quit';

/** Commands of the read-only views (checkconfig report, info, action log): scrolling, back. */
export const VIEW_COMMANDS: readonly Command<ViewCommandId>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'scroll', dangerous: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'down', keys: ['down', 'j'], label: 'scroll', dangerous: false },
  { id: 'pageUp', keys: ['pageup', 'b'], label: 'page', dangerous: false, show: { unicode: 'PgUp/PgDn', ascii: 'PgUp/PgDn' } },
  { id: 'pageDown', keys: ['pagedown', ' '], label: 'page down', dangerous: false },
  { id: 'home', keys: ['home', 'g'], label: 'top', dangerous: false },
  { id: 'end', keys: ['end', 'G'], label: 'bottom', dangerous: false },
  { id: 'refresh', keys: ['r'], label: 'refresh', dangerous: false, show: { unicode: 'r', ascii: 'r' } },
  { id: 'processes', keys: ['p'], label: 'procs', dangerous: false },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false },
];

export type ProcessCommandId = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'term' | 'hup' | 'kill' | 'refresh' | 'back' | 'quit';

/** Commands of the processes view. */
export const PROCESS_COMMANDS: readonly Command<ProcessCommandId>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'move', dangerous: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'down', keys: ['down', 'j'], label: 'move', dangerous: false },
  { id: 'pageUp', keys: ['pageup'], label: 'page up', dangerous: false },
  { id: 'pageDown', keys: ['pagedown'], label: 'page down', dangerous: false },
  { id: 'home', keys: ['home', 'g'], label: 'first', dangerous: false },
  { id: 'end', keys: ['end', 'G'], label: 'last', dangerous: false },
  { id: 'term', keys: ['t'], label: 'SIGTERM', dangerous: false, show: { unicode: 't', ascii: 't' } },
  { id: 'hup', keys: ['h'], label: 'SIGHUP', dangerous: false, show: { unicode: 'h', ascii: 'h' } },
  { id: 'kill', keys: ['K'], label: 'SIGKILL', dangerous: true, show: { unicode: 'K', ascii: 'K' } },
  { id: 'refresh', keys: ['r'], label: 'refresh', dangerous: false, show: { unicode: 'r', ascii: 'r' } },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false },
];

export type TopCommandId = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'sortName' | 'sortCpu' | 'sortMem' | 'sortIo' | 'sortNet' | 'sortPids' | 'reverse' | 'stats' | 'limits' | 'back' | 'quit';

/** Commands of the top screen; the sort keys follow lxc-top's (n name, c CPU, b block I/O, m memory) plus e network and p pids. */
export const TOP_COMMANDS: readonly Command<TopCommandId>[] = [
  ...MOVE_COMMANDS,
  { id: 'sortCpu', keys: ['c'], label: 'CPU', dangerous: false, show: { unicode: 'c', ascii: 'c' } },
  { id: 'sortMem', keys: ['m'], label: 'mem', dangerous: false, show: { unicode: 'm', ascii: 'm' } },
  { id: 'sortIo', keys: ['b'], label: 'I/O', dangerous: false, show: { unicode: 'b', ascii: 'b' } },
  { id: 'sortNet', keys: ['e'], label: 'net', dangerous: false, show: { unicode: 'e', ascii: 'e' } },
  { id: 'sortPids', keys: ['p'], label: 'pids', dangerous: false, show: { unicode: 'p', ascii: 'p' } },
  { id: 'sortName', keys: ['n'], label: 'name', dangerous: false, show: { unicode: 'n', ascii: 'n' } },
  { id: 'reverse', keys: ['r'], label: 'reverse', dangerous: false, show: { unicode: 'r', ascii: 'r' } },
  { id: 'stats', keys: ['v', 'enter'], label: 'stats', dangerous: false, show: { unicode: 'v', ascii: 'v' }, minor: true },
  { id: 'limits', keys: ['L'], label: 'limits', dangerous: false, show: { unicode: 'L', ascii: 'L' }, minor: true },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false },
];

export type LimitsCommandId = 'up' | 'down' | 'bigLess' | 'bigMore' | 'less' | 'more' | 'unlimited' | 'type' | 'back' | 'quit';

/**
 * Commands of the resource sliders. Digits (and `.`, `-`) start a typed
 * value, which Enter applies and Esc drops (LIMIT_EDIT_COMMANDS).
 */
export const LIMITS_COMMANDS: readonly Command<LimitsCommandId>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'limit', dangerous: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'down', keys: ['down', 'j', 'tab'], label: 'limit', dangerous: false },
  { id: 'bigLess', keys: ['shift+left', 'pagedown'], label: 'big step', dangerous: false, show: { unicode: 'Shift/PgUp/PgDn', ascii: 'Shift/PgUp/PgDn' } },
  { id: 'bigMore', keys: ['shift+right', 'pageup'], label: 'big step', dangerous: false },
  { id: 'less', keys: ['left', 'h', '-'], label: 'step', dangerous: false, show: { unicode: '←→', ascii: '<-/->' } },
  { id: 'more', keys: ['right', 'l', '+'], label: 'step', dangerous: false },
  { id: 'unlimited', keys: ['u'], label: 'unlimited', dangerous: false, show: { unicode: 'u', ascii: 'u' } },
  { id: 'type', keys: ['enter', 'e'], label: 'type value', dangerous: false, show: { unicode: 'Enter/0-9', ascii: 'Enter/0-9' } },
  { id: 'back', keys: ['escape', 'q'], label: 'back', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false },
];

/** Commands while a slider's value is typed; other printable keys are text. */
export const LIMIT_EDIT_COMMANDS: readonly Command<DialogCommandId>[] = [
  { id: 'confirm', keys: ['enter'], label: 'apply', dangerous: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'cancel', keys: ['escape', 'ctrl+c'], label: 'cancel', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'erase', keys: ['backspace', 'delete'], label: 'erase', dangerous: false },
];

export type StatsViewCommandId = 'limits' | 'processes' | 'back' | 'quit';

/** Commands of the stats detail view. */
export const STATS_VIEW_COMMANDS: readonly Command<StatsViewCommandId>[] = [
  { id: 'limits', keys: ['L'], label: 'limits', dangerous: false, show: { unicode: 'L', ascii: 'L' } },
  { id: 'processes', keys: ['p'], label: 'procs', dangerous: false, show: { unicode: 'p', ascii: 'p' } },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false },
];

export type YesNoCommandId = 'yes' | 'no';

/** A yes/no question (KILL a process, make a container privileged): only `y` says yes. */
export const YES_NO_COMMANDS: readonly Command<YesNoCommandId>[] = [
  { id: 'yes', keys: ['y', 'Y'], label: 'yes', dangerous: true, show: { unicode: 'y', ascii: 'y' } },
  { id: 'no', keys: ['n', 'N', 'escape', 'ctrl+c', 'enter'], label: 'no', dangerous: false, show: { unicode: 'n/Esc', ascii: 'n/Esc' } },
];

export type WizardCommandId = 'next' | 'back' | 'fieldUp' | 'fieldDown' | 'choiceLeft' | 'choiceRight' | 'erase';

/**
 * Commands of the create wizard. Printable keys are text for the focused
 * field (a name holds any letter), so no letter is a command here; Space
 * on a choice field cycles it (textOf gives ' ' otherwise).
 */
export const WIZARD_COMMANDS: readonly Command<WizardCommandId>[] = [
  { id: 'next', keys: ['enter'], label: 'next', dangerous: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'back', keys: ['escape', 'ctrl+c'], label: 'back', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'fieldUp', keys: ['up'], label: 'field', dangerous: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'fieldDown', keys: ['down', 'tab'], label: 'field', dangerous: false },
  { id: 'choiceLeft', keys: ['left'], label: 'choose', dangerous: false, show: { unicode: '←→', ascii: '<-/->' } },
  { id: 'choiceRight', keys: ['right'], label: 'choose', dangerous: false },
  { id: 'erase', keys: ['backspace', 'delete'], label: 'erase', dangerous: false },
];

/** Commands inside a dialog (typed-name confirmation, create prompt). Other printable keys are text. */
export const DIALOG_COMMANDS: readonly Command<DialogCommandId>[] = [
  { id: 'confirm', keys: ['enter'], label: 'confirm', dangerous: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'cancel', keys: ['escape', 'ctrl+c'], label: 'cancel', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'erase', keys: ['backspace', 'delete'], label: 'erase', dangerous: false },
];

/** Commands while the filter line is edited. */
export const FILTER_COMMANDS: readonly Command<DialogCommandId>[] = [
  { id: 'confirm', keys: ['enter'], label: 'keep filter', dangerous: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'cancel', keys: ['escape', 'ctrl+c'], label: 'clear filter', dangerous: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'erase', keys: ['backspace', 'delete'], label: 'erase', dangerous: false },
];

const NAMED: Record<string, (k: Key) => boolean> = {
  up: (k) => k.upArrow,
  down: (k) => k.downArrow,
  left: (k) => k.leftArrow,
  right: (k) => k.rightArrow,
  pageup: (k) => k.pageUp,
  pagedown: (k) => k.pageDown,
  home: (k) => k.home,
  end: (k) => k.end,
  enter: (k) => k.return,
  escape: (k) => k.escape,
  backspace: (k) => k.backspace,
  delete: (k) => k.delete,
  tab: (k) => k.tab,
  'shift+left': (k) => k.shift && k.leftArrow,
  'shift+right': (k) => k.shift && k.rightArrow,
};

/**
 * True when the key event (Ink's `useInput` arguments) matches one spec.
 * @throws Error for a spec outside the grammar (a bug in a key table)
 */
export function matchKey(spec: string, input: string, key: Key): boolean {
  if (spec.startsWith('ctrl+') && spec.length === 6) {
    return key.ctrl && input.toLowerCase() === spec.slice(5);
  }
  if ([...spec].length === 1) {
    return !key.ctrl && !key.meta && input === spec;
  }
  const named = NAMED[spec];
  if (!named) throw new Error(`unknown key spec ${JSON.stringify(spec)}`);
  return named(key);
}

/** The first command in `table` one of whose keys matches, or undefined. */
export function commandFor<Id extends string>(table: readonly Command<Id>[], input: string, key: Key): Command<Id> | undefined {
  return table.find((c) => c.keys.some((s) => matchKey(s, input, key)));
}

/** Footer hints for a table: commands with `show`, in table order. */
export function hintsFor(table: readonly Command[], ascii: boolean): Hint[] {
  return table
    .filter((c) => c.show !== undefined)
    .map((c) => ({ keys: ascii ? c.show!.ascii : c.show!.unicode, label: c.label, dangerous: c.dangerous, ...(c.minor ? { minor: true } : {}) }));
}

/** A printable text chunk from a key event (typed or pasted), or '' for keys that are not text. */
export function textOf(input: string, key: Key): string {
  if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.backspace || key.delete) return '';
  if (key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) return '';
  // drop control characters a paste may carry
  return input.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '');
}

/** An Ink Key with nothing pressed: the base for keys made from parts of a chunk (and for tests). */
export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The key event one character stands for, as Ink's parse-keypress reads it alone. */
export function keyOfChar(ch: string): [string, Key] {
  if (ch === '\r') return ['', { ...NO_KEY, return: true }];
  if (ch === '\t') return ['', { ...NO_KEY, tab: true }];
  if (ch === '\b') return ['', { ...NO_KEY, backspace: true }];
  if (ch === '\u007f') return ['', { ...NO_KEY, delete: true }];
  const code = ch.codePointAt(0) ?? 0;
  if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }];
  return [ch, { ...NO_KEY, shift: /^[A-Z]$/.test(ch) }];
}

/**
 * One key event per character when Ink hands over several at once. Ink
 * passes a whole read as one event when it holds no escape sequence, so
 * `jjs` typed fast (or over a slow SSH link), or four Backspaces (DEL DEL
 * DEL DEL) arrive as one string that matches no binding. Sequences with an
 * escape character, single characters and named keys pass through as they are.
 */
export function splitKeyEvents(input: string, key: Key): [string, Key][] {
  const chars = [...input];
  if (chars.length <= 1 || input.includes('\u001b') || key.ctrl || key.meta) return [[input, key]];
  return chars.map(keyOfChar);
}
