/**
 * Host-wide allocation records (issue 9 part 1). A bridge, its subnet and the
 * subordinate id ranges are host state, not lxcpath state: two lxcpaths on one
 * bridge must never hand out one address, and two lxcpaths must never hand out
 * overlapping idmap ranges. So lxdeck keeps, in a host state directory
 * (default /var/lib/lxdeck; Engine option `hostStateDir`, env LXDECK_STATE_DIR):
 *
 *  - `bridges/<bridge>.json`: the bridge's remembered gateway ("10.0.3.1/24",
 *    migrated from an lxcpath's old `.lxdeck/network.json` when first seen), the
 *    lxcpaths known to hold containers on it, and an address book
 *    `address -> {lxcpath, name, hwaddr, source}`;
 *  - `idmap.json`: host id ranges `base -> {lxcpath, name, count, source}`.
 *
 * Every read under the lock reconciles a record with the host: the configs of
 * every lxcpath the record has seen, the current lxcpath and the lxcpaths of
 * running containers found host-wide (LXC's command sockets in /proc/net/unix);
 * what is live (the bridge's own address, its neighbour table, dnsmasq's
 * leases; every user namespace's uid_map/gid_map); and reservations of
 * creates in flight (a pending owner: PID and start time). Entries whose
 * container is gone and that nothing live holds are released. Nothing is
 * probed on the network: tables and files are read.
 *
 * Files are written through a temporary file and a rename under one host lock
 * (proper-lockfile, `<dir>/host.lock`). Lock order: a caller holding an
 * lxcpath's create lock may take the host lock; nothing holding the host lock
 * takes a create lock, so the two never deadlock.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import { linkIpv4 } from '../network/bridge.js';
import { type Cidr, contains, formatCidr, formatIpv4, networkOf, nextFreeAddress, parseIpv4 } from '../network/ipv4.js';
import { dhcpLeaseFile } from '../network/dhcp.js';
import { allocateIdmapBase, IDMAP_SIZE, type IdRange } from '../idmap.js';
import { ownerAlive, selfOwner, type ProcessOwner } from './owner.js';
import { bridgeNeighbours, liveIdRanges, readLeases, runningContainers, scanContainers, type ScannedContainer } from './scan.js';

/** Where the host-wide records live when neither `hostStateDir` nor LXDECK_STATE_DIR names a directory. */
export const DEFAULT_HOST_STATE_DIR = '/var/lib/lxdeck';

/** The host state directory: `given`, else $LXDECK_STATE_DIR, else {@link DEFAULT_HOST_STATE_DIR}. */
export function resolveHostStateDir(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  return given ?? (env.LXDECK_STATE_DIR || DEFAULT_HOST_STATE_DIR);
}

/** Where an address book entry comes from. */
export type AddressSource = 'config' | 'reserved' | 'bridge' | 'neighbour' | 'lease';

export interface AddressEntry {
  /** the container holding it (absent for the bridge's own address and unknown neighbours) */
  lxcpath?: string;
  name?: string;
  hwaddr?: string;
  source: AddressSource;
  /** a reservation of a create/copy in flight: kept while this process runs */
  pending?: ProcessOwner;
}

export interface BridgeRecord {
  version: 1;
  bridge: string;
  /** the host's address on the bridge, "10.0.3.1/24", remembered so a bridge made again gets the same subnet */
  gateway: string | null;
  /** lxcpaths known to hold containers on this bridge (scanned on every reconcile) */
  lxcpaths: string[];
  /** dotted address -> who holds it */
  addresses: Record<string, AddressEntry>;
  /** addresses two configs both name (a collision made before this record existed): address -> "lxcpath/name" of the others */
  conflicts?: Record<string, string[]>;
  updated: string;
}

export type IdmapSource = 'config' | 'reserved' | 'live';

export interface IdmapAllocation {
  lxcpath?: string;
  name?: string;
  count: number;
  source: IdmapSource;
  pending?: ProcessOwner;
}

export interface IdmapRecord {
  version: 1;
  lxcpaths: string[];
  /** first host id (decimal string) -> the range's holder */
  allocations: Record<string, IdmapAllocation>;
  updated: string;
}

