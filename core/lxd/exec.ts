/**
 * An interactive exec in an LXD instance over its websockets, as LXD's own `lxc exec` does on a
 * terminal (issue 10, part 3). Follows the LXD REST API documentation, "Instances" ->
 * `POST /1.0/instances/NAME/exec` with `interactive: true` and `wait-for-websocket: true`: the
 * answer is a background operation whose metadata `fds` holds one secret for the pty ("0": keys
 * in, output out, binary messages) and one for "control"; each is opened as
 * `GET /1.0/operations/UUID/websocket?secret=SECRET` on the unix socket (the `ws` package's
 * `ws+unix://` addressing). A window change is the control message
 * `{"command": "window-resize", "args": {"width": "W", "height": "H"}}`. Output and keys are binary
 * messages; an empty text message is the end of either side's stream (LXD's websocket mirror), which
 * LXD waits for from the client before it ends the operation. The command's exit status is the
 * finished operation's `metadata.return`.
 *
 * The console (`POST /1.0/instances/NAME/console` with `{"type": "console", "width": W, "height": H}`,
 * as `lxc console` does) is the same pattern: an operation with a data websocket ("0") and a
 * "control" one that takes the same window-resize message; closing the control websocket ends the
 * console (LXD closes it and the operation finishes). LXD's console has no escape sequence of its
 * own: lxdeck reads Ctrl+a q from the keys itself, as LXD's client does. Both use one
 * {@link LxdTerminal}; a signal for the command is `{"command": "signal", "signal": N}` on control.
 */
import { LxdeckError } from '../errors.js';
import type { InteractiveResult } from '../types.js';
import { createEscapeReader, ptyChildOf, type PtyChild } from '../exec/pty.js';
import type { LxdClient, LxdOperation } from './client.js';

/** The shell an attach without a command runs: bash when the instance has it, else /bin/sh (every image has one). */
export const LXD_SHELL = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash -l; fi; exec /bin/sh -l'];

/** What {@link execInteractive} needs of the terminal: process.stdin and process.stdout, or stand-ins in tests. */
export interface TerminalIn extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(on: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
}
export interface TerminalOut extends NodeJS.EventEmitter {
  columns?: number;
  rows?: number;
  write(d: Buffer | string): unknown;
}

