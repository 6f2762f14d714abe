/**
 * The container list: NAME, STATE, IPV4, PID, CPU %, memory used/limit,
 * with the key hints at the bottom. Keys act on the selected container
 * through the engine. Draws exactly `height` lines of `width` cells.
 *
 * Refresh: with a stats store (an engine with a sampler), state, PID, the
 * set of names and the CPU and memory columns come from its passes (no
 * child process, src/state/list-merge.ts), and `engine.list()` (one
 * `lxc-info` per container, the only source of IPv4) runs at start, on `r`,
 * after an action, when a pass shows a container appear, vanish, start or
 * stop, and every `listRefreshMs`. Without a store the list is polled with
 * `engine.list()` every `refreshMs`. A list is never run twice at once.
 */
import React, { useCallback, useEffect, useLayoutEffect, useRef } from 'react';
import { Box, Text, useInput, type Key } from 'ink';
import type { ContainerState, ContainerSummary } from '../../core/types.js';
import { formatError } from '../../core/errors.js';
import { Table, type Column } from '../../components/Table.js';
import { KeyHints, keyHintsHeight } from '../../components/KeyHints.js';
import { ConfirmDialog, confirmDialogHeight, type ConfirmDialogProps } from '../../components/ConfirmDialog.js';
import { Dialog, dialogHeight, type DialogLine } from '../../components/Dialog.js';
import { StatusLine, STATUS_LINES } from '../../components/StatusLine.js';
import { displayWidth, fitToWidth, safeText, tailToWidth } from '../../components/text.js';
import { glyphs, type Theme } from '../../components/theme.js';
import { DIALOG_COMMANDS, FILTER_COMMANDS, LIST_COMMANDS, commandFor, hintsFor, splitKeyEvents, textOf, type ListCommandId } from '../keymap.js';
import { type Action, scrollTop, selectedContainer, visibleContainers } from '../state/reducer.js';
import { mergeSampled } from '../state/list-merge.js';
import { useStatsListener, useStatsSelector } from '../hooks/use-stats.js';
import type { StatsSnapshot } from '../state/stats-store.js';
import { cpuText, memText } from './stats-format.js';
import type { ScreenProps } from './types.js';
import { consoleEscapeOf } from './console-escape.js';
import { setupOfferText } from './setup/setup-state.js';

/**
 * The list's props. Key handlers decide on `getState()` (every action
 * dispatched so far applied, including those React has not rendered yet),
 * so a key that arrives before the re-render of the previous key still acts
 * on the right row.
 */
export interface ContainerListProps extends ScreenProps {
  /** list refresh interval in ms without a stats store; 0 turns the timer off */
  refreshMs: number;
  /** with a stats store: the full `engine.list()` (IPv4) every this many ms; 0 = only on demand */
  listRefreshMs?: number;
  /** hands the terminal to lxc-attach / lxc-console and takes it back (App) */
  onHandOff?: (kind: 'attach' | 'console', name: string) => Promise<void>;
}

/** Default interval of the full list when the stats store keeps state and PID current. */
export const DEFAULT_LIST_REFRESH_MS = 300_000;
/** A list asked for by a pass runs at most this often. */
export const CHANGE_LIST_MIN_MS = 2000;
/**
 * A container that started this recently and shows no IPv4 yet (its DHCP
 * client still asking) is listed again every {@link ADDRESS_RETRY_MS}.
 */
export const ADDRESS_WAIT_MS = 30_000;
export const ADDRESS_RETRY_MS = 5000;

/** Smallest terminal the screen draws in; below it a one-line notice is shown. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;

const STATE_COLOR: Record<ContainerState, string> = {
  RUNNING: 'green',
  THAWED: 'green',
  STOPPED: 'gray',
  STARTING: 'yellow',
  STOPPING: 'yellow',
  FREEZING: 'cyan',
  FROZEN: 'blue',
  ABORTING: 'red',
};

export const LIST_COLUMNS: readonly Column<ContainerSummary>[] = [
  { key: 'name', header: 'NAME', minWidth: 8, value: (c) => c.name },
  { key: 'state', header: 'STATE', width: 8, value: (c) => c.state, color: (c) => STATE_COLOR[c.state] },
  { key: 'ipv4', header: 'IPV4', minWidth: 4, maxWidth: 40, value: (c) => (c.ipv4.length ? c.ipv4.join(',') : '-') },
  { key: 'pid', header: 'PID', minWidth: 3, align: 'right', value: (c) => (c.pid === null ? '-' : String(c.pid)) },
];

/** The stats cells of one container as drawn. */
export interface LiveCells {
  cpu: string;
  mem: string;
}

