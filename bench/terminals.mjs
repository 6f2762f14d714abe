#!/usr/bin/env node
// Shells and consoles over LXD and over SSH (issue 10 leftovers): how long until a shell answers,
// lxdeck's way against the tools' own, side by side. Two figures per case, medians of interleaved
// rounds: "prompt" = from the request to the shell's first prompt (a console shows nothing until a
// key: Enter every 150 ms until the prompt comes, so its figure has that granularity); "echo" = from a typed
// `echo m-$((1+1))` to its output (a round trip through the pty and the transport).
//
//  - over LXD (a daemon of the benchmark's own, test/helpers/lxd-host.mjs, one busybox instance
//    with a shell on its console): the shell pane's pty (LxdBackend.attachPty, in the process that
//    runs the console) against `lxc exec NAME -- /bin/sh` on a pty; the console
//    (`lxdeck --backend lxd console NAME`, a new process) against `lxc console NAME`, both on a pty.
//  - over SSH (this host through an sshd of its own on loopback, bench/lib.mjs makeRemote, one
//    running busybox container): the shell pane's pty (RemoteLxcBackend.attachPty: the first on a
//    new connection, then on the open one, as the console keeps it) against
//    `ssh -tt HOST lxc-attach ... -- /bin/sh` (a new connection each); and the local pane's
//    `lxc-attach` on a pty for reference.
//
//   npm run build && sudo flock /tmp/lxdeck-heavy.lock node bench/terminals.mjs [--rounds 7]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { argValue, DIST, makeFleet, makeRemote, median, requireDist } from './lib.mjs';

requireDist();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const rounds = Number(argValue('--rounds', '7'));
const { spawnPty } = await import(join(DIST, 'core', 'exec', 'pty.js'));
const { LxdBackend } = await import(join(DIST, 'core', 'lxd', 'backend.js'));
const { RemoteLxcBackend } = await import(join(DIST, 'core', 'remote', 'backend.js'));
const { startTestLxd, importBusyboxImage, lxdAvailable } = await import('../test/helpers/lxd-host.mjs');

const PROMPT = /# (\x1b\[6n)?$/;

/** Waits until `get()` matches `re` (or `ms` pass). */
async function waitOut(get, re, what, ms = 20_000) {
  const end = Date.now() + ms;
  while (!re.test(get())) {
    if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(get().slice(-300))}`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * One measured session on a PtyChild made by `open` (the clock starts before it): prompt (or, with
 * `kick`, the first answer to Enter: a console shows nothing until a key), then an echo round trip,
 * then `leave` and the end.
 */
async function session(open, { kick = false, leave = (c) => c.end(3000) } = {}) {
  let out = '';
  const t0 = performance.now();
  const child = await open();
  child.onData((d) => (out += d));
  if (kick) {
    // a console shows nothing until a key: Enter until the prompt comes
    for (let i = 0; !PROMPT.test(out); i++) {
      child.write('\r');
      try {
        await waitOut(() => out, PROMPT, 'console prompt', 150);
      } catch (e) {
        if (i > 60) throw e;
      }
    }
  } else await waitOut(() => out, PROMPT, 'prompt');
  const prompt = performance.now() - t0;
  const before = out.length;
  const t1 = performance.now();
  child.write('echo m-$((1+1))\r');
  await waitOut(() => out.slice(before), /m-2\r*\n/, 'echo');
  const echo = performance.now() - t1;
  await leave(child);
  return { prompt, echo };
}

/** A command on a pty of this host, as a PtyChild. */
const onPty = (argv, env = {}) => () => spawnPty(argv, { cols: 80, rows: 24, env: { ...process.env, TERM: 'xterm-256color', ...env } });

/** A backend's attachPty as `open` for session(): resolves with the PtyChild once it runs. */
const paneOf = (backend, name) => () =>
  new Promise((resolve, reject) => {
    backend.attachPty(name, { cols: 80, rows: 24, onStart: resolve }).catch(reject);
  });

const results = {};
async function measure(cases) {
  for (const k of Object.keys(cases)) results[k] ??= { prompt: [], echo: [] };
  for (let r = 0; r < rounds; r++)
    for (const [k, f] of Object.entries(cases)) {
      if (r === 0) console.error(`round 1: ${k}`);
      // one session never takes the benchmark down with it: 30 s at most
      let timer;
      const x = await Promise.race([f(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${k}: no result within 30 s`)), 30_000)))]);
      clearTimeout(timer);
      results[k].prompt.push(x.prompt);
      results[k].echo.push(x.echo);
    }
}

