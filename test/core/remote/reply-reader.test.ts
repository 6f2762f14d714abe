/**
 * The request/reply reader both remote protocols use (core/remote/reply-reader.ts), over a
 * channel driven by hand: a reply whose END line is split across chunks, output that only
 * looks like an END line, the timeout, the channel's end with its last stderr line, and a
 * closed reader failing every later request.
 */
import { describe, expect, it } from 'vitest';
import { ReplyReader, type ReaderChannel } from '../../../core/remote/reply-reader.js';

function channel(): ReaderChannel & { written: string[]; send(s: string): void; err(s: string): void; end(code: number | null): void; closedByUs: boolean } {
  let data: (b: Buffer) => void = () => {};
  let stderr: (b: Buffer) => void = () => {};
  let close: (code: number | null, why?: Error) => void = () => {};
  const ch = {
    written: [] as string[],
    closedByUs: false,
    write: (s: string) => void ch.written.push(s),
    onData: (fn: (b: Buffer) => void) => void (data = fn),
    onStderr: (fn: (b: Buffer) => void) => void (stderr = fn),
    onClose: (fn: (code: number | null, why?: Error) => void) => void (close = fn),
    close: () => void (ch.closedByUs = true),
    send: (s: string) => data(Buffer.from(s)),
    err: (s: string) => stderr(Buffer.from(s)),
    end: (code: number | null) => close(code),
  };
  return ch;
}

const names = { what: 'the shell on root@h:22', where: 'root@h:22', again: 'the next request starts it again' };
const timeout = () => new Error('no answer');

describe('ReplyReader', () => {
  it('collects a reply until its own END line, split across chunks; a line that only looks like one does not end it', async () => {
    const ch = channel();
    const r = new ReplyReader(ch, names);
    const p = r.ask('Q m1\n', (t) => t.endsWith('\x01m1 END\n'), 5000, timeout);
    expect(ch.written).toEqual(['Q m1\n']);
    ch.send('line one\n\x01m0 END\n'); // another mark: output, not the end
    ch.send('é'.repeat(100)); // more than the tail the reader looks at
    ch.send('\n\x01m1 E');
    ch.send('ND\n');
    const reply = (await p).toString('utf8');
    expect(reply).toBe(`line one\n\x01m0 END\n${'é'.repeat(100)}\n\x01m1 END\n`);
    // the next request starts afresh
    const q = r.ask('Q m2\n', (t) => t.endsWith('\x01m2 END\n'), 5000, timeout);
    ch.send('\x01m2 END\n');
    expect((await q).toString()).toBe('\x01m2 END\n');
  });

  it('a timeout fails the request with its error and closes the channel; the reader stays failed', async () => {
    const ch = channel();
    const r = new ReplyReader(ch, names);
    await expect(r.ask('Q\n', () => false, 50, timeout)).rejects.toThrow('no answer');
    expect(ch.closedByUs).toBe(true);
    expect(r.closed).toBe(true);
    await expect(r.ask('Q\n', () => true, 50, timeout)).rejects.toThrow('no answer');
  });

  it('the channel ending fails what waits with E_UNREACHABLE, the exit status and the last stderr line', async () => {
    const ch = channel();
    const r = new ReplyReader(ch, names);
    const p = r.ask('Q\n', () => false, 5000, timeout);
    ch.err('warming up\nsh: 3: lxc-info: not found\n');
    ch.end(127);
    await expect(p).rejects.toMatchObject({ code: 'E_UNREACHABLE', message: 'the shell on root@h:22 ended (exit status 127): sh: 3: lxc-info: not found', hint: 'the next request starts it again' });
    await expect(r.ask('Q\n', () => true, 5000, timeout)).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
  });

  it('one request at a time', async () => {
    const ch = channel();
    const r = new ReplyReader(ch, names);
    const p = r.ask('A\n', (t) => t.endsWith('X\n'), 5000, timeout);
    await expect(r.ask('B\n', () => true, 5000, timeout)).rejects.toThrow('one request at a time');
    ch.send('X\n');
    await expect(p).resolves.toBeInstanceOf(Buffer);
  });
});
