/**
 * How both programs (src/cli-local.ts, src/cli-lxd.ts) end on an error: commander's own exits
 * (help, version: 0; a usage error it printed: 2), else `lxdeck: MESSAGE` and `hint: HINT` on
 * stderr and the error's exit status (LxdeckError.exitCode; 1 for anything else).
 */
import { CommanderError } from 'commander';
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

/**
 * Prints `e` as the CLI reports errors and returns the process's exit status.
 * @returns 0 for commander's help and version, 2 for its usage errors, the LxdeckError's exitCode, else 1
 */
export function reportCliError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2;
  }
  e = permissionError(e);
  const { message, hint } = formatError(e);
  process.stderr.write(`lxdeck: ${message}\n`);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
  return e instanceof LxdeckError ? e.exitCode : 1;
}
