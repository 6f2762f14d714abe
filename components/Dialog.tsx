/**
 * A bordered box of lines, the frame for ConfirmDialog and TextPrompt.
 * Every line is wrapped to the inner width beforehand so the box's height
 * is known before it is drawn ({@link dialogHeight}); screens use that to
 * size the list above it.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { displayWidth, fitToWidth, safeText, tailToWidth, wrapToWidth } from './text.js';
import { glyphs, type Theme } from './theme.js';

export interface DialogLine {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  /** a text input line: `text` is the value; a cursor is drawn after it */
  input?: boolean;
  /** shown before an input line's value, e.g. `name: ` */
  prefix?: string;
  /** not wrapped: cut to the width instead (input lines always are) */
  nowrap?: boolean;
}

/** Cells taken by the border and padding on each side. */
const FRAME = 2 + 2;

/** The lines as drawn inside a box `width` cells wide (after wrapping). */
export function dialogBodyLines(lines: readonly DialogLine[], width: number, ascii: boolean): DialogLine[] {
  const inner = Math.max(1, width - FRAME);
  const out: DialogLine[] = [];
  for (const l of lines) {
    const text = safeText(l.text, ascii);
    if (l.input || l.nowrap) out.push({ ...l, text });
    else for (const part of wrapToWidth(text, inner)) out.push({ ...l, text: part });
  }
  return out;
}

/** Lines a dialog takes on screen: its title and wrapped lines plus the two border lines. */
export function dialogHeight(title: string, lines: readonly DialogLine[], width: number, ascii: boolean): number {
  return dialogBodyLines([{ text: title }, ...lines], width, ascii).length + 2;
}

export interface DialogProps {
  title: string;
  lines: readonly DialogLine[];
  width: number;
  theme: Theme;
  /** border colour when colour is allowed */
  accent?: string;
}

/** A bordered box; the title is the first line, bold. */
export function Dialog({ title, lines, width, theme, accent }: DialogProps): React.JSX.Element {
  const g = glyphs(theme);
  const inner = Math.max(1, width - FRAME);
  const body = dialogBodyLines([{ text: title, bold: true }, ...lines], width, theme.ascii);
  return (
    <Box
      flexDirection="column"
      width={width}
      borderStyle={g.border}
      borderColor={theme.color ? accent : undefined}
      paddingX={1}
    >
      {body.map((l, i) => {
        if (l.input) {
          const cursor = theme.color ? <Text inverse> </Text> : <Text>_</Text>;
          const prefix = l.prefix ?? '';
          // keep the end of a long value in view, with room for the cursor
          const value = tailToWidth(l.text, inner - displayWidth(prefix) - 1);
          return (
            <Box key={i} height={1} overflow="hidden">
              <Text wrap="truncate">
                {prefix}
                <Text bold>{value}</Text>
                {cursor}
              </Text>
            </Box>
          );
        }
        return (
          <Box key={i} height={1} overflow="hidden">
            <Text
              wrap="truncate"
              bold={l.bold}
              color={theme.color ? l.color : undefined}
              dimColor={theme.color && l.dim}
            >
              {fitToWidth(l.text, inner, { ellipsis: g.ellipsis })}
            </Text>
          </Box>
        );
      })}
    </Box>
  );
}
