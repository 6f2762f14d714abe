// lxdeck copy (lxc-copy -K plus a new identity: hwaddr, address, veth, idmap shift) against plain
// lxc-copy and lxc-copy -s -B overlay, on a busybox container made by lxdeck. Figures, never assertions.
// sudo node bench/copy.mjs [--rounds 5]   (needs npm run build; root and LXC)
// Debian is not measured yet: no debootstrap-made rootfs is reused here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  for (const priv of [false, true]) {
    const src = priv ? 'srcp' : 'srcu';
    await e.create(src, { privileged: priv });
    const t = { lxdeck: [], lxcCopy: [], overlay: [] };
    for (let i = 0; i < rounds; i++) {
      let t0 = process.hrtime.bigint();
      await e.copy(src, `l${src}${i}`);
      t.lxdeck.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t.lxcCopy.push(ms(() => lxc('lxc-copy', '-P', lxcpath, '-n', src, '-N', `c${src}${i}`)));
      t.overlay.push(ms(() => lxc('lxc-copy', '-P', lxcpath, '-n', src, '-N', `o${src}${i}`, '-s', '-B', 'overlay')));
    }
    rows.push([`busybox ${priv ? 'privileged' : 'unprivileged'}`, median(t.lxdeck), median(t.lxcCopy), median(t.overlay)]);
  }
  console.log(`median of ${rounds}, ms     lxdeck copy (full)  lxc-copy (full)  lxc-copy -s -B overlay`);
  for (const [w, a, b, c] of rows) console.log(`${w.padEnd(24)} ${a.toFixed(1).padStart(18)} ${b.toFixed(1).padStart(16)} ${c.toFixed(1).padStart(23)}`);
} finally {
  cleanup();
}