export interface HostStateOptions {
  /** the host state directory ({@link resolveHostStateDir}) */
  dir: string;
  runner: Runner;
  /** the /proc to read (tests point it at a fixture tree); default /proc */
  procRoot?: string;
  /** dnsmasq lease files of a bridge; default `<dir>/dnsmasq-BR.leases` and /var/lib/lxdeck's (core/network/dhcp.ts) */
  leaseFiles?: (bridge: string) => string[];
}

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];

async function atomicWriteJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

const byAddress = (a: string, b: string) => parseIpv4(a) - parseIpv4(b);

/** The host-wide records (see the module comment). */
export class HostState {
  readonly dir: string;
  private readonly runner: Runner;
  private readonly procRoot: string;
  private readonly leaseFiles: (bridge: string) => string[];

  constructor(opts: HostStateOptions) {
    this.dir = opts.dir;
    this.runner = opts.runner;
    this.procRoot = opts.procRoot ?? '/proc';
    this.leaseFiles = opts.leaseFiles ?? ((b) => uniq([dhcpLeaseFile({ bridge: b, stateDir: this.dir }), dhcpLeaseFile({ bridge: b, stateDir: DEFAULT_HOST_STATE_DIR })]));
  }

  private bridgePath(bridge: string): string {
    return join(this.dir, 'bridges', `${bridge}.json`);
  }

  private idmapPath(): string {
    return join(this.dir, 'idmap.json');
  }

  /**
   * Runs `fn` holding the host lock (`<dir>/host.lock`), making the directory first.
   * Take it only while holding no create lock, or after the create lock (never the reverse).
   * @throws LxdeckError E_COMMAND when the lock was taken over while `fn` ran
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    mkdirSync(join(this.dir, 'bridges'), { recursive: true, mode: 0o755 });
    let compromised: Error | undefined;
    const release = await (await import('proper-lockfile')).default.lock(this.dir, {
      lockfilePath: join(this.dir, 'host.lock'),
      stale: 10_000,
      retries: { retries: 200, minTimeout: 50, maxTimeout: 500 },
      onCompromised: (e) => {
        compromised = e;
      },
    });
    try {
      const r = await fn();
      if (compromised) throw new LxdeckError('E_COMMAND', `the host state lock in ${this.dir} was taken over: ${compromised.message}`);
      return r;
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** The record of `bridge` as last written (no reconciliation, no lock); null when there is none. */
  readBridge(bridge: string): BridgeRecord | null {
    return readJson<BridgeRecord>(this.bridgePath(bridge));
  }

  /** The idmap record as last written (no reconciliation, no lock). */
  readIdmap(): IdmapRecord | null {
    return readJson<IdmapRecord>(this.idmapPath());
  }

  /** The lxcpaths of running containers of every lxcpath (LXC's command sockets). */
  private runningLxcpaths(): string[] {
    return runningContainers(this.procRoot).map((r) => r.lxcpath);
  }

  private async scanAll(lxcpaths: string[]): Promise<ScannedContainer[]> {
    const out: ScannedContainer[] = [];
    for (const lp of lxcpaths) out.push(...(await scanContainers(lp)));
    return out;
  }

