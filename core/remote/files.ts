/**
 * Reading and writing a remote host's files for the code that reads a host through a HostFs
 * (core/cgroup: limits): the files it needs are copied into a {@link SnapshotFs} in a few
 * requests, learnt by running it over the copy ({@link readThrough}), so the local readers,
 * parsers and deciders run unchanged; cgroup writes and a config go in one request
 * ({@link WRITE_SCRIPT}), the kernel's refusal reported by its errno as a local write would be.
 * Each request is one script run by the host's long-lived shell (shell.ts) on its one SSH
 * connection; the host needs only sh, head, tee, mktemp, mv (coreutils or busybox).
 */
import { normalize } from 'node:path';
import { LxdeckError } from '../errors.js';
import { SnapshotFs, parseHeadFrames } from './snapshot-fs.js';

/**
 * Copies files and directory listings ($@: host paths): each directory as a frame
 * `==> DIR/ <==` with one entry name a line and an empty line, then every other path that can be
 * read through ONE `head -v` (its frames, see parseHeadFrames; an unreadable or missing one
 * prints nothing), then a newline. Builtins but for head.
 */
export const READ_SCRIPT = `for p; do
  [ -d "$p" ] || continue
  printf '==> %s/ <==\\n' "$p"
  for e in "$p"/* "$p"/.[!.]* "$p"/..?*; do { [ -e "$e" ] || [ -L "$e" ]; } && printf '%s\\n' "\${e##*/}"; done
  echo
done
for p; do shift; [ -d "$p" ] || set -- "$@" "$p"; done
[ $# -eq 0 ] || head -v -c 16777216 -- "$@" </dev/null 2>/dev/null
echo`;

/** What one read gave: file contents and directory listings (sorted names), by normalised host path. */
export interface RemoteFiles {
  files: Map<string, string>;
  listings: Map<string, string[]>;
}

/** Parses {@link READ_SCRIPT}'s output. Pure. */
export function parseReadReply(text: string): RemoteFiles {
  const files = new Map<string, string>();
  const listings = new Map<string, string[]>();
  for (const [p, t] of parseHeadFrames(text)) {
    if (p.endsWith('/') && p !== '/') listings.set(normalize(p).replace(/\/+$/, ''), t.split('\n').filter(Boolean).sort());
    else files.set(p, t);
  }
  return { files, listings };
}

/** Most requests {@link readThrough} makes before it gives up (each learns what the last pass lacked). */
export const MAX_READ_ROUNDS = 6;

/**
 * Runs `fn` over a copy of the host's files, copying first `seed`, then, until a pass asks for
 * nothing new, what the last pass asked for and the copy lacked (SnapshotFs misses: a file not
 * copied reads as absent, so one pass finds every file its branches read; a later pass may
 * branch on what came and ask for more). The value is that of the first pass with no new miss,
 * so it is what `fn` gives over the host itself; `fn` must only read (it runs several times).
 * An error `fn` throws in a pass with new misses is taken for their lack; in a complete pass it is thrown.
 * @param read one request for paths (files or directories); what it cannot read it leaves out
 * @returns fn's value, and how many requests it took
 * @throws what `fn` throws; what `read` throws; LxdeckError E_COMMAND after {@link MAX_READ_ROUNDS} requests
 */
export async function readThrough<T>(read: (paths: string[]) => Promise<RemoteFiles>, seed: readonly string[], fn: (fs: SnapshotFs) => T): Promise<{ value: T; rounds: number }> {
  const fs = new SnapshotFs();
  const files = new Map<string, string>();
  const listings = new Map<string, string[]>();
  const asked = new Set<string>();
  let want = [...new Set(seed.map((p) => normalize(p)))];
  for (let round = 1; round <= MAX_READ_ROUNDS; round++) {
    if (want.length) {
      const got = await read(want);
      for (const p of want) asked.add(p);
      for (const [p, t] of got.files) files.set(p, t);
      for (const [p, l] of got.listings) listings.set(p, l);
      fs.load(new Map(files), listings);
    }
    let result: { ok: true; value: T } | { ok: false; error: unknown };
    const rec = fs.record(() => {
      try {
        return { ok: true as const, value: fn(fs) };
      } catch (error) {
        return { ok: false as const, error };
      }
    });
    result = rec.value;
    want = [...rec.misses].filter((p) => !asked.has(p));
    if (want.length === 0) {
      if (result.ok) return { value: result.value, rounds: round };
      throw result.error;
    }
  }
  throw new LxdeckError('E_COMMAND', `reading the host's files took more than ${MAX_READ_ROUNDS} requests`, { hint: 'a file set that keeps changing; try again' });
}

