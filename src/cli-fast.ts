/**
 * The package's bin (dist/src/cli.cjs, built by scripts/bundle.mjs as CommonJS; tsc's ES module
 * output of this file is not run): a verb runs from the program's script build through V8's
 * code cache (src/entry.ts) without Node's ES module loader ever starting, about 15 ms of a short
 * verb (bench/README.md section 6). The console, and a verb whose argv turns out to ask for it
 * (src/console-handoff.ts), go to the ES module entry (src/cli.ts), imported for that.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wantsLxdProgram } from './backend-arg.js';
import { mayOpenConsole, requestModuleRun } from './console-handoff.js';
import { quietOnEpipe, scriptRun, settle } from './entry.js';

const here = __dirname;

/** Hands process.argv to the ES module entry, which runs it with the module build and sets the exit status. */
function viaModuleEntry(): void {
  requestModuleRun();
  import(pathToFileURL(join(here, 'cli.js')).href).catch((e: unknown) => settle(Promise.reject(e)));
}

const args = process.argv.slice(2);
if (mayOpenConsole(args)) viaModuleEntry();
else {
  quietOnEpipe();
  scriptRun(here, wantsLxdProgram(args)).then(
    (code) => (code === undefined ? viaModuleEntry() : settle(Promise.resolve(code))),
    (e) => settle(Promise.reject(e)),
  );
}
