/**
 * User-namespace id maps for unprivileged containers (lxc.container.conf(5),
 * "UID MAPPINGS": `lxc.idmap = u|g NSID HOSTID RANGE`), the subordinate id
 * files `/etc/subuid` and `/etc/subgid` (subuid(5), subgid(5):
 * `NAME_OR_ID:START:COUNT`), and shifting a rootfs's ownership into a range.
 *
 * lxdeck makes root-owned unprivileged containers: container root (id 0)
 * and the 65535 ids after it map to host ids BASE..BASE+65535, for uids and
 * gids alike (`u 0 BASE 65536` and `g 0 BASE 65536`). BASE is chosen per
 * container so that no two containers of an lxcpath share a host id, inside
 * what /etc/subuid AND /etc/subgid give root (newuidmap/newgidmap refuse
 * anything else; notes/host-facts.md).
 */
import type { IdmapEntry } from './types.js';
export type { IdmapEntry };
import { lstatSync, lchownSync, chmodSync, readdirSync, readFileSync, statSync, existsSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { LxdeckError } from './errors.js';

/** Host ids each container gets: ids 0..65535 inside, as LXC's own templates and lxc-usernsexec use. */
export const IDMAP_SIZE = 65536;

/** Where a root range is added when /etc/subuid or /etc/subgid give root none (the usual first subordinate id). */
export const SUBID_DEFAULT_START = 100000;

/** How many ids the added root range holds: room for 10000 containers of {@link IDMAP_SIZE}. */
export const SUBID_DEFAULT_COUNT = IDMAP_SIZE * 10000;

/** A half-open run of host ids: start .. start+count-1. */
export interface IdRange {
  start: number;
  count: number;
}

/** One line of /etc/subuid or /etc/subgid. */
export interface SubidEntry extends IdRange {
  /** user name or numeric uid as written */
  owner: string;
}


/**
 * Parses /etc/subuid or /etc/subgid text (`NAME:START:COUNT` per line,
 * subuid(5)). Blank lines, `#` comments and malformed lines are skipped.
 */
export function parseSubidFile(text: string): SubidEntry[] {
  const out: SubidEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([^:\s]+):(\d+):(\d+)$/.exec(line);
    if (!m) continue;
    const start = Number(m[2]);
    const count = Number(m[3]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || count <= 0) continue;
    out.push({ owner: m[1], start, count });
  }
  return out;
}

/** The ranges of `entries` owned by root (written `root` or `0`). */
export function rootRanges(entries: readonly SubidEntry[]): IdRange[] {
  return entries.filter((e) => e.owner === 'root' || e.owner === '0').map(({ start, count }) => ({ start, count }));
}

/**
 * Parses one `lxc.idmap` value (`u 0 100000 65536`).
 * @returns the entry, or null when the value is not of that shape (`b` maps become a `u` and a `g` entry are not expanded here: LXC 5 has no `b`)
 */
export function parseIdmap(value: string): IdmapEntry | null {
  const m = /^\s*([ug])\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(value);
  if (!m) return null;
  return { type: m[1] as 'u' | 'g', nsid: Number(m[2]), hostid: Number(m[3]), count: Number(m[4]) };
}

/** The two `lxc.idmap` values of a root-owned unprivileged container at `base`: `u 0 BASE 65536`, `g 0 BASE 65536`. */
export function idmapValues(base: number, size = IDMAP_SIZE): [string, string] {
  return [`u 0 ${base} ${size}`, `g 0 ${base} ${size}`];
}

function overlapsRange(a: IdRange, b: IdRange): boolean {
  return a.start < b.start + b.count && b.start < a.start + a.count;
}

/** Intersections of two range lists (ids present in both). */
export function intersectRanges(a: readonly IdRange[], b: readonly IdRange[]): IdRange[] {
  const out: IdRange[] = [];
  for (const x of a)
    for (const y of b) {
      const s = Math.max(x.start, y.start);
      const e = Math.min(x.start + x.count, y.start + y.count);
      if (e > s) out.push({ start: s, count: e - s });
    }
  return out.sort((p, q) => p.start - q.start);
}

