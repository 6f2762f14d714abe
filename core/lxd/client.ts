/**
 * A small client of the LXD (and Incus) REST API over its unix socket: JSON requests with
 * node:http (`socketPath`), background operations waited for, and LXD's errors turned into
 * LxdeckError with a stable code and a hint.
 *
 * Follows the LXD REST API documentation, sections "REST API" (the response envelope:
 * `type` sync | async | error, `status_code`, `error_code`, `operation`, `metadata`) and
 * "Operations" (`/1.0/operations/UUID/wait?timeout=N`, status codes 100..401).
 */
import { request, type RequestOptions } from 'node:http';
import { LxdeckError } from '../errors.js';

/** Where LXD's daemon listens by default (Debian's lxd package; snap uses /var/snap/lxd/common/lxd). */
export const DEFAULT_LXD_DIR = '/var/lib/lxd';

/**
 * The socket path: `explicit` when given, else `$LXD_DIR/unix.socket`, else
 * /var/lib/lxd/unix.socket (LXD's own rule for its `lxc` client).
 */
export function lxdSocketPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  return `${env.LXD_DIR || DEFAULT_LXD_DIR}/unix.socket`;
}

/** LXD's response envelope (REST API, "Return values"). */
export interface LxdResponse<T = unknown> {
  type: 'sync' | 'async' | 'error';
  status?: string;
  status_code?: number;
  /** for async responses: the operation's URL, `/1.0/operations/UUID` */
  operation?: string;
  error_code?: number;
  error?: string;
  metadata: T;
}

/** A background operation (REST API, "Operations"). */
export interface LxdOperation {
  id: string;
  class: 'task' | 'websocket' | 'token';
  description: string;
  /** "Running", "Success", "Failure", "Cancelled", ... */
  status: string;
  /** 103 running, 200 success, 400 failure, 401 cancelled */
  status_code: number;
  /** operation-specific data: for exec, `return` (the exit status) and `output` ({"1": url, "2": url}) */
  metadata: Record<string, unknown> | null;
  err: string;
  resources?: Record<string, string[]> | null;
  location?: string;
}

export interface LxdClientOptions {
  /** the unix socket (see {@link lxdSocketPath}) */
  socketPath?: string;
  /** milliseconds a single HTTP request may take (not an operation's wait); default 60 000 */
  requestTimeoutMs?: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Raw bytes of a response (e.g. an exec log file), with its HTTP status. */
interface RawResponse {
  status: number;
  body: Buffer;
}

/**
 * The LXD REST client. Every method throws LxdeckError:
 * - E_UNREACHABLE when the socket is missing or refuses connections (with a hint to start LXD);
 * - E_NOT_FOUND for 404, E_EXISTS for 409, E_TIMEOUT for an operation still running after its wait;
 * - E_API for any other error LXD reports (its message kept).
 */
export class LxdClient {
  readonly socketPath: string;
  private readonly requestTimeoutMs: number;

