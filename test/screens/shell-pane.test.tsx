/**
 * The shell pane (src/screens/ShellPane.tsx) in the console on a fake
 * terminal: the in-memory engine's attachPty runs a REAL /bin/sh of this
 * host on a real pty (node-pty), so keys, output, resize and the end of the
 * session are real; only lxc-attach is left out (test/e2e/console-pane-lxc.test.ts
 * runs it against a real container).
 */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { FakeEngine, summary } from '../helpers/fake-engine.js';
import { delay, renderAt, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(async () => {
  r?.unmount();
  r = undefined;
  await delay(50); // the shell's SIGTERM lands
});

function open(engine: FakeEngine, opts: { columns?: number; rows?: number; readOnly?: boolean; onQuit?: () => void } = {}): Rendered {
  r = renderAt(<App engine={engine} refreshMs={0} statsMs={0} theme={theme} readOnly={opts.readOnly} onQuit={opts.onQuit} />, opts.columns ?? 80, opts.rows ?? 24);
  return r;
}

/** The pane's rule line index and its `COLSxROWS` note, or undefined when no pane is drawn. */
function paneRule(frame: string): { at: number; cols: number; rows: number } | undefined {
  const lines = frame.split('\n');
  const at = lines.findIndex((l) => /^── (starting a )?shell in /.test(l));
  if (at < 0) return undefined;
  const m = /(\d+)x(\d+) ──$/.exec(lines[at]);
  return m ? { at, cols: Number(m[1]), rows: Number(m[2]) } : undefined;
}

function paneLines(frame: string): string[] {
  const p = paneRule(frame);
  return p ? frame.split('\n').slice(p.at + 1, p.at + 1 + p.rows) : [];
}

const prompt = (f: string): boolean => paneLines(f).some((l) => l.startsWith('fake#'));

describe('the shell pane', () => {
  it('x opens the shell under the list; typed keys run there while the list stays; the footer shows the pane keys', async () => {
    const e = new FakeEngine([summary('web', 'RUNNING'), summary('db')]);
    const s = open(e, { columns: 80, rows: 24 });
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('j', 'x'); // db comes first
    let f = await s.waitFor(prompt, 'the prompt in the pane', 10_000);
    const rule = paneRule(f)!;
    expect(rule.cols).toBe(80);
    expect(f).toMatch(/── shell in web ─+ 80x\d+ ──/);
    // the list above with both rows, the pane's keys at the bottom
    const above = f.split('\n').slice(0, rule.at).join('\n');
    expect(above).toMatch(/web\s+RUNNING/);
    expect(above).toMatch(/db\s+STOPPED/);
    expect(f.split('\n').slice(-1)[0]).toContain('Ctrl+a q leave the shell');

    // keys that are list commands go to the shell now: q does not quit, d opens no dialog
    await s.press('echo q-d-$((40+2))', '\r');
    f = await s.waitFor((x) => paneLines(x).some((l) => l.trim() === 'q-d-42'), 'the output in the pane', 10_000);
    expect(f).not.toContain('Delete container');
    expect(e.calls.filter((c) => c.method === 'attachPty').map((c) => c.args[0])).toEqual(['web']);
  });

  it('follows the terminal size: the pty gets the pane size (stty size inside)', async () => {
    const s = open(new FakeEngine([summary('web', 'RUNNING')]), { columns: 80, rows: 24 });
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('x');
    await s.waitFor(prompt, 'the prompt', 10_000);
    s.stdout.resize(100, 30);
    let f = await s.waitFor((x) => paneRule(x)?.cols === 100, 'the pane at 100 columns', 5000);
    const rule = paneRule(f)!;
    expect(rule.rows).toBeGreaterThan(10);
    await s.press('clear; stty size', '\r');
    f = await s.waitFor((x) => paneLines(x).some((l) => /^\d+ \d+\s*$/.test(l)), 'stty size', 10_000);
    expect(paneLines(f).find((l) => /^\d+ \d+\s*$/.test(l))!.trim()).toBe(`${rule.rows} ${rule.cols}`);
  });

  it('a terminal made too small for a moment hides the pane but keeps the shell', async () => {
    const s = open(new FakeEngine([summary('web', 'RUNNING')]), { columns: 80, rows: 24 });
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('x');
    await s.waitFor(prompt, 'the prompt', 10_000);
    await s.press('echo keep-$((2*3))', '\r');
    await s.waitFor((x) => paneLines(x).some((l) => l.trim() === 'keep-6'), 'the output', 10_000);
    s.stdout.resize(30, 8);
    await s.waitFor((x) => x.includes('terminal too small') && x.includes('Ctrl+a q leave the shell'), 'the notice', 5000);
    s.stdout.resize(80, 24);
    const f = await s.waitFor((x) => paneRule(x)?.cols === 80, 'the pane again', 5000);
    // the same shell: its earlier output is still on its screen
    expect(paneLines(f).some((l) => l.trim() === 'keep-6')).toBe(true);
  });

  it('Ctrl+a q leaves: the shell ends, the pane closes, the list has the keys again', async () => {
    const e = new FakeEngine([summary('web', 'RUNNING')]);
    let quit = 0;
    const s = open(e, { onQuit: () => quit++ });
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('x');
    await s.waitFor(prompt, 'the prompt', 10_000);
    // the pid of the shell, to see it gone after
    await s.press('echo pid=$$', '\r');
    const f = await s.waitFor((x) => paneLines(x).some((l) => /^pid=\d+/.test(l)), 'the shell pid', 10_000);
    const pid = Number(/pid=(\d+)/.exec(paneLines(f).find((l) => /^pid=\d+/.test(l))!)![1]);
    await s.press('\u0001', 'q');
    await s.waitFor((x) => paneRule(x) === undefined && x.includes('left the shell in web'), 'the pane closed', 5000);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await delay(20);
    expect(alive()).toBe(false);
    await s.press('q');
    await delay(20);
    expect(quit).toBe(1);
  });

  it('Ctrl+a a types one Ctrl+a into the shell; a prefix before another key passes both', async () => {
    const s = open(new FakeEngine([summary('web', 'RUNNING')]));
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('x');
    await s.waitFor(prompt, 'the prompt', 10_000);
    // od shows the bytes the shell's `read` got: 001 for Ctrl+a
    await s.press('read v; printf %s "$v" | od -An -c', '\r', 'a', '\u0001', 'a', 'b', '\r');
    const f = await s.waitFor((x) => paneLines(x).some((l) => /a\s+001\s+b/.test(l)), 'Ctrl+a read by the shell', 10_000);
    expect(paneRule(f)).toBeDefined();
  });

  it('keeps up with a flood of output: the pane shows its end and the prompt after it', async () => {
    const s = open(new FakeEngine([summary('web', 'RUNNING')]));
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('x');
    await s.waitFor(prompt, 'the prompt', 10_000);
    await s.press('yes | head -n 20000 | nl; echo flood-$((1+1))-done', '\r');
    const f = await s.waitFor((x) => paneLines(x).some((l) => l.trim() === 'flood-2-done'), 'the end of the flood', 30_000);
    const inside = paneLines(f);
    const at = inside.findIndex((l) => l.trim() === 'flood-2-done');
    expect(inside[at - 1]).toMatch(/^\s*20000\s+y$/);
    expect(inside[at + 1]).toMatch(/^fake#/);
  });

  it('the shell ending by itself (exit) closes the pane with its exit status', async () => {
    const s = open(new FakeEngine([summary('web', 'RUNNING')]));
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('x');
    await s.waitFor(prompt, 'the prompt', 10_000);
    await s.press('exit 3', '\r');
    await s.waitFor((x) => paneRule(x) === undefined && x.includes('the shell in web ended (exit status 3)'), 'the pane closed', 5000);
  });

  it('a stopped container gets no pane; an engine without attachPty and read-only mode hide the key', async () => {
    const e = new FakeEngine([summary('db')]);
    const s = open(e);
    await s.waitFor((f) => f.includes(' db '), 'the list');
    await s.press('x');
    await s.waitFor((f) => f.includes('db is STOPPED: a shell needs it RUNNING'), 'the refusal');
    expect(paneRule(s.frame())).toBeUndefined();
    s.unmount();
    const ro = open(new FakeEngine([summary('web', 'RUNNING')]), { columns: 140, readOnly: true });
    await ro.waitFor((f) => f.includes(' web '), 'the list');
    expect(ro.frame()).not.toContain('x shell pane');
    await ro.press('x');
    await ro.waitFor((f) => f.includes('read-only mode: x shell pane is disabled'), 'the refusal');
    ro.unmount();
    const full = open(new FakeEngine([summary('web', 'RUNNING')]), { columns: 140 });
    await full.waitFor((f) => f.includes(' web '), 'the list');
    expect(full.frame()).toContain('x shell pane');
  });

  it('a failing attach closes the pane and says why', async () => {
    const e = new FakeEngine([summary('web', 'RUNNING')]);
    e.failOn('attachPty', { code: 'E_STATE', message: 'web is FROZEN: attach needs it RUNNING', hint: 'thaw it first' });
    const s = open(e);
    await s.waitFor((f) => f.includes(' web '), 'the list');
    await s.press('x');
    await s.waitFor((f) => paneRule(f) === undefined && f.includes('no shell in web: web is FROZEN'), 'the error', 5000);
  });
});
