/**
 * Snapshots in lxc-snapshot's own layout (lxc-snapshot(1)), so `lxc-snapshot -L` sees what
 * lxdeck makes and lxdeck sees what lxc-snapshot made:
 *
 *   <lxcpath>/<name>/snaps/<snap>/config    the container's config at snapshot time
 *   <lxcpath>/<name>/snaps/<snap>/rootfs/   a copy of the rootfs (dir backing), or an overlay delta
 *   <lxcpath>/<name>/snaps/<snap>/ts        "YYYY:MM:DD HH:MM:SS", the host's local time
 *   <lxcpath>/<name>/snaps/<snap>/comment   the text given with `lxc-snapshot -c FILE`, when any
 *
 * LXC names snapshots itself: the first free `snapN` (N = 0, 1, ...). It snapshots only a
 * STOPPED container (a running one needs `--allowrunning`, which lxc-snapshot does not offer),
 * and `lxc-snapshot -r SNAP` without `-N` destroys the container (everything but `snaps/`: the
 * rootfs, the config, lxdeck's sidecar) before it clones the snapshot into its place, so
 * {@link restoreInPlace} moves the current state aside first and puts it back when LXC fails.
 */
import { existsSync } from 'node:fs';
import { stat, copyFile, link, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LxdeckError } from '../errors.js';
import type { SnapshotInfo } from '../types.js';
import type { LxcDriver } from './driver.js';
import { readConfig, writeConfig, type LxcConfig } from './config.js';

/** The rule for snapshot names, for messages. */
export const SNAPSHOT_NAME_RULE =
  "a snapshot name is LXC's snapN (lxdeck snapshots NAME lists them), or 1 to 63 letters, digits, '.', '_' and '-' starting with a letter or digit; not ALL";

const SNAP_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Checks a snapshot name before it becomes a path (`snaps/<snap>`) and an argv element
 * (`lxc-snapshot -r SNAP`, `-d SNAP`): one path component, not an option, and not `ALL`
 * (which `lxc-snapshot -d` reads as "every snapshot"). Case N1's kind.
 * @throws LxdeckError E_NAME_INVALID (exit status 2) with {@link SNAPSHOT_NAME_RULE}.
 */
export function validateSnapshotName(snap: string): void {
  if (typeof snap === 'string' && SNAP_RE.test(snap) && snap !== 'ALL') return;
  const shown = JSON.stringify(typeof snap === 'string' ? (snap.length > 40 ? `${snap.slice(0, 40)}...` : snap) : String(snap));
  throw new LxdeckError('E_NAME_INVALID', `${shown} is not a snapshot name: ${SNAPSHOT_NAME_RULE}`, { hint: 'e.g. snap0' });
}

/** `snaps/` of a container. */
export function snapsDir(containerDir: string): string {
  return join(containerDir, 'snaps');
}

/**
 * Reads lxc-snapshot's `ts` ("2026:12:04 23:15:53", local time, strftime "%Y:%m:%d %H:%M:%S")
 * as ISO 8601; null when it does not parse.
 */
