/**
 * Remote stats (issue 10): ONE long-lived reader per host ({@link READER_SCRIPT}, a `sh` on one
 * SSH channel) copies, on each tick's request, the files a local stats pass reads
 * (core/stats/sampler.ts and locate.ts: init's stat, the cgroup counter files of v1 and v2,
 * veth counters; after a change of the container set also the monitor's cgroup.procs and
 * command line, init's cgroup, mountinfo; every 5 s the limit and PSI files and the host
 * totals) into one `head -v` text; the client loads it into a {@link SnapshotFs} and runs the
 * unchanged {@link StatsSampler} over it. So the parsers and the formulas (S1 memory, CPU %
 * from deltas, v1/v2 differences) are the local ones, and the remote needs only sh, head,
 * xargs, tr and the kernel's files. The sampler's clock is the remote's /proc/uptime copied in
 * the same request (centiseconds), so CPU % is not skewed by latency.
 * Measured in bench/README.md section 8 (a pass over 50 containers about 1.2x the local one).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SnapshotFs, parseHeadFrames } from './snapshot-fs.js';
export { SnapshotFs, parseHeadFrames };
import { detectCgroupLayout } from '../cgroup/layout.js';
import { StatsSampler, StatsStream } from '../stats/sampler.js';
import type { StatsPass, StatsSource, StatsStreamLike } from '../stats/types.js';
import { LxdeckError } from '../errors.js';
import { ReplyReader, type ReaderChannel } from './reply-reader.js';
import type { SshTransport } from './ssh.js';
import { knownHostsName } from './known-hosts.js';

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
 * The walk (a shell function of {@link READER_SCRIPT}; `$lp` the lxcpath, `$mnts` the cgroup
 * mounts): prints, NUL-separated, every file a first pass over the lxcpath may read, found with
 * sh builtins (`[ -f ]`, `read`, `printf`): the host files, each container's config, its
 * monitor's cgroup.procs (from every hierarchy: the locator reads the one of its reference
 * hierarchy, locate.ts referenceDir), command line and children, its init's stat, cgroup and
 * net/dev, the {@link CGROUP_FILES} of each of its cgroup directories, its veths' counters.
 * A child process per file (the first version ran a cat for each) made one pass over 50
 * containers take 1.2 s; the output goes to ONE `head -v` (or a few, when xargs splits a long list).
 */
const WALK = `walk() {
f /proc/uptime; f /proc/self/mountinfo; f /proc/meminfo; f /sys/devices/system/cpu/online
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
done
}`;

/**
 * The stats reader: ONE long-lived `sh` per host on one exec channel ($1 the lxcpath), started
 * by the first pass and kept while the connection lives, so a tick costs one round trip and one
 * `head` over a list of files, not a channel, a login shell and a walk (about 90 ms for the
 * channel alone on loopback). Only sh, head, xargs and tr run there; nothing is installed.
 *
 * Requests, one line each on its stdin:
 *  - `W MARK`: walk ({@link WALK}) and copy every file found;
 *  - `L N [PID...]` and then N bytes: the tick list (newline-separated paths, the files a pass
 *    reads, as the client recorded them) and the init PIDs whose /proc entries must stay; no reply;
 *  - `K N` and then N bytes: the limit list (the files a pass reads only when it refreshes the
 *    limits, PSI and host totals, every few seconds); no reply;
 *  - `F MARK`: as T, with the limit list too;
 *  - `T MARK`: copy the tick list; but when the container set changed since the last walk
 *    (another `LXCPATH/NAME/config`, a monitor cgroup `lxc.monitor.NAME` come or gone: globs,
 *    no process; the monitors of one hierarchy that has some, LXC makes them in each) or one
 *    of those PIDs is gone (a restart), walk instead.
 * Reply: a line `\x01MARK W` or `\x01MARK T` (which was done), `head -v` output (`==> FILE <==`
 * before each file, see {@link parseHeadFrames}) and a newline, then a line `\x01MARK END`.
 * MARK is random per request and sent only on stdin, so no file copied can hold it.
 * `head` never reads stdin (</dev/null): the request stream is the shell's alone. A list longer
 * than about 1 MB goes through xargs (ARG_MAX). EOF on stdin (the channel closed) ends it.
 */
