/**
 * The action log: one JSON line per action lxdeck took (create, start, stop,
 * freeze, unfreeze, destroy, limits, attach, console, kill...), from the CLI
 * or the console, with the equivalent `lxc-*` command line, so an
 * administrator can audit what was done and learn the underlying commands.
 *
 * The file is readable by root only: created 0600 (in a directory created
 * 0700), opened O_APPEND for each entry so concurrent lxdeck processes never
 * interleave inside a line (one write(2) of a line below PIPE_BUF-ish sizes
 * on a local file system is appended whole). Writing never throws into the
 * action: a failure is reported once (stderr by default) and then ignored.
 */
import { closeSync, constants, mkdirSync, openSync, readSync, fstatSync, writeSync, existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';

/** Where the log goes unless `LXDECK_LOG` names another file. */
export const DEFAULT_ACTION_LOG = '/var/log/lxdeck/actions.log';

/** One line of the action log (`lxdeck log --json` prints an array of these). */
export interface ActionEntry {
  /** ISO 8601 time the action started (UTC) */
  time: string;
  /** the acting user: SUDO_USER when set, else the name of the effective uid */
  user: string;
  /**
   * Where the action was: the lxcpath (`lxc-* -P`, made absolute), or `lxd:SOCKET` for the LXD
   * backend. Absent in entries written before lxdeck recorded it: those match no lxcpath filter.
   */
  lxcpath?: string;
  /** the container acted on; null for host-wide actions */
  container: string | null;
  /** 'create' | 'start' | 'stop' | 'freeze' | 'unfreeze' | 'destroy' | 'limits' | 'cgroup' | 'attach' | 'console' | 'kill' | ... */
  action: string;
  /** the equivalent shell command line (`lxc-*` tools, shell-quoted); several are joined by ` && ` */
  command: string;
  /** 'ok', or the error code of the failure (LxdeckError code, else 'ERROR') */
  result: string;
  /** the failure's one-line message; absent when result is 'ok' */
  message?: string;
  /** exit status of the command run inside (attach) or of the tool (console) */
  exitStatus?: number;
  /** wall time of the action in milliseconds */
  durationMs: number;
}

/** The log file in effect: `$LXDECK_LOG` when set and not empty, else {@link DEFAULT_ACTION_LOG}. */
export function actionLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LXDECK_LOG ? env.LXDECK_LOG : DEFAULT_ACTION_LOG;
}

/** The acting user: `SUDO_USER` (the administrator behind sudo) when set, else the effective uid's name, else `uid N`. */
export function actingUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUDO_USER) return env.SUDO_USER;
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.geteuid?.() ?? '?'}`;
  }
}

export interface ActionLogOptions {
  /** the file; default {@link actionLogPath}() */
  path?: string;
  /** called once, on the first failure to write; default: one line on stderr */
  onError?: (message: string) => void;
}

/**
 * An append-only action log file.
 * Usage: `const log = new ActionLog(); log.append(entry)`; pass `log.append` as the
 * `onAction` of {@link recordActions}.
 */
export class ActionLog {
  readonly path: string;
  private readonly onError: (message: string) => void;
  private failed = false;

  constructor(opts: ActionLogOptions = {}) {
    this.path = opts.path ?? actionLogPath();
    this.onError = opts.onError ?? ((m) => process.stderr.write(`lxdeck: ${m}\n`));
  }

  /**
   * Appends one entry as a JSON line. Creates the directory (0700) and the file (0600) when
   * missing. Never throws: the first failure is reported through `onError`, later ones are silent.
   */
  append = (entry: ActionEntry): void => {
    try {
      const dir = dirname(this.path);
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      try {
        const buf = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
        writeSync(fd, buf, 0, buf.length);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (this.failed) return;
      this.failed = true;
      try {
        this.onError(`cannot write the action log ${this.path}: ${(e as Error).message} (actions go on unlogged)`);
      } catch {
        /* never into the action */
      }
    }
  };
}

/** An lxcpath as entries record it: absolute, no trailing `/`; `lxd:SOCKET` stays as it is. */
export function normalizeLxcpath(p: string): string {
  return p.startsWith('lxd:') ? p : resolve(p);
}

/** Which entries to show: of one lxcpath (compared after {@link normalizeLxcpath}), of one container. Empty: every entry. */
export interface ActionFilter {
  lxcpath?: string;
  container?: string;
}

/** True when `e` passes `f`: an entry without an lxcpath (written by an older lxdeck) never passes an lxcpath filter. */
export function matchesAction(e: ActionEntry, f: ActionFilter): boolean {
  if (f.lxcpath !== undefined && (e.lxcpath === undefined || normalizeLxcpath(e.lxcpath) !== normalizeLxcpath(f.lxcpath))) return false;
  if (f.container !== undefined && e.container !== f.container) return false;
  return true;
}

/** Parses the log's text: one entry per line; lines that are not an entry's JSON are skipped. */
export function parseActionLog(text: string): ActionEntry[] {
  const out: ActionEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as ActionEntry;
      if (v && typeof v === 'object' && typeof v.action === 'string' && typeof v.time === 'string') out.push(v);
    } catch {
      /* a torn or foreign line */
    }
  }
  return out;
}

/**
 * The last `n` entries of the log that pass `filter` (default: every entry), oldest first (for
 * the console's log pane and `lxdeck log`). Reads only the tail of the file (growing the window
 * until it holds `n` such entries, or is the whole file). Returns [] when the file does not exist.
 * @throws the Node errno error for other failures (EACCES when not root).
 */
export function readRecentActions(n: number, path: string = actionLogPath(), filter: ActionFilter = {}): ActionEntry[] {
  if (n <= 0) return [];
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    let window = Math.min(size, Math.max(4096, n * 512));
    for (;;) {
      const buf = Buffer.alloc(window);
      const got = readSync(fd, buf, 0, window, size - window);
      let text = buf.subarray(0, got).toString('utf8');
      const whole = window >= size;
      if (!whole) text = text.slice(text.indexOf('\n') + 1); // the first line may be cut
      const entries = parseActionLog(text).filter((e) => matchesAction(e, filter));
      if (entries.length >= n || whole) return entries.slice(-n);
      window = Math.min(size, window * 4);
    }
  } finally {
    closeSync(fd);
  }
}
