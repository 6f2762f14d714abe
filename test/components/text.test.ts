import { describe, expect, it } from 'vitest';
import {
  displayWidth,
  fitToWidth,
  isAmbiguousWidth,
  safeText,
  tailToWidth,
  truncateToWidth,
  wrapToWidth,
} from '../../components/text.js';

describe('display width helpers', () => {
  it('R3: counts CJK characters as two cells', () => {
    expect(displayWidth('数据库-01')).toBe(9);
    expect(displayWidth('abc')).toBe(3);
  });

  it('R3: truncates by display width, never splitting a wide character', () => {
    // 数据库-01 is 9 cells; 6 cells leave room for 5 cells + ellipsis: 数据 (4) then 库 would make 6 + 1
    const t = truncateToWidth('数据库-01', 6, '…');
    expect(t).toBe('数据…');
    expect(displayWidth(t)).toBeLessThanOrEqual(6);
    expect(truncateToWidth('数据库-01', 9)).toBe('数据库-01');
    expect(truncateToWidth('abcdef', 4, '...')).toBe('a...');
    expect(truncateToWidth('abcdef', 0)).toBe('');
  });

  it('R3: fitToWidth pads to exactly the width in cells', () => {
    for (const s of ['数据库-01', 'web', '', 'a-very-long-container-name']) {
      for (const w of [1, 5, 8, 12]) {
        expect(displayWidth(fitToWidth(s, w))).toBe(w);
      }
    }
    expect(fitToWidth('42', 5, { align: 'right' })).toBe('   42');
  });

  it('R3: an emoji made by VS16 from a text character is flagged ambiguous and drawn as ?', () => {
    expect(isAmbiguousWidth('⚠️')).toBe(true);
    expect(isAmbiguousWidth('数')).toBe(false);
    expect(isAmbiguousWidth('a')).toBe(false);
    expect(safeText('db⚠️x')).toBe('db?x');
    // an emoji that is wide everywhere (Emoji_Presentation) stays
    expect(safeText('ok👍')).toBe('ok👍');
  });

  it('control characters cannot reach the terminal', () => {
    expect(safeText('a\u001b[31mb\nc\u0007')).toBe('a?[31mb?c?');
    expect(safeText('x\u009by')).toBe('x?y');
  });

  it('R5: ascii mode replaces every non-ASCII character by one ?', () => {
    expect(safeText('数据库-01', true)).toBe('???-01');
    expect(safeText('plain-name', true)).toBe('plain-name');
  });

  it('wraps words by display width', () => {
    const lines = wrapToWidth('a container name is 1 to 63 characters', 12);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(12);
    expect(lines.join(' ')).toBe('a container name is 1 to 63 characters');
    expect(wrapToWidth('数据库数据库', 4)).toEqual(['数据', '库数', '据库']);
    expect(wrapToWidth('', 5)).toEqual(['']);
  });

  it('keeps the end of a value that is too long for its line', () => {
    expect(tailToWidth('abcdef', 3)).toBe('def');
    expect(tailToWidth('数据库', 4)).toBe('据库');
    expect(tailToWidth('ab', 5)).toBe('ab');
  });
});
