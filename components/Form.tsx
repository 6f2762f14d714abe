/**
 * Form fields, one line each: a pointer on the focused one, the label in a
 * column, then the value. A text field shows a cursor when focused and its
 * placeholder dim when empty; a choice shows `‹ value ›` (`< value >` in
 * ASCII) when focused. Controlled: the screen owns the values and the keys.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { displayWidth, fitToWidth, graphemes, safeText, tailToWidth } from './text.js';
import { glyphs, type Theme } from './theme.js';

export interface FormFieldView {
  label: string;
  kind: 'text' | 'choice';
  /** the value as shown (for a choice, its label) */
  value: string;
  focused: boolean;
  placeholder?: string;
  /** draw the value as stars */
  masked?: boolean;
}

export interface FormProps {
  fields: readonly FormFieldView[];
  width: number;
  theme: Theme;
  /** cells for the label column (default: the widest label + 1, at most a third of the width) */
  labelWidth?: number;
}

/** Lines the form takes: one per field. */
export function formHeight(fields: readonly FormFieldView[]): number {
  return fields.length;
}

export function Form({ fields, width, theme, labelWidth }: FormProps): React.JSX.Element {
  const g = glyphs(theme);
  const lw = labelWidth ?? Math.min(Math.floor(width / 3), Math.max(0, ...fields.map((f) => displayWidth(safeText(f.label, theme.ascii)))) + 1);
  const valueWidth = Math.max(1, width - 2 - lw);
  return (
    <Box flexDirection="column" width={width}>
      {fields.map((f, i) => {
        const pointer = f.focused ? `${g.pointer} ` : '  ';
        const label = fitToWidth(safeText(f.label, theme.ascii), lw, { ellipsis: g.ellipsis });
        const shown = f.masked ? '*'.repeat([...f.value].length) : safeText(f.value, theme.ascii);
        let value: React.JSX.Element;
        if (f.kind === 'choice') {
          const [l, r] = theme.ascii ? ['< ', ' >'] : ['‹ ', ' ›'];
          const text = f.focused ? `${l}${shown}${r}` : `  ${shown}`;
          value = <Text bold={f.focused}>{fitToWidth(text, valueWidth, { ellipsis: g.ellipsis })}</Text>;
        } else if (f.focused) {
          const cursor = theme.color ? <Text inverse> </Text> : <Text>_</Text>;
          if (shown === '' && f.placeholder) {
            // the placeholder starts where the text will, as on the rows not focused: the cursor is
            // drawn over its first character (inverse), not before it; without colour, no cursor
            const ph = graphemes(fitToWidth(safeText(f.placeholder, theme.ascii), valueWidth, { ellipsis: g.ellipsis }));
            value = theme.color ? (
              <Text>
                <Text inverse>{ph[0] ?? ' '}</Text>
                <Text dimColor>{ph.slice(1).join('')}</Text>
              </Text>
            ) : (
              <Text>{ph.join('')}</Text>
            );
          } else
          value = (
            <Text>
              <Text bold>{tailToWidth(shown, valueWidth - 1)}</Text>
              {cursor}
            </Text>
          );
        } else {
          value =
            shown === '' && f.placeholder ? (
              <Text dimColor={theme.color}>{fitToWidth(safeText(f.placeholder, theme.ascii), valueWidth, { ellipsis: g.ellipsis })}</Text>
            ) : (
              <Text>{fitToWidth(shown, valueWidth, { ellipsis: g.ellipsis })}</Text>
            );
        }
        return (
          <Box key={i} width={width} height={1} overflow="hidden">
            <Text wrap="truncate">
              <Text color={theme.color && f.focused ? 'cyan' : undefined}>{pointer}</Text>
              <Text color={theme.color && f.focused ? 'cyan' : undefined}>{label}</Text>
              {value}
            </Text>
          </Box>
        );
      })}
    </Box>
  );
}
