#!/usr/bin/env node
// Bundles the `lxdeck` binary (src/cli.ts and everything it imports) with esbuild, after tsc has
// type-checked and compiled the tree: `npm run build` runs both.
//
// Why: Node spends most of a short verb's start-up resolving and loading modules (about 80 files
// for `lxdeck ls`, about 840 for the console). One file for what every verb needs, and one chunk per
// dynamic import (the console with React and Ink, checkconfig, setup...), cut that to a few reads.
//
// Output, replacing tsc's dist/src/cli.js:
//   dist/src/cli.cjs             the package's bin (src/cli-fast.ts, CommonJS): runs a verb from its
//                                script build, the console from the console's script build
//   dist/src/cli.js              the ES module entry (src/cli.ts): runs every verb and the console
//                                too (`node dist/src/cli.js ...`), the console from the module build
//   dist/src/bundle/*.js         what a dynamic import loads (the console, checkconfig, setup...)
//                                and code those chunks share
//   dist/src/script/*.cjs        the script builds: the local and the LXD program without the console,
//                                the small build of a plain local `ls` (src/ls-fast.ts, about 50 KB,
//                                which the bin runs first for `ls`, `ls --json`), one CommonJS function each, which src/cli.ts runs for every verb
//                                through V8's code cache (src/script-cache.ts; the .v8cache files
//                                beside them are made by a run of each at the end of the build);
//                                console-*.cjs: both programs with the console (src/console-script.ts),
//                                its cache made by a console run in a pseudo-terminal
//   *.js.map, *.cjs.map          source maps pointing at the TypeScript sources (src/stack-map.ts)
// The rest of dist/ (core/, components/, templates/, src/) stays tsc's output: the benchmarks
// import modules from it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/src');
rmSync(join(outdir, 'bundle'), { recursive: true, force: true });
rmSync(join(outdir, 'script'), { recursive: true, force: true });

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
    // the real one is initialised on its first use, not when the console loads: string-width 8's
    // top level makes an Intl.Segmenter and Unicode-property expressions (\p{RGI_Emoji} with /v),
    // and 4 copies of it are bundled, while the fast path measures all of the first frame
    // (esbuild turns the require() of the bundled ES module into its lazy init in both formats)
    b.onLoad({ filter: /.*/, namespace: 'fast-string-width' }, (args) => ({
      resolveDir: root,
      loader: 'js',
      contents: `import { fastStringWidth } from './src/console/fast-string-width.ts';
let real;
export default function stringWidth(text, options) {
  const w = fastStringWidth(text, options);
  if (w >= 0) return w;
  real ??= require(${JSON.stringify(args.path)}).default;
  return real(text, options);
}
`,
    }));
  },
};

/**
 * The verbs' script builds leave the console out (React, Ink and yoga are most of the code, and
 * the console has a script build of its own, below): its import becomes a module that throws. It
 * is never reached: the console action hands the argv to the console's build first
 * (src/console-handoff.ts).
 */
const noConsole = {
  name: 'no-console',
  setup(b) {
    b.onResolve({ filter: /\/console\/run-console\.js$/ }, () => ({ path: 'run-console', namespace: 'no-console' }));
    b.onLoad({ filter: /.*/, namespace: 'no-console' }, () => ({
      loader: 'js',
      contents: "throw new Error('lxdeck: the console is not in the script build (src/console-handoff.ts)');",
    }));
  },
};

/**
 * Node's own modules that `ls` does not use but the script builds' top level would load (the
 * engine's modules import crypto, fs/promises, http... at their top, and so do commander and
 * others): about 20 ms of Node compiling its internal modules on each start. In the script builds
 * each is required as `lazy:NAME`, for which the script's require (src/script-cache.ts) returns
 * a stand-in that loads the module on its first property access (esbuild turns
 * `import { x } from 'node:crypto'` into `require("node:crypto").x` at the use), so a verb pays
 * for those it uses.
 */
