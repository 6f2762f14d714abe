/**
 * yoga-layout for the console's script build (scripts/bundle.mjs aliases `yoga-layout` to this
 * module there, and only there).
 *
 * Why: yoga-layout's default export is made by a top-level await (`wrapAssembly(await
 * loadYoga())`, yoga-layout/dist/src/index.js), which only an ES module can hold; the console's
 * script build is one CommonJS function compiled through V8's code cache (src/script-cache.ts).
 * Here the default export is a live binding that {@link loadLayoutEngine} fills with the same
 * object, from `yoga-layout/load`'s `loadYoga()` (the same Emscripten module and `wrapAssembly`).
 * Ink reads it only inside functions (creating and laying out nodes, on render), never at its
 * modules' top level, so the console's entry awaits {@link loadLayoutEngine} before it renders:
 * src/console-script.ts.
 */
import { loadYoga, type Yoga } from 'yoga-layout/load';

let yoga: Yoga | undefined;
let loading: Promise<Yoga> | undefined;

export { yoga as default };

/**
 * Loads Yoga's WebAssembly (instantiated from the base64 bytes inside yoga-layout's loader) and
 * sets the default export; later calls return the first call's promise.
 * Run it with `fetch` hidden (src/cli-local.ts withoutFetch): the loader otherwise reads its
 * `data:` URL through undici.
 * @throws what WebAssembly instantiation throws (out of memory)
 */
export function loadLayoutEngine(): Promise<Yoga> {
  loading ??= loadYoga().then((y) => (yoga = y));
  return loading;
}
