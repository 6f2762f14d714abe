/**
 * LXD's event stream (issue 10, part 3): the `/1.0/events` websocket on the daemon's unix socket
 * (the `ws` package's `ws+unix://SOCKET:/PATH` addressing), so that the console's list follows
 * lifecycle events (an instance created, started, stopped, paused, deleted by anyone: `lxc`, another
 * lxdeck, LXD itself) instead of only polling, and so that an operation's progress and end can be
 * followed as it happens.
 *
 * Follows the LXD REST API documentation, "Events" (`GET /1.0/events?type=lifecycle,operation`, each
 * message a JSON object `{type, timestamp, metadata, location, project}`; lifecycle metadata
 * `{action, source, context}`, e.g. action "instance-started", source "/1.0/instances/NAME";
 * operation metadata is the operation, as /1.0/operations/UUID returns it).
 *
 * A stream that drops (the daemon restarted, the socket went away) is reported once as
 * LxdeckError E_UNREACHABLE through `onError` and opened again with a growing delay (250 ms up to
 * 5 s); when it is back, `onError(null)` says so and `onOpen` runs again (events may have been
 * missed meanwhile: a listener re-reads what it shows). Nothing here throws into the caller.
 */
import { LxdeckError } from '../errors.js';
import type { LxdOperation } from './client.js';

/** One message of the event stream (LXD REST API, "Events"). */
export interface LxdEvent {
  /** "lifecycle", "operation" or "logging" */
  type: string;
  timestamp: string;
  metadata: Record<string, unknown>;
  /** the cluster member it happened on ("none" when not clustered) */
  location?: string;
  project?: string;
}

/** What a lifecycle event says about an instance: its name (from `source`) and LXD's action word. */
export interface LxdLifecycleChange {
  /** the instance's name, or null when the event is not about one (a profile, a network...) */
  name: string | null;
  /** LXD's action, e.g. "instance-started", "instance-stopped", "instance-paused", "instance-deleted" */
  action: string;
}

/**
 * The instance a lifecycle event's `source` names (`/1.0/instances/NAME`, with a `?project=` or a
 * sub-path like `/snapshots/S` left off), or null for other sources. Pure.
 */
export function lifecycleChange(e: LxdEvent): LxdLifecycleChange | null {
  if (e.type !== 'lifecycle') return null;
  const action = typeof e.metadata?.action === 'string' ? e.metadata.action : '';
  const source = typeof e.metadata?.source === 'string' ? e.metadata.source : '';
  const m = /^\/1\.0\/(?:instances|containers|virtual-machines)\/([^/?]+)/.exec(source);
  return { name: m ? decodeURIComponent(m[1]) : null, action };
}

export interface LxdEventsOptions {
  /** the daemon's unix socket */
  socketPath: string;
  /** event types to ask for; default ["lifecycle", "operation"] */
  types?: string[];
  /** every event, in order */
  onEvent: (e: LxdEvent) => void;
  /** the stream is open (first time, and after each reconnect) */
  onOpen?: () => void;
  /** the stream dropped (E_UNREACHABLE, it is being opened again), or null: it is back */
  onError?: (e: LxdeckError | null) => void;
  /** first reconnect delay, ms (doubled each time up to maxRetryMs); default 250 */
  retryMs?: number;
  /** default 5000 */
  maxRetryMs?: number;
}

