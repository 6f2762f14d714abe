#!/usr/bin/env node
// Time from exec to the console's first frame in a real terminal (tmux, 80x24), beside an Ink
// hello-world on the same terminal. Figures, not assertions. Target: the first frame within 300 ms.
//
//   npm run build && sudo node bench/console-first-frame.mjs [--rounds 11] [--lxcpath DIR]
//   --lxcpath DIR     the console on the containers in DIR (default: an empty lxcpath)
//   --containers N    the console on N running busybox containers made for the run (bench/lib.mjs, needs root)
//   LXDECK_BIN=FILE   the lxdeck entry point to run (default: package.json's bin)
//   --also LABEL=FILE another lxdeck entry point measured in the same rounds (e.g. an older build)
//   --keep-env        keep NODE_EXTRA_CA_CERTS in the runs' environment
//   --rss MS          also each program's resident memory (VmRSS) MS ms after its frame (and the
//                     filled list): the console idle on the lxcpath, beside the hello-world
//
// How: a private tmux server with a control-mode client (`tmux -C`), which is told every byte
// a pane writes (`%output`) as it happens. Each run opens a new 80x24 window whose shell writes
// the time (date +%s%N) and then execs the program; the frame time is when the pane's output
// first holds the frame's last line (the console's key hints, "q quit"; the hello-world's text).
// "list filled" is when the console's title first shows the container count (rows in place).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { argValue, makeFleet, median } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(process.env.LXDECK_BIN ?? join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.lxdeck));
const rounds = Number(argValue('--rounds', '11'));
const rssAfter = Number(argValue('--rss', '0'));
const work = mkdtempSync(join(tmpdir(), 'lxdeck-ff-'));
const fleetSize = Number(argValue('--containers', '0'));
const fleet = fleetSize > 0 || argValue('--lxcpath', null) ? makeFleet(fleetSize, 'ffbench') : null;
const lxcpath = fleet?.lxcpath ?? join(work, 'lxcpath');
if (!existsSync(lxcpath)) spawnSync('mkdir', ['-p', lxcpath]);
const sock = `lxdeck-ff-${process.pid}`;

// the hello-world: Ink's smallest app, resolved from this project's node_modules
const hello = join(root, 'bench', `.hello-ink-${process.pid}.mjs`);
writeFileSync(hello, "import React from 'react';\nimport { render, Text } from 'ink';\nrender(React.createElement(Text, null, 'Hello, world'));\n");

const tmux = (...args) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
let socketPath = null; // the private server's socket: tmux leaves the file behind after kill-server
const cleanup = () => {
  tmux('kill-server');
  if (socketPath) rmSync(socketPath, { force: true });
  fleet?.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(hello, { force: true });
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => { cleanup(); process.exit(130); });
process.once('exit', cleanup);

const r0 = tmux('new-session', '-d', '-s', 'ff', '-x', '80', '-y', '24');
if (r0.status !== 0) throw new Error(`tmux: ${r0.stderr}`);
socketPath = tmux('display-message', '-p', '#{socket_path}').stdout.trim() || null;
const ctl = spawn('tmux', ['-L', sock, '-C', 'attach', '-t', 'ff'], { stdio: ['pipe', 'pipe', 'ignore'] });

