#!/usr/bin/env node
// The console with many containers: 50 and then 500 light running busybox containers
// (lxc.net.0.type = empty, overlay clones of one: bench/lib.mjs makeFleet), the console in a
// real terminal (tmux, 80x24). Figures side by side, not assertions. Targets (issue 12): frame
// time at most 16 ms, work that grows with the visible rows and not with N, CPU at 1 Hz at most
// lxc-top -d 1's on the same containers, RSS at most 120 MB with 500.
//
//   npm run build && sudo flock /tmp/lxdeck-heavy.lock node bench/console-500.mjs
//     [--sizes 50,500] [--seconds 30] [--warmup 8] [--keys 120] [--tall 80x48] [--settle 30]
//   --lxcpath DIR   measure the containers already running in DIR instead (one size)
//   --also LABEL=DIST  another build (its dist/, with the frame log): its console runs beside this
//                      build's during the idle phase (CPU and RSS at the same load), then is scrolled the same way
//
// Each size: lxc-top -P DIR -d 1 and the console (LXDECK_FRAME_LOG=FILE: one line per frame with
// its render time measured inside the process, src/console/frame-log.ts), each in its own tmux
// session, at once. After --warmup s: CPU time (utime+stime of each process tree, /proc/PID/stat)
// over --seconds s at 1 Hz and the console's RSS every second (VmRSS; VmHWM the peak). Then
// --keys presses of Down, 10 a second (each moves the selection: a frame each, scrolling through
// the whole list), and the same again in a taller terminal (--tall) to see the frame time follow
// the rows on screen. Frame times: median, 95th percentile and max of the frames in each phase
// (wall time), Ink's share, and the process's CPU time per frame (what the load cannot inflate).
//
// Starting 500 containers takes minutes, about 3000 processes and 1500 ptys: the host's free
// memory, pid and pty room are checked first. Everything is removed at the end, also on Ctrl+C.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, argValue, makeFleet, median, requireDist, treeCpuSeconds } from './lib.mjs';

