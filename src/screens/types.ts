/** What every screen above the list gets from App. */
import type React from 'react';
import type { Key } from 'ink';
import type { Backend } from '../../core/backend.js';
import type { Theme } from '../../components/theme.js';
import type { ConsoleServices } from '../console/services.js';
import type { Action, UiState } from '../state/reducer.js';
import type { StatsStore } from '../state/stats-store.js';
import type { QuitHow } from '../keymap.js';

export interface ScreenProps {
  engine: Backend;
  /** the UI state to draw */
  state: UiState;
  /** the UI state with every dispatched action applied (for key handlers) */
  getState: () => UiState;
  dispatch: React.Dispatch<Action>;
  services: ConsoleServices;
  width: number;
  height: number;
  theme: Theme;
  /** quit the console (q, Ctrl+C, Ctrl+D); `how` from {@link quitHow} of the key (Ctrl+C exits 130) */
  /**
   * Quits the console (q, Ctrl+D; Ctrl+C is `interrupt`: exit 130). While an action runs (UiState.busy)
   * the first press waits for it to end and says so; a second Ctrl+C quits at once, leaving it.
   */
  onQuit: (how?: QuitHow) => void;
  /**
   * Keys read together with the key that opened this screen ("cweb" typed fast: `c` opens the
   * wizard, "web" is its name); a screen takes them once, when it starts reading keys.
   */
  takePendingKeys: () => [string, Key][];
  /**
   * The screen below hands keys over to the screen it opened: the rest of the read, and every key
   * that reaches it before the new screen subscribes its handler (appended in order).
   */
  stashKeys: (keys: [string, Key][]) => void;
  /**
   * The live stats: ONE sampler stream shared by every screen (read it with
   * src/hooks/use-stats.ts); null when the engine has no sampler.
   */
  stats?: StatsStore | null;
  /**
   * `lxdeck --read-only`: every command that changes something (Command.changes in
   * src/keymap.ts) is hidden from the footer and refused when pressed
   */
  readOnly?: boolean;
}
