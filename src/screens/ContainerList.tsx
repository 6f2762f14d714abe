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
 *
 * Shell pane (`x`, UiState.pane): the list keeps a third of the rows and the
 * selected container's shell runs in src/screens/ShellPane.tsx below it; while
 * it is open the list reads no key (the pane reads them raw) but stays live.
 */
import React, { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Box, Text, useInput, type Key } from 'ink';
import type { ContainerState, ContainerSummary } from '../../core/types.js';
import { LxdeckError, formatError } from '../../core/errors.js';
import { Table, type Column } from '../../components/Table.js';
import { KeyHints, keyHintsHeight } from '../../components/KeyHints.js';
import { ConfirmDialog, confirmDialogHeight, type ConfirmDialogProps } from '../../components/ConfirmDialog.js';
import { Dialog, dialogHeight, type DialogLine } from '../../components/Dialog.js';
import { StatusLine, STATUS_LINES, STATUS_MAX_LINES, statusHeight } from '../../components/StatusLine.js';
import { wrapToWidth, displayWidth, fitToWidth, safeText, tailToWidth } from '../../components/text.js';
import { glyphs, type Theme } from '../../components/theme.js';
import { eraseHowOf, CHOICE_PROMPT_COMMANDS, DIALOG_COMMANDS, FILTER_COMMANDS, LIST_COMMANDS, PANE_COMMANDS, commandFor, quitHow, hintsFor, offeredHints, refusalOf, splitKeyEvents, textOf, type ListCommandId } from '../keymap.js';
import { type Action, type SortOrder, type UiState, markedContainers, scrollTop, selectedContainer, visibleContainers } from '../state/reducer.js';
import { TextPrompt, textPromptHeight, type TextPromptProps } from '../../components/TextPrompt.js';
import { validateContainerName } from '../../core/names.js';
import type { AutostartSettings } from '../../core/types.js';
import { mergeSampled } from '../state/list-merge.js';
import { useStatsListener, useStatsSelector } from '../hooks/use-stats.js';
import { markRender } from '../console/frame-log.js';
import type { StatsSnapshot } from '../state/stats-store.js';
import type { StatsSample } from '../../core/stats/types.js';
import { cpuText, memText } from './stats-format.js';
import type { ScreenProps } from './types.js';
import { consoleEscapeOf } from './console-escape.js';
import { setupOfferText } from './setup/setup-state.js';
import { ShellPane } from './ShellPane.js';
import { autostartCell, autostartText } from '../autostart-text.js';

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
/** After a failed list (a remote host out of reach, say) the next one this many ms later, until one succeeds. */
export const LIST_RETRY_MS = 5000;

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
  UNREACHABLE: 'red',
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

/**
 * The drawn text of a sample's CPU and memory parts, by part: the sampler gives an unchanged
 * part as the same object pass after pass (core/stats/sampler.ts), so an idle container's
 * cells are not formatted again each second.
 */
const cpuCells = new WeakMap<StatsSample['cpu'], string>();
const memCells = new WeakMap<StatsSample['memory'], string>();

function cpuCell(s: StatsSample): string {
  let t = cpuCells.get(s.cpu);
  if (t === undefined) cpuCells.set(s.cpu, (t = cpuText(s)));
  return t;
}

function memCell(s: StatsSample): string {
  let t = memCells.get(s.memory);
  if (t === undefined) memCells.set(s.memory, (t = memText(s)));
  return t;
}

/**
 * The stats cells of every container in a snapshot (stopped ones: none). Pure: given the
 * cells drawn last (`prev`), that same map comes back when no cell changed (500 idle
 * containers at 1 Hz make no new map, object or string), and each unchanged cell object is kept.
 */
