/**
 * NO_COLOR / TERM=dumb (case R1, R5): with `theme.color` false no colour
 * code is drawn. Chalk decides its colour level when it is imported, so
 * colour is forced on before Ink is loaded; otherwise chalk would draw no
 * colour in either case and the test could not fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type React from 'react';

// SGR colour parameters: 30-37, 39, 40-47, 49, 90-97, 100-107, 38;..., 48;...
const COLOUR_SGR = /\u001b\[(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

let renderToString: (n: React.ReactNode, o?: { columns?: number }) => string;
let h: typeof React.createElement;
let StatusLine: typeof import('../../components/StatusLine.js').StatusLine;
let KeyHints: typeof import('../../components/KeyHints.js').KeyHints;
let Table: typeof import('../../components/Table.js').Table;

const before = process.env.FORCE_COLOR;
afterAll(() => {
  if (before === undefined) delete process.env.FORCE_COLOR;
  else process.env.FORCE_COLOR = before;
});

beforeAll(async () => {
  process.env.FORCE_COLOR = '1';
  ({ renderToString } = await import('ink'));
  h = (await import('react')).createElement;
  ({ StatusLine } = await import('../../components/StatusLine.js'));
  ({ KeyHints } = await import('../../components/KeyHints.js'));
  ({ Table } = await import('../../components/Table.js'));
});

function drawAll(color: boolean): string {
  const theme = { ascii: false, color };
  const parts = [
    h(StatusLine, { status: { kind: 'error', message: 'boom', hint: 'do x' }, width: 40, theme }),
    h(KeyHints, { hints: [{ keys: 'd', label: 'delete', dangerous: true }], width: 40, theme }),
    h(Table<{ n: string }>, {
      columns: [{ key: 'n', header: 'NAME', value: (r: { n: string }) => r.n, color: () => 'green' }],
      rows: [{ n: 'web' }],
      rowKey: (r: { n: string }) => r.n,
      selected: 0,
      top: 0,
      height: 1,
      width: 40,
      theme,
    }),
  ];
  return parts.map((p) => renderToString(p, { columns: 40 })).join('\n');
}

describe('colour', () => {
  it('R1: colour codes are drawn when the theme allows colour (the check below can fail)', () => {
    expect(drawAll(true)).toMatch(COLOUR_SGR);
  });

  it('R1: no colour code at all when the theme has colour off (NO_COLOR, TERM=dumb)', () => {
    const out = drawAll(false);
    expect(out).toContain('boom');
    expect(out).not.toMatch(COLOUR_SGR);
  });
});
