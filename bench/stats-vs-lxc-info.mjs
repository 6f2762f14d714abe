#!/usr/bin/env node
// One stats pass over N running containers (lxdeck's sampler: cgroupfs, /proc,
// /sys read directly) against `lxc-info -S -H` run once for each of them.
// Figures side by side, not assertions. Target: the pass >= 20x faster.
//
//   npm run build && sudo node bench/stats-vs-lxc-info.mjs [--containers 50] [--rounds 15] [--also LABEL=DIST]
//   --also LABEL=DIST  another build's sampler (DIST/core/stats/sampler.js) timed in the same rounds,
//                      the builds taking turns pass by pass (this host is noisy)
// More than 100 containers are made as overlay clones with one tty each (bench/lib.mjs).
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { DIST, argValue, makeFleet, median, requireDist } from './lib.mjs';

requireDist();
let count = Number(argValue('--containers', '50'));
const rounds = Number(argValue('--rounds', '15'));
const { ExecaRunner } = await import(join(DIST, 'core/exec/runner.js'));
const builds = [{ label: 'this build', dist: DIST }, ...process.argv.flatMap((a, i) => (a === '--also' ? [process.argv[i + 1].split(/=(.*)/s)].map(([label, dist]) => ({ label, dist })) : []))];
for (const b of builds) b.StatsSampler = (await import(join(b.dist, 'core/stats/sampler.js'))).StatsSampler;

const { lxcpath, names, cleanup } = makeFleet(count, 'bench', { overlay: count > 100 });
count = names.length;
try {
  for (const b of builds) {
    b.sampler = new b.StatsSampler({ lxcpath, runner: new ExecaRunner() });
    // warm: the first pass finds each container's init and cgroup paths (cached after)
    const first = await b.sampler.pass();
    const running = first.containers.filter((c) => c.state === 'RUNNING').length;
    if (running !== count) throw new Error(`only ${running} of ${count} containers found running`);
    await b.sampler.pass();
    // every limit re-read on every pass too (limitsTtlMs 0), as a screen right after a slider change would
    b.eager = new b.StatsSampler({ lxcpath, layout: b.sampler.layout, limitsTtlMs: 0 });
    await b.eager.pass();
    b.passMs = [];
    b.eagerMs = [];
    b.coldMs = [];
  }
  for (let r = 0; r < rounds; r++) {
    // the builds take turns, in a different order each round
    for (const b of r % 2 ? [...builds].reverse() : builds) {
      let t = performance.now();
      await b.sampler.pass();
      b.passMs.push(performance.now() - t);
      t = performance.now();
      await b.eager.pass();
      b.eagerMs.push(performance.now() - t);
      // a cold pass: a fresh sampler (no cache: every container located again, still without lxc-info)
      const fresh = new b.StatsSampler({ lxcpath, layout: b.sampler.layout });
      t = performance.now();
      await fresh.pass();
      b.coldMs.push(performance.now() - t);
    }
  }
  const [{ passMs, eagerMs, coldMs }] = builds;

  // what a steady-state pass allocates (V8's sampling heap profiler, collected objects included):
  // what keeps the console's young generation large (bench/README.md section 11)
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  for (const b of builds) {
    const n = 10;
    await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    for (let i = 0; i < n; i++) await b.sampler.pass();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    let bytes = 0;
    const walk = (node) => {
      bytes += node.selfSize;
      node.children.forEach(walk);
    };
    walk(profile.head);
    b.allocKB = bytes / n / 1024;
  }
  session.disconnect();

  const infoMs = [];
  const infoRounds = Math.max(3, Math.min(5, rounds));
  for (let r = 0; r < infoRounds; r++) {
    const t = performance.now();
    for (const n of names) execFileSync('lxc-info', ['-P', lxcpath, '-n', n, '-S', '-H'], { stdio: ['ignore', 'pipe', 'ignore'] });
    infoMs.push(performance.now() - t);
  }
  const runner = new ExecaRunner();
  const execaMs = [];
  for (let r = 0; r < 2; r++) {
    const t = performance.now();
    for (const n of names) await runner.run('lxc-info', ['-P', lxcpath, '-n', n, '-S', '-H'], { timeoutMs: 10_000 });
    execaMs.push(performance.now() - t);
  }

  const pass = median(passMs);
  const cold = median(coldMs);
  const eagerPass = median(eagerMs);
  const info = median(infoMs);
  const execa = median(execaMs);
  const row = (label, ms, per) => `${label.padEnd(52)} ${ms.toFixed(2).padStart(9)} ms   ${(ms / count).toFixed(3).padStart(7)} ms/container${per ? `   ${per}` : ''}`;
  console.log(`\n${count} running containers, ${rounds} rounds (median), load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
  console.log(row('lxdeck stats pass (cached lookups)', pass));
  console.log(row('lxdeck stats pass (limits re-read every pass)', eagerPass));
  console.log(row('lxdeck stats pass (cold: fresh sampler)', cold));
  console.log(row('lxc-info -S -H per container (execFileSync loop)', info));
  console.log(row('lxc-info -S -H per container (through execa)', execa));
  const min = (xs) => Math.min(...xs);
  for (const b of builds.slice(1)) {
    console.log(`\n${b.label} (${b.dist}), the same rounds, median / min:`);
    for (const [what, mine, theirs] of [['stats pass (cached lookups)', passMs, b.passMs], ['stats pass (limits re-read every pass)', eagerMs, b.eagerMs], ['stats pass (cold: fresh sampler)', coldMs, b.coldMs]]) {
      console.log(`  ${what.padEnd(42)} ${b.label} ${median(theirs).toFixed(2)} / ${min(theirs).toFixed(2)} ms, this build ${median(mine).toFixed(2)} / ${min(mine).toFixed(2)} ms: ${(median(mine) / median(theirs)).toFixed(2)}x its time (min ${(min(mine) / min(theirs)).toFixed(2)}x)`);
    }
  }
  console.log(`\nallocated per steady-state pass (sampled, 10 passes): ${builds.map((b) => `${b.label} ${b.allocKB.toFixed(0)} KB`).join(', ')}`);
  console.log(`\nratio: lxc-info loop / stats pass = ${(info / pass).toFixed(1)}x (limits every pass: ${(info / eagerPass).toFixed(1)}x; cold pass: ${(info / cold).toFixed(1)}x; execa loop: ${(execa / pass).toFixed(1)}x); target >= 20x`);
} finally {
  cleanup();
}