export const READER_SCRIPT = `lp=$1
nl='
'
oifs=$IFS
mnts=
while read -r _ m ty _; do case $ty in cgroup|cgroup2) mnts="$mnts $m";; esac; done </proc/self/mounts
mglob=
refglob() {
  mglob=
  for m in $mnts; do
    set -- "$m"/lxc.monitor.*
    [ -e "$1" ] && { mglob="$m/lxc.monitor.*"; return; }
  done
  for m in $mnts; do mglob="$mglob $m/lxc.monitor.*"; done
}
tl=/proc/uptime
tf=
sen=
sig=
s=
f() { [ -f "$1" ] && [ -r "$1" ] && printf '%s\\0' "$1"; }
sigof() { set -- "$lp"/*/config $mglob; s="$*"; }
heads() { xargs -0 -r sh -c 'head -v -c 16777216 -- "$@" </dev/null 2>/dev/null; echo' sh; }
${WALK}
while IFS= read -r req; do
  set -f; set -- $req; set +f
  case \${1:-} in
    L) n=$2; shift 2; sen=$*; tl=$(head -c "$n"); continue;;
    K) tf=$(head -c "$2"); continue;;
    T|W|F) mk=$2;;
    *) exit 2;;
  esac
  w=
  if [ "$1" = W ]; then w=1; else
    sigof; [ "$s" = "$sig" ] || w=1
    for p in $sen; do [ -d "/proc/$p" ] || { w=1; break; }; done
  fi
  if [ -n "$w" ]; then
    refglob; sigof; sig=$s
    printf '\\001%s W\\n' "$mk"
    walk | heads
  else
    printf '\\001%s T\\n' "$mk"
    l=$tl
    [ "$1" = F ] && [ -n "$tf" ] && l="$tl$nl$tf"
    if [ \${#l} -gt 1000000 ]; then
      printf '%s\\n' "$l" | tr '\\n' '\\0' | heads
    else
      IFS=$nl; set -f
      head -v -c 16777216 -- $l </dev/null 2>/dev/null
      set +f; IFS=$oifs
      echo
    fi
  fi
  printf '\\001%s END\\n' "$mk"
done
`;

export type { ReaderChannel } from './reply-reader.js';

/** What one request gave: whether the reader walked, and the files it copied. */
export interface ReaderReply {
  walked: boolean;
  files: Map<string, string>;
  /** bytes received */
  bytes: number;
}

/**
 * The client of one {@link READER_SCRIPT}: requests one at a time, each answered within
 * `timeoutMs` or the reader is closed (a host that stops answering never holds a pass).
 * A closed reader fails every later request: make a new one.
 */
export class StatsReader {
  private readonly reader: ReplyReader;

  /**
   * @param ch the reader's channel (its shell already started)
   * @param where `user@host:port` for messages
   * @param timeoutMs how long a reply may take, milliseconds
   */
  constructor(
    ch: ReaderChannel,
    private readonly where: string,
    private readonly timeoutMs: number,
  ) {
    this.reader = new ReplyReader(ch, { what: `the stats reader on ${where}`, where, again: 'the next pass starts it again' });
  }

  /** True once the channel closed or a request failed; the reader is of no more use. */
  get closed(): boolean {
    return this.reader.closed;
  }

  private parse(all: Buffer, end: string): ReaderReply {
    const text = all.toString('utf8');
    const nl = text.indexOf('\n');
    const head = text.slice(0, nl);
    const walked = head.endsWith(' W');
    const body = text.slice(nl + 1, text.length - end.length);
    return { walked, files: parseHeadFrames(body), bytes: all.length };
  }

  /**
   * One request: `walk` copies every file the walk finds; otherwise the tick list, with
   * `limits` the limit list too (the reader walks by itself when the container set changed).
   * `list` (with `pids`) and `limitList` first replace those lists (see {@link READER_SCRIPT}).
   * @throws LxdeckError E_UNREACHABLE when the reader ended, the connection dropped, or no reply came within the timeout (the reader is then closed)
   */
  async request(opts: { walk: boolean; limits?: boolean; list?: readonly string[]; pids?: readonly number[]; limitList?: readonly string[] }): Promise<ReaderReply> {
    const mark = randomBytes(8).toString('hex');
    const end = `\x01${mark} END\n`;
    let msg = '';
    if (opts.list) {
      const body = opts.list.join('\n');
      msg += `L ${Buffer.byteLength(body)}${(opts.pids ?? []).map((p) => ` ${p}`).join('')}\n${body}`;
    }
    if (opts.limitList) {
      const body = opts.limitList.join('\n');
      msg += `K ${Buffer.byteLength(body)}\n${body}`;
    }
    msg += `${opts.walk ? 'W' : opts.limits ? 'F' : 'T'} ${mark}\n`;
    const reply = await this.reader.ask(
      msg,
      (tail) => tail.endsWith(end),
      this.timeoutMs,
      () => new LxdeckError('E_UNREACHABLE', `${this.where} is unreachable: the stats reader did not answer within ${Math.round(this.timeoutMs / 1000)} s`, { hint: 'the next pass starts it again' }),
    );
    return this.parse(reply, end);
  }

