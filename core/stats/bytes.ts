/**
 * Parsers for the counter files of a stats pass that read the file's bytes
 * (core/host/host-fs.ts FileBytes, `bytes[0 .. length)`) instead of a string:
 * with 500 containers a pass read about 4500 files a second, and the strings,
 * `split` arrays, regex matches and path strings made of them were about 8 MB
 * a pass, enough to keep V8's young generation at its largest (bench/README.md
 * section 11, fourth round). These give the same numbers as the text parsers
 * (core/stats/parse.ts, core/cgroup/parse.ts, core/units.ts nsTextToUsec,
 * test/core/stats/bytes.test.ts compares them) and allocate nothing on the
 * usual path. Files are ASCII; a value of more than 15 digits (beyond exact
 * integer arithmetic in a double) falls back to the text parser's `Number()`.
 */
import type { FileBytes } from '../host/host-fs.js';
import type { FreezerState } from '../cgroup/freezer.js';

const TAB = 9;
const NL = 10;
const CR = 13;
const SP = 32;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const CLOSE_PAREN = 41;

const isSpace = (c: number): boolean => c === SP || c === NL || c === TAB || c === CR;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** Above this many digits a decimal is parsed through `Number(text)`, as the text parsers do. */
const EXACT_DIGITS = 15;

/**
 * The unsigned decimal in `b[start .. end)` (digits only, at least one).
 * @returns the number, or -1 when the range holds anything but digits
 */
export function decimalIn(b: Buffer, start: number, end: number): number {
  if (end <= start) return -1;
  if (end - start > EXACT_DIGITS) {
    for (let i = start; i < end; i++) if (!isDigit(b[i])) return -1;
    return Number(b.toString('latin1', start, end));
  }
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - ZERO);
  }
  return v;
}

/** First and one-past-last non-space byte of the file, as [start, end] in `out`. */
function trimmed(f: FileBytes, out: Int32Array): void {
  const b = f.bytes;
  let s = 0;
  let e = f.length;
  while (s < e && isSpace(b[s])) s++;
  while (e > s && isSpace(b[e - 1])) e--;
  out[0] = s;
  out[1] = e;
}

const span = new Int32Array(2);

/**
 * A file holding one unsigned decimal and a newline: v1 `memory.usage_in_bytes`,
 * `memory.memsw.usage_in_bytes`, `pids.current`, v2 `memory.current`, `memory.swap.current`,
 * `cgroup.freeze`, sysfs `statistics/rx_bytes` (Documentation/admin-guide/cgroup-v2.rst
 * "Interface Files": single value files; cgroup-v1/memory.rst; pids.rst;
 * Documentation/ABI/testing/sysfs-class-net-statistics).
 * @returns the number (bytes, count, 0/1), or null when the file is anything else (`max`, empty)
 */
export function singleDecimal(f: FileBytes): number | null {
  trimmed(f, span);
  const v = decimalIn(f.bytes, span[0], span[1]);
  return v < 0 ? null : v;
}

/**
 * v1 `cpuacct.usage` (Documentation/admin-guide/cgroup-v1/cpuacct.rst: total CPU time in
 * nanoseconds) as microseconds, rounded down: the decimal without its last three digits,
 * exactly what core/units.ts nsTextToUsec gives (BigInt division by 1000).
 * @returns microseconds, or null when the file is not one unsigned decimal
 */
export function nsFileToUsec(f: FileBytes): number | null {
  trimmed(f, span);
  const s = span[0];
  const e = span[1];
  if (decimalIn(f.bytes, s, e) < 0) return null;
  if (e - s <= 3) return 0;
  if (e - 3 - s > EXACT_DIGITS) return Number(BigInt(f.bytes.toString('latin1', s, e)) / 1000n);
  return decimalIn(f.bytes, s, e - 3);
}

/** What {@link procStatOf} fills in. */
export interface ProcStatFields {
  /** field 4, the parent's PID */
  ppid: number;
  /** field 22, start time in clock ticks after boot */
  startTime: number;
}

