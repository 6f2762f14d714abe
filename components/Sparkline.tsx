/**
 * A sparkline: one cell per value, the height of a block glyph
 * (`▁▂▃▄▅▆▇█`, or ASCII `_.-=+*#@` when the theme is ASCII) scaled to the
 * largest value (or a given `max`). An unknown value (null) is a blank cell,
 * never drawn as a zero. The newest values are on the right; with more
 * values than cells, the oldest are left out.
 */
import React from 'react';
import { Text } from 'ink';
import type { Theme } from './theme.js';

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII_BLOCKS = ['_', '.', '-', '=', '+', '*', '#', '@'];

/**
 * The sparkline text, exactly `width` cells (padded on the left with blanks
 * when there are fewer values). Values at or below 0 draw the lowest glyph;
 * `max` (default: the largest value, at least `minMax`) draws the highest.
 * Pure; exported for tests.
 */
export function sparkline(values: readonly (number | null)[], width: number, opts: { max?: number; minMax?: number; ascii?: boolean } = {}): string {
  if (width <= 0) return '';
  const glyphs = opts.ascii ? ASCII_BLOCKS : BLOCKS;
  const shown = values.slice(Math.max(0, values.length - width));
  let max = opts.max;
  if (max === undefined) {
    max = opts.minMax ?? 0;
    for (const v of shown) if (v !== null && Number.isFinite(v) && v > max) max = v;
  }
  const cells = shown.map((v) => {
    if (v === null || !Number.isFinite(v)) return ' ';
    if (!(max! > 0) || v <= 0) return glyphs[0];
    const k = Math.round((Math.min(v, max!) / max!) * (glyphs.length - 1));
    return glyphs[Math.max(0, Math.min(glyphs.length - 1, k))];
  });
  return ' '.repeat(width - cells.length) + cells.join('');
}

export interface SparklineProps {
  values: readonly (number | null)[];
  width: number;
  theme: Theme;
  max?: number;
  minMax?: number;
  /** Ink colour name (only with a colour theme) */
  color?: string;
}

export function Sparkline(p: SparklineProps): React.JSX.Element {
  return <Text color={p.theme.color ? p.color : undefined}>{sparkline(p.values, p.width, { max: p.max, minMax: p.minMax, ascii: p.theme.ascii })}</Text>;
}
