/**
 * How widgets draw: which glyphs and whether colour is allowed.
 * Components never read the environment; src/ decides (see
 * src/console/terminal-caps.ts) and passes a Theme down.
 */
export interface Theme {
  /** draw with 7-bit ASCII only (the locale is not UTF-8, e.g. LANG=C) */
  ascii: boolean;
  /** colour (and inverse video) allowed; false under NO_COLOR or TERM=dumb */
  color: boolean;
}

/** UTF-8 locale, colour on. */
export const DEFAULT_THEME: Theme = { ascii: false, color: true };

/** Glyphs for one theme. */
export interface Glyphs {
  ellipsis: string;
  /** horizontal rule character */
  rule: string;
  /** marks the selected row */
  pointer: string;
  ok: string;
  error: string;
  /** spinner frames */
  spinner: readonly string[];
  up: string;
  down: string;
  /** Ink border style name */
  border: 'round' | 'classic';
}

const UNICODE: Glyphs = {
  ellipsis: '…',
  rule: '─',
  pointer: '›',
  ok: '✔',
  error: '✖',
  spinner: ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'],
  up: '↑',
  down: '↓',
  border: 'round',
};

const ASCII: Glyphs = {
  ellipsis: '~',
  rule: '-',
  pointer: '>',
  ok: '+',
  error: '!',
  spinner: ['|', '/', '-', '\\'],
  up: '^',
  down: 'v',
  border: 'classic',
};

/** The glyph set for a theme: 7-bit ASCII when `theme.ascii`. */
export function glyphs(theme: Theme): Glyphs {
  return theme.ascii ? ASCII : UNICODE;
}