/**
 * The lowest BASE such that BASE..BASE+size-1 lies inside one of `available`
 * and overlaps none of `used`. Candidates are the start of each available
 * range and the end of each used range, so ranges pack without gaps.
 * @param available host id ranges root may map (both subuid and subgid: see {@link intersectRanges})
 * @param used host id ranges already mapped by containers (uid and gid maps alike)
 * @throws LxdeckError E_CONFIG when no free range of `size` ids is left
 */
export function allocateIdmapBase(available: readonly IdRange[], used: readonly IdRange[], size = IDMAP_SIZE): number {
  if (available.length === 0)
    throw new LxdeckError('E_CONFIG', 'root has no subordinate id range that is in both /etc/subuid and /etc/subgid', {
      hint: `add the same line to both files, e.g. root:${SUBID_DEFAULT_START}:${SUBID_DEFAULT_COUNT} (subuid(5)), or create a privileged container with --privileged`,
    });
  const candidates = [...available.map((r) => r.start), ...used.map((u) => u.start + u.count)].sort((a, b) => a - b);
  for (const c of candidates) {
    const want = { start: c, count: size };
    if (!available.some((r) => c >= r.start && c + size <= r.start + r.count)) continue;
    if (used.some((u) => overlapsRange(u, want))) continue;
    return c;
  }
  const total = available.reduce((n, r) => n + r.count, 0);
  throw new LxdeckError('E_CONFIG', `no free range of ${size} subordinate ids left for root (${total} ids in /etc/subuid and /etc/subgid, ${used.length} ranges in use)`, {
    hint: 'give root a larger range in both /etc/subuid and /etc/subgid (subuid(5)), destroy unused unprivileged containers, or use --privileged',
  });
}

/**
 * The host id ranges mapped by `lxc.idmap` values (uid and gid maps both count, so that
 * a BASE used for one kind is never handed out for the other).
 */
export function usedRanges(idmapValuesSeen: readonly string[]): IdRange[] {
  const out: IdRange[] = [];
  for (const v of idmapValuesSeen) {
    const e = parseIdmap(v);
    if (e) out.push({ start: e.hostid, count: e.count });
  }
  return out;
}

/**
 * The text to write so that root owns a range in a subid file that gives it none:
 * `root:START:COUNT` where START is {@link SUBID_DEFAULT_START}, or the first id
 * past every range already in the file when those reach higher (never overlapping
 * another owner's range), or `prefer` when it is free in this file.
 * @returns the new file text (the old text, a final newline, the new line)
 */
export function addRootRange(text: string, prefer?: IdRange, count = SUBID_DEFAULT_COUNT): { text: string; range: IdRange } {
  const entries = parseSubidFile(text);
  let range: IdRange;
  if (prefer && !entries.some((e) => overlapsRange(e, prefer))) range = prefer;
  else {
    const end = entries.reduce((m, e) => Math.max(m, e.start + e.count), SUBID_DEFAULT_START);
    range = { start: end, count };
  }
  const head = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  return { text: `${head}root:${range.start}:${range.count}\n`, range };
}

// ------------------------------------------------------------ rootfs shift

/** What {@link shiftRootfsOwnership} did. */
export interface ShiftResult {
  /** inodes changed (hard links counted once) */
  entries: number;
  /** files whose setuid/setgid bits were put back after chown cleared them */
  modesRestored: number;
}

/**
 * Shifts every file's owner in `rootfs` into the container's range: uid → uid+base,
 * gid → gid+base, with `lchown` (a symlink's own owner changes, its target is never
 * followed). chown clears setuid/setgid bits (chown(2)), so the mode is put back
 * after. Hard-linked files are shifted once; directories on another file system
 * (a mount inside the rootfs) are not entered.
 * Same effect as LXC running its templates under lxc-usernsexec, or
 * `lxc-usernsexec -m b:0:BASE:65536 -- chown -R`.
 * Note: file capabilities (security.capability xattrs) are dropped by chown and not restored.
 * @param base first host id of the range
 * @param size ids in the range (default 65536); an owner id >= size cannot be shifted
 * @param fromBase the range the files are in now (default 0: a fresh rootfs); ids fromBase+k become base+k
 * @param signal checked between directories; aborting throws E_CANCELLED
 * @throws LxdeckError E_CONFIG when a file is owned by an id the range cannot hold;
 *   E_CANCELLED when `signal` aborts
 */
