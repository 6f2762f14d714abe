/**
 * What the terminal can draw, decided once from the environment and passed
 * to the components as a Theme (components never read the environment).
 */
import type { Theme } from '../../components/theme.js';

/**
 * The theme for an environment:
 * - `ascii` unless the locale's character set is UTF-8. The locale is the
 *   first non-empty of LC_ALL, LC_CTYPE, LANG (POSIX, "Internationalization
 *   Variables"); none set means the POSIX locale, which is ASCII.
 * - `color` off when NO_COLOR is set to a non-empty value (no-color.org) or
 *   TERM is `dumb`.
 * Any other TERM (even one without a terminfo entry, e.g. `xterm-unknown`)
 * is drawn as usual: nothing here looks terminfo up.
 */
export function detectTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  const utf8 = /utf-?8/i.test(locale);
  const noColor = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb';
  return { ascii: !utf8, color: !noColor };
}
