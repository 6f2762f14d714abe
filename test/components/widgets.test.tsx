import React from 'react';
import { describe, expect, it } from 'vitest';
import { renderToString } from 'ink';
import { KeyHints, keyHintsHeight, layoutHints, type Hint } from '../../components/KeyHints.js';
import { ConfirmDialog, confirmDialogHeight } from '../../components/ConfirmDialog.js';
import { TextPrompt, textPromptHeight } from '../../components/TextPrompt.js';
import { StatusLine, STATUS_LINES, statusHeight } from '../../components/StatusLine.js';
import { displayWidth } from '../../components/text.js';

const plain = { ascii: false, color: false };
const ascii = { ascii: true, color: false };

const hints: Hint[] = [
  { keys: 's', label: 'start' },
  { keys: 't', label: 'stop' },
  { keys: 'd', label: 'delete', dangerous: true },
  { keys: 'q', label: 'quit' },
];

describe('KeyHints', () => {
  it('lays hints on one line when they fit', () => {
    const { lines, truncated } = layoutHints(hints, 80);
    expect(lines).toHaveLength(1);
    expect(truncated).toBe(false);
    expect(renderToString(<KeyHints hints={hints} width={80} theme={plain} />, { columns: 80 })).toBe(
      's start  t stop  d delete  q quit',
    );
  });

  it('wraps onto more lines up to maxLines, then marks left-out hints', () => {
    expect(layoutHints(hints, 16, 3).lines.map((l) => l.map((h) => h.keys))).toEqual([['s', 't'], ['d', 'q']]);
    expect(keyHintsHeight(hints, 16, 3)).toBe(2);
    const one = layoutHints(hints, 16, 1);
    expect(one.truncated).toBe(true);
    const out = renderToString(<KeyHints hints={hints} width={16} theme={plain} />, { columns: 16 });
    expect(out).toContain('…');
    for (const l of out.split('\n')) expect(displayWidth(l)).toBeLessThanOrEqual(16);
  });
});

describe('ConfirmDialog', () => {
  it('asks to type the name, shows what was typed and the error; height matches what is drawn', () => {
    const p = {
      title: 'Delete container 数据库-01?',
      name: '数据库-01',
      typed: '数据',
      detail: 'Its configuration and rootfs are removed; this cannot be undone.',
      error: '"数据" is not "数据库-01": nothing was deleted',
      width: 50,
      theme: plain,
    };
    const out = renderToString(<ConfirmDialog {...p} />, { columns: 50 });
    const lines = out.split('\n');
    expect(out).toContain('Type the name "数据库-01" to confirm:');
    expect(out).toContain('> 数据');
    expect(out).toContain('nothing was deleted');
    expect(lines.length).toBe(confirmDialogHeight(p));
    for (const l of lines) expect(displayWidth(l)).toBe(50);
  });

  it('R5: ASCII border under an ASCII theme', () => {
    const out = renderToString(<ConfirmDialog title="Delete x?" name="x" typed="" width={30} theme={ascii} />, { columns: 30 });
    expect(out.split('\n')[0]).toMatch(/^\+-+\+$/);
    expect(out).toMatch(/^[\x20-\x7e\n]*$/);
    expect(out).toContain('> _');
  });
});

describe('TextPrompt', () => {
  it('shows label, value, the rule, error and hint; height matches', () => {
    const p = {
      title: 'Create a container',
      label: 'name: ',
      value: 'a/b',
      rule: 'Rule: letters, digits and - only, 1 to 63 characters, not starting or ending with -',
      error: 'the container name "a/b" holds characters that are not allowed ("/")',
      hint: 'try "a-b"',
      width: 40,
      theme: plain,
    };
    const out = renderToString(<TextPrompt {...p} />, { columns: 40 });
    expect(out).toContain('name: a/b');
    expect(out).toContain('Rule: letters');
    expect(out).toContain('not allowed');
    expect(out).toContain('hint: try "a-b"');
    expect(out.split('\n').length).toBe(textPromptHeight(p));
  });

  it('keeps the end of a long value in view', () => {
    const value = 'x'.repeat(60) + 'END';
    const out = renderToString(<TextPrompt title="t" label="name: " value={value} width={30} theme={plain} />, { columns: 30 });
    expect(out).toContain('END');
    for (const l of out.split('\n')) expect(displayWidth(l)).toBe(30);
  });
});

describe('StatusLine', () => {
  it('shows an error with its hint on the second line, always two lines', () => {
    const out = renderToString(
      <StatusLine status={{ kind: 'error', message: 'lxc-start failed', hint: 'see lxc-start -l DEBUG' }} width={40} theme={plain} />,
      { columns: 40 },
    );
    const lines = out.split('\n');
    expect(lines).toHaveLength(STATUS_LINES);
    expect(lines[0]).toContain('✖ lxc-start failed');
    expect(lines[1]).toContain('hint: see lxc-start -l DEBUG');
  });

  it('wraps a long message without a hint onto the second line instead of cutting it at the width', () => {
    const msg = 'copied web-01 to web-02 (10.0.3.21, hwaddr 00:16:3e:aa:bb:cc, idmap 100000-165535 shifted)';
    const out = renderToString(<StatusLine status={{ kind: 'ok', message: msg }} width={60} theme={plain} />, { columns: 60 });
    const lines = out.split('\n');
    expect(lines).toHaveLength(STATUS_LINES);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain('idmap 100000-165535 shifted)');
    expect(lines.every((l) => l.length <= 60)).toBe(true);
  });

  it('a long error with a hint takes more lines: the whole message and the whole hint are there, none wider than the width', () => {
    const status = {
      kind: 'error' as const,
      message: 'lxc-start of web-01 failed: lxc-start: web-01: network.c: 243 instantiate_veth: Operation not permitted - Failed to create veth pair "vethXYZ" and "vethABC"',
      hint: 'see lxc-start -n web-01 -P /var/lib/lxc -l DEBUG -o /tmp/web-01.log, or run lxdeck checkconfig',
    };
    const h = statusHeight(status, null, 80, false);
    expect(h).toBeGreaterThan(STATUS_LINES);
    const out = renderToString(<StatusLine status={status} width={80} theme={plain} />, { columns: 80 });
    const lines = out.split('\n');
    expect(lines).toHaveLength(h);
    const joined = lines.join(' ').replace(/\s+/g, ' ');
    expect(joined).toContain('and "vethABC"');
    expect(joined).toContain('hint: see lxc-start -n web-01 -P /var/lib/lxc -l DEBUG -o /tmp/web-01.log, or run lxdeck checkconfig');
    expect(lines.every((l) => displayWidth(l) <= 80)).toBe(true);
    // a message longer than the cap: the last line kept ends with the ellipsis
    const huge = { kind: 'error' as const, message: 'word '.repeat(200) + 'LAST' };
    const capped = renderToString(<StatusLine status={huge} width={40} theme={plain} maxLines={3} />, { columns: 40 }).split('\n');
    expect(capped).toHaveLength(3);
    expect(capped[2].trimEnd()).toMatch(/…$/);
    expect(capped.join(' ')).not.toContain('LAST');
  });

  it('shows the running action with a spinner instead of the status', () => {
    const out = renderToString(
      <StatusLine status={{ kind: 'ok', message: 'old' }} busy="starting web-01" width={40} theme={ascii} />,
      { columns: 40 },
    );
    expect(out).toContain('starting web-01...');
    expect(out).not.toContain('old');
    expect(out).toMatch(/^[|/\\-] starting/);
  });
});
