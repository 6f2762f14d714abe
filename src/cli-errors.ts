/**
 * How both programs (src/cli-local.ts, src/cli-lxd.ts) end on an error: commander's own exits
 * (help, version: 0; a usage error it printed: 2), else `lxdeck: MESSAGE` and `hint: HINT` on
 * stderr and the error's exit status (LxdeckError.exitCode; 1 for anything else).
 */
import { CommanderError } from 'commander';
import { LxdeckError, formatError } from '../core/errors.js';

/**
 * Prints `e` as the CLI reports errors and returns the process's exit status.
 * @returns 0 for commander's help and version, 2 for its usage errors, the LxdeckError's exitCode, else 1
 */
export function reportCliError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2;
  }
  const { message, hint } = formatError(e);
  process.stderr.write(`lxdeck: ${message}\n`);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
  return e instanceof LxdeckError ? e.exitCode : 1;
}
