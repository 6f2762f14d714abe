/**
 * Key bindings as data (idea: gemini-cli's keyBindings.ts / keyMatchers.ts,
 * k9s's action table). One table per context; the footer hints and the
 * input handler both read it, so a key shown is a key that works.
 *
 * Key spec grammar: a single printable character matches exactly that
 * character with no Ctrl/Meta (`s` is not `S`, `d` is not Ctrl+D);
 * `space` matches the space bar;
 * `ctrl+X` matches Ctrl with letter X; names match Ink's key flags:
 * `up down left right pageup pagedown home end enter escape backspace
 * delete tab`, and `shift+left` / `shift+right` (put them before `left` /
 * `right` in a table: a plain arrow spec matches a shifted arrow too).
 * `ctrl+X Y` is a prefix sequence, Ctrl with letter X then the character Y:
 * the shell pane's keys (PANE_COMMANDS), read from the raw input by
 * src/console/pane-keys.ts and never by {@link matchKey}.
 *
 * Ink reports the usual Backspace key (DEL, 0x7f) as `delete`, so dialogs
 * treat `backspace` and `delete` alike and the list binds neither.
 */
import type { Key } from 'ink';
import type { Hint } from '../components/KeyHints.js';
import type { Backend } from '../core/backend.js';
import type { EraseHow } from './state/line-edit.js';

export { eraseText, type EraseHow } from './state/line-edit.js';

/**
 * The keys that erase in a text field: Backspace (Ink's `delete` too, see above) one character,
 * Ctrl+W the word before the cursor, Ctrl+U the line before the cursor, as readline's
 * backward-delete-char, unix-word-rubout and unix-line-discard (bash(1), READLINE, Killing
 * and Yanking). The cursor of lxdeck's text fields is at the end of the value.
 */
export const ERASE_KEYS: readonly string[] = ['backspace', 'delete', 'ctrl+w', 'ctrl+u'];

/** The {@link EraseHow} of an erase key event: Ctrl+W a word, Ctrl+U the line, else one character. */
export function eraseHowOf(input: string, key: Key): EraseHow {
  if (matchKey('ctrl+w', input, key)) return 'word';
  if (matchKey('ctrl+u', input, key)) return 'line';
  return 'char';
}

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
  | 'hostNext'
  | 'refresh'
  | 'info'
  | 'processes'
  | 'attach'
  | 'pane'
  | 'console'
  | 'log'
  | 'checkconfig'
  | 'setup'
  | 'stats'
  | 'limits'
  | 'top'
  | 'snapshots'
  | 'restart'
  | 'mark'
  | 'unmark'
  | 'snapshot'
  | 'copy'
  | 'rename'
  | 'autostart'
  | 'autostartSettings'
  | 'protect'
  | 'sortNext'
  | 'sortPrev'
  | 'sortReverse'
  | 'help'
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
  /**
   * changes something on the host (a container, its config, a process, or a root shell that
   * could): hidden from the footer and refused in read-only mode (`lxdeck --read-only`)
   */
  changes: boolean;
  /**
   * the optional Backend methods it calls: when the engine lacks one the command is hidden
   * and refused (capability-based, as k9s hides what a resource cannot do)
   */
  needs?: readonly (keyof Backend)[];
  /** how the keys are shown in the footer; leave out to hide the command there */
  show?: { unicode: string; ascii: string };
  /** its hint is left out first when the footer is too narrow */
  minor?: boolean;
  /** its hint stays (at the end) when the footer is too narrow: `? all keys`, `q quit` */
  pinned?: boolean;
}

/** Moving the selection in a list: the same keys on every screen that has rows. */
const MOVE_COMMANDS: readonly Command<'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end'>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'move', dangerous: false, changes: false },
  { id: 'down', keys: ['down', 'j'], label: 'move', dangerous: false, changes: false },
  { id: 'pageUp', keys: ['pageup'], label: 'page up', dangerous: false, changes: false },
  { id: 'pageDown', keys: ['pagedown'], label: 'page down', dangerous: false, changes: false },
  { id: 'home', keys: ['home', 'g'], label: 'first', dangerous: false, changes: false },
  { id: 'end', keys: ['end', 'G'], label: 'last', dangerous: false, changes: false },
];

/**
 * Commands of the container list. With rows marked (space), start, stop,
 * freeze and snapshot act on every marked row; the other actions act on the
 * selected row.
 */