/**
 * `/proc/PID/stat` (proc(5)): fields after the command name, which is in parentheses and
 * may hold spaces and `)`, so the fields start after the LAST `)`. Same answers as
 * core/stats/parse.ts parseProcStat.
 * @param out filled with ppid (field 4) and starttime (field 22)
 * @returns false when the text does not have that shape
 */
export function procStatOf(f: FileBytes, out: ProcStatFields): boolean {
  const b = f.bytes;
  if (f.length === 0) return false;
  let i = b.lastIndexOf(CLOSE_PAREN, f.length - 1);
  if (i < 0) return false;
  i++;
  const end = f.length;
  // fields from 3 (state): index 1 is field 4 (ppid), index 19 field 22 (starttime)
  let field = 0;
  let ppid = -1;
  while (i < end) {
    while (i < end && isSpace(b[i])) i++;
    if (i >= end) break;
    const s = i;
    while (i < end && !isSpace(b[i])) i++;
    if (field === 1) {
      ppid = decimalIn(b, s, i);
      if (ppid < 0) return false;
    } else if (field === 19) {
      const start = decimalIn(b, s, i);
      if (start < 0) return false;
      out.ppid = ppid;
      out.startTime = start;
      return true;
    }
    field++;
  }
  return false;
}

/** The keys given to {@link flatKeyedInto}, as bytes (made once, by {@link flatKeys}). */
export type FlatKeys = readonly Buffer[];

/** `keys` as {@link FlatKeys}. */
export function flatKeys(keys: readonly string[]): FlatKeys {
  return keys.map((k) => Buffer.from(k, 'latin1'));
}

/**
 * A flat-keyed file, `key value` lines (Documentation/admin-guide/cgroup-v2.rst
 * "Conventions": flat keyed; v2 `memory.stat`, `cpu.stat`, `cgroup.events`; v1 `memory.stat`,
 * cgroup-v1/memory.rst 5.2): the values of `keys` only, into `out` (`out[i]` for `keys[i]`,
 * NaN when the key is absent or its value is not an unsigned decimal). The other lines are
 * skipped without being read further than their key.
 */
export function flatKeyedInto(f: FileBytes, keys: FlatKeys, out: Float64Array): void {
  out.fill(NaN, 0, keys.length);
  const b = f.bytes;
  const end = f.length;
  let i = 0;
  while (i < end) {
    let ks = i;
    while (ks < end && (b[ks] === SP || b[ks] === TAB)) ks++;
    let ke = ks;
    while (ke < end && !isSpace(b[ke])) ke++;
    let eol = ke;
    while (eol < end && b[eol] !== NL) eol++;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (key.length === ke - ks && b.compare(key, 0, key.length, ks, ke) === 0) {
        let vs = ke;
        while (vs < eol && (b[vs] === SP || b[vs] === TAB)) vs++;
        let ve = eol;
        while (ve > vs && isSpace(b[ve - 1])) ve--;
        const v = decimalIn(b, vs, ve);
        if (v >= 0) out[k] = v;
        break;
      }
    }
    i = eol + 1;
  }
}

const READ = Buffer.from('Read', 'latin1');
const WRITE = Buffer.from('Write', 'latin1');

/**
 * v1 `blkio.throttle.io_service_bytes` (Documentation/admin-guide/cgroup-v1/blkio-controller.rst):
 * `MAJ:MIN Read N` and `MAJ:MIN Write N` lines summed over devices (the other operations and the
 * `Total` line skipped), as core/stats/parse.ts parseBlkioServiceBytes.
 * @param out [read bytes, write bytes]
 */
