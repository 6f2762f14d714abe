// lxdeck copy (lxc-copy -K plus a new identity: hwaddr, address, veth, idmap shift) and lxdeck copy
// --snapshot (lxc-copy -s -B overlay plus the same identity; privileged sources only) against plain
// lxc-copy and lxc-copy -s -B overlay, on busybox containers made by lxdeck and, when lxdeck's
// debootstrap cache (/var/cache/lxdeck) holds Debian bookworm, a Debian container made from it.
// Figures, never assertions.
// sudo node bench/copy.mjs [--rounds 5] [--debian-rounds 3]   (needs npm run build; root and LXC)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, argValue, median, requireDist } from './lib.mjs';

requireDist();
const { localEngine } = await import(join(DIST, 'src/local-engine.js'));
const rounds = Number(argValue('--rounds', '5'));
const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-copy-'));
const state = mkdtempSync(join(tmpdir(), 'lxdeck-bench-state-'));
const bridge = `lxdb${process.pid % 10000}`;
const ms = (f) => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e6; };
const lxc = (...a) => execFileSync(a[0], a.slice(1), { stdio: 'ignore' });
const cleanup = () => {
  for (const n of execFileSync('lxc-ls', ['-P', lxcpath], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).reverse()) {
    try { lxc('lxc-destroy', '-P', lxcpath, '-n', n, '-s'); } catch { try { lxc('lxc-destroy', '-P', lxcpath, '-n', n); } catch { /* */ } }
  }
  try { lxc('ip', 'link', 'delete', 'dev', bridge); } catch { /* */ }
  rmSync(lxcpath, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
};
process.on('SIGINT', () => { cleanup(); process.exit(130); });
try {
  const e = localEngine({ lxcpath, bridge, hostStateDir: state });
  const rows = [];
  const debRounds = Number(argValue('--debian-rounds', '3'));
  const debCached = existsSync('/var/cache/lxdeck/rootfs/debian-bookworm-amd64/.complete');
  const sources = [
    { label: 'busybox unprivileged', src: 'bbu', make: { privileged: false }, n: rounds },
    { label: 'busybox privileged', src: 'bbp', make: { privileged: true }, n: rounds },
    ...(debCached ? [{ label: 'Debian bookworm privileged', src: 'debp', make: { privileged: true, template: 'debootstrap' }, n: debRounds }] : []),
  ];
  const since = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
  for (const { label, src, make, n } of sources) {
    await e.create(src, make);
    const t = { lxdeck: [], lxdeckSnap: [], lxcCopy: [], overlay: [] };
    for (let i = 0; i < n; i++) {
      let t0 = process.hrtime.bigint();
      await e.copy(src, `l${src}${i}`);
      t.lxdeck.push(since(t0));
      if (make.privileged) {
        t0 = process.hrtime.bigint();
        await e.copy(src, `s${src}${i}`, { snapshot: true });
        t.lxdeckSnap.push(since(t0));
      }
      t.lxcCopy.push(ms(() => lxc('lxc-copy', '-P', lxcpath, '-n', src, '-N', `c${src}${i}`)));
      t.overlay.push(ms(() => lxc('lxc-copy', '-P', lxcpath, '-n', src, '-N', `o${src}${i}`, '-s', '-B', 'overlay')));
      // full copies of Debian are 250 MB each: remove them as we go
      if (make.template) for (const p of ['l', 'c']) lxc('lxc-destroy', '-P', lxcpath, '-n', `${p}${src}${i}`);
    }
    rows.push([`${label} (${n})`, ...[t.lxdeck, t.lxdeckSnap, t.lxcCopy, t.overlay].map((xs) => (xs.length ? median(xs).toFixed(0) : '-'))]);
  }
  if (!debCached) console.log('Debian: no lxdeck debootstrap cache in /var/cache/lxdeck (lxdeck create -t debootstrap once makes it): not measured');
  console.log(`median (rounds), ms; load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')}\n`);
  console.log('| source | lxdeck copy (full) | lxdeck copy --snapshot (overlay) | lxc-copy (full) | lxc-copy -s -B overlay |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  cleanup();
}
