/**
 * The processes of a container, read from the host like `lxc-ps` does: the
 * PIDs in the container's cgroup (`cgroup.procs`, recursively through child
 * cgroups, kernel Documentation/admin-guide/cgroup-v2.rst "cgroup.procs";
 * cgroups(7)), then each one's `/proc/PID/status`, `/proc/PID/stat` and
 * `/proc/PID/cmdline` (proc(5)).
 *
 * Every read goes through a {@link HostFs}, so tests use fixture trees. A
 * process that exits between the list and the reads is skipped quietly (its
 * files read as vanished: ENOENT/ESRCH), as is a child cgroup removed mid-walk.
 *
 * Units: CPU time in microseconds (utime+stime from /proc/PID/stat are clock
 * ticks of USER_HZ = 100 on every Linux architecture lxdeck runs on), RSS in
 * bytes (VmRSS of /proc/PID/status, kB = 1024 bytes), CPU % as percent of one
 * CPU (100 = one CPU busy for the whole interval).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { LxdeckError } from '../errors.js';
import { HostFs, isVanishedError } from '../host/host-fs.js';
import { joinPath, type CgroupLayout } from '../cgroup/layout.js';
import type { CgroupPaths } from '../cgroup/paths.js';

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (proc(5); sysconf(_SC_CLK_TCK), 100 on Linux). */
export const USER_HZ = 100;

/** One process of a container (`lxdeck ps NAME --json` prints an array of these). */
export interface ProcessInfo {
  /** PID on the host */
  pid: number;
  /** PID inside the container's PID namespace (last NSpid field of /proc/PID/status); null when the kernel does not say */
  nspid: number | null;
  /** parent's PID on the host */
  ppid: number;
  /** one-letter state of /proc/PID/stat: R running, S sleeping, D disk wait, Z zombie, T stopped, I idle... */
  state: string;
  /** real uid on the host (first Uid field of /proc/PID/status) */
  uid: number;
  /** the same uid inside the container (mapped back through the container's uid_map); null when it maps to nothing */
  nsUid: number | null;
  /** user name from the container's /etc/passwd when it could be read safely, else the numeric uid inside (or `host:UID`) */
  user: string;
  /** user + system CPU time used so far, microseconds */
  cpuTimeUsec: number;
  /** CPU % of one CPU between two reads; null for a one-shot read (see cpuTimeUsec) */
  cpuPercent: number | null;
  /** resident set size in bytes (VmRSS); 0 for kernel threads and zombies */
  rssBytes: number;
  /** the command line, NUL separators as spaces; `[comm]` when there is none (kernel threads, zombies) */
  command: string;
  /** start time after boot in clock ticks (field 22 of /proc/PID/stat): with pid, identifies the process across reads */
  startTime: number;
  /** the cgroup it was found in, relative to the container's (`/` for the container's own, `/init.scope`...) */
  cgroup: string;
}

/** One read of a container's processes, for CPU % between two reads. */
export interface ProcessSnapshot {
  /** milliseconds (monotonic or wall, the same clock for both snapshots) */
  takenAtMs: number;
  processes: ProcessInfo[];
}

/** One `lxc.idmap`-like mapping, as in /proc/PID/uid_map: `nsid hostid count`. */
export interface IdMapping {
  nsid: number;
  hostid: number;
  count: number;
}

// ------------------------------------------------------------------ parsing

/** Parses /proc/PID/uid_map or gid_map text (user_namespaces(7)): "ID-inside ID-outside length" per line. */
export function parseIdMap(text: string): IdMapping[] {
  const out: IdMapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) out.push({ nsid: Number(m[1]), hostid: Number(m[2]), count: Number(m[3]) });
  }
  return out;
}

/** The id inside the namespace of host id `hostId` under `map`; null when it is not mapped (shown as the overflow id 65534 inside). */
export function hostIdToNs(hostId: number, map: readonly IdMapping[]): number | null {
  for (const m of map) if (hostId >= m.hostid && hostId < m.hostid + m.count) return m.nsid + (hostId - m.hostid);
  return null;
}

