/**
 * The hand-over from a verb's script build to a build with the console.
 *
 * The verbs run from a script build (dist/src/script/cli-*.cjs, loaded through V8's code cache:
 * src/script-cache.ts) that leaves the console out (React, Ink and yoga are most of the code);
 * the console runs from its own script build (src/console-script.ts) or, without one, from the
 * module build (src/cli.ts). The entries send an argv that may open the console there at once;
 * when one sent to a verb's script build asks for the console after all, the program's console
 * action calls {@link handOffConsole}, which throws before the action changes anything, and the
 * entry runs the same argv with the console's build.
 */

import { isatty } from 'node:tty';

/** Set on globalThis by src/cli.ts while a script build runs. */
const SCRIPT_RUN = Symbol.for('lxdeck.script-run');
/** What {@link handOffConsole} throws (a symbol: the script and module builds each have their own classes). */
export const CONSOLE_HANDOFF = Symbol.for('lxdeck.console-handoff');

/** Set on globalThis by the CommonJS entry (src/cli-fast.ts) before it imports src/cli.ts for the module build. */
const MODULE_RUN = Symbol.for('lxdeck.module-run');

/** Tells src/cli.ts, imported next, to run the argv with the module build at once. */
export function requestModuleRun(): void {
  (globalThis as Record<symbol, unknown>)[MODULE_RUN] = true;
}

/** True when src/cli-fast.ts asked for the module build ({@link requestModuleRun}). */
export function moduleRunRequested(): boolean {
  return (globalThis as Record<symbol, unknown>)[MODULE_RUN] === true;
}

/** Set on globalThis by src/console/run-console.tsx when the console has drawn its first frame. */
const CONSOLE_SHOWN = Symbol.for('lxdeck.console-shown');

/** Records that the console drew a frame (src/console/run-console.tsx, on Ink's first render). */
export function markConsoleShown(): void {
  (globalThis as Record<symbol, unknown>)[CONSOLE_SHOWN] = true;
}

/**
 * True once the console has drawn a frame in this process: the console's script build writes its
 * code cache only then (src/entry.ts), so a run that never reached the screen (no root, a bad
 * lxcpath) does not leave a cache without the console's functions in it.
 */
export function consoleShown(): boolean {
  return (globalThis as Record<symbol, unknown>)[CONSOLE_SHOWN] === true;
}

/** Marks (or unmarks) this process as running a script build. */
export function markScriptRun(on: boolean): void {
  (globalThis as Record<symbol, unknown>)[SCRIPT_RUN] = on;
}

/**
 * Called by a program's console action before it does anything: in a script build it throws
 * {@link CONSOLE_HANDOFF} (the program's main() passes it on to src/cli.ts); in the module build it returns.
 * @throws CONSOLE_HANDOFF (a symbol, not an Error) when a script build runs
 */
export function handOffConsole(): void {
  if ((globalThis as Record<symbol, unknown>)[SCRIPT_RUN] === true) throw CONSOLE_HANDOFF;
}

/** The global options of both programs that take a value (their value is not a verb). */
const VALUE_OPTIONS = new Set(['--lxcpath', '--bridge', '--remote', '--backend', '--lxd-socket']);

/**
 * True when `args` may open the console: stdin and stdout are terminals and no word on the
 * command line names a verb (a word that is not an option nor the value of a global option
 * that takes one). A false "true" only costs speed (the module build runs a verb too); a false
 * "false" costs a hand-over ({@link handOffConsole}).
 * @param args process.argv without node and the script
 * @param terminals whether fds 0 and 1 are terminals (isatty(3): not process.stdin, which would open the stream)
 */
export function mayOpenConsole(args: readonly string[], terminals: boolean = isatty(0) && isatty(1)): boolean {
  if (!terminals) return false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return false;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return false;
  }
  return true;
}
