import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { DIALOG_COMMANDS, LIST_COMMANDS, NO_KEY, commandFor, hintsFor, matchKey, splitKeyEvents, textOf } from '../../src/keymap.js';

function key(over: Partial<Key> = {}): Key {
  return { ...NO_KEY, ...over };
}

describe('key table', () => {
  it('matches single characters exactly, without Ctrl', () => {
    expect(matchKey('s', 's', key())).toBe(true);
    expect(matchKey('s', 'S', key({ shift: true }))).toBe(false);
    expect(matchKey('d', 'd', key({ ctrl: true }))).toBe(false);
    expect(matchKey('ctrl+d', 'd', key({ ctrl: true }))).toBe(true);
    expect(matchKey('up', '', key({ upArrow: true }))).toBe(true);
    expect(() => matchKey('hyperdrive', 'x', key())).toThrow(/unknown key spec/);
  });

  it('q, Ctrl+C and Ctrl+D quit; d deletes; Backspace (reported as delete) does not delete', () => {
    expect(commandFor(LIST_COMMANDS, 'q', key())?.id).toBe('quit');
    expect(commandFor(LIST_COMMANDS, 'c', key({ ctrl: true }))?.id).toBe('quit');
    expect(commandFor(LIST_COMMANDS, 'd', key({ ctrl: true }))?.id).toBe('quit');
    expect(commandFor(LIST_COMMANDS, 'd', key())?.id).toBe('delete');
    expect(commandFor(LIST_COMMANDS, '', key({ delete: true }))).toBeUndefined();
    expect(commandFor(LIST_COMMANDS, 'c', key())?.id).toBe('create');
  });

  it('no two commands of a table share a key', () => {
    for (const table of [LIST_COMMANDS, DIALOG_COMMANDS]) {
      const seen = new Map<string, string>();
      for (const c of table) {
        for (const k of c.keys) {
          expect(seen.get(k), `${k} bound twice`).toBeUndefined();
          seen.set(k, c.id);
        }
      }
    }
  });

  it('footer hints come from the table: shown commands, in order, dangerous flagged', () => {
    const h = hintsFor(LIST_COMMANDS, false);
    expect(h.map((x) => x.label)).toEqual(LIST_COMMANDS.filter((c) => c.show).map((c) => c.label));
    expect(h.find((x) => x.label === 'delete')?.dangerous).toBe(true);
    // every key shown is a key that is bound
    for (const c of LIST_COMMANDS.filter((x) => x.show)) expect(c.keys).toContain(c.show!.unicode);
    expect(hintsFor(LIST_COMMANDS, true).every((x) => /^[\x20-\x7e]+$/.test(x.keys))).toBe(true);
  });

  it('text from a key event drops control characters and non-text keys', () => {
    expect(textOf('web', key())).toBe('web');
    expect(textOf('a\u0007b', key())).toBe('ab');
    expect(textOf('', key({ return: true }))).toBe('');
    expect(textOf('x', key({ ctrl: true }))).toBe('');
  });

  it('splits a read of several characters into one key event each', () => {
    const ev = splitKeyEvents('jjs', key());
    expect(ev.map(([i]) => i)).toEqual(['j', 'j', 's']);
    const dels = splitKeyEvents('\u007f\u007f', key());
    expect(dels.every(([i, k]) => i === '' && k.delete)).toBe(true);
    const typed = splitKeyEvents('ab\r', key());
    expect(typed[2][1].return).toBe(true);
    expect(splitKeyEvents('G', key({ shift: true }))).toEqual([['G', key({ shift: true })]]);
    expect(splitKeyEvents('xY', key())[1][1].shift).toBe(true);
    expect(splitKeyEvents('\u0004', key())).toHaveLength(1);
    // escape sequences are Ink's to parse: passed through whole
    expect(splitKeyEvents('\u001b[A', key())).toEqual([['\u001b[A', key()]]);
    const ctrlD = splitKeyEvents('a\u0004', key())[1];
    expect(ctrlD[0]).toBe('d');
    expect(ctrlD[1].ctrl).toBe(true);
  });
});
