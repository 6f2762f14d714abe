/**
 * The package's bin (dist/src/cli.cjs, built by scripts/bundle.mjs as CommonJS; tsc's ES module
 * output of this file is not run): a verb runs from the program's script build through V8's
 * code cache (src/entry.ts) without Node's ES module loader ever starting, about 15 ms of a short
 * verb (bench/README.md section 6). The console, and a verb whose argv turns out to ask for it
 * (src/console-handoff.ts), run from the console's script build (src/console-script.ts), through
 * V8's code cache as well (bench/README.md section 7); without one (tsc's output, a removed file)
 * they go to the ES module entry (src/cli.ts), imported for that. A plain local listing (`ls`,
 * `ls --json`, `--lxcpath P`: src/ls-argv.ts) runs first from the small `ls` build
 * (src/ls-fast.ts, bench/README.md section 6), which hands back to the local program's script
 * build, before printing anything, what it leaves out.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wantsLxdProgram } from './backend-arg.js';
import { mayOpenConsole, requestModuleRun } from './console-handoff.js';
import { consoleScriptRun, lsFastRun, quietOnEpipe, scriptRun, settle } from './entry.js';
import { plainLs } from './ls-argv.js';

const here = __dirname;

/** Hands process.argv to the ES module entry, which runs it with the module build and sets the exit status. */
function viaModuleEntry(): void {
  requestModuleRun();
  import(pathToFileURL(join(here, 'cli.js')).href).catch((e: unknown) => settle(Promise.reject(e)));
}

/** Runs process.argv with the console's script build, or the ES module entry when there is none. */
function viaConsoleScript(lxd: boolean): void {
  consoleScriptRun(here, lxd).then(
    (code) => (code === undefined ? viaModuleEntry() : settle(Promise.resolve(code))),
    (e) => settle(Promise.reject(e)),
  );
}

/** Runs a verb as before the small `ls` build: its program's script build, or the console's. */
function viaScript(lxd: boolean): void {
  quietOnEpipe();
  // a verb's script build returns undefined when the argv asked for the console after all (or it has none)
  scriptRun(here, lxd).then(
    (code) => (code === undefined ? viaConsoleScript(lxd) : settle(Promise.resolve(code))),
    (e) => settle(Promise.reject(e)),
  );
}

const args = process.argv.slice(2);
const ls = plainLs(args);
if (ls !== null)
  // a plain local listing: the small ls build (src/ls-fast.ts), which hands back, with nothing
  // printed, whatever it leaves out; then the local program runs it as any other verb
  lsFastRun(here, ls).then(
    (code) => (code === undefined ? viaScript(false) : settle(Promise.resolve(code))),
    (e) => settle(Promise.reject(e)),
  );
else {
  const lxd = wantsLxdProgram(args);
  if (mayOpenConsole(args)) viaConsoleScript(lxd);
  else viaScript(lxd);
}