type Ws = {
  on(ev: 'open', f: () => void): void;
  on(ev: 'message', f: (data: Buffer, isBinary: boolean) => void): void;
  on(ev: 'close', f: () => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  once(ev: 'open' | 'close', f: () => void): void;
  once(ev: 'error', f: (e: Error) => void): void;
  send(d: Buffer | string, opts?: { binary?: boolean }): void;
  close(): void;
  terminate(): void;
  readyState: number;
};

/** The control message that sets the pty's size (LXD REST API, exec and console "control" websocket). */
export function windowResizeMessage(columns: number, rows: number): string {
  return JSON.stringify({ command: 'window-resize', args: { width: String(columns), height: String(rows) } });
}

/** The control message that sends `signal` (a number, signal(7)) to the exec'd command (LXD REST API, exec "control" websocket). */
export function signalMessage(signal: number): string {
  return JSON.stringify({ command: 'signal', signal });
}

/**
 * One LXD operation with a terminal: an interactive exec or a console, its data websocket (keys
 * in, output out) and its control websocket open (see the module comment). Output that comes
 * before {@link output} is called is kept for it.
 */
export class LxdTerminal {
  /** resolves with the finished operation once the command or console ended and its output was read (at most 1 s after) */
  readonly done: Promise<LxdOperation>;
  private sink: ((chunk: Buffer) => void) | null = null;
  private early: Buffer[] = [];

  private constructor(
    private readonly data: Ws,
    private readonly ctl: Ws,
    readonly operation: string,
    ended: Promise<LxdOperation>,
  ) {
    // the end is the operation's end: LXD 5.0 does not always close the data websocket then, so both
    // are watched; output still in flight when the operation ends is read before closing
    const closed = new Promise<void>((resolve) => {
      data.on('message', (d: Buffer, isBinary: boolean) => {
        if (isBinary) {
          if (!d.length) return;
          if (this.sink) this.sink(d);
          else this.early.push(d);
          return;
        }
        // an empty text message is LXD's end of the pty's output (its mirror's write barrier):
        // answer with ours (no more keys) so that LXD's mirror, and with it the operation, ends
        if (data.readyState === 1) data.send('', { binary: false });
      });
      data.on('close', () => resolve());
      data.on('error', () => resolve());
    });
    this.done = (async () => {
      const first = await Promise.race([closed.then(() => null), ended]);
      if (first === null) return ended;
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
      return first;
    })();
    this.done.catch(() => undefined); // read by the caller; never an unhandled rejection
  }

  /**
   * POSTs `body` to `path` (an exec with interactive and wait-for-websocket, or a console) and
   * opens the operation's data ("0") and control websockets on the unix socket.
   * @throws LxdeckError from the request (E_NOT_FOUND, E_STATE...), E_API when the answer has no
   *   websocket secrets, E_UNREACHABLE when a websocket cannot be opened
   */
  static async open(client: LxdClient, name: string, path: string, body: unknown, what: string): Promise<LxdTerminal> {
    const env = await client.request<LxdOperation>('POST', path, body);
    const opUrl = env.operation;
    const fds = (env.metadata?.metadata as { fds?: Record<string, string> } | null)?.fds;
    if (!opUrl || !fds?.['0'] || !fds.control) throw new LxdeckError('E_API', `LXD's ${what} answer for ${name} has no websocket secrets`, { hint: 'is this LXD 5.0 or newer? (lxc version)' });
    const WebSocket = (await import('ws')).default;
    const open = (secret: string): Promise<Ws> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws+unix://${client.socketPath}:${opUrl}/websocket?secret=${encodeURIComponent(secret)}`, { headers: { Host: 'lxd' }, handshakeTimeout: 10_000 }) as unknown as Ws;
        ws.once('open', () => resolve(ws));
        ws.once('error', (e) =>
          reject(new LxdeckError('E_UNREACHABLE', `cannot open LXD's ${what} websocket for ${name}: ${e.message}`, { hint: 'lxc operation list shows the operation', cause: e })),
        );
      });
    const [data, control] = await Promise.all([open(fds['0']), open(fds.control)]);
    // a websocket that errs later (the daemon went away) must not be an uncaught 'error' event
    control.on('error', () => undefined);
    const ended = (async (): Promise<LxdOperation> => {
      for (;;) {
        const op = await client.get<LxdOperation>(`${opUrl}/wait?timeout=30`);
        if (op.status_code >= 200) return op;
      }
    })();
    return new LxdTerminal(data, control, opUrl, ended);
  }

  /** Starts the output: `fn` gets every chunk (what came before first). Once. */
  output(fn: (chunk: Buffer) => void): void {
    this.sink = fn;
    for (const b of this.early.splice(0)) fn(b);
  }

  /** Keys for the command or console (dropped once the websocket closed). */
  write(d: Buffer): void {
    if (d.length && this.data.readyState === 1) this.data.send(d, { binary: true });
  }

  /** One message on the control websocket (window-resize, signal). */
  control(message: string): void {
    if (this.ctl.readyState === 1) this.ctl.send(message);
  }

  /** The window size, in character cells. */
  resize(cols: number, rows: number): void {
    this.control(windowResizeMessage(cols, rows));
  }

  /** Closes the control websocket with a normal closure: LXD ends a console then (and kills an exec'd command). */
  closeControl(): void {
    if (this.ctl.readyState === 0 || this.ctl.readyState === 1) this.ctl.close();
  }

  /** Drops both websockets at once (after the end, or when giving up). */
  dispose(): void {
    this.ctl.terminate();
    this.data.terminate();
  }
}

