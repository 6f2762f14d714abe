#!/usr/bin/env node
// Create on each backing store lxdeck builds (dir, loop, btrfs), side by side with lxc-create -B on the
// same: busybox, privileged and unprivileged for lxdeck (lxdeck's create also shifts the
// ownership of an unprivileged rootfs, reserves an address and writes its config in a staging
// directory), LXC's own busybox template for lxc-create. btrfs runs in a lxcpath on a file-backed
// btrfs the benchmark makes (truncate, mkfs.btrfs, losetup, mount) and removes after; it also
// times copy --snapshot (a btrfs snapshot plus a new identity) next to lxc-copy -s.
// Medians; figures, never assertions.
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
const btrfsPath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-btrfs-'));
const state = mkdtempSync(join(tmpdir(), 'lxdeck-bench-state-'));
const btrfsImg = `${state}-btrfs.img`;
let loopdev = '';
const bridge = `lxbb${process.pid % 10000}`;
const run = (...a) => execFileSync(a[0], a.slice(1), { stdio: 'ignore', timeout: 300_000 });
const cleanup = () => {
  for (const lp of [lxcpath, btrfsPath]) {
    for (const n of execFileSync('lxc-ls', ['-P', lp], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)) {
      try { run('lxc-destroy', '-P', lp, '-n', n); } catch { /* best effort */ }
    }
  }
  if (loopdev) {
    try { run('umount', btrfsPath); } catch { try { run('umount', '--lazy', btrfsPath); } catch { /* not mounted */ } }
    try { run('losetup', '-d', loopdev); } catch { /* gone */ }
  }
  rmSync(btrfsPath, { recursive: true, force: true });
  rmSync(btrfsImg, { force: true });
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
  run('truncate', '-s', '2G', btrfsImg);
  run('mkfs.btrfs', '-q', btrfsImg);
  loopdev = execFileSync('losetup', ['-f', '--show', btrfsImg], { encoding: 'utf8' }).trim();
  run('mount', loopdev, btrfsPath);
  const eb = localEngine({ lxcpath: btrfsPath, bridge, hostStateDir: state });
  const snaps = { unpriv: [], priv: [], lxc: [] };
  for (const backing of ['dir', 'loop', 'btrfs']) {
    const t = { unpriv: [], priv: [], lxc: [] };
    const [eng, lp] = backing === 'btrfs' ? [eb, btrfsPath] : [e, lxcpath];
    for (let i = 0; i < rounds; i++) {
      for (const priv of [false, true]) {
        const t0 = process.hrtime.bigint();
        const n = `c${k++}`;
        await eng.create(n, { backing, ...(backing === 'loop' ? { size } : {}), privileged: priv });
        t[priv ? 'priv' : 'unpriv'].push(since(t0));
        if (backing === 'btrfs') {
          const t1 = process.hrtime.bigint();
          await eng.copy(n, `s${k++}`, { snapshot: true });
          snaps[priv ? 'priv' : 'unpriv'].push(since(t1));
        }
      }
      const t0 = process.hrtime.bigint();
      const x = `x${k++}`;
      run('lxc-create', '-P', lp, '-n', x, '-t', 'busybox', '-B', backing, ...(backing === 'loop' ? ['--fssize', size] : []));
      t.lxc.push(since(t0));
      if (backing === 'btrfs') {
        const t1 = process.hrtime.bigint();
        run('lxc-copy', '-P', lp, '-n', x, '-N', `y${k++}`, '-s');
        snaps.lxc.push(since(t1));
      }
    }
    rows.push([backing === 'loop' ? `loop (${size})` : backing === 'btrfs' ? 'btrfs (file-backed, 2G)' : 'dir', median(t.unpriv), median(t.priv), median(t.lxc)]);
  }
  rows.push(['btrfs: copy --snapshot / lxc-copy -s', median(snaps.unpriv), median(snaps.priv), median(snaps.lxc)]);
  console.log(`median of ${rounds}, ms; load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')}\n`);
  console.log('| backing | lxdeck create (unprivileged) | lxdeck create --privileged | lxc-create -t busybox -B |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [b, u, p, l] of rows) console.log(`| ${b} | ${u.toFixed(0)} | ${p.toFixed(0)} | ${l.toFixed(0)} |`);
} finally {
  cleanup();
}
