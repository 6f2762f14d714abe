/**
 * A terminal pane: the visible lines of a terminal screen model (cells with
 * colours and attributes, made by src/console/pane-screen.ts from an xterm
 * buffer) drawn into an Ink box of `width` x `height` cells, under a
 * one-line title rule. Presentational: lines in, Ink elements out.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { displayWidth, fitToWidth, truncateToWidth } from './text.js';
import { glyphs, type Theme } from './theme.js';

/**
 * A run of cells with the same look. Colours are Ink colour strings: a named colour
 * (`red`, `blueBright`: SGR 30-37, 90-97), `ansi256(N)` (SGR 38;5;N) or `#rrggbb` (SGR 38;2).
 */
export interface PaneSegment {
  text: string;
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strikethrough?: boolean;
  inverse?: boolean;
}

/** One screen line: its runs, left to right; cells after the last run are blank. */
export type PaneLine = readonly PaneSegment[];

export interface TerminalPaneProps {
  /** the screen's lines, top first; fewer than `height - 1` leaves blank lines below */
  lines: readonly PaneLine[];
  /** the title drawn in the rule above the lines (`shell in web-01`) */
  title: string;
  /** right end of the rule (`80x20`), optional */
  note?: string;
  /** cells, title rule included */
  width: number;
  height: number;
  theme: Theme;
}

/** Rows a pane of `height` lines has for the terminal (one goes to the title rule). */
export function terminalPaneRows(height: number): number {
  return Math.max(1, height - 1);
}

const SEGMENT_PROPS = (s: PaneSegment, color: boolean): Record<string, unknown> => {
  // the theme allows neither colour nor inverse video (NO_COLOR, TERM=dumb): plain text, no cursor
  if (!color) return {};
  return {
    ...(s.fg ? { color: s.fg } : {}),
    ...(s.bg ? { backgroundColor: s.bg } : {}),
    ...(s.bold ? { bold: true } : {}),
    ...(s.dim ? { dimColor: true } : {}),
    ...(s.italic ? { italic: true } : {}),
    ...(s.underline ? { underline: true } : {}),
    ...(s.strikethrough ? { strikethrough: true } : {}),
    ...(s.inverse ? { inverse: true } : {}),
  };
};

/** One line: its segments cut at `width` cells (a wide glyph that does not fit is dropped). */
const PaneRow = React.memo(function PaneRow({ line, width, color }: { line: PaneLine; width: number; color: boolean }): React.JSX.Element {
  const parts: React.JSX.Element[] = [];
  let used = 0;
  for (let i = 0; i < line.length && used < width; i++) {
    const s = line[i];
    let text = s.text;
    let w = displayWidth(text);
    if (used + w > width) {
      text = truncateToWidth(text, width - used, '');
      w = displayWidth(text);
    }
    used += w;
    const props = SEGMENT_PROPS(s, color);
    parts.push(Object.keys(props).length ? <Text key={i} {...props}>{text}</Text> : <React.Fragment key={i}>{text}</React.Fragment>);
  }
  return (
    <Box height={1} width={width} overflow="hidden">
      <Text wrap="truncate">{parts.length ? parts : ' '}</Text>
    </Box>
  );
});

export function TerminalPane({ lines, title, note, width, height, theme }: TerminalPaneProps): React.JSX.Element {
  const g = glyphs(theme);
  const rows = terminalPaneRows(height);
  const head = `${g.rule}${g.rule} ${title} `;
  const tail = note ? ` ${note} ${g.rule}${g.rule}` : '';
  const fill = Math.max(0, width - displayWidth(head) - displayWidth(tail));
  const rule = fitToWidth(head + g.rule.repeat(fill) + tail, width);
  const body: React.JSX.Element[] = [];
  for (let y = 0; y < rows; y++) body.push(<PaneRow key={y} line={lines[y] ?? []} width={width} color={theme.color} />);
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      <Box height={1} width={width} overflow="hidden">
        <Text wrap="truncate" color={theme.color ? 'cyan' : undefined}>
          {rule}
        </Text>
      </Box>
      {body}
    </Box>
  );
}
