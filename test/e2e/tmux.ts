/**
 * A real terminal for end-to-end tests: a tmux server of our own (its own
 * socket, so other tmux sessions are never touched), one window of a given
 * size, keys sent with send-keys, the screen read with capture-pane.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let seq = 0;

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Quote for the POSIX shell that tmux runs the command with. */
export function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class TmuxTerm {
  readonly socket: string;
  readonly dir: string;
  readonly statusFile: string;
  private alive = false;

  constructor() {
    this.socket = `lxdeck-e2e-${process.pid}-${++seq}`;
    this.dir = mkdtempSync(join(tmpdir(), 'lxdeck-e2e-'));
    this.statusFile = join(this.dir, 'status');
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Starts `command` (a shell command line) in a fresh `columns` x `rows`
   * window. The environment is exactly `env` (plus PATH and HOME): nothing of
   * the test runner's leaks in (CI=true would make Ink draw nothing until
   * exit). When the command ends its exit status goes to `statusFile` and the
   * shell waits, so the terminal can still be inspected.
   */
  start(command: string, env: Record<string, string>, columns = 80, rows = 24): void {
    // the test file's own host state directory and action log (test/helpers/state-dir-setup.ts) go
    // through `env -i` too, so a console in tmux never writes the host's /var/lib/lxdeck or /var/log/lxdeck
    const own = Object.fromEntries((['LXDECK_STATE_DIR', 'LXDECK_LOG'] as const).filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
    const vars = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8', ...own, ...env };
    const envArgs = Object.entries(vars).map(([k, v]) => `${k}=${sh(v)}`).join(' ');
    const line = `env -i ${envArgs} ${command}; echo $? > ${sh(this.statusFile)}; sleep 600`;
    this.tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', 'main', line);
    this.alive = true;
  }

  /** The screen as text, one string per line (trailing blank lines kept to the window height). */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'main');
  }

  /** A tmux format value of the pane, e.g. `#{alternate_on}`. */
  format(f: string): string {
    return this.tmux('display-message', '-p', '-t', 'main', f).trim();
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'main', ...keys);
  }

  literal(text: string): void {
    this.tmux('send-keys', '-t', 'main', '-l', text);
  }

  resize(columns: number, rows: number): void {
    this.tmux('resize-window', '-t', 'main', '-x', String(columns), '-y', String(rows));
  }

  /** `stty -a` of the pane's terminal, read from outside. */
  stty(): string {
    return execFileSync('stty', ['-a', '-F', this.format('#{pane_tty}')], { encoding: 'utf8' });
  }

  /** The command's exit status once it has ended, else undefined. */
  status(): number | undefined {
    if (!existsSync(this.statusFile)) return undefined;
    const s = readFileSync(this.statusFile, 'utf8').trim();
    return s === '' ? undefined : Number(s);
  }

  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      let v: T | undefined | false;
      try {
        v = probe();
      } catch {
        v = undefined;
      }
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${this.safeScreen()}`);
      await delay(50);
    }
  }

  async waitForScreen(what: string, ok: (screen: string) => boolean, timeoutMs = 10_000): Promise<string> {
    return this.waitFor(what, () => {
      const s = this.screen();
      return ok(s) ? s : undefined;
    }, timeoutMs);
  }

  async waitForExit(timeoutMs = 10_000): Promise<number> {
    return this.waitFor('the command to exit', () => this.status(), timeoutMs);
  }

  private safeScreen(): string {
    try {
      return this.screen();
    } catch (e) {
      return `(no screen: ${String(e)})`;
    }
  }

  /** Ends our tmux server (only ours: its own socket) and removes the temporary folder. */
  close(): void {
    if (this.alive) {
      try {
        this.tmux('kill-server');
      } catch {
        // already gone
      }
      this.alive = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True when tmux can be run. */
export function haveTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
