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
 */
import { LxdeckError } from '../errors.js';
import type { InteractiveResult } from '../types.js';
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

/** The control message that sets the pty's size (LXD REST API, exec "control" websocket). */
export function windowResizeMessage(columns: number, rows: number): string {
  return JSON.stringify({ command: 'window-resize', args: { width: String(columns), height: String(rows) } });
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
  const { stdin, stdout } = io;
  const width = stdout.columns || 80;
  const height = stdout.rows || 24;
  const env = await client.request<LxdOperation>('POST', `/1.0/instances/${encodeURIComponent(name)}/exec`, {
    command,
    environment: io.env ?? {},
    'wait-for-websocket': true,
    interactive: true,
    width,
    height,
    'record-output': false,
  });
  const opUrl = env.operation;
  const fds = (env.metadata?.metadata as { fds?: Record<string, string> } | null)?.fds;
  if (!opUrl || !fds?.['0'] || !fds.control) throw new LxdeckError('E_API', `LXD's exec answer for ${name} has no websocket secrets`, { hint: 'is this LXD 5.0 or newer? (lxc version)' });
  const WebSocket = (await import('ws')).default;
  const open = (secret: string): Promise<Ws> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws+unix://${client.socketPath}:${opUrl}/websocket?secret=${encodeURIComponent(secret)}`, { headers: { Host: 'lxd' }, handshakeTimeout: 10_000 }) as unknown as Ws;
      ws.once('open', () => resolve(ws));
      ws.once('error', (e) =>
        reject(new LxdeckError('E_UNREACHABLE', `cannot open LXD's exec websocket for ${name}: ${e.message}`, { hint: 'lxc operation list shows the operation', cause: e })),
      );
    });
  const [data, control] = await Promise.all([open(fds['0']), open(fds.control)]);
  io.beforeHandover?.();

  const onKey = (d: Buffer | string) => {
    if (data.readyState === 1) data.send(typeof d === 'string' ? Buffer.from(d) : d, { binary: true });
  };
  const onResize = () => {
    if (control.readyState === 1) control.send(windowResizeMessage(stdout.columns || width, stdout.rows || height));
  };
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  // Ctrl+C and friends are keys for the command inside (raw mode sends them as bytes); a
  // SIGINT that still reaches lxdeck must not end it while the instance has the terminal
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  // the command's end is the operation's end: LXD 5.0 does not always close the pty websocket
  // then, so both are watched; output still in flight when the operation ends is read before closing
  const closed = new Promise<void>((resolve) => {
    data.on('message', (d: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (d.length) stdout.write(d);
        return;
      }
      // an empty text message is LXD's end of the pty's output (its mirror's write barrier):
      // answer with ours (no more keys) so that LXD's mirror, and with it the operation, ends
      if (data.readyState === 1) data.send('', { binary: false });
    });
    data.on('close', () => resolve());
    data.on('error', () => resolve());
  });
  const ended = (async (): Promise<LxdOperation> => {
    for (;;) {
      const op = await client.get<LxdOperation>(`${opUrl}/wait?timeout=30`);
      if (op.status_code >= 200) return op;
    }
  })();
  let done: LxdOperation;
  try {
    if (raw) stdin.setRawMode!(true);
    stdin.on('data', onKey);
    stdout.on('resize', onResize);
    stdin.resume();
    onResize();
    const first = await Promise.race([closed.then(() => null), ended]);
    if (first === null) done = await ended;
    else {
      done = first;
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
  } finally {
    stdin.off('data', onKey);
    stdout.off('resize', onResize);
    if (raw) stdin.setRawMode!(false);
    stdin.pause();
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
    control.terminate();
    data.terminate();
  }
  if (done.status_code !== 200) throw new LxdeckError('E_API', `LXD: exec in ${name}: ${done.err || done.status}`, { hint: `lxc operation show ${done.id}` });
  const ret = (done.metadata as { return?: unknown } | null)?.return;
  return { argv: command, exitCode: typeof ret === 'number' ? ret : -1 };
}
