/**
 * The pty of a program elsewhere (an SSH channel, an LXD exec) as a PtyChild (core/exec/pty.ts
 * ptyChildOf), and lxc-console's escape read from typed bytes (createEscapeReader), which the LXD
 * console uses: both pure, over a scripted channel.
 */
import { describe, expect, it } from 'vitest';
import { createEscapeReader, ptyChildOf, type PtyChannel, type PtyExit } from '../../../core/exec/pty.js';

/** A scripted far side: records what the adapter asks, lets the test emit output and the end. */
function channel() {
  const calls: string[] = [];
  const written: Buffer[] = [];
  let sink: ((b: Buffer) => void) | null = null;
  let finish: (e: PtyExit) => void = () => {};
  const exited = new Promise<PtyExit>((r) => (finish = r));
  const ch: PtyChannel = {
    argv: ['sh'],
    write: (d) => written.push(d),
    resize: (c, r) => calls.push(`resize ${c}x${r}`),
    output: (fn) => (sink = fn),
    exited,
    hangup: () => calls.push('hangup'),
    kill: () => calls.push('kill'),
  };
  return { ch, calls, written, emit: (b: Buffer) => sink!(b), finish: (e: PtyExit) => finish(e) };
}

describe('ptyChildOf', () => {
  it('keeps output that came before the first listener, and a UTF-8 character split between chunks whole', async () => {
    const f = channel();
    const child = ptyChildOf(f.ch);
    expect(child.pid).toBeNull();
    f.emit(Buffer.from('early '));
    const euro = Buffer.from('€'); // 3 bytes
    const got: string[] = [];
    child.onData((d) => got.push(d));
    expect(got).toEqual(['early ']);
    f.emit(euro.subarray(0, 1));
    f.emit(Buffer.concat([euro.subarray(1), Buffer.from(' ü')]));
    expect(got.join('')).toBe('early € ü');
    expect(got).not.toContain('\ufffd');
  });

  it('keys as UTF-8 bytes; resize in whole cells, ignored below 1x1 and after the end', async () => {
    const f = channel();
    const child = ptyChildOf(f.ch);
    child.write('ü\x03');
    child.resize(100.7, 30);
    child.resize(0, 10);
    expect(Buffer.concat(f.written)).toEqual(Buffer.from('ü\x03'));
    expect(f.calls).toEqual(['resize 100x30']);
    f.finish({ exitCode: 3, signal: 0 });
    expect(await child.exited).toEqual({ exitCode: 3, signal: 0 });
    child.write('late');
    child.resize(80, 24);
    expect(f.written).toHaveLength(1);
    expect(f.calls).toEqual(['resize 100x30']);
  });

  it('end: hangup first; kill only when the program is still there after the grace time', async () => {
    const quick = channel();
    const a = ptyChildOf(quick.ch);
    const endA = a.end(200);
    quick.finish({ exitCode: 129, signal: 0 });
    expect(await endA).toEqual({ exitCode: 129, signal: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(quick.calls).toEqual(['hangup']);

    const stubborn = channel();
    const b = ptyChildOf(stubborn.ch);
    const endB = b.end(50);
    await new Promise((r) => setTimeout(r, 120));
    expect(stubborn.calls).toEqual(['hangup', 'kill']);
    stubborn.finish({ exitCode: 137, signal: 0 });
    expect(await endB).toEqual({ exitCode: 137, signal: 0 });
  });
});

describe("createEscapeReader: lxc-console's Ctrl+a q read from the keys", () => {
  const s = (x: string) => Buffer.from(x, 'latin1');
  it('passes keys on; Ctrl+a q leaves (what came before it still goes); nothing after it goes', () => {
    const read = createEscapeReader();
    expect(read(s('ls\r'))).toEqual({ forward: s('ls\r'), leave: false });
    expect(read(s('x\x01qignored'))).toEqual({ forward: s('x'), leave: true });
  });
  it('Ctrl+a a and Ctrl+a Ctrl+a type one Ctrl+a; Ctrl+a then another key passes both', () => {
    const read = createEscapeReader();
    expect(read(s('\x01a\x01\x01\x01b'))).toEqual({ forward: s('\x01\x01\x01b'), leave: false });
  });
  it('a Ctrl+a at the end of one read waits for the next', () => {
    const read = createEscapeReader();
    expect(read(s('echo\x01'))).toEqual({ forward: s('echo'), leave: false });
    expect(read(s('q'))).toEqual({ forward: s(''), leave: true });
    const again = createEscapeReader();
    again(s('\x01'));
    expect(again(s('c'))).toEqual({ forward: s('\x01c'), leave: false });
  });
});