// ---- over LXD
const lxdOk = lxdAvailable();
if (!lxdOk.ok) console.error(`skipping LXD: ${lxdOk.reason}`);
else {
  const lxd = await startTestLxd(`lxdbt${process.pid % 10000}`);
  // a benchmark stopped midway (Ctrl+C, timeout) still removes the daemon and all it made
  const stop = () => void lxd.cleanup().finally(() => process.exit(130));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, stop);
  try {
    await importBusyboxImage(lxd, 'bb');
    await lxd.lxc(['init', 'bb', 'bt']);
    writeFileSync(join(lxd.dir, 'inittab'), ['::sysinit:/sbin/ip link set lo up', '::respawn:/bin/sh', ''].join('\n'));
    await lxd.lxc(['file', 'push', join(lxd.dir, 'inittab'), 'bt/etc/inittab']);
    await lxd.lxc(['start', 'bt']);
    const b = new LxdBackend({ socketPath: lxd.socket });
    const env = { LXD_DIR: lxd.lxdDir };
    const leaveConsole = async (c) => {
      c.write('\x01');
      await new Promise((r) => setTimeout(r, 50));
      c.write('q');
      const left = await Promise.race([c.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
      if (!left) {
        console.error(`${c.argv.slice(0, 3).join(' ')}: Ctrl+a q did not end the console within 3 s; ended with SIGTERM`);
        await c.end(2000);
      }
      // the next console may start only once LXD let this one go (LXC has one console peer)
      await new Promise((r) => setTimeout(r, 300));
    };
    await measure({
      'LXD shell: lxdeck pane (attachPty)': () => session(paneOf(b, 'bt')),
      'LXD shell: lxc exec NAME -- /bin/sh': () => session(onPty(['lxc', 'exec', 'bt', '--', '/bin/sh'], env)),
      'LXD console: lxdeck console NAME': () => session(onPty([process.execPath, cli, 'console', 'bt'], { ...env, LXDECK_BACKEND: 'lxd', LXDECK_LOG: join(lxd.dir, 'actions.log') }), { kick: true, leave: leaveConsole }),
      'LXD console: lxc console NAME': () => session(onPty(['lxc', 'console', 'bt'], env), { kick: true, leave: leaveConsole }),
    });
  } finally {
    await lxd.cleanup();
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(sig, stop);
  }
}

// ---- over SSH
{
  const { lxcpath, names, cleanup } = makeFleet(1, 'bt');
  const remote = await makeRemote(lxcpath);
  try {
    const attach = ['lxc-attach', '-P', lxcpath, '-n', names[0], '--clear-env', '--keep-var', 'TERM', '--', '/bin/sh'];
    let cold = null;
    await measure({
      'SSH shell: lxdeck pane, new connection': async () => {
        const b = new RemoteLxcBackend(remote.target);
        try {
          return await session(paneOf(b, names[0]));
        } finally {
          b.close();
        }
      },
      'SSH shell: lxdeck pane, open connection': async () => {
        cold ??= new RemoteLxcBackend(remote.target);
        await cold.list(); // connected before the clock starts, as in a running console
        return session(paneOf(cold, names[0]));
      },
      'SSH shell: ssh -tt HOST lxc-attach': () => session(onPty(['ssh', '-tt', ...remote.sshArgs, ...attach])),
      'local shell: lxc-attach (the local pane)': () => session(onPty(attach)),
    });
    cold?.close();
  } finally {
    remote.cleanup();
    cleanup();
  }
}

console.log(`\n${rounds} rounds each (median, interleaved), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`${'case'.padEnd(44)} ${'prompt'.padStart(10)} ${'echo'.padStart(10)}`);
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(44)} ${median(v.prompt).toFixed(1).padStart(7)} ms ${median(v.echo).toFixed(1).padStart(7)} ms`);