/** Parses /etc/passwd text (passwd(5)) into uid → name; the first name of a uid wins. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0] || f[0].startsWith('#')) continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && uid >= 0 && !out.has(uid)) out.set(uid, f[0]);
  }
  return out;
}

/** What lxdeck reads of /proc/PID/status: Name, State, PPid, Uid (real), NSpid (last field), VmRSS (bytes). */
export interface ProcStatus {
  name: string;
  ppid: number;
  uid: number;
  nspid: number | null;
  rssBytes: number;
}

/** Parses /proc/PID/status (proc(5)). Missing fields read as 0 / null; VmRSS is absent for kernel threads and zombies. */
export function parseProcStatus(text: string): ProcStatus {
  const out: ProcStatus = { name: '', ppid: 0, uid: 0, nspid: null, rssBytes: 0 };
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1).trim();
    if (k === 'Name') out.name = v;
    else if (k === 'PPid') out.ppid = Number(v) || 0;
    else if (k === 'Uid') out.uid = Number(v.split(/\s+/)[0]) || 0;
    else if (k === 'NSpid') {
      const f = v.split(/\s+/).filter(Boolean);
      const n = Number(f[f.length - 1]);
      out.nspid = Number.isInteger(n) && n > 0 ? n : null;
    } else if (k === 'VmRSS') {
      const m = /^(\d+)\s*kB$/i.exec(v);
      if (m) out.rssBytes = Number(m[1]) * 1024;
    }
  }
  return out;
}

/** Fields of /proc/PID/stat lxdeck uses: state, utime+stime in microseconds, start time in ticks. */
export interface ProcStat {
  comm: string;
  state: string;
  cpuTimeUsec: number;
  startTime: number;
}

/**
 * Parses /proc/PID/stat (proc(5)): `pid (comm) state ppid ...`; comm may hold spaces and
 * parentheses, so the fields are counted from the LAST `)`. utime is field 14, stime 15,
 * starttime 22 (1-based).
 * @returns null when the text is not of that shape
 */
export function parseProcStatLine(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state)
  if (rest.length < 20) return null;
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const start = Number(rest[19]);
  if (![utime, stime, start].every(Number.isFinite)) return null;
  return { comm: text.slice(open + 1, close), state: rest[0], cpuTimeUsec: ((utime + stime) * 1_000_000) / USER_HZ, startTime: start };
}

/** A command line from /proc/PID/cmdline: NULs as spaces, trailing NULs dropped; `[comm]` when empty (kernel thread, zombie). */
export function formatCmdline(raw: string, comm: string): string {
  const s = raw.replace(/\0+$/, '').replace(/\0/g, ' ');
  return s.trim() ? s : `[${comm}]`;
}

/** CPU % of one CPU between two reads of a process's CPU time (microseconds) over `elapsedMs`; null when it cannot be said. */
export function cpuPercentOf(prevUsec: number, nextUsec: number, elapsedMs: number): number | null {
  if (!(elapsedMs > 0) || nextUsec < prevUsec) return null;
  return ((nextUsec - prevUsec) / (elapsedMs * 1000)) * 100;
}

/**
 * The processes of `next` with cpuPercent filled from `prev` (matched by pid AND start time,
 * so a reused PID is not mistaken for the old process; a process new in `next` gets null).
 * A pure function: the console's processes view calls it on two snapshots.
 */
export function withCpuPercent(prev: ProcessSnapshot, next: ProcessSnapshot): ProcessInfo[] {
  const before = new Map(prev.processes.map((p) => [`${p.pid}/${p.startTime}`, p.cpuTimeUsec]));
  const elapsed = next.takenAtMs - prev.takenAtMs;
  return next.processes.map((p) => {
    const b = before.get(`${p.pid}/${p.startTime}`);
    return { ...p, cpuPercent: b === undefined ? null : cpuPercentOf(b, p.cpuTimeUsec, elapsed) };
  });
}

// ------------------------------------------------------------------ reading

