import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { LxdeckError } from '../errors.js';
import type { Runner } from '../exec/runner.js';

/**
 * The cache of base rootfs trees and downloaded images, so a second container
 * of the same release is made by a copy instead of a new debootstrap/download.
 *
 * Layout: `<root>/<kind>/<key>/` holds what was built and a `.complete` marker
 * (JSON: when, and what the builder said about it). A build goes into
 * `<key>.partial-<random>` and is renamed into place only when complete, under
 * a lock (`<key>.lock`, proper-lockfile) so two creates never build the same
 * entry at once: the second waits, then copies what the first made.
 */

/** Default cache root (FHS: /var/cache holds data an application can rebuild). */
export const DEFAULT_CACHE_ROOT = '/var/cache/lxdeck';

/** The cache root: `$LXDECK_CACHE` when set, else {@link DEFAULT_CACHE_ROOT}. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.LXDECK_CACHE;
  return v && v.trim() ? resolve(v) : DEFAULT_CACHE_ROOT;
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * The directory of one cache entry: `<root>/<kind>/<key>`.
 * @param key one path component of letters, digits and `._+-` (e.g. `debian-bookworm-amd64`)
 * @throws LxdeckError E_INVALID_VALUE for a key that is not one safe component.
 */
export function cacheEntryDir(kind: string, key: string, root: string = cacheRoot()): string {
  for (const k of [kind, key])
    if (!KEY_RE.test(k) || k.length > 200) throw new LxdeckError('E_INVALID_VALUE', `invalid cache key ${JSON.stringify(k)}`);
  return join(root, kind, key);
}

/** What {@link ensureCached} returns. */
export interface CacheEntry {
  /** the entry's directory, complete */
  dir: string;
  /** true when it was there already; false when this call built it */
  hit: boolean;
  /** the `.complete` marker's content */
  info: Record<string, unknown>;
}

export interface EnsureCachedOptions {
  /** rebuild even when the entry is complete */
  refresh?: boolean;
  signal?: AbortSignal;
  /** told once when another process holds the lock and this one waits */
  onWait?: (lockPath: string) => void;
  /** how long to wait for another build, milliseconds; default 30 min */
  waitMs?: number;
  /** runner for unmounting what a killed build left mounted inside the partial tree */
  runner?: Runner;
}

/**
 * Returns the complete cache entry at `dir`, building it first with `build`
 * when it is missing (or `refresh`). `build(partial)` fills an empty directory;
 * it may return facts recorded in the marker. A failed or cancelled build leaves
 * no partial tree behind (mounts a killed debootstrap left inside it are
 * unmounted first).
 * @throws whatever `build` throws; LxdeckError E_CANCELLED on abort while waiting,
 *   E_TIMEOUT when another build holds the lock longer than `waitMs`.
 */
export async function ensureCached(
  dir: string,
  build: (partialDir: string) => Promise<Record<string, unknown> | void>,
  opts: EnsureCachedOptions = {},
): Promise<CacheEntry> {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  const marker = join(dir, '.complete');
  if (!opts.refresh && existsSync(marker)) return { dir, hit: true, info: readMarker(marker) };
  const release = await acquire(dir, opts);
  try {
    if (!opts.refresh && existsSync(marker)) return { dir, hit: true, info: readMarker(marker) };
    const partial = `${dir}.partial-${randomBytes(4).toString('hex')}`;
    mkdirSync(partial, { mode: 0o755 });
    try {
      const facts = (await build(partial)) ?? {};
      if (opts.signal?.aborted) throw new LxdeckError('E_CANCELLED', 'cancelled');
      const info = { built: new Date().toISOString(), ...facts };
      writeFileSync(join(partial, '.complete'), `${JSON.stringify(info, null, 2)}\n`);
      await removeTree(dir, opts.runner);
      await rename(partial, dir);
      return { dir, hit: false, info };
    } catch (e) {
      await removeTree(partial, opts.runner);
      throw e;
    }
  } finally {
    await release();
  }
}

function readMarker(p: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function acquire(dir: string, opts: EnsureCachedOptions): Promise<() => Promise<void>> {
  const lockPath = `${dir}.lock`;
  const deadline = Date.now() + (opts.waitMs ?? 30 * 60_000);
  let told = false;
  for (;;) {
    if (opts.signal?.aborted) throw new LxdeckError('E_CANCELLED', 'cancelled while waiting for the cache lock');
    try {
      // the holder refreshes the lock's mtime every stale/2 ms, so a long debootstrap keeps it
      return await (await import('proper-lockfile')).default.lock(dir, { lockfilePath: lockPath, realpath: false, stale: 60_000, retries: 0, onCompromised: () => {} });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ELOCKED') throw e;
    }
    if (!told) {
      opts.onWait?.(lockPath);
      told = true;
    }
    if (Date.now() > deadline)
      throw new LxdeckError('E_TIMEOUT', `another lxdeck has been building ${dir} for too long`, { hint: `if no lxdeck runs, remove ${lockPath}` });
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Mount points at or below `dir`, deepest first, from /proc/self/mountinfo
 * (proc(5): field 5 is the mount point, octal-escaped).
 */
export async function mountsUnder(dir: string, mountinfo = '/proc/self/mountinfo'): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(mountinfo, 'utf8');
  } catch {
    return [];
  }
  const base = resolve(dir);
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === base || m.startsWith(`${base}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes a tree that may hold mounts (a killed debootstrap leaves /proc and
 * /sys mounted in its target): each is lazily unmounted first (`umount -l`), so
 * the removal never descends into a host file system.
 * @throws LxdeckError E_COMMAND when a mount stays after umount (the tree is then left alone).
 */
export async function removeTree(dir: string, runner?: Runner): Promise<void> {
  if (!existsSync(dir)) return;
  const mounts = await mountsUnder(dir);
  if (mounts.length) {
    if (!runner) throw new LxdeckError('E_COMMAND', `${dir} holds mounts (${mounts[0]}); not removing it`);
    for (const m of mounts) await runner.run('umount', ['-l', m], { timeoutMs: 30_000 });
    const left = await mountsUnder(dir);
    if (left.length) throw new LxdeckError('E_COMMAND', `cannot unmount ${left[0]}; leaving ${dir} in place`, { hint: `umount -l ${left[0]} && rm -rf ${dir}` });
  }
  await rm(dir, { recursive: true, force: true });
}

/**
 * Copies the tree `from` into the existing directory `to` keeping owners,
 * modes, links, special files and hard links (`cp -a --reflink=auto FROM/. TO`,
 * coreutils; a reflink copy on btrfs/XFS).
 * @throws LxdeckError E_COMMAND when cp fails.
 */
export async function copyTree(runner: Runner, from: string, to: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const r = await runner.run('cp', ['-a', '--reflink=auto', `${from}/.`, to], { timeoutMs: 30 * 60_000, signal: opts.signal });
  if (r.exitCode !== 0) throw new LxdeckError('E_COMMAND', `copying ${from} to ${to} failed: ${r.stderr.trim().split('\n').pop()}`);
}