export const LIST_COMMANDS: readonly Command<ListCommandId>[] = [
  ...MOVE_COMMANDS,
  { id: 'start', keys: ['s'], label: 'start', dangerous: false, changes: true, show: { unicode: 's', ascii: 's' } },
  { id: 'stop', keys: ['t'], label: 'stop', dangerous: false, changes: true, show: { unicode: 't', ascii: 't' } },
  { id: 'freeze', keys: ['f'], label: 'freeze/thaw', dangerous: false, changes: true, show: { unicode: 'f', ascii: 'f' } },
  { id: 'delete', keys: ['d'], label: 'delete', dangerous: true, changes: true, show: { unicode: 'd', ascii: 'd' } },
  { id: 'create', keys: ['c'], label: 'create', dangerous: false, changes: true, show: { unicode: 'c', ascii: 'c' } },
  { id: 'filter', keys: ['/'], label: 'filter', dangerous: false, changes: false, show: { unicode: '/', ascii: '/' }, minor: true },
  // the host picker of the all-hosts view (lxdeck --all): all hosts, then each one in turn
  { id: 'hostNext', keys: ['H'], label: 'host', dangerous: false, changes: false, needs: ['hostNames'], show: { unicode: 'H', ascii: 'H' } },
  { id: 'info', keys: ['enter', 'i'], label: 'info', dangerous: false, changes: false, show: { unicode: 'i', ascii: 'i' } },
  { id: 'processes', keys: ['p'], label: 'procs', dangerous: false, changes: false, needs: ['ps'], show: { unicode: 'p', ascii: 'p' } },
  // a root shell inside: it can change anything, so read-only mode hides it
  { id: 'attach', keys: ['a'], label: 'attach', dangerous: false, changes: true, needs: ['attach'], show: { unicode: 'a', ascii: 'a' } },
  // the same root shell, in a pane below the list (src/screens/ShellPane.tsx)
  { id: 'pane', keys: ['x'], label: 'shell pane', dangerous: false, changes: true, needs: ['attachPty'], show: { unicode: 'x', ascii: 'x' }, minor: true },
  { id: 'console', keys: ['o'], label: 'console', dangerous: false, changes: true, needs: ['console'], show: { unicode: 'o', ascii: 'o' } },
  { id: 'unmark', keys: ['u'], label: 'unmark all', dangerous: false, changes: false, show: { unicode: 'u', ascii: 'u' }, minor: true },
  { id: 'snapshot', keys: ['N'], label: 'snapshot now', dangerous: false, changes: true, needs: ['snapshot'], show: { unicode: 'N', ascii: 'N' }, minor: true },
  { id: 'copy', keys: ['C'], label: 'copy', dangerous: false, changes: true, needs: ['copy'], show: { unicode: 'C', ascii: 'C' }, minor: true },
  { id: 'rename', keys: ['e'], label: 'rename', dangerous: false, changes: true, needs: ['rename'], show: { unicode: 'e', ascii: 'e' }, minor: true },
  { id: 'autostart', keys: ['A'], label: 'autostart', dangerous: false, changes: true, needs: ['setAutostart'], show: { unicode: 'A', ascii: 'A' }, minor: true },
  { id: 'autostartSettings', keys: ['O'], label: 'start order', dangerous: false, changes: true, needs: ['setAutostart'], show: { unicode: 'O', ascii: 'O' }, minor: true },
  { id: 'protect', keys: ['P'], label: 'protect', dangerous: false, changes: true, needs: ['setProtected'], show: { unicode: 'P', ascii: 'P' }, minor: true },
  { id: 'sortNext', keys: ['>'], label: 'sort', dangerous: false, changes: false, show: { unicode: '>', ascii: '>' }, minor: true },
  { id: 'sortPrev', keys: ['<'], label: 'sort', dangerous: false, changes: false },
  { id: 'sortReverse', keys: ['I'], label: 'reverse', dangerous: false, changes: false, show: { unicode: 'I', ascii: 'I' }, minor: true },
  { id: 'stats', keys: ['v'], label: 'stats', dangerous: false, changes: false, show: { unicode: 'v', ascii: 'v' }, minor: true },
  // the sliders apply limits live: a change
  { id: 'limits', keys: ['L'], label: 'limits', dangerous: false, changes: true, needs: ['setLimits'], show: { unicode: 'L', ascii: 'L' } },
  { id: 'top', keys: ['T'], label: 'top', dangerous: false, changes: false, show: { unicode: 'T', ascii: 'T' }, minor: true },
  { id: 'log', keys: ['l'], label: 'log', dangerous: false, changes: false, show: { unicode: 'l', ascii: 'l' }, minor: true },
  { id: 'checkconfig', keys: ['K'], label: 'host check', dangerous: false, changes: false, show: { unicode: 'K', ascii: 'K' }, minor: true },
  { id: 'setup', keys: ['S'], label: 'setup', dangerous: false, changes: true, show: { unicode: 'S', ascii: 'S' }, minor: true },
  { id: 'refresh', keys: ['r'], label: 'refresh', dangerous: false, changes: false, show: { unicode: 'r', ascii: 'r' }, minor: true },
  { id: 'snapshots', keys: ['n'], label: 'snapshots', dangerous: false, changes: false, needs: ['snapshots'], show: { unicode: 'n', ascii: 'n' } },
  { id: 'restart', keys: ['R'], label: 'restart', dangerous: false, changes: true, needs: ['restart'], show: { unicode: 'R', ascii: 'R' } },
  { id: 'mark', keys: ['space'], label: 'mark', dangerous: false, changes: false, show: { unicode: 'space', ascii: 'space' } },
  // every key of the list on one screen, then quit: last, and kept (pinned) when a narrow footer cuts others
  { id: 'help', keys: ['?'], label: 'all keys', dangerous: false, changes: false, show: { unicode: '?', ascii: '?' }, pinned: true },
  { id: 'quit', keys: ['q', 'ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false, show: { unicode: 'q', ascii: 'q' }, pinned: true },
];

export type PaneCommandId = 'leave' | 'sendPrefix';

/**
 * Keys of the shell pane (src/screens/ShellPane.tsx). Every other key goes to the shell. The
 * prefix is lxc-console's escape (lxc-console(1), `-e` at its default ^a), so one habit
 * leaves both: Ctrl+a q leaves (lxc-attach is ended, and the shell inside with it), Ctrl+a a
 * types one Ctrl+a into the shell (as lxc-console's Ctrl+a Ctrl+a does).
 */
export const PANE_COMMANDS: readonly Command<PaneCommandId>[] = [
  { id: 'leave', keys: ['ctrl+a q'], label: 'leave the shell', dangerous: false, changes: false, show: { unicode: 'Ctrl+a q', ascii: 'Ctrl+a q' } },
  { id: 'sendPrefix', keys: ['ctrl+a a'], label: 'type Ctrl+a', dangerous: false, changes: false, show: { unicode: 'Ctrl+a a', ascii: 'Ctrl+a a' }, minor: true },
];

export type ViewCommandId = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'refresh' | 'processes' | 'back' | 'quit';

/** Commands of the read-only views (checkconfig report, info, action log): scrolling, back. */
export const VIEW_COMMANDS: readonly Command<ViewCommandId>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'scroll', dangerous: false, changes: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'down', keys: ['down', 'j'], label: 'scroll', dangerous: false, changes: false },
  { id: 'pageUp', keys: ['pageup', 'b'], label: 'page', dangerous: false, changes: false, show: { unicode: 'PgUp/PgDn', ascii: 'PgUp/PgDn' } },
  { id: 'pageDown', keys: ['pagedown', ' '], label: 'page down', dangerous: false, changes: false },
  { id: 'home', keys: ['home', 'g'], label: 'top', dangerous: false, changes: false },
  { id: 'end', keys: ['end', 'G'], label: 'bottom', dangerous: false, changes: false },
  { id: 'refresh', keys: ['r'], label: 'refresh', dangerous: false, changes: false, show: { unicode: 'r', ascii: 'r' } },
  { id: 'processes', keys: ['p'], label: 'procs', dangerous: false, changes: false },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false },
];

