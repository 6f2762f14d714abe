#!/usr/bin/env node
// CPU time over the same window (default 60 s) at 1 Hz with N running
// containers: `lxc-top -d 1` against lxdeck's `top --interval 1` (the stats
// sampler plus a plain table, redrawn in a terminal), and the console as it
// is (`lxdeck` with no verb), each in its own tmux terminal (lxc-top refuses
// to run without one). CPU time is utime+stime(+cutime+cstime) from
// /proc/PID/stat of each process and its children, read after a warm-up and
// again at the end, so start-up (Node loading ink) is not counted.
// Figures side by side, not assertions. Target: lxdeck's CPU no more than lxc-top's.
//
//   npm run build && sudo node bench/console-cpu-vs-lxc-top.mjs [--containers 50] [--seconds 60] [--lxcpath DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, argValue, makeFleet, requireDist, treeCpuSeconds } from './lib.mjs';

requireDist();
const count = Number(argValue('--containers', '50'));
const seconds = Number(argValue('--seconds', '60'));
const warmup = Number(argValue('--warmup', '8'));
const cli = join(DIST, 'src', 'cli.js');
const tag = `lxdb${process.pid}`;

const { lxcpath, names, cleanup } = makeFleet(count);
const sessions = [];
const tmux = (...args) => String(execFileSync('tmux', args, { stdio: ['ignore', 'pipe', 'pipe'] }) ?? '').trim();
const stopSessions = () => {
  for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s], { stdio: 'ignore' });
};
process.once('exit', stopSessions);

function launch(label, argv) {
  const s = `${tag}-${sessions.length}`;
  sessions.push(s);
  const pid = Number(tmux('new-session', '-d', '-s', s, '-x', '160', '-y', '60', '-P', '-F', '#{pane_pid}', '--', 'env', `LXDECK_LXCPATH=${lxcpath}`, ...argv));
  return { label, session: s, pid, argv };
}

try {
  const procs = [
    launch('lxc-top -d 1', ['lxc-top', '-P', lxcpath, '-d', '1']),
    launch('lxdeck top --interval 1', ['node', cli, '--lxcpath', lxcpath, 'top', '--interval', '1']),
    launch('lxdeck (console, as it is)', ['node', cli, '--lxcpath', lxcpath]),
  ];
  await new Promise((r) => setTimeout(r, warmup * 1000));
  const alive = (p) => spawnSync('kill', ['-0', String(p.pid)]).status === 0;
  const start = procs.map((p) => (alive(p) ? treeCpuSeconds(p.pid) : null));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const end = procs.map((p) => (alive(p) ? treeCpuSeconds(p.pid) : null));
  const screens = procs.map((p) => tmux('capture-pane', '-p', '-t', p.session).split('\n').filter(Boolean).slice(0, 4).join(' | ').slice(0, 150));
  console.log(`\n${names.length} running containers; CPU time over ${seconds} s after a ${warmup} s warm-up, refreshing every 1 s (load average ${(await import('node:os')).loadavg()[0].toFixed(2)})`);
  const top = start[0] !== null && end[0] !== null ? end[0] - start[0] : null;
  procs.forEach((p, i) => {
    const cpu = start[i] !== null && end[i] !== null ? end[i] - start[i] : null;
    const pct = cpu === null ? '   -' : ((cpu / seconds) * 100).toFixed(2).padStart(5);
    const rel = cpu !== null && top ? `  (${(cpu / top).toFixed(2)}x lxc-top)` : '';
    console.log(`${p.label.padEnd(30)} ${cpu === null ? 'not running at the end' : `${cpu.toFixed(2).padStart(6)} s CPU = ${pct}% of one core${rel}`}`);
  });
  console.log('\nfirst lines on each screen (to check each really ran):');
  procs.forEach((p, i) => console.log(`  ${p.label}: ${screens[i]}`));
} finally {
  stopSessions();
  cleanup();
}