export function parseSnapshotTs(text: string): string | null {
  const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const t = new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

/** snap2 before snap10: LXC's names by their number, others after them by name. */
export function snapOrder(a: string, b: string): number {
  const na = /^snap(\d+)$/.exec(a);
  const nb = /^snap(\d+)$/.exec(b);
  if (na && nb) return Number(na[1]) - Number(nb[1]);
  if (na) return -1;
  if (nb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The snapshots of a container, as `lxc-snapshot -L -C` lists them: the entries of `snaps/`
 * that hold a `config`, with their `ts` and `comment` files. Sorted snap0, snap1, ... snap10.
 * @throws the file system's EACCES/EPERM for a snapshot this user may not read (never skipped as if missing)
 */
export async function listSnapshots(containerDir: string): Promise<SnapshotInfo[]> {
  let entries: string[];
  try {
    entries = await readdir(snapsDir(containerDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  const out: SnapshotInfo[] = [];
  // a file that is missing is no snapshot (or no time, no comment); one this user may not read
  // (LXC makes snapshot directories 0770) is an error (EACCES: permission denied), never skipped
  const missing = (e: unknown): null => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  };
  for (const snap of entries.sort(snapOrder)) {
    const dir = join(snapsDir(containerDir), snap);
    if ((await stat(join(dir, 'config')).catch(missing)) === null) continue;
    const ts = await readFile(join(dir, 'ts'), 'utf8').catch(missing);
    const comment = await readFile(join(dir, 'comment'), 'utf8').catch(missing);
    out.push({ name: snap, created: ts === null ? null : parseSnapshotTs(ts), comment: comment === null ? null : comment.replace(/\n$/, '') });
  }
  return out;
}

/** @throws LxdeckError E_NOT_FOUND when `snaps/<snap>/config` is missing (after validating the name). */
export function requireSnapshot(containerDir: string, name: string, snap: string): void {
  validateSnapshotName(snap);
  if (!existsSync(join(snapsDir(containerDir), snap, 'config')))
    throw new LxdeckError('E_NOT_FOUND', `${name} has no snapshot ${snap}`, { hint: `lxdeck snapshots ${name} lists them` });
}

/**
 * Takes a snapshot with `lxc-snapshot [-c FILE]` (the comment goes through a private temporary
 * file) and returns the one it made (the entry of `snaps/` that was not there before).
 * A `snaps/` directory LXC made for a snapshot that failed is removed again.
 * The caller checks that the container is STOPPED.
 * @throws LxdeckError E_COMMAND, E_TIMEOUT (from the driver), E_INVALID_VALUE (a comment with a NUL).
 */
export async function takeSnapshot(driver: LxcDriver, containerDir: string, name: string, comment?: string): Promise<SnapshotInfo> {
  if (comment !== undefined && comment.includes('\0')) throw new LxdeckError('E_INVALID_VALUE', 'a snapshot comment cannot hold a NUL character');
  const hadSnaps = existsSync(snapsDir(containerDir));
  const before = new Set((await listSnapshots(containerDir)).map((s) => s.name));
  let tmp: string | undefined;
  try {
    let file: string | undefined;
    if (comment !== undefined && comment !== '') {
      tmp = await mkdtemp(join(tmpdir(), 'lxdeck-comment-'));
      file = join(tmp, 'comment');
      await writeFile(file, comment.endsWith('\n') ? comment : `${comment}\n`, { mode: 0o600 });
    }
    await driver.snapshot(name, file);
  } catch (e) {
    if (!hadSnaps) await rmdir(snapsDir(containerDir)).catch(() => undefined);
    throw e;
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  const made = (await listSnapshots(containerDir)).filter((s) => !before.has(s.name));
  if (made.length !== 1)
    throw new LxdeckError('E_COMMAND', `lxc-snapshot reported success for ${name} but ${made.length === 0 ? 'no new snapshot' : 'several new snapshots'} appeared in ${snapsDir(containerDir)}`, {
      hint: `lxdeck snapshots ${name} lists them`,
    });
  return made[0];
}

/**
 * True when the storage LXC's restore replaces lies inside the container directory, so it can
 * be moved aside: `rootfs/` for dir backing (`dir:PATH` or a bare path), the upper directory
 * of an overlay (`overlay:LOWER:UPPER`), the image file of a loop rootfs (`loop:FILE`). False for a backing store whose data lies elsewhere
 * (lvm, zfs, a rootfs outside the container directory): lxdeck cannot keep it safe.
 */
function storageInside(containerDir: string, rootfsPath: string | undefined): boolean {
  const inside = (p: string) => p === join(containerDir, 'rootfs') || p.startsWith(`${containerDir}/`);
  if (rootfsPath === undefined) return true; // LXC's default: <dir>/rootfs
  const v = rootfsPath.trim();
  if (/^(overlay|overlayfs):/.test(v)) {
    const parts = v.split(':');
    return parts.length >= 3 && inside(parts[parts.length - 1]);
  }
  if (v.startsWith('dir:')) return inside(v.slice(4));
  // a loop image (lxc-create -B loop, lxdeck's --backing loop) is a file in the container directory
  if (v.startsWith('loop:')) return inside(v.slice(5));
  if (v.startsWith('/')) return inside(v);
  return false;
}

/**
 * The config keys that make a container's identity on the network and on the host
 * (lxc.container.conf(5): lxc.net.N.hwaddr, .veth.pair, .link, .ipv4.address, .ipv4.gateway,
 * .ipv6.address, .ipv6.gateway; the legacy lxc.network.* names; lxc.idmap), which a restore in
 * place keeps: LXC's restore is a clone of the snapshot (lxc-snapshot -r calls lxc_clone without
 * LXC_CLONE_KEEPMACADDR), which gives every `xx` of a hwaddr new random digits.
 */
const IDENTITY_KEY = /^lxc\.(net|network)\.\d+\.(hwaddr|veth\.pair|link|ipv4\.address|ipv4\.gateway|ipv6\.address|ipv6\.gateway|ipv4|ipv6)$|^lxc\.network\.(hwaddr|veth\.pair|link|ipv4|ipv4\.gateway|ipv6|ipv6\.gateway)$|^lxc\.idmap$|^lxc\.id_map$/;

/**
 * Puts the identity keys of `before` (a container's config before a restore) into `after` (the
 * config LXC's restore wrote), in place of the ones there: each such key of either config gets
 * exactly `before`'s values.
 * @returns the keys whose values changed back
 */
export function keepIdentity(before: LxcConfig, after: LxcConfig): string[] {
  const keys = new Set([...before.entries(), ...after.entries()].map((e) => e.key).filter((k) => IDENTITY_KEY.test(k)));
  const changed: string[] = [];
  for (const k of keys) {
    const want = before.getAll(k);
    const have = after.getAll(k);
    if (want.length === have.length && want.every((v, i) => v === have[i])) continue;
    changed.push(k);
    if (want.length === 1 && have.length === 1) after.set(k, want[0]);
    else {
      after.unset(k);
      for (const v of want) after.append(k, v);
    }
  }
  return changed;
}

/**
 * Restores snapshot `snap` in place with `lxc-snapshot -r SNAP`, keeping what LXC would lose:
 * every entry of the container directory but `config` and `snaps/` (the rootfs, lxdeck's
 * sidecar, logs) is first moved aside into `stageRoot` (a rename: no copy), the config is
 * copied there. When LXC succeeds, the old rootfs is removed and the small files it does not
 * bring back (the sidecar with its protection flag and idmap base, logs) are put back; when it
 * fails, what LXC left is removed and the container is put back as it was. The container keeps
 * its identity ({@link keepIdentity}): hwaddr (which LXC's clone makes anew), veth name, bridge
 * and addresses (host-wide address records name them), idmap.
 * The caller checks that the container is STOPPED and the snapshot exists.
 * @throws LxdeckError E_UNSAFE_PATH (storage outside the container directory), E_COMMAND, E_TIMEOUT.
 */
export async function restoreInPlace(driver: LxcDriver, containerDir: string, name: string, snap: string, stageRoot: string): Promise<void> {
  const cfg = await readConfig(join(containerDir, 'config'));
  if (!storageInside(containerDir, cfg.get('lxc.rootfs.path')))
    throw new LxdeckError('E_UNSAFE_PATH', `the rootfs of ${name} (${cfg.get('lxc.rootfs.path')}) is not inside ${containerDir}; lxdeck cannot keep it safe while LXC replaces it`, {
      hint: `restore it as a new container (lxdeck restore ${name} ${snap} --as NEW), or run lxc-snapshot -P ${driver.lxcpath} -n ${name} -r ${snap} yourself`,
    });
  await mkdir(stageRoot, { recursive: true, mode: 0o700 });
  const aside = join(stageRoot, `restore-${name}-${randomBytes(4).toString('hex')}`);
  await mkdir(aside, { mode: 0o700 });
  const entries = (await readdir(containerDir)).filter((e) => e !== 'snaps' && e !== 'config');
  // a loop image stays where LXC's restore expects to destroy it (it unlinks the file, then makes
  // a new image from the snapshot): a hard link aside keeps the old data until the restore is done
  const rootfsVal = cfg.get('lxc.rootfs.path')?.trim() ?? '';
  const loopImage = rootfsVal.startsWith('loop:') ? rootfsVal.slice(5) : null;
  const moved: string[] = [];
  const putBack = async (which: string[]) => {
    for (const e of which) {
      if (join(containerDir, e) === loopImage && existsSync(loopImage)) await rm(join(aside, e), { force: true });
      else await rename(join(aside, e), join(containerDir, e));
    }
  };
  try {
    await copyFile(join(containerDir, 'config'), join(aside, 'config'));
    for (const e of entries) {
      if (join(containerDir, e) === loopImage) await link(loopImage, join(aside, e));
      else await rename(join(containerDir, e), join(aside, e));
      moved.push(e);
    }
  } catch (e) {
    // nothing was handed to LXC yet: undo the moves (EXDEV: stageRoot on another file system)
    await putBack(moved);
    await rm(aside, { recursive: true, force: true });
    throw new LxdeckError('E_COMMAND', `could not move the current state of ${name} aside before the restore: ${(e as Error).message}`, { cause: e });
  }
  try {
    await driver.snapshotRestore(name, snap);
  } catch (e) {
    // put the container back as it was: remove what LXC made or left, then the moved entries and the config
    for (const left of await readdir(containerDir).catch(() => [] as string[])) {
      if (left !== 'snaps') await rm(join(containerDir, left), { recursive: true, force: true });
    }
    await mkdir(containerDir, { recursive: true });
    await putBack(moved);
    await copyFile(join(aside, 'config'), join(containerDir, 'config'));
    await rm(aside, { recursive: true, force: true });
    throw e;
  }
  // LXC's clone brought the snapshot's storage and config; keep our files it does not know
  const now = new Set(await readdir(containerDir));
  const files: string[] = [];
  for (const e of moved) {
    if (now.has(e)) continue;
    if (!(await lstat(join(aside, e))).isDirectory()) files.push(e);
  }
  await putBack(files);
  const restored = await readConfig(join(containerDir, 'config'));
  if (keepIdentity(cfg, restored).length) await writeConfig(join(containerDir, 'config'), restored);
  await rm(aside, { recursive: true, force: true });
}