export type ProcessCommandId = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'term' | 'hup' | 'kill' | 'refresh' | 'back' | 'quit';

/** Commands of the processes view. */
export const PROCESS_COMMANDS: readonly Command<ProcessCommandId>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'move', dangerous: false, changes: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'down', keys: ['down', 'j'], label: 'move', dangerous: false, changes: false },
  { id: 'pageUp', keys: ['pageup'], label: 'page up', dangerous: false, changes: false },
  { id: 'pageDown', keys: ['pagedown'], label: 'page down', dangerous: false, changes: false },
  { id: 'home', keys: ['home', 'g'], label: 'first', dangerous: false, changes: false },
  { id: 'end', keys: ['end', 'G'], label: 'last', dangerous: false, changes: false },
  { id: 'term', keys: ['t'], label: 'SIGTERM', dangerous: false, changes: true, show: { unicode: 't', ascii: 't' } },
  { id: 'hup', keys: ['h'], label: 'SIGHUP', dangerous: false, changes: true, show: { unicode: 'h', ascii: 'h' } },
  { id: 'kill', keys: ['K'], label: 'SIGKILL', dangerous: true, changes: true, show: { unicode: 'K', ascii: 'K' } },
  { id: 'refresh', keys: ['r'], label: 'refresh', dangerous: false, changes: false, show: { unicode: 'r', ascii: 'r' } },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false },
];

