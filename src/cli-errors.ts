/**
 * How both programs (src/cli-local.ts, src/cli-lxd.ts) end on an error: commander's own exits
 * (help, version: 0; a usage error it printed: 2), else `lxdeck: MESSAGE` and `hint: HINT` on
 * stderr and the error's exit status (LxdeckError.exitCode; 1 for anything else).
 */
import { CommanderError, type Command } from 'commander';
import { LxdeckError, formatError } from '../core/errors.js';

/**
 * A file system error EACCES or EPERM (a read-only verb of a user who cannot read a file: the
 * lxcpath, the action log) as E_NOT_ROOT with the hint to run it as root; anything else as it is.
 * @returns an LxdeckError for EACCES/EPERM, else `e`
 */
export function permissionError(e: unknown): unknown {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || (err.code !== 'EACCES' && err.code !== 'EPERM')) return e;
  const what = err.path ? ` ${err.path}` : '';
  return new LxdeckError('E_NOT_ROOT', `permission denied${what ? ` for${what}` : ''}${err.syscall ? ` (${err.syscall})` : ''}`, {
    hint: 'run it as root (e.g. sudo lxdeck ...), or point it at files this user can read (--lxcpath, LXDECK_LOG)',
    cause: e,
  });
}

/** The verb this run is acting on (set by each program's preAction hook), for {@link reportCliError}'s --json form. */
let runningAction: Command | undefined;

/** Remembers the verb about to run (each program's preAction hook calls this first, before any check that may throw). */
export function noteRunningAction(action: Command): void {
  runningAction = action;
}

/** The JSON error object every verb prints: `{code, message, hint?}` (the state verbs' `error`). */
export function jsonError(e: unknown): { code: string; message: string; hint?: string } {
  const { message, hint } = formatError(e);
  return { code: e instanceof LxdeckError ? e.code : 'ERROR', message, ...(hint ? { hint } : {}) };
}

/**
 * The failure of a verb run with --json, as JSON on stdout (scripts read one stream): a verb on
 * several names (`<name...>` or `<args...>`: start, stop, protect...) prints its array, one
 * `{name, ok: false, error}` per name; stats (JSON lines) one line `{ok: false, error}`; any other
 * verb one object `{name?, ok: false, error}` (`name` when it takes one container name). Null when the running verb has no --json or it was
 * not given.
 */
function jsonFailure(e: unknown): string | null {
  const a = runningAction;
  if (!a || a.opts().json !== true) return null;
  const error = jsonError(e);
  const args = a.registeredArguments;
  // `<name...>` (start, stop, snapshot...) and `<args...>` (NAME... on|off: protect, autostart): one entry per name
  const many = args.findIndex((x) => x.variadic && (x.name() === 'name' || x.name() === 'args'));
  if (many >= 0) {
    const names = ((a.processedArgs[many] as string[] | undefined) ?? []).filter((x) => !/^(on|off)$/.test(x));
    if (names.length) return JSON.stringify(names.map((name) => ({ name, ok: false, error })), null, 2);
  }
  // stats prints JSON lines: its error is one line too
  if (args.some((x) => x.variadic && x.name() === 'names')) return JSON.stringify({ ok: false, error });
  const nameAt = args.findIndex((x) => x.name() === 'name' && !x.variadic);
  const name = nameAt >= 0 ? (a.processedArgs[nameAt] as string | undefined) : undefined;
  return JSON.stringify({ ...(name !== undefined ? { name } : {}), ok: false, error }, null, 2);
}

/**
 * Prints `e` as the CLI reports errors and returns the process's exit status: `lxdeck: MESSAGE`
 * and `hint: HINT` on stderr, or, when the verb was given --json, the error as JSON on stdout
 * and nothing on stderr (the state verbs' form: `{name?, ok: false, error: {code, message, hint?}}`).
 * @returns 0 for commander's help and version, 2 for its usage errors, the LxdeckError's exitCode, else 1
 */
export function reportCliError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2;
  }
  e = permissionError(e);
  const json = jsonFailure(e);
  if (json !== null) process.stdout.write(`${json}\n`);
  else {
    const { message, hint } = formatError(e);
    process.stderr.write(`lxdeck: ${message}\n`);
    if (hint) process.stderr.write(`hint: ${hint}\n`);
  }
  return e instanceof LxdeckError ? e.exitCode : 1;
}
