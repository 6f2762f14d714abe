/**
 * BusyBox init's /etc/inittab inside a rootfs: finding the entries init can never run, and
 * putting right the one kind that jams a container.
 *
 * Why it matters (the busybox template's fault found in a trial): busybox init starts a
 * `respawn` or `askfirst` entry with vfork(2), opens the entry's tty in the child, and execs the
 * program; when the exec fails the child writes "can't run 'PROG': No such file or directory"
 * to that tty before it exits, and init tries again a second later, for ever (busybox
 * init/init.c run(), init_exec(); no rate limit, unlike sysvinit's "respawning too fast").
 * A container's ttys (lxc.tty.max) are ptys whose master side only LXC's monitor holds, and
 * it reads one only while `lxc-console -t N` is attached (lxc.container.conf(5) lxc.tty.max;
 * the console, lxc-console -t 0, is the one LXC always drains). So the messages pile up in
 * the pty (about 52 bytes a second) until its buffers are full (about 18 KiB, some 6 minutes);
 * then the vforked child blocks in its write, and init, suspended in vfork until the child
 * execs or exits, blocks with it: it no longer takes lxc.signal.halt or lxc.signal.reboot,
 * so `lxc-stop` waits for its timeout and kills, and `lxc-stop -r` fails.
 *
 * The format is busybox's: `id:runlevels:action:process`, `id` a tty under /dev (empty: the
 * console), runlevels ignored, action one of sysinit, wait, once, respawn, askfirst,
 * ctrlaltdel, shutdown, restart; a `-` before the process asks for a login shell
 * (busybox examples/inittab).
 */
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { writeFileInRootfs } from './safe-write.js';

/** One inittab entry. */
export interface InittabEntry {
  /** 1-based line number in the file */
  line: number;
  /** the tty under /dev it runs on (`tty1`), empty for the console */
  id: string;
  action: string;
  /** the process field as written, with a leading `-` (login shell) if any */
  process: string;
  /** the program the process field runs: its first word, without the `-` */
  program: string;
}

/** An inittab entry init can never run, and why. */
export interface InittabProblem {
  entry: InittabEntry;
  /** `missing`: no such program in the rootfs; `not-executable`; `no-tty`: /dev/ID will not exist */
  kind: 'missing' | 'not-executable' | 'no-tty';
  message: string;
}

/** The actions busybox init runs again and again: a fault in one of them repeats every second. */
export const REPEATING_ACTIONS = ['respawn', 'askfirst'] as const;

/**
 * Parses an inittab's text (busybox's format, above). Comments (`#`) and blank lines are
 * skipped; a line without four fields is skipped as busybox skips it.
 * @returns the entries, in file order
 */
export function parseInittab(text: string): InittabEntry[] {
  const out: InittabEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const parts = l.split(':');
    if (parts.length < 4) return;
    const [id, , action] = parts;
    const process = parts.slice(3).join(':').trim();
    const program = process.replace(/^-/, '').trim().split(/\s+/)[0] ?? '';
    out.push({ line: i + 1, id: id.trim(), action: action.trim(), process, program });
  });
  return out;
}

/**
 * The host path `path` (absolute inside the container) leads to, following symlinks as the
 * container sees them: an absolute link target is taken inside `rootfs`, never on the host,
 * and `..` never climbs above `rootfs`. Only reads (lstat, readlink).
 * @returns the host path of what it names, or null when something on the way does not exist
 *   or there are more than 40 links (the kernel's limit, ELOOP)
 */
export function resolveInRootfs(rootfs: string, path: string): string | null {
  let todo = path.split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = join(rootfs, ...done, part);
    let st;
    try {
      st = lstatSync(here);
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) return null;
      const target = readlinkSync(here);
      const rest = target.split('/').filter(Boolean);
      if (target.startsWith('/')) done.length = 0;
      todo = [...rest, ...todo];
      continue;
    }
    done.push(part);
  }
  return join(rootfs, ...done);
}

/**
 * The entries of `<rootfs>/etc/inittab` busybox init can never run: a program that is not
 * in the rootfs or not executable, and (when `ttyMax` is given) a tty `ttyN` beyond
 * lxc.tty.max, which LXC does not make (lxc.container.conf(5) lxc.tty.max).
 * Only entries that run a program are looked at (all actions do).
 * @param ttyMax the container's lxc.tty.max (undefined: not checked)
 * @returns the problems, in file order; [] when there is no inittab (not busybox init's business)
 */
