/**
 * What the binary's two entries share (src/cli-fast.ts, the CommonJS one that the package's bin
 * names, and src/cli.ts, the ES module one): lxdeck's version, and running a verb with a
 * program's script build through V8's code cache (src/script-cache.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_HANDOFF, consoleShown, markScriptRun } from './console-handoff.js';
import type { PlainLs } from './ls-argv.js';
import { loadScript } from './script-cache.js';

/**
 * The script builds (dist/src/script/, paths relative to dist/src/), set by scripts/bundle.mjs;
 * undefined in tsc's output. local, lxd: each program without the console; console: both programs
 * with it (src/console-script.ts); ls: the small build of a plain local listing (src/ls-fast.ts).
 */
declare const LXDECK_SCRIPT_BUILDS: { local: string; lxd: string; console: string; ls?: string } | undefined;

/** A program's main: process.argv in, the exit status out (src/cli-local.ts main, src/cli-lxd.ts lxdMain). */
export type Main = (argv: string[], version: string) => Promise<number>;

/**
 * lxdeck's version from its package.json: two levels up from dist/src/ (the bundle, and tsc's
 * output), one from src/ (tests); the name is checked.
 * @param here the directory of the entry (dist/src or src)
 */
export function version(here: string): string {
  for (const p of [join(here, '../../package.json'), join(here, '../package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'lxdeck') return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
}

/**
 * Runs process.argv with the program's script build, compiled from V8's code cache, then writes
 * the cache if there was none (or V8 refused it).
 * @param here dist/src (where the script builds' paths start)
 * @param lxd the LXD program (src/cli-lxd.ts) instead of the local one
 * @returns the exit status; undefined when the argv asked for the console (src/console-handoff.ts)
 *   or there is no usable script build (tsc's output, a removed file): then a build with the console (or the module build) must run it
 * @throws what the program's main throws (it reports its own errors and returns a status)
 */
export async function scriptRun(here: string, lxd: boolean): Promise<number | undefined> {
  if (typeof LXDECK_SCRIPT_BUILDS === 'undefined') return undefined;
  const file = join(here, lxd ? LXDECK_SCRIPT_BUILDS.lxd : LXDECK_SCRIPT_BUILDS.local);
  let s: ReturnType<typeof loadScript<{ main?: Main; lxdMain?: Main }>>;
  try {
    markScriptRun(true);
    s = loadScript(file);
  } catch {
    markScriptRun(false);
    return undefined; // no script build (removed, unreadable): the module build runs it as well
  }
  try {
    return await (lxd ? s.exports.lxdMain! : s.exports.main!)(process.argv, version(here));
  } catch (e) {
    if (e === CONSOLE_HANDOFF) return undefined;
    throw e;
  } finally {
    markScriptRun(false);
    s.saveCache();
  }
}

/**
 * Runs a plain local listing (src/ls-argv.ts plainLs) with the small `ls` build (src/ls-fast.ts),
 * compiled from V8's code cache, then writes the cache if there was none (or V8 refused it) and
 * the build printed the listing (so the cache holds what a listing runs). Touches neither
 * process.stdout nor process.stderr (loading them costs Node's tty or net modules).
 * @param here dist/src (where the script builds' paths start)
 * @param req the listing asked for
 * @returns 0 once printed; undefined, with nothing printed, when the full program must run the
 *   argv (the build handed it back, or there is no usable small build)
 * @throws a write error other than EPIPE, after part of the listing may be out
 */
export async function lsFastRun(here: string, req: PlainLs): Promise<number | undefined> {
  if (typeof LXDECK_SCRIPT_BUILDS === 'undefined' || !LXDECK_SCRIPT_BUILDS.ls) return undefined;
  let s: ReturnType<typeof loadScript<{ lsFast?: (req: PlainLs) => Promise<number | undefined> }>>;
  try {
    s = loadScript(join(here, LXDECK_SCRIPT_BUILDS.ls));
  } catch {
    return undefined; // no small build: the full program runs it
  }
  const code = await s.exports.lsFast!(req);
  if (code !== undefined) s.saveCache();
  return code;
}

/**
 * Runs process.argv with the console's script build (src/console-script.ts: both programs with the
 * console), compiled from V8's code cache, then writes the cache if there was none (or V8 refused
 * it) and the console drew a frame in this run: the cache then holds the functions the console's
 * start ran, compiled (scripts/bundle.mjs makes it so with one run in a pseudo-terminal).
 * @param here dist/src (where the script builds' paths start)
 * @param lxd the LXD program (src/cli-lxd.ts) instead of the local one
 * @returns the exit status; undefined when there is no usable console script build (tsc's
 *   output, a removed file): then the module build must run it
 * @throws what the program's main throws (it reports its own errors and returns a status)
 */
export async function consoleScriptRun(here: string, lxd: boolean): Promise<number | undefined> {
  if (typeof LXDECK_SCRIPT_BUILDS === 'undefined' || !LXDECK_SCRIPT_BUILDS.console) return undefined;
  let s: ReturnType<typeof loadScript<{ consoleMain?: (argv: string[], version: string, lxd: boolean) => Promise<number> }>>;
  try {
    s = loadScript(join(here, LXDECK_SCRIPT_BUILDS.console));
  } catch {
    return undefined; // no console script build: the module build runs it
  }
  try {
    return await s.exports.consoleMain!(process.argv, version(here), lxd);
  } finally {
    if (consoleShown()) s.saveCache();
  }
}

/** Sets process.exitCode from a run; an error that escaped the program is printed as `lxdeck: ERROR` with status 1. */
export function settle(run: Promise<number>): void {
  run.then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`lxdeck: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/** A reader that went away (`lxdeck stats --json | head -1`) ends the output quietly, as cat and ls do. */
export function quietOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
}