export async function shiftRootfsOwnership(rootfs: string, base: number, opts: { size?: number; signal?: AbortSignal; fromBase?: number } = {}): Promise<ShiftResult> {
  const size = opts.size ?? IDMAP_SIZE;
  // from a range at fromBase (a copy of an unprivileged container): ids fromBase.. become base..
  const from = opts.fromBase ?? 0;
  if (opts.signal?.aborted) throw new LxdeckError('E_CANCELLED', 'create cancelled while shifting the rootfs ownership');
  const rootSt = lstatSync(rootfs);
  if (!rootSt.isDirectory()) throw new LxdeckError('E_CONFIG', `${rootfs} is not a directory`);
  const seen = new Set<string>();
  const res: ShiftResult = { entries: 0, modesRestored: 0 };
  const shiftOne = (p: string, st: Stats) => {
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    if (st.uid < from || st.gid < from || st.uid - from >= size || st.gid - from >= size)
      throw new LxdeckError('E_CONFIG', `${p} is owned by ${st.uid}:${st.gid}, outside the ${size} ids an unprivileged container maps`, {
        hint: 'fix the owner in the rootfs source, or create the container with --privileged',
      });
    lchownSync(p, st.uid - from + base, st.gid - from + base);
    res.entries++;
    if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) {
      chmodSync(p, st.mode & 0o7777);
      res.modesRestored++;
    }
  };
  shiftOne(rootfs, rootSt);
  const stack = [rootfs];
  while (stack.length > 0) {
    if (opts.signal?.aborted) throw new LxdeckError('E_CANCELLED', 'create cancelled while shifting the rootfs ownership');
    const dir = stack.pop()!;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      shiftOne(p, st);
      if (st.isDirectory() && st.dev === rootSt.dev) stack.push(p);
    }
    // let signal handlers (SIGINT/SIGTERM → abort) run between directories
    await new Promise<void>((r) => setImmediate(r));
  }
  return res;
}

// ------------------------------------------------------------ host files

/** Where the subordinate id files are; tests point these at temporary files. */
export interface SubidPaths {
  subuid: string;
  subgid: string;
}

export const HOST_SUBID_PATHS: SubidPaths = { subuid: '/etc/subuid', subgid: '/etc/subgid' };

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/**
 * The id ranges root may map for both uids and gids, adding
 * `root:START:COUNT` (see {@link addRootRange}) to a file that gives root none
 * (host-facts: without it newuidmap refuses the map). Files are replaced through a
 * temporary file and a rename, keeping their mode.
 * @param write the atomic writer to use (path, text, mode)
 * @returns the usable ranges and which files were changed
 */
export async function ensureRootSubids(
  write: (path: string, text: string, mode: number) => Promise<void>,
  paths: SubidPaths = HOST_SUBID_PATHS,
): Promise<{ ranges: IdRange[]; added: string[] }> {
  let uText = readOrEmpty(paths.subuid);
  let gText = readOrEmpty(paths.subgid);
  let u = rootRanges(parseSubidFile(uText));
  let g = rootRanges(parseSubidFile(gText));
  const added: string[] = [];
  const modeOf = (p: string) => (existsSync(p) ? statSync(p).mode & 0o7777 : 0o644);
  if (u.length === 0) {
    const r = addRootRange(uText, g[0]);
    await write(paths.subuid, r.text, modeOf(paths.subuid));
    uText = r.text;
    u = [r.range];
    added.push(`${paths.subuid}: root:${r.range.start}:${r.range.count}`);
  }
  if (g.length === 0) {
    const r = addRootRange(gText, u[0]);
    await write(paths.subgid, r.text, modeOf(paths.subgid));
    gText = r.text;
    g = [r.range];
    added.push(`${paths.subgid}: root:${r.range.start}:${r.range.count}`);
  }
  return { ranges: intersectRanges(u, g), added };
}
