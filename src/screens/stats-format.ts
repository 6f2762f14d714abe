/**
 * Short texts for stats cells (list, top, detail, sliders). Unknown values
 * are `-`; an unlimited limit is `unlimited` (U2), never 0, a negative
 * number or a 19-digit figure; sizes in IEC units (1K = 1024 bytes).
 */
import type { StatsSample } from '../../core/stats/types.js';
import type { LimitValue } from '../../core/units.js';

const UNITS = ['B', 'K', 'M', 'G', 'T', 'P'];

/** `512M`, `1.5G`, `980K`, `12B`: at most 4 digits and a unit letter; `-` when unknown. */
export function compactBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '-';
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${Math.round(v)}B`;
  if (Math.round(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024; // 1023.7K rounds to 1024K: say 1M
    i++;
  }
  const t = v < 10 ? v.toFixed(1).replace(/\.0$/, '') : String(Math.round(v));
  return `${t}${UNITS[i]}`;
}

/** A limit: `unlimited` for max (U2), `-` when unknown, else compact bytes. */
export function limitText(v: LimitValue | null | undefined): string {
  if (v === 'max') return 'unlimited';
  return compactBytes(v ?? null);
}

/** A rate per second: `1.2M/s`, `-` when unknown. */
export function rateText(bps: number | null | undefined): string {
  return bps === null || bps === undefined ? '-' : `${compactBytes(Math.round(bps))}/s`;
}

/** CPU % of one CPU with one decimal (`12.5`; 100 is one CPU); `-` when stopped or not yet known (first pass). */
export function cpuText(s: StatsSample | undefined): string {
  if (!s || s.cpu.percent === null) return '-';
  return s.cpu.percent >= 999.5 ? String(Math.round(s.cpu.percent)) : s.cpu.percent.toFixed(1);
}

/** Memory `used/limit` (`45M/512M`, `45M/unlimited`); `-` when stopped or unknown. */
export function memText(s: StatsSample | undefined): string {
  if (!s || s.memory.used === null) return '-';
  return `${compactBytes(s.memory.used)}/${s.memory.limit === null ? '?' : limitText(s.memory.limit)}`;
}
