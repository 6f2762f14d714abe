/**
 * Parsers for the counter files a stats pass reads. Each takes the file's
 * text and returns numbers in lxdeck's units (bytes, microseconds), or null
 * where the text does not have the documented shape (never a guessed 0).
 */
import type { Psi, PsiLine } from './types.js';

/**
 * A PSI file (`cpu.pressure`, `memory.pressure`, `io.pressure`; Documentation/accounting/psi.rst):
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 * @returns null when there is no well-formed `some` line
 */
export function parsePsi(text: string): Psi | null {
  const lines: Record<string, PsiLine> = {};
  for (const line of text.split('\n')) {
    const m = /^(some|full)\s+avg10=([\d.]+)\s+avg60=([\d.]+)\s+avg300=([\d.]+)\s+total=(\d+)\s*$/.exec(line.trim());
    if (m) lines[m[1]] = { avg10: Number(m[2]), avg60: Number(m[3]), avg300: Number(m[4]), total: Number(m[5]) };
  }
  if (!lines.some) return null;
  return { some: lines.some, full: lines.full ?? null };
}

/**
 * v2 `io.stat` (Documentation/admin-guide/cgroup-v2.rst "io.stat"):
 *   8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
 * summed over devices.
 * @returns read and write bytes; zeros for an empty file (no I/O yet is a real 0)
 */
export function parseIoStat(text: string): { readBytes: number; writeBytes: number } {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    const r = /\brbytes=(\d+)/.exec(line);
    const w = /\bwbytes=(\d+)/.exec(line);
    if (r) readBytes += Number(r[1]);
    if (w) writeBytes += Number(w[1]);
  }
  return { readBytes, writeBytes };
}

/**
 * v1 `blkio.throttle.io_service_bytes` (Documentation/admin-guide/cgroup-v1/blkio-controller.rst):
 *   8:0 Read 1234
 *   8:0 Write 5678
 *   ...
 *   Total 6912
 * Read and Write summed over devices (the trailing `Total` line is skipped).
 */
export function parseBlkioServiceBytes(text: string): { readBytes: number; writeBytes: number } {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    const m = /^\d+:\d+\s+(Read|Write)\s+(\d+)\s*$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'Read') readBytes += Number(m[2]);
    else writeBytes += Number(m[2]);
  }
  return { readBytes, writeBytes };
}

/**
 * `/proc/PID/net/dev` (proc(5)): per-interface counters as the process's
 * network namespace sees them; `lo` is left out.
 * @returns received and sent bytes summed, and the interfaces counted
 */
export function parseNetDev(text: string): { rxBytes: number; txBytes: number; interfaces: string[] } {
  let rxBytes = 0;
  let txBytes = 0;
  const interfaces: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes ...
    if (f.length < 16 || f.some((x) => !Number.isFinite(x))) continue;
    rxBytes += f[0];
    txBytes += f[8];
    interfaces.push(m[1]);
  }
  return { rxBytes, txBytes, interfaces };
}

/** `MemTotal` of /proc/meminfo in bytes (the file says kB, meaning KiB), or null. */
export function memTotalFromMeminfo(text: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * Fields of /proc/PID/stat after the command name (proc(5)): the name is in
 * parentheses and may hold spaces or `)`, so the split starts after the LAST `)`.
 * @returns ppid (field 4) and starttime (field 22, clock ticks since boot), or null
 */
export function parseProcStat(text: string): { ppid: number; startTime: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state)
  const ppid = Number(f[1]);
  const startTime = Number(f[19]);
  if (!Number.isInteger(ppid) || !Number.isFinite(startTime)) return null;
  return { ppid, startTime };
}