/**
 * Runs `term` on this process's terminal: keys from `stdin` (raw mode while it runs, restored after,
 * also on failure) go to it, its output to `stdout`, the window size at start and on each 'resize'
 * of `stdout`. With `escape`, Ctrl+a q typed calls `escape.leave` (see createEscapeReader) and the
 * keys after it are dropped. SIGINT and SIGQUIT are ignored meanwhile (keys for the far side).
 * Resolves with the finished operation, or null when `stop` resolved first; the websockets are
 * dropped either way.
 */
async function handTerminal(
  term: LxdTerminal,
  io: { stdin: TerminalIn; stdout: TerminalOut; escape?: { leave: () => void }; stop?: Promise<null> },
): Promise<LxdOperation | null> {
  const { stdin, stdout } = io;
  const width = stdout.columns || 80;
  const height = stdout.rows || 24;
  const read = io.escape ? createEscapeReader() : null;
  let leaving = false;
  const onKey = (d: Buffer | string) => {
    const b = typeof d === 'string' ? Buffer.from(d) : d;
    if (!read) return term.write(b);
    if (leaving) return;
    const { forward, leave } = read(b);
    term.write(forward);
    if (leave) {
      leaving = true;
      io.escape!.leave();
    }
  };
  const onResize = () => term.resize(stdout.columns || width, stdout.rows || height);
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  // Ctrl+C and friends are keys for the far side (raw mode sends them as bytes); a SIGINT that
  // still reaches lxdeck must not end it while the instance has the terminal
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  term.output((d) => stdout.write(d));
  try {
    if (raw) stdin.setRawMode!(true);
    stdin.on('data', onKey);
    stdout.on('resize', onResize);
    stdin.resume();
    onResize();
    return await (io.stop ? Promise.race([term.done, io.stop]) : term.done);
  } finally {
    stdin.off('data', onKey);
    stdout.off('resize', onResize);
    if (raw) stdin.setRawMode!(false);
    stdin.pause();
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
    term.dispose();
  }
}

/** The exec request of an interactive command with a pty of `width` x `height` cells. */
function execBody(command: string[], env: Record<string, string>, width: number, height: number): Record<string, unknown> {
  return { command, environment: env, 'wait-for-websocket': true, interactive: true, width, height, 'record-output': false };
}

/** The exit status of a finished exec operation (`metadata.return`), -1 when LXD reported none. @throws LxdeckError E_API when it failed */
function execResult(done: LxdOperation, name: string): number {
  if (done.status_code !== 200) throw new LxdeckError('E_API', `LXD: exec in ${name}: ${done.err || done.status}`, { hint: `lxc operation show ${done.id}` });
  const ret = (done.metadata as { return?: unknown } | null)?.return;
  return typeof ret === 'number' ? ret : -1;
}

/**
 * Runs `command` in instance `name` with a pty on LXD's side, wired to `stdin`/`stdout` (raw mode
 * while it runs, restored after, also on failure), the window size sent at start and on each
 * 'resize' of `stdout`. `beforeHandover` runs once the websockets are open, before raw mode.
 * Resolves when the command ended: the operation finished (its output drained from the pty websocket).
 * @returns the argv and its exit status (-1 when LXD reported none)
 * @throws LxdeckError E_NOT_FOUND, E_STATE (not running) from the exec request, E_UNREACHABLE when a
 *   websocket cannot be opened, E_API when the operation failed
 */
export async function execInteractive(
  client: LxdClient,
  name: string,
  command: string[],
  io: { stdin: TerminalIn; stdout: TerminalOut; env?: Record<string, string>; beforeHandover?: () => void },
): Promise<InteractiveResult> {
  const width = io.stdout.columns || 80;
  const height = io.stdout.rows || 24;
  const term = await LxdTerminal.open(client, name, `/1.0/instances/${encodeURIComponent(name)}/exec`, execBody(command, io.env ?? {}, width, height), 'exec');
  io.beforeHandover?.();
  const done = await handTerminal(term, io);
  return { argv: command, exitCode: execResult(done!, name) };
}

/** How long leaving a console (Ctrl+a q) waits for LXD to end it before dropping the websockets, milliseconds. */
const CONSOLE_LEAVE_MS = 5000;

