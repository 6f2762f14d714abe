/**
 * What `lxdeck ls` (and `ls --json`) prints for one lxcpath: the table or the JSON array, the
 * "no containers" line, and the warning and hint for a missing lxcpath. The full program's ls
 * action (src/cli-local.ts) and the bin's small `ls` build (src/ls-fast.ts) both print through
 * {@link lsOutput}, so the two write the same bytes.
 */
import { suggestCommand, type SuggestionContext } from '../core/suggest.js';
import type { ContainerSummary } from '../core/types.js';
import { yesNo } from './autostart-text.js';

/** LXC's default lxcpath (lxc.lxcpath of lxc.system.conf(5)); core/engine.ts's DEFAULT_LXCPATH, repeated so the small build does not load the engine. */
export const LS_DEFAULT_LXCPATH = '/var/lib/lxc';

/** Pads by display width for the plain `ls` table (no colour, no escape codes). */
function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
}

/**
 * The `ls` table: lxc-ls -f's first columns (NAME STATE AUTOSTART GROUPS), then lxdeck's delete
 * protection, the init PID and the IPv4 addresses; application containers (`lxdeck run`) in a
 * section of their own below.
 * @param list rows as core/lxc/listing.ts listContainers gives them (at least one)
 */
export function lsTable(list: readonly ContainerSummary[]): string {
  const rows = [['NAME', 'STATE', 'AUTOSTART', 'GROUPS', 'PROTECTED', 'PID', 'IPV4']];
  const apps = list.filter((c) => c.kind === 'application');
  for (const c of list.filter((x) => x.kind !== 'application'))
    rows.push([c.name, c.state, yesNo(c.autostart), c.groups?.length ? c.groups.join(',') : '-', c.protected ? 'yes' : '-', c.pid === null ? '-' : String(c.pid), c.ipv4.length ? c.ipv4.join(', ') : '-']);
  const system = rows.length > 1 ? table(rows) : '';
  if (!apps.length) return system;
  // application containers (lxdeck run) in a section of their own: the system table keeps lxc-ls's columns
  const appRows = [['APPLICATION', 'STATE', 'PID', 'COMMAND'], ...apps.map((c) => [c.name, c.state, c.pid === null ? '-' : String(c.pid), (c.command ?? []).join(' ')])];
  return [system, table(appRows)].filter(Boolean).join('\n\n');
}

/**
 * The text `ls` writes for one host's listing.
 * @param list the rows (core/lxc/listing.ts listContainers, or a remote's list)
 * @param o json: `--json`; lxcpath: the absolute lxcpath listed; missing: it does not exist
 *   (core/lxcpath.ts lxcpathMissing; lxc-ls lists nothing there and exits 0, and so does ls, but
 *   says so on stderr in every form); remote: the remote listed instead (--remote);
 *   suggest: where suggested commands act (core/suggest.ts)
 * @returns stdout (ending in a newline) and stderr ('' when nothing), written in that order
 */
export function lsOutput(
  list: readonly ContainerSummary[],
  o: { json?: boolean; lxcpath: string; missing: boolean; remote?: string; suggest: SuggestionContext },
): { stdout: string; stderr: string } {
  const none = o.remote !== undefined ? `no containers on ${o.remote}` : o.missing ? `no containers: ${o.lxcpath} does not exist` : `no containers in ${o.lxcpath}`;
  const text = o.json ? JSON.stringify(list, null, 2) : list.length ? lsTable(list) : none;
  let stderr = '';
  if (o.missing) {
    if (o.json) stderr += `lxdeck: warning: the lxcpath ${o.lxcpath} does not exist: no containers there\n`;
    stderr += `hint: ${suggestCommand(['create', 'NAME'], o.suggest)} makes it (as lxc-create does); or name another with --lxcpath (default ${LS_DEFAULT_LXCPATH})\n`;
  }
  return { stdout: text.endsWith('\n') ? text : `${text}\n`, stderr };
}
