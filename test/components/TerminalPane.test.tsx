/**
 * The shell pane's drawing (components/TerminalPane.tsx). Chalk decides its colour level when it
 * is imported, so true colour is forced on before Ink is loaded (as color.test.tsx does):
 * otherwise no colour would be drawn with or without `theme.color`, and the test could not fail.
 */
import React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaneLine } from '../../components/TerminalPane.js';
import { displayWidth } from '../../components/text.js';

let renderToString: typeof import('ink').renderToString;
let TerminalPane: typeof import('../../components/TerminalPane.js').TerminalPane;
let terminalPaneRows: typeof import('../../components/TerminalPane.js').terminalPaneRows;
const before = process.env.FORCE_COLOR;
beforeAll(async () => {
  process.env.FORCE_COLOR = '3';
  ({ renderToString } = await import('ink'));
  ({ TerminalPane, terminalPaneRows } = await import('../../components/TerminalPane.js'));
});
afterAll(() => {
  if (before === undefined) delete process.env.FORCE_COLOR;
  else process.env.FORCE_COLOR = before;
});

const plain = { ascii: false, color: false };
const ascii = { ascii: true, color: false };
const color = { ascii: false, color: true };

const lines: PaneLine[] = [[{ text: '# ' }, { text: 'ls', bold: true }], [{ text: 'bin', fg: 'blueBright' }, { text: '  etc' }], [{ text: '# ' }, { text: ' ', inverse: true }]];

describe('TerminalPane', () => {
  it('draws the title rule and exactly height - 1 lines of width cells (blank lines below the screen)', () => {
    const out = renderToString(<TerminalPane lines={lines} title="shell in web" note="30x4" width={30} height={5} theme={plain} />, { columns: 30 });
    const rows = out.split('\n');
    expect(rows).toHaveLength(5);
    expect(terminalPaneRows(5)).toBe(4);
    expect(rows[0]).toBe('── shell in web ────── 30x4 ──');
    expect(rows.slice(1).map((r) => r.trimEnd())).toEqual(['# ls', 'bin  etc', '#', '']);
    for (const r of rows) expect(displayWidth(r)).toBeLessThanOrEqual(30);
  });

  it('cuts a line longer than the pane at its width (a wide glyph that would straddle it is dropped)', () => {
    const out = renderToString(<TerminalPane lines={[[{ text: 'abcdefgh' }, { text: '漢字' }]]} title="t" width={9} height={2} theme={ascii} />, { columns: 9 });
    const rows = out.split('\n');
    expect(rows[0]).toBe('-- t ----');
    expect(rows[1]).toBe('abcdefgh');
  });

  it('draws the runs with their colours and attributes when colour is allowed, and plain text without (NO_COLOR, TERM=dumb)', () => {
    const out = renderToString(<TerminalPane lines={lines} title="s" width={20} height={4} theme={color} />, { columns: 20 });
    expect(out).toContain('\u001b[1mls');
    expect(out).toContain('\u001b[94mbin');
    expect(out).toContain('\u001b[7m \u001b[27m');
    const rich = renderToString(<TerminalPane lines={[[{ text: 'o', fg: 'ansi256(208)', bg: '#010203' }]]} title="s" width={5} height={2} theme={color} />, { columns: 5 });
    expect(rich).toContain('\u001b[38;5;208m');
    expect(rich).toMatch(/\u001b\[(4[0-7]|48;[25];)[0-9;]*m(\u001b\[[0-9;]*m)*o/); // a background SGR before the cell (chalk maps true colour down as it sees fit)
    const mono = renderToString(<TerminalPane lines={lines} title="s" width={20} height={4} theme={plain} />, { columns: 20 });
    expect(mono).not.toContain('\u001b[');
  });
});
