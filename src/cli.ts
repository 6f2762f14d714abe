#!/usr/bin/env node
/**
 * The `lxdeck` binary's entry: it reads which program the argv asks for and loads only that one
 * (a chunk of its own in the bundle, scripts/bundle.mjs): the local program (src/cli-local.ts:
 * LXC in an lxcpath, remotes, --all), or the LXD program (src/cli-lxd.ts) for `--backend lxd` /
 * LXDECK_BACKEND=lxd. An LXD verb thus never compiles the local program, and a local one never
 * the LXD program (bench/README.md section 10).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wantsLxdProgram } from './backend-arg.js';

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

const run = wantsLxdProgram(process.argv.slice(2)) ? (await import('./cli-lxd.js')).lxdMain : (await import('./cli-local.js')).main;

run(process.argv, version()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`lxdeck: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