  /**
   * Reconciles and writes the record of `bridge` (call holding the lock): adopts every
   * container on it from the configs of the known lxcpaths, the current one and those of
   * running containers; keeps live reservations; adds what is live on the bridge; drops
   * the rest. A gateway not yet recorded is taken from an lxcpath's old `.lxdeck/network.json`.
   */
  async reconcileBridgeLocked(bridge: string, lxcpath: string): Promise<BridgeRecord> {
    const old = this.readBridge(bridge);
    const lxcpaths = uniq([...(old?.lxcpaths ?? []), lxcpath, ...this.runningLxcpaths()]).filter((p) => existsSync(p));
    let gateway = old?.gateway ?? null;
    if (!gateway) {
      for (const lp of uniq([lxcpath, ...lxcpaths])) {
        const legacy = readJson<{ bridges?: Record<string, string> }>(join(lp, '.lxdeck', 'network.json'));
        if (legacy?.bridges?.[bridge]) {
          gateway = legacy.bridges[bridge];
          break;
        }
      }
    }
    const addresses: Record<string, AddressEntry> = {};
    const conflicts: Record<string, string[]> = {};
    const usedBy = new Set<string>();
    const containers = await this.scanAll(lxcpaths);
    const byHwaddr = new Map<string, ScannedContainer>();
    for (const c of containers) {
      for (const n of c.nets) {
        if (n.link !== bridge) continue;
        usedBy.add(c.lxcpath);
        if (n.hwaddr) byHwaddr.set(n.hwaddr, c);
        for (const a of n.ipv4) {
          const k = formatIpv4(a);
          const e = addresses[k];
          if (!e) addresses[k] = { lxcpath: c.lxcpath, name: c.name, ...(n.hwaddr ? { hwaddr: n.hwaddr } : {}), source: 'config' };
          else if (!(e.lxcpath === c.lxcpath && e.name === c.name)) (conflicts[k] ??= []).push(join(c.lxcpath, c.name));
        }
      }
    }
    for (const [k, e] of Object.entries(old?.addresses ?? {})) {
      if (addresses[k] || !e.pending || !ownerAlive(e.pending)) continue;
      addresses[k] = e;
      if (e.lxcpath) usedBy.add(e.lxcpath);
    }
    for (const a of await linkIpv4(this.runner, bridge)) addresses[formatIpv4(a.addr)] ??= { source: 'bridge' };
    const live = [
      ...(await bridgeNeighbours(this.runner, bridge)).map((n) => ({ ...n, source: 'neighbour' as const })),
      ...this.leaseFiles(bridge).flatMap((f) => readLeases(f).map((l) => ({ addr: l.addr, hwaddr: l.hwaddr as string | undefined, source: 'lease' as const }))),
    ];
    for (const l of live) {
      const k = formatIpv4(l.addr);
      if (addresses[k]) continue;
      const c = l.hwaddr ? byHwaddr.get(l.hwaddr) : undefined;
      addresses[k] = { ...(c ? { lxcpath: c.lxcpath, name: c.name } : {}), ...(l.hwaddr ? { hwaddr: l.hwaddr } : {}), source: l.source };
    }
    const sorted: Record<string, AddressEntry> = {};
    for (const k of Object.keys(addresses).sort(byAddress)) sorted[k] = addresses[k];
    const rec: BridgeRecord = {
      version: 1,
      bridge,
      gateway,
      lxcpaths: [...usedBy].sort(),
      addresses: sorted,
      ...(Object.keys(conflicts).length ? { conflicts } : {}),
      updated: new Date().toISOString(),
    };
    await atomicWriteJson(this.bridgePath(bridge), rec);
    return rec;
  }

  /** {@link reconcileBridgeLocked} under the lock. */
  async reconcileBridge(bridge: string, lxcpath: string): Promise<BridgeRecord> {
    return this.withLock(() => this.reconcileBridgeLocked(bridge, lxcpath));
  }

  /** Records the gateway lxdeck gave (or found on) `bridge`, so a bridge made again after a reboot gets the same subnet. */
  async setBridgeGateway(bridge: string, gateway: string, lxcpath: string): Promise<void> {
    await this.withLock(async () => {
      const rec = this.readBridge(bridge);
      if (rec?.gateway === gateway) return;
      if (!rec) {
        const r = await this.reconcileBridgeLocked(bridge, lxcpath);
        if (r.gateway === gateway) return;
        await atomicWriteJson(this.bridgePath(bridge), { ...r, gateway });
        return;
      }
      await atomicWriteJson(this.bridgePath(bridge), { ...rec, gateway });
    });
  }

  /** Forgets the remembered gateway of `bridge` (a create that made the bridge failed); the record goes when it holds nothing else. */
  async forgetBridgeGateway(bridge: string): Promise<void> {
    await this.withLock(async () => {
      const rec = this.readBridge(bridge);
      if (!rec) return;
      const held = Object.values(rec.addresses).some((e) => e.source !== 'bridge' && e.source !== 'neighbour');
      if (!held) await rm(this.bridgePath(bridge), { force: true });
      else await atomicWriteJson(this.bridgePath(bridge), { ...rec, gateway: null });
    });
  }

