import { LxdeckError } from '../../core/errors.js';
import type { Runner } from '../../core/exec/runner.js';

/**
 * Rootfs archives: listed and checked with `tar -t` before anything is
 * extracted, then extracted with `tar --numeric-owner -xpf` (GNU tar picks the
 * decompressor from the archive's magic: gzip, xz, zstd, bzip2).
 */

/** Archive suffixes lxdeck accepts for a rootfs. */
export const ARCHIVE_SUFFIXES = ['.tar', '.tar.gz', '.tgz', '.tar.xz', '.txz', '.tar.zst', '.tar.zstd', '.tzst', '.tar.bz2'];

/** What {@link checkMembers} found. */
export interface MemberCheck {
  count: number;
  /** container paths (e.g. `/sbin/init`) among the members that an init or a shell can be */
  bootables: string[];
}

/**
 * Member names as `tar -t` prints them (GNU tar escapes newlines and
 * backslashes in names, so one line is one member).
 */
export function splitListing(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.length > 0);
}

/**
 * Checks the member names of a rootfs archive: none may be absolute or hold a
 * `..` component (either would write outside the rootfs), and the archive must
 * hold an init or a shell (`sbin/init`, `bin/sh`, or their `usr/` forms, as a
 * file or a link: what they resolve to is checked after extraction) unless
 * `requireBootable` is false (for a metadata archive).
 * @throws LxdeckError E_UNSAFE_PATH naming the first bad member; E_TEMPLATE when there is no init nor shell.
 */
export function checkMembers(names: string[], what = 'archive', requireBootable = true): MemberCheck {
  const bootables = new Set<string>();
  for (const raw of names) {
    if (raw.startsWith('/'))
      throw new LxdeckError('E_UNSAFE_PATH', `the ${what} holds the absolute member ${JSON.stringify(raw)}`, {
        hint: 'a rootfs archive holds paths relative to the rootfs (made with tar -C ROOTFS .); this one could write anywhere on the host',
      });
    const comps = raw.split('/');
    if (comps.includes('..'))
      throw new LxdeckError('E_UNSAFE_PATH', `the ${what} holds the member ${JSON.stringify(raw)}, which leaves the rootfs`, {
        hint: 'refusing an archive with ".." in a member name',
      });
    const clean = comps.filter((c) => c && c !== '.').join('/');
    if (['sbin/init', 'usr/sbin/init', 'bin/sh', 'usr/bin/sh'].includes(clean)) bootables.add(`/${clean}`);
  }
  if (requireBootable && bootables.size === 0)
    throw new LxdeckError('E_TEMPLATE', `the ${what} holds no /sbin/init nor /bin/sh: not a rootfs`, {
      hint: 'give an archive of a whole root file system (tar -C ROOTFS -czf rootfs.tar.gz .)',
    });
  return { count: names.length, bootables: [...bootables].sort() };
}

/**
 * Lists an archive's members with `tar -tf` and checks them ({@link checkMembers}).
 * @throws LxdeckError E_TEMPLATE when tar cannot read it (corrupt, unknown compression,
 *   missing xz/zstd), E_UNSAFE_PATH as checkMembers.
 */
export async function listAndCheckArchive(runner: Runner, file: string, opts: { signal?: AbortSignal; what?: string; requireBootable?: boolean } = {}): Promise<MemberCheck> {
  const r = await runner.run('tar', ['-tf', file], { timeoutMs: 10 * 60_000, signal: opts.signal });
  if (r.exitCode !== 0)
    throw new LxdeckError('E_TEMPLATE', `cannot read the archive ${file}: ${lastLine(r.stderr)}`, {
      hint: 'check that it is a tar archive, and that its decompressor is installed (xz-utils, zstd, gzip)',
    });
  return checkMembers(splitListing(r.stdout), opts.what, opts.requireBootable !== false);
}

/**
 * Extracts `file` into `dir` keeping numeric owners, modes and special files
 * (`tar --numeric-owner -xpf FILE -C DIR`), as lxc-download does. GNU tar also
 * refuses to write through symlinks it made itself from the archive (it creates
 * links with absolute or `..` targets last).
 * @param onLine progress lines (tar's warnings)
 * @throws LxdeckError E_TEMPLATE when tar fails.
 */
export async function extractArchive(runner: Runner, file: string, dir: string, opts: { signal?: AbortSignal; onLine?: (l: string) => void } = {}): Promise<void> {
  const r = await runner.run('tar', ['--numeric-owner', '-xpf', file, '-C', dir], {
    timeoutMs: 30 * 60_000,
    signal: opts.signal,
    onLine: opts.onLine ? (l) => opts.onLine!(l) : undefined,
  });
  if (r.exitCode !== 0) throw new LxdeckError('E_TEMPLATE', `extracting ${file} failed: ${lastLine(r.stderr)}`);
}

function lastLine(s: string): string {
  const ls = s.trim().split('\n').filter(Boolean);
  return ls[ls.length - 1] ?? 'no error message';
}