export function liveCellsOf(snap: StatsSnapshot, prev?: ReadonlyMap<string, LiveCells>): ReadonlyMap<string, LiveCells> {
  if (prev !== undefined) {
    let n = 0;
    let same = true;
    for (const s of snap.latest.values()) {
      if (s.state === 'STOPPED') continue;
      n++;
      const c = prev.get(s.name);
      if (c === undefined || c.cpu !== cpuCell(s) || c.mem !== memCell(s)) {
        same = false;
        break;
      }
    }
    if (same && n === prev.size) return prev;
  }
  const m = new Map<string, LiveCells>();
  for (const s of snap.latest.values()) {
    if (s.state === 'STOPPED') continue;
    const cpu = cpuCell(s);
    const mem = memCell(s);
    const c = prev?.get(s.name);
    m.set(s.name, c !== undefined && c.cpu === cpu && c.mem === mem ? c : { cpu, mem });
  }
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

/** AUTO's cell: `yes` when lxc.start.auto = 1, else `no`, then the lxc.group values (`yes web,db`): src/autostart-text.ts. */
export function autoText(c: ContainerSummary): string {
  const groups = c.groups ?? [];
  return autostartCell(c.autostart, groups);
}

/**
 * The list's columns for a terminal `width` cells wide: with stats, CPU %
 * (of one CPU) and MEM (used/limit, `unlimited` when none, U2) after the
 * state; PID is left out below 72 columns and IPV4 below 56; AUTO
 * (lxc.start.auto and lxc.group) and PROT (delete protection) from 64, so
 * the list fits 80x24 and narrower. The sorted column's header carries
 * an arrow (▲ ascending, ▼ descending; ^ v in ASCII). With `opts.hosts`
 * (the all-hosts view) a HOST column comes first and STATE is wide enough
 * for UNREACHABLE.
 */
export function listColumns(width: number, cells: ReadonlyMap<string, LiveCells> | null, sort: SortOrder | null = null, ascii = false, opts: { hosts?: boolean } = {}): Column<ContainerSummary>[] {
  const [name, state, ipv4, pid] = LIST_COLUMNS;
  const cols: Column<ContainerSummary>[] = opts.hosts
    ? [{ key: 'host', header: 'HOST', minWidth: 4, maxWidth: width >= 100 ? 16 : 10, value: (c) => c.host ?? '-' }, name, { ...state, width: 11 }]
    : [name, state];
  if (cells) {
    const live = (c: ContainerSummary): LiveCells | undefined => (c.state === 'STOPPED' ? undefined : cells.get(c.name));
    cols.push({ key: 'cpu', header: 'CPU%', width: 6, align: 'right', value: (c) => live(c)?.cpu ?? '-' });
    cols.push({ key: 'mem', header: 'MEM USED/LIMIT', minWidth: 9, maxWidth: 18, value: (c) => live(c)?.mem ?? '-' });
  }
  if (width >= 56) cols.push({ ...ipv4, maxWidth: width >= 100 ? 40 : 15 });
  if (width >= 72 || !cells) cols.push(pid);
  if (width >= 64) {
    cols.push({ key: 'auto', header: 'AUTO', minWidth: 4, maxWidth: width >= 100 ? 24 : 12, value: autoText });
    cols.push({ key: 'prot', header: 'PROT', width: 4, value: (c) => (c.protected ? 'yes' : '-'), color: (c) => (c.protected ? 'yellow' : undefined) });
  }
  // columns left out for the width are not dropped silently: the header ends with how many (`+2`)
  const hidden = (width >= 56 ? 0 : 1) + (width >= 72 || !cells ? 0 : 1) + (width >= 64 ? 0 : 2);
  if (hidden > 0) cols.push({ key: 'hidden', header: `+${hidden}`, width: String(hidden).length + 1, align: 'right', value: () => '' });
  if (!sort) return cols;
  const arrow = sort.desc ? (ascii ? 'v' : '▼') : ascii ? '^' : '▲';
  return cols.map((c) => (c.key === sort.key ? { ...c, header: c.header + arrow } : c));
}

/** How often (ms) the list stats the containers' configs for changes made elsewhere ({@link configChanges}). */
export const CONFIG_POLL_MS = 3000;

/**
 * The rows with AUTO, groups and PROT read again for each container whose files changed since
 * `stamps` (engine.configStamps: two stat(2) per container, no parse; only a changed one is parsed,
 * engine.configSummary); `stamps` is updated in place. Containers not stamped yet (new, from a pass)
 * are stamped only: the full list they bring reads them.
 * @returns the new rows, or null when nothing changed (or the engine has no local files)
 */
export function configChanges(engine: Pick<ScreenProps['engine'], 'configStamps' | 'configSummary'>, rows: readonly ContainerSummary[], stamps: Map<string, string>): ContainerSummary[] | null {
  if (!engine.configStamps || !engine.configSummary) return null;
  const system = rows.filter((c) => c.kind !== 'application' && c.host === undefined);
  const now = engine.configStamps(system.map((c) => c.name));
  let out: ContainerSummary[] | null = null;
  for (const c of system) {
    const was = stamps.get(c.name);
    const st = now.get(c.name)!;
    stamps.set(c.name, st);
    if (was === undefined || was === st) continue;
    const f = engine.configSummary(c.name);
    if (!f || (f.autostart === c.autostart && f.protected === c.protected && (f.groups ?? []).join(',') === (c.groups ?? []).join(','))) continue;
    out ??= [...rows];
    out[out.indexOf(c)] = { ...c, ...f };
  }
  return out;
}

export function ContainerList(props: ContainerListProps): React.JSX.Element {
  markRender();
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
  /** the last list was empty because the lxcpath does not exist (a mistyped --lxcpath): title and list say so */
  const lxcpathMissing = useRef(false);
  /** per container, the stamp (engine.configStamps: stat, no parse) of the files AUTO and PROT were read from */
  const configStamps = useRef(new Map<string, string>());
  /** the pass time (ms) of the last config poll ({@link configChanges}) */
  const lastConfigPoll = useRef(0);
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
  /** the last list's error while listing fails (the table says so instead of `loading…`) */
  const [listError, setListError] = useState<string | null>(null);
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
        // stamped before the list reads the configs: a change made while it lists shows as a change on the next pass
        const stampedBefore = engine.configStamps?.(getState().containers.map((c) => c.name));
        let list = await engine.list({ onSkip: (n) => skipped.push(n) });
        if (!mounted.current) return;
        skippedSet.current = new Set(skipped);
        // one stat, only when the list is empty: a missing lxcpath is not "no containers"
        lxcpathMissing.current = list.length === 0 && engine.lxcpathMissing?.() === true;
        if (engine.configStamps) {
          const fresh = list.filter((c) => c.kind !== 'application' && !stampedBefore?.has(c.name)).map((c) => c.name);
          const stamps = new Map([...(stampedBefore ?? []), ...engine.configStamps(fresh)]);
          for (const n of stamps.keys()) if (!list.some((c) => c.name === n)) stamps.delete(n);
          configStamps.current = stamps;
        }
        // a pass newer than this list knows state and PID better (lxc-info may lag a freeze)
        const pass = store?.getSnapshot().pass;
        if (pass && pass.time >= startedAt) list = mergeSampled(list, pass.containers, skippedSet.current, pass.hosts).containers;
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
          setListError(null);
          dispatch({ type: 'status', status: { kind: 'ok', message: `${engine.remote !== undefined ? `${engine.remote} is reachable again: ` : ''}listed ${list.length} container${list.length === 1 ? '' : 's'}` } });
        }
      } catch (e) {
        if (!mounted.current) return;
        listFailed.current = true;
        const { message, hint } = formatError(e);
        const retry = `retrying every ${Math.round(LIST_RETRY_MS / 1000)} s; r retries now`;
        setListError(message);
        dispatch({ type: 'status', status: { kind: 'error', message: `cannot list containers: ${message}`, hint: hint ? `${hint}; ${retry}` : retry } });
        // a host that was out of reach is asked again soon (not only at the next full refresh, a minute with a sampler)
        queueMicrotask(() => listSoonRef.current(LIST_RETRY_MS));
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

  // ---- change notices (LXD's event stream): a list at once when something changed, by anyone;
  // polling stays as the fallback. A drop of the stream is shown, and cleared when it is back.
  useEffect(() => {
    if (!engine.watch) return undefined;
    let dropped = false;
    return engine.watch(
      () => {
        if (mounted.current) void latest.current.refresh(true);
      },
      (e) => {
        if (!mounted.current) return;
        if (e) {
          dropped = true;
          const { message, hint } = formatError(e);
          dispatch({ type: 'status', status: { kind: 'error', message, hint } });
        } else if (dropped) {
          dropped = false;
          dispatch({ type: 'status', status: { kind: 'info', message: 'event stream back' } });
        }
      },
    );
  }, [engine, dispatch]);

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
    const m = mergeSampled(s.containers, pass.containers, skippedSet.current, pass.hosts);
    // what the list read from configs (AUTO, PROT), changed by another session: on this same pass, a
    // stat of each container's files (no parse) and a re-read of only those whose stamp changed
    // at most every CONFIG_POLL_MS: with 500 containers 1000 stat(2) a second kept V8's young
    // generation large (bench/README.md section 11); a change elsewhere shows within seconds
    let fromFiles: ContainerSummary[] | null = null;
    if (pass.time - lastConfigPoll.current >= CONFIG_POLL_MS) {
      lastConfigPoll.current = pass.time;
      fromFiles = configChanges(engine, m.containers, configStamps.current);
    }
    if (m.changed || fromFiles) {
      const was = new Map(s.containers.map((c) => [c.name, c.state]));
      for (const c of m.containers) if (c.state !== 'STOPPED' && (was.get(c.name) ?? 'STOPPED') === 'STOPPED') upSince.current.set(c.name, Date.now());
      dispatch({ type: 'list-loaded', containers: fromFiles ?? m.containers });
    }
    if (m.needList) listSoon(CHANGE_LIST_MIN_MS);
  });
  // a stream failure is said once per message, and cleared when passes come again
  const statsError = useRef<string | null>(null);
  useStatsListener(store, (snap) => {
    const err = snap.error;
    if (err && err.message !== statsError.current) {
      statsError.current = err.message;
      // the list's own error is shown: it says the same cause and that the list is missing
      if (listFailed.current) return;
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
    async <T,>(busyText: string, run: () => Promise<T>, okText: string | ((r: T) => string), onError?: (e: unknown) => void): Promise<void> => {
      if (getState().busy !== null) return; // one action at a time, whichever screen started it
      dispatch({ type: 'busy', text: busyText });
      try {
        const r = await run();
        dispatch({ type: 'done', status: { kind: 'ok', message: typeof okText === 'string' ? okText : okText(r) } });
      } catch (e) {
        if (onError) {
          // the caller shows the failure itself (the copy prompt again, with the refusal in it)
          dispatch({ type: 'done', status: null });
          onError(e);
        } else {
          const { message, hint } = formatError(e);
          dispatch({ type: 'done', status: { kind: 'error', message, hint } });
        }
      }
      if (mounted.current) await refresh(true);
    },
    [dispatch, getState, refresh],
  );

  /**
   * One action on each of several containers (the marked rows), one after
   * the other: a failure does not stop the others. Each outcome goes into
   * the summary on the status line (`started 2 of 3 marked (a, b); failed:
   * c: ...`), the first failure's hint under it.
   */
  const actAll = useCallback(
    async (verb: { ing: string; ed: string }, items: { name: string; run: (() => Promise<unknown>) | null; skip?: string }[]): Promise<void> => {
      if (getState().busy !== null) return;
      const ok: string[] = [];
      const skipped: string[] = [];
      const failed: { name: string; message: string; hint?: string }[] = [];
      for (const [i, it] of items.entries()) {
        dispatch({ type: 'busy', text: `${verb.ing} ${i + 1}/${items.length}: ${it.name}` });
        if (!it.run) {
          skipped.push(`${it.name} (${it.skip ?? 'nothing to do'})`);
          continue;
        }
        try {
          await it.run();
          ok.push(it.name);
        } catch (e) {
          failed.push({ name: it.name, ...formatError(e) });
        }
      }
      let message = `${verb.ed} ${ok.length} of ${items.length} marked${ok.length ? ` (${ok.join(', ')})` : ''}`;
      if (skipped.length) message += `; skipped: ${skipped.join(', ')}`;
      if (failed.length) message += `; failed: ${failed.map((f) => `${f.name}: ${f.message}`).join('; ')}`;
      dispatch({ type: 'done', status: { kind: failed.length ? 'error' : 'ok', message, hint: failed[0]?.hint } });
      if (mounted.current) await refresh(true);
    },
    [dispatch, getState, refresh],
  );

  // ---- keys. Several keys in one read ("jjs" typed fast or over a slow SSH
  // link, Backspace held down) are split into one event each
  // (splitKeyEvents), and decisions read getState(), which every dispatch
  // advances at once: the `s` of "jjs" starts the row the two `j`s moved to.
  const latest = useRef({ act, actAll, refresh, onQuit, onHandOff });
  useLayoutEffect(() => {
    latest.current = { act, actAll, refresh, onQuit, onHandOff };
  });
  const cmdCtx = { readOnly: props.readOnly ?? false, engine };

  useInput((rawInput, rawKey) => {
    const ctx = latest.current;
    let quit = false;
    const events = splitKeyEvents(rawInput, rawKey);
    if (getState().suspended !== null) return; // lxc-attach / lxc-console is about to take the terminal
    if (getState().pane !== null) return; // the shell pane has the keys (ShellPane reads them raw)
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
            ctx.onQuit(quitHow(input, key));
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
          case 'hostNext': {
            const hosts = engine.hostNames?.() ?? [];
            d({ type: 'host-next', hosts });
            return status('info', `showing ${s.host === null ? 'every host' : `host ${s.host}`}`, `H picks the next: ${[...hosts, 'all'].join(' > ')}`);
          }
          case 'refresh':
            void ctx.refresh(true);
            return;
          case 'sortNext':
            return d({ type: 'sort-next', dir: 1 });
          case 'sortPrev':
            return d({ type: 'sort-next', dir: -1 });
          case 'sortReverse':
            return d({ type: 'sort-reverse' });
          case 'unmark':
            if (s.marked.length === 0) return status('info', 'no rows are marked', 'space marks the selected row');
            return d({ type: 'marks-clear' });
          default:
            break;
        }
        if (id === 'log') return d({ type: 'push', screen: { kind: 'log' } });
        if (id === 'help') return d({ type: 'push', screen: { kind: 'help' } });
        if (id === 'checkconfig') return d({ type: 'push', screen: { kind: 'checkconfig' } });
        if (id === 'top') return d({ type: 'push', screen: { kind: 'top' } });
        if (id === 'mark') {
          const m = selectedContainer(s);
          if (!m) return undefined;
          d({ type: 'mark-toggle', name: m.name });
          return d({ type: 'move', delta: 1 });
        }
        if (s.busy) return; // one action at a time; the spinner says what runs
        if (id === 'create') return d({ type: 'push', screen: { kind: 'create' } });
        if (id === 'setup') return d({ type: 'push', screen: { kind: 'setup' } });
        // with rows marked, start/stop/freeze/snapshot act on all of them
        const marked = markedContainers(s);
        if (marked.length && (id === 'start' || id === 'stop' || id === 'freeze' || id === 'snapshot')) return runBulk(id, marked);
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
          case 'pane':
            if (!running) return notRunning('a shell');
            return d({ type: 'pane-open', name: n });
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
          case 'delete': {
            // protection as the files say now (another session may have turned it on): refused before the name is asked
            const now = engine.configSummary?.(n);
            if (now && (now.protected !== sel.protected || now.autostart !== sel.autostart)) d({ type: 'list-loaded', containers: getState().containers.map((c) => (c.name === n && c.host === sel.host ? { ...c, ...now } : c)) });
            if (now?.protected ?? sel.protected) return status('error', `${n} is protected: delete is refused`, `press P to unprotect it (lxdeck protect ${n} off)`);
            return d({ type: 'open-delete', name: n, state: sel.state });
          }
          case 'snapshots':
            return d({ type: 'push', screen: { kind: 'snapshots', name: n } });
          case 'restart':
            if (!running) return notRunning('restart');
            void ctx.act(`restarting ${n}`, () => engine.restart!(n), `restarted ${n}`);
            return;
          case 'snapshot':
            void ctx.act(`snapshotting ${n}`, () => engine.snapshot!(n), (r) => `made snapshot ${r.name} of ${n}`);
            return;
          case 'copy':
            return d({ type: 'open-prompt', purpose: 'copy', name: n, typed: `${n}-copy` });
          case 'rename':
            return d({ type: 'open-prompt', purpose: 'rename', name: n, typed: n });
          case 'autostartSettings':
            return d({ type: 'open-prompt', purpose: 'autostart', name: n, typed: (sel.groups ?? []).length ? `group=${(sel.groups ?? []).join(',')}` : '' });
          case 'autostart': {
            const on = !sel.autostart;
            void ctx.act(`${on ? 'enabling' : 'disabling'} autostart of ${n}`, () => engine.setAutostart!(n, { auto: on }), (r) => `autostart of ${n}: ${autostartText(r.auto, r)}`);
            return;
          }
          case 'protect': {
            const on = !sel.protected;
            void ctx.act(`${on ? 'protecting' : 'unprotecting'} ${n}`, () => engine.setProtected!(n, on), on ? `${n} is protected: delete is refused until P again` : `${n} is no longer protected`);
            return;
          }
          default:
            return;
        }
      };

      /** start/stop/freeze/snapshot on every marked row: what each needs is checked per row. */
      const runBulk = (id: 'start' | 'stop' | 'freeze' | 'snapshot', rows: ContainerSummary[]): void => {
        const items = rows.map((c) => {
          const n = c.name;
          const frozen = c.state === 'FROZEN' || c.state === 'FREEZING';
          switch (id) {
            case 'start':
              if (c.state === 'RUNNING') return { name: n, run: null, skip: 'already RUNNING' };
              if (frozen) return { name: n, run: null, skip: `${c.state}: thaw it with f` };
              return { name: n, run: () => engine.start(n) };
            case 'stop':
              if (c.state === 'STOPPED') return { name: n, run: null, skip: 'already STOPPED' };
              return { name: n, run: () => engine.stop(n) };
            case 'freeze':
              if (frozen) return { name: n, run: () => engine.unfreeze(n) };
              if (c.state === 'RUNNING' || c.state === 'THAWED') return { name: n, run: () => engine.freeze(n) };
              return { name: n, run: null, skip: `${c.state}: not running` };
            case 'snapshot':
              return { name: n, run: () => engine.snapshot!(n) };
          }
        });
        const verb = { start: { ing: 'starting', ed: 'started' }, stop: { ing: 'stopping', ed: 'stopped' }, freeze: { ing: 'freezing/thawing', ed: 'froze/thawed' }, snapshot: { ing: 'snapshotting', ed: 'snapshotted' } }[id];
        void ctx.actAll(verb, items);
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
        if (dlg.kind === 'prompt') {
          const typed = dlg.typed.trim();
          const from = dlg.name;
          if (dlg.purpose === 'autostart') {
            let st: Partial<AutostartSettings>;
            try {
              st = parseAutostartInput(typed);
            } catch (e) {
              return d({ type: 'dialog-error', error: formatError(e).message });
            }
            d({ type: 'dialog-close' });
            void ctx.act(`saving the autostart settings of ${from}`, () => engine.setAutostart!(from, st), (r) => `autostart of ${from}: ${autostartText(r.auto, r)}`);
            return;
          }
          try {
            validateContainerName(typed);
          } catch (e) {
            const { message, hint } = formatError(e);
            return d({ type: 'dialog-error', error: message, hint });
          }
          if (typed === from) return d({ type: 'dialog-error', error: `the new name is ${from}'s own` });
          d({ type: 'dialog-close' });
          if (dlg.purpose === 'copy') {
            const snapshot = dlg.snapshot === true;
            // a refusal brings the prompt back with the name and the choice kept and the refusal in
            // it, told in this dialog's keys (the engine's hints name CLI commands)
            const again = (e: unknown): void => {
              const { message, hint } = formatError(e);
              const code = e instanceof LxdeckError ? e.code : undefined;
              const keysHint =
                code === 'E_USAGE' && snapshot ? 'Tab switches to a full copy'
                : code === 'E_STATE' ? `Esc, then t stops ${from}`
                : code === 'E_EXISTS' ? 'type another name'
                : hint;
              d({ type: 'open-prompt', purpose: 'copy', name: from, typed, snapshot, error: keysHint ? `${message} (${keysHint})` : message });
            };
            void ctx.act(`copying ${from} to ${typed}${snapshot ? ' (snapshot clone)' : ''}`, () => engine.copy!(from, typed, { snapshot }), `copied ${from} to ${typed}${snapshot ? ' (snapshot clone)' : ''}`, again);
          } else {
            void ctx.act(`renaming ${from} to ${typed}`, async () => {
              await engine.rename!(from, typed);
              // the selection follows the container to its new name
              d({ type: 'select-name', name: typed });
            }, `renamed ${from} to ${typed}`);
          }
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
        const c = commandFor(s.dialog ? (isCopyPrompt(s) ? CHOICE_PROMPT_COMMANDS : DIALOG_COMMANDS) : FILTER_COMMANDS, input, key);
        if (c?.id === 'choice') d({ type: 'prompt-toggle' });
        else if (c?.id === 'confirm') {
          if (s.dialog) submitDialog();
          else d({ type: 'filter-keep' });
        } else if (c?.id === 'cancel') d({ type: s.dialog ? 'dialog-close' : 'filter-clear' });
        else if (c?.id === 'erase') d({ type: s.dialog ? 'dialog-erase' : 'filter-erase', how: eraseHowOf(input, key) });
        else {
          const text = textOf(input, key);
          if (text) typeText(text);
        }
        return;
      }

      const c = commandFor(LIST_COMMANDS, input, key);
      if (c) {
        const no = refusalOf(c, cmdCtx);
        if (no) return status('error', no.message, no.hint);
        runList(c.id);
        return;
      }
      // Esc: the marks go first, then the filter
      if (key.escape && s.marked.length) d({ type: 'marks-clear' });
      else if (key.escape && s.filter) d({ type: 'filter-clear' });
    }
  });

  // ---- layout: every part has a known height so the list gets the rest
  const rows = visibleContainers(state);
  const pane = state.pane;
  const hints = pane
    ? hintsFor(PANE_COMMANDS, theme.ascii)
    : state.dialog
    ? hintsFor(isCopyPrompt(state) ? CHOICE_PROMPT_COMMANDS : DIALOG_COMMANDS, theme.ascii)
    : state.filterEditing
      ? hintsFor(FILTER_COMMANDS, theme.ascii)
      : offeredHints(LIST_COMMANDS, cmdCtx, theme.ascii);
  const hintMax = width >= 120 ? 3 : 2; // every key fits from 120 columns on
  const hintLines = keyHintsHeight(hints, width, hintMax, theme.ascii);
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
  } else if (state.dialog?.kind === 'prompt') {
    const d = state.dialog;
    const p: TextPromptProps =
      d.purpose === 'copy'
        ? {
            title: `Copy ${d.name}`,
            label: 'new name: ',
            value: d.typed,
            rule: d.snapshot
              ? 'a snapshot clone (overlay or btrfs: shares the rootfs until written). Tab: a full copy instead, Enter: clone, Esc: cancel'
              : 'a full copy of the rootfs. Tab: a snapshot clone instead, Enter: copy, Esc: cancel',
            error: d.error,
            width,
            theme,
          }
        : d.purpose === 'rename'
          ? { title: `Rename ${d.name}`, label: 'new name: ', value: d.typed, rule: 'only a STOPPED container can be renamed (lxc-copy -R)', error: d.error, width, theme }
          : { title: `Autostart settings of ${d.name}`, label: 'set: ', value: d.typed, rule: 'order=N delay=SECONDS group=a,b (any of them; lxc.start.order, lxc.start.delay, lxc.group)', error: d.error, width, theme };
    dialog = <TextPrompt {...p} />;
    dialogLines = textPromptHeight(p);
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
  // a long status takes more lines (the list keeps at least one row): the whole error is readable;
  // not with the shell pane open, whose size stays put
  const statusMax = pane ? STATUS_LINES : Math.max(STATUS_LINES, Math.min(STATUS_MAX_LINES, height - TITLE_LINES - TABLE_CHROME - filterLines - dialogLines - hintLines - 1));
  const statusLineCount = statusHeight(state.status, state.busy, width, theme.ascii, statusMax);
  const free = height - TITLE_LINES - TABLE_CHROME - filterLines - dialogLines - statusLineCount - hintLines;
  // with the shell pane open the list keeps a third of the room (2 to 8 rows), the pane the rest:
  // a fixed split, so the shell's size does not change when containers come and go
  const pageSize = pane ? Math.max(2, Math.min(8, Math.floor(free / 3))) : Math.max(1, free);
  const paneHeight = pane ? Math.max(2, free - pageSize) : 0;
  useEffect(() => {
    dispatch({ type: 'viewport', pageSize });
  }, [pageSize, dispatch]);
  // the same columns object while width, figures, sort and theme stay: the table keeps its column
  // widths (measured over every row) instead of measuring all N rows again for a selection move
  const hosts = typeof engine.hostNames === 'function';
  const columns = useMemo(() => listColumns(width, store ? cells : null, state.sort, theme.ascii, { hosts }), [width, store, cells, state.sort, theme.ascii, hosts]);
  const top = scrollTop(state.top, state.selected, pageSize, rows.length);
  const tooSmall = width < MIN_COLUMNS || height < MIN_ROWS;
  // the same keyed element in both layouts below: a terminal made too small for a moment hides
  // the pane but keeps its shell (React keeps a keyed child of the same parent type)
  const paneElement = pane ? (
    <ShellPane key={`pane:${pane.name}`} engine={engine} name={pane.name} width={width} height={paneHeight} theme={theme} dispatch={dispatch} hidden={tooSmall} />
  ) : null;
  if (tooSmall) {
    // word-wrapped, so the whole of it fits however small the terminal (the key line last)
    const keysLine = pane ? 'Ctrl+a q leave the shell' : 'q quit';
    const say = [...wrapToWidth(`terminal too small: need ${MIN_COLUMNS}x${MIN_ROWS}, have ${width}x${height}`, width), ...wrapToWidth(keysLine, width)];
    const shown = say.length <= height ? say : [...say.slice(0, Math.max(0, height - 1)), ...wrapToWidth(keysLine, width).slice(0, 1)].slice(0, Math.max(1, height));
    return (
      <Box width={width} height={height} flexDirection="column">
        {shown.map((l, i) => (
          <Text key={i} wrap="truncate">
            {fitToWidth(l, width)}
          </Text>
        ))}
        {paneElement}
      </Box>
    );
  }


  const running = state.containers.filter((c) => c.state === 'RUNNING').length;
  const count = state.containers.length;
  const markedCount = markedContainers(state).length;
  const unreachable = state.containers.filter((c) => c.state === 'UNREACHABLE').length;
  const frozen = state.containers.filter((c) => c.state === 'FROZEN' || c.state === 'FREEZING').length;
  const right = state.loaded ? ` ${count - unreachable} container${count - unreachable === 1 ? '' : 's'}, ${running} running${frozen ? `, ${frozen} frozen` : ''}${markedCount ? `, ${markedCount} marked` : ''}${unreachable ? `, ${unreachable} host${unreachable === 1 ? '' : 's'} unreachable` : ''}` : '';
  const missing = state.loaded && count === 0 && lxcpathMissing.current;
  const left = `lxdeck ${engine.remote !== undefined ? `${safeText(engine.remote, theme.ascii)}:` : ''}${safeText(engine.lxcpath, theme.ascii)}${missing ? ' (does not exist)' : ''}${state.host !== null ? ` [host ${safeText(state.host, theme.ascii)}]` : ''}${cmdCtx.readOnly ? ' [read-only]' : ''}`;
  const title = fitToWidth(left, Math.max(0, width - displayWidth(right)), { ellipsis: g.ellipsis }) + right;

  const empty = !state.loaded
    ? listError !== null
      ? `cannot list containers${engine.remote !== undefined ? ` on ${engine.remote}` : ''} (see below); retrying every ${Math.round(LIST_RETRY_MS / 1000)} s, r retries now`
      : `loading${theme.ascii ? '...' : '…'}`
    : state.filter
      ? `no container name holds "${state.filter}"`
      : missing
        ? `${engine.lxcpath} does not exist: mistyped --lxcpath? c creates it`
        : `no containers in ${engine.lxcpath}; press c to create one`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box height={1} width={width} overflow="hidden">
        <Text wrap="truncate" bold={theme.color}>
          {fitToWidth(title, width)}
        </Text>
      </Box>
      <Table
        columns={columns}
        rows={rows}
        marked={state.marked.length ? (c) => state.marked.includes(c.name) : undefined}
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
      {paneElement}
      <StatusLine status={state.status} busy={state.busy} width={width} theme={theme} maxLines={statusMax} />
      <KeyHints hints={hints} width={width} theme={theme} maxLines={hintMax} />
    </Box>
  );
}