  /** Closes the channel (a request in flight fails with E_UNREACHABLE). Idempotent. */
  close(): void {
    this.reader.close();
  }
}

/**
 * The reader's channel on an SSH connection: an exec channel of {@link READER_SCRIPT} ({@link sshChannel}).
 * @throws as SshTransport.exec
 */
export function sshReaderChannel(transport: SshTransport, lxcpath: string): Promise<ReaderChannel> {
  return sshChannel(transport, ['sh', '-c', READER_SCRIPT, 'sh', lxcpath]);
}

/**
 * A long-lived exec channel of `argv` on an SSH connection, as a {@link ReaderChannel}. Its close
 * is reported once, when the channel closes or the connection drops (then with the transport's
 * E_UNREACHABLE error), whichever comes first.
 * @throws as SshTransport.exec
 */
export async function sshChannel(transport: SshTransport, argv: readonly string[]): Promise<ReaderChannel> {
  const ch = await transport.exec(argv);
  const closers: ((code: number | null, why?: Error) => void)[] = [];
  let closed = false;
  const closeOnce = (code: number | null, why?: Error) => {
    if (closed) return;
    closed = true;
    off();
    for (const fn of closers) fn(code, why);
  };
  const off = transport.onDrop((e) => closeOnce(null, e));
  ch.on('close', (code: number | null | undefined) => closeOnce(typeof code === 'number' ? code : null));
  return {
    write: (d) => ch.write(d),
    onData: (fn) => ch.on('data', fn),
    onStderr: (fn) => ch.stderr.on('data', fn),
    onClose: (fn) => closers.push(fn),
    close: () => {
      off();
      ch.close();
    },
  };
}

