/**
 * The byte parsers of a stats pass (core/stats/bytes.ts) against the text parsers they
 * replace on the hot path: the same answers on the kernel's formats and on malformed text,
 * and HostFs.readBytes reading a file longer than its buffer and a file that vanished.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBytes, HostFs } from '../../../core/host/host-fs.js';
import {
  blkioServiceBytesInto,
  decimalIn,
  flatKeyedInto,
  flatKeys,
  ioStatInto,
  limitValueOf,
  nsFileToUsec,
  procStatOf,
  psiOf,
  singleDecimal,
  v1FreezerStateOf,
} from '../../../core/stats/bytes.js';
import { parseBlkioServiceBytes, parseIoStat, parseProcStat, parsePsi } from '../../../core/stats/parse.js';
import { parseFlatKeyed } from '../../../core/cgroup/parse.js';
import { v1FreezerState } from '../../../core/cgroup/freezer.js';
import { nsTextToUsec, parseCgroupLimit } from '../../../core/units.js';
import { PSI, procStat } from './tree.js';

/** A FileBytes holding `text`, with stale bytes after it (they must never be read). */
function fb(text: string): FileBytes {
  const f = new FileBytes(4);
  const b = Buffer.from(text + 'STALE 999 ) rbytes=7\n', 'latin1');
  f.bytes = b;
  f.length = Buffer.byteLength(text, 'latin1');
  return f;
}

const V1_MEMORY_STAT = `cache 1486848\nrss 3022848\nrss_huge 0\nshmem 0\nmapped_file 0\ninactive_anon 3018752\nactive_anon 0\ninactive_file 1060864\nactive_file 425984\nhierarchical_memory_limit 9223372036854771712\ntotal_cache 1486848\ntotal_rss 3022848\ntotal_inactive_file 1060864\ntotal_active_file 425984\n`;
const V2_MEMORY_STAT = `anon 3022848\nfile 1486848\nkernel 712704\nkernel_stack 49152\nsock 0\nshmem 0\nfile_mapped 0\ninactive_anon 3018752\nactive_anon 4096\ninactive_file 1060864\nactive_file 425984\nunevictable 0\npgfault 1234\n`;

