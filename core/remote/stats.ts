/**
 * Remote stats (issue 10): ONE remote command per tick copies every file a local stats pass
 * would read (core/stats/sampler.ts and locate.ts: the monitor's cgroup.procs and command line,
 * init's stat and cgroup, the cgroup counter and limit files of v1 and v2, veth counters,
 * /proc/meminfo, the online CPUs, mountinfo) into one framed text; the client loads it into a
 * {@link SnapshotFs} and runs the unchanged {@link StatsSampler} over it. So the parsers and
 * the formulas (S1 memory, CPU % from deltas, v1/v2 differences) are the local ones, and the
 * remote needs only sh, cat and the kernel's files. The sampler's clock is the remote's
 * /proc/uptime read in the same command (centiseconds), so CPU % is not skewed by latency.
 */
import { randomBytes } from 'node:crypto';
import { normalize } from 'node:path';
import { HostFs } from '../host/host-fs.js';
import { detectCgroupLayout } from '../cgroup/layout.js';
import { StatsSampler, StatsStream } from '../stats/sampler.js';
import type { StatsPass, StatsSource, StatsStreamLike } from '../stats/types.js';
import type { SshTransport } from './ssh.js';

/** The cgroup files of a container's cgroup directories the sampler reads (v1 and v2 names). */
export const CGROUP_FILES = [
  'cgroup.freeze', 'cgroup.events', 'freezer.state',
  'cpuacct.usage', 'cpu.stat', 'cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.max',
  'cpuset.effective_cpus', 'cpuset.cpus.effective',
  'memory.usage_in_bytes', 'memory.current', 'memory.stat', 'memory.memsw.usage_in_bytes', 'memory.swap.current', 'memory.limit_in_bytes', 'memory.max',
  'pids.current', 'pids.max',
  'blkio.throttle.io_service_bytes', 'io.stat',
  'cpu.pressure', 'memory.pressure', 'io.pressure',
] as const;

/**
 * The remote script ($1 the lxcpath; $2, a frame marker, is not used any more): finds every file
 * a pass reads with sh builtins (`[ -f ]`, `read`, `printf`), then copies them all with
 * `head -v -c 16M -- FILE...` (one, or a few when xargs splits a long list): `==> FILE <==`
 * before each file's bytes (NULs of a cmdline included), a newline between files and one after
 * the last ({@link parseHeadFrames}). A child process per file (the first version ran a cat for
 * each) made one pass over 50 containers take 1.2 s.
 * The monitor's cgroup.procs is copied from every hierarchy (the locator reads the one of its
 * reference hierarchy, locate.ts referenceDir); the processes are walked once.
 */
export const STATS_SCRIPT = `lp=$1; t=$2
{
f() { [ -f "$1" ] && [ -r "$1" ] && printf '%s\\0' "$1"; }
f /proc/uptime; f /proc/self/mountinfo; f /proc/meminfo; f /sys/devices/system/cpu/online
mnts=
while read -r _ m ty _; do case $ty in cgroup|cgroup2) mnts="$mnts $m";; esac; done </proc/self/mounts
for m in $mnts; do f "$m/cgroup.controllers"; done
for d in "$lp"/*/; do
  n=\${d%/}; n=\${n##*/}
  [ -f "$lp/$n/config" ] || continue
  f "$lp/$n/config"
  mon=
  for m in $mnts; do
    [ -r "$m/lxc.monitor.$n/cgroup.procs" ] || continue
    f "$m/lxc.monitor.$n/cgroup.procs"
    [ -n "$mon" ] || mon=$m/lxc.monitor.$n/cgroup.procs
  done
  [ -n "$mon" ] || continue
  {
    while read -r mp; do
      [ -n "$mp" ] || continue
      f /proc/$mp/cmdline; f /proc/$mp/task/$mp/children
      c=; read -r c _ 2>/dev/null </proc/$mp/task/$mp/children
      [ -n "$c" ] || continue
      f /proc/$c/stat; f /proc/$c/cgroup; f /proc/$c/net/dev
      seen=
      while IFS=: read -r _ _ p; do
        case $p in */lxc.payload.$n/*) p=\${p%%/lxc.payload.$n/*}/lxc.payload.$n;; esac
        for m2 in $mnts; do
          dir=$m2$p
          case " $seen " in *" $dir "*) continue;; esac
          seen="$seen $dir"
          [ -d "$dir" ] || continue
          for x in ${CGROUP_FILES.join(' ')}; do f "$dir/$x"; done
        done
      done </proc/$c/cgroup
      while IFS= read -r l; do
        case $l in *veth.pair*=*) v=\${l#*=}; set -- $v; [ -n "\${1:-}" ] && { f /sys/class/net/$1/statistics/rx_bytes; f /sys/class/net/$1/statistics/tx_bytes; };; esac
      done <"$lp/$n/config"
    done <"$mon"
  }
done
} | xargs -0 -r sh -c 'head -v -c 16777216 -- "$@" 2>/dev/null; echo' sh
`;

