/**
 * A scrolling view of text lines (reports, info, logs, config text): each
 * line is made safe, wrapped to the width beforehand ({@link wrapViewLines})
 * so the number of lines is known, and the view draws exactly `height`
 * lines of `width` cells starting at line `top`.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { displayWidth, fitToWidth, safeText, wrapToWidth } from './text.js';
import { glyphs, type Theme } from './theme.js';

export interface ViewLine {
  text: string;
  /** Ink colour name, used only when the theme allows colour */
  color?: string;
  bold?: boolean;
  dim?: boolean;
  /** cells a wrapped continuation line is indented by (default: the line's own leading spaces) */
  indent?: number;
  /** cut to the width instead of wrapped (config lines, command lines keep one line each when they fit) */
  nowrap?: boolean;
  /** drawn in inverse video (the selected row) */
  selected?: boolean;
}

/**
 * The lines as drawn `width` cells wide: made safe for the terminal and
 * wrapped at spaces; continuation lines keep the indentation. Pure.
 */
export function wrapViewLines(lines: readonly ViewLine[], width: number, ascii = false): ViewLine[] {
  const w = Math.max(1, width);
  const out: ViewLine[] = [];
  for (const l of lines) {
    const text = safeText(l.text, ascii);
    if (l.nowrap || displayWidth(text) <= w) {
      out.push({ ...l, text });
      continue;
    }
    // the first `indent` cells (a label column, a marker, leading spaces) stay as they are;
    // the rest is wrapped beside them and continues under them
    const lead = /^ */.exec(text)?.[0].length ?? 0;
    const keep = Math.min(l.indent ?? lead, text.length, Math.floor(w / 2));
    const prefix = text.slice(0, keep);
    const pw = displayWidth(prefix);
    const parts = wrapToWidth(text.slice(keep), Math.max(1, w - pw));
    out.push({ ...l, text: prefix + parts[0] });
    for (const part of parts.slice(1)) out.push({ ...l, text: ' '.repeat(pw) + part });
  }
  return out;
}

/** The first line to draw so `top` stays within the lines (no blank tail while lines above are hidden). */
export function clampTop(top: number, count: number, height: number): number {
  return Math.max(0, Math.min(top, count - Math.max(1, height)));
}

export interface LineViewProps {
  /** already wrapped ({@link wrapViewLines}) */
  lines: readonly ViewLine[];
  top: number;
  height: number;
  width: number;
  theme: Theme;
}

/** Draws lines top..top+height-1, padding with blank lines. */
export function LineView({ lines, top, height, width, theme }: LineViewProps): React.JSX.Element {
  const g = glyphs(theme);
  const t = clampTop(top, lines.length, height);
  const shown = lines.slice(t, t + height);
  const rows: React.JSX.Element[] = shown.map((l, i) => (
    <Box key={i} width={width} height={1} overflow="hidden">
      <Text
        wrap="truncate"
        bold={l.bold}
        color={theme.color ? l.color : undefined}
        dimColor={theme.color && l.dim}
        inverse={theme.color && l.selected}
      >
        {fitToWidth(l.text, width, { ellipsis: g.ellipsis })}
      </Text>
    </Box>
  ));
  while (rows.length < height) {
    rows.push(
      <Box key={`blank-${rows.length}`} width={width} height={1}>
        <Text> </Text>
      </Box>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      {rows}
    </Box>
  );
}
