#!/usr/bin/env node
// CPU of the console's shell pane (issue 11), side by side with LXC's own `lxc-attach` in a
// terminal (the full hand-over: tmux is then the terminal emulator). Each runs in a tmux server of
// its own (its own socket), 120x40, against the same running busybox container:
//   A  `lxc-attach -P DIR -n NAME --clear-env --keep-var TERM -- /bin/sh`   (what `a` hands over to)
//   B  `lxdeck` (the console) with the shell pane open on NAME (`x`)
//   C  `lxdeck` (the console) with no pane, for the idle figure
// Idle: CPU time of each process tree (and of each tmux server, which draws what it gets) over
// --seconds, all at once, after a warm-up. Streaming: `yes | head -n LINES; echo MARK` typed into A,
// then B, one after the other (--rounds times each, the median): the CPU used from Enter until MARK
// shows on the tmux screen, and that wall time. The processes inside the container (the shell, yes,
// head) are left out of every tree: they are the workload, the same in A and B.
// Figures, not assertions.
//
//   npm run build && sudo node bench/pane-cpu.mjs [--containers 10] [--seconds 20] [--warmup 8] [--lines 100000] [--rounds 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { DIST, argValue, cpuSeconds, makeFleet, median, requireDist } from './lib.mjs';

requireDist();
const count = Number(argValue('--containers', '10'));
const seconds = Number(argValue('--seconds', '20'));
const warmup = Number(argValue('--warmup', '8'));
const lines = Number(argValue('--lines', '100000'));
const rounds = Number(argValue('--rounds', '3'));
const cli = join(DIST, 'src', 'cli.js');
const tag = `lxpb${process.pid}`;

// container names are host-wide in cgroupfs (lxc.payload.NAME): a prefix of this run's own
const { lxcpath, names, cleanup } = makeFleet(count, `pb${process.pid}x`);
const target = names[0];
const sockets = [];
const tmux = (sock, ...args) => String(execFileSync('tmux', ['-L', sock, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) ?? '').trim();
const stopAll = () => {
  for (const s of sockets) spawnSync('tmux', ['-L', s, 'kill-server'], { stdio: 'ignore' });
};
process.once('exit', stopAll);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** True when PID runs in a container's cgroup (lxc.payload.*): the workload, not the tool. */
function inContainer(pid) {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes('/lxc.payload.');
  } catch {
    return false;
  }
}

/** utime+stime (+ reaped children's) of PID and its live descendants outside containers, seconds */
function toolCpu(pid) {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    if (inContainer(p)) continue;
    try {
      total += cpuSeconds(p);
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) stack.push(Number(t));
    } catch {
      /* gone */
    }
  }
  return total;
}

function launch(label, argv) {
  const sock = `${tag}-${sockets.length}`;
  sockets.push(sock);
  const env = ['env', `PATH=${process.env.PATH}`, 'TERM=xterm-256color', 'LANG=C.UTF-8', `LXDECK_LXCPATH=${lxcpath}`, 'LXDECK_LOG=/dev/null'];
  const pid = Number(tmux(sock, 'new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', '-P', '-F', '#{pane_pid}', '--', ...env, ...argv));
  const server = Number(tmux(sock, 'display-message', '-p', '-t', 'main', '#{pid}'));
  return { label, sock, pid, server };
}

const screen = (p) => tmux(p.sock, 'capture-pane', '-p', '-t', 'main');
async function waitScreen(p, ok, what, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen(p);
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`${p.label}: timed out waiting for ${what}:\n${s}`);
    await sleep(20);
  }
}