/** The stats cells of every container in a snapshot (stopped ones: none). Pure. */
export function liveCellsOf(snap: StatsSnapshot): Map<string, LiveCells> {
  const m = new Map<string, LiveCells>();
  for (const s of snap.latest.values()) if (s.state !== 'STOPPED') m.set(s.name, { cpu: cpuText(s), mem: memText(s) });
  return m;
}

function sameCells(a: ReadonlyMap<string, LiveCells>, b: ReadonlyMap<string, LiveCells>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.cpu !== v.cpu || w.mem !== v.mem) return false;
  }
  return true;
}

/**
 * The list's columns for a terminal `width` cells wide: with stats, CPU %
 * (of one CPU) and MEM (used/limit, `unlimited` when none, U2) after the
 * state; PID is left out below 72 columns and IPV4 below 56, so the list
 * fits 80x24 and narrower. AUTO (lxc.start.auto) from 100 columns.
 */
export function listColumns(width: number, cells: ReadonlyMap<string, LiveCells> | null): Column<ContainerSummary>[] {
  const [name, state, ipv4, pid] = LIST_COLUMNS;
  const cols: Column<ContainerSummary>[] = [name, state];
  if (cells) {
    const live = (c: ContainerSummary): LiveCells | undefined => (c.state === 'STOPPED' ? undefined : cells.get(c.name));
    cols.push({ key: 'cpu', header: 'CPU%', width: 6, align: 'right', value: (c) => live(c)?.cpu ?? '-' });
    cols.push({ key: 'mem', header: 'MEM USED/LIMIT', minWidth: 9, maxWidth: 18, value: (c) => live(c)?.mem ?? '-' });
  }
  if (width >= 56) cols.push({ ...ipv4, maxWidth: width >= 100 ? 40 : 15 });
  if (width >= 72 || !cells) cols.push(pid);
  if (width >= 100) cols.push({ key: 'auto', header: 'AUTO', width: 4, value: (c) => (c.autostart ? 'yes' : '-') });
  return cols;
}