export type TopCommandId = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'sortName' | 'sortCpu' | 'sortMem' | 'sortIo' | 'sortNet' | 'sortPids' | 'reverse' | 'stats' | 'limits' | 'back' | 'quit';

/** Commands of the top screen; the sort keys follow lxc-top's (n name, c CPU, b block I/O, m memory) plus e network and p pids. */
export const TOP_COMMANDS: readonly Command<TopCommandId>[] = [
  ...MOVE_COMMANDS,
  { id: 'sortCpu', keys: ['c'], label: 'CPU', dangerous: false, changes: false, show: { unicode: 'c', ascii: 'c' } },
  { id: 'sortMem', keys: ['m'], label: 'mem', dangerous: false, changes: false, show: { unicode: 'm', ascii: 'm' } },
  { id: 'sortIo', keys: ['b'], label: 'I/O', dangerous: false, changes: false, show: { unicode: 'b', ascii: 'b' } },
  { id: 'sortNet', keys: ['e'], label: 'net', dangerous: false, changes: false, show: { unicode: 'e', ascii: 'e' } },
  { id: 'sortPids', keys: ['p'], label: 'pids', dangerous: false, changes: false, show: { unicode: 'p', ascii: 'p' } },
  { id: 'sortName', keys: ['n'], label: 'name', dangerous: false, changes: false, show: { unicode: 'n', ascii: 'n' } },
  { id: 'reverse', keys: ['r'], label: 'reverse', dangerous: false, changes: false, show: { unicode: 'r', ascii: 'r' } },
  { id: 'stats', keys: ['v', 'enter'], label: 'stats', dangerous: false, changes: false, show: { unicode: 'v', ascii: 'v' }, minor: true },
  { id: 'limits', keys: ['L'], label: 'limits', dangerous: false, changes: true, needs: ['setLimits'], show: { unicode: 'L', ascii: 'L' }, minor: true },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false },
];

export type LimitsCommandId = 'up' | 'down' | 'bigLess' | 'bigMore' | 'less' | 'more' | 'min' | 'max' | 'unlimited' | 'type' | 'back' | 'quit';

/**
 * Commands of the resource sliders. Digits (and `.`, `-`) start a typed
 * value, which Enter applies and Esc drops (LIMIT_EDIT_COMMANDS).
 */
export const LIMITS_COMMANDS: readonly Command<LimitsCommandId>[] = [
  { id: 'up', keys: ['up', 'k'], label: 'limit', dangerous: false, changes: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'down', keys: ['down', 'j', 'tab'], label: 'limit', dangerous: false, changes: false },
  { id: 'bigLess', keys: ['shift+left', 'pagedown'], label: 'big step', dangerous: false, changes: false, show: { unicode: 'Shift/PgUp/PgDn', ascii: 'Shift/PgUp/PgDn' } },
  { id: 'bigMore', keys: ['shift+right', 'pageup'], label: 'big step', dangerous: false, changes: false },
  { id: 'less', keys: ['left', 'h', '-'], label: 'step', dangerous: false, changes: false, show: { unicode: '←→', ascii: '<-/->' } },
  { id: 'more', keys: ['right', 'l', '+'], label: 'step', dangerous: false, changes: false },
  { id: 'min', keys: ['home'], label: 'min/max', dangerous: false, changes: false, show: { unicode: 'Home/End', ascii: 'Home/End' } },
  { id: 'max', keys: ['end'], label: 'min/max', dangerous: false, changes: false },
  { id: 'unlimited', keys: ['u'], label: 'unset', dangerous: false, changes: false, show: { unicode: 'u', ascii: 'u' } },
  { id: 'type', keys: ['enter', 'e'], label: 'type value', dangerous: false, changes: false, show: { unicode: 'Enter/0-9', ascii: 'Enter/0-9' } },
  { id: 'back', keys: ['escape', 'q'], label: 'back', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false },
];