/**
 * The cgroup directory whose `cgroup.procs` lists every process of the container: the v2
 * directory on a v2-only host, else a v1 hierarchy (pids, memory, cpu, cpuacct, freezer, then
 * any; every v1 hierarchy holds every process), else the v2 one.
 * @returns null when the paths name no directory
 */
export function procsDirOf(paths: CgroupPaths, layout: Pick<CgroupLayout, 'kind'>): string | null {
  if (layout.kind === 'v2' && paths.v2) return paths.v2;
  for (const c of ['pids', 'memory', 'cpu', 'cpuacct', 'freezer']) if (paths.v1[c]) return paths.v1[c];
  const any = Object.values(paths.v1)[0];
  return any ?? paths.v2 ?? null;
}

/**
 * PIDs in cgroup `dir` and every cgroup below it, each with the cgroup it is in (relative to
 * `dir`), sorted by PID. A cgroup removed mid-walk is skipped.
 * @throws LxdeckError E_NOT_FOUND when `dir` itself is gone (the container stopped)
 */
export function cgroupPids(fs: HostFs, dir: string): { pid: number; cgroup: string }[] {
  const out: { pid: number; cgroup: string }[] = [];
  const seen = new Set<number>();
  const walk = (d: string, rel: string, depth: number) => {
    const text = fs.readTextOrNull(joinPath(d, 'cgroup.procs'));
    if (text === null) {
      if (rel === '/') throw new LxdeckError('E_NOT_FOUND', `the cgroup ${dir} is gone`, { hint: 'the container may have stopped' });
      return;
    }
    for (const l of text.split('\n')) {
      const n = Number(l.trim());
      if (l.trim() && Number.isInteger(n) && n > 0 && !seen.has(n)) {
        seen.add(n);
        out.push({ pid: n, cgroup: rel });
      }
    }
    if (depth > 32) return;
    let entries: string[];
    try {
      entries = fs.readdir(d);
    } catch (e) {
      if (isVanishedError(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw e;
    }
    for (const e of entries) {
      const sub = joinPath(d, e);
      // child cgroups are the directories: they hold a cgroup.procs file
      if (fs.exists(joinPath(sub, 'cgroup.procs'))) walk(sub, rel === '/' ? `/${e}` : `${rel}/${e}`, depth + 1);
    }
  };
  walk(dir, '/', 0);
  return out.sort((a, b) => a.pid - b.pid);
}

/** How to name users: the container's uid_map and /etc/passwd (both optional). */
export interface UserContext {
  /** the container's uid_map (/proc/<init>/uid_map); [] or absent for a privileged container (identity) */
  uidMap?: readonly IdMapping[];
  /** uid inside → name, from the container's /etc/passwd */
  passwd?: ReadonlyMap<number, string>;
}

/** The user column: the passwd name of the uid inside, else that uid, else `host:UID` when it is not mapped. */
export function userName(hostUid: number, ctx: UserContext): { nsUid: number | null; user: string } {
  const map = ctx.uidMap && ctx.uidMap.length ? ctx.uidMap : null;
  const nsUid = map ? hostIdToNs(hostUid, map) : hostUid;
  if (nsUid === null) return { nsUid, user: `host:${hostUid}` };
  return { nsUid, user: ctx.passwd?.get(nsUid) ?? String(nsUid) };
}

/**
 * Reads one process. @returns null when it vanished mid-read (ENOENT/ESRCH on any of its files).
 * @throws other errno errors unchanged
 */
export function readProcess(fs: HostFs, pid: number, cgroup: string, users: UserContext): ProcessInfo | null {
  const status = fs.readTextOrNull(`/proc/${pid}/status`);
  const stat = fs.readTextOrNull(`/proc/${pid}/stat`);
  const cmdline = fs.readTextOrNull(`/proc/${pid}/cmdline`);
  if (status === null || stat === null || cmdline === null) return null;
  const st = parseProcStatus(status);
  const ps = parseProcStatLine(stat);
  if (!ps) return null;
  const u = userName(st.uid, users);
  return {
    pid,
    nspid: st.nspid,
    ppid: st.ppid,
    state: ps.state,
    uid: st.uid,
    nsUid: u.nsUid,
    user: u.user,
    cpuTimeUsec: ps.cpuTimeUsec,
    cpuPercent: null,
    rssBytes: st.rssBytes,
    command: formatCmdline(cmdline, ps.comm || st.name),
    startTime: ps.startTime,
    cgroup,
  };
}

/**
 * Every process in the container's cgroup `dir` (see {@link procsDirOf}), one read (cpuPercent null).
 * @throws LxdeckError E_NOT_FOUND when the cgroup is gone
 */
export function readProcesses(fs: HostFs, dir: string, users: UserContext = {}): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const { pid, cgroup } of cgroupPids(fs, dir)) {
    const p = readProcess(fs, pid, cgroup, users);
    if (p) out.push(p);
  }
  return out;
}

