import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { layoutHints, type Hint } from '../../components/KeyHints.js';
import { LineView, clampTop, wrapViewLines } from '../../components/LineView.js';
import { progressBarText } from '../../components/ProgressBar.js';
import { Form } from '../../components/Form.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { displayWidth } from '../../components/text.js';

const theme = { ascii: false, color: false };

describe('LineView', () => {
  it('wraps a long line beside its label column (indent) and keeps every line within the width', () => {
    const lines = wrapViewLines([{ text: `${'Limits'.padEnd(14)}${'word '.repeat(30)}`, indent: 14 }], 40);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0].text.startsWith('Limits        word')).toBe(true);
    for (const l of lines.slice(1)) expect(l.text.startsWith(' '.repeat(14) + 'word')).toBe(true);
    for (const l of lines) expect(displayWidth(l.text)).toBeLessThanOrEqual(40);
  });

  it('R3/R5: wide characters count two cells; control characters and, in ASCII, non-ASCII become ?', () => {
    const [w] = wrapViewLines([{ text: '数据库\u001b[31m' }], 80);
    expect(w.text).toBe('数据库?[31m');
    expect(wrapViewLines([{ text: '数据库' }], 80, true)[0].text).toBe('???');
    const wrapped = wrapViewLines([{ text: '数据库 '.repeat(10) }], 10);
    for (const l of wrapped) expect(displayWidth(l.text)).toBeLessThanOrEqual(10);
  });

  it('draws exactly `height` lines from `top`, clamped so no blank tail shows while lines are hidden above', () => {
    expect(clampTop(50, 10, 4)).toBe(6);
    expect(clampTop(-3, 10, 4)).toBe(0);
    const lines = Array.from({ length: 10 }, (_, i) => ({ text: `line ${i}` }));
    const { lastFrame } = render(<LineView lines={lines} top={99} height={4} width={20} theme={theme} />);
    expect(lastFrame()!.split('\n').map((l) => l.trim())).toEqual(['line 6', 'line 7', 'line 8', 'line 9']);
  });
});

describe('ProgressBar', () => {
  it('a bar and percentage for a known fraction, the label alone otherwise, exactly the width', () => {
    const t = progressBarText(0.5, 'rootfs', 60, false);
    expect(t).toMatch(/^\[█+░+\]  50% rootfs/);
    expect(displayWidth(t)).toBe(60);
    expect(progressBarText(2, 'x', 40, true)).toMatch(/^\[#+\] 100% x/);
    expect(progressBarText(null, 'waiting', 20, true).trimEnd()).toBe('waiting');
    expect(progressBarText(Number.NaN, 'n', 10, false).trimEnd()).toBe('n');
  });
});

describe('Form', () => {
  it('a pointer on the focused field, choices in ‹ ›, placeholders, stars for passwords, within the width', () => {
    const { lastFrame } = render(
      <Form
        width={40}
        theme={theme}
        fields={[
          { label: 'name', kind: 'text', value: 'web', focused: false },
          { label: 'bridge', kind: 'choice', value: 'lxdeckbr0', focused: true },
          { label: 'memory', kind: 'text', value: '', focused: false, placeholder: '(no limit)' },
          { label: 'root-password', kind: 'text', value: 'secret', focused: false, masked: true },
        ]}
      />,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/^ {2}name +web/);
    expect(lines[1]).toMatch(/^› bridge +‹ lxdeckbr0 ›/);
    expect(lines[2]).toMatch(/memory +\(no limit\)/);
    expect(lines[3]).toContain('******');
    expect(lines[3]).not.toContain('secret');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
  });
});

describe('footer hints', () => {
  const h = (keys: string, label: string, minor = false): Hint => ({ keys, label, ...(minor ? { minor: true } : {}) });
  it('leaves the minor hints out first when the footer is too narrow, keeping the order', () => {
    const hints = [h('s', 'start'), h('/', 'filter', true), h('r', 'refresh', true), h('q', 'quit')];
    expect(layoutHints(hints, 80, 1).lines[0].map((x) => x.label)).toEqual(['start', 'filter', 'refresh', 'quit']);
    const narrow = layoutHints(hints, 16, 1);
    expect(narrow.lines[0].map((x) => x.label)).toEqual(['start', 'quit']);
    expect(narrow.truncated).toBe(false);
  });

  it('Frame: title, body, status and hints take exactly the height', () => {
    const hints = [h('Esc', 'back')];
    const body = frameBodyHeight(10, 40, hints, false);
    expect(body).toBe(10 - 1 - 2 - 1);
    const { lastFrame } = render(
      <Frame title="Title" right="1-5 of 9" width={40} height={10} theme={theme} status={{ kind: 'error', message: 'bad', hint: 'fix' }} hints={hints}>
        <LineView lines={[{ text: 'body' }]} top={0} height={body} width={40} theme={theme} />
      </Frame>,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^Title +1-5 of 9$/);
    expect(lines[7]).toContain('bad');
    expect(lines[8]).toContain('hint: fix');
    expect(lines[9]).toContain('Esc back');
  });
});
