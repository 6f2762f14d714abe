/**
 * core/rootfs/inittab.ts on small rootfs trees in a temporary directory: busybox's inittab
 * format, symlinks resolved inside the rootfs (never on the host), the problems found, and the
 * repair of a repeating entry whose program is missing (only that).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inittabProblems, isBusyboxInit, parseInittab, repairInittab, resolveInRootfs } from '../../core/rootfs/inittab.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A rootfs with /bin/busybox (a script), /etc/init.d/rcS, the links /sbin/init, /sbin/getty, /bin/sh, /bin/umount, and `inittab`. */
function rootfs(inittab: string): string {
  const r = mkdtempSync(join(tmpdir(), 'lxdeck-inittab-'));
  made.push(r);
  for (const d of ['bin', 'sbin', 'etc', 'etc/init.d']) mkdirSync(join(r, d));
  writeFileSync(join(r, 'etc/init.d/rcS'), '#!/bin/sh\n');
  chmodSync(join(r, 'etc/init.d/rcS'), 0o755);
  writeFileSync(join(r, 'bin/busybox'), '#!/bin/true\n');
  chmodSync(join(r, 'bin/busybox'), 0o755);
  for (const l of ['sbin/init', 'sbin/getty', 'bin/sh', 'bin/umount']) symlinkSync('/bin/busybox', join(r, l));
  writeFileSync(join(r, 'etc/inittab'), inittab);
  return r;
}

const OLD = '::sysinit:/etc/init.d/rcS\ntty1::respawn:/bin/getty -L tty1 115200 vt100\nconsole::askfirst:-/bin/sh\n::ctrlaltdel:/bin/umount -a -r\n';

describe('busybox inittab', () => {
  it('parses id:runlevels:action:process, the login-shell dash, comments and short lines', () => {
    const e = parseInittab('# c\n\ntty1::respawn:/sbin/getty -L tty1 115200 vt100\nconsole::askfirst:-/bin/sh\nbad:line\n::shutdown:/bin/sh -c "a:b"\n');
    expect(e.map((x) => [x.line, x.id, x.action, x.program])).toEqual([
      [3, 'tty1', 'respawn', '/sbin/getty'],
      [4, 'console', 'askfirst', '/bin/sh'],
      [6, '', 'shutdown', '/bin/sh'],
    ]);
    expect(e[2].process).toBe('/bin/sh -c "a:b"');
  });

  it('resolves links inside the rootfs: an absolute target and .. never reach the host', () => {
    const r = rootfs('');
    symlinkSync('/etc/passwd', join(r, 'bin/hostlink'));
    symlinkSync('../../../../../etc/passwd', join(r, 'bin/up'));
    expect(resolveInRootfs(r, '/sbin/getty')).toBe(join(r, 'bin/busybox'));
    expect(resolveInRootfs(r, '/bin/hostlink')).toBeNull(); // the rootfs has no /etc/passwd
    expect(resolveInRootfs(r, '/bin/up')).toBeNull();
    symlinkSync('loop2', join(r, 'bin/loop1'));
    symlinkSync('loop1', join(r, 'bin/loop2'));
    expect(resolveInRootfs(r, '/bin/loop1')).toBeNull();
  });

  it('finds a missing program, one that is not executable, and a tty beyond lxc.tty.max', () => {
    const r = rootfs(OLD.replace('::ctrlaltdel:/bin/umount', '::ctrlaltdel:/etc/inittab') + 'tty2::respawn:/sbin/getty -L tty2 115200 vt100\n');
    expect(inittabProblems(r, 1).map((p) => [p.entry.line, p.kind])).toEqual([
      [2, 'missing'],
      [4, 'not-executable'],
      [5, 'no-tty'],
    ]);
    expect(inittabProblems(r).map((p) => p.kind)).toEqual(['missing', 'not-executable']);
  });

  it('repairs the old template\'s /bin/getty to /sbin/getty with a comment, keeps the mode, and a second run changes nothing', () => {
    const r = rootfs(OLD);
    chmodSync(join(r, 'etc/inittab'), 0o600);
    expect(isBusyboxInit(r)).toBe(true);
    expect(repairInittab(r)).toEqual(['tty1::respawn:/bin/getty -L tty1 115200 vt100 -> tty1::respawn:/sbin/getty -L tty1 115200 vt100']);
    const t = readFileSync(join(r, 'etc/inittab'), 'utf8');
    expect(t).toBe(OLD.replace('tty1::respawn:/bin/getty', '# lxdeck: /bin/getty is not in this rootfs (busybox init re-ran it every second and jammed); now /sbin/getty\ntty1::respawn:/sbin/getty'));
    expect(statSync(join(r, 'etc/inittab')).mode & 0o777).toBe(0o600);
    expect(inittabProblems(r, 1)).toEqual([]);
    expect(repairInittab(r)).toEqual([]);
    expect(readFileSync(join(r, 'etc/inittab'), 'utf8')).toBe(t);
  });

  it('leaves alone: a program with no same-named one, a run-once entry, a rootfs whose init is not busybox, a symlinked inittab', () => {
    const r = rootfs('tty1::respawn:/bin/nosuch\n::once:/bin/getty\n');
    expect(repairInittab(r)).toEqual([]);
    expect(readFileSync(join(r, 'etc/inittab'), 'utf8')).toBe('tty1::respawn:/bin/nosuch\n::once:/bin/getty\n');
    const s = rootfs(OLD);
    rmSync(join(s, 'sbin/init'));
    writeFileSync(join(s, 'sbin/init'), '#!/bin/true\n');
    expect(repairInittab(s)).toEqual([]);
    const l = rootfs(OLD);
    const target = join(l, 'elsewhere');
    writeFileSync(target, OLD);
    rmSync(join(l, 'etc/inittab'));
    symlinkSync(target, join(l, 'etc/inittab'));
    expect(() => repairInittab(l)).toThrow(/symlink/);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
  });
});
