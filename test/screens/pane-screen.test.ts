/**
 * The shell pane's screen model (src/console/pane-screen.ts): a real headless
 * xterm fed with control sequences, its visible lines turned into runs of
 * cells with the same look (bufferToLines); the pane's key reader
 * (src/console/pane-keys.ts) from the key table.
 */
import { describe, expect, it } from 'vitest';
import xterm from '@xterm/headless';
import { PaneScreen, bufferToLines, linesText } from '../../src/console/pane-screen.js';
import { applicationCursorKeys, createPaneKeyReader, prefixKeysOf } from '../../src/console/pane-keys.js';
import { PANE_COMMANDS, hintsFor } from '../../src/keymap.js';

function term(cols: number, rows: number): InstanceType<typeof xterm.Terminal> {
  return new xterm.Terminal({ cols, rows, scrollback: 0, allowProposedApi: true });
}

function write(t: InstanceType<typeof xterm.Terminal>, data: string): Promise<void> {
  return new Promise((r) => t.write(data, r));
}

describe('bufferToLines', () => {
  it('gives plain text as one run per line, trailing blanks left out, missing lines empty', async () => {
    const t = term(20, 4);
    await write(t, 'hello\r\nworld  \r\n');
    const lines = bufferToLines(t.buffer.active, 20, 4);
    expect(lines).toEqual([[{ text: 'hello' }], [{ text: 'world' }], [], []]);
    t.dispose();
  });

  it('splits runs where the look changes: SGR colours (16, 256, true colour), bold, dim, underline, inverse', async () => {
    const t = term(40, 2);
    await write(t, 'a\u001b[1;31mBR\u001b[0m\u001b[38;5;208mO\u001b[48;2;1;2;3mT\u001b[0m\u001b[2;4mdu\u001b[0m\u001b[7mI\u001b[0m\u001b[94mb\u001b[0mz');
    const [line] = bufferToLines(t.buffer.active, 40, 1);
    expect(line).toEqual([
      { text: 'a' },
      { text: 'BR', fg: 'red', bold: true },
      { text: 'O', fg: 'ansi256(208)' },
      { text: 'T', fg: 'ansi256(208)', bg: '#010203' },
      { text: 'du', dim: true, underline: true },
      { text: 'I', inverse: true },
      { text: 'b', fg: 'blueBright' },
      { text: 'z' },
    ]);
    t.dispose();
  });

  it('keeps coloured blanks at the end of a line (a status bar), and draws invisible text as blanks', async () => {
    const t = term(10, 2);
    await write(t, 'x\u001b[44m   \u001b[0m\r\n\u001b[8msecret\u001b[0m');
    const lines = bufferToLines(t.buffer.active, 10, 2);
    expect(lines[0]).toEqual([{ text: 'x' }, { text: '   ', bg: 'blue' }]);
    expect(lines[1]).toEqual([{ text: '      ' }]);
    t.dispose();
  });

  it('draws a wide glyph once (its second cell is skipped), so a line never exceeds its width in cells', async () => {
    const t = term(8, 1);
    await write(t, 'a漢b');
    const [line] = bufferToLines(t.buffer.active, 8, 1);
    expect(line).toEqual([{ text: 'a漢b' }]);
    t.dispose();
  });

  it('draws the cursor cell inverse, also past the end of the text, and an inverse cell under it normal', async () => {
    const t = term(10, 2);
    await write(t, '# ');
    const b = t.buffer.active;
    expect(bufferToLines(b, 10, 2, { x: b.cursorX, y: b.cursorY })[0]).toEqual([{ text: '# ' }, { text: ' ', inverse: true }]);
    await write(t, '\u001b[7mX\u001b[0m\u001b[D');
    expect(bufferToLines(b, 10, 2, { x: b.cursorX, y: b.cursorY })[0]).toEqual([{ text: '# X' }]);
    t.dispose();
  });

  it('shows the visible lines after scrolling: the last rows written', async () => {
    const t = term(10, 3);
    await write(t, '1\r\n2\r\n3\r\n4\r\n5');
    expect(linesText(bufferToLines(t.buffer.active, 10, 3))).toEqual(['3', '4', '5']);
    t.dispose();
  });

  it('follows a full-screen program: the alternate screen and absolute cursor moves', async () => {
    const t = term(10, 3);
    await write(t, 'shell\r\n\u001b[?1049h\u001b[2J\u001b[2;4Hvi');
    expect(linesText(bufferToLines(t.buffer.active, 10, 3))).toEqual(['', '   vi', '']);
    await write(t, '\u001b[?1049l');
    expect(linesText(bufferToLines(t.buffer.active, 10, 3))[0]).toBe('shell');
    t.dispose();
  });
});

