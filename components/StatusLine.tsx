/**
 * The status area: always {@link STATUS_LINES} lines. While `busy` is set
 * it shows a spinner and the busy text (`starting web-01…`); otherwise the
 * last message, an error in red with its hint on the second line.
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
}

/** Lines the status area always takes. */
export const STATUS_LINES = 2;

function useSpinner(active: boolean, frames: number, ms: number): number {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (!active) return undefined;
    const t = setInterval(() => setFrame((f) => (f + 1) % frames), ms);
    return () => clearInterval(t);
  }, [active, frames, ms]);
  return frame;
}

export function StatusLine({ status, busy, width, theme, spinnerMs = 100 }: StatusLineProps): React.JSX.Element {
  const g = glyphs(theme);
  const frame = useSpinner(Boolean(busy), g.spinner.length, spinnerMs);
  const fit = (s: string): string => fitToWidth(safeText(s, theme.ascii), width, { ellipsis: g.ellipsis });
  let first: React.JSX.Element;
  let second = '';
  let secondColor: string | undefined = 'yellow';
  if (busy) {
    first = <Text color={theme.color ? 'cyan' : undefined}>{fit(`${g.spinner[frame]} ${busy}${theme.ascii ? '...' : '…'}`)}</Text>;
  } else if (status) {
    const icon = status.kind === 'error' ? g.error : status.kind === 'ok' ? g.ok : ' ';
    const color = status.kind === 'error' ? 'red' : status.kind === 'ok' ? 'green' : undefined;
    const text = safeText(`${icon} ${status.message}`, theme.ascii);
    if (status.hint || displayWidth(text) <= width) {
      first = <Text color={theme.color ? color : undefined}>{fit(text)}</Text>;
      if (status.hint) second = `  hint: ${status.hint}`;
    } else {
      // a long message without a hint takes both lines (the action log, L, keeps it whole)
      const [one, ...rest] = wrapToWidth(text, width);
      first = <Text color={theme.color ? color : undefined}>{fit(one)}</Text>;
      secondColor = color;
      second = `  ${rest.join(' ')}`;
    }
  } else {
    first = <Text>{fit('')}</Text>;
  }
  return (
    <Box flexDirection="column" width={width} height={STATUS_LINES}>
      <Box height={1} overflow="hidden">
        <Text wrap="truncate">{first}</Text>
      </Box>
      <Box height={1} overflow="hidden">
        <Text wrap="truncate" color={theme.color && second ? secondColor : undefined}>
          {fit(second)}
        </Text>
      </Box>
    </Box>
  );
}