/**
 * The instance's console on this process's terminal, as `lxc console NAME` does: POST
 * /1.0/instances/NAME/console `{"type": "console", "width": W, "height": H}`, its data websocket
 * wired to `stdin`/`stdout` (raw mode while it runs, restored after), the window size followed.
 * Ctrl+a q (read here: LXD's console has none) closes the control websocket, which ends the
 * console on LXD's side; the operation's end (or {@link CONSOLE_LEAVE_MS}) ends this.
 * `beforeHandover` runs once the websockets are open, before raw mode.
 * @returns argv `lxc console NAME` (LXD's client equivalent) and exit status 0 once left
 * @throws LxdeckError E_NOT_FOUND, E_STATE (not running), E_API (frozen, or LXD refused), E_UNREACHABLE
 */
export async function consoleInteractive(
  client: LxdClient,
  name: string,
  io: { stdin: TerminalIn; stdout: TerminalOut; beforeHandover?: () => void },
): Promise<InteractiveResult> {
  const width = io.stdout.columns || 80;
  const height = io.stdout.rows || 24;
  const term = await LxdTerminal.open(client, name, `/1.0/instances/${encodeURIComponent(name)}/console`, { type: 'console', width, height }, 'console');
  io.beforeHandover?.();
  let left = false;
  let timer: NodeJS.Timeout | undefined;
  let stopNow: (v: null) => void = () => {};
  const stop = new Promise<null>((resolve) => (stopNow = resolve));
  const leave = () => {
    left = true;
    term.closeControl();
    timer = setTimeout(() => stopNow(null), CONSOLE_LEAVE_MS);
    timer.unref();
  };
  let done: LxdOperation | null = null;
  try {
    // the terminal is handed over until the console ends (the instance stopped) or Ctrl+a q
    done = await handTerminal(term, { ...io, escape: { leave }, stop });
  } catch (e) {
    if (!left) throw e;
  } finally {
    clearTimeout(timer);
  }
  if (!left && done && done.status_code !== 200) throw new LxdeckError('E_API', `LXD: console of ${name}: ${done.err || done.status}`, { hint: `lxc operation show ${done.id}` });
  return { argv: ['lxc', 'console', name], exitCode: 0 };
}

/**
 * `command` in instance `name` on a pty of `cols` x `rows` cells on LXD's side, as a
 * {@link PtyChild} (the console's shell pane): keys, output (UTF-8), resize (window-resize on the
 * control websocket), and `end`: SIGHUP to the command (a shell ends as on a closed terminal),
 * then SIGKILL and the websockets closed after the grace time. `exited` gives LXD's exit status
 * (`metadata.return`; -1 when the operation failed or the daemon went away).
 * @throws LxdeckError E_NOT_FOUND, E_STATE (not running), E_UNREACHABLE, E_API
 */
export async function execPty(client: LxdClient, name: string, command: string[], opts: { cols: number; rows: number; env?: Record<string, string> }): Promise<PtyChild> {
  const term = await LxdTerminal.open(client, name, `/1.0/instances/${encodeURIComponent(name)}/exec`, execBody(command, opts.env ?? {}, Math.max(1, Math.floor(opts.cols)), Math.max(1, Math.floor(opts.rows))), 'exec');
  const exited = term.done.then(
    (op) => {
      term.dispose();
      const ret = op.status_code === 200 ? (op.metadata as { return?: unknown } | null)?.return : undefined;
      return { exitCode: typeof ret === 'number' ? ret : -1, signal: 0 };
    },
    () => {
      term.dispose();
      return { exitCode: -1, signal: 0 };
    },
  );
  return ptyChildOf({
    argv: command,
    write: (d) => term.write(d),
    resize: (c, r) => term.resize(c, r),
    output: (fn) => term.output(fn),
    exited,
    hangup: () => term.control(signalMessage(1)),
    kill: () => {
      term.control(signalMessage(9));
      term.closeControl();
      // a daemon that does not answer any more: stop waiting for it
      setTimeout(() => term.dispose(), 2000).unref();
    },
  });
}
