#!/usr/bin/env node
// Snapshot and restore: lxdeck's engine (core/lxc/snapshot.ts: lxc-snapshot plus the listing
// before and after, and for restore the move aside of the old rootfs) against plain
// lxc-snapshot, on a stopped busybox container (dir backing), an overlay clone of it
// (lxc-copy -s -B overlayfs, snapshots then overlay deltas), and a Debian container copied from
// the cached debootstrap base in /var/cache/lxdeck when there is one (skipped otherwise).
// Figures side by side, not assertions.
//
//   npm run build && sudo node bench/snapshot.mjs [--rounds 5]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIST, argValue, median, requireDist } from './lib.mjs';

requireDist();
if (process.getuid?.() !== 0) {
  console.error('the benchmark needs root (real LXC containers)');
  process.exit(2);
}
const rounds = Number(argValue('--rounds', '5'));
const { localEngine } = await import(join(DIST, 'src/local-engine.js'));
const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-snap-'));
const names = [];
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  // clones first (an overlay clone depends on its base), snapshots with them (-s)
  for (const n of [...names].reverse()) spawnSync('lxc-destroy', ['-P', lxcpath, '-n', n, '-s'], { stdio: 'ignore', timeout: 120_000 });
  rmSync(lxcpath, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => { cleanup(); process.exit(130); });
process.once('exit', cleanup);

const run = (file, args) => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, encoding: 'utf8' });
const lxcSnap = (n, ...a) => run('lxc-snapshot', ['-P', lxcpath, '-n', n, ...a]);
const timed = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
const du = (p) => run('du', ['-sxh', p]).split('\t')[0];

const engine = localEngine({ lxcpath });
const rows = [];

async function measure(label, n) {
  const r = { label, lxdeckSnap: [], lxcSnap: [], lxdeckRestore: [], lxcRestore: [], note: '' };
  for (let i = 0; i < rounds; i++) {
    r.lxdeckSnap.push(await timed(() => engine.snapshot(n, { comment: 'bench' })));
    r.lxcSnap.push(await timed(() => lxcSnap(n)));
    // snap0 (lxdeck's) and snap1 (lxc-snapshot's) exist now
    try {
      r.lxdeckRestore.push(await timed(() => engine.restoreSnapshot(n, 'snap0')));
      r.lxcRestore.push(await timed(() => lxcSnap(n, '-r', 'snap1')));
    } catch (e) {
      r.note = `restore: ${String(e.message ?? e).split('\n')[0]}`;
    }
    lxcSnap(n, '-d', 'snap1');
    await engine.deleteSnapshot(n, 'snap0');
  }
  rows.push(r);
}

const t0 = performance.now();
const bb = 'bb';
run('lxc-create', ['-P', lxcpath, '-n', bb, '-t', 'busybox']);
names.push(bb);
console.error(`busybox: ${du(join(lxcpath, bb, 'rootfs'))} rootfs`);
await measure(`busybox, dir (${du(join(lxcpath, bb, 'rootfs'))})`, bb);

const ov = 'bbov';
try {
  run('lxc-copy', ['-P', lxcpath, '-n', bb, '-N', ov, '-s', '-B', 'overlayfs']);
  names.push(ov);
  await measure('busybox, overlay clone (lxc-copy -s)', ov);
} catch (e) {
  rows.push({ label: 'busybox, overlay clone', skipped: `lxc-copy -s -B overlayfs failed: ${String(e.stderr ?? e.message).trim().split('\n').pop()}` });
}

const base = '/var/cache/lxdeck/rootfs/debian-bookworm-amd64';
if (existsSync(join(base, '.complete'))) {
  const deb = 'deb';
  const dir = join(lxcpath, deb);
  run('mkdir', ['-p', dir]);
  run('cp', ['-a', join(base, 'rootfs'), join(dir, 'rootfs')]);
  writeFileSync(join(dir, 'config'), [`lxc.include = /usr/share/lxc/config/common.conf`, `lxc.uts.name = ${deb}`, `lxc.rootfs.path = dir:${dir}/rootfs`, 'lxc.net.0.type = empty', ''].join('\n'));
  names.push(deb);
  await measure(`Debian bookworm, dir (${du(join(dir, 'rootfs'))})`, deb);
} else {
  rows.push({ label: 'Debian bookworm', skipped: `no cached debootstrap base in ${base}` });
}

const f = (xs) => (xs.length ? `${median(xs).toFixed(0)} ms` : '-');
console.log(`${rounds} rounds each, median; load average ${run('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ')}\n`);
console.log('| container | lxdeck snapshot | lxc-snapshot | lxdeck restore | lxc-snapshot -r |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  if (r.skipped) console.log(`| ${r.label} | skipped: ${r.skipped} | | | |`);
  else console.log(`| ${r.label} | ${f(r.lxdeckSnap)} | ${f(r.lxcSnap)} | ${f(r.lxdeckRestore)} | ${f(r.lxcRestore)} |${r.note ? ` ${r.note}` : ''}`);
}
console.error(`(${((performance.now() - t0) / 1000).toFixed(1)} s in all)`);
