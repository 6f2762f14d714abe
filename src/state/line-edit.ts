/**
 * Erasing in lxdeck's one-line text fields (dialogs, the filter line, the wizard's and setup's
 * forms, a typed limit), whose cursor is at the end of the value. The keys are
 * src/keymap.ts's ERASE_KEYS. Pure.
 */

/** How an erase key erases ({@link ERASE_KEYS}): one character, the word before the cursor, or the whole line before it. */
export type EraseHow = 'char' | 'word' | 'line';

/**
 * `value` with the end erased `how` ({@link EraseHow}), the cursor being at its end: the last
 * grapheme-ish code point; the last word and the spaces after it (a word is what lies between
 * spaces, as unix-word-rubout has it); or everything. Pure.
 */
export function eraseText(value: string, how: EraseHow): string {
  if (how === 'line') return '';
  if (how === 'word') return value.replace(/\S*\s*$/u, '');
  return [...value].slice(0, -1).join('');
}
