/**
 * A scrolling table whose columns stay aligned with wide characters.
 * Every cell is made safe ({@link safeText}), cut with an ellipsis by
 * display width and padded to its column's width in cells, so each line is
 * exactly `width` cells no matter what the rows hold.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { displayWidth, fitToWidth, safeText } from './text.js';
import { glyphs, type Theme } from './theme.js';

export interface Column<R> {
  key: string;
  header: string;
  /** fixed width in cells; leave out to size from the content */
  width?: number;
  /** smallest width when the table must shrink (default: header width) */
  minWidth?: number;
  /** largest width when sized from the content */
  maxWidth?: number;
  align?: 'left' | 'right';
  value: (row: R) => string;
  /** Ink colour name for the cell (used only when the theme allows colour) */
  color?: (row: R) => string | undefined;
}

export interface TableProps<R> {
  columns: readonly Column<R>[];
  rows: readonly R[];
  rowKey: (row: R) => string;
  /** index into rows of the selected row; -1 for none */
  selected: number;
  /** index of the first row shown */
  top: number;
  /** body lines (rows shown); the table draws height + 2 lines (header and rule) */
  height: number;
  /** total width in cells */
  width: number;
  theme: Theme;
  /** line shown when there are no rows */
  empty?: string;
  /** rows drawn with {@link MARK} in the cell after the pointer (marked for a bulk action) */
  marked?: (row: R) => boolean;
}

/** The mark of a marked row (ASCII, one cell, in both themes). */
export const MARK = '*';

/** Cells before the first column: the selection pointer and the mark (or a space). */
export const POINTER_WIDTH = 2;
/** Cells between two columns. */
export const GAP = 1;

/**
 * Widths in cells of each column for a table `width` cells wide.
 * Columns with `width` keep it; the others take their widest cell (header
 * included) up to `maxWidth`. When the sum is too wide, content-sized
 * columns shrink toward `minWidth`, widest first; what still does not fit is
 * cut from the last columns. Pure; exported for tests.
 */
export function layoutColumns<R>(columns: readonly Column<R>[], rows: readonly R[], width: number, ascii = false): number[] {
  const natural = columns.map((c) => {
    if (c.width !== undefined) return c.width;
    let w = displayWidth(c.header);
    for (const r of rows) w = Math.max(w, displayWidth(safeText(c.value(r), ascii)));
    return c.maxWidth !== undefined ? Math.min(w, c.maxWidth) : w;
  });
  const mins = columns.map((c, i) => (c.width !== undefined ? c.width : Math.min(natural[i], c.minWidth ?? displayWidth(c.header))));
  const avail = Math.max(0, width - POINTER_WIDTH - GAP * Math.max(0, columns.length - 1));
  const widths = [...natural];
  let excess = widths.reduce((a, b) => a + b, 0) - avail;
  while (excess > 0) {
    // shrink the widest column that can still shrink by one cell
    let best = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i] > mins[i] && (best < 0 || widths[i] > widths[best])) best = i;
    }
    if (best < 0) break;
    widths[best]--;
    excess--;
  }
  // Still too wide: cut from the right.
  for (let i = widths.length - 1; i >= 0 && excess > 0; i--) {
    const cut = Math.min(widths[i], excess);
    widths[i] -= cut;
    excess -= cut;
  }
  return widths;
}

/** The last layout of each columns array (the caller keeps the array while its cells stay the same). */
const layouts = new WeakMap<readonly Column<unknown>[], { rows: readonly unknown[]; width: number; ascii: boolean; widths: number[] }>();

/**
 * {@link layoutColumns}, measured again only when the columns array, the rows array, the width or
 * the theme changed: moving the selection or scrolling then costs the visible rows only, not a
 * measure of every row (500 containers: 3500 cells per frame).
 */
function cachedLayout<R>(columns: readonly Column<R>[], rows: readonly R[], width: number, ascii: boolean): number[] {
  const key = columns as readonly Column<unknown>[];
  const hit = layouts.get(key);
  if (hit && hit.rows === rows && hit.width === width && hit.ascii === ascii) return hit.widths;
  const widths = layoutColumns(columns, rows, width, ascii);
  layouts.set(key, { rows, width, ascii, widths });
  return widths;
}

/**
 * One line of the table. Every line is already cut to `width` cells
 * (fitToWidth), and the Text truncates too, so no clipping box: Ink slices
 * every write inside an `overflow="hidden"` box through slice-ansi, which
 * was a quarter of a 50-row table's redraw time.
 */
function Line({ width, children }: { width: number; children: React.ReactNode }): React.JSX.Element {
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">{children}</Text>
    </Box>
  );
}

/** The table: a header line, a rule, then `height` body lines (blank when there are fewer rows). */
export function Table<R>(props: TableProps<R>): React.JSX.Element {
  const { columns, rows, rowKey, selected, top, height, width, theme } = props;
  const g = glyphs(theme);
  const widths = cachedLayout(columns, rows, width, theme.ascii);
  const cell = (text: string, i: number): string =>
    fitToWidth(safeText(text, theme.ascii), widths[i], { ellipsis: g.ellipsis, align: columns[i].align });
  const joinCells = (cells: string[]): string => cells.join(' '.repeat(GAP));

  const header = ' '.repeat(POINTER_WIDTH) + joinCells(columns.map((c, i) => cell(c.header, i)));
  let rule = g.rule.repeat(width);
  if (rows.length > height && height > 0) {
    const last = Math.min(rows.length, top + height);
    const label = ` ${top > 0 ? g.up : ' '}${last < rows.length ? g.down : ' '} ${top + 1}-${last} of ${rows.length} `;
    const lw = displayWidth(label);
    if (lw + 2 <= width) rule = g.rule.repeat(width - lw - 1) + label + g.rule;
  }

  const body: React.JSX.Element[] = [];
  const shown = rows.slice(top, top + height);
  shown.forEach((row, k) => {
    const index = top + k;
    const isSel = index === selected;
    const pointer = fitToWidth(isSel ? g.pointer : '', POINTER_WIDTH - 1) + (props.marked?.(row) ? MARK : ' ');
    const parts = columns.map((c, i) => {
      const text = cell(c.value(row), i);
      const color = theme.color ? c.color?.(row) : undefined;
      return (
        <Text key={c.key} color={color}>
          {text}
          {i < columns.length - 1 ? ' '.repeat(GAP) : ''}
        </Text>
      );
    });
    body.push(
      <Line key={rowKey(row)} width={width}>
        <Text bold={isSel} inverse={isSel && theme.color}>
          {pointer}
          {parts}
        </Text>
      </Line>,
    );
  });
  if (rows.length === 0 && props.empty && height > 0) {
    body.push(
      <Line key="-empty" width={width}>
        <Text dimColor={theme.color}>{fitToWidth(' '.repeat(POINTER_WIDTH) + safeText(props.empty, theme.ascii), width, { ellipsis: g.ellipsis })}</Text>
      </Line>,
    );
  }
  while (body.length < height) body.push(<Line key={`-blank-${body.length}`} width={width}>{' '}</Line>);

  return (
    <Box flexDirection="column" width={width}>
      <Line width={width}>
        <Text bold={theme.color}>{fitToWidth(header, width, { ellipsis: g.ellipsis })}</Text>
      </Line>
      <Line width={width}>
        <Text dimColor={theme.color}>{rule}</Text>
      </Line>
      {body}
    </Box>
  );
}
