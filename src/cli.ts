#!/usr/bin/env node
/**
 * The binary's ES module entry (dist/src/cli.js): every verb's and the console's way in when run
 * as `node dist/src/cli.js`. The package's bin is the CommonJS entry (src/cli-fast.ts,
 * dist/src/cli.cjs), which runs a verb and the console from script builds without Node's ES
 * module loader and imports this module only when they are missing.
 *
 * It reads which program the argv asks for and loads only that one: the local program
 * (src/cli-local.ts: LXC in an lxcpath, remotes, --all), or the LXD program (src/cli-lxd.ts) for
 * `--backend lxd` / LXDECK_BACKEND=lxd (bench/README.md section 10). A verb runs from the
 * program's script build, compiled from V8's code cache (src/entry.ts); the console from its
 * module build (a chunk of its own, scripts/bundle.mjs), which is the only one that has the
 * console (src/console-handoff.ts).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wantsLxdProgram } from './backend-arg.js';
import { mayOpenConsole, moduleRunRequested } from './console-handoff.js';
import { type Main, quietOnEpipe, scriptRun, settle, version } from './entry.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs process.argv with the program's module build (the console is in it). */
async function moduleRun(lxd: boolean): Promise<number> {
  const run: Main = lxd ? (await import('./cli-lxd.js')).lxdMain : (await import('./cli-local.js')).main;
  return run(process.argv, version(here));
}

const args = process.argv.slice(2);
const lxd = wantsLxdProgram(args);
if (!moduleRunRequested()) quietOnEpipe(); // src/cli-fast.ts has done it
// a verb: the script build (compiled from V8's cache); the console: the module build
settle(moduleRunRequested() || mayOpenConsole(args) ? moduleRun(lxd) : scriptRun(here, lxd).then((code) => code ?? moduleRun(lxd)));
