import React from 'react';
import { describe, expect, it } from 'vitest';
import { renderToString } from 'ink';
import { Table, layoutColumns, type Column } from '../../components/Table.js';
import { displayWidth } from '../../components/text.js';

interface Row {
  name: string;
  state: string;
  ip: string;
}

const columns: Column<Row>[] = [
  { key: 'name', header: 'NAME', minWidth: 6, value: (r) => r.name },
  { key: 'state', header: 'STATE', width: 8, value: (r) => r.state },
  { key: 'ip', header: 'IPV4', value: (r) => r.ip },
];

const rows: Row[] = [
  { name: 'web-01', state: 'RUNNING', ip: '10.0.3.5' },
  { name: '数据库-01', state: 'STOPPED', ip: '-' },
  { name: 'alert⚠️box', state: 'FROZEN', ip: '10.0.3.77' },
  { name: 'plain', state: 'STOPPED', ip: '-' },
];

function draw(width: number, opts: { ascii?: boolean; top?: number; height?: number; data?: Row[] } = {}): string[] {
  const out = renderToString(
    <Table
      columns={columns}
      rows={opts.data ?? rows}
      rowKey={(r) => r.name}
      selected={0}
      top={opts.top ?? 0}
      height={opts.height ?? 4}
      width={width}
      theme={{ ascii: opts.ascii ?? false, color: false }}
    />,
    { columns: width },
  );
  return out.split('\n');
}

/** Display column where `needle` starts in `line`. */
function col(line: string, needle: string, last = false): number {
  const i = last ? line.lastIndexOf(needle) : line.indexOf(needle);
  expect(i, `${needle} in ${line}`).toBeGreaterThanOrEqual(0);
  return displayWidth(line.slice(0, i));
}

describe('Table', () => {
  it('R3: columns stay aligned with wide characters and VS16 emoji in names', () => {
    const lines = draw(60);
    const body = lines.slice(2, 6);
    const stateCols = [col(lines[0], 'STATE'), ...body.map((l, i) => col(l, rows[i].state))];
    expect(new Set(stateCols).size).toBe(1);
    // the IPV4 cell is the last one: search from the end ('-' is also in 数据库-01)
    const ipCols = [col(lines[0], 'IPV4'), ...body.map((l, i) => col(l, rows[i].ip, true))];
    expect(new Set(ipCols).size).toBe(1);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(60);
    expect(body[1]).toContain('数据库-01');
  });

  it('R3: long names are cut with an ellipsis by display width, keeping columns aligned', () => {
    const data = [
      { name: '数据库数据库数据库数据库数据库-01', state: 'RUNNING', ip: '10.0.3.5' },
      { name: 'x', state: 'STOPPED', ip: '-' },
    ];
    const lines = draw(30, { data, height: 2 });
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(30);
    expect(lines[2]).toContain('…');
    expect(col(lines[2], 'RUNNING')).toBe(col(lines[3], 'STOPPED'));
  });

  it('draws exactly header + rule + height lines, blank rows when short', () => {
    const lines = draw(40, { height: 7 });
    expect(lines.length).toBe(9);
  });

  it('scrolls: shows rows from top and marks what is hidden in the rule', () => {
    const data = Array.from({ length: 30 }, (_, i) => ({ name: `c${String(i).padStart(2, '0')}`, state: 'STOPPED', ip: '-' }));
    const lines = draw(50, { data, top: 10, height: 5 });
    expect(lines.length).toBe(7);
    expect(lines[2]).toContain('c10');
    expect(lines[6]).toContain('c14');
    expect(lines.join('\n')).not.toContain('c09');
    expect(lines[1]).toContain('11-15 of 30');
  });

  it('R5: ASCII theme draws the rule with - and no non-ASCII character', () => {
    const lines = draw(60, { ascii: true });
    expect(lines[1]).toMatch(/^-+$/);
    for (const l of lines) expect(l).toMatch(/^[\x20-\x7e]*$/);
    // 数据库-01 became ???-01 and the columns still line up
    expect(col(lines[3], 'STOPPED')).toBe(col(lines[0], 'STATE'));
  });

  it('layoutColumns shrinks content-sized columns toward their minimum, widest first', () => {
    const w = layoutColumns(columns, rows, 30);
    expect(w[1]).toBe(8); // fixed
    expect(2 + w.reduce((a, b) => a + b, 0) + 2).toBeLessThanOrEqual(30);
    expect(w[0]).toBeGreaterThanOrEqual(6);
  });

  it('column widths are measured over every row, also the ones scrolled out, and again when the rows change (same columns array)', () => {
    const many: Row[] = Array.from({ length: 30 }, (_, i) => ({ name: `c${i}`, state: 'RUNNING', ip: '-' }));
    many[25] = { name: 'a-much-longer-name', state: 'RUNNING', ip: '-' };
    // row 25 is not on screen (height 4), yet STATE starts after its name's width
    const wide = draw(60, { data: many });
    expect(col(wide[0], 'STATE')).toBe(2 + 'a-much-longer-name'.length + 1);
    // the same columns array with other rows: measured again, not the cached widths
    const short = draw(60, { data: many.filter((r) => r.name !== 'a-much-longer-name') });
    expect(col(short[0], 'STATE')).toBe(2 + 'NAME'.length + 1); // the header is the widest cell left
    // scrolling the first rows array (same array) keeps the widths
    expect(col(draw(60, { data: many, top: 10 })[0], 'STATE')).toBe(col(wide[0], 'STATE'));
  });
});
