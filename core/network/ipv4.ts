import { LxdeckError } from '../errors.js';

/**
 * IPv4 arithmetic for bridge subnets and static container addresses.
 * Addresses are unsigned 32-bit integers internally; prefixes are 0..32.
 */
export interface Cidr {
  /** the address as written (host bits kept: "10.0.3.1/24" keeps .1) */
  addr: number;
  prefix: number;
}

/** "10.0.3.5" → 0x0a000305. @throws LxdeckError E_INVALID_VALUE for anything else. */
export function parseIpv4(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) throw new LxdeckError('E_INVALID_VALUE', `not an IPv4 address: ${JSON.stringify(text)}`, { hint: 'write it as A.B.C.D, e.g. 10.0.3.5' });
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new LxdeckError('E_INVALID_VALUE', `IPv4 octet out of range in ${text}`, { hint: 'each octet is 0 to 255' });
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** 0x0a000305 → "10.0.3.5" */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "10.0.3.1/24" → {addr, prefix}; a bare address means /32. @throws E_INVALID_VALUE */
export function parseCidr(text: string): Cidr {
  const [a, p, ...rest] = text.trim().split('/');
  if (rest.length) throw new LxdeckError('E_INVALID_VALUE', `not an IPv4 address/prefix: ${JSON.stringify(text)}`, { hint: 'write it as A.B.C.D/N, e.g. 10.0.3.5/24' });
  const prefix = p === undefined ? 32 : Number(p);
  if (!/^\d+$/.test(p ?? '32') || prefix < 0 || prefix > 32)
    throw new LxdeckError('E_INVALID_VALUE', `IPv4 prefix must be 0 to 32 in ${JSON.stringify(text)}`, { hint: 'e.g. 10.0.3.5/24' });
  return { addr: parseIpv4(a), prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.addr)}/${c.prefix}`;
}

/** Netmask of a prefix as an integer. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network address of a CIDR (host bits cleared). */
export function networkOf(c: Cidr): number {
  return (c.addr & maskOf(c.prefix)) >>> 0;
}

/** True when the two networks share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(p);
  return ((a.addr & m) >>> 0) === ((b.addr & m) >>> 0);
}

/** True when `ip` lies in network `c`. */
export function contains(c: Cidr, ip: number): boolean {
  const m = maskOf(c.prefix);
  return ((c.addr & m) >>> 0) === ((ip & m) >>> 0);
}

/**
 * The lowest host address of `subnet` that is not in `taken`, skipping the
 * network and broadcast addresses.
 * @throws LxdeckError E_NETWORK when the subnet is full.
 */
export function nextFreeAddress(subnet: Cidr, taken: Iterable<number>): number {
  const used = new Set(taken);
  const net = networkOf(subnet);
  const size = 2 ** (32 - subnet.prefix);
  for (let i = 1; i < size - 1; i++) {
    const ip = (net + i) >>> 0;
    if (!used.has(ip)) return ip;
  }
  throw new LxdeckError('E_NETWORK', `no free IPv4 address left in ${formatIpv4(net)}/${subnet.prefix}`, {
    hint: 'destroy unused containers, give an address with --ipv4, or use a bridge with a larger subnet',
  });
}

/**
 * The first /24 among 10.0.3.0/24 … 10.255.255.0/24 (10.0.3 first, as lxc-net uses) that overlaps none of `inUse`
 * (the host's routes and addresses: read from the routing table, never by probing).
 * @throws LxdeckError E_NETWORK when every candidate overlaps.
 */
export function pickFreeSubnet(inUse: Cidr[], avoid: Cidr[] = []): Cidr {
  const all = [...inUse, ...avoid];
  for (let b = 0; b < 256; b++) {
    for (let c = b === 0 ? 3 : 0; c < 256; c++) {
      const cand: Cidr = { addr: ((10 << 24) | (b << 16) | (c << 8)) >>> 0, prefix: 24 };
      if (!all.some((r) => r.prefix > 0 && overlaps(r, cand))) return cand;
    }
  }
  throw new LxdeckError('E_NETWORK', 'no free private /24 subnet in 10.0.0.0/8', { hint: 'give one with LXDECK_SUBNET=A.B.C.0/24' });
}