try {
  const A = launch('lxc-attach in tmux (hand-over)', ['lxc-attach', '-P', lxcpath, '-n', target, '--clear-env', '--keep-var', 'TERM', '--', '/bin/sh']);
  const B = launch('lxdeck console, shell pane open', ['node', cli]);
  const C = launch('lxdeck console, no pane', ['node', cli]);
  await waitScreen(A, (s) => /# $/m.test(s) || /#\s*$/.test(s.trimEnd()), 'the prompt');
  await waitScreen(B, (s) => s.includes(target) && /RUNNING/.test(s), 'the list');
  await waitScreen(C, (s) => s.includes(target) && /RUNNING/.test(s), 'the list');
  tmux(B.sock, 'send-keys', '-t', 'main', 'x');
  await waitScreen(B, (s) => s.includes(`shell in ${target}`) && /# *$/m.test(s), 'the pane prompt');
  await sleep(warmup * 1000);

  // ---- idle, all three at once
  const procs = [A, B, C];
  const t0 = procs.map((p) => [toolCpu(p.pid), cpuSeconds(p.server)]);
  await sleep(seconds * 1000);
  const t1 = procs.map((p) => [toolCpu(p.pid), cpuSeconds(p.server)]);
  const load1 = loadavg()[0];
  console.log(`\n${names.length} running containers; idle for ${seconds} s after a ${warmup} s warm-up (load average ${load1.toFixed(2)})`);
  console.log(`${'what'.padEnd(36)} ${'tool CPU'.padStart(9)} ${'of a core'.padStart(9)} ${'tmux CPU'.padStart(9)}`);
  procs.forEach((p, i) => {
    const tool = t1[i][0] - t0[i][0];
    const term = t1[i][1] - t0[i][1];
    console.log(`${p.label.padEnd(36)} ${tool.toFixed(2).padStart(7)} s ${((tool / seconds) * 100).toFixed(2).padStart(8)}% ${term.toFixed(2).padStart(7)} s`);
  });

  // ---- streaming, one at a time
  const results = new Map();
  for (const p of [A, B]) {
    const runs = [];
    for (let r = 0; r < rounds; r++) {
      const mark = `done-${r}-${process.pid}`;
      tmux(p.sock, 'send-keys', '-t', 'main', '-l', 'clear');
      tmux(p.sock, 'send-keys', '-t', 'main', 'Enter');
      await sleep(500);
      const c0 = toolCpu(p.pid);
      const s0 = cpuSeconds(p.server);
      const w0 = process.hrtime.bigint();
      // the mark is built by the shell ($((...))), so the typed line itself never matches it
      tmux(p.sock, 'send-keys', '-t', 'main', '-l', `yes | head -n ${lines}; echo done-$((${r}))-${process.pid}`);
      tmux(p.sock, 'send-keys', '-t', 'main', 'Enter');
      await waitScreen(p, (s) => s.split('\n').some((l) => l.trim() === mark), `the mark after ${lines} lines`, 120_000);
      const wall = Number(process.hrtime.bigint() - w0) / 1e9;
      runs.push({ cpu: toolCpu(p.pid) - c0, term: cpuSeconds(p.server) - s0, wall });
      await sleep(300);
    }
    results.set(p, runs);
  }
  console.log(`\n\`yes | head -n ${lines}\` typed into the shell, ${rounds} rounds each, median (load average ${loadavg()[0].toFixed(2)})`);
  console.log(`${'what'.padEnd(36)} ${'tool CPU'.padStart(9)} ${'tmux CPU'.padStart(9)} ${'wall'.padStart(8)}`);
  for (const [p, runs] of results) {
    const m = (k) => median(runs.map((x) => x[k]));
    console.log(`${p.label.padEnd(36)} ${m('cpu').toFixed(2).padStart(7)} s ${m('term').toFixed(2).padStart(7)} s ${m('wall').toFixed(2).padStart(6)} s   (rounds: ${runs.map((x) => `${x.cpu.toFixed(2)}/${x.wall.toFixed(2)}`).join(', ')} s cpu/wall)`);
  }
  // each screen's first lines, to check it really ran
  console.log('\nlast screen of the pane (B):');
  console.log(screen(B).split('\n').slice(0, 14).join('\n'));
  // leave the pane as a user would, so its lxc-attach ends before the containers go
  tmux(B.sock, 'send-keys', '-t', 'main', 'C-a');
  tmux(B.sock, 'send-keys', '-t', 'main', 'q');
  await waitScreen(B, (s) => s.includes(`left the shell in ${target}`), 'the pane closed', 10_000);
} finally {
  stopAll();
  cleanup();
}