/** Commands while a slider's value is typed; other printable keys are text. */
export const LIMIT_EDIT_COMMANDS: readonly Command<DialogCommandId>[] = [
  { id: 'confirm', keys: ['enter'], label: 'apply', dangerous: false, changes: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'cancel', keys: ['escape', 'ctrl+c'], label: 'cancel', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'erase', keys: ERASE_KEYS, label: 'erase', dangerous: false, changes: false },
];

export type StatsViewCommandId = 'limits' | 'processes' | 'back' | 'quit';

/** Commands of the stats detail view. */
export const STATS_VIEW_COMMANDS: readonly Command<StatsViewCommandId>[] = [
  { id: 'limits', keys: ['L'], label: 'limits', dangerous: false, changes: true, needs: ['setLimits'], show: { unicode: 'L', ascii: 'L' } },
  { id: 'processes', keys: ['p'], label: 'procs', dangerous: false, changes: false, show: { unicode: 'p', ascii: 'p' } },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false },
];

export type SnapshotCommandId = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'create' | 'restore' | 'restoreAs' | 'delete' | 'refresh' | 'back' | 'quit';

/** Commands of the snapshots screen (src/screens/SnapshotsView.tsx), after lxc-snapshot's -c, -r, -r -N, -d. */
export const SNAPSHOT_COMMANDS: readonly Command<SnapshotCommandId>[] = [
  ...MOVE_COMMANDS,
  { id: 'create', keys: ['c'], label: 'snapshot', dangerous: false, changes: true, needs: ['snapshot'], show: { unicode: 'c', ascii: 'c' } },
  { id: 'restore', keys: ['R'], label: 'restore', dangerous: true, changes: true, needs: ['restoreSnapshot'], show: { unicode: 'R', ascii: 'R' } },
  { id: 'restoreAs', keys: ['a'], label: 'restore as new', dangerous: false, changes: true, needs: ['restoreSnapshot'], show: { unicode: 'a', ascii: 'a' } },
  { id: 'delete', keys: ['d'], label: 'delete', dangerous: true, changes: true, needs: ['deleteSnapshot'], show: { unicode: 'd', ascii: 'd' } },
  { id: 'refresh', keys: ['r'], label: 'refresh', dangerous: false, changes: false, show: { unicode: 'r', ascii: 'r' } },
  { id: 'back', keys: ['escape', 'q', 'left'], label: 'back', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false },
];

/** Commands of a prompt with a choice (copy: full or snapshot clone); other printable keys are text. */
export const CHOICE_PROMPT_COMMANDS: readonly Command<DialogCommandId | 'choice'>[] = [
  { id: 'confirm', keys: ['enter'], label: 'confirm', dangerous: false, changes: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'cancel', keys: ['escape', 'ctrl+c'], label: 'cancel', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'choice', keys: ['tab'], label: 'full/snapshot', dangerous: false, changes: false, show: { unicode: 'Tab', ascii: 'Tab' } },
  { id: 'erase', keys: ERASE_KEYS, label: 'erase', dangerous: false, changes: false },
];

export type YesNoCommandId = 'yes' | 'no';

/** A yes/no question (KILL a process, make a container privileged): only `y` says yes. */
export const YES_NO_COMMANDS: readonly Command<YesNoCommandId>[] = [
  { id: 'yes', keys: ['y', 'Y'], label: 'yes', dangerous: true, changes: false, show: { unicode: 'y', ascii: 'y' } },
  { id: 'no', keys: ['n', 'N', 'escape', 'ctrl+c', 'enter'], label: 'no', dangerous: false, changes: false, show: { unicode: 'n/Esc', ascii: 'n/Esc' } },
];

export type WizardCommandId = 'next' | 'back' | 'fieldUp' | 'fieldDown' | 'choiceLeft' | 'choiceRight' | 'erase';

/**
 * Commands of the create wizard. Printable keys are text for the focused
 * field (a name holds any letter), so no letter is a command here; Space
 * on a choice field cycles it (textOf gives ' ' otherwise).
 */
export const WIZARD_COMMANDS: readonly Command<WizardCommandId>[] = [
  { id: 'next', keys: ['enter'], label: 'next', dangerous: false, changes: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'back', keys: ['escape', 'ctrl+c'], label: 'back', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'fieldUp', keys: ['up'], label: 'field', dangerous: false, changes: false, show: { unicode: '↑↓', ascii: 'up/dn' } },
  { id: 'fieldDown', keys: ['down', 'tab'], label: 'field', dangerous: false, changes: false },
  { id: 'choiceLeft', keys: ['left'], label: 'choose', dangerous: false, changes: false, show: { unicode: '←→', ascii: '<-/->' } },
  { id: 'choiceRight', keys: ['right'], label: 'choose', dangerous: false, changes: false },
  { id: 'erase', keys: ERASE_KEYS, label: 'erase', dangerous: false, changes: false },
];

