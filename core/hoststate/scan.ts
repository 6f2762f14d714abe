/**
 * Reads what the host already uses, for the host-wide allocation records
 * (core/hoststate/index.ts): the containers of an lxcpath (their configs),
 * the running containers of EVERY lxcpath (LXC's abstract command sockets in
 * /proc/net/unix), user namespaces in use (/proc/PID/uid_map and gid_map),
 * a bridge's neighbours and dnsmasq's leases. Everything here only reads:
 * tables and files, never a probe on the network.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { netInterfaces, readConfig, type LxcConfig } from '../lxc/config.js';
import { parseCidr, parseIpv4 } from '../network/ipv4.js';
import { parseIdmap, type IdRange } from '../idmap.js';

/** One container as its config names it, for reconciliation. */
export interface ScannedContainer {
  lxcpath: string;
  name: string;
  /** per veth/macvlan interface: the link, hwaddr and IPv4 addresses (integers) */
  nets: { link?: string; hwaddr?: string; ipv4: number[]; vethPair?: string }[];
  /** host id ranges of its lxc.idmap values (uid and gid maps alike) */
  idmap: IdRange[];
}

/**
 * Every container of `lxcpath`: directories holding a readable `config` (as lxc-ls counts
 * them); unreadable configs are left out. An lxcpath that does not exist gives [].
 */
export async function scanContainers(lxcpath: string): Promise<ScannedContainer[]> {
  let entries: string[];
  try {
    entries = readdirSync(lxcpath);
  } catch {
    return [];
  }
  const out: ScannedContainer[] = [];
  for (const name of entries.sort()) {
    if (name.startsWith('.')) continue;
    let cfg: LxcConfig;
    try {
      cfg = await readConfig(join(lxcpath, name, 'config'));
    } catch {
      continue;
    }
    out.push(containerOf(lxcpath, name, cfg));
  }
  return out;
}

/** The parts of `cfg` reconciliation needs (lxc.net.N.{link,hwaddr,veth.pair,ipv4.address}, lxc.idmap). */
export function containerOf(lxcpath: string, name: string, cfg: LxcConfig): ScannedContainer {
  const nets = netInterfaces(cfg).map((n) => ({
    link: n.link,
    hwaddr: n.hwaddr?.toLowerCase(),
    vethPair: n.vethPair,
    ipv4: n.ipv4.flatMap((a) => {
      try {
        return [parseCidr(a).addr];
      } catch {
        return [];
      }
    }),
  }));
  const idmap: IdRange[] = [];
  for (const v of cfg.getAll('lxc.idmap')) {
    const e = parseIdmap(v);
    if (e) idmap.push({ start: e.hostid, count: e.count });
  }
  return { lxcpath, name, nets, idmap };
}

/**
 * The running containers of every lxcpath on the host, from LXC's abstract unix command
 * sockets `@<lxcpath>/<name>/command` listed in /proc/net/unix (proc(5)): each running
 * container's monitor listens on one. Names LXC shortened to a hash (very long lxcpaths)
 * cannot be mapped back and are left out.
 * @param procRoot the /proc to read (tests point it at a fixture tree)
 */
export function runningContainers(procRoot = '/proc'): { lxcpath: string; name: string }[] {
  let text: string;
  try {
    text = readFileSync(join(procRoot, 'net/unix'), 'utf8');
  } catch {
    return [];
  }
  return parseCommandSockets(text);
}

/** The `{lxcpath, name}` of every `@<lxcpath>/<name>/command` socket in /proc/net/unix text. */
export function parseCommandSockets(text: string): { lxcpath: string; name: string }[] {
  const seen = new Set<string>();
  const out: { lxcpath: string; name: string }[] = [];
  for (const line of text.split('\n')) {
    const path = line.trim().split(/\s+/).slice(7).join(' ');
    const m = /^@(\/.+)\/([^/]+)\/command$/.exec(path);
    if (!m || seen.has(path)) continue;
    seen.add(path);
    out.push({ lxcpath: m[1], name: m[2] });
  }
  return out;
}

/**
 * Host id ranges mapped by user namespaces that exist now: every /proc/PID/uid_map and
 * gid_map line (user_namespaces(7): `NSID HOSTID COUNT`) except the initial namespace's
 * identity map `0 0 4294967295`. Catches every running unprivileged container of every
 * lxcpath, and any other user of subordinate ids.
 */
export function liveIdRanges(procRoot = '/proc'): IdRange[] {
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: IdRange[] = [];
  for (const pid of pids) {
    for (const f of ['uid_map', 'gid_map']) {
      let text: string;
      try {
        text = readFileSync(join(procRoot, pid, f), 'utf8');
      } catch {
        continue;
      }
      for (const l of text.split('\n')) {
        const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(l);
        if (!m) continue;
        const start = Number(m[2]);
        const count = Number(m[3]);
        if (start === 0 && count === 4294967295) continue;
        const key = `${start}:${count}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ start, count });
      }
    }
  }
  return out;
}

/**
 * The IPv4 neighbours of `bridge` (`ip -j -4 neigh show dev BR`, ip-neighbour(8)): addresses
 * the host has seen on the bridge, with their MAC; FAILED and INCOMPLETE entries are left out.
 * A read of the kernel's table: nothing is sent.
 */
export async function bridgeNeighbours(runner: Runner, bridge: string): Promise<{ addr: number; hwaddr?: string }[]> {
  const r = await runner.run('ip', ['-j', '-4', 'neigh', 'show', 'dev', bridge], { timeoutMs: 10_000 });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  let rows: { dst?: string; lladdr?: string; state?: string[] }[];
  try {
    rows = JSON.parse(r.stdout) as typeof rows;
  } catch {
    return [];
  }
  const out: { addr: number; hwaddr?: string }[] = [];
  for (const row of rows) {
    if (!row.dst || (row.state ?? []).some((s) => s === 'FAILED' || s === 'INCOMPLETE')) continue;
    try {
      out.push({ addr: parseIpv4(row.dst), hwaddr: row.lladdr?.toLowerCase() });
    } catch {
      /* not IPv4 */
    }
  }
  return out;
}

/**
 * dnsmasq's leases (dnsmasq(8) lease file: `EXPIRY MAC IP HOSTNAME CLIENTID` per line) for
 * core/network/dhcp.ts's lease file; [] when there is none.
 */
export function readLeases(file: string): { addr: number; hwaddr: string; hostname: string }[] {
  if (!existsSync(file)) return [];
  const out: { addr: number; hwaddr: string; hostname: string }[] = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f.length < 3) continue;
    try {
      out.push({ addr: parseIpv4(f[2]), hwaddr: f[1].toLowerCase(), hostname: f[3] ?? '*' });
    } catch {
      /* an IPv6 or broken line */
    }
  }
  return out;
}
