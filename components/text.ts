/**
 * Display-width helpers. Terminals lay text out in cells, not UTF-16 code
 * units: `数据库-01` is 9 cells wide, `⚠️` may be 1 or 2 depending on the
 * terminal. Widths come from string-width (the same library Ink uses to
 * lay out its frame), so a padded cell is exactly as wide as Ink thinks.
 */
import stringWidth from 'string-width';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Grapheme clusters of `s` (what a user sees as one character). */
export function graphemes(s: string): string[] {
  return Array.from(segmenter.segment(s), (x) => x.segment);
}

/** Width of `s` in terminal cells (ANSI escape codes count 0). */
export function displayWidth(s: string): number {
  // Fast path: printable ASCII is one cell per character (string-width
  // walks grapheme segments; a 50-row table at 1 Hz spent most of its
  // render time there).
  if (PRINTABLE_ASCII.test(s)) return s.length;
  return stringWidth(s);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// C0, DEL and C1 controls: shown as '?' so a name can never move the cursor or change colours.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;
const VS16 = '\uFE0F';

/**
 * True when terminals disagree on the width of this grapheme: a character
 * whose default presentation is text, turned into an emoji by U+FE0F
 * (VARIATION SELECTOR-16), e.g. `⚠️`, `❤️`. string-width counts it 2
 * cells; tmux up to 3.4, xterm and glibc's wcwidth count 1 (measured: tmux
 * 3.3a puts the cursor at column 1 after `⚠️`). Unicode TR51 section 4
 * (Presentation Style) leaves the width to the terminal.
 */
export function isAmbiguousWidth(g: string): boolean {
  return g.includes(VS16) && !EMOJI_PRESENTATION.test(g) && displayWidth(g) !== 1;
}

/**
 * Text made safe to draw in one table cell or one line:
 * - control characters (C0, DEL, C1, so also ESC) become `?`;
 * - a grapheme whose width terminals disagree on ({@link isAmbiguousWidth})
 *   becomes `?`, so the columns after it line up on every terminal;
 * - with `ascii`, every non-ASCII grapheme becomes `?` (one cell), for
 *   terminals whose locale is not UTF-8.
 * Newlines and tabs are control characters too: the result is one line.
 */
export function safeText(s: string, ascii = false): string {
  // Fast path: printable ASCII only.
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  let out = '';
  for (const g of graphemes(s)) {
    if (CONTROL.test(g)) out += '?';
    else if (ascii && /[^\x20-\x7e]/.test(g)) out += '?';
    else if (isAmbiguousWidth(g)) out += '?';
    else out += g;
  }
  return out;
}

/**
 * Cuts `s` to at most `max` cells, ending with `ellipsis` when something was
 * cut. A wide character that would straddle the limit is dropped whole.
 * `max <= 0` gives ''.
 */
export function truncateToWidth(s: string, max: number, ellipsis = '…'): string {
  if (max <= 0) return '';
  if (displayWidth(s) <= max) return s;
  const ew = displayWidth(ellipsis);
  if (ew > max) return ellipsis.slice(0, max);
  let out = '';
  let w = 0;
  for (const g of graphemes(s)) {
    const gw = displayWidth(g);
    if (w + gw + ew > max) break;
    out += g;
    w += gw;
  }
  return out + ellipsis;
}

/**
 * `s` cut ({@link truncateToWidth}) and padded with spaces to exactly
 * `width` cells; `align: 'right'` pads on the left.
 */
export function fitToWidth(s: string, width: number, opts: { ellipsis?: string; align?: 'left' | 'right' } = {}): string {
  const cut = truncateToWidth(s, width, opts.ellipsis ?? '…');
  const pad = ' '.repeat(Math.max(0, width - displayWidth(cut)));
  return opts.align === 'right' ? pad + cut : cut + pad;
}

/**
 * Word-wraps `s` into lines of at most `width` cells. Breaks at spaces;
 * a word longer than a line is broken by grapheme. Always at least one
 * line ('' for an empty string). `width < 1` is treated as 1.
 */
export function wrapToWidth(s: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let cur = '';
  let curW = 0;
  const flush = (): void => {
    lines.push(cur);
    cur = '';
    curW = 0;
  };
  for (const word of s.split(/ +/)) {
    const ww = displayWidth(word);
    if (curW > 0 && curW + 1 + ww <= w) {
      cur += ` ${word}`;
      curW += 1 + ww;
      continue;
    }
    if (curW > 0) flush();
    if (ww <= w) {
      cur = word;
      curW = ww;
      continue;
    }
    for (const g of graphemes(word)) {
      const gw = displayWidth(g);
      if (curW + gw > w && curW > 0) flush();
      cur += g;
      curW += gw;
    }
  }
  if (cur.length > 0 || lines.length === 0) lines.push(cur);
  return lines;
}

/** The end of `s` that fits in `max` cells (for an input line that scrolls left as it grows). */
export function tailToWidth(s: string, max: number): string {
  if (max <= 0) return '';
  const gs = graphemes(s);
  let w = displayWidth(s);
  let start = 0;
  while (w > max && start < gs.length) {
    w -= displayWidth(gs[start]);
    start++;
  }
  return gs.slice(start).join('');
}
