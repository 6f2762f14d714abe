/**
 * The frame every full screen shares: a title line (left text, right text),
 * the body, the status area and the key hints. Draws exactly `height` lines
 * of `width` cells; {@link frameBodyHeight} says how many the body gets.
 * A status too long for the status area's two lines takes more (up to
 * STATUS_MAX_LINES, the body keeping at least one): they come off the
 * bottom of the body while that status shows.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { KeyHints, keyHintsHeight, type Hint } from './KeyHints.js';
import { StatusLine, STATUS_LINES, STATUS_MAX_LINES, statusHeight, type Status } from './StatusLine.js';
import { displayWidth, fitToWidth, safeText } from './text.js';
import { glyphs, type Theme } from './theme.js';

/** Lines the footer may take. */
export const FRAME_HINT_LINES = 2;

/** Lines left for the body of a frame `height` lines tall with these hints. */
export function frameBodyHeight(height: number, width: number, hints: readonly Hint[], ascii: boolean): number {
  return Math.max(1, height - 1 - STATUS_LINES - keyHintsHeight(hints, width, FRAME_HINT_LINES, ascii));
}

export interface FrameProps {
  title: string;
  /** right-aligned part of the title line (e.g. `lines 1-20 of 64`) */
  right?: string;
  width: number;
  height: number;
  theme: Theme;
  status: Status | null;
  busy?: string | null;
  hints: readonly Hint[];
  /** the body: exactly frameBodyHeight(...) lines */
  children: React.ReactNode;
}

export function Frame(p: FrameProps): React.JSX.Element {
  const g = glyphs(p.theme);
  const body = frameBodyHeight(p.height, p.width, p.hints, p.theme.ascii);
  const maxLines = Math.min(STATUS_MAX_LINES, STATUS_LINES + body - 1);
  const extra = statusHeight(p.status, p.busy, p.width, p.theme.ascii, maxLines) - STATUS_LINES;
  const right = p.right ? ` ${safeText(p.right, p.theme.ascii)}` : '';
  const rw = Math.min(displayWidth(right), Math.floor(p.width / 3));
  const title =
    fitToWidth(safeText(p.title, p.theme.ascii), Math.max(0, p.width - rw), { ellipsis: g.ellipsis }) +
    fitToWidth(right, rw, { ellipsis: g.ellipsis, align: 'right' });
  return (
    <Box flexDirection="column" width={p.width} height={p.height}>
      <Box height={1} width={p.width} overflow="hidden">
        <Text wrap="truncate" bold={p.theme.color}>
          {fitToWidth(title, p.width)}
        </Text>
      </Box>
      {extra > 0 ? (
        <Box flexDirection="column" width={p.width} height={body - extra} overflow="hidden" flexShrink={0}>
          {p.children}
        </Box>
      ) : (
        p.children
      )}
      <StatusLine status={p.status} busy={p.busy ?? null} width={p.width} theme={p.theme} maxLines={maxLines} />
      <KeyHints hints={p.hints} width={p.width} theme={p.theme} maxLines={FRAME_HINT_LINES} />
    </Box>
  );
}
