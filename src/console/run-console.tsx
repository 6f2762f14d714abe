/**
 * Runs the console on a terminal and gives the terminal back as it found
 * it on every way out (case R4).
 *
 * On start (stdout a TTY): enter the alternate screen (`CSI ? 1049 h`,
 * xterm's "save cursor and use alternate screen buffer"), clear it, hide
 * the cursor. Ink puts stdin in raw mode while keys are read.
 *
 * On exit, whatever the cause: unmount Ink, set raw mode off
 * (`stdin.setRawMode(false)`, so the line discipline is back in canonical
 * mode with echo: `stty -a` shows `icanon echo`), show the cursor
 * (`CSI ? 25 h`), leave the alternate screen (`CSI ? 1049 l`), then
 * resolve with the exit status:
 *  - `q`, Ctrl+D: 0
 *  - Ctrl+C (a key in raw mode, so no signal is sent): 130, what a shell
 *    reports for a program ended by Ctrl+C (128 + SIGINT), so `lxdeck && next`
 *    does not go on after an interrupt
 *  - SIGTERM, SIGHUP (an SSH connection that drops), SIGINT, SIGQUIT:
 *    128 + the signal number (143, 129, 130, 131)
 *  - an uncaught exception, an unhandled rejection, or an error thrown
 *    while rendering: 1, with the error printed on the normal screen
 *    (stderr) after the terminal is restored.
 * A process 'exit' listener restores the terminal too, as a last resort.
 */
import React from 'react';
import { render, type Instance } from 'ink';
import { constants as osConstants } from 'node:os';
import type { Backend } from '../../core/backend.js';
import { formatError, isLxdeckError } from '../../core/errors.js';
import type { Theme } from '../../components/theme.js';
import { App, DEFAULT_REFRESH_MS } from '../App.js';
import type { QuitHow } from '../keymap.js';
import { detectTheme } from './terminal-caps.js';
import { hostServices, type ConsoleServices, type TerminalHandOff } from './services.js';
import { GatedStdout } from './terminal-gate.js';
import { mapStack } from '../stack-map.js';
import { frameLogFromEnv } from './frame-log.js';
import { markConsoleShown } from '../console-handoff.js';
import { trimYoungGenerationWhenIdle } from './young-gen.js';

/**
 * What the console prints when Ctrl+C quit it while an action ran (`busy`, e.g. `copying a to b`):
 * the lxc-* command then running goes on in its own process group (core/exec runs it detached), but
 * lxdeck's own steps after it are not done, so a container may be left half-made.
 */
export function leftRunningText(busy: string): string {
  return (
    `lxdeck: quit while ${busy}: the lxc-* command that was running goes on without lxdeck, and the steps after it were not done\n` +
    'hint: check with lxdeck ls and lxdeck info NAME; lxdeck destroy --force NAME removes a half-made container'
  );
}

/** xterm control sequences (ECMA-48 CSI, DEC private modes). */
export const ENTER_ALT_SCREEN = '\u001b[?1049h';
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';
export const HIDE_CURSOR = '\u001b[?25l';
export const SHOW_CURSOR = '\u001b[?25h';
/** erase the whole display, cursor to the top left */
export const CLEAR_SCREEN = '\u001b[2J\u001b[H';

export interface RunConsoleOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** where a fatal error is printed after the terminal is restored (default process.stderr) */
  stderr?: NodeJS.WriteStream;
  /** list refresh interval in ms (default 2000) */
  refreshMs?: number;
  /** default: detected from the environment (detectTheme) */
  theme?: Theme;
  /**
   * Overrides of the real services (hostServices): e.g. `{ checkconfig: undefined }` for no
   * host report at start. The terminal hand-off is always runConsole's own unless given here.
   */
  services?: Partial<ConsoleServices>;
  /** `lxdeck --read-only`: keys that change something are hidden and refused */
  readOnly?: boolean;
}

/** Signals that end the console, with the status `128 + signo` they exit with. */
const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'];

function exitStatusFor(sig: NodeJS.Signals): number {
  return 128 + (osConstants.signals[sig] ?? 0);
}

function safeWrite(stream: NodeJS.WriteStream, s: string): void {
  try {
    if (!stream.destroyed && stream.writable !== false) stream.write(s);
  } catch {
    // the terminal may be gone (SIGHUP): nothing left to restore on it
  }
}

/**
 * Runs the console until the user quits, a signal arrives or an error
 * escapes; see the module comment for the terminal handling and the exit
 * statuses. Resolves with the exit status; the caller exits with it.
 * When the process does not end within 2 s of a signal or fatal error
 * (something else holds the event loop), it is ended with that status.
 * Needs stdin and stdout to be terminals (check with isInteractive first);
 * with a non-TTY stdout the alternate screen is not used.
 */
