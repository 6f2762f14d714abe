import type { Options } from 'execa';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LxdeckError } from '../errors.js';

/** How a child's output is collected. */
export type OutputMode =
  /** pipes; only for children that never leave a process behind */
  | 'pipe'
  /** temporary files: a daemonising child (`lxc-start -d`) may keep them open without blocking us */
  | 'file'
  /** the real terminal (console, attach); the child joins our foreground process group */
  | 'inherit';

export interface RunOptions {
  /** milliseconds before the whole process group gets SIGTERM, then SIGKILL 2 s later; default 30 000 */
  timeoutMs?: number;
  /** text written to the child's stdin; stdin is /dev/null otherwise (never the terminal, except `inherit`) */
  input?: string;
  output?: OutputMode;
  /** extra environment variables */
  env?: Record<string, string>;
  cwd?: string;
  /** aborting kills the whole process group */
  signal?: AbortSignal;
  /** called with each complete line of stdout/stderr as it arrives (pipe mode only) */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/**
 * The one way lxdeck runs a child process: an argv array (never a shell).
 * Implementations: {@link ExecaRunner} for real work, {@link RecordingRunner}
 * for tests that must see which argv would run.
 */
export interface Runner {
  /**
   * Runs `file` with `args`. Resolves with the exit status and output whatever
   * the status (it does not throw on a non-zero exit).
   * @throws LxdeckError E_MISSING_PROGRAM when `file` is not installed.
   * @throws LxdeckError E_CANCELLED when `opts.signal` aborted the run.
   */
  run(file: string, args: string[], opts?: RunOptions): Promise<RunResult>;
}

const KILL_GRACE_MS = 2000;

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

let execaModule: Promise<typeof import('execa')> | undefined;
const loadExeca = () => (execaModule ??= import('execa'));

/** Runs children with execa. Each non-interactive child leads its own process group so a timeout kills all it started. */
export class ExecaRunner implements Runner {
  async run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    // loaded on the first command, not at start-up: execa is about 130 modules, and a verb that
    // reads only files (ls with every container found in cgroupfs) never needs it
    const { execa } = await loadExeca();
    const mode = opts.output ?? 'pipe';
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const started = Date.now();
    let dir: string | undefined;
    let fds: [number, number] | undefined;
    if (mode === 'file') {
      dir = mkdtempSync(join(tmpdir(), 'lxdeck-exec-'));
      // raw descriptors (execa's "native" stdio): the child writes straight to the files, no pipe a daemon could hold
      fds = [openSync(join(dir, 'out'), 'w'), openSync(join(dir, 'err'), 'w')];
    }
    const options: Options = {
      reject: false,
      detached: mode !== 'inherit',
      cleanup: true,
      stripFinalNewline: false,
      env: opts.env,
      cwd: opts.cwd,
      buffer: mode === 'pipe',
    };
    if (opts.input !== undefined) Object.assign(options, { input: opts.input });
    else if (mode !== 'inherit') Object.assign(options, { stdin: 'ignore' });
    if (mode === 'inherit') Object.assign(options, { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' });
    else if (mode === 'file') Object.assign(options, { stdout: fds![0], stderr: fds![1] });
    const sub = execa(file, args, options);
    let timedOut = false;
    let aborted = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(sub.pid, 'SIGTERM');
      setTimeout(() => killGroup(sub.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup(sub.pid, 'SIGTERM');
      setTimeout(() => killGroup(sub.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.onLine && mode === 'pipe') {
      for (const [stream, name] of [
        [sub.stdout, 'stdout'],
        [sub.stderr, 'stderr'],
      ] as const) {
        let buf = '';
        stream?.on('data', (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            opts.onLine!(buf.slice(0, i), name);
            buf = buf.slice(i + 1);
          }
        });
        stream?.on('end', () => {
          if (buf) opts.onLine!(buf, name);
        });
      }
    }
    try {
      const r = await sub;
      if ((r as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String((r as { originalMessage?: string }).originalMessage ?? ''))) {
        throw new LxdeckError('E_MISSING_PROGRAM', `${file} is not installed`, {
          hint: `install the package that provides ${file} (e.g. apt-get install lxc)`,
        });
      }
      if (aborted) throw new LxdeckError('E_CANCELLED', `${file} was cancelled`);
      let stdout = typeof r.stdout === 'string' ? r.stdout : '';
      let stderr = typeof r.stderr === 'string' ? r.stderr : '';
      if (dir) {
        stdout = readFileSync(join(dir, 'out'), 'utf8');
        stderr = readFileSync(join(dir, 'err'), 'utf8');
      }
      return {
        argv: [file, ...args],
        exitCode: typeof r.exitCode === 'number' ? r.exitCode : timedOut ? 124 : 1,
        stdout,
        stderr,
        timedOut,
        durationMs: Date.now() - started,
      };
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (fds) for (const fd of fds) closeSync(fd);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * A runner for tests: records every argv, and answers from `respond` when given
 * (else delegates to `inner`, else answers exit 0 with no output).
 */
export class RecordingRunner implements Runner {
  readonly calls: { file: string; args: string[]; opts: RunOptions }[] = [];
  constructor(
    private readonly respond?: (file: string, args: string[]) => Partial<RunResult> | undefined,
    private readonly inner?: Runner,
  ) {}
  async run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ file, args, opts });
    const canned = this.respond?.(file, args);
    if (canned) return { argv: [file, ...args], exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 0, ...canned };
    if (this.inner) return this.inner.run(file, args, opts);
    return { argv: [file, ...args], exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 0 };
  }
}

/** Renders an argv as a copy-pasteable shell line (for logs and hints only; never executed). */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
