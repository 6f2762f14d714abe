#!/usr/bin/env node
// Restart: `lxdeck restart` (a clean stop and a start since branch trialfix3, so the container
// gets its saved config) against LXC's own `lxc-stop -r` + `lxc-wait -s RUNNING` (a reboot with
// the config of the first start) and against `lxc-stop` + `lxc-start -d` + `lxc-wait` (the same
// steps as lxdeck's, by hand), one running busybox container each (lxc-create -t busybox, no
// network), the methods interleaved round by round. `--also DIST` adds another build's
// `lxdeck restart` (e.g. main's, which ran lxc-stop -r) on a fourth container.
// Wall time of the whole command (node start included for lxdeck); figures side by side, not assertions.
//
//   npm run build && sudo node bench/restart.mjs [--rounds 7] [--also /work/main/dist]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIST, argValue, makeFleet, median, requireDist } from './lib.mjs';

requireDist();
const rounds = Number(argValue('--rounds', '7'));
const also = argValue('--also', null);
const { lxcpath, names, cleanup } = makeFleet(also ? 4 : 3, 'rst');
const state = mkdtempSync(join(tmpdir(), 'lxdeck-bench-rst-state-'));
process.once('exit', () => rmSync(state, { recursive: true, force: true }));
const env = { ...process.env, LXDECK_LXCPATH: lxcpath, LXDECK_STATE_DIR: state, LXDECK_LOG: join(state, 'actions.log') };
const run = (file, args) => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, env });
const lxc = (tool, n, ...a) => run(tool, ['-P', lxcpath, '-n', n, ...a]);
const timed = (fn) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

const methods = [
  { label: 'lxc-stop -r + lxc-wait RUNNING (LXC reboot)', n: names[0], fn: (n) => (lxc('lxc-stop', n, '-r', '-t', '30'), lxc('lxc-wait', n, '-s', 'RUNNING', '-t', '30')) },
  { label: 'lxc-stop + lxc-start -d + lxc-wait (by hand)', n: names[1], fn: (n) => (lxc('lxc-stop', n, '-t', '30'), lxc('lxc-start', n, '-d'), lxc('lxc-wait', n, '-s', 'RUNNING', '-t', '30')) },
  { label: `lxdeck restart (${DIST})`, n: names[2], fn: (n) => run(process.execPath, [join(DIST, 'src/cli.cjs'), 'restart', n]) },
  ...(also ? [{ label: `lxdeck restart (${also})`, n: names[3], fn: (n) => run(process.execPath, [join(also, 'src/cli.cjs'), 'restart', n]) }] : []),
];
const times = methods.map(() => []);
for (let i = 0; i < rounds; i++) {
  for (let m = 0; m < methods.length; m++) times[m].push(timed(() => methods[m].fn(methods[m].n)));
}
console.log(`restart of a running busybox container, ${rounds} rounds interleaved, load ${execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/.*load average: /, '')}`);
console.log(`${'method'.padEnd(72)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)}`);
for (let m = 0; m < methods.length; m++) console.log(`${methods[m].label.padEnd(72)} ${median(times[m]).toFixed(0).padStart(10)} ${Math.min(...times[m]).toFixed(0).padStart(8)}`);
cleanup();
