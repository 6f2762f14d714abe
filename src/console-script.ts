/**
 * The console's script build (dist/src/script/console-*.cjs, scripts/bundle.mjs): the local and
 * the LXD program with the console, React and Ink, as one CommonJS function that the bin compiles
 * through V8's code cache (src/entry.ts consoleScriptRun, src/script-cache.ts) instead of loading
 * the console's 1.3 MB ES module chunk, which Node 20 compiles from source on every start.
 *
 * A script cannot hold a top-level await: yoga-layout's default export is made by one
 * (yoga-layout/dist/src/index.js), so this build aliases it to src/console/yoga-script.ts, whose
 * Yoga is loaded here before either program runs (and so before Ink renders anything), and Ink's
 * own top-level awaits (react-devtools under DEV=true) are taken out by scripts/bundle.mjs.
 */
import { main, withoutFetch } from './cli-local.js';
import { loadLayoutEngine } from './console/yoga-script.js';

/**
 * Runs process.argv with the local program (src/cli-local.ts main) or the LXD one
 * (src/cli-lxd.ts lxdMain), once Yoga's WebAssembly is loaded (with `fetch` hidden, see withoutFetch).
 * @param argv process.argv
 * @param version lxdeck's version
 * @param lxd the LXD program (`--backend lxd`, LXDECK_BACKEND=lxd: src/backend-arg.ts)
 * @returns the program's exit status
 * @throws what WebAssembly instantiation throws, and what the program's main throws
 */
export async function consoleMain(argv: string[], version: string, lxd: boolean): Promise<number> {
  await withoutFetch(loadLayoutEngine);
  const run = lxd ? (await import('./cli-lxd.js')).lxdMain : main;
  return run(argv, version);
}
