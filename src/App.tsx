/**
 * The console's root: holds the UI state (one reducer, src/state/reducer.ts),
 * follows the terminal size, and draws the screen on top of the stack
 * (`UiState.screens`; the container list when it is empty) full-screen:
 * exactly `rows` lines, so every frame replaces the whole screen and a
 * resize leaves no stale lines.
 *
 * Adding a screen: a variant of `Screen` in src/state/reducer.ts, a
 * component in src/screens/ taking ScreenProps (src/screens/types.ts), a
 * case in {@link renderScreen} below, and a key in src/keymap.ts whose
 * handler (ContainerList's runList) dispatches `{ type: 'push', screen }`.
 * Esc on a screen dispatches `{ type: 'pop' }`.
 *
 * Console and attach: {@link App} suspends every screen (nothing reads keys,
 * so Ink leaves raw mode), then the engine runs lxc-console / lxc-attach on
 * the real terminal through services.terminal (release before, reclaim
 * after), and the screen below is drawn again where it was. The shell pane
 * (`x`, src/screens/ShellPane.tsx) is the other way: the same lxc-attach on a
 * pty of lxdeck's own, drawn inside the list's screen, nothing handed over.
 */
import React, { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Box, Text, useApp, type Key } from 'ink';
import type { Backend } from '../core/backend.js';
import { formatError } from '../core/errors.js';
import { DEFAULT_THEME, type Theme } from '../components/theme.js';
import { fitToWidth } from '../components/text.js';
import { ContainerList } from './screens/ContainerList.js';
import { CreateWizard } from './screens/CreateWizard.js';
import { CheckconfigReport, loadReport } from './screens/CheckconfigReport.js';
import { ContainerInfoView } from './screens/ContainerInfoView.js';
import { ProcessesView } from './screens/ProcessesView.js';
import { ActionLogView } from './screens/ActionLogView.js';
import { SetupScreen } from './screens/SetupScreen.js';
import { StatsView } from './screens/StatsView.js';
import { LimitsView } from './screens/LimitsView.js';
import { TopView } from './screens/TopView.js';
import { HelpView } from './screens/HelpView.js';
import { SnapshotsView } from './screens/SnapshotsView.js';
import { StatsStore } from './state/stats-store.js';
import type { QuitHow } from './keymap.js';
import type { ScreenProps } from './screens/types.js';
import { consoleEscapeOf } from './screens/console-escape.js';
import type { ConsoleServices } from './console/services.js';
import { QUIT_PENDING_NOTE, initialState, reducer, topScreen, type Action, type UiState } from './state/reducer.js';
import { useWindowSize } from './console/use-window-size.js';
import { markRender } from './console/frame-log.js';

export interface AppProps {
  engine: Backend;
  /** list refresh interval in ms for an engine without a sampler (default 2000; 0 turns periodic refresh off) */
  refreshMs?: number;
  /**
   * With a sampler (engine.sampler): the live stats interval in ms (default 1000; 0 = no
   * stream). ONE stream feeds the stats store every screen reads (src/state/stats-store.ts).
   */
  statsMs?: number;
  /** with a sampler: the full engine.list() (lxc-info per container, for IPv4) every this many ms (default 60000; 0 = on demand only) */
  listRefreshMs?: number;
  /** glyphs and colour; default UTF-8 with colour (src/console/terminal-caps.ts detects it) */
  theme?: Theme;
  /**
   * called when the user quits (q, Ctrl+C, Ctrl+D), before Ink's exit(); `how` is `interrupt` for Ctrl+C;
   * `left` is the busy text of an action the user quit at once while it ran (see {@link App}'s quit)
   */
  onQuit?: (how: QuitHow, left?: string) => void;
  /** the host report, action log, wizard env and terminal hand-off (runConsole passes the real ones) */
  services?: ConsoleServices;
  /** `lxdeck --read-only`: keys that change something are hidden and refused (Command.changes) */
  readOnly?: boolean;
}