/** The open dialog is the copy prompt (Tab switches full copy / snapshot clone). */
function isCopyPrompt(s: Pick<UiState, 'dialog'>): boolean {
  return s.dialog?.kind === 'prompt' && s.dialog.purpose === 'copy';
}

/**
 * Reads the autostart prompt: `order=N delay=SECONDS group=a,b` (any of
 * them, in any order; `group=` alone clears the groups), as lxc.start.order,
 * lxc.start.delay and lxc.group (lxc.container.conf(5)). Pure.
 * @throws LxdeckError E_INVALID_VALUE for an unknown key, a value that is not a whole number >= 0, or a group name with other than letters, digits, `_ . -`
 */
export function parseAutostartInput(text: string): Partial<AutostartSettings> {
  const out: Partial<AutostartSettings> = {};
  for (const part of text.split(/\s+/).filter(Boolean)) {
    const m = /^(order|delay|group|groups)=(.*)$/.exec(part);
    if (!m) throw new LxdeckError('E_INVALID_VALUE', `"${part}" is not order=N, delay=SECONDS or group=a,b`);
    const [, k, v] = m;
    if (k === 'group' || k === 'groups') {
      out.groups = v.split(',').map((g) => g.trim()).filter(Boolean);
      const bad = out.groups.find((g) => !/^[A-Za-z0-9_.-]+$/.test(g));
      if (bad !== undefined) throw new LxdeckError('E_INVALID_VALUE', `group "${bad}" may hold only letters, digits, '_', '.' and '-'`);
      continue;
    }
    if (!/^\d+$/.test(v)) throw new LxdeckError('E_INVALID_VALUE', `${k} must be a whole number >= 0, got "${v}"`);
    if (k === 'order') out.order = Number(v);
    else out.delay = Number(v);
  }
  if (Object.keys(out).length === 0) throw new LxdeckError('E_INVALID_VALUE', 'nothing to set: type order=N, delay=SECONDS or group=a,b');
  return out;
}
