#!/usr/bin/env node
// `lxdeck ls` and `lxdeck ls --json` against `lxc-ls -f` on the same running
// containers: wall time from exec to exit (median and minimum) and peak memory
// (max RSS from /usr/bin/time -f %M, median), side by side, with an empty
// lxcpath, 2 and 50 running busybox containers. Figures, not assertions.
// Beside them the floor of any Node program: `node -e 0` (Node's own start) and
// `node bench/ls-floor.cjs` (a bare script making the fewest reads a files-only
// listing needs, and printing it).
//
//   npm run build && sudo node bench/ls-vs-lxc-ls.mjs [--sizes 0,2,50] [--rounds 11]
//   --lxcpath DIR      measure the containers already in DIR instead (one size)
//   LXDECK_BIN=FILE    the lxdeck entry point to run (default: package.json's bin)
//   --also LABEL=FILE  another lxdeck entry point timed in the same rounds (e.g. main's build's
//                      dist/src/cli.cjs), run as a command as the bin is
//   --keep-env         keep NODE_EXTRA_CA_CERTS in the runs' environment (see below)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { argValue, makeFleet, median } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(process.env.LXDECK_BIN ?? join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.lxdeck));
const sizes = argValue('--sizes', '0,2,50').split(',').map(Number);
const floor = join(root, 'bench', 'ls-floor.cjs');
const rounds = Number(argValue('--rounds', '11'));
const memRounds = Math.max(3, Math.min(5, rounds));

// NODE_EXTRA_CA_CERTS makes Node 20 parse that CA file at start-up, before any of lxdeck's code
// runs (about 70 ms here, for a bundle of 140 certificates): a setting of the session that runs
// the benchmark, not of lxdeck, which makes no TLS connection. The runs leave it out unless
// --keep-env; the `node -e 0` row shows Node's own start either way.
const keepEnv = process.argv.includes('--keep-env');
const env = { ...process.env };
if (!keepEnv) delete env.NODE_EXTRA_CA_CERTS;

/** one run: wall ms (spawnSync from exec to exit), exit status and stdout */
function timed(file, args) {
  const t = performance.now();
  const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 400)}`);
  return { ms, stdout: String(r.stdout) };
}

/** peak RSS in KiB of one run (GNU time's %M: ru_maxrss of the process, children waited for included) */
function peakKiB(file, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', file, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000, env });
  const lines = String(r.stderr).trim().split('\n');
  return Number(lines[lines.length - 1]);
}

function measure(lxcpath, count) {
  const cmds = [
    // the bin run as a command, as `lxdeck` runs (its #! line gives Node its flags)
    ['lxdeck ls', bin, ['--lxcpath', lxcpath, 'ls']],
    ['lxdeck ls --json', bin, ['--lxcpath', lxcpath, 'ls', '--json']],
    ['lxc-ls -f', 'lxc-ls', ['-P', lxcpath, '-f']],
    ['node -e 0', process.execPath, ['-e', '0']],
    ['node ls-floor.cjs', process.execPath, [floor, lxcpath]],
  ];
  process.argv.forEach((a, i) => {
    if (a !== '--also') return;
    const [label, file] = process.argv[i + 1].split(/=(.*)/s);
    cmds.push([`ls (${label})`, resolve(file), ['--lxcpath', lxcpath, 'ls']]);
    cmds.push([`ls --json (${label})`, resolve(file), ['--lxcpath', lxcpath, 'ls', '--json']]);
  });
  // check what they report before timing: every container RUNNING in each
  const json = JSON.parse(timed(cmds[1][1], cmds[1][2]).stdout);
  const running = json.filter((c) => c.state === 'RUNNING' && c.pid > 0).length;
  if (running !== count) throw new Error(`lxdeck ls --json: ${running} of ${count} RUNNING with a PID`);
  const lxcLsRunning = timed('lxc-ls', ['-P', lxcpath, '--running', '-1']).stdout.trim().split(/\s+/).filter(Boolean).length;
  if (lxcLsRunning !== count) throw new Error(`lxc-ls --running: ${lxcLsRunning} of ${count}`);
  const floorRunning = timed(process.execPath, [floor, lxcpath]).stdout.split('\n').filter((l) => / RUNNING \d+ /.test(l)).length;
  if (floorRunning !== count) throw new Error(`ls-floor.cjs: ${floorRunning} of ${count} RUNNING`);
  const ms = cmds.map(() => []);
  for (let r = 0; r < rounds; r++) cmds.forEach(([, f, a], i) => ms[i].push(timed(f, a).ms)); // interleaved: same load for each
  const kib = cmds.map(() => []);
  for (let r = 0; r < memRounds; r++) cmds.forEach(([, f, a], i) => kib[i].push(peakKiB(f, a)));
  return cmds.map(([label], i) => ({ label, ms: median(ms[i]), min: Math.min(...ms[i]), mib: median(kib[i]) / 1024 }));
}

function print(count, rows) {
  const ref = rows.find((r) => r.label === 'lxc-ls -f');
  console.log(`\n${count} running containers: median of ${rounds} runs (wall), peak RSS median of ${memRounds}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? (keepEnv ? 'set and kept' : 'set here, left out of the runs') : 'not set'}`);
  console.log(`${'what'.padEnd(20)} ${'wall ms'.padStart(9)} ${'min ms'.padStart(8)} ${'vs lxc-ls'.padStart(10)} ${'min vs'.padStart(7)} ${'peak MiB'.padStart(9)} ${'vs lxc-ls'.padStart(10)}`);
  for (const r of rows)
    console.log(`${r.label.padEnd(20)} ${r.ms.toFixed(1).padStart(9)} ${r.min.toFixed(1).padStart(8)} ${`${(r.ms / ref.ms).toFixed(2)}x`.padStart(10)} ${`${(r.min / ref.min).toFixed(2)}x`.padStart(7)} ${r.mib.toFixed(1).padStart(9)} ${`${(r.mib / ref.mib).toFixed(2)}x`.padStart(10)}`);
}

/** An empty lxcpath of its own, removed again by cleanup(). */
function emptyLxcpath() {
  const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-'));
  return { lxcpath, names: [], cleanup: () => rmSync(lxcpath, { recursive: true, force: true }) };
}

console.error(`lxdeck entry point: ${bin}`);
if (argValue('--lxcpath', null)) {
  const { lxcpath, names } = makeFleet(0);
  print(names.length, measure(lxcpath, names.length));
} else {
  for (const n of sizes) {
    // 0: an empty lxcpath (start-up and the "no containers" answer alone)
    const { lxcpath, names, cleanup } = n === 0 ? emptyLxcpath() : makeFleet(n, `lsbench${n}x`);
    try {
      print(names.length, measure(lxcpath, names.length));
    } finally {
      cleanup();
    }
  }
}
