/**
 * The stdout Ink draws on, with a gate: while closed, Ink's writes are
 * dropped (a resize or a late render during a console/attach hand-off must
 * not draw over the child's screen); 'resize' events always pass, so Ink
 * and the screens keep the size current and redraw whole on reopening.
 */
import { EventEmitter } from 'node:events';

export class GatedStdout extends EventEmitter {
  /** true while writes are dropped */
  closed = false;
  private readonly forward = (): void => {
    this.emit('resize');
  };

  constructor(private readonly out: NodeJS.WriteStream) {
    super();
    out.on('resize', this.forward);
  }

  get columns(): number {
    return this.out.columns;
  }
  get rows(): number {
    return this.out.rows;
  }
  get isTTY(): boolean {
    return this.out.isTTY === true;
  }
  get writable(): boolean {
    return this.out.writable;
  }
  get destroyed(): boolean {
    return this.out.destroyed;
  }
  get writableEnded(): boolean {
    return this.out.writableEnded;
  }
  get writableLength(): number {
    return this.out.writableLength;
  }
  get _writableState(): unknown {
    return (this.out as unknown as { _writableState?: unknown })._writableState;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void): boolean {
    const done = typeof encoding === 'function' ? encoding : cb;
    if (this.closed) {
      if (done) queueMicrotask(() => done());
      return true;
    }
    return typeof encoding === 'function' ? this.out.write(chunk, encoding) : this.out.write(chunk, encoding as BufferEncoding, cb);
  }

  /** Stops following the real stream's resizes. */
  dispose(): void {
    this.out.off('resize', this.forward);
  }
}
