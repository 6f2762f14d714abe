/**
 * A fast path in front of `string-width` for the text the console draws, put in by the bundler
 * (scripts/bundle.mjs) before every `string-width` that Ink and its helpers import.
 *
 * string-width 8 (Ink's) compiles large Unicode-property regular expressions (`\p{RGI_Emoji}`
 * with the `v` flag) the first time a string holds anything but printable ASCII: 50-65 ms on
 * this host, paid inside the console's first frame, whose rules and markers (`─`, `›`, `⋮`)
 * are not ASCII. Every character listed here is one column wide by string-width's own rules
 * (East Asian Width N or A with `ambiguousIsNarrow`, not an emoji, not combining or ignorable);
 * test/fast-string-width.test.ts checks each against string-width itself.
 */

/** printable ASCII, box drawing U+2500-257F, block elements U+2580-259F, and the UI's punctuation and arrows */
const ONE_COLUMN = /^[\u0020-\u007E\u2500-\u259F\u2026\u2039\u203A\u22EE\u00B7\u2022\u2190-\u2193\u25B2\u25BC]*$/;

/**
 * SGR sequences (colours, bold, dim: ECMA-48 `CSI Ps ; ... m`) in the form strip-ansi's pattern
 * (ansi-regex) removes whole: parameters of at most 4 digits. Ink styles most of what it measures.
 */
const SGR = /\u001b\[(?:\d{1,4}(?:;\d{0,4})*)?m/g;

/**
 * The width in terminal columns when `text`, without its SGR sequences, holds only
 * {@link ONE_COLUMN} characters and the options are string-width's defaults (ambiguous
 * characters narrow, ANSI codes not counted, which string-width strips as done here).
 * @returns the width, or -1 when string-width itself must measure it
 */
export function fastStringWidth(text: unknown, options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }): number {
  if (typeof text !== 'string') return -1;
  if (options && (options.ambiguousIsNarrow === false || options.countAnsiEscapeCodes === true)) return -1;
  const plain = text.includes('\u001b') ? text.replace(SGR, '') : text;
  return ONE_COLUMN.test(plain) ? plain.length : -1;
}
