/**
 * The console's root: holds the UI state (one reducer, src/state/reducer.ts),
 * follows the terminal size, and draws the container list full-screen
 * (exactly `rows` lines, so every frame replaces the whole screen and a
 * resize leaves no stale lines).
 */
import React, { useCallback, useReducer, useRef } from 'react';
import { useApp } from 'ink';
import type { EngineApi } from '../core/types.js';
import { DEFAULT_THEME, type Theme } from '../components/theme.js';
import { ContainerList } from './screens/ContainerList.js';
import { initialState, reducer, type Action, type UiState } from './state/reducer.js';
import { useWindowSize } from './console/use-window-size.js';

export interface AppProps {
  engine: EngineApi;
  /** list refresh interval in ms (default 2000; 0 turns periodic refresh off) */
  refreshMs?: number;
  /** glyphs and colour; default UTF-8 with colour (src/console/terminal-caps.ts detects it) */
  theme?: Theme;
  /** called when the user quits (q, Ctrl+C, Ctrl+D), before Ink's exit() */
  onQuit?: () => void;
}

/** Default list refresh interval in ms. */
export const DEFAULT_REFRESH_MS = 2000;

export function App({ engine, refreshMs = DEFAULT_REFRESH_MS, theme = DEFAULT_THEME, onQuit }: AppProps): React.JSX.Element {
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
  const { exit } = useApp();
  const quit = useCallback(() => {
    onQuit?.();
    exit();
  }, [onQuit, exit]);
  return (
    <ContainerList
      engine={engine}
      state={state}
      getState={getState}
      dispatch={dispatch}
      width={columns}
      height={rows}
      theme={theme}
      refreshMs={refreshMs}
      onQuit={quit}
    />
  );
}
