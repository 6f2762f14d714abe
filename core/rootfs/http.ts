import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LxdeckError } from '../errors.js';

/**
 * HTTP(S) fetches for templates that download images (Node's built-in fetch).
 * Only http: and https: URLs; every failure is an LxdeckError E_NETWORK that
 * names the URL.
 */

export interface FetchOptions {
  signal?: AbortSignal;
  /** milliseconds for the whole request; default 60 000 for text, none for files */
  timeoutMs?: number;
}

/**
 * Checks that `url` is an absolute http or https URL.
 * @throws LxdeckError E_INVALID_VALUE otherwise.
 */
export function checkHttpUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LxdeckError('E_INVALID_VALUE', `not a URL: ${JSON.stringify(url)}`, { hint: 'give a URL like https://images.example.org' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new LxdeckError('E_INVALID_VALUE', `only http and https URLs are fetched, not ${u.protocol}`);
  return u;
}

function signalFor(opts: FetchOptions, defaultTimeout?: number): AbortSignal | undefined {
  const sigs: AbortSignal[] = [];
  if (opts.signal) sigs.push(opts.signal);
  const t = opts.timeoutMs ?? defaultTimeout;
  if (t) sigs.push(AbortSignal.timeout(t));
  return sigs.length ? AbortSignal.any(sigs) : undefined;
}

async function get(url: string, opts: FetchOptions, defaultTimeout?: number): Promise<Response | null> {
  checkHttpUrl(url);
  let res: Response;
  try {
    res = await fetch(url, { signal: signalFor(opts, defaultTimeout), redirect: 'follow' });
  } catch (e) {
    if (opts.signal?.aborted) throw new LxdeckError('E_CANCELLED', `download of ${url} cancelled`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new LxdeckError('E_NETWORK', `cannot fetch ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, {
      hint: 'check the server URL and that this host reaches it',
      cause: e,
    });
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new LxdeckError('E_NETWORK', `fetching ${url} gave HTTP ${res.status} ${res.statusText}`);
  }
  return res;
}

/**
 * GETs `url` as text.
 * @returns the body, or null on 404/410 (a file the server does not have).
 * @throws LxdeckError E_NETWORK on a connection failure, timeout or any other non-2xx status;
 *   E_CANCELLED when `signal` aborted.
 */
export async function fetchText(url: string, opts: FetchOptions = {}): Promise<string | null> {
  const res = await get(url, opts, 60_000);
  if (!res) return null;
  try {
    return await res.text();
  } catch (e) {
    throw new LxdeckError('E_NETWORK', `reading ${url} failed: ${(e as Error).message}`);
  }
}

/** What {@link downloadFile} reports. */
export interface DownloadResult {
  /** lower-case hex SHA-256 of the bytes written */
  sha256: string;
  bytes: number;
}

/**
 * Streams `url` into `dest` (written to a temporary name beside it, renamed
 * when complete), hashing it with SHA-256 on the way.
 * @param onBytes called as data arrives: bytes so far, and the total when the server sent Content-Length
 * @throws LxdeckError E_NETWORK (also on 404: the file must exist), E_CANCELLED.
 */
export async function downloadFile(
  url: string,
  dest: string,
  opts: FetchOptions & { onBytes?: (received: number, total: number | null) => void } = {},
): Promise<DownloadResult> {
  const res = await get(url, opts);
  if (!res || !res.body) throw new LxdeckError('E_NETWORK', `the server has no ${url} (HTTP 404)`);
  const totalHeader = Number(res.headers.get('content-length'));
  const total = Number.isFinite(totalHeader) && totalHeader > 0 ? totalHeader : null;
  const hash = createHash('sha256');
  let bytes = 0;
  const tmp = `${dest}.part-${randomBytes(4).toString('hex')}`;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      opts.onBytes?.(bytes, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), meter, createWriteStream(tmp, { mode: 0o644 }));
    if (total !== null && bytes !== total) throw new LxdeckError('E_NETWORK', `${url} ended after ${bytes} of ${total} bytes`);
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    if (opts.signal?.aborted) throw new LxdeckError('E_CANCELLED', `download of ${url} cancelled`);
    if (e instanceof LxdeckError) throw e;
    throw new LxdeckError('E_NETWORK', `downloading ${url} failed: ${(e as Error).message}`, { cause: e });
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Parses a SHA256SUMS file (`sha256sum` output: `<64 hex>  <name>`, a `*` before
 * the name in binary mode).
 * @returns file name -> lower-case hex digest.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const r = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line);
    if (r) m.set(r[2].replace(/^\.\//, ''), r[1].toLowerCase());
  }
  return m;
}

/** SHA-256 of a file on disk, lower-case hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
