import { constants, closeSync, lstatSync, mkdirSync, openSync, writeSync, symlinkSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { LxdeckError } from '../errors.js';

/**
 * Writes into a container's rootfs that never follow a symlink out of it
 * (DESIGN.md "Writes into a container's rootfs never follow a symlink out of it"; case T1).
 * Every path component below `rootfs` is checked with lstat, and the final
 * open uses O_NOFOLLOW, so a link anywhere on the way is refused.
 */

function resolveInside(rootfs: string, rel: string): string[] {
  const clean = normalize(rel).replace(/^\/+/, '');
  if (clean === '..' || clean.startsWith(`..${sep}`) || clean.includes(`${sep}..${sep}`))
    throw new LxdeckError('E_UNSAFE_PATH', `path ${rel} leaves the rootfs`, { hint: 'give a path inside the container' });
  return clean.split(sep).filter(Boolean);
}

function refuseLink(rootfs: string, parts: string[], upto: number): void {
  const p = join(rootfs, ...parts.slice(0, upto));
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return;
  }
  if (st.isSymbolicLink())
    throw new LxdeckError('E_UNSAFE_PATH', `refusing to write through the symlink ${join('/', ...parts.slice(0, upto))} in the rootfs ${rootfs}`, {
      hint: 'a symlink inside the container could point at a host file; remove it from the rootfs or fix the file from inside the container',
    });
}

/**
 * Creates directory `rel` (and parents) inside `rootfs`, refusing symlinks on the way.
 * @param mode permission bits for new directories (default 0o755)
 * @throws LxdeckError E_UNSAFE_PATH when a component is a symlink or the path leaves the rootfs.
 */
export function mkdirInRootfs(rootfs: string, rel: string, mode = 0o755): void {
  const parts = resolveInside(rootfs, rel);
  for (let i = 1; i <= parts.length; i++) {
    refuseLink(rootfs, parts, i);
    const p = join(rootfs, ...parts.slice(0, i));
    try {
      mkdirSync(p, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Writes `content` to file `rel` inside `rootfs` (created or truncated), never
 * following a symlink: parents are checked with lstat and the file is opened with O_NOFOLLOW.
 * @param mode permission bits of a new file (default 0o644)
 * @throws LxdeckError E_UNSAFE_PATH when the path or any parent is a symlink.
 */
export function writeFileInRootfs(rootfs: string, rel: string, content: string | Buffer, mode = 0o644): void {
  const parts = resolveInside(rootfs, rel);
  for (let i = 1; i < parts.length; i++) refuseLink(rootfs, parts, i);
  const p = join(rootfs, ...parts);
  let fd: number;
  try {
    fd = openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') refuseLink(rootfs, parts, parts.length);
    throw e;
  }
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
  } finally {
    closeSync(fd);
  }
}

/** Creates symlink `rel` → `target` inside `rootfs` (the link itself; its target is not touched). */
export function symlinkInRootfs(rootfs: string, rel: string, target: string): void {
  const parts = resolveInside(rootfs, rel);
  for (let i = 1; i < parts.length; i++) refuseLink(rootfs, parts, i);
  symlinkSync(target, join(rootfs, ...parts));
}