export function inittabProblems(rootfs: string, ttyMax?: number): InittabProblem[] {
  let text: string;
  try {
    text = readFileSync(join(rootfs, 'etc/inittab'), 'utf8');
  } catch {
    return [];
  }
  const out: InittabProblem[] = [];
  for (const e of parseInittab(text)) {
    if (!e.program) continue;
    const tty = /^tty(\d+)$/.exec(e.id);
    if (ttyMax !== undefined && tty && Number(tty[1]) > ttyMax) {
      out.push({ entry: e, kind: 'no-tty', message: `line ${e.line} runs ${e.program} on /dev/${e.id}, but lxc.tty.max is ${ttyMax}: LXC makes no /dev/${e.id}` });
      continue;
    }
    if (!e.program.startsWith('/')) continue; // busybox init runs a relative name through the shell's PATH: not checked
    const host = resolveInRootfs(rootfs, e.program);
    let st;
    try {
      st = host === null ? null : statSync(host);
    } catch {
      st = null;
    }
    if (!st || !st.isFile()) out.push({ entry: e, kind: 'missing', message: `line ${e.line} (${e.action}) runs ${e.program}, which is not in the rootfs` });
    else if ((st.mode & 0o111) === 0) out.push({ entry: e, kind: 'not-executable', message: `line ${e.line} (${e.action}) runs ${e.program}, which is not executable` });
  }
  return out;
}

/** True when the rootfs's /sbin/init is busybox (a link to a file named busybox, or busybox itself). */
export function isBusyboxInit(rootfs: string): boolean {
  const init = resolveInRootfs(rootfs, '/sbin/init');
  if (init === null) return false;
  if (posix.basename(init) === 'busybox') return true;
  try {
    // a copied (not linked) busybox: its name is not enough; the binary says so
    return readFileSync(init).includes('BusyBox is copyrighted');
  } catch {
    return false;
  }
}

/** Where a program of the same name is looked for when an entry names a path that is not there, in order. */
const PROGRAM_DIRS = ['/sbin', '/bin', '/usr/sbin', '/usr/bin'];

/**
 * Puts right the repeating entries (respawn, askfirst) of a busybox rootfs's /etc/inittab whose
 * program is missing, when the rootfs has an executable program of the same name in /sbin,
 * /bin, /usr/sbin or /usr/bin: the path in that line is replaced, and a comment above it says
 * what was changed and why. This is the fault of lxdeck's busybox template before this fix
 * (`tty1::respawn:/bin/getty`, where busybox --list-full puts getty in /sbin), which jams init
 * about 6 minutes after every start (see the module comment). Nothing else is touched: an entry
 * that runs, one with no same-named program, a rootfs whose init is not busybox.
 * The file is rewritten in place (owner and mode kept: an unprivileged container's stays its
 * own), never through a symlink (core/rootfs/safe-write.ts).
 * @returns the lines changed, as `OLD -> NEW` texts ([] when nothing was)
 * @throws LxdeckError E_UNSAFE_PATH when /etc or /etc/inittab is a symlink (then nothing is written)
 */
export function repairInittab(rootfs: string): string[] {
  if (!isBusyboxInit(rootfs)) return [];
  const problems = inittabProblems(rootfs).filter((p) => p.kind === 'missing' && (REPEATING_ACTIONS as readonly string[]).includes(p.entry.action));
  if (!problems.length) return [];
  const text = readFileSync(join(rootfs, 'etc/inittab'), 'utf8');
  const lines = text.split('\n');
  const changed: string[] = [];
  // bottom up, so inserting a comment line keeps the line numbers of those above
  for (const p of [...problems].sort((a, b) => b.entry.line - a.entry.line)) {
    const base = posix.basename(p.entry.program);
    const found = PROGRAM_DIRS.map((d) => `${d}/${base}`).find((cand) => {
      const host = resolveInRootfs(rootfs, cand);
      try {
        return host !== null && statSync(host).isFile() && (statSync(host).mode & 0o111) !== 0;
      } catch {
        return false;
      }
    });
    if (!found) continue;
    const old = lines[p.entry.line - 1];
    const i = old.indexOf(p.entry.program, old.indexOf(p.entry.action) + p.entry.action.length);
    if (i < 0) continue;
    const next = old.slice(0, i) + found + old.slice(i + p.entry.program.length);
    lines.splice(p.entry.line - 1, 1, `# lxdeck: ${p.entry.program} is not in this rootfs (busybox init re-ran it every second and jammed); now ${found}`, next);
    changed.push(`${old.trim()} -> ${next.trim()}`);
  }
  if (changed.length) writeFileInRootfs(rootfs, 'etc/inittab', lines.join('\n'));
  return changed.reverse();
}