/** Default list refresh interval in ms. */
export const DEFAULT_REFRESH_MS = 2000;

const NO_SERVICES: ConsoleServices = {};

/** Default live stats interval in ms (1 Hz, as lxc-top -d 1). */
export const DEFAULT_STATS_MS = 1000;

export function App({ engine, refreshMs = DEFAULT_REFRESH_MS, statsMs = DEFAULT_STATS_MS, listRefreshMs, theme = DEFAULT_THEME, onQuit, services = NO_SERVICES, readOnly = false }: AppProps): React.JSX.Element {
  markRender();
  const [state, reactDispatch] = useReducer(reducer, initialState);
  // The same fold of the same actions, done at dispatch time: what the next
  // render will show, readable before it happens (see ContainerList's keys).
  const current = useRef<UiState>(initialState);
  const dispatch = useCallback((a: Action) => {
    current.current = reducer(current.current, a);
    reactDispatch(a);
  }, []);
  const getState = useCallback(() => current.current, []);
  const { columns, rows } = useWindowSize();

  // ---- live stats: ONE sampler stream for every screen
  const [stats] = useState(() => (engine.sampler ? new StatsStore() : null));
  useEffect(() => {
    if (!stats || !engine.sampler || statsMs <= 0) return undefined;
    return stats.connect(engine.sampler(), statsMs);
  }, [stats, engine, statsMs]);
  const { exit } = useApp();
  // A quit key while an action runs (a start, a copy: state.busy) does not leave it silently: the
  // first press quits once it has ended (the busy line says so, with the key that quits now); a
  // second Ctrl+C quits at once and the action is left as it is (runConsole prints what was left).
  const quitWhenIdle = useRef<QuitHow | null>(null);
  const quit = useCallback(
    (how: QuitHow = 'key') => {
      const running = current.current.busy;
      if (running !== null && quitWhenIdle.current === null) {
        quitWhenIdle.current = how;
        dispatch({ type: 'quit-pending' });
        return;
      }
      if (running !== null && how !== 'interrupt') return; // only Ctrl+C quits at once
      onQuit?.(how, running === null ? undefined : running.replace(QUIT_PENDING_NOTE, ''));
      exit();
    },
    [onQuit, exit, dispatch],
  );
  useEffect(() => {
    if (state.busy !== null || quitWhenIdle.current === null) return;
    // the action ended (its outcome is in the action log): quit as asked
    const how = quitWhenIdle.current;
    quitWhenIdle.current = null;
    onQuit?.(how);
    exit();
  }, [state.busy, onQuit, exit]);

  // ---- keys read with the key that opened a screen go to that screen
  const pendingKeys = useRef<[string, Key][]>([]);
  const takePendingKeys = useCallback(() => pendingKeys.current.splice(0), []);
  // appended, not replaced: keys arriving one by one between the key that opened a screen and
  // the moment that screen subscribes its handler queue up for it in order
  const stashKeys = useCallback((keys: [string, Key][]) => {
    pendingKeys.current.push(...keys);
  }, []);

  // ---- the host report at start: opened when it has errors
  useEffect(() => {
    if (!services.checkconfig || services.checkAtStart === false) return;
    let live = true;
    void loadReport(services.checkconfig, dispatch).then((r) => {
      if (live && r && r.errors > 0 && current.current.screens.length === 0) {
        dispatch({ type: 'push', screen: { kind: 'checkconfig' } });
        dispatch({ type: 'status', status: { kind: 'error', message: `this host has ${r.errors} problem${r.errors === 1 ? ' that stops' : 's that stop'} containers`, hint: 'each red line says how to fix it; Esc shows the containers' } });
      }
    });
    return () => {
      live = false;
    };
  }, [services, dispatch]);

  // ---- console / attach: suspend the screens, then hand the terminal over
  const suspendedWaiter = useRef<(() => void) | null>(null);
  useEffect(() => {
    if (state.suspended !== null && suspendedWaiter.current) {
      // every screen has unmounted: no useInput is active, Ink has left raw mode
      const go = suspendedWaiter.current;
      suspendedWaiter.current = null;
      go();
    }
  }, [state.suspended]);

  const handOff = useCallback(
    async (kind: 'attach' | 'console', name: string): Promise<void> => {
      const terminal = services.terminal;
      const run = kind === 'attach' ? engine.attach : engine.console;
      if (!terminal || !run) {
        dispatch({ type: 'status', status: { kind: 'error', message: `${kind} is not available here`, hint: `run lxdeck ${kind} ${name}` } });
        return;
      }
      if (current.current.suspended !== null) return;
      const escape = consoleEscapeOf(engine, name);
      const note =
        kind === 'attach'
          ? `lxdeck: attached to ${name}; exit the shell (exit or Ctrl+D) to come back`
          : `lxdeck: console of ${name}; type ${escape} to come back`;
      await new Promise<void>((resolve) => {
        suspendedWaiter.current = resolve;
        dispatch({ type: 'suspend', text: kind === 'attach' ? `attaching to ${name}` : `opening the console of ${name}` });
      });
      let released = false;
      const beforeHandover = (): void => {
        released = true;
        terminal.release(`${note}\r\n`);
      };
      try {
        const r = kind === 'attach' ? await engine.attach!(name, undefined, { beforeHandover }) : await engine.console!(name, { beforeHandover });
        dispatch({
          type: 'status',
          status: { kind: r.exitCode === 0 ? 'ok' : 'info', message: `back from ${kind === 'attach' ? 'attach to' : 'the console of'} ${name}${kind === 'attach' ? ` (exit status ${r.exitCode})` : ''}` },
        });
      } catch (e) {
        const { message, hint } = formatError(e);
        dispatch({ type: 'status', status: { kind: 'error', message, hint } });
      } finally {
        if (released) terminal.reclaim();
        dispatch({ type: 'resume' });
      }
    },
    [engine, services, dispatch],
  );

  if (state.suspended !== null) {
    // nothing here reads keys; drawn on the alternate screen until the child takes the terminal
    return (
      <Box width={columns} height={rows} flexDirection="column">
        <Text wrap="truncate">{fitToWidth(`${state.suspended}${theme.ascii ? '...' : '…'}`, columns)}</Text>
      </Box>
    );
  }

  const props: ScreenProps = { engine, state, getState, dispatch, services, width: columns, height: rows, theme, onQuit: quit, takePendingKeys, stashKeys, stats, readOnly };
  return renderScreen(props, { refreshMs, listRefreshMs, handOff });
}

