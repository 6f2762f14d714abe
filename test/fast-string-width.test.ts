import { describe, expect, it } from 'vitest';
import stringWidth7 from 'string-width';
// Ink's own string-width (8.x), the one the bundler puts the fast path in front of
import stringWidth8 from '../node_modules/ink/node_modules/string-width/index.js';
import { fastStringWidth } from '../src/console/fast-string-width.js';

/** every code point the fast path claims: printable ASCII, U+2500-259F and the listed punctuation */
function claimed(): string[] {
  const out: string[] = [];
  for (let cp = 0; cp <= 0x2fff; cp++) {
    const ch = String.fromCodePoint(cp);
    if (fastStringWidth(ch) >= 0) out.push(ch);
  }
  return out;
}

describe('fastStringWidth: the same widths as string-width, without its first-call cost', () => {
  it('every character it measures is one column wide for string-width 7 and 8 alike', () => {
    const chars = claimed();
    expect(chars.length).toBeGreaterThan(95 + 160);
    const wrong = chars.filter((c) => stringWidth7(c) !== 1 || (stringWidth8 as (s: string) => number)(c) !== 1);
    expect(wrong.map((c) => c.codePointAt(0)!.toString(16))).toEqual([]);
  });

  it("the console's lines: the fast width is string-width's", () => {
    for (const line of ['────────────────', '› web-01 RUNNING  1.0 664K/256M', '  ⋮', 'loading…', 'sort ↑ NAME', '▁▂▃▄▅▆▇█', '']) {
      expect(fastStringWidth(line)).toBe((stringWidth8 as (s: string) => number)(line));
    }
  });

  it('styled lines as Ink measures them (SGR colours, bold, dim): the width of the text without them, as string-width strips them', () => {
    for (const line of ['\u001b[2m────────\u001b[22m', '\u001b[1m\u001b[36ms\u001b[39m\u001b[22m start  \u001b[1m\u001b[31md\u001b[39m\u001b[22m delete', '\u001b[1m  NAME STATE\u001b[22m', '\u001b[2m  loading…\u001b[22m', '\u001b[1;36mx\u001b[m']) {
      expect(fastStringWidth(line)).toBeGreaterThanOrEqual(0);
      expect(fastStringWidth(line)).toBe((stringWidth8 as (s: string) => number)(line));
      expect(fastStringWidth(line)).toBe(stringWidth7(line));
    }
  });

  it('leaves to string-width what it does not know: other escapes, tabs, wide and emoji characters, non-default options', () => {
    // a 5-digit SGR parameter is not stripped whole by strip-ansi: not ours to measure
    for (const s of ['\u001b[12345mx', '\u001b]8;;http://x\u0007link', '\u001b[2Jx', 'a\tb', '漢字', '😀', 'é', '\u009b31mx']) expect(fastStringWidth(s)).toBe(-1);
    expect(fastStringWidth('─', { ambiguousIsNarrow: false })).toBe(-1);
    expect(fastStringWidth('abc', { countAnsiEscapeCodes: true })).toBe(-1);
    expect(fastStringWidth(42)).toBe(-1);
  });
});