/** Largest file {@link readFileInside} reads (bytes). */
export const INSIDE_READ_MAX = 1024 * 1024;

/**
 * Reads a small regular file of a running container through `/proc/<pid>/root` without
 * trusting the container's tree: every component below the root is lstat'ed and refused
 * when it is a symlink (a symlink would resolve against the HOST's root), the file is opened
 * O_NOFOLLOW|O_NONBLOCK (a FIFO cannot block us) and must be a regular file of at most
 * {@link INSIDE_READ_MAX} bytes. (A component swapped for a symlink between the lstat and the
 * open is the remaining race; the open's checks bound what it can do to a read of some file.)
 * @param path absolute path inside the container, e.g. `/etc/passwd`
 * @returns the text, or null when it is absent, not a plain regular file, too big or unreadable
 */
export function readFileInside(fs: HostFs, pid: number, path: string): string | null {
  const root = `/proc/${pid}/root`;
  const parts = path.split('/').filter(Boolean);
  if (parts.some((p) => p === '..' || p === '.')) return null;
  try {
    let cur = root;
    for (let i = 0; i < parts.length - 1; i++) {
      cur = `${cur}/${parts[i]}`;
      const st = lstatSync(fs.resolve(cur));
      if (!st.isDirectory()) return null;
    }
    const fd = openSync(fs.resolve(`${root}/${parts.join('/')}`), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > INSIDE_READ_MAX) return null;
      const buf = Buffer.alloc(Math.max(st.size, 4096));
      let n = 0;
      for (;;) {
        const got = readSync(fd, buf, n, buf.length - n, null);
        if (got <= 0) break;
        n += got;
        if (n >= buf.length) break;
      }
      return buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/**
 * The user context of a running container from its init: /proc/<pid>/uid_map and the
 * container's /etc/passwd read with {@link readFileInside}. Missing pieces are left out.
 */
export function userContextOf(fs: HostFs, initPid: number): UserContext {
  const map = fs.readTextOrNull(`/proc/${initPid}/uid_map`);
  const passwd = readFileInside(fs, initPid, '/etc/passwd');
  return { uidMap: map ? parseIdMap(map) : [], ...(passwd !== null ? { passwd: parsePasswd(passwd) } : {}) };
}

/**
 * A signal given as `TERM`, `SIGTERM`, `term`, `9` or 9, checked against the host's signal
 * table (signal(7), os.constants.signals).
 * @returns its number
 * @throws LxdeckError E_INVALID_VALUE for a name or number Linux does not have
 */
export function parseSignal(sig: string | number, signals: Readonly<Record<string, number>>): number {
  const known = new Set(Object.values(signals));
  if (typeof sig === 'number' || /^\d+$/.test(String(sig).trim())) {
    const n = Number(sig);
    if (Number.isInteger(n) && known.has(n)) return n;
  } else {
    const s = String(sig).trim().toUpperCase();
    const n = signals[s.startsWith('SIG') ? s : `SIG${s}`];
    if (n !== undefined) return n;
  }
  throw new LxdeckError('E_INVALID_VALUE', `unknown signal ${JSON.stringify(String(sig))}`, { hint: 'a signal name like TERM, KILL, HUP, INT or its number (kill -l lists them)' });
}