/**
 * Writes cgroup files, in order, then (when $1 is not empty) a config whole. Arguments: CONFIG
 * (path or empty), its TEXT, N, then N pairs PATH VALUE. Each value goes to its file through
 * `tee` (one write(2), as cgroupfs wants; tee says the kernel's errno in words); a missing file
 * is refused before it is opened (never created). The first refusal stops everything, config
 * included, with a line `refused INDEX STRERROR` and exit status 3. The config goes to a
 * temporary file beside it, takes the old one's mode and owner (GNU --reference, where there
 * is one), is synced and renamed over it; exit status 4 when that fails.
 */
export const WRITE_SCRIPT = `cfg=$1; text=$2; n=$3; shift 3; i=0
while [ "$i" -lt "$n" ]; do
  p=$1; v=$2; shift 2
  [ -e "$p" ] || { printf 'refused %s No such file or directory\n' "$i"; exit 3; }
  if ! e=$(printf '%s' "$v" | tee -- "$p" 2>&1 >/dev/null); then printf 'refused %s %s\n' "$i" "\${e##*: }"; exit 3; fi
  i=$((i+1))
done
[ -n "$cfg" ] || exit 0
t=$(mktemp "$cfg.lxdeck-XXXXXX") || exit 4
if printf '%s' "$text" > "$t"; then
  if [ -e "$cfg" ]; then chmod --reference="$cfg" "$t" 2>/dev/null; chown --reference="$cfg" "$t" 2>/dev/null; fi
  sync "$t" 2>/dev/null
  mv -f "$t" "$cfg" && exit 0
fi
rm -f "$t"
exit 4`;

/** The arguments of {@link WRITE_SCRIPT}: cgroup writes in order, then the config (path and text) or none. */
export function writeArgs(writes: readonly { path: string; value: string }[], config: { path: string; text: string } | null): string[] {
  return [config?.path ?? '', config?.text ?? '', String(writes.length), ...writes.flatMap((w) => [w.path, w.value])];
}

/** strerror(3) texts (glibc, musl and busybox say the same) to errno names, for {@link refusalOf}. */
const ERRNO_OF_TEXT: Record<string, string> = {
  'Invalid argument': 'EINVAL',
  'Device or resource busy': 'EBUSY',
  'Resource busy': 'EBUSY',
  'No such device': 'ENODEV',
  'No such file or directory': 'ENOENT',
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'No space left on device': 'ENOSPC',
  'Numerical result out of range': 'ERANGE',
  'Result not representable': 'ERANGE',
  'Read-only file system': 'EROFS',
  'Input/output error': 'EIO',
  'I/O error': 'EIO',
};

/**
 * The refused write of {@link WRITE_SCRIPT}'s output: which one (index into the pairs) and a
 * Node-like errno error (`code` from the strerror text, undefined when unknown; message the
 * text), for core/cgroup/limits.ts cgroupWriteError; null when the output names none. Pure.
 */
export function refusalOf(stdout: string): { index: number; error: NodeJS.ErrnoException } | null {
  const m = /^refused (\d+) (.*)$/m.exec(stdout);
  if (!m) return null;
  const text = m[2].trim();
  const error = new Error(text) as NodeJS.ErrnoException;
  const code = ERRNO_OF_TEXT[text];
  if (code) error.code = code;
  return { index: Number(m[1]), error };
}
