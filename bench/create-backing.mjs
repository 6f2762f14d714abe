#!/usr/bin/env node
// Create on each backing store lxdeck builds (dir, loop, btrfs), side by side with lxc-create -B on the
// same: busybox, privileged and unprivileged for lxdeck (lxdeck's create also shifts the
// ownership of an unprivileged rootfs, reserves an address and writes its config in a staging
// directory), LXC's own busybox template for lxc-create. btrfs runs in a lxcpath on a file-backed
// btrfs the benchmark makes (truncate, mkfs.btrfs, losetup, mount) and removes after; it also
// times copy --snapshot (a btrfs snapshot plus a new identity) next to lxc-copy -s. lvm runs on
// a volume group of the benchmark's own (a sparse file, a loop device as its PV, a unique VG name,
// a 2G thin pool), removed after (only that VG): lxdeck create --backing lvm beside lxc-create -B
// lvm --vgname --thinpool --fssize, and copy --snapshot (a thin snapshot plus a new identity)
// beside lxc-copy -s. lvm needs device-mapper's thin-pool target (this project's CI host kernel
// has none: run it in the v2 lane's guest, lane/run.sh --sh 'node bench/create-backing.mjs ...').
// Medians; figures, never assertions.
//
//   npm run build && sudo node bench/create-backing.mjs [--rounds 5] [--size 256M] [--backings dir,loop,btrfs,lvm]
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
const LVM_ENV = { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' };
const dmThin = () => {
  try {
    return /^thin-pool\s/m.test(execFileSync('dmsetup', ['targets'], { encoding: 'utf8', env: LVM_ENV, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return false;
  }
};
const backings = argValue('--backings', `dir,loop,btrfs${dmThin() ? ',lvm' : ''}`).split(',').filter(Boolean);
if (backings.includes('lvm') && !dmThin()) {
  console.error('--backings lvm needs device-mapper with the thin-pool target (dmsetup targets); this kernel has none (run it in the v2 lane)');
  process.exit(2);
}
const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-backing-'));
const btrfsPath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-btrfs-'));
const state = mkdtempSync(join(tmpdir(), 'lxdeck-bench-state-'));
const btrfsImg = `${state}-btrfs.img`;
let loopdev = '';
const lvmImg = `${state}-pv.img`;
const vg = `lxbv${process.pid % 100000}`;
let pvdev = '';
let vgMade = false;
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
  // only the benchmark's own volume group (its unique name), its PV and loop device
  if (vgMade) try { execFileSync('vgremove', ['-f', vg], { stdio: 'ignore', env: LVM_ENV, timeout: 300_000 }); } catch { /* best effort */ }
  if (pvdev) {
    try { execFileSync('pvremove', ['-qq', pvdev], { stdio: 'ignore', env: LVM_ENV }); } catch { /* gone */ }
    try { run('losetup', '-d', pvdev); } catch { /* gone */ }
  }
  rmSync(lvmImg, { force: true });
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
  if (backings.includes('btrfs')) {
    run('truncate', '-s', '2G', btrfsImg);
    run('mkfs.btrfs', '-q', btrfsImg);
    loopdev = execFileSync('losetup', ['-f', '--show', btrfsImg], { encoding: 'utf8' }).trim();
    run('mount', loopdev, btrfsPath);
  }
  if (backings.includes('lvm')) {
    run('truncate', '-s', '3G', lvmImg);
    pvdev = execFileSync('losetup', ['-f', '--show', lvmImg], { encoding: 'utf8' }).trim();
    execFileSync('pvcreate', ['-qq', pvdev], { env: LVM_ENV });
    execFileSync('vgcreate', ['-qq', vg, pvdev], { env: LVM_ENV });
    vgMade = true;
    execFileSync('lvcreate', ['-qq', '--type', 'thin-pool', '-L', '2G', '-n', 'tp', vg], { env: LVM_ENV });
  }
  const eb = localEngine({ lxcpath: btrfsPath, bridge, hostStateDir: state });
  const snaps = { btrfs: { unpriv: [], priv: [], lxc: [] }, lvm: { unpriv: [], priv: [], lxc: [] } };
  const lvmOpts = { vgname: vg, thinpool: 'tp' };
  for (const backing of backings) {
    const t = { unpriv: [], priv: [], lxc: [] };
    const [eng, lp] = backing === 'btrfs' ? [eb, btrfsPath] : [e, lxcpath];
    for (let i = 0; i < rounds; i++) {
      for (const priv of [false, true]) {
        const t0 = process.hrtime.bigint();
        const n = `c${k++}`;
        await eng.create(n, { backing, ...(backing === 'loop' || backing === 'lvm' ? { size } : {}), ...(backing === 'lvm' ? lvmOpts : {}), privileged: priv });
        t[priv ? 'priv' : 'unpriv'].push(since(t0));
        if (snaps[backing]) {
          const t1 = process.hrtime.bigint();
          await eng.copy(n, `s${k++}`, { snapshot: true });
          snaps[backing][priv ? 'priv' : 'unpriv'].push(since(t1));
        }
      }
      const t0 = process.hrtime.bigint();
      const x = `x${k++}`;
      run('lxc-create', '-P', lp, '-n', x, '-t', 'busybox', '-B', backing, ...(backing === 'loop' || backing === 'lvm' ? ['--fssize', size] : []), ...(backing === 'lvm' ? ['--vgname', vg, '--thinpool', 'tp'] : []));
      t.lxc.push(since(t0));
      if (snaps[backing]) {
        const t1 = process.hrtime.bigint();
        try {
          run('lxc-copy', '-P', lp, '-n', x, '-N', `y${k++}`, '-s');
          snaps[backing].lxc.push(since(t1));
        } catch (err) {
          console.error(`lxc-copy -s of a ${backing} container failed: ${String(err.stderr ?? err.message).trim().split('\n').pop()}`);
        }
      }
    }
    rows.push([backing === 'loop' ? `loop (${size})` : backing === 'btrfs' ? 'btrfs (file-backed, 2G)' : backing === 'lvm' ? `lvm thin (${size}, file-backed 2G pool)` : 'dir', median(t.unpriv), median(t.priv), median(t.lxc)]);
  }
  for (const b of ['btrfs', 'lvm'])
    if (backings.includes(b)) rows.push([`${b}: copy --snapshot / lxc-copy -s`, median(snaps[b].unpriv), median(snaps[b].priv), snaps[b].lxc.length ? median(snaps[b].lxc) : NaN]);
  console.log(`median of ${rounds}, ms; load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')}\n`);
  console.log('| backing | lxdeck create (unprivileged) | lxdeck create --privileged | lxc-create -t busybox -B |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [b, u, p, l] of rows) console.log(`| ${b} | ${u.toFixed(0)} | ${p.toFixed(0)} | ${Number.isNaN(l) ? 'failed' : l.toFixed(0)} |`);
} finally {
  cleanup();
}
