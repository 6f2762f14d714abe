import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import { addrAddArgv, addrShowArgv, bridgeAddArgv, linkShowArgv, linkShowDetailsArgv, linkUpArgv, routesArgv } from './ip-argv.js';
import { type Cidr, formatCidr, networkOf, overlaps, parseCidr, pickFreeSubnet } from './ipv4.js';

const IP_TIMEOUT_MS = 10_000;

/** One bridge as the engine uses it: its name and the host's address on it (the containers' gateway). */
export interface BridgeInfo {
  name: string;
  /** the bridge's own IPv4 address with the subnet prefix, e.g. {10.0.3.1, 24} */
  gateway: Cidr;
}

async function ip(runner: Runner, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runner.run('ip', args, { timeoutMs: IP_TIMEOUT_MS });
  return { code: r.exitCode, out: r.stdout, err: r.stderr.trim() };
}

async function ipOrThrow(runner: Runner, args: string[]): Promise<string> {
  const r = await ip(runner, args);
  if (r.code !== 0)
    throw new LxdeckError('E_NETWORK', `ip ${args.join(' ')} failed: ${r.err || `exit ${r.code}`}`, {
      hint: 'managing bridges needs root and the bridge kernel module (modprobe bridge)',
    });
  return r.out;
}

/** A host network link as `ip -j -d link` and `ip -j -4 address` show it. */
export interface LinkState {
  exists: boolean;
  /** `bridge`, `veth`, ...; null for a plain device (no linkinfo) */
  kind: string | null;
  up: boolean;
  /** its IPv4 addresses with prefixes */
  addrs: Cidr[];
}

/** Reads whether `dev` exists, its kind (ip-link(8) `linkinfo.info_kind`), whether it is up, and its IPv4 addresses. */
export async function readLink(runner: Runner, dev: string): Promise<LinkState> {
  const l = await ip(runner, linkShowDetailsArgv(dev));
  if (l.code !== 0) return { exists: false, kind: null, up: false, addrs: [] };
  const row = (JSON.parse(l.out || '[]') as { flags?: string[]; linkinfo?: { info_kind?: string } }[])[0] ?? {};
  return { exists: true, kind: row.linkinfo?.info_kind ?? null, up: (row.flags ?? []).includes('UP'), addrs: await linkIpv4(runner, dev) };
}

/** True when a network link named `dev` exists (`ip link show dev`). */
export async function linkExists(runner: Runner, dev: string): Promise<boolean> {
  return (await ip(runner, linkShowArgv(dev))).code === 0;
}

/** The IPv4 addresses (with prefixes) on `dev`; [] when it has none or does not exist. */
export async function linkIpv4(runner: Runner, dev: string): Promise<Cidr[]> {
  const r = await ip(runner, addrShowArgv(dev));
  if (r.code !== 0 || !r.out.trim()) return [];
  const parsed = JSON.parse(r.out) as { addr_info?: { family?: string; local?: string; prefixlen?: number }[] }[];
  return parsed.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => parseCidr(`${a.local}/${a.prefixlen ?? 32}`)));
}

/**
 * Every IPv4 destination in the host's routing tables (all tables), the
 * source lxdeck uses to find a subnet nobody uses: it never probes addresses.
 */
export async function routedSubnets(runner: Runner): Promise<Cidr[]> {
  const out = await ipOrThrow(runner, routesArgv());
  const routes = JSON.parse(out || '[]') as { dst?: string }[];
  const res: Cidr[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    try {
      res.push(parseCidr(r.dst));
    } catch {
      /* not IPv4 */
    }
  }
  return res;
}

/**
 * Makes sure bridge `name` exists, has an IPv4 address and is up.
 * - If it exists with an address, that address is the gateway (nothing changed).
 * - Otherwise the gateway is `preferred` (a remembered or user-given subnet, host
 *   part .1 when given as a network address) or the first free /24 of 10.0.0.0/8
 *   that overlaps no route; the bridge is created (`ip link add … type bridge`),
 *   addressed and brought up.
 * @throws LxdeckError E_NETWORK when `name` exists but is not a bridge, when `ip` fails (not root, no bridge module) or
 *   when `preferred` overlaps an existing route of another device.
 */
export async function ensureBridge(runner: Runner, name: string, preferred?: string): Promise<BridgeInfo> {
  const link = await readLink(runner, name);
  const exists = link.exists;
  if (exists && link.kind !== 'bridge')
    throw new LxdeckError('E_NETWORK', `${name} is ${link.kind ? `a ${link.kind} interface` : 'a network device'}, not a bridge: containers join a bridge (lxc.net.0.link)`, {
      hint: `name a bridge (ls /sys/class/net/*/bridge), or a new name and lxdeck makes the bridge`,
    });
  if (exists) {
    const addrs = link.addrs;
    if (addrs.length > 0) {
      await ipOrThrow(runner, linkUpArgv(name));
      return { name, gateway: addrs[0] };
    }
  }
  let gateway: Cidr;
  if (preferred) {
    const p = parseCidr(preferred);
    gateway = networkOf(p) === p.addr ? { addr: (p.addr + 1) >>> 0, prefix: p.prefix } : p;
    const clash = exists ? undefined : (await routedSubnets(runner)).find((r) => r.prefix > 0 && r.prefix < 32 && overlaps(r, gateway));
    if (clash)
      throw new LxdeckError('E_NETWORK', `subnet ${preferred} overlaps the route ${formatCidr(clash)} already on this host`, {
        hint: 'choose another subnet (LXDECK_SUBNET) or bridge (LXDECK_BRIDGE)',
      });
  } else {
    const net = pickFreeSubnet(await routedSubnets(runner));
    gateway = { addr: (net.addr + 1) >>> 0, prefix: net.prefix };
  }
  if (!exists) await ipOrThrow(runner, bridgeAddArgv(name));
  await ipOrThrow(runner, addrAddArgv(name, formatCidr(gateway)));
  await ipOrThrow(runner, linkUpArgv(name));
  return { name, gateway };
}
