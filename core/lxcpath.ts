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