export function ContainerList(props: ContainerListProps): React.JSX.Element {
  const { engine, state, getState, dispatch, width, height, theme, refreshMs, onQuit, onHandOff } = props;
  const listRefreshMs = props.listRefreshMs ?? DEFAULT_LIST_REFRESH_MS;
  const g = glyphs(theme);
  const store = props.stats ?? null;
  // redrawn only when a figure on screen changes: idle containers at 1 Hz cost no render
  const cells = useStatsSelector(store, liveCellsOf, sameCells);

  // ---- refresh: one list at a time; a forced refresh asked for while one runs runs after it
  const listing = useRef(false);
  const again = useRef(false);
  const listFailed = useRef(false);
  const mounted = useRef(true);
  const lastListAt = useRef(0);
  const listSoonRef = useRef<(gapMs: number) => void>(() => {});
  /** when each container was first seen running (for the IPv4 follow-up) */
  const upSince = useRef(new Map<string, number>());
  /** containers LXC cannot read: engine.list() leaves them out, so the passes must too */
  const skippedSet = useRef<ReadonlySet<string>>(new Set());
  const { takePendingKeys } = props;
  useEffect(() => {
    mounted.current = true;
    // keys queued for a screen that has gone again are nobody's: the list reads only what comes next
    takePendingKeys();
    return () => {
      mounted.current = false;
    };
  }, []);
  const skippedKey = useRef('');
  const refresh = useCallback(
    async (force: boolean): Promise<void> => {
      if (listing.current) {
        if (force) again.current = true;
        return;
      }
      listing.current = true;
      const startedAt = Date.now();
      lastListAt.current = startedAt;
      try {
        const skipped: string[] = [];
        let list = await engine.list({ onSkip: (n) => skipped.push(n) });
        if (!mounted.current) return;
        skippedSet.current = new Set(skipped);
        // a pass newer than this list knows state and PID better (lxc-info may lag a freeze)
        const pass = store?.getSnapshot().pass;
        if (pass && pass.time >= startedAt) list = mergeSampled(list, pass.containers, skippedSet.current).containers;
        const before = getState().containers;
        dispatch({ type: 'list-loaded', containers: list });
        if (store) {
          // a container started moments ago may still be asking DHCP for its address
          const now = Date.now();
          const was = new Map(before.map((c) => [c.name, c.state]));
          for (const c of list) if (c.state !== 'STOPPED' && was.get(c.name) === 'STOPPED') upSince.current.set(c.name, now);
          for (const [n, at] of upSince.current) if (now - at > ADDRESS_WAIT_MS) upSince.current.delete(n);
          const waiting = list.some((c) => c.state === 'RUNNING' && c.ipv4.length === 0 && upSince.current.has(c.name));
          if (waiting) queueMicrotask(() => listSoonRef.current(ADDRESS_RETRY_MS));
        }
        // once per change of the set, not on every refresh
        const key = skipped.join(',');
        if (key !== skippedKey.current) {
          skippedKey.current = key;
          if (skipped.length)
            dispatch({ type: 'status', status: { kind: 'error', message: `LXC cannot read ${skipped.join(', ')}: not listed`, hint: `see lxdeck info ${skipped[0]}; lxdeck destroy --force removes it` } });
        }
        if (listFailed.current) {
          listFailed.current = false;
          dispatch({ type: 'status', status: null });
        }
      } catch (e) {
        if (!mounted.current) return;
        listFailed.current = true;
        const { message, hint } = formatError(e);
        dispatch({ type: 'status', status: { kind: 'error', message: `cannot list containers: ${message}`, hint } });
      } finally {
        listing.current = false;
      }
      if (again.current && mounted.current) {
        again.current = false;
        await refresh(false);
      }
    },
    [engine, dispatch, store, getState],
  );
  useEffect(() => {
    void refresh(true);
    const every = store ? listRefreshMs : refreshMs;
    if (every <= 0) return undefined;
    const t = setInterval(() => void refresh(false), every);
    return () => clearInterval(t);
  }, [refresh, refreshMs, listRefreshMs, store]);

  // ---- each pass: state, PID and names from the sampler; a change asks for a full list (IPv4)
  const changeTimer = useRef<NodeJS.Timeout | null>(null);
  /** One list, at least `gapMs` after the last one began; no-op while one is scheduled. */
  const listSoon = (gapMs: number): void => {
    if (changeTimer.current) return;
    const wait = Math.max(0, lastListAt.current + gapMs - Date.now());
    changeTimer.current = setTimeout(() => {
      changeTimer.current = null;
      if (mounted.current) void latest.current.refresh(false);
    }, wait);
  };
  listSoonRef.current = listSoon;
  useEffect(
    () => () => {
      if (changeTimer.current) clearTimeout(changeTimer.current);
    },
    [],
  );
  useStatsListener(store, (snap) => {
    const pass = snap.pass;
    if (!pass || !mounted.current) return;
    const s = getState();
    if (!s.loaded) return; // the first list says which containers LXC can read
    const m = mergeSampled(s.containers, pass.containers, skippedSet.current);
    if (m.changed) {
      const was = new Map(s.containers.map((c) => [c.name, c.state]));
      for (const c of m.containers) if (c.state !== 'STOPPED' && (was.get(c.name) ?? 'STOPPED') === 'STOPPED') upSince.current.set(c.name, Date.now());
      dispatch({ type: 'list-loaded', containers: m.containers });
    }
    if (m.needList) listSoon(CHANGE_LIST_MIN_MS);
  });
  // a stream failure is said once per message, and cleared when passes come again
  const statsError = useRef<string | null>(null);
  useStatsListener(store, (snap) => {
    const err = snap.error;
    if (err && err.message !== statsError.current) {
      statsError.current = err.message;
      dispatch({ type: 'status', status: { kind: 'error', message: `live stats stopped: ${err.message}`, hint: err.hint } });
    } else if (!err && statsError.current !== null) {
      statsError.current = null;
      if (getState().status?.message.startsWith('live stats stopped')) dispatch({ type: 'status', status: null });
    }
  });

  // ---- offer the first-time setup (issue 5) when there is no bridge or no container yet: a status line, never forced
  const setupService = props.services.setup;
  useEffect(() => {
    if (!setupService) return undefined;
    let live = true;
    setupService.suggestion().then(
      (sg) => {
        const s = getState();
        if (live && sg.suggest && s.status === null && s.screens.length === 0) dispatch({ type: 'status', status: { kind: 'info', message: setupOfferText(sg.reason) } });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [setupService, getState, dispatch]);

  // ---- actions. The busy flag and the outcome live in App's reducer, which
  // outlives this screen: an action that ends while another screen is on top
  // (t then l) still clears `busy` and leaves its message for when the list
  // comes back. Only the follow-up list waits for the list to be mounted (it
  // lists again when it mounts anyway).
  const act = useCallback(
    async (busyText: string, run: () => Promise<unknown>, okText: string): Promise<void> => {
      if (getState().busy !== null) return; // one action at a time, whichever screen started it
      dispatch({ type: 'busy', text: busyText });
      try {
        await run();
        dispatch({ type: 'done', status: { kind: 'ok', message: okText } });
      } catch (e) {
        const { message, hint } = formatError(e);
        dispatch({ type: 'done', status: { kind: 'error', message, hint } });
      }
      if (mounted.current) await refresh(true);
    },
    [dispatch, getState, refresh],
  );

  // ---- keys. Several keys in one read ("jjs" typed fast or over a slow SSH
  // link, Backspace held down) are split into one event each
  // (splitKeyEvents), and decisions read getState(), which every dispatch
  // advances at once: the `s` of "jjs" starts the row the two `j`s moved to.
  const latest = useRef({ act, refresh, onQuit, onHandOff });
  useLayoutEffect(() => {
    latest.current = { act, refresh, onQuit, onHandOff };
  });

  useInput((rawInput, rawKey) => {
    const ctx = latest.current;
    let quit = false;
    const events = splitKeyEvents(rawInput, rawKey);
    if (getState().suspended !== null) return; // lxc-attach / lxc-console is about to take the terminal
    if (getState().screens.length > 0) {
      // a key of this list opened a screen that has not subscribed its key handler
      // yet ("cfast" typed 20 ms apart): every key until it does is that screen's input
      props.stashKeys(events);
      return;
    }
    for (let i = 0; i < events.length && !quit; i++) {
      handleOne(events[i][0], events[i][1]);
      if (getState().screens.length > 0) {
        // a screen opened over the list: the rest of the read is its input
        props.stashKeys(events.slice(i + 1));
        break;
      }
    }

    function handleOne(input: string, key: Key): void {
      let s = getState();
      const d = (a: Action): void => {
        dispatch(a);
        s = getState();
      };
      const status = (kind: 'info' | 'error', message: string, hint?: string): void =>
        d({ type: 'status', status: { kind, message, hint } });

      const runList = (id: ListCommandId): void => {
        switch (id) {
          case 'quit':
            quit = true;
            ctx.onQuit();
            return;
          case 'up':
            return d({ type: 'move', delta: -1 });
          case 'down':
            return d({ type: 'move', delta: 1 });
          case 'pageUp':
            return d({ type: 'page', dir: -1 });
          case 'pageDown':
            return d({ type: 'page', dir: 1 });
          case 'home':
            return d({ type: 'move-to', where: 'first' });
          case 'end':
            return d({ type: 'move-to', where: 'last' });
          case 'filter':
            return d({ type: 'filter-open' });
          case 'refresh':
            void ctx.refresh(true);
            return;
          default:
            break;
        }
        if (id === 'log') return d({ type: 'push', screen: { kind: 'log' } });
        if (id === 'checkconfig') return d({ type: 'push', screen: { kind: 'checkconfig' } });
        if (id === 'top') return d({ type: 'push', screen: { kind: 'top' } });
        if (s.busy) return; // one action at a time; the spinner says what runs
        if (id === 'create') return d({ type: 'push', screen: { kind: 'create' } });
        if (id === 'setup') return d({ type: 'push', screen: { kind: 'setup' } });
        const sel = selectedContainer(s);
        // before the first list nothing can be selected yet: the key is dropped silently
        if (!sel) return s.loaded ? status('info', 'no container selected', 'press c to create one') : undefined;
        const n = sel.name;
        const running = sel.state === 'RUNNING';
        const notRunning = (what: string): void =>
          status('error', `${n} is ${sel.state}: ${what} needs it RUNNING`, sel.state === 'STOPPED' ? 'start it first with s' : sel.state === 'FROZEN' || sel.state === 'FREEZING' ? 'thaw it first with f' : undefined);
        switch (id) {
          case 'info':
            return d({ type: 'push', screen: { kind: 'info', name: n } });
          case 'stats':
            return d({ type: 'push', screen: { kind: 'stats', name: n } });
          case 'limits':
            return d({ type: 'push', screen: { kind: 'limits', name: n } });
          case 'processes':
            if (sel.state === 'STOPPED') return status('error', `${n} is STOPPED: it has no processes`, 'start it first with s');
            return d({ type: 'push', screen: { kind: 'processes', name: n } });
          case 'attach':
            if (!running) return notRunning('attach');
            void ctx.onHandOff?.('attach', n);
            return;
          case 'console':
            if (!running) return notRunning('the console');
            return d({ type: 'open-console-intro', name: n, escape: consoleEscapeOf(engine, n) });
          case 'start':
            if (sel.state === 'RUNNING') status('info', `${n} is already RUNNING`);
            else if (sel.state === 'FROZEN' || sel.state === 'FREEZING') status('error', `${n} is ${sel.state}`, 'thaw it with f');
            else void ctx.act(`starting ${n}`, () => engine.start(n), `started ${n}`);
            return;
          case 'stop':
            if (sel.state === 'STOPPED') status('info', `${n} is already STOPPED`);
            else void ctx.act(`stopping ${n}`, () => engine.stop(n), `stopped ${n}`);
            return;
          case 'freeze':
            if (sel.state === 'FROZEN' || sel.state === 'FREEZING') void ctx.act(`thawing ${n}`, () => engine.unfreeze(n), `thawed ${n}`);
            else if (sel.state === 'RUNNING' || sel.state === 'THAWED') void ctx.act(`freezing ${n}`, () => engine.freeze(n), `froze ${n}`);
            else status('error', `${n} is ${sel.state}: only a running container can be frozen`, 'start it first with s');
            return;
          case 'delete':
            return d({ type: 'open-delete', name: n, state: sel.state });
          default:
            return;
        }
      };

      const submitDialog = (): void => {
        const dlg = s.dialog;
        if (!dlg) return;
        if (dlg.kind === 'confirm-delete') {
          if (dlg.typed !== dlg.name) {
            d({ type: 'dialog-error', error: `"${dlg.typed}" is not "${dlg.name}": nothing was deleted` });
            return;
          }
          d({ type: 'dialog-close' });
          const force = dlg.state !== 'STOPPED';
          void ctx.act(`deleting ${dlg.name}`, () => engine.destroy(dlg.name, { force }), `deleted ${dlg.name}`);
          return;
        }
        // console-intro: the escape sequence was shown; hand the terminal over
        d({ type: 'dialog-close' });
        void ctx.onHandOff?.('console', dlg.name);
      };

      /** Text typed into the open dialog or the filter line. */
      const typeText = (text: string): void => {
        if (s.dialog) d({ type: 'dialog-text', text });
        else d({ type: 'filter-text', text });
      };

      if (s.dialog || s.filterEditing) {
        const c = commandFor(s.dialog ? DIALOG_COMMANDS : FILTER_COMMANDS, input, key);
        if (c?.id === 'confirm') {
          if (s.dialog) submitDialog();
          else d({ type: 'filter-keep' });
        } else if (c?.id === 'cancel') d({ type: s.dialog ? 'dialog-close' : 'filter-clear' });
        else if (c?.id === 'erase') d({ type: s.dialog ? 'dialog-erase' : 'filter-erase' });
        else {
          const text = textOf(input, key);
          if (text) typeText(text);
        }
        return;
      }

      const c = commandFor(LIST_COMMANDS, input, key);
      if (c) {
        runList(c.id);
        return;
      }
      if (key.escape && s.filter) d({ type: 'filter-clear' });
    }
  });

  // ---- layout: every part has a known height so the list gets the rest
  const rows = visibleContainers(state);
  const hintTable = state.dialog ? DIALOG_COMMANDS : state.filterEditing ? FILTER_COMMANDS : LIST_COMMANDS;
  const hints = hintsFor(hintTable, theme.ascii);
  const hintLines = keyHintsHeight(hints, width, 2, theme.ascii);
  const filterLines = state.filterEditing || state.filter ? 1 : 0;

  let dialog: React.JSX.Element | null = null;
  let dialogLines = 0;
  if (state.dialog?.kind === 'confirm-delete') {
    const d = state.dialog;
    const p: ConfirmDialogProps = {
      title: `Delete container ${d.name}?`,
      name: d.name,
      typed: d.typed,
      detail:
        (d.state === 'STOPPED' ? '' : `It is ${d.state}: it will be killed first. `) +
        'Its configuration and rootfs are removed; this cannot be undone.',
      error: d.error,
      width,
      theme,
    };
    dialog = <ConfirmDialog {...p} />;
    dialogLines = confirmDialogHeight(p);
  } else if (state.dialog?.kind === 'console-intro') {
    const d = state.dialog;
    const title = `Console of ${d.name}`;
    const lines: DialogLine[] = [
      { text: `lxc-console takes this terminal and shows the container's console (tty 0).` },
      { text: `To come back to lxdeck, type ${d.escape}: hold Ctrl and press ${d.escape.replace(/^Ctrl\+(\w) q$/, '$1')}, then press q.`, bold: true },
      { text: 'Enter: open the console; Esc: stay here', dim: true },
    ];
    dialog = <Dialog title={title} lines={lines} width={width} theme={theme} accent="cyan" />;
    dialogLines = dialogHeight(title, lines, width, theme.ascii);
  }

  const TITLE_LINES = 1;
  const TABLE_CHROME = 2; // header and rule
  const pageSize = Math.max(1, height - TITLE_LINES - TABLE_CHROME - filterLines - dialogLines - STATUS_LINES - hintLines);
  useEffect(() => {
    dispatch({ type: 'viewport', pageSize });
  }, [pageSize, dispatch]);
  const top = scrollTop(state.top, state.selected, pageSize, rows.length);
  if (width < MIN_COLUMNS || height < MIN_ROWS) {
    return (
      <Box width={width} height={height} flexDirection="column">
        <Text wrap="truncate">{fitToWidth(`terminal too small: need ${MIN_COLUMNS}x${MIN_ROWS}, have ${width}x${height}`, width, { ellipsis: g.ellipsis })}</Text>
        <Text wrap="truncate">{fitToWidth('q quit', width)}</Text>
      </Box>
    );
  }


  const running = state.containers.filter((c) => c.state === 'RUNNING').length;
  const count = state.containers.length;
  const right = state.loaded ? ` ${count} container${count === 1 ? '' : 's'}, ${running} running` : '';
  const left = `lxdeck ${safeText(engine.lxcpath, theme.ascii)}`;
  const title = fitToWidth(left, Math.max(0, width - displayWidth(right)), { ellipsis: g.ellipsis }) + right;

  const empty = !state.loaded
    ? `loading${theme.ascii ? '...' : '…'}`
    : state.filter
      ? `no container name holds "${state.filter}"`
      : `no containers in ${engine.lxcpath}; press c to create one`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box height={1} width={width} overflow="hidden">
        <Text wrap="truncate" bold={theme.color}>
          {fitToWidth(title, width)}
        </Text>
      </Box>
      <Table
        columns={listColumns(width, store ? cells : null)}
        rows={rows}
        rowKey={(c) => c.name}
        selected={state.selected}
        top={top}
        height={pageSize}
        width={width}
        theme={theme}
        empty={empty}
      />
      {filterLines > 0 ? (
        <Box height={1} width={width} overflow="hidden">
          <Text wrap="truncate">
            {'/ filter: '}
            {tailToWidth(safeText(state.filter, theme.ascii), width - 12)}
            {state.filterEditing ? (theme.color ? <Text inverse> </Text> : '_') : ''}
          </Text>
        </Box>
      ) : null}
      {dialog}
      <StatusLine status={state.status} busy={state.busy} width={width} theme={theme} />
      <KeyHints hints={hints} width={width} theme={theme} maxLines={2} />
    </Box>
  );
}
