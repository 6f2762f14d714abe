/**
 * Plain-text rows for stats and limits (the `stats` / `top` / `limits`
 * verbs): cells as strings, no colour, no escape codes; unknown values are
 * `-`, unlimited is `unlimited` (U2), never a sentinel or a 0.
 */
import type { AppliedLimits } from '../cgroup/limits.js';
import { formatBytes, formatCpuList, type LimitValue } from '../units.js';
import type { StatsPass, StatsSample } from './types.js';

export type StatsSortKey = 'name' | 'cpu' | 'mem' | 'io' | 'net' | 'pids';
export const STATS_SORT_KEYS: readonly StatsSortKey[] = ['name', 'cpu', 'mem', 'io', 'net', 'pids'];

const pct = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)}%`);
const bytes = (v: number | null) => (v === null ? '-' : formatBytes(v));
const rate = (v: number | null) => (v === null ? '-' : `${formatBytes(Math.round(v))}/s`);
const limit = (v: LimitValue | null) => (v === null ? '-' : v === 'max' ? 'unlimited' : formatBytes(v));

function sortValue(s: StatsSample, key: StatsSortKey): number {
  switch (key) {
    case 'cpu':
      return s.cpu.percent ?? -1;
    case 'mem':
      return s.memory.used ?? -1;
    case 'io':
      return (s.blkio.readBps ?? 0) + (s.blkio.writeBps ?? 0);
    case 'net':
      return (s.net?.rxBps ?? 0) + (s.net?.txBps ?? 0);
    case 'pids':
      return s.pids.current ?? -1;
    default:
      return 0;
  }
}

/** Samples sorted by `key`: name ascending, the others largest first (ties by name). */
export function sortSamples(samples: readonly StatsSample[], key: StatsSortKey): StatsSample[] {
  return [...samples].sort((a, b) => (key === 'name' ? 0 : sortValue(b, key) - sortValue(a, key)) || a.name.localeCompare(b.name));
}

/**
 * A header row and one row per container: NAME STATE CPU% (of one CPU) MEM
 * (used / limit) CACHE BLKIO (read/write per second) NET (rx/tx per second) PIDS.
 */
export function statsRows(pass: StatsPass, sort: StatsSortKey = 'name'): string[][] {
  const rows = [['NAME', 'STATE', 'CPU%', 'MEM USED', 'MEM LIMIT', 'CACHE', 'BLKIO R/W', 'NET RX/TX', 'PIDS']];
  for (const s of sortSamples(pass.containers, sort)) {
    const run = s.state !== 'STOPPED';
    rows.push([
      s.name,
      s.state,
      run ? pct(s.cpu.percent) : '-',
      run ? bytes(s.memory.used) : '-',
      run ? limit(s.memory.limit) : '-',
      run ? bytes(s.memory.cache) : '-',
      run ? `${rate(s.blkio.readBps)} ${rate(s.blkio.writeBps)}` : '-',
      run && s.net ? `${rate(s.net.rxBps)} ${rate(s.net.txBps)}` : '-',
      run && s.pids.current !== null ? `${s.pids.current}${s.pids.limit !== null && s.pids.limit !== 'max' ? `/${s.pids.limit}` : ''}` : '-',
    ]);
  }
  return rows;
}

/** `[label, value]` pairs for the limits in effect. */
export function limitLines(a: AppliedLimits): [string, string][] {
  const cpus = a.cpus === null ? '-' : a.cpus === 'max' ? 'unlimited' : `${Number(a.cpus.toFixed(3))}`;
  return [
    ['memory', limit(a.memory)],
    ['memory (soft)', limit(a.memorySoft)],
    ['swap', limit(a.swap)],
    ['cpus', a.cpuQuota && a.cpuQuota.quotaUsec !== 'max' ? `${cpus} (quota ${a.cpuQuota.quotaUsec} us per ${a.cpuQuota.periodUsec} us)` : cpus],
    ['cpu weight', a.cpuWeight === null ? '-' : String(a.cpuWeight)],
    ['cpuset', a.cpuset === null ? '-' : formatCpuList(a.cpuset) + (a.cpusetEffective && formatCpuList(a.cpusetEffective) !== formatCpuList(a.cpuset) ? ` (effective ${formatCpuList(a.cpusetEffective)})` : '')],
    ['io weight', a.ioWeight === null ? '-' : String(a.ioWeight)],
    [
      'io limits',
      a.io.length === 0
        ? 'none'
        : a.io
            .map((d) =>
              [d.device, ...(['rbps', 'wbps', 'riops', 'wiops'] as const).filter((k) => d[k] !== undefined && d[k] !== 'max').map((k) => `${k}=${k.endsWith('bps') ? formatBytes(d[k] as number) + '/s' : d[k]}`)].join(' '),
            )
            .join('; '),
    ],
    ['pids', a.pids === null ? '-' : a.pids === 'max' ? 'unlimited' : String(a.pids)],
  ];
}
