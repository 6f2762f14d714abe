/**
 * Finding the programs lxdeck runs, through a HostFs (so fixture trees can
 * hold them): a search of the standard PATH directories, the setuid bit
 * (newuidmap, newgidmap) and whether an ELF file is statically linked
 * (busybox for the busybox template).
 */
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import type { HostFs } from '../host/host-fs.js';

/** Directories searched, in order (Debian's root PATH plus /usr/local). */
export const SEARCH_PATH: readonly string[] = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function statOrNull(fs: HostFs, path: string): Stats | null {
  try {
    return statSync(fs.resolve(path));
  } catch {
    return null;
  }
}

/**
 * The host path of the first regular file named `name` with an execute bit
 * in {@link SEARCH_PATH} (or `dirs`), like `command -v`; null when none.
 */
export function findProgram(fs: HostFs, name: string, dirs: readonly string[] = SEARCH_PATH): string | null {
  for (const d of dirs) {
    const p = `${d}/${name}`;
    const st = statOrNull(fs, p);
    if (st && st.isFile() && (Number(st.mode) & 0o111) !== 0) return p;
  }
  return null;
}

/** True when the host file at `path` has the set-user-ID bit and is owned by root (what newuidmap needs). */
export function isSetuidRoot(fs: HostFs, path: string): boolean {
  const st = statOrNull(fs, path);
  return st !== null && (Number(st.mode) & 0o4000) !== 0 && Number(st.uid) === 0;
}

/**
 * Whether an ELF file is statically linked: it is ELF and has no PT_INTERP
 * program header (elf(5)). Reads only the ELF header and program headers.
 * @returns true (static), false (dynamic), or null (not an ELF file, unreadable)
 */
export function isStaticElf(fs: HostFs, path: string): boolean | null {
  let fd: number;
  try {
    fd = openSync(fs.resolve(path), 'r');
  } catch {
    return null;
  }
  try {
    const h = Buffer.alloc(64);
    if (readSync(fd, h, 0, 64, 0) < 52) return null;
    if (h.readUInt32BE(0) !== 0x7f454c46) return null;
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? h.readBigUInt64LE(32) : h.readBigUInt64BE(32)) : u32(h, 28);
    const phentsize = u16(h, is64 ? 54 : 42);
    const phnum = u16(h, is64 ? 56 : 44);
    if (phnum === 0) return true;
    if (phentsize < 4 || phnum > 4096) return null;
    const ph = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, ph, 0, ph.length, phoff) < ph.length) return null;
    for (let i = 0; i < phnum; i++) if (u32(ph, i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}