/** Commands inside a dialog (typed-name confirmation, create prompt). Other printable keys are text. */
export const DIALOG_COMMANDS: readonly Command<DialogCommandId>[] = [
  { id: 'confirm', keys: ['enter'], label: 'confirm', dangerous: false, changes: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'cancel', keys: ['escape', 'ctrl+c'], label: 'cancel', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'erase', keys: ERASE_KEYS, label: 'erase', dangerous: false, changes: false },
];

/** Commands while the filter line is edited. */
export const FILTER_COMMANDS: readonly Command<DialogCommandId>[] = [
  { id: 'confirm', keys: ['enter'], label: 'keep filter', dangerous: false, changes: false, show: { unicode: 'Enter', ascii: 'Enter' } },
  { id: 'cancel', keys: ['escape', 'ctrl+c'], label: 'clear filter', dangerous: false, changes: false, show: { unicode: 'Esc', ascii: 'Esc' } },
  { id: 'erase', keys: ERASE_KEYS, label: 'erase', dangerous: false, changes: false },
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
  if (spec === 'space') return !key.ctrl && !key.meta && input === ' ';
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
/**
 * How a quit key ended the console: `interrupt` for Ctrl+C (the console exits 130, 128 + SIGINT,
 * as a shell reports a program ended by Ctrl+C), `key` for q or Ctrl+D (exit 0).
 */
export type QuitHow = 'key' | 'interrupt';

/** The {@link QuitHow} of the key that quit: Ctrl+C is an interrupt. */
export function quitHow(input: string, key: Key): QuitHow {
  return matchKey('ctrl+c', input, key) ? 'interrupt' : 'key';
}

export function commandFor<Id extends string>(table: readonly Command<Id>[], input: string, key: Key): Command<Id> | undefined {
  return table.find((c) => c.keys.some((s) => matchKey(s, input, key)));
}

/** Footer hints for a table: commands with `show`, in table order. */
export function hintsFor(table: readonly Command[], ascii: boolean): Hint[] {
  return table
    .filter((c) => c.show !== undefined)
    .map((c) => ({ keys: ascii ? c.show!.ascii : c.show!.unicode, label: c.label, dangerous: c.dangerous, ...(c.minor ? { minor: true } : {}), ...(c.pinned ? { pinned: true } : {}) }));
}

/** What decides whether a command is offered: the console's mode and the engine's methods. */
export interface CommandContext {
  /** `lxdeck --read-only`: commands that change something are hidden and refused */
  readOnly: boolean;
  /** the engine (its optional methods say which commands it can do) */
  engine: object;
}

/** True when the engine has every method `c` needs ({@link Command.needs}). */
export function engineCan(c: Command, engine: object): boolean {
  return (c.needs ?? []).every((m) => typeof (engine as Record<string, unknown>)[m] === 'function');
}

/** The commands of `table` offered in `ctx`: those the engine can do, and in read-only mode only those that change nothing. */
export function offered<C extends Command>(table: readonly C[], ctx: CommandContext): C[] {
  return table.filter((c) => engineCan(c, ctx.engine) && !(ctx.readOnly && c.changes));
}

/**
 * Why `c` is refused in `ctx`, as the status line says it, or null when it may run:
 * `read-only mode: s start is disabled`, or `rename is not available: this engine has no rename`.
 */
export function refusalOf(c: Command, ctx: CommandContext): { message: string; hint?: string } | null {
  const key = c.show?.unicode ?? c.keys[0];
  if (ctx.readOnly && c.changes) return { message: `read-only mode: ${key} ${c.label} is disabled`, hint: 'the console was started with --read-only (or LXDECK_READ_ONLY=1)' };
  const missing = (c.needs ?? []).find((m) => typeof (ctx.engine as Record<string, unknown>)[m] !== 'function');
  if (missing) return { message: `${c.label} is not available: this engine has no ${missing}`, hint: 'a newer lxdeck engine has it' };
  return null;
}

/** Footer hints for the commands of `table` offered in `ctx` ({@link offered}). */
export function offeredHints(table: readonly Command[], ctx: CommandContext, ascii: boolean): Hint[] {
  return hintsFor(offered(table, ctx), ascii);
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
