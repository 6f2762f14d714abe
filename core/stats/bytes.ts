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
import { parseCgroupLimit, type LimitValue } from '../units.js';
import { parsePsi } from './parse.js';
import type { Psi, PsiLine } from './types.js';

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

/** True when `b` holds `word` at `at` (a loop: Buffer#compare checks its arguments at some cost). */
function sameBytes(b: Buffer, at: number, word: Buffer): boolean {
  if (at + word.length > b.length) return false;
  for (let i = 0; i < word.length; i++) if (b[at + i] !== word[i]) return false;
  return true;
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
      if (key.length === ke - ks && sameBytes(b, ks, key)) {
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
        if (oe - os === 4 && sameBytes(b, os, READ)) out[0] += v;
        else if (oe - os === 5 && sameBytes(b, os, WRITE)) out[1] += v;
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
    if (!seenR && i - s > 7 && sameBytes(b, s, RBYTES)) {
      const v = leadingDecimal(b, s + 7, i);
      if (v >= 0) {
        out[0] += v;
        seenR = true;
      }
    } else if (!seenW && i - s > 7 && sameBytes(b, s, WBYTES)) {
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

const FREEZER_STATES: readonly FreezerState[] = ['THAWED', 'FREEZING', 'FROZEN'];
const FREEZER_WORDS: readonly Buffer[] = FREEZER_STATES.map((s) => Buffer.from(s, 'latin1'));

/**
 * v1 `freezer.state` (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst): THAWED,
 * FREEZING or FROZEN, as core/cgroup/freezer.ts v1FreezerState.
 * @returns the state, or null for anything else
 */
export function v1FreezerStateOf(f: FileBytes): FreezerState | null {
  trimmed(f, span);
  const n = span[1] - span[0];
  for (let i = 0; i < FREEZER_WORDS.length; i++) if (FREEZER_WORDS[i].length === n && sameBytes(f.bytes, span[0], FREEZER_WORDS[i])) return FREEZER_STATES[i];
  return null;
}

/**
 * A cgroup limit file (v1 `memory.limit_in_bytes`, `pids.max`; v2 `memory.max`, `pids.max`):
 * the same answers as core/units.ts parseCgroupLimit (U2): `max` and `-1` are `'max'`, a
 * decimal is the number; a value of 16 digits or more (v1's page-rounded LONG_MAX for
 * unlimited) goes through parseCgroupLimit itself.
 * @returns bytes or a count, `'max'`, or null when the file is not a limit
 */
export function limitValueOf(f: FileBytes): LimitValue | null {
  trimmed(f, span);
  const s = span[0];
  const e = span[1];
  const b = f.bytes;
  if (e - s === 3 && b[s] === 0x6d && b[s + 1] === 0x61 && b[s + 2] === 0x78) return 'max';
  if (e - s === 2 && b[s] === 0x2d && b[s + 1] === 0x31) return 'max';
  if (e - s > EXACT_DIGITS) return parseCgroupLimit(f.text());
  const v = decimalIn(b, s, e);
  return v < 0 ? null : v;
}

/**
 * The decimal fraction in `b[s .. e)` (`1.50`, `0.00`, `12`): digits, at most one dot.
 * One division of two exact integers, so the same double as `Number(text)`.
 * @returns the number, or NaN for anything else (or too many digits to be exact)
 */
function fractionIn(b: Buffer, s: number, e: number): number {
  let v = 0;
  let scale = 1;
  let dot = false;
  let digits = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 0x2e && !dot) {
      dot = true;
      continue;
    }
    if (!isDigit(c)) return NaN;
    v = v * 10 + (c - ZERO);
    if (dot) scale *= 10;
    digits++;
  }
  if (digits === 0 || digits > EXACT_DIGITS) return NaN;
  return dot ? v / scale : v;
}

const PSI_SOME = Buffer.from('some', 'latin1');
const PSI_FULL = Buffer.from('full', 'latin1');
const PSI_FIELDS = (['avg10=', 'avg60=', 'avg300=', 'total='] as const).map((k) => Buffer.from(k, 'latin1'));

/**
 * One PSI line `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` starting at `i`
 * (Documentation/accounting/psi.rst), into `out` [avg10, avg60, avg300, total].
 * @returns the index after the line's end, or -1 when the line has another shape
 */
function psiLineInto(b: Buffer, i: number, eol: number, out: Float64Array): number {
  for (let k = 0; k < 4; k++) {
    if (i >= eol || !isSpace(b[i])) return -1;
    while (i < eol && isSpace(b[i])) i++;
    const key = PSI_FIELDS[k];
    if (eol - i < key.length || !sameBytes(b, i, key)) return -1;
    i += key.length;
    const s = i;
    while (i < eol && !isSpace(b[i])) i++;
    const v = k === 3 ? decimalIn(b, s, i) : fractionIn(b, s, i);
    if (!(v >= 0)) return -1;
    out[k] = v;
  }
  while (i < eol && isSpace(b[i])) i++;
  return i === eol ? eol : -1;
}

const psiNums = new Float64Array(8);

/**
 * A PSI file (`cpu.pressure`, `memory.pressure`, `io.pressure`; Documentation/accounting/psi.rst),
 * the same answers as core/stats/parse.ts parsePsi, which it falls back to for any line of
 * another shape. When the figures equal `prev`'s, `prev` itself is returned (no new objects).
 * @returns null when there is no well-formed `some` line
 */
export function psiOf(f: FileBytes, prev: Psi | null = null): Psi | null {
  const b = f.bytes;
  const end = f.length;
  let some = false;
  let full = false;
  let i = 0;
  while (i < end) {
    let eol = i;
    while (eol < end && b[eol] !== NL) eol++;
    let s = i;
    while (s < eol && isSpace(b[s])) s++;
    if (s < eol) {
      const isSome = eol - s >= 4 && sameBytes(b, s, PSI_SOME);
      const isFull = !isSome && eol - s >= 4 && sameBytes(b, s, PSI_FULL);
      if ((!isSome && !isFull) || psiLineInto(b, s + 4, eol, psiNums.subarray(isSome ? 0 : 4, isSome ? 4 : 8)) < 0) return parsePsi(f.text());
      if (isSome) some = true;
      else full = true;
    }
    i = eol + 1;
  }
  if (!some) return null;
  if (prev !== null && samePsiLine(prev.some, 0) && (full ? prev.full !== null && samePsiLine(prev.full, 4) : prev.full === null)) return prev;
  return { some: psiLineAt(0), full: full ? psiLineAt(4) : null };
}

function samePsiLine(l: PsiLine, at: number): boolean {
  return l.avg10 === psiNums[at] && l.avg60 === psiNums[at + 1] && l.avg300 === psiNums[at + 2] && l.total === psiNums[at + 3];
}

function psiLineAt(at: number): PsiLine {
  return { avg10: psiNums[at], avg60: psiNums[at + 1], avg300: psiNums[at + 2], total: psiNums[at + 3] };
}