describe('PaneScreen', () => {
  it('tells of changes at most once per interval, only after output, and follows a resize', async () => {
    const s = new PaneScreen(20, 3, 30);
    let calls = 0;
    s.onChange(() => calls++);
    for (let i = 0; i < 50; i++) s.write(`line ${i}\r\n`);
    await new Promise((r) => setTimeout(r, 120));
    expect(calls).toBe(1);
    expect(linesText(s.lines())).toEqual(['line 48', 'line 49', '']);
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1); // nothing written: no redraw
    s.resize(30, 5);
    expect([s.cols, s.rows]).toEqual([30, 5]);
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(2);
    s.dispose();
  });

  it('knows when the program asked for application cursor keys (DECCKM)', async () => {
    const s = new PaneScreen(10, 2);
    expect(s.applicationCursorKeys).toBe(false);
    await new Promise<void>((r) => s.write('\u001b[?1h', r));
    expect(s.applicationCursorKeys).toBe(true);
    s.dispose();
  });

  it('leaves the cursor out when the program hid it (DECTCEM)', async () => {
    const s = new PaneScreen(10, 1);
    await new Promise<void>((r) => s.write('ab', r));
    expect(s.lines()[0]).toEqual([{ text: 'ab' }, { text: ' ', inverse: true }]);
    await new Promise<void>((r) => s.write('\u001b[?25l', r));
    expect(s.lines()[0]).toEqual([{ text: 'ab' }]);
    s.dispose();
  });
});

describe('the pane keys', () => {
  it('come from the key table: Ctrl+a q leaves, Ctrl+a a types Ctrl+a; the footer shows them', () => {
    expect(prefixKeysOf(PANE_COMMANDS)).toEqual([
      { id: 'leave', prefix: '\u0001', key: 'q' },
      { id: 'sendPrefix', prefix: '\u0001', key: 'a' },
    ]);
    expect(hintsFor(PANE_COMMANDS, false).map((h) => `${h.keys} ${h.label}`)).toEqual(['Ctrl+a q leave the shell', 'Ctrl+a a type Ctrl+a']);
  });

  it('pass every other byte to the shell as typed, escape sequences and Ctrl+C included', () => {
    const read = createPaneKeyReader(PANE_COMMANDS);
    expect(read('ls -l\r')).toEqual({ toChild: 'ls -l\r', commands: [] });
    expect(read('\u001b[A\u0003\u0004')).toEqual({ toChild: '\u001b[A\u0003\u0004', commands: [] });
    expect(read('\u0001a')).toEqual({ toChild: '', commands: ['sendPrefix'] });
    expect(read('x\u0001q')).toEqual({ toChild: 'x', commands: ['leave'] });
    // a prefix before another key: both go to the shell
    expect(read('\u0001z')).toEqual({ toChild: '\u0001z', commands: [] });
  });

  it('wait for the key after a prefix that ends one read', () => {
    const read = createPaneKeyReader(PANE_COMMANDS);
    expect(read('echo\u0001')).toEqual({ toChild: 'echo', commands: [] });
    expect(read('q')).toEqual({ toChild: '', commands: ['leave'] });
  });

  it('refuse a table spec that is not a prefix sequence', () => {
    expect(() => prefixKeysOf([{ id: 'x', keys: ['q'], label: 'x', dangerous: false, changes: false }])).toThrow(/ctrl\+X Y/);
  });

  it('send cursor keys in application mode when the program asked (ESC [ A becomes ESC O A)', () => {
    expect(applicationCursorKeys('\u001b[A\u001b[D\u001b[1;5Ax')).toBe('\u001bOA\u001bOD\u001b[1;5Ax');
  });
});
