/**
 * The status area: {@link STATUS_LINES} lines, more for a long message.
 * While `busy` is set it shows a spinner and the busy text (`starting
 * web-01…`); otherwise the last message, an error in red, word-wrapped so
 * the whole of it is readable, then its hint (yellow) on the lines after;
 * {@link statusHeight} says how many lines that takes (up to
 * {@link STATUS_MAX_LINES}), which the screen takes from its body.
 */
import React, { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { displayWidth, fitToWidth, safeText, wrapToWidth } from './text.js';
import { glyphs, type Theme } from './theme.js';

export interface Status {
  kind: 'info' | 'ok' | 'error';
  message: string;
  hint?: string;
}

export interface StatusLineProps {
  status: Status | null;
  /** text of the running action; shows a spinner instead of the status */
  busy?: string | null;
  width: number;
  theme: Theme;
  /** spinner frame interval in ms (default 100) */
  spinnerMs?: number;
  /** lines a long message and hint may take (default {@link STATUS_MAX_LINES}); see {@link statusHeight} */
  maxLines?: number;
}

/** Lines the status area takes at least (and with a message that fits). */
export const STATUS_LINES = 2;

/** Lines the status area may grow to for a long message and hint (the rest of a longer one is cut with an ellipsis). */
export const STATUS_MAX_LINES = 6;

/**
 * The status area's lines: the message word-wrapped to `width`, then the
 * hint (`  hint: ...`) wrapped, at least {@link STATUS_LINES} and at most
 * `maxLines` (the last line ends with an ellipsis when more was cut). Pure.
 */
export function statusLines(status: Status | null, busy: string | null | undefined, width: number, ascii: boolean, maxLines = STATUS_MAX_LINES): { text: string; role: 'message' | 'hint' }[] {
  if (busy || !status) return [];
  const g = glyphs({ ascii, color: false });
  const icon = status.kind === 'error' ? g.error : status.kind === 'ok' ? g.ok : ' ';
  const out: { text: string; role: 'message' | 'hint' }[] = [];
  const w = Math.max(1, width);
  // continuation lines of the message are indented under its text (after the icon)
  const message = wrapToWidth(safeText(`${icon} ${status.message}`, ascii), w);
  if (message.length > 1 && w > 10) {
    const [first, ...rest] = message;
    const again = wrapToWidth(rest.join(' '), w - 2);
    out.push({ text: first, role: 'message' }, ...again.map((l) => ({ text: `  ${l}`, role: 'message' as const })));
  } else for (const l of message) out.push({ text: l, role: 'message' });
  if (status.hint) {
    // continuation lines of the hint are indented under its text
    const lead = '  hint: ';
    const wrapped = wrapToWidth(safeText(status.hint, ascii), Math.max(1, w - lead.length));
    wrapped.forEach((l, i) => out.push({ text: `${i === 0 ? lead : ' '.repeat(lead.length)}${l}`, role: 'hint' }));
  }
  const max = Math.max(STATUS_LINES, maxLines);
  if (out.length > max) {
    const kept = out.slice(0, max);
    const last = kept[max - 1];
    kept[max - 1] = { ...last, text: `${fitToWidth(last.text, Math.max(0, w - displayWidth(g.ellipsis))).trimEnd()}${g.ellipsis}` };
    return kept;
  }
  return out;
}

/** Lines the status area takes for this status: {@link STATUS_LINES} to `maxLines`. */
export function statusHeight(status: Status | null, busy: string | null | undefined, width: number, ascii: boolean, maxLines = STATUS_MAX_LINES): number {
  return Math.max(STATUS_LINES, statusLines(status, busy, width, ascii, maxLines).length);
}

function useSpinner(active: boolean, frames: number, ms: number): number {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (!active) return undefined;
    const t = setInterval(() => setFrame((f) => (f + 1) % frames), ms);
    return () => clearInterval(t);
  }, [active, frames, ms]);
  return frame;
}

export function StatusLine({ status, busy, width, theme, spinnerMs = 100, maxLines = STATUS_MAX_LINES }: StatusLineProps): React.JSX.Element {
  const g = glyphs(theme);
  const frame = useSpinner(Boolean(busy), g.spinner.length, spinnerMs);
  const fit = (s: string): string => fitToWidth(safeText(s, theme.ascii), width, { ellipsis: g.ellipsis });
  const color = status?.kind === 'error' ? 'red' : status?.kind === 'ok' ? 'green' : undefined;
  let lines: { text: string; color?: string }[];
  if (busy) {
    lines = [{ text: `${g.spinner[frame]} ${busy}${theme.ascii ? '...' : '…'}`, color: 'cyan' }];
  } else {
    lines = statusLines(status, busy, width, theme.ascii, maxLines).map((l) => ({ text: l.text, color: l.role === 'hint' ? 'yellow' : color }));
  }
  const height = Math.max(STATUS_LINES, lines.length);
  while (lines.length < height) lines.push({ text: '' });
  return (
    <Box flexDirection="column" width={width} height={height}>
      {lines.map((l, i) => (
        <Box key={i} height={1} overflow="hidden">
          <Text wrap="truncate" color={theme.color && l.text ? l.color : undefined}>
            {fit(l.text)}
          </Text>
        </Box>
      ))}
    </Box>
  );
}
