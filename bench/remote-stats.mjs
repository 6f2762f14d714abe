#!/usr/bin/env node
// One stats pass over N running containers on a remote host, through lxdeck's remote backend
// (ONE SSH connection: one long-lived reader there copies the files a pass reads, per tick one
// request on its channel; the figures computed here with the local sampler's code), against the local sampler's pass over
// the same containers, and against `ssh HOST lxc-info -S -H -n NAME` run once per container.
// The remote is this machine through an sshd of its own on loopback (bench/lib.mjs
// makeRemote), so the three read the same containers. Figures side by side, not assertions.
// Targets (issue 10): remote pass <= 3x the local pass, and >= 10x faster than ssh + lxc-info.
//
//   npm run build && sudo flock /tmp/lxdeck-heavy.lock node bench/remote-stats.mjs [--containers 50] [--rounds 15] [--passes-only]
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIST, argValue, makeFleet, makeRemote, median, requireDist } from './lib.mjs';

requireDist();
let count = Number(argValue('--containers', '50'));
const rounds = Number(argValue('--rounds', '15'));
// --passes-only: the local and remote passes alone (no lxc-info loops, which take about a minute)
const passesOnly = process.argv.includes('--passes-only');
const { StatsSampler } = await import(join(DIST, 'core/stats/sampler.js'));
const { ExecaRunner } = await import(join(DIST, 'core/exec/runner.js'));
const { RemoteLxcBackend } = await import(join(DIST, 'core/remote/backend.js'));
const { RemoteStatsSource } = await import(join(DIST, 'core/remote/stats.js'));

const { lxcpath, names, cleanup } = makeFleet(count, 'rs');
count = names.length;
const remote = await makeRemote(lxcpath);
const backend = new RemoteLxcBackend(remote.target);
try {
  const local = new StatsSampler({ lxcpath, runner: new ExecaRunner() });
  const src = backend.sampler();
  // warm both: the connection, each container's init and cgroup paths; the first remote pass
  // starts the reader and walks (timed apart: it is what a change of the container set costs)
  let firstMs = 0;
  for (let i = 0; i < 2; i++) {
    await local.pass();
    const t = performance.now();
    const p = await src.pass();
    if (i === 0) firstMs = performance.now() - t;
    const running = p.containers.filter((c) => c.state === 'RUNNING').length;
    if (running !== count) throw new Error(`the remote pass found ${running} of ${count} containers running`);
  }
  const localMs = [];
  const remoteMs = [];
  const waitMs = [];
  const bytes = [];
  let walks = 0;
  let limitTicks = 0;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await local.pass();
    localMs.push(performance.now() - t);
    t = performance.now();
    await src.pass();
    remoteMs.push(performance.now() - t);
    const lr = src.lastRequest;
    if (lr) {
      waitMs.push(lr.waitMs);
      bytes.push(lr.bytes);
      if (lr.kind === 'walk') walks++;
      if (lr.kind === 'limits') limitTicks++;
    }
  }
  // a tick that also copies the limits, PSI and host totals (every 5 s in a stream)
  const limSrc = new RemoteStatsSource(backend.transport, lxcpath, { limitsEveryMs: 0 });
  const limMs = [];
  let limBytes = 0;
  for (let r = 0; r < rounds + 2; r++) {
    const t = performance.now();
    await limSrc.pass();
    if (r >= 2) limMs.push(performance.now() - t);
    limBytes = limSrc.lastRequest?.bytes ?? 0;
  }
  limSrc.close();
  // what a pass paid before the long-lived reader: an exec channel (sshd starts a session and
  // the login shell) for every command
  const execMs = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    await backend.transport.run(['true']);
    execMs.push(performance.now() - t);
  }
  // lxc-info per container over ONE connection (a channel each), for reference
  const chanMs = [];
  for (let r = 0; r < (passesOnly ? 0 : 2); r++) {
    const t = performance.now();
    for (const n of names) await backend.transport.run(['lxc-info', '-P', lxcpath, '-n', n, '-S', '-H'], { timeoutMs: 30_000 });
    chanMs.push(performance.now() - t);
  }
  // what a script would do: ssh HOST lxc-info -S -H -n NAME, one ssh per container
  const sshMs = [];
  for (let r = 0; r < (passesOnly ? 0 : 2); r++) {
    const t = performance.now();
    for (const n of names) execFileSync('ssh', [...remote.sshArgs, 'lxc-info', '-P', lxcpath, '-S', '-H', '-n', n], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
    sshMs.push(performance.now() - t);
  }
  const loc = median(localMs);
  const rem = median(remoteMs);
  const chan = median(chanMs);
  const ssh = median(sshMs);
  const row = (label, ms) => `${label.padEnd(62)} ${ms.toFixed(2).padStart(9)} ms   ${(ms / count).toFixed(3).padStart(7)} ms/container`;
  console.log(`\n${count} running containers, ${rounds} rounds (median; the lxc-info loops: 2), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(row('local stats pass (StatsSampler)', loc));
  console.log(row('remote stats pass (RemoteLxcBackend, one SSH connection)', rem));
  if (waitMs.length) console.log(row('  of which waiting for the reader (round trip + remote read)', median(waitMs)));
  console.log(row('remote pass copying the limits too (every 5 s)', median(limMs)));
  console.log(row('first remote pass (reader started, walk)', firstMs));
  console.log(row('one exec channel running `true` (for reference)', median(execMs)));
  if (!passesOnly) {
    console.log(row('lxc-info -S -H per container, one SSH connection (channels)', chan));
    console.log(row('ssh HOST lxc-info -S -H -n NAME per container', ssh));
  }
  if (bytes.length) console.log(`remote: ${Math.round(median(bytes) / 1024)} KiB per tick (${Math.round(limBytes / 1024)} KiB with the limits); ${walks} of ${rounds} timed passes walked, ${limitTicks} copied the limits too (every 5 s)`);
  console.log(`\nremote pass / local pass = ${(rem / loc).toFixed(2)}x (target <= 3x)`);
  if (!passesOnly) console.log(`ssh + lxc-info loop / remote pass = ${(ssh / rem).toFixed(1)}x (target >= 10x); lxc-info over one connection / remote pass = ${(chan / rem).toFixed(1)}x`);
} finally {
  backend.close();
  remote.cleanup();
  cleanup();
}