/** The screen on top of the stack, or the container list. */
function renderScreen(p: ScreenProps, list: { refreshMs: number; listRefreshMs?: number; handOff: (kind: 'attach' | 'console', name: string) => Promise<void> }): React.JSX.Element {
  const top = topScreen(p.state);
  switch (top?.kind) {
    case undefined:
      return <ContainerList {...p} refreshMs={list.refreshMs} listRefreshMs={list.listRefreshMs} onHandOff={list.handOff} />;
    case 'create':
      return <CreateWizard {...p} />;
    case 'checkconfig':
      return <CheckconfigReport {...p} />;
    case 'info':
      return <ContainerInfoView key={top.name} {...p} name={top.name} />;
    case 'processes':
      return <ProcessesView key={top.name} {...p} name={top.name} />;
    case 'log':
      return <ActionLogView {...p} />;
    case 'setup':
      return <SetupScreen {...p} />;
    case 'stats':
      return <StatsView key={top.name} {...p} name={top.name} />;
    case 'limits':
      return <LimitsView key={top.name} {...p} name={top.name} />;
    case 'top':
      return <TopView {...p} />;
    case 'snapshots':
      return <SnapshotsView key={top.name} {...p} name={top.name} />;
    case 'help':
      return <HelpView {...p} />;
    default: {
      const never: never = top;
      return never;
    }
  }
}
