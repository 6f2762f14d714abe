/**
 * What the shell pane does with typed input: the raw text the terminal sent
 * (Ink's input events, escape sequences whole) goes to the pty child, except
 * the pane's own prefix sequences from its key table (src/keymap.ts
 * PANE_COMMANDS, specs `ctrl+X Y`). Pure and stateful only in the prefix:
 * a Ctrl+a at the end of one read waits for the next read.
 */
import type { Command } from '../keymap.js';

/** One prefix sequence of a key table: the control byte, then the character. */
export interface PrefixKey<Id extends string> {
  id: Id;
  /** the control character (Ctrl+a: `\x01`) */
  prefix: string;
  /** the character after it (`q`) */
  key: string;
}

/**
 * The prefix sequences in `table` (specs `ctrl+X Y`, X a letter, Y one character).
 * @throws Error for a spec of another form in a pane table (a bug in the table)
 */
export function prefixKeysOf<Id extends string>(table: readonly Command<Id>[]): PrefixKey<Id>[] {
  const out: PrefixKey<Id>[] = [];
  for (const c of table)
    for (const spec of c.keys) {
      const m = /^ctrl\+([a-z]) (.)$/u.exec(spec);
      if (!m) throw new Error(`pane key spec ${JSON.stringify(spec)} is not "ctrl+X Y"`);
      out.push({ id: c.id, prefix: String.fromCharCode(m[1].charCodeAt(0) - 96), key: m[2] });
    }
  return out;
}

/** What one read of input comes to: text for the child, and the pane commands typed, in order. */
export interface PaneInput<Id extends string> {
  toChild: string;
  commands: Id[];
}

/**
 * A reader of the pane's input for `table`. A prefix followed by a character that is no
 * command of the table goes to the child as typed (both). `sendPrefix`, when the table has it,
 * is answered by the caller (it writes the prefix byte to the child).
 */
export function createPaneKeyReader<Id extends string>(table: readonly Command<Id>[]): (data: string) => PaneInput<Id> {
  const keys = prefixKeysOf(table);
  const prefixes = new Set(keys.map((k) => k.prefix));
  let pending: string | null = null;
  return (data: string): PaneInput<Id> => {
    let toChild = '';
    const commands: Id[] = [];
    for (const ch of data) {
      if (pending !== null) {
        const hit = keys.find((k) => k.prefix === pending && k.key === ch);
        if (hit) commands.push(hit.id);
        else toChild += pending + ch;
        pending = null;
        continue;
      }
      if (prefixes.has(ch)) {
        pending = ch;
        continue;
      }
      toChild += ch;
    }
    return { toChild, commands };
  };
}

/** ANSI cursor keys (`ESC [ A`..`D`, Home/End `ESC [ H`/`F`) as DECCKM application mode sends them (`ESC O A`). */
export function applicationCursorKeys(data: string): string {
  return data.replace(/\u001b\[([ABCDHF])/g, '\u001bO$1');
}