requireDist();
const sizes = argValue('--sizes', '50,500').split(',').map(Number);
const seconds = Number(argValue('--seconds', '30'));
const warmup = Number(argValue('--warmup', '8'));
const keys = Number(argValue('--keys', '120'));
const tall = argValue('--tall', '80x48');
// seconds of idle after the keys before the consoles' RSS is read again
const settle = Number(argValue('--settle', '30'));
// the package's bin run as a command, as `lxdeck` runs (its #! line gives Node its flags); an
// older build without it: node dist/src/cli.js
const bin = existsSync(join(DIST, 'src', 'cli.cjs')) ? [join(DIST, 'src', 'cli.cjs')] : ['node', join(DIST, 'src', 'cli.js')];
const tag = `lxd500b${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'lxdeck-c500-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const sessions = [];
const tmux = (...args) => String(execFileSync('tmux', args, { stdio: ['ignore', 'pipe', 'pipe'] }) ?? '').trim();
const stopSessions = () => {
  for (const s of sessions.splice(0)) spawnSync('tmux', ['kill-session', '-t', s], { stdio: 'ignore' });
};
process.once('exit', () => {
  stopSessions();
  rmSync(work, { recursive: true, force: true });
});

/** Refuses to start when the host cannot hold `n` more containers (about 6 processes and 4 MiB each, measured). */
function checkRoom(n) {
  const mem = readFileSync('/proc/meminfo', 'utf8');
  const availMiB = Number(/MemAvailable:\s+(\d+)/.exec(mem)[1]) / 1024;
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const tasks = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[1]);
  const needMiB = n * 4 + 1024;
  const needPids = n * 8 + 1000;
  // each container: its console and one tty (lxc.tty.max = 1), plus a pty or two LXC opens, from the host's devpts
  const sys = (k) => Number(readFileSync(`/proc/sys/kernel/pty/${k}`, 'utf8'));
  const ptys = sys('max') - sys('reserve') - sys('nr');
  const needPtys = n * 4;
  if (availMiB < needMiB || pidMax - tasks < needPids || ptys < needPtys) {
    console.error(`not enough room for ${n} containers: ${availMiB.toFixed(0)} MiB available (need ${needMiB}), ${pidMax - tasks} pids free (need ${needPids}), ${ptys} ptys free (need ${needPtys})`);
    process.exit(2);
  }
}

function launch(label, geometry, argv, env = []) {
  const [x, y] = geometry.split('x');
  const s = `${tag}-${sessions.length}`;
  sessions.push(s);
  const pid = Number(tmux('new-session', '-d', '-s', s, '-x', x, '-y', y, '-P', '-F', '#{pane_pid}', '--', 'env', '-u', 'CI', '-u', 'NODE_EXTRA_CA_CERTS', 'TERM=xterm-256color', ...env, ...argv));
  return { label, session: s, pid };
}

const status = (pid, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const frames = (file, from, to) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map(Number))
    .filter(([t]) => t >= from && t <= to)
    .map(([, frame, ink, , cpu]) => ({ frame, ink, cpu }));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const fmt = (x, w) => (Number.isFinite(x) ? x.toFixed(2) : '-').padStart(w);
const frameRow = (label, fs) =>
  `${label.padEnd(26)} ${String(fs.length).padStart(6)} ${fmt(median(fs.map((f) => f.frame)), 8)} ${fmt(pct(fs.map((f) => f.frame), 95), 8)} ${fmt(Math.max(...fs.map((f) => f.frame)), 8)} ${fmt(median(fs.map((f) => f.ink)), 8)} ${fmt(median(fs.map((f) => f.cpu)), 8)} ${fmt(pct(fs.map((f) => f.cpu), 95), 8)}`;

/** presses Down `n` times, 10 a second, in the console's session; returns [start, end] in ms since the epoch */
async function pressDown(session, n) {
  const from = Date.now();
  for (let i = 0; i < n; i++) {
    tmux('send-keys', '-t', session, 'Down');
    await sleep(100);
  }
  await sleep(500);
  return [from, Date.now()];
}

/** --also LABEL=DIST: other builds, their consoles measured in the same run (`node DIST/src/cli.js`) */
const alsoBuilds = process.argv.flatMap((a, i) => (a === '--also' ? [process.argv[i + 1].split(/=(.*)/s)] : []));

async function measure(lxcpath, n) {
  const log = join(work, `frames-${n}.log`);
  // every console at once during the idle minute (the same load for each): lxc-top, this build,
  // and each --also build; then the key presses in each console's session, one after the other
  const procs = [
    launch('lxc-top -d 1', '80x24', ['lxc-top', '-P', lxcpath, '-d', '1']),
    launch('lxdeck console', '80x24', [...bin, '--lxcpath', lxcpath], [`LXDECK_FRAME_LOG=${log}`]),
    ...alsoBuilds.map(([label, dist], i) =>
      launch(`lxdeck console (${label})`, '80x24', ['node', join(dist, 'src', 'cli.js'), '--lxcpath', lxcpath], [`LXDECK_FRAME_LOG=${join(work, `frames-${n}-${i}.log`)}`]),
    ),
  ];
  const [, con] = procs;
  const consoles = procs.slice(1);
  await sleep(warmup * 1000);
  // a fleet made here: every container running; --lxcpath: what is there (some may be stopped)
  const want = argValue('--lxcpath', null) ? `${n} containers, \\d+ running` : `${n} containers, ${n} running`;
  for (const c of consoles) {
    const screen = tmux('capture-pane', '-p', '-t', c.session).split('\n');
    if (!new RegExp(`\\b${want}`).test(screen[0] ?? '')) throw new Error(`${c.label} does not show ${want} after ${warmup} s: ${screen[0]}`);
  }
  const t0 = Date.now();
  const c0 = procs.map((p) => treeCpuSeconds(p.pid));
  const rss = consoles.map(() => []);
  const loads = [];
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    consoles.forEach((c, i) => rss[i].push(status(c.pid, 'VmRSS')));
    if (s % 10 === 0) loads.push(loadavg()[0]);
  }
  const c1 = procs.map((p) => treeCpuSeconds(p.pid));
  const t1 = Date.now();
  const cpu = procs.map((_, i) => c1[i] - c0[i]);
  const idle = frames(log, t0, t1);
  const keyedAll = [];
  const hwm = [];
  for (const [i, c] of consoles.entries()) {
    const [k0, k1] = await pressDown(c.session, keys);
    keyedAll.push(frames(i === 0 ? log : join(work, `frames-${n}-${i - 1}.log`), k0, k1));
    hwm.push(status(c.pid, 'VmHWM'));
  }
  const keyed = keyedAll[0];
  const rssEnd = status(con.pid, 'VmRSS');
  // idle again after the keys: what each console gives back
  await sleep(settle * 1000);
  const rssSettled = consoles.map((c) => status(c.pid, 'VmRSS'));
  stopSessions();
  // the same key presses in a taller terminal: more rows on screen
  const tallLog = join(work, `frames-${n}-tall.log`);
  const tcon = launch('lxdeck console (tall)', tall, [...bin, '--lxcpath', lxcpath], [`LXDECK_FRAME_LOG=${tallLog}`]);
  await sleep(warmup * 1000);
  const [q0, q1] = await pressDown(tcon.session, keys);
  const tallKeyed = frames(tallLog, q0, q1);
  stopSessions();

  console.log(`\n${n} containers, load average ${load()} (1-minute load every 10 s of the idle phase: ${loads.map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`CPU over ${seconds} s at 1 Hz after a ${warmup} s warm-up, all at once:`);
  console.log(`  lxc-top -d 1        ${cpu[0].toFixed(2).padStart(6)} s = ${((cpu[0] / seconds) * 100).toFixed(2)}% of one core`);
  const mb = (mib) => ((mib * 1048576) / 1e6).toFixed(1);
  for (const [i, c] of consoles.entries()) {
    const x = cpu[i + 1];
    const r = rss[i];
    console.log(`  ${c.label.padEnd(26)} ${x.toFixed(2).padStart(6)} s = ${((x / seconds) * 100).toFixed(2)}% of one core (${(x / cpu[0]).toFixed(2)}x lxc-top); RSS median ${median(r).toFixed(1)} MiB = ${mb(median(r))} MB, min ${Math.min(...r).toFixed(1)}, max ${Math.max(...r).toFixed(1)} MiB; peak after the keys (VmHWM) ${hwm[i].toFixed(1)} MiB = ${mb(hwm[i])} MB`);
  }
  console.log(`  (target: RSS at most 120 MB = 114.4 MiB; ${consoles[0].label} ${rssEnd.toFixed(1)} MiB after its keys)`);
  console.log(`  RSS ${settle} s after the last keys: ${consoles.map((c, i) => `${c.label} ${rssSettled[i].toFixed(1)} MiB = ${mb(rssSettled[i])} MB`).join(', ')}`);
  console.log(`${'frames (ms)'.padEnd(26)} ${'count'.padStart(6)} ${'median'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)} ${'ink med'.padStart(8)} ${'cpu med'.padStart(8)} ${'cpu p95'.padStart(8)}`);
  console.log(frameRow('1 Hz, no keys, 80x24', idle));
  console.log(frameRow(`Down x${keys}, 80x24`, keyed));
  console.log(frameRow(`Down x${keys}, ${tall}`, tallKeyed));
  for (const [i, [label]] of alsoBuilds.entries()) console.log(frameRow(`Down x${keys}, 80x24, ${label}`, keyedAll[i + 1]));
  return { n, cpu, rss: median(rss[0]), hwm: hwm[0], idle, keyed, tallKeyed };
}

if (argValue('--lxcpath', null)) {
  const { lxcpath, names } = makeFleet(0);
  await measure(lxcpath, names.length);
} else {
  for (const n of sizes) {
    checkRoom(n);
    const { lxcpath, cleanup } = makeFleet(n, `c${n}x`, { overlay: true });
    try {
      await measure(lxcpath, n);
    } finally {
      stopSessions();
      const t = Date.now();
      cleanup();
      console.error(`fleet of ${n} removed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  }
}
