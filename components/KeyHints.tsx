/**
 * The footer: one `key label` pair per command, wrapped onto at most
 * `maxLines` lines of `width` cells. Hints that do not fit are left out
 * and the last line ends with an ellipsis.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { displayWidth, safeText } from './text.js';
import { glyphs, type Theme } from './theme.js';

export interface Hint {
  /** the key(s) as shown, e.g. `s` or `↑↓` */
  keys: string;
  label: string;
  /** drawn in red (when colour is allowed): the command destroys something */
  dangerous?: boolean;
  /** left out first when the footer is too narrow for every hint */
  minor?: boolean;
  /** kept when the footer is too narrow: the hints before it are cut instead (put pinned hints last) */
  pinned?: boolean;
}

export interface KeyHintsProps {
  hints: readonly Hint[];
  width: number;
  theme: Theme;
  /** default 1 */
  maxLines?: number;
}

const SEP = '  ';

/**
 * Splits hints into lines of at most `width` cells (hints separated by two
 * spaces). Returns the hints of each line and whether some were left out.
 * Pure; exported for tests and for screens that need the footer's height.
 */
export function layoutHints(hints: readonly Hint[], width: number, maxLines = 1, ascii = false): { lines: Hint[][]; truncated: boolean } {
  const all = fit(hints, width, maxLines, ascii);
  if (!all.truncated) return all;
  // too narrow: the minor hints go first (their keys still work)
  const major = hints.filter((h) => !h.minor);
  if (major.length < hints.length) {
    const some = fit(major, width, maxLines, ascii);
    if (!some.truncated) return some;
    hints = major;
  }
  // leave room for the ' …' that marks left-out hints; pinned hints (quit) stay at the end, the
  // unpinned ones before them are cut from the end until they fit
  const pinned = hints.filter((h) => h.pinned);
  const rest = hints.filter((h) => !h.pinned);
  if (pinned.length > 0) {
    for (let k = rest.length; k >= 0; k--) {
      const tryLines = fit([...rest.slice(0, k), ...pinned], width - 2, maxLines, ascii);
      if (!tryLines.truncated) return { lines: tryLines.lines, truncated: true };
    }
  }
  return { lines: fit(hints, width - 2, maxLines, ascii).lines, truncated: true };
}

function fit(hints: readonly Hint[], width: number, maxLines: number, ascii: boolean): { lines: Hint[][]; truncated: boolean } {
  const lines: Hint[][] = [];
  let cur: Hint[] = [];
  let used = 0;
  let truncated = false;
  for (const h of hints) {
    const w = displayWidth(safeText(`${h.keys} ${h.label}`, ascii));
    const need = cur.length === 0 ? w : used + SEP.length + w;
    if (need <= width) {
      cur.push(h);
      used = need;
      continue;
    }
    if (cur.length > 0) lines.push(cur);
    if (lines.length >= maxLines) {
      truncated = true;
      cur = [];
      break;
    }
    if (w > width) {
      truncated = true;
      cur = [];
      break;
    }
    cur = [h];
    used = w;
  }
  if (cur.length > 0 && lines.length < maxLines) lines.push(cur);
  return { lines, truncated };
}

/** Lines the footer takes for these hints at this width (at least 1). */
export function keyHintsHeight(hints: readonly Hint[], width: number, maxLines = 1, ascii = false): number {
  return Math.max(1, layoutHints(hints, width, maxLines, ascii).lines.length);
}

/** The footer line(s). */
export function KeyHints({ hints, width, theme, maxLines = 1 }: KeyHintsProps): React.JSX.Element {
  const g = glyphs(theme);
  const { lines, truncated } = layoutHints(hints, width, maxLines, theme.ascii);
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((line, li) => (
        <Box key={li} width={width} height={1} overflow="hidden">
          <Text wrap="truncate">
            {line.map((h, i) => (
              <Text key={h.keys + h.label}>
                {i > 0 ? SEP : ''}
                <Text bold color={theme.color ? (h.dangerous ? 'red' : 'cyan') : undefined}>
                  {safeText(h.keys, theme.ascii)}
                </Text>{' '}
                {safeText(h.label, theme.ascii)}
              </Text>
            ))}
            {truncated && li === lines.length - 1 ? ` ${g.ellipsis}` : ''}
          </Text>
        </Box>
      ))}
    </Box>
  );
}
