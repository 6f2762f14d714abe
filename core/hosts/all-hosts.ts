/**
 * One view of every configured host (issue 10, part 4): the local lxcpath, each remote over SSH
 * and the LXD backend, asked concurrently, each within its own timeout, so a host that does not
 * answer is reported as such and never blocks or fails the others. Used by `lxdeck ls --all`
 * (src/cli-all.ts) and by the console's all-hosts backend ({@link AllHostsBackend}).
 */
import type { Backend } from '../backend.js';
import { LxdeckError } from '../errors.js';
import type { ContainerSummary } from '../types.js';

/** One host to list: its name (`local`, a remote's name, `lxd`) and its backend. */
export interface HostEntry {
  name: string;
  backend: Backend;
}

/** A container row with the host it lives on. */
export type HostContainer = ContainerSummary & { host: string };

/** Whether a host answered: `error` (one line) and `code` (LxdeckError code) when it did not. */
export interface HostStatus {
  name: string;
  ok: boolean;
  error?: string;
  code?: string;
}

/** What {@link listAllHosts} gives: every row of the hosts that answered, and one status per host (in the order given). */
export interface AllHostsList {
  containers: HostContainer[];
  hosts: HostStatus[];
}

/** Default time a host gets to answer a list, milliseconds (the console refreshes about every 2 s; a remote connects within 10 s). */
export const DEFAULT_HOST_TIMEOUT_MS = 5_000;

/**
 * Resolves with `p`, or rejects with E_UNREACHABLE after `ms` milliseconds (the work behind `p`
 * goes on; its later result or error is ignored).
 * @throws LxdeckError E_UNREACHABLE "HOST did not answer within N s"; else what `p` throws
 */
export function withTimeout<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LxdeckError('E_UNREACHABLE', `${host} did not answer within ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`, { hint: `is ${host} up? lxdeck ls --remote ${host} shows its own error` })), ms);
    timer.unref?.();
  });
  p.catch(() => undefined); // a late failure after the timeout is not an unhandled rejection
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Lists every host concurrently, each bounded by `timeoutMs`; a host that throws or times out
 * gives no rows and a status `{ok: false, error, code}`. Never throws for one host's failure.
 * Rows are ordered by host (as given) then by name.
 * @param hosts the hosts, in the order their rows and statuses should come
 * @param opts.timeoutMs per host, milliseconds (default {@link DEFAULT_HOST_TIMEOUT_MS})
 * @param opts.onSkip passed to each backend's list, with the host's name
 */
export async function listAllHosts(hosts: readonly HostEntry[], opts: { timeoutMs?: number; onSkip?: (host: string, name: string, reason: string) => void } = {}): Promise<AllHostsList> {
  const ms = opts.timeoutMs ?? DEFAULT_HOST_TIMEOUT_MS;
  const results = await Promise.allSettled(
    hosts.map((h) => withTimeout(h.backend.list({ onSkip: opts.onSkip ? (n, why) => opts.onSkip!(h.name, n, why) : undefined }), ms, h.name)),
  );
  const containers: HostContainer[] = [];
  const statuses: HostStatus[] = [];
  results.forEach((r, i) => {
    const name = hosts[i].name;
    if (r.status === 'fulfilled') {
      statuses.push({ name, ok: true });
      for (const c of [...r.value].sort((a, b) => a.name.localeCompare(b.name))) containers.push({ ...c, host: name });
    } else {
      const e = r.reason as unknown;
      statuses.push({ name, ok: false, error: e instanceof Error ? e.message : String(e), ...(e instanceof LxdeckError ? { code: e.code } : {}) });
    }
  });
  return { containers, hosts: statuses };
}
