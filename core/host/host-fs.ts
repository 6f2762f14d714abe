/**
 * A rooted view of the host's file system. Every read of /proc, /sys and /boot
 * (and every cgroup file write) goes through a HostFs, so tests point it at a
 * fixture tree (test/fixtures/host/<tree>/) and production uses root `/`.
 *
 * Paths given to a HostFs are always host paths (`/proc/self/mountinfo`,
 * `/sys/fs/cgroup/memory/lxc.payload.web1/memory.limit_in_bytes`); the root is
 * prefixed internally. Reads are synchronous on purpose: /proc and cgroupfs
 * files are small and in memory, and sync reads are about 5x faster than
 * promise reads for a stats pass (notes/host-facts.md).
 */
import {
  closeSync,
  constants,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { LxdeckError } from '../errors.js';

/** errno codes meaning "the file (or the process / cgroup it described) is gone". */
const VANISHED = new Set(['ENOENT', 'ESRCH', 'ENODEV']);

/** True when `e` is a Node errno error whose code says the file vanished (ENOENT, ESRCH, ENODEV). */
export function isVanishedError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && VANISHED.has(String((e as NodeJS.ErrnoException).code));
}

/** The errno code of a Node file-system error (`'EINVAL'`, `'EBUSY'`...), or undefined. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const c = (e as NodeJS.ErrnoException).code;
  return typeof c === 'string' ? c : undefined;
}

function escapes(rel: string): boolean {
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel);
}

export class HostFs {
  /** absolute, normalised root directory on the real file system (`/` in production) */
  readonly root: string;

  /** @param root directory that stands for the host's `/`; default `/` */
  constructor(root = '/') {
    this.root = resolve(root);
  }

  /**
   * The real path of host path `path` under this root.
   * @throws LxdeckError E_UNSAFE_PATH when `path` is relative or `..` climbs above the root.
   */
  resolve(path: string): string {
    if (!isAbsolute(path)) throw new LxdeckError('E_UNSAFE_PATH', `host path must be absolute: ${path}`);
    const n = normalize(path);
    if (this.root === '/') return n;
    const real = join(this.root, n);
    const rel = relative(this.root, real);
    if (escapes(rel)) throw new LxdeckError('E_UNSAFE_PATH', `host path escapes the root: ${path}`);
    return real;
  }

  /**
   * The whole file as UTF-8 text.
   * @throws the Node errno error (ENOENT, EACCES, EINVAL...) unchanged, so callers can read `code`.
   */
  readText(path: string): string {
    return readFileSync(this.resolve(path), 'utf8');
  }

  /**
   * Like {@link readText}, but null when the file vanished (ENOENT, ESRCH, ENODEV): a
   * process that exited, a cgroup removed mid-read, a controller not enabled.
   * @throws other errno errors (EACCES...) unchanged.
   */
  readTextOrNull(path: string): string | null {
    try {
      return this.readText(path);
    } catch (e) {
      if (isVanishedError(e)) return null;
      throw e;
    }
  }

  /** True when the host path exists (following symlinks). */
  exists(path: string): boolean {
    return existsSync(this.resolve(path));
  }

  /**
   * Entry names of a directory, sorted.
   * @throws the Node errno error (ENOENT, ENOTDIR...) unchanged.
   */
  readdir(path: string): string[] {
    return readdirSync(this.resolve(path)).sort();
  }

  /**
   * The canonical host path of `path` (symlinks resolved), as seen from inside the root.
   * @throws LxdeckError E_UNSAFE_PATH when the resolved path leaves the root.
   * @throws the Node errno error (ENOENT...) when the path does not exist.
   */
  realpath(path: string): string {
    const real = realpathSync(this.resolve(path));
    if (this.root === '/') return real;
    const rootReal = realpathSync(this.root);
    const rel = relative(rootReal, real);
    if (escapes(rel)) {
      throw new LxdeckError('E_UNSAFE_PATH', `${path} resolves outside ${this.root}`);
    }
    return '/' + rel;
  }

  /**
   * Writes `data` to an existing file in a single write(2) (the way cgroupfs
   * wants a value), opened O_WRONLY|O_TRUNC without O_CREAT: a missing cgroup
   * file is an error, never a new regular file.
   * @throws the Node errno error (ENOENT, EINVAL, EBUSY, EACCES...) unchanged.
   */
  writeText(path: string, data: string): void {
    const fd = openSync(this.resolve(path), constants.O_WRONLY | constants.O_TRUNC);
    try {
      const buf = Buffer.from(data, 'utf8');
      const n = writeSync(fd, buf, 0, buf.length);
      if (n !== buf.length) {
        const err = new Error(`short write to ${path}`) as NodeJS.ErrnoException;
        err.code = 'EIO';
        throw err;
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** The HostFs for the real host (`/`). */
export const hostRoot = (): HostFs => new HostFs('/');
