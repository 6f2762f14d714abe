// The console list's config poll (trialfix4): each stats pass stats every container's config and
// sidecar (Engine.configStamps, two stat(2) each, no parse) and re-reads only the changed ones. This
// prints, side by side in one run and interleaved, the time of that poll for N containers against
// what re-reading every config would cost (Engine.configSummary for each: the parse `r` or a full
// list does) and against `lxc-ls --fancy-format name,autostart` (LXC's own reader of the same keys).
// No containers run: N directories with a real busybox config and a sidecar in a temporary lxcpath,
// removed at the end. Usage: node bench/config-stamps.mjs [--count 500] [--rounds 15]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIST, argValue, requireDist } from './lib.mjs';

requireDist();
const count = Number(argValue('--count', '500'));
const rounds = Number(argValue('--rounds', '15'));
const { localEngine } = await import(join(DIST, 'src/local-engine.js'));
const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-bench-stamps-'));
const cleanup = () => rmSync(lxcpath, { recursive: true, force: true });
process.on('SIGINT', () => (cleanup(), process.exit(130)));
try {
  const names = Array.from({ length: count }, (_, i) => `st${String(i).padStart(4, '0')}`);
  for (const n of names) {
    mkdirSync(join(lxcpath, n, 'rootfs'), { recursive: true });
    writeFileSync(
      join(lxcpath, n, 'config'),
      [
        'lxc.include = /usr/share/lxc/config/common.conf',
        `lxc.uts.name = ${n}`,
        `lxc.rootfs.path = dir:${join(lxcpath, n, 'rootfs')}`,
        'lxc.net.0.type = empty',
        'lxc.signal.halt = SIGUSR1',
        'lxc.signal.reboot = SIGTERM',
        'lxc.tty.max = 1',
        'lxc.pty.max = 1',
        'lxc.start.auto = 1',
        'lxc.group = web',
        'lxc.cap.drop = sys_module mac_admin mac_override sys_time',
        'lxc.mount.auto = cgroup:mixed proc:mixed sys:mixed',
        '',
      ].join('\n'),
    );
    writeFileSync(join(lxcpath, n, 'lxdeck.json'), JSON.stringify({ template: 'busybox', created: new Date().toISOString(), protected: true }));
  }
  const e = localEngine({ lxcpath, bridge: 'lxdeckbr0' });
  const ways = {
    'stamps (the poll)': () => e.configStamps(names),
    'parse every config': () => names.map((n) => e.configSummary(n)),
    'lxc-ls -f -F name,autostart': () => execFileSync('lxc-ls', ['-P', lxcpath, '-f', '-F', 'name,autostart,groups'], { stdio: ['ignore', 'pipe', 'ignore'] }),
  };
  const ms = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (const f of Object.values(ways)) f(); // warm-up
  for (let r = 0; r < rounds; r++)
    for (const [k, f] of Object.entries(ways)) {
      const t = performance.now();
      f();
      ms[k].push(performance.now() - t);
    }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`${count} containers, ${rounds} interleaved rounds; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('way'.padEnd(30), 'median ms'.padStart(10), 'min ms'.padStart(10));
  for (const [k, a] of Object.entries(ms)) console.log(k.padEnd(30), med(a).toFixed(2).padStart(10), Math.min(...a).toFixed(2).padStart(10));
} finally {
  cleanup();
}