  constructor(opts: LxdClientOptions = {}) {
    this.socketPath = lxdSocketPath(opts.socketPath);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  private raw(method: Method, path: string, body?: unknown): Promise<RawResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      // no TLS on a unix socket: an empty servername keeps node:http's agent from working one out
      // of the Host header (its first net.isIP call compiles the IPv6 pattern: 13-20 ms of every
      // short `lxdeck --backend lxd` run here); the agent reads it, RequestOptions does not declare it
      const options: RequestOptions & { servername: string } = {
        servername: '',
        socketPath: this.socketPath,
        // a connection per request, closed after it: no keep-alive socket shared between callers
        agent: false,
        path,
        method,
        headers: { Host: 'lxd', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
        timeout: this.requestTimeoutMs,
      };
      const req = request(
        options,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new LxdeckError('E_TIMEOUT', `LXD did not answer ${method} ${path} within ${this.requestTimeoutMs} ms`, { hint: 'is the daemon busy or hung? see its log (lxd.log in LXD_DIR/logs or --logfile)' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof LxdeckError) return reject(e);
        if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES')
          return reject(
            new LxdeckError('E_UNREACHABLE', `cannot reach LXD at ${this.socketPath} (${e.code})`, {
              hint:
                e.code === 'EACCES'
                  ? 'run as root or as a member of the lxd group'
                  : 'start the daemon (lxd --group lxd, or systemctl start lxd) or point --lxd-socket / LXD_DIR at its socket',
              cause: e,
            }),
          );
        reject(new LxdeckError('E_UNREACHABLE', `LXD request ${method} ${path} failed: ${e.message}`, { cause: e }));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * One request; resolves with the whole envelope (sync or async). An error envelope throws
   * (see the class comment for the codes).
   */
  async request<T = unknown>(method: Method, path: string, body?: unknown): Promise<LxdResponse<T>> {
    const r = await this.raw(method, path, body);
    let env: LxdResponse<T>;
    try {
      env = JSON.parse(r.body.toString('utf8')) as LxdResponse<T>;
    } catch (e) {
      throw new LxdeckError('E_API', `LXD answered ${method} ${path} with HTTP ${r.status} and no JSON`, { cause: e });
    }
    if (env.type === 'error' || r.status >= 400) throw apiError(method, path, env.error_code ?? r.status, env.error ?? `HTTP ${r.status}`);
    return env;
  }

  /** GET, the metadata of a sync response. */
  async get<T = unknown>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).metadata;
  }

  /**
   * Any method; when LXD answers with a background operation it is waited for (up to
   * `timeoutSec`, default 120) and the finished operation returned; a sync answer's metadata
   * is returned as it is.
   * @throws LxdeckError E_API when the operation failed (its `err`), E_TIMEOUT when it still runs
   */
  async call<T = unknown>(method: Method, path: string, body?: unknown, timeoutSec = 120): Promise<T | LxdOperation> {
    const env = await this.request<T>(method, path, body);
    if (env.type === 'async' && env.operation) return this.waitOperation(env.operation, timeoutSec, `${method} ${path}`);
    return env.metadata;
  }

  /**
   * Waits for an operation (`/1.0/operations/UUID` or the bare UUID) with
   * `GET /1.0/operations/UUID/wait?timeout=N` (seconds). Resolves with the finished operation.
   * @throws LxdeckError E_API when it ended in Failure or Cancelled (LXD's `err` is the message),
   *   E_TIMEOUT when it still runs after `timeoutSec`
   */
  async waitOperation(op: string, timeoutSec = 120, what = 'operation'): Promise<LxdOperation> {
    const url = op.startsWith('/') ? op : `/1.0/operations/${op}`;
    const deadline = Date.now() + timeoutSec * 1000;
    let done: LxdOperation;
    for (;;) {
      const asked = Date.now();
      const left = Math.max(1, Math.ceil((deadline - asked) / 1000));
      done = await this.get<LxdOperation>(`${url}/wait?timeout=${left}`);
      // a wait can end before the operation does (seen on a cluster member): ask again until the deadline
      if (done.status_code !== 103 && done.status_code !== 100 && done.status_code !== 105) break;
      if (Date.now() >= deadline) break;
      if (Date.now() - asked < 200) await new Promise((r) => setTimeout(r, 200));
    }
    if (done.status_code === 200) return done;
    if (done.status_code >= 400) throw apiError('', what, done.status_code, done.err || done.status);
    throw new LxdeckError('E_TIMEOUT', `LXD ${what} still ${done.status} after ${timeoutSec} s`, { hint: `lxc operation show ${done.id} shows it` });
  }

  /** The raw bytes at `path` (exec output logs are plain files, not JSON). @throws as {@link request} */
  async getBytes(path: string): Promise<Buffer> {
    const r = await this.raw('GET', path);
    if (r.status >= 400) {
      let msg = `HTTP ${r.status}`;
      try {
        msg = (JSON.parse(r.body.toString('utf8')) as LxdResponse).error ?? msg;
      } catch {
        /* not JSON */
      }
      throw apiError('GET', path, r.status, msg);
    }
    return r.body;
  }
}

/** LXD's error (an HTTP-like code and its text) as an LxdeckError with a stable code. */
export function apiError(method: string, path: string, code: number, message: string): LxdeckError {
  const where = method ? `${method} ${path}` : path;
  if (code === 404) return new LxdeckError('E_NOT_FOUND', `LXD: ${message}`, { hint: `${where} found nothing; lxdeck --backend lxd ls lists the instances` });
  if (code === 409) return new LxdeckError('E_EXISTS', `LXD: ${message}`, { hint: 'pick another name' });
  if (/already running|is not running|already frozen|not frozen|is frozen|instance is running|must be stopped/i.test(message))
    return new LxdeckError('E_STATE', `LXD: ${message}`, { hint: 'lxdeck --backend lxd ls shows the state' });
  return new LxdeckError('E_API', `LXD: ${message}`, { hint: `LXD refused ${where} (code ${code}); its log says more` });
}