/** The tick list's PIDs: init's /proc/PID/stat entries (the locator checks them every pass). */
function pidsOf(paths: Iterable<string>): number[] {
  const out: number[] = [];
  for (const p of paths) {
    const m = /^\/proc\/(\d+)\/stat$/.exec(p);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** How often the limits, PSI and host totals are copied and read again, milliseconds (the local sampler's default limitsTtlMs). */
export const REMOTE_LIMITS_EVERY_MS = 5000;

/**
 * Stats of a remote lxcpath through one long-lived {@link READER_SCRIPT} per host (started by
 * the first pass, started again after it ended), then a local {@link StatsSampler} pass over the
 * copy: the parsers and formulas are the local ones, rates from deltas between passes.
 *
 * Which files a tick copies is learnt, not guessed: after a walk, the sampler runs again over
 * the same copy while {@link SnapshotFs.record} notes what it reads: once as on every tick
 * (the containers located, the limits known: init's stat and the counter files), once more
 * after {@link StatsSampler.expireLimits} (what a limits refresh adds: limit files, PSI, host
 * totals). Both lists go to the reader; every {@link REMOTE_LIMITS_EVERY_MS} a tick asks for
 * both and the sampler refreshes its limits, as locally every limitsTtlMs. A pass that reads a
 * file outside what it asked for (a thaw, a restart the reader did not see) walks next time.
 */
export class RemoteStatsSource implements StatsSource {
  private readonly fs = new SnapshotFs();
  private sampler: StatsSampler | null = null;
  private uptimeUsec = 0;
  private reader: StatsReader | null = null;
  /** the tick and limit lists the reader holds (null: none yet, walk) */
  private lists: { tick: Set<string>; limits: Set<string> } | null = null;
  /** files the sampler reads that were not there at the last walk (not asked for, not a miss) */
  private absent = new Set<string>();
  /** lists to send with the next request */
  private pending: { tick: string[]; limits: string[]; pids: number[] } | null = null;
  private walkNext = true;
  private limitsAt = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** what the last pass cost: what the reader did (walk, tick, tick with limits), bytes received, milliseconds waiting for the reply */
  lastRequest: { kind: 'walk' | 'tick' | 'limits'; bytes: number; waitMs: number } | null = null;

  /**
   * @param opts.timeoutMs how long the reader may take to answer one request, milliseconds (default 20 000)
   * @param opts.open the reader's channel (default an SSH exec channel on `transport`; tests give a local sh)
   * @param opts.limitsEveryMs how often limits are copied and read again (default {@link REMOTE_LIMITS_EVERY_MS})
   */
  constructor(
    private readonly transport: SshTransport | null,
    readonly lxcpath: string,
    private readonly opts: { timeoutMs?: number; open?: () => Promise<ReaderChannel>; where?: string; limitsEveryMs?: number } = {},
  ) {}

  private where(): string {
    const t = this.transport?.target;
    return this.opts.where ?? (t ? `${t.user}@${knownHostsName(t.host, t.port)}` : 'the host');
  }

  /**
   * One pass over every container of the remote lxcpath (or `names`; unknown names read as STOPPED).
   * Passes run one after another (a second caller waits for the first).
   * @throws LxdeckError E_UNREACHABLE (also E_HOST_KEY, E_AUTH) from the transport or the reader; the reader is started again by the next pass
   * @throws the Node errno error ENOENT when the remote has no /proc/self/mountinfo (not Linux)
   */
  pass(names?: readonly string[]): Promise<StatsPass> {
    const p = this.queue.then(() => this.passNow(names));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async passNow(names?: readonly string[]): Promise<StatsPass> {
    if (!this.reader || this.reader.closed) {
      this.reader = null;
      const open = this.opts.open ?? (() => sshReaderChannel(this.transport!, this.lxcpath));
      this.reader = new StatsReader(await open(), this.where(), this.opts.timeoutMs ?? 20_000);
      // a new reader holds no lists
      this.walkNext = true;
      this.pending = null;
    }
    const t0 = performance.now();
    const walk = this.walkNext || this.lists === null;
    const limits = !walk && Date.now() - this.limitsAt >= (this.opts.limitsEveryMs ?? REMOTE_LIMITS_EVERY_MS);
    const send = walk ? null : this.pending;
    const reply = await this.reader.request({ walk, limits, list: send?.tick, pids: send?.pids, limitList: send?.limits });
    const waitMs = performance.now() - t0;
    if (send) this.pending = null;
    this.walkNext = false;
    const { files } = reply;
    this.fs.load(files);
    const up = Number((files.get('/proc/uptime') ?? '').split(/\s+/)[0]);
    this.uptimeUsec = Number.isFinite(up) && up > 0 ? Math.round(up * 1e6) : this.uptimeUsec;
    this.sampler ??= new StatsSampler({ lxcpath: this.lxcpath, fs: this.fs, layout: detectCgroupLayout(this.fs), clockUsec: () => this.uptimeUsec, limitsTtlMs: Infinity });
    const sampler = this.sampler;
    const copiedLimits = reply.walked || limits;
    if (copiedLimits) sampler.expireLimits();
    const { value: pass, reads } = this.fs.record(() => sampler.passSync(names));
    this.lastRequest = { kind: reply.walked ? 'walk' : limits ? 'limits' : 'tick', bytes: reply.bytes, waitMs };
    if (copiedLimits) this.limitsAt = Date.now();
    if (reply.walked) {
      this.learn(names);
    } else if (this.lists) {
      const { tick, limits: lim } = this.lists;
      for (const r of reads) {
        if (!tick.has(r) && !(limits && lim.has(r)) && !this.absent.has(r)) {
          this.walkNext = true;
          break;
        }
      }
    }
    return pass;
  }

  /**
   * After a walk: the files of a tick and those a limits refresh adds, from two more passes over
   * the walk's copy (the same clock: no rate changes; the limits just read are read again).
   */
  private learn(names?: readonly string[]): void {
    const sampler = this.sampler!;
    const tickReads = this.fs.record(() => sampler.passSync(names)).reads;
    sampler.expireLimits();
    const fullReads = this.fs.record(() => sampler.passSync(names)).reads;
    const tick = new Set<string>(['/proc/uptime']);
    const lim = new Set<string>();
    this.absent = new Set();
    for (const r of tickReads) (this.fs.has(r) ? tick : this.absent).add(r);
    for (const r of fullReads) if (!tick.has(r)) (this.fs.has(r) ? lim : this.absent).add(r);
    this.lists = { tick, limits: lim };
    // a path with a newline cannot travel in a list; reading it is then a miss, and walks
    const ok = (x: string) => !x.includes('\n');
    const t = [...tick].filter(ok);
    this.pending = { tick: t, limits: [...lim].filter(ok), pids: pidsOf(t) };
  }

  /** Passes at an interval (StatsStream: a tick is skipped while a pass runs; a failed pass ends the stream with its error). */
  stream(opts: { intervalMs: number; names?: readonly string[]; count?: number }): StatsStreamLike {
    return new StatsStream(this, opts);
  }

  /** Ends the reader (the remote shell exits). The next pass starts a new one. */
  close(): void {
    this.reader?.close();
    this.reader = null;
  }
}
