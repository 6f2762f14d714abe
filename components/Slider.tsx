/**
 * One slider row of the resource screen: a label, a gauge with a knob at
 * the value's place on its scale, the value, and what is in use now drawn
 * beside it; under it, when there is one, the value being typed, a note,
 * or the refusal (message and hint) in red. Draws exactly
 * {@link sliderHeight} lines of `width` cells.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { gaugeText } from './Gauge.js';
import { fitToWidth, safeText, wrapToWidth } from './text.js';
import { glyphs, type Theme } from './theme.js';

export interface SliderProps {
  label: string;
  /** where the knob sits, 0..1; null when the value is unknown */
  fraction: number | null;
  /** the value as shown (`512 MiB`, `unlimited`) */
  value: string;
  /** what is used now (`used 120 MiB`), drawn beside the value */
  use?: string;
  selected: boolean;
  /** the text being typed, null when not typing */
  editing?: string | null;
  /** the grammar shown while typing (U1) */
  editHint?: string;
  /** a change is being applied */
  pending?: boolean;
  /** the last refusal (kernel or validation), shown under the slider */
  error?: { message: string; hint?: string } | null;
  /** a note after a change (quota raised, CPUs dropped) */
  note?: string | null;
  width: number;
  theme: Theme;
}

/** Cells of the label column. */
export const SLIDER_LABEL_WIDTH = 11;

/** Cells before the lines under a slider (pointer, label, space). */
const INDENT = 2 + 11 + 1;

/** The refusal's message wrapped under the slider: at most 2 lines, the last cut with an ellipsis. */
function errorLines(message: string, width: number, ascii: boolean, mark: string): string[] {
  const w = Math.max(1, width - INDENT);
  const lines = wrapToWidth(`${mark} ${safeText(message, ascii)}`, w);
  if (lines.length <= 2) return lines;
  return [lines[0], fitToWidth(lines.slice(1).join(' '), w, { ellipsis: ascii ? '~' : '…' })];
}

/** Lines a slider takes: 1, plus the typed value, the refusal (message up to 2 lines, hint) or a note. */
export function sliderHeight(p: Pick<SliderProps, 'editing' | 'error' | 'note' | 'editHint'> & { width?: number; theme?: Theme }): number {
  if (p.editing !== null && p.editing !== undefined) return p.editHint ? 3 : 2;
  if (p.error) return 1 + errorLines(p.error.message, p.width ?? 80, p.theme?.ascii ?? false, 'x').length + (p.error.hint ? 1 : 0);
  if (p.note) return 2;
  return 1;
}

/** Widths of the gauge and value columns for a row `width` cells wide. Pure; exported for tests. */
export function sliderColumns(width: number): { gauge: number; value: number; use: number } {
  const rest = Math.max(0, width - 2 - SLIDER_LABEL_WIDTH - 1);
  const gauge = Math.max(5, Math.min(32, Math.floor(rest * 0.4)));
  const value = Math.min(14, Math.max(0, rest - gauge - 1));
  const use = Math.max(0, rest - gauge - 1 - value - 1);
  return { gauge, value, use };
}

function Line({ width, children }: { width: number; children: React.ReactNode }): React.JSX.Element {
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate">{children}</Text>
    </Box>
  );
}

export function Slider(p: SliderProps): React.JSX.Element {
  const g = glyphs(p.theme);
  const { gauge, value, use } = sliderColumns(p.width);
  const c = p.theme.color;
  const pointer = fitToWidth(p.selected ? g.pointer : '', 2);
  const label = fitToWidth(safeText(p.label, p.theme.ascii), SLIDER_LABEL_WIDTH, { ellipsis: g.ellipsis });
  const valueText = fitToWidth(safeText(p.pending ? `${p.value}${p.theme.ascii ? '..' : '…'}` : p.value, p.theme.ascii), value, { ellipsis: g.ellipsis, align: 'right' });
  const useText = fitToWidth(safeText(p.use ?? '', p.theme.ascii), use, { ellipsis: g.ellipsis });
  const lines: React.JSX.Element[] = [
    <Line key="main" width={p.width}>
      <Text bold={p.selected} inverse={p.selected && c}>
        {pointer}
        {label}
      </Text>{' '}
      <Text color={c ? (p.error ? 'red' : p.selected ? 'cyan' : undefined) : undefined}>{gaugeText(p.fraction, gauge, { ascii: p.theme.ascii, marker: true })}</Text>{' '}
      <Text bold={c}>{valueText}</Text> <Text dimColor={c}>{useText}</Text>
    </Line>,
  ];
  const indent = ' '.repeat(2 + SLIDER_LABEL_WIDTH + 1);
  const sub = Math.max(0, p.width - indent.length);
  if (p.editing !== null && p.editing !== undefined) {
    lines.push(
      <Line key="edit" width={p.width}>
        {indent}
        {fitToWidth(`new value: ${safeText(p.editing, p.theme.ascii)}${c ? '' : '_'}`, Math.max(0, sub - 1), { ellipsis: g.ellipsis })}
        {c ? <Text inverse> </Text> : ''}
      </Line>,
    );
    if (p.editHint)
      lines.push(
        <Line key="grammar" width={p.width}>
          <Text dimColor={c}>{indent + fitToWidth(safeText(p.editHint, p.theme.ascii), sub, { ellipsis: g.ellipsis })}</Text>
        </Line>,
      );
  } else if (p.error) {
    errorLines(p.error.message, p.width, p.theme.ascii, g.error).forEach((l, k) =>
      lines.push(
        <Line key={`err${k}`} width={p.width}>
          <Text color={c ? 'red' : undefined}>{indent + fitToWidth(l, sub, { ellipsis: g.ellipsis })}</Text>
        </Line>,
      ),
    );
    if (p.error.hint)
      lines.push(
        <Line key="hint" width={p.width}>
          <Text dimColor={c}>{indent + fitToWidth(`hint: ${safeText(p.error.hint, p.theme.ascii)}`, sub, { ellipsis: g.ellipsis })}</Text>
        </Line>,
      );
  } else if (p.note) {
    lines.push(
      <Line key="note" width={p.width}>
        <Text dimColor={c}>{indent + fitToWidth(safeText(p.note, p.theme.ascii), sub, { ellipsis: g.ellipsis })}</Text>
      </Line>,
    );
  }
  return (
    <Box flexDirection="column" width={p.width}>
      {lines}
    </Box>
  );
}
