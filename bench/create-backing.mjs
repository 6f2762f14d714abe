#!/usr/bin/env node
// Create on each backing store lxdeck builds (dir, loop), side by side with lxc-create -B on the
// same: busybox, privileged and unprivileged for lxdeck (lxdeck's create also shifts the
// ownership of an unprivileged rootfs, reserves an address and writes its config in a staging
// directory), LXC's own busybox template for lxc-create. Medians; figures, never assertions.
//
//   npm run build && sudo node bench/create-backing.mjs [--rounds 5] [--size 256M]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, argValue, median, requireDist } from './lib.mjs';

requireDist();
if (process.getuid?.() !== 0) {
  console.error('the benchmark needs root (real LXC containers)');
  process.exit(2);
}
const rounds = Number(argValue('--rounds', '5'));
const size = argValue('--size', '256M');
const { localEngine } = await import(join(DIST, 'src/local-engine.js'));
const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-backing-'));
const state = mkdtempSync(join(tmpdir(), 'lxdeck-bench-state-'));
const bridge = `lxbb${process.pid % 10000}`;
const run = (...a) => execFileSync(a[0], a.slice(1), { stdio: 'ignore', timeout: 300_000 });
const cleanup = () => {
  for (const n of execFileSync('lxc-ls', ['-P', lxcpath], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)) {
    try { run('lxc-destroy', '-P', lxcpath, '-n', n); } catch { /* best effort */ }
  }
  try { run('ip', 'link', 'delete', 'dev', bridge); } catch { /* not made */ }
  rmSync(lxcpath, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
};
process.on('SIGINT', () => { cleanup(); process.exit(130); });
const since = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
try {
  const e = localEngine({ lxcpath, bridge, hostStateDir: state });
  await e.create('warm', {}); // the bridge, subordinate ids and caches, outside the figures
  const rows = [];
  let k = 0;
  for (const backing of ['dir', 'loop']) {
    const t = { unpriv: [], priv: [], lxc: [] };
    for (let i = 0; i < rounds; i++) {
      for (const priv of [false, true]) {
        const t0 = process.hrtime.bigint();
        await e.create(`c${k++}`, { backing, ...(backing === 'loop' ? { size } : {}), privileged: priv });
        t[priv ? 'priv' : 'unpriv'].push(since(t0));
      }
      const t0 = process.hrtime.bigint();
      run('lxc-create', '-P', lxcpath, '-n', `x${k++}`, '-t', 'busybox', '-B', backing, ...(backing === 'loop' ? ['--fssize', size] : []));
      t.lxc.push(since(t0));
    }
    rows.push([backing === 'loop' ? `loop (${size})` : 'dir', median(t.unpriv), median(t.priv), median(t.lxc)]);
  }
  console.log(`median of ${rounds}, ms; load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')}\n`);
  console.log('| backing | lxdeck create (unprivileged) | lxdeck create --privileged | lxc-create -t busybox -B |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [b, u, p, l] of rows) console.log(`| ${b} | ${u.toFixed(0)} | ${p.toFixed(0)} | ${l.toFixed(0)} |`);
} finally {
  cleanup();
}