export function blkioServiceBytesInto(f: FileBytes, out: Float64Array): void {
  out[0] = 0;
  out[1] = 0;
  const b = f.bytes;
  const end = f.length;
  let i = 0;
  while (i < end) {
    let eol = i;
    while (eol < end && b[eol] !== NL) eol++;
    // three words: MAJ:MIN, the operation, the bytes
    let s = i;
    while (s < eol && isSpace(b[s])) s++;
    let e = s;
    while (e < eol && !isSpace(b[e])) e++;
    const dev = devNumber(b, s, e);
    let os = e;
    while (os < eol && isSpace(b[os])) os++;
    let oe = os;
    while (oe < eol && !isSpace(b[oe])) oe++;
    let vs = oe;
    while (vs < eol && isSpace(b[vs])) vs++;
    let ve = vs;
    while (ve < eol && !isSpace(b[ve])) ve++;
    let rest = ve;
    while (rest < eol && isSpace(b[rest])) rest++;
    if (dev && rest === eol) {
      const v = decimalIn(b, vs, ve);
      if (v >= 0) {
        if (oe - os === 4 && b.compare(READ, 0, 4, os, oe) === 0) out[0] += v;
        else if (oe - os === 5 && b.compare(WRITE, 0, 5, os, oe) === 0) out[1] += v;
      }
    }
    i = eol + 1;
  }
}

/** True when `b[s .. e)` is `MAJ:MIN` (two decimals and a colon). */
function devNumber(b: Buffer, s: number, e: number): boolean {
  const c = b.indexOf(COLON, s);
  return c > s && c < e - 1 && decimalIn(b, s, c) >= 0 && decimalIn(b, c + 1, e) >= 0;
}

const RBYTES = Buffer.from('rbytes=', 'latin1');
const WBYTES = Buffer.from('wbytes=', 'latin1');

/**
 * v2 `io.stat` (Documentation/admin-guide/cgroup-v2.rst "io.stat"):
 * `MAJ:MIN rbytes=N wbytes=N rios=N ...` lines, rbytes and wbytes summed over devices, as
 * core/stats/parse.ts parseIoStat (zeros for an empty file: no I/O yet is a real 0).
 * @param out [read bytes, write bytes]
 */
export function ioStatInto(f: FileBytes, out: Float64Array): void {
  out[0] = 0;
  out[1] = 0;
  const b = f.bytes;
  const end = f.length;
  let i = 0;
  let seenR = false;
  let seenW = false;
  while (i < end) {
    if (b[i] === NL) {
      seenR = seenW = false;
      i++;
      continue;
    }
    if (isSpace(b[i])) {
      i++;
      continue;
    }
    const s = i;
    while (i < end && !isSpace(b[i])) i++;
    // the first rbytes= and wbytes= word of each line
    if (!seenR && i - s > 7 && b.compare(RBYTES, 0, 7, s, s + 7) === 0) {
      const v = leadingDecimal(b, s + 7, i);
      if (v >= 0) {
        out[0] += v;
        seenR = true;
      }
    } else if (!seenW && i - s > 7 && b.compare(WBYTES, 0, 7, s, s + 7) === 0) {
      const v = leadingDecimal(b, s + 7, i);
      if (v >= 0) {
        out[1] += v;
        seenW = true;
      }
    }
  }
}

/** The digits at the start of `b[s .. e)` as a number; -1 when there are none. */
function leadingDecimal(b: Buffer, s: number, e: number): number {
  let d = s;
  while (d < e && isDigit(b[d])) d++;
  return decimalIn(b, s, d);
}

const FREEZER_STATES: readonly [Buffer, FreezerState][] = (['THAWED', 'FREEZING', 'FROZEN'] as const).map((s) => [Buffer.from(s, 'latin1'), s]);

/**
 * v1 `freezer.state` (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst): THAWED,
 * FREEZING or FROZEN, as core/cgroup/freezer.ts v1FreezerState.
 * @returns the state, or null for anything else
 */
export function v1FreezerStateOf(f: FileBytes): FreezerState | null {
  trimmed(f, span);
  const n = span[1] - span[0];
  for (const [word, state] of FREEZER_STATES) if (word.length === n && f.bytes.compare(word, 0, n, span[0], span[1]) === 0) return state;
  return null;
}