export async function runConsole(engine: Backend, opts: RunConsoleOptions = {}): Promise<number> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const theme = opts.theme ?? detectTheme(process.env);
  const tty = stdout.isTTY === true;

  let restored = false;
  const restoreTerminal = (): void => {
    if (restored) return;
    restored = true;
    try {
      if (stdin.isTTY && typeof stdin.setRawMode === 'function') stdin.setRawMode(false);
    } catch {
      // stdin closed
    }
    safeWrite(stdout, SHOW_CURSOR + (tty ? LEAVE_ALT_SCREEN : ''));
  };

  const ignoreStreamError = (): void => {
    // EIO/EPIPE after the terminal went away must not become an uncaught error
  };
  stdout.on('error', ignoreStreamError);
  stdin.on('error', ignoreStreamError);

  // While a child (lxc-attach, lxc-console) has the terminal: Ink's writes
  // are dropped, SIGINT and SIGQUIT (typed into the child) do not end us.
  let handedOver = false;

  // Registered before Ink's own resize listener (the gate forwards resizes
  // after this), so the screen is blank when Ink redraws: no line of the old
  // size is left over (case R2).
  const onResize = (): void => {
    if (!handedOver) safeWrite(stdout, CLEAR_SCREEN);
  };
  if (tty) stdout.on('resize', onResize);
  const gate = new GatedStdout(stdout);

  const terminal: TerminalHandOff = {
    release(note?: string): void {
      if (handedOver) return;
      handedOver = true;
      gate.closed = true;
      try {
        if (stdin.isTTY && typeof stdin.setRawMode === 'function') stdin.setRawMode(false);
        // Ink has removed its 'readable' listener (no screen reads keys now): stop reading
        // the terminal so every key goes to the child
        stdin.pause();
      } catch {
        // stdin closed
      }
      safeWrite(stdout, SHOW_CURSOR + (tty ? LEAVE_ALT_SCREEN : '') + (note ?? ''));
    },
    reclaim(): void {
      if (!handedOver) return;
      safeWrite(stdout, (tty ? ENTER_ALT_SCREEN : '') + CLEAR_SCREEN + HIDE_CURSOR);
      gate.closed = false;
      handedOver = false;
    },
  };
  const services: ConsoleServices = { ...hostServices(engine, terminal), ...opts.services };

  if (tty) safeWrite(stdout, ENTER_ALT_SCREEN + CLEAR_SCREEN);
  safeWrite(stdout, HIDE_CURSOR);
  process.on('exit', restoreTerminal);

  return new Promise<number>((resolve) => {
    let instance: Instance | undefined;
    let done = false;
    const handlers: [string, (...a: never[]) => void][] = [];
    const on = (event: string, fn: (...a: never[]) => void): void => {
      handlers.push([event, fn]);
      process.on(event as NodeJS.Signals, fn as () => void);
    };

    // an idle console lets V8 shrink its young generation (src/console/young-gen.ts)
    const youngGen = trimYoungGenerationWhenIdle();
    let frameLog: ReturnType<typeof frameLogFromEnv>;
    const onRender = (m: { renderTime: number }): void => {
      markConsoleShown();
      youngGen.frame();
      frameLog?.(m);
    };
    const finish = (status: number, error?: unknown, hard = false, note?: string): void => {
      if (done) return;
      done = true;
      youngGen.stop();
      try {
        instance?.unmount();
      } catch {
        // a broken tree or a closed stream: the terminal is restored below anyway
      }
      restoreTerminal();
      for (const [event, fn] of handlers) process.off(event, fn as () => void);
      process.off('exit', restoreTerminal);
      stdout.off('resize', onResize);
      gate.dispose();
      stdout.off('error', ignoreStreamError);
      stdin.off('error', ignoreStreamError);
      try {
        stdin.pause();
        if (typeof (stdin as { unref?: () => void }).unref === 'function') (stdin as { unref: () => void }).unref();
      } catch {
        // closed
      }
      if (error !== undefined) {
        const { message, hint } = formatError(error);
        let text = `lxdeck: ${message}\n`;
        if (hint) text += `hint: ${hint}\n`;
        if (!isLxdeckError(error) && error instanceof Error && error.stack) text += `${mapStack(error.stack)}\n`;
        safeWrite(stderr, text);
      }
      if (note !== undefined) safeWrite(stderr, `${note}\n`);
      if (hard) setTimeout(() => process.exit(status), 2000).unref();
      resolve(status);
    };

    for (const sig of SIGNALS)
      on(sig, () => {
        // typed into lxc-attach / lxc-console: theirs, not ours
        if (handedOver && (sig === 'SIGINT' || sig === 'SIGQUIT')) return;
        finish(exitStatusFor(sig), undefined, true);
      });
    on('uncaughtException', (e: unknown) => finish(1, e, true));
    on('unhandledRejection', (e: unknown) => finish(1, e, true));

    // Ctrl+C quits like q but exits as the interrupt it is (128 + SIGINT)
    let quitStatus = 0;
    let left: string | undefined;
    const onQuit = (how: QuitHow, running?: string): void => {
      quitStatus = how === 'interrupt' ? exitStatusFor('SIGINT') : 0;
      left = running;
    };
    try {
      frameLog = frameLogFromEnv();
      instance = render(
        <App engine={engine} refreshMs={opts.refreshMs ?? DEFAULT_REFRESH_MS} theme={theme} services={services} readOnly={opts.readOnly ?? false} onQuit={onQuit} />,
        { stdin, stdout: gate as unknown as NodeJS.WriteStream, stderr, exitOnCtrlC: false, patchConsole: true, onRender },
      );
    } catch (e) {
      finish(1, e);
      return;
    }
    instance.waitUntilExit().then(
      // said on the normal screen, after the terminal is back: what the quit left
      // (hard: the action's child process and timers would keep this process alive until it ends)
      () => finish(quitStatus, undefined, left !== undefined, left === undefined ? undefined : leftRunningText(left)),
      (e: unknown) => finish(1, e),
    );
  });
}