/** %output data is the pane's bytes with those below 32 and the backslash as \ooo */
const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
const panes = new Map(); // pane id -> { text, waiters }
let attached;
const ready = new Promise((r) => (attached = r)); // the attach's own %begin..%end block came
let pending = null; // resolves with the body of the next %begin..%end block
let block = null;
let buf = '';
ctl.stdout.setEncoding('utf8');
ctl.stdout.on('data', (chunk) => {
  const now = performance.timeOrigin + performance.now();
  if (process.env.FF_DEBUG) process.stderr.write(chunk);
  buf += chunk;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (line.startsWith('%begin')) block = [];
    else if (line.startsWith('%end') || line.startsWith('%error')) {
      attached();
      const p = pending;
      pending = null;
      const b = block;
      block = null;
      p?.(b ?? []);
    } else if (block) block.push(line);
    else if (line.startsWith('%output ')) {
      const sp = line.indexOf(' ', 8);
      const id = line.slice(8, sp);
      const pane = panes.get(id) ?? { text: '', marks: {} };
      panes.set(id, pane);
      pane.text += unescape(line.slice(sp + 1));
      const plain = pane.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''); // colours and cursor moves out
      for (const [k, re] of Object.entries(markers)) if (pane.marks[k] === undefined && re.test(plain)) pane.marks[k] = now;
    }
  }
});
const markers = { frame: /q quit|Hello, world/, filled: /\b\d+ containers?, \d+ running/ };
const command = (cmd) =>
  new Promise((res) => {
    pending = res;
    ctl.stdin.write(`${cmd}\n`);
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/** one run of argv in a new 80x24 window: ms from exec to the first frame (and to the filled list) */
async function once(label, argv, env) {
  const stamp = join(work, `start-${Math.random().toString(36).slice(2)}`);
  const sh = `date +%s%N > ${q(stamp)}; exec env ${env.map(q).join(' ')} ${argv.map(q).join(' ')}`;
  const out = await command(`new-window -d -t ff -P -F '#{pane_id} #{pane_width}x#{pane_height} #{pane_pid}' ${q(`sh -c ${q(sh)}`)}`);
  const [id, size, pid] = (out[0] ?? '').split(' ');
  if (size !== '80x24') throw new Error(`${label}: the window is ${size}, not 80x24 (${out.join(' ')})`);
  const t0 = performance.now();
  while (performance.now() - t0 < 10_000) {
    const p = panes.get(id);
    if (p?.marks.frame !== undefined && (!label.startsWith('lxdeck') || p.marks.filled !== undefined)) break;
    await sleep(5);
  }
  const p = panes.get(id);
  const start = Number(readFileSync(stamp, 'utf8').trim()) / 1e6;
  // the pane's shell exec'd env, which exec'd the program: the same pid is Node's now
  let rss = null;
  if (rssAfter > 0 && p?.marks.frame !== undefined) {
    await sleep(rssAfter);
    try {
      rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
    } catch {
      /* gone */
    }
  }
  await command(`kill-window -t ${id}`);
  if (p?.marks.frame === undefined) throw new Error(`${label}: no frame in 10 s; the pane showed: ${JSON.stringify((p?.text ?? '').slice(-300))}`);
  return { frame: p.marks.frame - start, filled: p.marks.filled === undefined ? null : p.marks.filled - start, rss };
}

try {
  await ready;
  await command('refresh-client -C 80x24');
  // NODE_EXTRA_CA_CERTS: Node 20 parses that CA file at start-up (about 70 ms here), a setting of the
  // session running the benchmark, not of lxdeck: left out of every run unless --keep-env
  const keepEnv = process.argv.includes('--keep-env');
  const envBase = ['-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', ...(keepEnv ? [] : ['-u', 'NODE_EXTRA_CA_CERTS']), 'TERM=xterm-256color'];
  const runs = [
    // the bin run as a command, as `lxdeck` runs (its #! line gives Node its flags)
    ['lxdeck console', [bin, '--lxcpath', lxcpath], envBase],
    ['Ink hello-world', [process.execPath, hello], [...envBase, 'NODE_ENV=production']],
  ];
  process.argv.forEach((a, i) => {
    if (a !== '--also') return;
    const [label, file] = process.argv[i + 1].split(/=(.*)/s);
    runs.push([`lxdeck ${label}`, [process.execPath, resolve(file), '--lxcpath', lxcpath], envBase]);
  });
  await once('warm-up', runs[1][1], runs[1][2]);
  const res = runs.map(() => []);
  // each round starts one further along the list: no program is always the one timed first
  // (the first of a round measured slower on this host whatever it was)
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < runs.length; k++) {
      const i = (k + r) % runs.length;
      const [label, argv, env] = runs[i];
      res[i].push(await once(label, argv, env));
    }
  const n = readFileSync('/proc/loadavg', 'utf8').trim();
  console.log(`\nexec to first frame, tmux 80x24, median of ${rounds} (min); lxcpath ${lxcpath}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${n}); NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? (keepEnv ? 'set and kept' : 'set here, left out of the runs') : 'not set'}`);
  console.log(`${'what'.padEnd(18)} ${'first frame ms'.padStart(15)} ${'min'.padStart(7)} ${'list filled ms'.padStart(15)}${rssAfter > 0 ? `  RSS after ${rssAfter} ms, MiB: median (min-max)` : ''}`);
  for (const [i, [label]] of runs.entries()) {
    const f = res[i].map((x) => x.frame);
    const l = res[i].map((x) => x.filled).filter((x) => x !== null);
    const m = res[i].map((x) => x.rss).filter((x) => x !== null);
    const rssText = m.length ? `  ${median(m).toFixed(1)} (${Math.min(...m).toFixed(1)}-${Math.max(...m).toFixed(1)})` : '';
    console.log(`${label.padEnd(18)} ${median(f).toFixed(1).padStart(15)} ${Math.min(...f).toFixed(1).padStart(7)} ${(l.length ? median(l).toFixed(1) : '-').padStart(15)}${rssText}`);
  }
} finally {
  ctl.stdin.end();
  cleanup();
}
