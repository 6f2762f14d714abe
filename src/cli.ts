#!/usr/bin/env node
/**
 * The `lxdeck` binary's entry: it reads which program the argv asks for and loads only that one
 * (a chunk of its own in the bundle, scripts/bundle.mjs): the local program (src/cli-local.ts:
 * LXC in an lxcpath, remotes, --all), or the LXD program (src/cli-lxd.ts) for `--backend lxd` /
 * LXDECK_BACKEND=lxd. An LXD verb thus never compiles the local program, and a local one never
 * the LXD program (bench/README.md section 10). A verb runs from the program's script build,
 * compiled from V8's code cache (src/script-cache.ts); the console from its module build, which
 * is the only one that has the console (src/console-handoff.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wantsLxdProgram } from './backend-arg.js';
import { CONSOLE_HANDOFF, mayOpenConsole, markScriptRun } from './console-handoff.js';
import { loadScript } from './script-cache.js';

const here = dirname(fileURLToPath(import.meta.url));

/** lxdeck's version from its package.json: two levels up from dist/src/ (the bundle, and tsc's output), one from src/ (tests); the name is checked. */
function version(): string {
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

// a reader that went away (`lxdeck stats --json | head -1`) ends the output quietly, as cat and ls do
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });

/** The script builds (dist/src/script/, paths relative to this file), set by scripts/bundle.mjs; undefined in tsc's output. */
declare const LXDECK_SCRIPT_BUILDS: { local: string; lxd: string } | undefined;

type Main = (argv: string[], version: string) => Promise<number>;

/** Runs `argv` with the program's module build (the console is in it). */
async function moduleRun(lxd: boolean): Promise<number> {
  const run: Main = lxd ? (await import('./cli-lxd.js')).lxdMain : (await import('./cli-local.js')).main;
  return run(process.argv, version());
}

/**
 * Runs `argv` with the program's script build through V8's code cache (src/script-cache.ts),
 * then writes the cache if there was none; undefined when the console was asked for
 * (src/console-handoff.ts) or there is no script build.
 */
async function scriptRun(lxd: boolean): Promise<number | undefined> {
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
    return await (lxd ? s.exports.lxdMain! : s.exports.main!)(process.argv, version());
  } catch (e) {
    if (e === CONSOLE_HANDOFF) return undefined;
    throw e;
  } finally {
    markScriptRun(false);
    s.saveCache();
  }
}

const args = process.argv.slice(2);
const lxd = wantsLxdProgram(args);
// a verb: the script build (compiled from V8's cache); the console: the module build
(mayOpenConsole(args) ? moduleRun(lxd) : scriptRun(lxd).then((code) => code ?? moduleRun(lxd))).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`lxdeck: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
