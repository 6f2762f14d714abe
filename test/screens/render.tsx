/**
 * Rendering helpers for screen tests: Ink on a fake terminal of a chosen
 * size (ink-testing-library's is always 100 columns), and waiting for a
 * frame that satisfies a condition (React 19 renders after the input
 * event; idea: Shopify/cli's testing/ui.ts waitForInputsToBeReady).
 */
import { EventEmitter } from 'node:events';
import { render, type Instance } from 'ink';
import type React from 'react';

/** ESC [ ... letter: colour and cursor codes. */
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export class FakeStdout extends EventEmitter {
  columns: number;
  rows: number;
  frames: string[] = [];
  isTTY = false;
  constructor(columns: number, rows: number) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  write = (s: string): boolean => {
    this.frames.push(s);
    return true;
  };
  lastFrame(): string {
    return this.frames.at(-1) ?? '';
  }
  /** Change the size and emit 'resize' as a terminal does. */
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(s: string): void {
    this.data = s;
    this.emit('readable');
    this.emit('data', s);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export interface Rendered {
  stdout: FakeStdout;
  stdin: FakeStdin;
  instance: Instance;
  /** the last frame without ANSI codes */
  frame(): string;
  /** the last frame as written (with colour codes) */
  rawFrame(): string;
  /** press keys: each string is one key event */
  press(...keys: string[]): Promise<void>;
  /** wait until the frame satisfies `ok` (default 3 s); throws with the last frame otherwise */
  waitFor(ok: (frame: string) => boolean, what?: string, timeoutMs?: number): Promise<string>;
  unmount(): void;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const KEY = {
  up: '\u001b[A',
  down: '\u001b[B',
  enter: '\r',
  escape: '\u001b',
  backspace: '\u007f',
  ctrlC: '\u0003',
  ctrlD: '\u0004',
  pageDown: '\u001b[6~',
};

/** Renders `tree` on a fake terminal `columns` x `rows`. */
export function renderAt(tree: React.ReactElement, columns = 80, rows = 24): Rendered {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const stderr = new FakeStdout(columns, rows);
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const frame = (): string => stripAnsi(stdout.lastFrame());
  const waitFor = async (ok: (f: string) => boolean, what = 'condition', timeoutMs = 3000): Promise<string> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const f = frame();
      if (ok(f)) return f;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
      await delay(10);
    }
  };
  return {
    stdout,
    stdin,
    instance,
    frame,
    rawFrame: () => stdout.lastFrame(),
    async press(...keys: string[]) {
      for (const k of keys) {
        stdin.write(k);
        await delay(20); // let React commit the update before the next key
      }
    },
    waitFor,
    unmount: () => instance.unmount(),
  };
}
