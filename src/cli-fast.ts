/**
 * The package's bin (dist/src/cli.cjs, built by scripts/bundle.mjs as CommonJS; tsc's ES module
 * output of this file is not run): a verb runs from the program's script build through V8's
 * code cache (src/entry.ts) without Node's ES module loader ever starting, about 15 ms of a short
 * verb (bench/README.md section 6). The console, and a verb whose argv turns out to ask for it
 * (src/console-handoff.ts), run from the console's script build (src/console-script.ts), through
 * V8's code cache as well (bench/README.md section 7); without one (tsc's output, a removed file)
 * they go to the ES module entry (src/cli.ts), imported for that.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wantsLxdProgram } from './backend-arg.js';
import { mayOpenConsole, requestModuleRun } from './console-handoff.js';
import { consoleScriptRun, quietOnEpipe, scriptRun, settle } from './entry.js';

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

const args = process.argv.slice(2);
const lxd = wantsLxdProgram(args);
if (mayOpenConsole(args)) viaConsoleScript(lxd);
else {
  quietOnEpipe();
  // a verb's script build returns undefined when the argv asked for the console after all (or it has none)
  scriptRun(here, lxd).then(
    (code) => (code === undefined ? viaConsoleScript(lxd) : settle(Promise.resolve(code))),
    (e) => settle(Promise.reject(e)),
  );
}
