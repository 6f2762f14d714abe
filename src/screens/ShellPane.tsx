/**
 * The shell pane: a container's shell (the same lxc-attach as the `a` key's
 * full hand-over, core/lxc/attach.ts) on a pty of lxdeck's own
 * (engine.attachPty, core/exec/pty.ts), drawn inside the console under the
 * container list, which stays live above it.
 *
 * - Screen: the pty's output feeds an xterm screen model (@xterm/headless,
 *   src/console/pane-screen.ts, loaded with a dynamic import when the first
 *   pane opens); its visible lines are drawn by components/TerminalPane.tsx,
 *   at most once per PANE_REDRAW_MS and only after output changed something.
 * - Keys: every key read by Ink (raw, escape sequences whole) goes to the
 *   shell except the pane's own (src/keymap.ts PANE_COMMANDS: Ctrl+a q
 *   leaves, Ctrl+a a types Ctrl+a). Keys typed while the shell starts are
 *   sent once it runs.
 * - Size: the pty and the screen model follow the pane's size
 *   (TIOCSWINSZ: the shell gets SIGWINCH), which follows the terminal's.
 * - End: Ctrl+a q ends lxc-attach (PtyChild.end: SIGTERM, SIGKILL after
 *   2 s); the shell exiting by itself (exit, Ctrl+D) closes the pane too.
 *   Either way the status line says so and the list has the keys again.
 *   Unmounting (the console quits) ends the shell as well.
 */
import React, { useEffect, useRef, useState } from 'react';
import { useStdin } from 'ink';
import type { Backend } from '../../core/backend.js';
import type { PtyChild } from '../../core/exec/pty.js';
import { formatError } from '../../core/errors.js';
import { TerminalPane, terminalPaneRows, type PaneLine } from '../../components/TerminalPane.js';
import type { Theme } from '../../components/theme.js';
import { PANE_COMMANDS } from '../keymap.js';
import { applicationCursorKeys, createPaneKeyReader } from '../console/pane-keys.js';
import type { PaneScreen } from '../console/pane-screen.js';
import type { Action } from '../state/reducer.js';

/** The pane is redrawn at most this often (ms), and only when the shell wrote something. */
export const PANE_REDRAW_MS = 40;

export interface ShellPaneProps {
  engine: Backend;
  /** the running container whose shell this is */
  name: string;
  /** cells, the pane's title rule included */
  width: number;
  height: number;
  theme: Theme;
  dispatch: React.Dispatch<Action>;
  /** draw nothing and keep the pty's size (the terminal is too small for the console): the shell runs on */
  hidden?: boolean;
}

export function ShellPane({ engine, name, width, height, theme, dispatch, hidden = false }: ShellPaneProps): React.JSX.Element | null {
  const cols = width;
  const rows = terminalPaneRows(height);
  const [lines, setLines] = useState<PaneLine[]>([]);
  const [running, setRunning] = useState(false);
  const size = useRef({ cols, rows });
  if (!hidden) size.current = { cols, rows };
  const session = useRef<{ child: PtyChild; screen: PaneScreen } | null>(null);
  /** keys typed before the shell runs */
  const early = useRef('');
  const leaving = useRef(false);
  const cancel = useRef<() => void>(() => {});

  // ---- the session: one per mounted pane
  useEffect(() => {
    let live = true;
    let screen: PaneScreen | null = null;
    let stopData: (() => void) | null = null;
    const close = (status: Parameters<typeof dispatch>[0] | null): void => {
      if (status) dispatch(status);
      dispatch({ type: 'pane-close' });
    };
    cancel.current = () => {
      leaving.current = true;
      live = false;
      close({ type: 'status', status: { kind: 'info', message: `left the shell in ${name} before it started` } });
    };
    void (async () => {
      if (!engine.attachPty) throw new Error('this engine has no attachPty');
      const { PaneScreen } = await import('../console/pane-screen.js');
      if (!live) return;
      screen = new PaneScreen(size.current.cols, size.current.rows, PANE_REDRAW_MS);
      const s = screen;
      s.onChange(() => {
        if (live) setLines(s.lines());
      });
      const r = await engine.attachPty(name, {
        cols: size.current.cols,
        rows: size.current.rows,
        onStart(child) {
          if (!live) {
            void child.end();
            return;
          }
          session.current = { child, screen: s };
          stopData = child.onData((d) => s.write(d));
          // the pane may have changed size while lxc-attach started
          s.resize(size.current.cols, size.current.rows);
          child.resize(size.current.cols, size.current.rows);
          if (early.current) child.write(early.current);
          early.current = '';
          setRunning(true);
        },
      });
      if (!live) return;
      live = false;
      close({
        type: 'status',
        status: leaving.current
          ? { kind: 'ok', message: `left the shell in ${name} (Ctrl+a q)` }
          : { kind: r.exitCode === 0 ? 'ok' : 'info', message: `the shell in ${name} ended (exit status ${r.exitCode})` },
      });
    })().catch((e: unknown) => {
      if (!live) return;
      live = false;
      const { message, hint } = formatError(e);
      close({ type: 'status', status: { kind: 'error', message: `no shell in ${name}: ${message}`, hint } });
    });
    return () => {
      live = false;
      stopData?.();
      const cur = session.current;
      session.current = null;
      if (cur) void cur.child.end();
      screen?.dispose();
    };
    // one session per mount: the container and the engine do not change under a pane
  }, []);

  // ---- size: the pty and the screen model follow the pane
  useEffect(() => {
    const cur = session.current;
    if (!cur || hidden) return;
    cur.screen.resize(cols, rows);
    cur.child.resize(cols, rows);
    setLines(cur.screen.lines());
  }, [cols, rows, running, hidden]);

  // ---- keys: raw, as Ink read them
  const { internal_eventEmitter: input } = useStdin();
  useEffect(() => {
    const read = createPaneKeyReader(PANE_COMMANDS);
    const onInput = (data: string): void => {
      const { toChild, commands } = read(data);
      const cur = session.current;
      if (toChild) {
        if (!cur) early.current += toChild;
        else cur.child.write(cur.screen.applicationCursorKeys ? applicationCursorKeys(toChild) : toChild);
      }
      for (const c of commands) {
        if (c === 'sendPrefix') {
          if (cur) cur.child.write('\u0001');
          else early.current += '\u0001';
        } else if (c === 'leave') {
          if (leaving.current) continue;
          leaving.current = true;
          if (cur) void cur.child.end();
          else cancel.current();
        }
      }
    };
    input.on('input', onInput);
    return () => {
      input.off('input', onInput);
    };
  }, [input]);

  if (hidden) return null;
  const ell = theme.ascii ? '...' : '…';
  const title = running ? `shell in ${name}` : `starting a shell in ${name}${ell}`;
  return <TerminalPane lines={lines} title={title} note={`${cols}x${rows}`} width={width} height={height} theme={theme} />;
}
