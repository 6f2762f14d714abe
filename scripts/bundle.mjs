#!/usr/bin/env node
// Bundles the `lxdeck` binary (src/cli.ts and everything it imports) with esbuild, after tsc has
// type-checked and compiled the tree: `npm run build` runs both.
//
// Why: Node spends most of a short verb's start-up resolving and loading modules (about 80 files
// for `lxdeck ls`, about 840 for the console). One file for what every verb needs, and one chunk per
// dynamic import (the console with React and Ink, checkconfig, setup...), cut that to a few reads.
//
// Output, replacing tsc's dist/src/cli.js (the package's bin, what the tests and
// scripts/install-deps.sh run):
//   dist/src/cli.js              the bundle: what every verb loads
//   dist/src/bundle/*.js         what a dynamic import loads (the console, checkconfig, setup...)
//                                and code those chunks share
//   *.js.map                     source maps pointing at the TypeScript sources (src/stack-map.ts)
// The rest of dist/ (core/, components/, templates/, src/) stays tsc's output: the benchmarks
// import modules from it.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/src');
rmSync(join(outdir, 'bundle'), { recursive: true, force: true });

/**
 * Puts src/console/fast-string-width.ts in front of every `string-width` a dependency imports
 * (Ink, wrap-ansi, cli-truncate, widest-line): each importer still gets its own version behind it.
 */
const fastStringWidth = {
  name: 'fast-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve('string-width', { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'real' });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'fast-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'fast-string-width' }, (args) => ({
      resolveDir: root,
      loader: 'js',
      contents: `import real from ${JSON.stringify(args.path)};
import { fastStringWidth } from './src/console/fast-string-width.ts';
export default function stringWidth(text, options) {
  const w = fastStringWidth(text, options);
  return w >= 0 ? w : real(text, options);
}
`,
    }));
  },
};

const result = await build({
  plugins: [fastStringWidth],
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  chunkNames: 'bundle/[name]-[hash]',
  sourcemap: 'linked',
  // the maps name the files under src/, core/, components/ and node_modules/ without a copy of them: smaller maps, read faster at start-up
  sourcesContent: false,
  // whitespace and syntax only: names stay as written, so stack frames read as in the source; the maps give the lines
  minifyWhitespace: true,
  minifySyntax: true,
  // CommonJS dependencies (proper-lockfile, graceful-fs, cross-spawn, React)
  // call require() for Node's modules; an ES module has none, so each output file gets one
  banner: { js: "import { createRequire as __lxdeckRequire } from 'node:module';\nconst require = __lxdeckRequire(import.meta.url);" },
  // ink imports its devtools only when DEV=true; react-devtools-core is not a dependency.
  // ssh2 may carry native addons (its crypto binding, cpu-features) that cannot be bundled: it is
  // imported from node_modules on a remote's first connection only (core/remote/ssh.ts)
  // node-pty is a native addon (built from source by npm) that cannot be bundled either: imported
  // from node_modules when the console's first shell pane opens (core/exec/pty.ts); @xterm/headless
  // (plain JS) is bundled into the pane's own chunk, loaded then too (src/screens/ShellPane.tsx)
  external: ['react-devtools-core', 'ssh2', 'node-pty'],
  // NODE_ENV stays a run-time choice: the CLI sets it to production before it loads the console
  logLevel: 'warning',
  metafile: true,
});

// the entry keeps src/cli.ts's #! line. Source maps stay off at start-up (Node would read every
// loaded file's map, ~10 ms for ls): the stack lxdeck prints for an unexpected error is mapped on
// demand (src/stack-map.ts); NODE_OPTIONS=--enable-source-maps maps every trace
chmodSync(join(outdir, 'cli.js'), 0o755);

if (process.argv.includes('--sizes')) {
  for (const [file, o] of Object.entries(result.metafile.outputs)) if (!file.endsWith('.map')) console.log(`${(o.bytes / 1024).toFixed(0).padStart(6)} KiB ${file}`);
}
