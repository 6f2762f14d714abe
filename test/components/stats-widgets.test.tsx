import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { sparkline } from '../../components/Sparkline.js';
import { gaugeText } from '../../components/Gauge.js';
import { Slider, sliderColumns, sliderHeight } from '../../components/Slider.js';
import { displayWidth } from '../../components/text.js';

describe('Sparkline', () => {
  it('one cell per value, scaled to the largest, newest on the right, padded to the width', () => {
    expect(sparkline([0, 50, 100], 5)).toBe('  ▁▅█');
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4)).toBe('▆▇▇█');
  });
  it('unknown values are blank cells, never a zero', () => {
    expect(sparkline([null, 10, null, 10], 4)).toBe(' █ █');
  });
  it('a floor keeps noise low; ASCII glyphs for LANG=C', () => {
    expect(sparkline([1, 1], 2, { minMax: 100 })).toBe('▁▁');
    expect(sparkline([0, 100], 2, { ascii: true })).toBe('_@');
  });
});

describe('Gauge', () => {
  it('fills by the fraction, clamped; unknown shows ?', () => {
    expect(gaugeText(0.5, 12)).toBe('[█████░░░░░]');
    expect(gaugeText(2, 6)).toBe('[████]');
    expect(gaugeText(null, 7)).toBe('[░░?░░]');
    // a slider with no value (a weight not set): an empty track, no stray '?'
    expect(gaugeText(null, 7, { marker: true })).toBe('[░░░░░]');
    expect(gaugeText(null, 7, { marker: true, ascii: true })).toBe('[.....]');
    expect(gaugeText(0, 6, { ascii: true, marker: true })).toBe('[|...]');
  });
});

describe('Slider', () => {
  it('draws one line, plus the refusal and its hint, each within the width', () => {
    const props = { label: 'memory', fraction: 0.25, value: '512M', use: 'used 40M', selected: true, width: 80, theme: { ascii: false, color: false }, error: { message: 'the kernel refused it', hint: 'free memory first' } };
    expect(sliderHeight(props)).toBe(3);
    const { lastFrame } = render(<Slider {...props} />);
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('512M');
    expect(lines[0]).toContain('used 40M');
    expect(lines[1]).toContain('✖ the kernel refused it');
    expect(lines[2]).toContain('hint: free memory first');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
  });
  it('columns add up to the width', () => {
    for (const w of [40, 60, 80, 120]) {
      const c = sliderColumns(w);
      expect(2 + 11 + 1 + c.gauge + 1 + c.value + 1 + c.use).toBeLessThanOrEqual(w);
    }
  });
});