  /**
   * Reserves an IPv4 address on `bridge` for container `lxcpath/name` (call holding the lock):
   * the record is reconciled first; `want` (a user-given address) is checked against it,
   * else the lowest free host address of `gateway`'s subnet not in the record nor in
   * `alsoTaken` is chosen. The entry is pending (this process) until the container's config names it.
   * @returns the address with the gateway's prefix (or `want`'s)
   * @throws LxdeckError E_NETWORK when `want` is taken (naming its holder) or the subnet is full
   */
  async reserveAddressLocked(o: { bridge: string; lxcpath: string; name: string; gateway: Cidr; hwaddr?: string; want?: Cidr; alsoTaken?: number[] }): Promise<Cidr> {
    const rec = await this.reconcileBridgeLocked(o.bridge, o.lxcpath);
    const taken = [o.gateway.addr, ...Object.keys(rec.addresses).map(parseIpv4), ...(o.alsoTaken ?? [])];
    let addr: Cidr;
    if (o.want) {
      const holder = rec.addresses[formatIpv4(o.want.addr)];
      if (holder && !(holder.lxcpath === o.lxcpath && holder.name === o.name))
        throw new LxdeckError('E_NETWORK', `address ${formatIpv4(o.want.addr)} on ${o.bridge} is already used by ${describeHolder(holder, o.bridge)}`, { hint: 'leave out --ipv4 to get a free one' });
      if (taken.includes(o.want.addr) && !holder)
        throw new LxdeckError('E_NETWORK', `address ${formatIpv4(o.want.addr)} is already used${o.want.addr === o.gateway.addr ? ` (the bridge ${o.bridge} has it)` : ` in ${o.lxcpath}`}`, { hint: 'leave out --ipv4 to get a free one' });
      addr = o.want;
    } else {
      addr = { addr: nextFreeAddress(o.gateway, taken), prefix: o.gateway.prefix };
    }
    rec.addresses[formatIpv4(addr.addr)] = { lxcpath: o.lxcpath, name: o.name, ...(o.hwaddr ? { hwaddr: o.hwaddr } : {}), source: 'reserved', pending: selfOwner() };
    if (!rec.lxcpaths.includes(o.lxcpath)) rec.lxcpaths = [...rec.lxcpaths, o.lxcpath].sort();
    await atomicWriteJson(this.bridgePath(o.bridge), rec);
    return addr;
  }

  /**
   * Reconciles and writes the idmap record (call holding the lock): ranges from lxc.idmap
   * of every known lxcpath's containers (the record's, every bridge record's, the current
   * one, those of running containers), live user namespaces (/proc/PID/uid_map, gid_map),
   * and reservations in flight.
   */
  async reconcileIdmapLocked(lxcpath: string): Promise<IdmapRecord> {
    const old = this.readIdmap();
    const fromBridges = this.bridgeNames().flatMap((b) => this.readBridge(b)?.lxcpaths ?? []);
    const lxcpaths = uniq([...(old?.lxcpaths ?? []), lxcpath, ...fromBridges, ...this.runningLxcpaths()]).filter((p) => existsSync(p));
    const allocations: Record<string, IdmapAllocation> = {};
    const usedBy = new Set<string>();
    for (const c of await this.scanAll(lxcpaths)) {
      for (const r of c.idmap) {
        usedBy.add(c.lxcpath);
        const k = String(r.start);
        const e = allocations[k];
        if (!e) allocations[k] = { lxcpath: c.lxcpath, name: c.name, count: r.count, source: 'config' };
        else if (e.lxcpath === c.lxcpath && e.name === c.name) e.count = Math.max(e.count, r.count);
      }
    }
    for (const [k, e] of Object.entries(old?.allocations ?? {})) {
      if (allocations[k] || !e.pending || !ownerAlive(e.pending)) continue;
      allocations[k] = e;
      if (e.lxcpath) usedBy.add(e.lxcpath);
    }
    for (const r of liveIdRanges(this.procRoot)) {
      const k = String(r.start);
      if (!allocations[k]) allocations[k] = { count: r.count, source: 'live' };
      else allocations[k].count = Math.max(allocations[k].count, r.count);
    }
    const sorted: Record<string, IdmapAllocation> = {};
    for (const k of Object.keys(allocations).sort((a, b) => Number(a) - Number(b))) sorted[k] = allocations[k];
    const rec: IdmapRecord = { version: 1, lxcpaths: [...usedBy].sort(), allocations: sorted, updated: new Date().toISOString() };
    await atomicWriteJson(this.idmapPath(), rec);
    return rec;
  }