/**
 * Splits `head -v` output (what {@link STATS_SCRIPT} prints) into files: `==> PATH <==\n` then
 * the file's bytes, before every header but the first a newline head adds, and one newline at
 * the very end (the script's `echo`, which also joins the output of several heads). A file whose
 * text holds a line `==> X <==` itself would be cut there (no file the script copies has one).
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

/**
 * Splits the first script version's output (`\x01MARK F PATH\n` frames) into files.
 * @returns host path to its exact contents
 */
export function parseFrames(text: string, mark: string): Map<string, string> {
  const files = new Map<string, string>();
  const sep = `\x01${mark} F `;
  const parts = text.split(sep);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    if (nl < 0) continue;
    files.set(normalize(part.slice(0, nl)), part.slice(nl + 1));
  }
  return files;
}

function enoent(path: string): NodeJS.ErrnoException {
  const e = new Error(`ENOENT: no such file (not in the remote snapshot): ${path}`) as NodeJS.ErrnoException;
  e.code = 'ENOENT';
  return e;
}

/**
 * A read-only {@link HostFs} over files copied from a remote host at one moment (a map of host
 * path to contents); directories are those the paths imply. Writes throw EROFS.
 */
export class SnapshotFs extends HostFs {
  private files = new Map<string, string>();
  private dirs = new Map<string, Set<string>>();

  /** @param files host path to contents (parseFrames); empty until {@link load} */
  constructor(files?: Map<string, string>) {
    super('/');
    if (files) this.load(files);
  }

  /** Replaces the snapshot. */
  load(files: Map<string, string>): void {
    this.files = files;
    this.dirs = new Map();
    for (const p of files.keys()) {
      let child = p;
      for (let dir = parentOf(p); dir !== null; child = dir, dir = parentOf(dir)) {
        let s = this.dirs.get(dir);
        if (!s) this.dirs.set(dir, (s = new Set()));
        s.add(child.slice(child.lastIndexOf('/') + 1));
      }
    }
  }

  /** @throws an ENOENT errno error for a path not in the snapshot */
  override readText(path: string): string {
    const t = this.files.get(normalize(path));
    if (t === undefined) throw enoent(path);
    return t;
  }

  /** True for a copied file, or a directory that holds one. */
  override exists(path: string): boolean {
    const p = normalize(path);
    return this.files.has(p) || this.dirs.has(p.replace(/\/+$/, '') || '/');
  }

  /** @throws an ENOENT errno error for a directory not in the snapshot */
  override readdir(path: string): string[] {
    const s = this.dirs.get(normalize(path).replace(/\/+$/, '') || '/');
    if (!s) throw enoent(path);
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

/**
 * Stats of a remote lxcpath: each {@link pass} is one remote command (the script above), then
 * a local {@link StatsSampler} pass over the copy. Rates come from deltas between passes as
 * locally.
 */
export class RemoteStatsSource implements StatsSource {
  private readonly fs = new SnapshotFs();
  private sampler: StatsSampler | null = null;
  private uptimeUsec = 0;

  constructor(
    private readonly transport: SshTransport,
    readonly lxcpath: string,
  ) {}

  /**
   * One pass over every container of the remote lxcpath (or `names`; unknown names read as STOPPED).
   * @throws LxdeckError E_UNREACHABLE (also E_HOST_KEY, E_AUTH, E_TIMEOUT) from the transport; E_COMMAND when the remote has no /proc/self/mountinfo
   */
  async pass(names?: readonly string[]): Promise<StatsPass> {
    const mark = randomBytes(8).toString('hex');
    const r = await this.transport.run(['sh', '-c', STATS_SCRIPT, 'sh', this.lxcpath, mark], { timeoutMs: 20_000 });
    const files = parseHeadFrames(r.stdout);
    this.fs.load(files);
    const up = Number((files.get('/proc/uptime') ?? '').split(/\s+/)[0]);
    this.uptimeUsec = Number.isFinite(up) && up > 0 ? Math.round(up * 1e6) : this.uptimeUsec;
    this.sampler ??= new StatsSampler({ lxcpath: this.lxcpath, fs: this.fs, layout: detectCgroupLayout(this.fs), clockUsec: () => this.uptimeUsec });
    return this.sampler.passSync(names);
  }

  /** Passes at an interval (StatsStream: a tick is skipped while a pass runs; a failed pass ends the stream with its error). */
  stream(opts: { intervalMs: number; names?: readonly string[]; count?: number }): StatsStreamLike {
    return new StatsStream(this, opts);
  }
}
