/**
 * Children on a pseudo-terminal of lxdeck's own (node-pty): lxdeck holds the
 * master side, the child gets the slave as its controlling terminal (a new
 * session, pty(7)). The console's shell pane runs `lxc-attach` this way and
 * draws what it writes (src/console/pane-screen.ts) instead of handing the
 * real terminal over.
 *
 * node-pty is a native addon (built from source by `npm ci`, g++/make/python3)
 * and is loaded on the first spawn only: `lxdeck ls` and the plain console
 * never load it (scripts/bundle.mjs keeps it external).
 */
import { StringDecoder } from 'node:string_decoder';
import { LxdeckError } from '../errors.js';

/** How a pty child ended: its exit status, or the signal number that killed it (0 when none). */
export interface PtyExit {
  exitCode: number;
  signal: number;
}

/** A running child on a pty (the master side). */
export interface PtyChild {
  /**
   * the child's PID on this host (a session and process group leader); null when the child runs
   * elsewhere and only the far side knows it (an SSH channel's command, an LXD exec)
   */
  readonly pid: number | null;
  /** the argv it runs */
  readonly argv: readonly string[];
  /** bytes typed for the child (UTF-8 text; control characters as they are, e.g. `\x03` for Ctrl+C) */
  write(data: string): void;
  /** sets the pty's window size (TIOCSWINSZ: the child gets SIGWINCH), in character cells */
  resize(cols: number, rows: number): void;
  /** `fn` hears every chunk the child writes (decoded as UTF-8); returns a function that stops it */
  onData(fn: (data: string) => void): () => void;
  /** resolves once when the child has ended and its output is read */
  readonly exited: Promise<PtyExit>;
  /**
   * Ends the child: SIGTERM (lxc-attach detaches and closes its side of the container's pty, and the
   * shell inside ends with it), SIGKILL after `graceMs` (default 2000) if it is
   * still there. A child elsewhere ({@link ptyChildOf}) is asked to end its own way, then
   * cut off after `graceMs`. Resolves with how it ended; never throws.
   */
  end(graceMs?: number): Promise<PtyExit>;
}