type WsLike = {
  on(ev: 'open', f: () => void): void;
  on(ev: 'message', f: (data: Buffer) => void): void;
  on(ev: 'close', f: () => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  close(): void;
  terminate(): void;
};

/**
 * A subscription to LXD's event stream that keeps itself open (see the module comment).
 * `ws` is imported on the first connection, so a verb that never listens does not load it.
 * Usage: `const ev = new LxdEvents({ socketPath, onEvent }); ev.start(); ... ev.close()`.
 */
export class LxdEvents {
  private ws: WsLike | null = null;
  private closed = false;
  private down = false;
  private retry: NodeJS.Timeout | null = null;
  private delay: number;
  private readonly opts: LxdEventsOptions;
  private readonly waiters = new Set<(e: LxdEvent) => void>();
  /** the last event of each recently ended operation (at most 64), for a follow that starts late */
  private readonly ended = new Map<string, LxdEvent>();
  private openedOnce: Promise<void>;
  private markOpen!: () => void;

  constructor(opts: LxdEventsOptions) {
    this.opts = opts;
    this.delay = opts.retryMs ?? 250;
    this.openedOnce = new Promise((r) => (this.markOpen = r));
  }

  /** Opens the stream (idempotent). Resolves once it is open the first time; never rejects (a failure goes to onError and is retried). */
  start(): Promise<void> {
    if (!this.ws && !this.retry && !this.closed) void this.connect();
    return this.openedOnce;
  }

  /** Closes the stream for good (no reconnect); pending waits are left to their timeouts. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const ws = this.ws;
    this.ws = null;
    ws?.terminate();
  }

  /**
   * Resolves with the first event for which `match` is true, or rejects with LxdeckError
   * E_TIMEOUT after `timeoutMs`. Start the wait before causing the event.
   */
  waitFor(match: (e: LxdEvent) => boolean, timeoutMs: number, what = 'an LXD event'): Promise<LxdEvent> {
    return new Promise((resolve, reject) => {
      const f = (e: LxdEvent) => {
        if (!match(e)) return;
        this.waiters.delete(f);
        clearTimeout(t);
        resolve(e);
      };
      const t = setTimeout(() => {
        this.waiters.delete(f);
        reject(new LxdeckError('E_TIMEOUT', `no ${what} within ${timeoutMs} ms`, { hint: 'lxc monitor --type=lifecycle shows what LXD reports' }));
      }, timeoutMs);
      this.waiters.add(f);
    });
  }

  /**
   * Follows one operation through its events until it ends: `onUpdate` hears each state (Running,
   * then Success, Failure or Cancelled); resolves with the finished operation (status_code 200),
   * rejects with LxdeckError E_API when it failed or was cancelled (LXD's `err`), E_TIMEOUT after
   * `timeoutMs`. Start it before the operation can end (e.g. right after the request answered).
   */
  async followOperation(id: string, timeoutMs: number, onUpdate?: (op: LxdOperation) => void): Promise<LxdOperation> {
    const uuid = id.replace(/^\/1\.0\/operations\//, '');
    const done = this.ended.get(uuid);
    if (done) onUpdate?.(done.metadata as unknown as LxdOperation);
    const e = done ?? await this.waitFor(
      (ev) => {
        if (ev.type !== 'operation' || ev.metadata?.id !== uuid) return false;
        const op = ev.metadata as unknown as LxdOperation;
        onUpdate?.(op);
        return op.status_code >= 200;
      },
      timeoutMs,
      `end of operation ${uuid}`,
    );
    const op = e.metadata as unknown as LxdOperation;
    if (op.status_code !== 200) throw new LxdeckError('E_API', `LXD: ${op.err || op.status}`, { hint: `operation ${uuid} ${op.status.toLowerCase()}` });
    return op;
  }

  private async connect(): Promise<void> {
    let WebSocket: typeof import('ws').default;
    try {
      WebSocket = (await import('ws')).default;
    } catch (e) {
      this.fail(new LxdeckError('E_MISSING_PROGRAM', 'the ws package is missing: LXD events cannot be followed', { hint: 'reinstall lxdeck (npm ci)', cause: e }));
      return;
    }
    if (this.closed) return;
    const types = (this.opts.types ?? ['lifecycle', 'operation']).join(',');
    const ws = new WebSocket(`ws+unix://${this.opts.socketPath}:/1.0/events?type=${encodeURIComponent(types)}`, { headers: { Host: 'lxd' }, handshakeTimeout: 10_000 }) as unknown as WsLike;
    this.ws = ws;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.delay = this.opts.retryMs ?? 250;
      if (this.down) {
        this.down = false;
        this.safe(() => this.opts.onError?.(null));
      }
      this.markOpen();
      this.safe(() => this.opts.onOpen?.());
    });
    ws.on('message', (data: Buffer) => {
      let e: LxdEvent;
      try {
        e = JSON.parse(data.toString('utf8')) as LxdEvent;
      } catch {
        return; // not an event
      }
      if (e.type === 'operation' && typeof e.metadata?.id === 'string' && Number(e.metadata.status_code) >= 200) {
        this.ended.set(e.metadata.id, e);
        if (this.ended.size > 64) this.ended.delete(this.ended.keys().next().value as string);
      }
      this.safe(() => this.opts.onEvent(e));
      for (const w of [...this.waiters]) this.safe(() => w(e));
    });
    ws.on('error', (err: Error) => {
      if (this.ws !== ws) return;
      this.drop(err);
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.drop(null);
    });
  }

  private drop(err: Error | null): void {
    const ws = this.ws;
    this.ws = null;
    try {
      ws?.terminate();
    } catch {
      /* closing already */
    }
    if (this.closed) return;
    const code = (err as NodeJS.ErrnoException | null)?.code;
    this.fail(
      new LxdeckError('E_UNREACHABLE', `LXD's event stream at ${this.opts.socketPath} ${err ? `failed (${code ?? err.message})` : 'closed'}; reconnecting`, {
        hint: code === 'EACCES' ? 'run as root or as a member of the lxd group' : 'is the daemon running? (lxd waitready); the list is still refreshed by polling',
        cause: err ?? undefined,
      }),
    );
  }

  private fail(e: LxdeckError): void {
    if (!this.down) {
      this.down = true;
      this.safe(() => this.opts.onError?.(e));
    }
    if (this.closed || e.code === 'E_MISSING_PROGRAM') return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.opts.maxRetryMs ?? 5000);
  }

  private safe(f: () => void): void {
    try {
      f();
    } catch {
      /* a listener never breaks the stream */
    }
  }
}