// Only modules whose exports are a plain object: the stand-in cannot be called (assert, stream and
// events export a function, and a default import hands over the stand-in itself)
const LAZY_BUILTINS = ['child_process', 'crypto', 'dgram', 'fs/promises', 'http', 'https', 'net', 'perf_hooks', 'querystring', 'readline', 'readline/promises', 'stream/promises', 'string_decoder', 'timers/promises', 'tls', 'tty', 'url', 'zlib'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.map((m) => m.replace('/', '\\/')).join('|')})$`);
    // `lazy:NAME`, kept as a require() of the script's own: src/script-cache.ts's require hands out a stand-in for it
    b.onResolve({ filter }, (args) => ({ path: `lazy:${args.path.replace(/^node:/, '')}`, external: true }));
  },
};

/**
 * The console's script build: `yoga-layout` (whose default export is made by a top-level await)
 * becomes src/console/yoga-script.ts, whose Yoga src/console-script.ts loads before anything renders.
 */
const yogaScript = {
  name: 'yoga-script',
  setup(b) {
    b.onResolve({ filter: /^yoga-layout$/ }, () => ({ path: join(root, 'src/console/yoga-script.ts') }));
  },
};

/**
 * Ink's reconciler (ink/build/reconciler.js) has two top-level awaits, both only under DEV=true
 * (react-devtools, and its own package.json for the devtools' name): in the console's script
 * build they become what the module build does without react-devtools-core installed (the same
 * warning) and the name and version read now. A changed Ink fails the build here, not at run time.
 */
const inkWithoutTla = {
  name: 'ink-without-tla',
  setup(b) {
    b.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      let text = await readFile(args.path, 'utf8');
      const ink = JSON.parse(await readFile(join(dirname(args.path), '../package.json'), 'utf8'));
      const swaps = [
        ["await import('./devtools.js');", "throw Object.assign(new Error('react-devtools-core is not bundled'), { code: 'ERR_MODULE_NOT_FOUND' });"],
        ['await loadPackageJson()', JSON.stringify({ name: ink.name, version: ink.version })],
      ];
      for (const [from, to] of swaps) {
        if (!text.includes(from)) throw new Error(`bundle: ${args.path} no longer has ${JSON.stringify(from)}: check Ink's top-level awaits (scripts/bundle.mjs inkWithoutTla)`);
        text = text.replace(from, to);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

// What every script build shares (the verbs', the listing's and the console's): one CommonJS
// function per file, a linked source map, minified whitespace and syntax.
const scriptBuild = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  supported: { 'dynamic-import': false },
  outdir: join(outdir, 'script'),
  // the name carries a hash of the content: the code cache's name carries it too, so a rebuilt
  // script never meets an old cache (V8 checks only the source's length)
  entryNames: '[name]-[hash]',
  outExtension: { '.js': '.cjs' },
  sourcemap: 'linked',
  sourcesContent: false,
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '})' },
  external: ['react-devtools-core', 'ssh2', 'node-pty'],
  logLevel: 'warning',
  metafile: true,
};

// The script builds (Node 20 has a code cache for scripts, not for ES modules): each program as
// one function `(function (exports, require, module, __filename, __dirname) {...})` that
// src/script-cache.ts compiles with vm.Script. No splitting (a script has no imports): what a
// verb loads on demand (execa, the templates, tar...) is in the same file, run when first needed;
// V8 compiles a function only when it first runs, and the cache keeps the ones that ran.
// import() becomes require() (a script has no module loader): ssh2 and node-pty stay in
// node_modules and are CommonJS.
const scripts = await build({
  plugins: [fastStringWidth, noConsole, lazyBuiltins],
  absWorkingDir: root,
  entryPoints: { 'cli-local': 'src/cli-local.ts', 'cli-lxd': 'src/cli-lxd.ts', 'ls-fast': 'src/ls-fast.ts' },
  ...scriptBuild,
});
// The console's script build: both programs with the console (src/console-script.ts), the same way
// but with yoga-layout and Ink's reconciler made fit for a script (above). One file for both
// programs: what the LXD program adds is compiled only when it runs.
const consoleScript = await build({
  plugins: [fastStringWidth, lazyBuiltins, yogaScript, inkWithoutTla],
  absWorkingDir: root,
  entryPoints: { console: 'src/console-script.ts' },
  ...scriptBuild,
});
const scriptBuilds = {};
for (const [file, o] of [...Object.entries(scripts.metafile.outputs), ...Object.entries(consoleScript.metafile.outputs)]) {
  if (!o.entryPoint) continue;
  scriptBuilds[{ 'src/cli-lxd.ts': 'lxd', 'src/cli-local.ts': 'local', 'src/ls-fast.ts': 'ls', 'src/console-script.ts': 'console' }[o.entryPoint]] = relative(outdir, resolve(root, file));
}
if (!scriptBuilds.local || !scriptBuilds.lxd || !scriptBuilds.ls || !scriptBuilds.console) throw new Error(`script builds missing: ${JSON.stringify(scriptBuilds)}`);

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
  // where src/cli.ts finds the script builds (relative to dist/src/)
  define: { LXDECK_SCRIPT_BUILDS: JSON.stringify(scriptBuilds) },
  logLevel: 'warning',
  metafile: true,
});

// The package's bin: the CommonJS entry (src/cli-fast.ts), which runs a verb's script build
// without starting Node's ES module loader, and imports dist/src/cli.js for the console.
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli-fast.ts'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: join(outdir, 'cli.cjs'),
  sourcemap: 'linked',
  sourcesContent: false,
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: '#!/usr/bin/env node' },
  define: { LXDECK_SCRIPT_BUILDS: JSON.stringify(scriptBuilds) },
  logLevel: 'warning',
});
chmodSync(join(outdir, 'cli.cjs'), 0o755);

// the entry keeps src/cli.ts's #! line. Source maps stay off at start-up (Node would read every
// loaded file's map, ~10 ms for ls): the stack lxdeck prints for an unexpected error is mapped on
// demand (src/stack-map.ts); NODE_OPTIONS=--enable-source-maps maps every trace
chmodSync(join(outdir, 'cli.js'), 0o755);