export interface SpawnPtyOptions {
  /** window size in character cells (default 80 x 24) */
  cols?: number;
  rows?: number;
  /** the child's whole environment (default: this process's); TERM names the emulation the master side draws */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

type NodePty = typeof import('node-pty');
let nodePty: Promise<NodePty> | undefined;

/** Loads node-pty once. @throws LxdeckError E_MISSING_PROGRAM when the addon cannot be loaded (not built) */
async function loadNodePty(): Promise<NodePty> {
  nodePty ??= import('node-pty').then(
    (m) => ((m as unknown as { default?: NodePty }).default ?? m) as NodePty,
    (e: unknown) => {
      nodePty = undefined;
      throw new LxdeckError('E_MISSING_PROGRAM', `node-pty cannot be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, {
        hint: 'its native addon is built by npm from source: install g++, make and python3, then run npm rebuild node-pty (scripts/install-deps.sh does both)',
        cause: e,
      });
    },
  );
  return nodePty;
}

/**
 * Runs `argv` (never through a shell) on a new pseudo-terminal of `cols` x `rows` cells and
 * returns its master side. The child's exit does not reject anything: `exited` resolves.
 * @throws LxdeckError E_MISSING_PROGRAM when node-pty cannot be loaded, or `argv[0]` cannot be started
 * @throws LxdeckError E_INVALID_VALUE for an empty argv or a size below 1 x 1
 */
export async function spawnPty(argv: readonly string[], opts: SpawnPtyOptions = {}): Promise<PtyChild> {
  if (argv.length === 0) throw new LxdeckError('E_INVALID_VALUE', 'spawnPty needs a command');
  const cols = opts.cols ?? 80;
  const rows = opts.rows ?? 24;
  if (!(cols >= 1 && rows >= 1)) throw new LxdeckError('E_INVALID_VALUE', `a pty needs at least 1x1 cells, got ${cols}x${rows}`);
  const pty = await loadNodePty();
  let p: import('node-pty').IPty;
  try {
    p = pty.spawn(argv[0], argv.slice(1), {
      name: opts.env?.TERM ?? 'xterm-256color',
      cols: Math.floor(cols),
      rows: Math.floor(rows),
      cwd: opts.cwd ?? '/',
      env: opts.env ?? process.env,
    });
  } catch (e) {
    throw new LxdeckError('E_MISSING_PROGRAM', `cannot start ${argv[0]} on a pty: ${e instanceof Error ? e.message : String(e)}`, { hint: `is ${argv[0]} installed?`, cause: e });
  }
  let ended: PtyExit | null = null;
  const exited = new Promise<PtyExit>((resolve) => {
    p.onExit(({ exitCode, signal }) => {
      ended = { exitCode, signal: signal ?? 0 };
      resolve(ended);
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (ended) return;
    try {
      p.kill(sig);
    } catch {
      /* already gone */
    }
  };
  return {
    pid: p.pid,
    argv: [...argv],
    write(data: string): void {
      if (!ended) p.write(data);
    },
    resize(c: number, r: number): void {
      if (ended || !(c >= 1 && r >= 1)) return;
      try {
        p.resize(Math.floor(c), Math.floor(r));
      } catch {
        /* the pty closed meanwhile */
      }
    },
    onData(fn: (data: string) => void): () => void {
      const d = p.onData(fn);
      return () => d.dispose();
    },
    exited,
    async end(graceMs = 2000): Promise<PtyExit> {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The far side of a pty that is not a child of this host: an SSH exec channel with a pty
 * (core/remote/backend.ts) or an LXD exec with a pty over its websockets (core/lxd/exec.ts).
 * {@link ptyChildOf} turns one into a {@link PtyChild}.
 */
export interface PtyChannel {
  /** the argv it runs (over there) */
  argv: readonly string[];
  /** bytes for the program (keys) */
  write(data: Buffer): void;
  /** the window size in character cells (SSH window-change, LXD's window-resize) */
  resize(cols: number, rows: number): void;
  /** starts the output: `fn` gets every chunk as it comes; called once */
  output(fn: (chunk: Buffer) => void): void;
  /** resolves once when the program has ended and its output is read; never rejects */
  exited: Promise<PtyExit>;
  /** asks the program to end as a closed terminal would (SIGHUP or SIGTERM over there) */
  hangup(): void;
  /** ends it for sure (SIGKILL over there, the channel closed); called after the grace time */
  kill(): void;
}

/**
 * A {@link PtyChild} over a {@link PtyChannel}: output decoded as UTF-8 across chunk borders
 * (a character split between two chunks is kept whole), output that came before the first
 * `onData` listener kept for it, `end` = hangup, then kill after `graceMs`. Nothing is written
 * or resized once the program ended. `pid` is null (the program is not a process of this host).
 */
export function ptyChildOf(ch: PtyChannel): PtyChild {
  const decoder = new StringDecoder('utf8');
  const listeners = new Set<(data: string) => void>();
  let early = '';
  let ended: PtyExit | null = null;
  const exited = ch.exited.then((e) => {
    ended = e;
    const rest = decoder.end();
    if (rest) deliver(rest);
    return e;
  });
  function deliver(text: string): void {
    if (!listeners.size) {
      early += text;
      return;
    }
    for (const fn of [...listeners]) fn(text);
  }
  ch.output((chunk) => {
    const text = decoder.write(chunk);
    if (text) deliver(text);
  });
  return {
    pid: null,
    argv: [...ch.argv],
    write(data: string): void {
      if (!ended && data) ch.write(Buffer.from(data, 'utf8'));
    },
    resize(c: number, r: number): void {
      if (ended || !(c >= 1 && r >= 1)) return;
      ch.resize(Math.floor(c), Math.floor(r));
    },
    onData(fn: (data: string) => void): () => void {
      listeners.add(fn);
      if (early) {
        const text = early;
        early = '';
        fn(text);
      }
      return () => listeners.delete(fn);
    },
    exited,
    async end(graceMs = 2000): Promise<PtyExit> {
      if (!ended) ch.hangup();
      const timer = setTimeout(() => {
        if (!ended) ch.kill();
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * lxc-console's escape (lxc-console(1), `-e` at its default ^a) read from typed bytes, for a
 * console whose far side has no escape of its own (LXD's console websocket): Ctrl+a q leaves,
 * Ctrl+a a (or Ctrl+a Ctrl+a, as lxc-console) types one Ctrl+a, Ctrl+a followed by anything else
 * passes both on. Stateful only in the prefix: a Ctrl+a at the end of one read waits for the next.
 * @returns a reader: each read in, what goes to the far side and whether Ctrl+a q was typed
 *   (the bytes after it are dropped: the console is being left)
 */
export function createEscapeReader(prefix = 0x01): (data: Buffer) => { forward: Buffer; leave: boolean } {
  let pending = false;
  return (data: Buffer) => {
    const out: number[] = [];
    for (const b of data) {
      if (pending) {
        pending = false;
        if (b === 0x71 /* q */) return { forward: Buffer.from(out), leave: true };
        if (b === 0x61 /* a */ || b === prefix) out.push(prefix);
        else out.push(prefix, b);
        continue;
      }
      if (b === prefix) pending = true;
      else out.push(b);
    }
    return { forward: Buffer.from(out), leave: false };
  };
}
