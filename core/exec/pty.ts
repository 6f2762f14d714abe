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
import { LxdeckError } from '../errors.js';

/** How a pty child ended: its exit status, or the signal number that killed it (0 when none). */
export interface PtyExit {
  exitCode: number;
  signal: number;
}

/** A running child on a pty (the master side). */
export interface PtyChild {
  /** the child's PID (a session and process group leader) */
  readonly pid: number;
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
   * still there. Resolves with how it ended; never throws.
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
