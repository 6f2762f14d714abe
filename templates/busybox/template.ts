import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LxdeckError } from '../../core/errors.js';
import { inittabProblems } from '../../core/rootfs/inittab.js';
import { mkdirInRootfs, symlinkInRootfs, writeFileInRootfs } from '../../core/rootfs/safe-write.js';
import type { Template, TemplateContext, TemplateResult } from '../../core/rootfs/template.js';

/** Where the host's busybox is looked for, in order. */
export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/usr/sbin/busybox', '/sbin/busybox'];

/**
 * True when the ELF file has no PT_INTERP program header, i.e. is statically
 * linked and runs in a rootfs that has no shared libraries (ELF64 little-endian).
 */
export function isStaticElf(path: string): boolean {
  const b = readFileSync(path);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (b.readUInt32LE(phoff + i * phentsize) === 3) return false; // PT_INTERP
  }
  return true;
}

function findBusybox(): string {
  for (const p of BUSYBOX_CANDIDATES) {
    try {
      if (isStaticElf(p)) return p;
    } catch {
      /* missing */
    }
  }
  throw new LxdeckError('E_MISSING_PROGRAM', 'no statically linked busybox on this host', {
    hint: 'install it: apt-get install busybox-static (SUSE: zypper install busybox-static)',
  });
}

/** lxc.tty.max of a busybox container: tty1, where the inittab runs a getty. */
const TTY_MAX = 1;

/**
 * Applet name to its absolute path in the rootfs, from `busybox --list-full` lines
 * (`sbin/getty`, `bin/sh`, `usr/bin/env`); the first path wins when a name comes twice.
 */
export function appletPaths(listFull: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of listFull) {
    const name = a.slice(a.lastIndexOf('/') + 1);
    if (name && !m.has(name)) m.set(name, `/${a.replace(/^\/+/, '')}`);
  }
  return m;
}

const DIRS = ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc/init.d', 'dev', 'proc', 'sys', 'run', 'mnt', 'home', 'root', 'var/log', 'lib'];

/**
 * A minimal system from the host's busybox-static, built offline: busybox init
 * with an rcS that brings up `lo` and does NOT run a DHCP client, so the static
 * address LXC sets from lxc.net.0.ipv4.address stays (host-facts: LXC's own
 * busybox template runs udhcpc, which removes it).
 */
export const busyboxTemplate: Template = {
  manifest: {
    name: 'busybox',
    description: 'minimal system from the host busybox-static, offline, in well under a second',
    offline: true,
    options: [],
  },
  async build(ctx: TemplateContext): Promise<TemplateResult> {
    const { rootfs } = ctx;
    const busybox = findBusybox();
    ctx.onProgress({ phase: 'rootfs', fraction: 0.1, line: `using ${busybox}` });
    for (const d of DIRS) mkdirInRootfs(rootfs, d);
    mkdirInRootfs(rootfs, 'tmp', 0o1777);
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    chmodSync(join(rootfs, 'root'), 0o700);
    copyFileSync(busybox, join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    const list = await ctx.runner.run(busybox, ['--list-full'], { timeoutMs: 10_000, signal: ctx.signal });
    if (list.exitCode !== 0) throw new LxdeckError('E_TEMPLATE', `${busybox} --list-full failed: ${list.stderr.trim()}`);
    const applets = list.stdout.split('\n').map((s) => s.trim()).filter((s) => s && !s.includes('..') && s !== 'bin/busybox');
    ctx.onProgress({ phase: 'rootfs', fraction: 0.3, line: `linking ${applets.length} applets` });
    for (const a of applets) {
      const dir = a.includes('/') ? a.slice(0, a.lastIndexOf('/')) : '';
      if (dir) mkdirInRootfs(rootfs, dir);
      try {
        symlinkInRootfs(rootfs, a, '/bin/busybox');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    ctx.onProgress({ phase: 'rootfs', fraction: 0.8, line: 'writing /etc' });
    // every program /etc/inittab and rcS run, at the path this busybox links it to (--list-full:
    // getty is sbin/getty, not bin/getty); an inittab entry whose program is missing is re-run
    // by init every second and jams it (core/rootfs/inittab.ts)
    const at = appletPaths(applets);
    const need = (applet: string): string => {
      const p = at.get(applet);
      if (!p) throw new LxdeckError('E_TEMPLATE', `${busybox} has no ${applet} applet, which the busybox template's init needs`, { hint: 'install a full busybox-static (apt-get install busybox-static)' });
      return p;
    };
    const inittab = [
      '::sysinit:/etc/init.d/rcS',
      // a login on tty1 for lxc-console -t 1 (lxc.tty.max = 1 below); the console (-t 0) gets a shell
      `tty1::respawn:${need('getty')} -L tty1 115200 vt100`,
      `console::askfirst:-${need('sh')}`,
      `::ctrlaltdel:${need('umount')} -a -r`,
    ];
    const files: [string, string, number?][] = [
      ['etc/hostname', `${ctx.name}\n`],
      ['etc/hosts', `127.0.0.1 localhost\n127.0.1.1 ${ctx.name}\n`],
      ['etc/passwd', `root:x:0:0:root:/root:${need('sh')}\n`],
      ['etc/group', 'root:x:0:\n'],
      ['etc/shadow', 'root::19000:0:99999:7:::\n', 0o600],
      ['etc/shells', `${need('sh')}\n`],
      ['etc/fstab', ''],
      ['etc/inittab', `${inittab.join('\n')}\n`],
      ['etc/init.d/rcS', `#!${need('sh')}\n# lxdeck busybox: no DHCP client here; LXC sets the static address (lxc.net.0.ipv4.address).\n${need('mount')} -a 2>/dev/null\n${need('hostname')} -F /etc/hostname\n${need('ip')} link set lo up\n`, 0o755],
    ];
    for (const [p, c, mode] of files) writeFileInRootfs(rootfs, p, c, mode ?? 0o644);
    const problems = inittabProblems(rootfs, TTY_MAX);
    if (problems.length) throw new LxdeckError('E_TEMPLATE', `the busybox template wrote an /etc/inittab init cannot run: ${problems.map((p) => p.message).join('; ')}`);
    ctx.onProgress({ phase: 'rootfs', fraction: 1 });
    return {
      config: [
        // busybox init halts on SIGUSR1 and reboots on SIGTERM (lxc-busybox uses the same)
        ['lxc.signal.halt', 'SIGUSR1'],
        ['lxc.signal.reboot', 'SIGTERM'],
        ['lxc.autodev', '1'],
        ['lxc.tty.max', String(TTY_MAX)],
        ['lxc.pty.max', '16'],
        ['lxc.cap.drop', 'sys_module mac_admin mac_override sys_time'],
      ],
    };
  },
};
