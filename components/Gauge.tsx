/**
 * A horizontal gauge: `[████░░░░]`, or `[####....]` in ASCII. The fraction
 * is clamped to 0..1; an unknown fraction (null) draws an empty gauge with
 * `?` in the middle, never a full or empty one that would read as a value.
 */
import React from 'react';
import { Text } from 'ink';
import type { Theme } from './theme.js';

/**
 * The gauge text, exactly `width` cells including the brackets (width >= 3).
 * `marker` (0..1) draws a cursor cell at that position instead of filling
 * (the slider's knob). Pure; exported for tests.
 */
export function gaugeText(fraction: number | null, width: number, opts: { ascii?: boolean; marker?: boolean } = {}): string {
  if (width < 3) return ''.padEnd(Math.max(0, width));
  const inner = width - 2;
  const full = opts.ascii ? '#' : '█';
  const empty = opts.ascii ? '.' : '░';
  const knob = opts.ascii ? '|' : '┃';
  if (fraction === null || !Number.isFinite(fraction)) {
    // a slider with no value (a weight not set): an empty track, no knob; its value text says why
    if (opts.marker) return `[${empty.repeat(inner)}]`;
    const mid = Math.floor(inner / 2);
    return `[${empty.repeat(mid)}?${empty.repeat(inner - mid - 1)}]`;
  }
  const f = Math.max(0, Math.min(1, fraction));
  if (opts.marker) {
    const at = Math.min(inner - 1, Math.round(f * (inner - 1)));
    return `[${full.repeat(at)}${knob}${empty.repeat(inner - at - 1)}]`;
  }
  const n = Math.round(f * inner);
  return `[${full.repeat(n)}${empty.repeat(inner - n)}]`;
}

export interface GaugeProps {
  fraction: number | null;
  width: number;
  theme: Theme;
  marker?: boolean;
  color?: string;
}

export function Gauge(p: GaugeProps): React.JSX.Element {
  return <Text color={p.theme.color ? p.color : undefined}>{gaugeText(p.fraction, p.width, { ascii: p.theme.ascii, marker: p.marker })}</Text>;
}
