import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LxdeckError } from '../../core/errors.js';
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
    const files: [string, string, number?][] = [
      ['etc/hostname', `${ctx.name}\n`],
      ['etc/hosts', `127.0.0.1 localhost\n127.0.1.1 ${ctx.name}\n`],
      ['etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'],
      ['etc/group', 'root:x:0:\n'],
      ['etc/shadow', 'root::19000:0:99999:7:::\n', 0o600],
      ['etc/shells', '/bin/sh\n'],
      ['etc/fstab', ''],
      ['etc/inittab', '::sysinit:/etc/init.d/rcS\ntty1::respawn:/bin/getty -L tty1 115200 vt100\nconsole::askfirst:-/bin/sh\n::ctrlaltdel:/bin/umount -a -r\n'],
      ['etc/init.d/rcS', '#!/bin/sh\n# lxdeck busybox: no DHCP client here; LXC sets the static address (lxc.net.0.ipv4.address).\n/bin/mount -a 2>/dev/null\n/bin/hostname -F /etc/hostname\n/sbin/ip link set lo up\n', 0o755],
    ];
    for (const [p, c, mode] of files) writeFileInRootfs(rootfs, p, c, mode ?? 0o644);
    ctx.onProgress({ phase: 'rootfs', fraction: 1 });
    return {
      config: [
        // busybox init halts on SIGUSR1 and reboots on SIGTERM (lxc-busybox uses the same)
        ['lxc.signal.halt', 'SIGUSR1'],
        ['lxc.signal.reboot', 'SIGTERM'],
        ['lxc.autodev', '1'],
        ['lxc.tty.max', '1'],
        ['lxc.pty.max', '16'],
        ['lxc.cap.drop', 'sys_module mac_admin mac_override sys_time'],
      ],
    };
  },
};