  /**
   * Reserves a subordinate id range for `lxcpath/name` (call holding the lock): the lowest
   * base inside `available` (root's ranges in both /etc/subuid and /etc/subgid) that overlaps
   * no range of the reconciled record (whichever lxcpath holds it) nor `alsoUsed`. Pending until
   * the container's config names it.
   * @throws LxdeckError E_CONFIG when no free range is left (allocateIdmapBase)
   */
  async reserveIdmapLocked(o: { lxcpath: string; name: string; available: IdRange[]; size?: number; alsoUsed?: IdRange[] }): Promise<number> {
    const size = o.size ?? IDMAP_SIZE;
    const rec = await this.reconcileIdmapLocked(o.lxcpath);
    const used = [...Object.entries(rec.allocations).map(([k, e]) => ({ start: Number(k), count: e.count })), ...(o.alsoUsed ?? [])];
    const base = allocateIdmapBase(o.available, used, size);
    rec.allocations[String(base)] = { lxcpath: o.lxcpath, name: o.name, count: size, source: 'reserved', pending: selfOwner() };
    if (!rec.lxcpaths.includes(o.lxcpath)) rec.lxcpaths = [...rec.lxcpaths, o.lxcpath].sort();
    await atomicWriteJson(this.idmapPath(), rec);
    return base;
  }

  private bridgeNames(): string[] {
    try {
      return readdirSync(join(this.dir, 'bridges'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length));
    } catch {
      return [];
    }
  }

  /**
   * Releases every address and id range `lxcpath/name` holds in the records (a destroy, a
   * failed create or copy). Entries held by something live stay: the next reconcile adds them back.
   */
  async release(lxcpath: string, name: string): Promise<void> {
    await this.withLock(async () => this.rewriteOwners(lxcpath, name, null));
  }

  /** Releases only the pending reservations this process made for `lxcpath/name` (a create or copy that failed). */
  async releasePending(lxcpath: string, name: string): Promise<void> {
    await this.withLock(async () => this.rewriteOwners(lxcpath, name, null, (e) => e.pending?.pid === process.pid));
  }

  /** Moves every entry of `lxcpath/oldName` to `newName` (a rename: the address and range follow). */
  async renameOwner(lxcpath: string, oldName: string, newName: string): Promise<void> {
    await this.withLock(async () => this.rewriteOwners(lxcpath, oldName, newName));
  }

  private async rewriteOwners(lxcpath: string, name: string, to: string | null, only: (e: { pending?: ProcessOwner }) => boolean = () => true): Promise<void> {
    const mine = (e: { lxcpath?: string; name?: string; pending?: ProcessOwner }) => e.lxcpath === lxcpath && e.name === name && only(e);
    for (const b of this.bridgeNames()) {
      const rec = this.readBridge(b);
      if (!rec || !Object.values(rec.addresses).some(mine)) continue;
      for (const [k, e] of Object.entries(rec.addresses)) {
        if (!mine(e)) continue;
        if (to === null) delete rec.addresses[k];
        else rec.addresses[k] = { ...e, name: to };
      }
      await atomicWriteJson(this.bridgePath(b), { ...rec, updated: new Date().toISOString() });
    }
    const id = this.readIdmap();
    if (id && Object.values(id.allocations).some(mine)) {
      for (const [k, e] of Object.entries(id.allocations)) {
        if (!mine(e)) continue;
        if (to === null) delete id.allocations[k];
        else id.allocations[k] = { ...e, name: to };
      }
      await atomicWriteJson(this.idmapPath(), { ...id, updated: new Date().toISOString() });
    }
  }
}

/** "web-01 in /var/lib/lxc", "the bridge itself", "a host seen on BR (MAC ...)" */
export function describeHolder(e: AddressEntry, bridge: string): string {
  if (e.name && e.lxcpath) return `${e.name} in ${e.lxcpath}`;
  if (e.source === 'bridge') return `the bridge ${bridge} itself`;
  if (e.source === 'lease') return `a DHCP lease on ${bridge}${e.hwaddr ? ` (MAC ${e.hwaddr})` : ''}`;
  return `a host seen on ${bridge}${e.hwaddr ? ` (MAC ${e.hwaddr})` : ''}`;
}

/** True when `addr` lies in the subnet of `gateway` (same network address and prefix). */
export function onSubnet(gateway: Cidr, addr: Cidr): boolean {
  return contains(gateway, addr.addr) && networkOf(gateway) === networkOf(addr);
}

export { formatCidr };
