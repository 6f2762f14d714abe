/**
 * A one-line progress bar: `[#####-----]  50%` in ASCII, block glyphs
 * otherwise. A null fraction (not known) draws no bar, only the label.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { fitToWidth, safeText } from './text.js';
import type { Theme } from './theme.js';

/**
 * The bar as text, exactly `width` cells: a bar of the fraction (0..1,
 * clamped) and its percentage, then the label; with `fraction` null, the label alone.
 */
export function progressBarText(fraction: number | null, label: string, width: number, ascii: boolean): string {
  const w = Math.max(0, width);
  if (fraction === null || !Number.isFinite(fraction)) return fitToWidth(safeText(label, ascii), w, { ellipsis: ascii ? '~' : '…' });
  const f = Math.max(0, Math.min(1, fraction));
  const pct = `${String(Math.floor(f * 100)).padStart(3)}%`;
  const barWidth = Math.max(4, Math.min(40, Math.floor(w / 2) - 2));
  const filled = Math.round(f * barWidth);
  const [on, off] = ascii ? ['#', '-'] : ['█', '░'];
  const bar = `[${on.repeat(filled)}${off.repeat(barWidth - filled)}] ${pct}`;
  return fitToWidth(`${bar} ${safeText(label, ascii)}`, w, { ellipsis: ascii ? '~' : '…' });
}

export interface ProgressBarProps {
  fraction: number | null;
  label: string;
  width: number;
  theme: Theme;
}

export function ProgressBar({ fraction, label, width, theme }: ProgressBarProps): React.JSX.Element {
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate" color={theme.color ? 'cyan' : undefined}>
        {progressBarText(fraction, label, width, theme.ascii)}
      </Text>
    </Box>
  );
}
