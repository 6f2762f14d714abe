/**
 * `lxdeck ls --all` and the console's `--all` (issue 10, part 4): which hosts there are, and the
 * table with a HOST column. The listing itself is core/hosts/all-hosts.ts.
 */
import { existsSync } from 'node:fs';
import type { Backend } from '../core/backend.js';
import type { AllHostsList, HostEntry } from '../core/hosts/all-hosts.js';
import { LxdBackend } from '../core/lxd/backend.js';
import { lxdSocketPath } from '../core/lxd/client.js';
import { yesNo } from './autostart-text.js';

/**
 * The hosts `--all` covers, in order: `local` first, then each configured remote (by name), then
 * `lxd` when `withLxd` (--backend lxd, LXDECK_BACKEND=lxd), `lxdSocket` is given (--lxd-socket) or LXD's socket ($LXD_DIR/unix.socket, else
 * /var/lib/lxd/unix.socket) exists. Connects nothing: each backend connects on its first call.
 * @param deps.remote the backend of one remote (the caller keeps it, to close it)
 * @param deps.lxd the backend of the LXD daemon at a socket (default a plain LxdBackend; the console's records its actions)
 */
export function allHostEntries(deps: {
  local: Backend;
  remotes: readonly string[];
  remote: (name: string) => Backend;
  lxdSocket?: string;
  withLxd?: boolean;
  env?: NodeJS.ProcessEnv;
  lxd?: (socketPath: string) => Backend;
}): HostEntry[] {
  const hosts: HostEntry[] = [{ name: 'local', backend: deps.local }];
  for (const r of deps.remotes) hosts.push({ name: r, backend: deps.remote(r) });
  const sock = lxdSocketPath(deps.lxdSocket, deps.env ?? process.env);
  if (deps.withLxd || deps.lxdSocket !== undefined || existsSync(sock)) hosts.push({ name: 'lxd', backend: deps.lxd ? deps.lxd(sock) : new LxdBackend({ socketPath: sock }) });
  return hosts;
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
}

/**
 * The `ls --all` table: HOST, then the local table's columns; a host that did not answer gives
 * one row `HOST  -  UNREACHABLE` (its error goes to stderr), so the table shows every host.
 */
export function allHostsTable(res: AllHostsList): string {
  const rows = [['HOST', 'NAME', 'STATE', 'AUTOSTART', 'GROUPS', 'PROTECTED', 'PID', 'IPV4']];
  for (const h of res.hosts) {
    if (!h.ok) {
      rows.push([h.name, '-', 'UNREACHABLE', '-', '-', '-', '-', '-']);
      continue;
    }
    for (const c of res.containers.filter((x) => x.host === h.name))
      rows.push([c.host, c.name, c.state, yesNo(c.autostart), c.groups?.length ? c.groups.join(',') : '-', c.protected ? 'yes' : '-', c.pid === null ? '-' : String(c.pid), c.ipv4.length ? c.ipv4.join(', ') : '-']);
  }
  return table(rows);
}
