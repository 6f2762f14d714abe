/**
 * One request/reply conversation over one long-lived channel, the part the remote shell
 * (shell.ts, SHELL_SCRIPT) and the remote stats reader (stats.ts, READER_SCRIPT) share: a
 * request is written, its reply collected until it ends with its END line (each request has a
 * random mark, sent only on stdin, so no output can end a reply early), within a timeout. The
 * channel's last stderr is kept for the message when it ends. The first failure (the channel
 * closed or dropped, a timeout, a write error) fails the request in flight and every later one:
 * the owner opens a new channel and a new reader. Each protocol keeps its own request format,
 * END line and reply parsing.
 */
import { LxdeckError } from '../errors.js';

/** One end of a reader's channel: an SSH exec channel, or (in tests) a local `sh`'s stdio. */
export interface ReaderChannel {
  write(data: string): void;
  onData(fn: (chunk: Buffer) => void): void;
  onStderr(fn: (chunk: Buffer) => void): void;
  /** the channel closed: the reader's exit status when known; `why` an error that says why (a dropped connection) */
  onClose(fn: (code: number | null, why?: Error) => void): void;
  /** closes the channel (the remote shell reads EOF, or is killed by SIGPIPE) */
  close(): void;
}

/** Bytes of a reply's end kept for the END line test: more than the longest END line (`\n\x01` + 16 hex + ` END ` + a status). */
const TAIL_BYTES = 64;

/** How a {@link ReplyReader} names its channel in errors. */
export interface ReplyReaderNames {
  /** what runs there, for messages: `the shell on root@host:22` */
  what: string;
  /** `user@host:port`, for messages */
  where: string;
  /** the hint of an error that ends the channel: what starts it again (`the next request starts it again`) */
  again: string;
}

/**
 * The client side of one channel: one request at a time, its reply the bytes up to and
 * including the END line {@link ask}'s `isEnd` recognises.
 */
export class ReplyReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private tail: Buffer = Buffer.alloc(0);
  private stderr = '';
  private waiting: { isEnd: (tail: string) => boolean; resolve: (reply: Buffer) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  /**
   * Listens to `ch` (its program already started): data, stderr (the last 2000 characters kept),
   * close (fails what waits with E_UNREACHABLE `WHAT ended (exit status N): LAST STDERR LINE`).
   */
  constructor(
    private readonly ch: ReaderChannel,
    private readonly names: ReplyReaderNames,
  ) {
    ch.onData((d) => this.data(d));
    ch.onStderr((d) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-2000);
    });
    ch.onClose((code, why) => {
      const last = this.stderr.trim().split('\n').pop();
      this.fail(why ?? new LxdeckError('E_UNREACHABLE', `${names.what} ended${code === null ? '' : ` (exit status ${code})`}${last ? `: ${last}` : ''}`, { hint: names.again }));
    });
  }

  /** True once the channel closed or a request failed; the reader is of no more use. */
  get closed(): boolean {
    return this.failure !== null;
  }

  /** Fails the request in flight and every later one with `e` (the first failure is kept). */
  fail(e: Error): void {
    if (this.failure === null) this.failure = e;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(e);
  }

  private data(d: Buffer): void {
    const w = this.waiting;
    if (!w) return; // nothing asked: the programs print only replies
    this.chunks.push(d);
    this.size += d.length;
    // the reply ends with its END line and nothing follows it until the next request: only its
    // last bytes are looked at, however long the reply
    this.tail = d.length >= TAIL_BYTES ? d.subarray(-TAIL_BYTES) : Buffer.concat([this.tail, d]).subarray(-TAIL_BYTES);
    if (!w.isEnd(this.tail.toString('latin1'))) return;
    const all = Buffer.concat(this.chunks, this.size);
    this.waiting = null;
    this.chunks = [];
    this.size = 0;
    this.tail = Buffer.alloc(0);
    w.resolve(all);
  }

  /**
   * Writes `request` and resolves with the whole reply once `isEnd` is true of its last bytes
   * (at most 64, read as latin1: an END line is ASCII).
   * @param timeoutMs milliseconds for the reply; after it the reader fails with `onTimeout()` and closes the channel
   * @throws the reader's failure (E_UNREACHABLE: ended, dropped, closed, or the write failed), onTimeout()'s error; Error when a request is already waiting (a caller's bug)
   */
  ask(request: string, isEnd: (tail: string) => boolean, timeoutMs: number, onTimeout: () => Error): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error('ReplyReader: one request at a time'));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(onTimeout());
        this.close();
      }, timeoutMs);
      this.waiting = {
        isEnd,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.chunks = [];
      this.size = 0;
      this.tail = Buffer.alloc(0);
      try {
        this.ch.write(request);
      } catch (e) {
        this.fail(new LxdeckError('E_UNREACHABLE', `${this.names.where} is unreachable: ${(e as Error).message}`, { cause: e }));
      }
    });
  }

  /** Closes the channel (a request in flight fails with E_UNREACHABLE `WHAT was closed`). Idempotent. */
  close(): void {
    this.fail(new LxdeckError('E_UNREACHABLE', `${this.names.what} was closed`));
    try {
      this.ch.close();
    } catch {
      /* already closed */
    }
  }
}
