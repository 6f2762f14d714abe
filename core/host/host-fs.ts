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
  readSync,
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

/**
 * A buffer reused for reading small files without making a string of each (the stats pass
 * reads about ten cgroup and /proc files per container each second: as strings that was
 * most of the console's allocation with 500 containers, bench/README.md section 11).
 * After {@link HostFs.readBytes} the file is `bytes[0 .. length)`; the buffer grows (doubling)
 * when a file does not fit, and keeps that size.
 */
export class FileBytes {
  bytes: Buffer;
  /** bytes of the last file read */
  length = 0;

  /** @param size initial capacity, bytes (default 16 KiB: v2 memory.stat is about 1.5 KiB) */
  constructor(size = 16384) {
    this.bytes = Buffer.allocUnsafe(size);
  }

  /** The last file read as latin1 text (for the rare fallback to a text parser; allocates). */
  text(): string {
    return this.bytes.toString('latin1', 0, this.length);
  }
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

  /**
   * Reads the whole file at host path `path` into `into` (see {@link FileBytes}), without
   * making a string: open(2), read(2) until end of file, close(2). cgroupfs, /proc and sysfs
   * files report size 0, so no fstat is asked for.
   * @returns false when the file vanished (ENOENT, ESRCH, ENODEV: a process that exited, a
   *   cgroup removed before or during the read), `into.length` then 0
   * @throws other errno errors (EACCES, EISDIR...) unchanged; LxdeckError E_UNSAFE_PATH as {@link resolve}
   */
  readBytes(path: string, into: FileBytes): boolean {
    return this.readResolvedBytes(this.resolve(path), into);
  }

  /**
   * {@link readBytes} for a path already given to {@link resolve} (a caller that reads the
   * same files every second keeps the resolved paths, and saves resolve's normalising).
   * @param real the real path, as {@link resolve} returned it
   */
  readResolvedBytes(real: string, into: FileBytes): boolean {
    into.length = 0;
    let fd: number;
    try {
      fd = openSync(real, constants.O_RDONLY);
    } catch (e) {
      if (isVanishedError(e)) return false;
      throw e;
    }
    try {
      let total = 0;
      for (;;) {
        if (total === into.bytes.length) {
          const bigger = Buffer.allocUnsafe(into.bytes.length * 2);
          into.bytes.copy(bigger, 0, 0, total);
          into.bytes = bigger;
        }
        const n = readSync(fd, into.bytes, total, into.bytes.length - total, null);
        if (n === 0) break;
        total += n;
      }
      into.length = total;
      return true;
    } catch (e) {
      into.length = 0;
      if (isVanishedError(e)) return false;
      throw e;
    } finally {
      closeSync(fd);
    }
  }

  /** True when the host path exists (following symlinks). */
  exists(path: string): boolean {
    return existsSync(this.resolve(path));
  }

  /** {@link exists} for a path already given to {@link resolve}. */
  existsResolved(real: string): boolean {
    return existsSync(real);
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
