/**
 * The one check of an lxcpath given to lxdeck (`--lxcpath`, LXDECK_LXCPATH, the engine option),
 * made before anything reads it or records it in host state.
 *
 * Follows LXC's own tools: `lxc-create -P PATH` and the other `lxc-*` tools take PATH relative
 * to the current directory, and `lxc-create` makes a missing lxcpath (mode 0755, parents too).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LxdeckError } from './errors.js';

/** What {@link checkLxcpath} found: the absolute path, and whether a directory is there yet. */
export interface LxcpathCheck {
  /** absolute, resolved against `cwd` once */
  path: string;
  /** false when nothing is at `path` yet (ls lists nothing; create makes it, as lxc-create does) */
  exists: boolean;
}

/**
 * Resolves and checks an lxcpath.
 * @param raw the path as given (relative paths are taken from `cwd`, as `lxc-* -P` takes them)
 * @param cwd the directory a relative path is read from (default process.cwd())
 * @returns the absolute path and whether it exists
 * @throws LxdeckError E_USAGE (exit status 2) for an empty path, or one that is a file (or anything but a
 *   directory, following symlinks); E_NOT_ROOT when a parent cannot be searched (EACCES), each with a hint
 */
export function checkLxcpath(raw: string, cwd: string = process.cwd()): LxcpathCheck {
  if (raw.trim() === '')
    throw new LxdeckError('E_USAGE', 'the lxcpath is empty (--lxcpath "" or LXDECK_LXCPATH= )', {
      hint: 'give a directory, e.g. --lxcpath /var/lib/lxc (the default when neither is set)',
    });
  const path = resolve(cwd, raw);
  try {
    const st = statSync(path);
    if (!st.isDirectory())
      throw new LxdeckError('E_USAGE', `the lxcpath ${path} is not a directory`, {
        hint: 'the lxcpath is the directory that holds the containers (lxc-* -P); give a directory, or a path that does not exist yet for create to make',
      });
    return { path, exists: true };
  } catch (e) {
    if (e instanceof LxdeckError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, exists: false };
    if (code === 'ENOTDIR')
      throw new LxdeckError('E_USAGE', `the lxcpath ${path} is not a directory: a parent of it is a file`, { hint: 'give a directory for --lxcpath' });
    if (code === 'EACCES')
      throw new LxdeckError('E_NOT_ROOT', `cannot reach the lxcpath ${path}: permission denied`, { hint: 'run it as root (e.g. sudo lxdeck), or give an lxcpath you can read' });
    throw e;
  }
}

/** The lxcpath when neither --lxcpath nor LXDECK_LXCPATH is given: LXC's own default (lxc.lxcpath of lxc.system.conf(5)). */
const LXC_DEFAULT_LXCPATH = '/var/lib/lxc';

/**
 * True when nothing is at `lxcpath` (ENOENT), the state a mistyped `--lxcpath` leaves: no
 * container can be there. False when it exists, or cannot be checked (EACCES: the caller's own
 * read reports that). One stat(2); no parse.
 * @param lxcpath an absolute lxcpath (as {@link checkLxcpath} returns it)
 */
export function lxcpathMissing(lxcpath: string): boolean {
  try {
    statSync(lxcpath);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * What to do about a missing lxcpath, for every message that says one is missing (the console's
 * list, `ls`, "no container named ..."): check the path, or let create make it as lxc-create does.
 */
export function missingLxcpathHint(lxcpath: string): string {
  return `a mistyped --lxcpath (or LXDECK_LXCPATH)? The default is ${LXC_DEFAULT_LXCPATH}; lxdeck create NAME makes a new lxcpath ${lxcpath}, as lxc-create does`;
}

/**
 * The error for a container name the lxcpath does not hold (no `<lxcpath>/<name>/config`, as
 * lxc-ls counts containers). When the lxcpath itself does not exist the message says so, since
 * "no container named web1" then reads as if the container was lost.
 * @param name the container name(s) asked for (joined by ", " when several)
 * @param lxcpath the absolute lxcpath
 * @returns LxdeckError E_NOT_FOUND (exit status 1) with a hint
 */
export function noContainerError(name: string, lxcpath: string): LxdeckError {
  if (lxcpathMissing(lxcpath))
    return new LxdeckError('E_NOT_FOUND', `no container named ${name}: the lxcpath ${lxcpath} does not exist`, { hint: missingLxcpathHint(lxcpath) });
  return new LxdeckError('E_NOT_FOUND', `no container named ${name} in ${lxcpath}`, { hint: 'lxdeck ls lists the containers' });
}