/**
 * The console's code cache, made by one run of the console in a pseudo-terminal (node-pty, an
 * optional dependency; 80x24) on the verbs' cache-run lxcpath (one stopped container: its row's
 * code is cached too) until its list is drawn, then `q`: the cache is
 * written when the console quits (src/entry.ts consoleScriptRun), with the functions its first
 * frame and its list ran compiled. Without node-pty, or without root (the console needs it), the
 * first console run on the host writes it instead.
 */
async function consoleCacheRun(bin, lxcpath, env) {
  if (process.getuid?.() !== 0) return console.warn('bundle: not root: the console\'s code cache is left to its first run');
  let pty;
  try {
    pty = (await import('node-pty')).default;
  } catch {
    return console.warn('bundle: node-pty is not installed: the console\'s code cache is left to its first run');
  }
  const bridge = `lxdb${process.pid.toString(36).slice(-8)}`; // named only, never made
  const p = pty.spawn(bin, ['--lxcpath', lxcpath, '--bridge', bridge], { name: 'xterm-256color', cols: 80, rows: 24, cwd: root, env: { ...env, TERM: 'xterm-256color' } });
  let screen = '';
  let sent = false;
  const status = await new Promise((res) => {
    const timer = setTimeout(() => p.kill(), 60_000);
    p.onData((d) => {
      screen += d;
      const plain = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''); // colours and cursor moves out
      if (!sent && /q quit/.test(plain) && /\d+ containers?, \d+ running/.test(plain)) {
        sent = true;
        p.write('q');
      }
    });
    p.onExit(({ exitCode }) => {
      clearTimeout(timer);
      res(exitCode);
    });
  });
  if (status !== 0 || !sent) console.warn(`bundle: the console's code cache run exited ${status}${sent ? '' : ' before its list was drawn (killed after 60 s)'}: ${screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim().slice(-300)}`);
}

// Each script build's code cache, made by one run of it (src/script-cache.ts writes it after a
// run that found none): `ls` on an lxcpath of its own holding one stopped container (a config
// only: the listing's per-container code, config reading and checking, the stopped path and the
// table, is then compiled from the cache too; about 5-10 ms of `ls` over 50 containers, bench/README.md
// section 6) through the small ls build and through the local program, and the LXD program's --help. Without NODE_OPTIONS (V8 rejects a cache made with
// other flags) and beside the scripts.
const empty = mkdtempSync(join(tmpdir(), 'lxdeck-build-'));
mkdirSync(join(empty, 'cachewarm'));
writeFileSync(
  join(empty, 'cachewarm', 'config'),
  [
    'lxc.include = /usr/share/lxc/config/common.conf',
    `lxc.rootfs.path = dir:${join(empty, 'cachewarm', 'rootfs')}`,
    'lxc.uts.name = cachewarm',
    'lxc.net.0.type = veth',
    'lxc.net.0.link = lxcbr0',
    'lxc.net.0.flags = up',
    'lxc.net.0.hwaddr = 00:16:3e:00:00:01',
    'lxc.start.auto = 1',
    'lxc.group = onboot',
    'lxc.mount.auto = cgroup:mixed proc:mixed sys:ro',
    '',
  ].join('\n'),
);
try {
  const env = { ...process.env };
  for (const k of ['NODE_OPTIONS', 'LXDECK_CODE_CACHE_DIR', 'LXDECK_BACKEND', 'LXDECK_LXCPATH', 'NODE_EXTRA_CA_CERTS']) delete env[k];
  // as `lxdeck` runs and as `node dist/src/cli.cjs` runs (the tests): the same cache while the #! line gives Node no flag
  const bin = join(outdir, 'cli.cjs');
  for (const cmd of [[bin], [process.execPath, bin]])
    // `ls` runs the small ls build (src/ls-fast.ts); `ls --timeout 5` (which the small build does
    // not take, and which only --all reads) runs the local program's ls as every other verb would
    for (const args of [['--lxcpath', empty, 'ls'], ['--lxcpath', empty, 'ls', '--timeout', '5'], ['--backend', 'lxd', '--help']]) {
      const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      if (r.status !== 0) console.warn(`bundle: the code cache run (${[...cmd, ...args].join(' ')}) exited ${r.status ?? r.error}: ${String(r.stderr).trim()}`);
    }
  await consoleCacheRun(bin, empty, env);
} finally {
  rmSync(empty, { recursive: true, force: true });
}

if (process.argv.includes('--sizes')) {
  for (const [file, o] of [...Object.entries(scripts.metafile.outputs), ...Object.entries(consoleScript.metafile.outputs), ...Object.entries(result.metafile.outputs)]) if (!file.endsWith('.map')) console.log(`${(o.bytes / 1024).toFixed(0).padStart(6)} KiB ${file}`);
}
