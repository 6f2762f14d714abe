/** lxc-console's escape sequence as shown to the user. */
import type { Backend } from '../../core/backend.js';

/**
 * `Ctrl+a q` (lxc-console(1): `-e` left at its default ^a), or `Ctrl+X q`
 * when the engine's console argv sets `-e X` or `-e ^X`.
 */
export function consoleEscape(argv: readonly string[] | undefined): string {
  const i = argv ? argv.indexOf('-e') : -1;
  const ch = i >= 0 ? argv![i + 1] : undefined;
  if (ch && /^\^?[a-zA-Z]$/.test(ch)) return `Ctrl+${ch.replace('^', '').toLowerCase()} q`;
  return 'Ctrl+a q';
}

/** The escape sequence of `engine`'s console for `name` (consoleArgv when the engine has it). */
export function consoleEscapeOf(engine: Backend, name: string): string {
  try {
    return consoleEscape(engine.consoleArgv?.(name));
  } catch {
    return consoleEscape(undefined);
  }
}
