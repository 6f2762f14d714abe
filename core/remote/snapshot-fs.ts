/**
 * A copy of some of a remote host's files as a read-only {@link HostFs}: what the remote stats
 * (stats.ts) and the remote limits (files.ts, backend.ts) load what they copied into, so the local
 * readers and parsers (core/stats, core/cgroup) run over it unchanged. The copies come as
 * `head -v` output ({@link parseHeadFrames}); directory listings may come besides.
 */
import { normalize } from 'node:path';
import { FileBytes, HostFs } from '../host/host-fs.js';

/**
 * Splits `head -v` output (what the stats reader prints) into files: `==> PATH <==\n` then
 * the file's bytes, before every header but the first a newline head adds, and one newline at
 * the very end (the script's `echo`, which also joins the output of several heads). A file whose
 * text holds a line `==> X <==` itself would be cut there (no file the scripts copy has one).
 * @returns host path to its exact contents
 */
export function parseHeadFrames(text: string): Map<string, string> {
  const files = new Map<string, string>();
  const re = /(?:^|\n)==> (.*?) <==\n/g;
  let prev: { path: string; start: number } | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (prev) files.set(normalize(prev.path), text.slice(prev.start, m.index));
    prev = { path: m[1], start: m.index + m[0].length };
  }
  if (prev) files.set(normalize(prev.path), text.slice(prev.start, text.endsWith('\n') ? -1 : undefined));
  return files;
}

function enoent(path: string): NodeJS.ErrnoException {
  const e = new Error(`ENOENT: no such file (not in the remote snapshot): ${path}`) as NodeJS.ErrnoException;
  e.code = 'ENOENT';
  return e;
}

const dirKey = (path: string) => normalize(path).replace(/\/+$/, '') || '/';

/**
 * A read-only {@link HostFs} over files copied from a remote host at one moment (a map of host
 * path to contents); directories are those the paths imply, and those whose listing was copied.
 * Writes throw EROFS.
 */
export class SnapshotFs extends HostFs {
  private files = new Map<string, string>();
  private dirs = new Map<string, Set<string>>();
  /** paths read (readText, exists) while {@link record} runs */
  private reads: Set<string> | null = null;
  /** paths asked for that the copy lacks (readText, exists, readdir) while {@link record} runs */
  private misses: Set<string> | null = null;

  /** @param files host path to contents (parseHeadFrames); empty until {@link load} */
  constructor(files?: Map<string, string>) {
    super('/');
    if (files) this.load(files);
  }

  /**
   * Replaces the snapshot (the directory index is kept when the same paths come again: a tick's).
   * @param listings directory (normalised host path) to its entry names, for directories whose
   *   listing was copied; their entries are known to exist (as directories or files)
   */
  load(files: Map<string, string>, listings?: ReadonlyMap<string, readonly string[]>): void {
    const same = !listings && files.size === this.files.size && [...files.keys()].every((k) => this.files.has(k));
    this.files = files;
    if (same) return;
    this.dirs = new Map();
    for (const [dir, names] of listings ?? []) this.dirs.set(dirKey(dir), new Set(names));
    for (const p of files.keys()) {
      let child = p;
      for (let dir = parentOf(p); dir !== null; child = dir, dir = parentOf(dir)) {
        let s = this.dirs.get(dir);
        if (!s) this.dirs.set(dir, (s = new Set()));
        s.add(child.slice(child.lastIndexOf('/') + 1));
      }
    }
  }

  /** True when the snapshot holds the file `path` (a normalised host path). */
  has(path: string): boolean {
    return this.files.has(path);
  }

  /**
   * Runs `fn` and returns it with the normalised paths it read or tested ({@link readText},
   * {@link exists}), and those it asked for that the copy lacks (`misses`: a file not copied,
   * an `exists` that answered false, a directory without a listing).
   */
  record<T>(fn: () => T): { value: T; reads: Set<string>; misses: Set<string> } {
    const reads = new Set<string>();
    const misses = new Set<string>();
    this.reads = reads;
    this.misses = misses;
    try {
      return { value: fn(), reads, misses };
    } finally {
      this.reads = null;
      this.misses = null;
    }
  }

  /** @throws an ENOENT errno error for a path not in the snapshot */
  override readText(path: string): string {
    const p = normalize(path);
    this.reads?.add(p);
    const t = this.files.get(p);
    if (t === undefined) {
      this.misses?.add(p);
      throw enoent(path);
    }
    return t;
  }

  /** True for a copied file, or a directory that holds one or whose listing was copied. */
  override exists(path: string): boolean {
    const p = normalize(path);
    if (this.reads && this.files.has(p)) this.reads.add(p);
    const yes = this.files.has(p) || this.dirs.has(dirKey(p)) || this.listed(p);
    if (!yes) this.misses?.add(p);
    return yes;
  }

  /**
   * {@link readText}'s copy as bytes (the stats pass reads its counter files this way,
   * core/stats/sampler.ts); recorded like readText.
   * @returns false for a path not in the snapshot (as a vanished file)
   */
  override readResolvedBytes(real: string, into: FileBytes): boolean {
    const p = normalize(real);
    this.reads?.add(p);
    const t = this.files.get(p);
    if (t === undefined) {
      this.misses?.add(p);
      into.length = 0;
      return false;
    }
    const n = Buffer.byteLength(t);
    if (n > into.bytes.length) into.bytes = Buffer.allocUnsafe(Math.max(n, into.bytes.length * 2));
    into.length = into.bytes.write(t, 0);
    return true;
  }

  /** {@link exists}: a snapshot's paths are host paths. */
  override existsResolved(real: string): boolean {
    return this.exists(real);
  }

  /** True when a copied listing of its parent names `path`. */
  private listed(p: string): boolean {
    const parent = parentOf(dirKey(p));
    return parent !== null && this.dirs.get(parent)?.has(dirKey(p).slice(dirKey(p).lastIndexOf('/') + 1)) === true;
  }

  /** @throws an ENOENT errno error for a directory not in the snapshot */
  override readdir(path: string): string[] {
    const s = this.dirs.get(dirKey(path));
    if (!s) {
      this.misses?.add(dirKey(path));
      throw enoent(path);
    }
    return [...s].sort();
  }

  /** The path itself (no symlinks are copied). @throws ENOENT when absent */
  override realpath(path: string): string {
    if (!this.exists(path)) throw enoent(path);
    return normalize(path);
  }

  /** @throws always: a snapshot is read-only (EROFS) */
  override writeText(path: string): void {
    const e = new Error(`EROFS: the remote snapshot is read-only: ${path}`) as NodeJS.ErrnoException;
    e.code = 'EROFS';
    throw e;
  }
}

function parentOf(p: string): string | null {
  if (p === '/') return null;
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