describe('stats byte parsers give the text parsers\' answers', () => {
  it('single-value files: decimals, max, empty, junk, and 19-digit values through Number()', () => {
    for (const t of ['12345\n', '0\n', '  7 \n', 'max\n', '', '\n', '12a\n', '-1\n', '9223372036854771712\n', '1234567890123456\n']) {
      const want = /^\d+$/.test(t.trim()) ? Number(t.trim()) : null;
      expect(singleDecimal(fb(t)), JSON.stringify(t)).toBe(want);
    }
    expect(decimalIn(Buffer.from('x42y'), 1, 3)).toBe(42);
    expect(decimalIn(Buffer.from('42'), 1, 1)).toBe(-1);
  });

  it('cpuacct.usage nanoseconds to microseconds, rounded down like nsTextToUsec', () => {
    for (const t of ['123456789\n', '999\n', '1000\n', '1999\n', '0\n', '18446744073709551615\n', '9007199254740993999\n', 'x\n', '']) {
      expect(nsFileToUsec(fb(t)), JSON.stringify(t)).toBe(nsTextToUsec(t));
    }
  });

  it("/proc/PID/stat: ppid and starttime after the last ')', also with an odd command name", () => {
    const out = { ppid: 0, startTime: 0 };
    const self = readFileSync('/proc/self/stat', 'latin1');
    for (const t of [procStat(4242, 100, 5000), self, '1 (a) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 77 1000 100\n']) {
      const want = parseProcStat(t)!;
      expect(procStatOf(fb(t), out)).toBe(true);
      expect(out).toEqual(want);
    }
    for (const t of ['', 'no paren here', '1 (a) S 0 1', '1 (a) S x 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 77\n']) {
      expect(procStatOf(fb(t), out), t).toBe(false);
      expect(parseProcStat(t), t).toBeNull();
    }
  });

  it('flat-keyed memory.stat and cpu.stat: only the keys asked for, NaN for the absent', () => {
    const keys = ['total_inactive_file', 'inactive_file', 'total_cache', 'cache', 'file', 'usage_usec'];
    const k = flatKeys(keys);
    const out = new Float64Array(keys.length);
    for (const t of [V1_MEMORY_STAT, V2_MEMORY_STAT, 'usage_usec 14700070\nuser_usec 1\nsystem_usec 2\n', '', 'cache\ncache x\n']) {
      flatKeyedInto(fb(t), k, out);
      const want = parseFlatKeyed(t);
      keys.forEach((key, i) => expect(out[i], `${key} in ${JSON.stringify(t.slice(0, 20))}`).toBe(want[key] ?? NaN));
    }
  });

  it('v1 blkio.throttle.io_service_bytes: Read and Write summed over devices, Total and others skipped', () => {
    const io = new Float64Array(2);
    for (const t of ['8:0 Read 1234\n8:0 Write 5678\n8:0 Sync 1\n8:0 Async 2\n8:0 Total 6912\n8:16 Read 10\n8:16 Write 20\nTotal 6942\n', 'Total 0\n', '', 'x:0 Read 5\n8:0 Read 5 extra\n8:0 Read y\n']) {
      blkioServiceBytesInto(fb(t), io);
      expect([io[0], io[1]], t).toEqual(Object.values(parseBlkioServiceBytes(t)));
    }
  });

  it('v2 io.stat: rbytes and wbytes summed over devices; empty is zeros', () => {
    const io = new Float64Array(2);
    for (const t of ['8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:0 rbytes=100 wbytes=1 rios=1 wios=1 dbytes=0 dios=0\n', '', '8:0 rbytes= wbytes=5\n']) {
      ioStatInto(fb(t), io);
      expect([io[0], io[1]], t).toEqual(Object.values(parseIoStat(t)));
    }
  });

  it('limits: max, -1, v1 unlimited, a number, junk', () => {
    for (const t of ['max\n', '-1\n', '9223372036854771712\n', '1073741824\n', '100\n', 'junk\n', '', '-5\n']) {
      expect(limitValueOf(fb(t)), JSON.stringify(t)).toBe(parseCgroupLimit(t));
    }
  });

  it('PSI: some and full lines, no full line, malformed through parsePsi; unchanged figures keep the same object', () => {
    for (const t of [PSI, 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n', 'some avg10=1. avg60=.5 avg300=12 total=7\n', 'garbage\n', '', 'full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n', 'some avg10=1.2.3 avg60=0 avg300=0 total=0\n']) {
      expect(psiOf(fb(t)), JSON.stringify(t)).toEqual(parsePsi(t));
    }
    const first = psiOf(fb(PSI))!;
    expect(psiOf(fb(PSI), first)).toBe(first);
    const changed = psiOf(fb(PSI.replace('total=123456', 'total=123457')), first)!;
    expect(changed).not.toBe(first);
    expect(changed.some.total).toBe(123457);
  });

  it('v1 freezer.state', () => {
    for (const t of ['THAWED\n', 'FREEZING\n', 'FROZEN\n', 'FROZE\n', '', 'thawed\n']) expect(v1FreezerStateOf(fb(t)), t).toBe(v1FreezerState(t));
  });
});

describe('HostFs.readBytes', () => {
  let tmp: string | undefined;
  afterEach(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  it('reads a file longer than its buffer whole (the buffer grows), a vanished file is false, a directory throws', () => {
    tmp = mkdtempSync(join(tmpdir(), 'hostfs-bytes-'));
    mkdirSync(join(tmp, 'sys'));
    const big = 'x'.repeat(40_000) + '\nend\n';
    writeFileSync(join(tmp, 'sys', 'big'), big);
    const fs = new HostFs(tmp);
    const f = new FileBytes(16);
    expect(fs.readBytes('/sys/big', f)).toBe(true);
    expect(f.length).toBe(big.length);
    expect(f.text()).toBe(big);
    expect(fs.readBytes('/sys/gone', f)).toBe(false);
    expect(f.length).toBe(0);
    expect(() => fs.readBytes('/sys', f)).toThrow(/EISDIR/);
    // a real /proc seq file (size 0 in stat): read whole
    expect(new HostFs('/').readBytes('/proc/self/stat', f)).toBe(true);
    expect(f.text()).toMatch(/^\d+ \(.*\) [A-Z] /);
  });
});
