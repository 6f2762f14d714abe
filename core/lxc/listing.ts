/**
 * The listing of one lxcpath (`lxdeck ls`, the console's list): which containers it holds, and
 * each one's state, init PID, IPv4, autostart, groups and delete protection. Engine.list
 * (core/engine.ts) and the bin's small `ls` build (src/ls-fast.ts) both call {@link listContainers},
 * so the two print the same rows; this module imports only what a files-only listing reads (no
 * execa: lxc-info comes in as the `slow` callback).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isLxdeckError } from '../errors.js';
import { HostFs } from '../host/host-fs.js';
import type { ContainerSummary } from '../types.js';
import { readGroups } from './autostart.js';
import { type LxcConfig, readConfigSync } from './config.js';
import { listApplicationRecords } from './execute.js';
import { type ListState, ListStateReader, configLxcLoads } from './list-state.js';
import { isProtectedSync } from './protect.js';

/**
 * Names of every container in an lxcpath: directories holding a `config` file, as lxc-ls counts
 * them (sorted, dot-entries left out).
 * @param lxcpath an absolute lxcpath
 * @returns [] when the lxcpath does not exist (ENOENT)
 * @throws the readdir(2) error otherwise (EACCES, ENOTDIR)
 */
export function containerNames(lxcpath: string): string[] {
  let entries: string[];
  try {
    // synchronous: `ls` reads nothing else through promises, and loading fs/promises' streams costs more than the read
    entries = readdirSync(lxcpath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const e of entries.sort()) {
    if (e.startsWith('.')) continue;
    if (existsSync(join(lxcpath, e, 'config'))) out.push(e);
  }
  return out;
}

/**
 * A container's config (lxc.container.conf(5)) read synchronously.
 * @param containerDir `<lxcpath>/<name>`
 * @returns null when LXC's format is broken there (E_CONFIG)
 * @throws what readConfigSync throws besides E_CONFIG (a vanished file: E_NOT_FOUND or ENOENT)
 */
export function readConfigOrNullSync(containerDir: string): LxcConfig | null {
  try {
    return readConfigSync(join(containerDir, 'config'));
  } catch (e) {
    if (isLxdeckError(e, 'E_CONFIG')) return null;
    throw e;
  }
}

/** What {@link listContainers} needs besides the lxcpath. */
export interface ListingOptions {
  /**
   * lxc-info's answer for one container (core/lxc/driver.ts LxcDriver.info), asked where the
   * files cannot give it (core/lxc/list-state.ts says when) and for each running application
   * container; an LxdeckError E_COMMAND leaves the container out (reported through `onSkip`),
   * E_NOT_FOUND leaves it out silently, anything else it throws ends the listing.
   */
  slow: (name: string) => Promise<ListState>;
  /** the host's file system for /proc and cgroupfs reads; default `/` */
  fs?: HostFs;
  /** a container left out because lxc-info failed on it, with lxc-info's message */
  onSkip?: (name: string, reason: string) => void;
}

/**
 * Every container in the lxcpath with state, init PID and IPv4 addresses, as lxc-info reports
 * them, read from cgroupfs and /proc without a child process where that gives lxc-info's answer,
 * else from `opts.slow` (at most 8 at once): core/lxc/list-state.ts says which. Autostart is
 * lxc.start.auto = 1, groups the lxc.group values (lxc.container.conf(5)), protection lxdeck's
 * sidecar. A container that vanishes while listed is left out; one LXC cannot read (a broken
 * config) is left out too, as lxc-ls does, and reported through `opts.onSkip`. Then the running
 * application containers (`lxdeck run`: records in <lxcpath>/.lxdeck/run), kind "application".
 * Takes no lock.
 * @param lxcpath an absolute lxcpath (core/lxcpath.ts checkLxcpath)
 * @returns rows in name order, system containers first
 * @throws what `opts.slow` throws besides E_COMMAND and E_NOT_FOUND; readdir errors of the lxcpath
 */
export async function listContainers(lxcpath: string, opts: ListingOptions): Promise<ContainerSummary[]> {
  const names = containerNames(lxcpath);
  const states = new ListStateReader(lxcpath, opts.slow, opts.fs ?? new HostFs('/'));
  const summary = async (name: string): Promise<ContainerSummary> => {
    const dir = join(lxcpath, name);
    // synchronous reads: a promise-based read costs several times more, and a listing makes two per container
    const cfg = readConfigOrNullSync(dir);
    const prot = isProtectedSync(dir);
    // a config LXC may refuse goes to lxc-info, whose failure leaves the container out (as lxc-ls does)
    const li = await states.read(name, { askLxc: cfg === null || !configLxcLoads(cfg) });
    return { name, state: li.state, pid: li.pid, ipv4: li.ipv4, autostart: cfg?.get('lxc.start.auto')?.trim() === '1', groups: cfg ? readGroups(cfg) : [], protected: prot };
  };
  const out: (ContainerSummary | null)[] = new Array(names.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      try {
        out[i] = await summary(names[i]);
      } catch (e) {
        if (isLxdeckError(e, 'E_COMMAND')) opts.onSkip?.(names[i], e.message);
        else if (!isLxdeckError(e, 'E_NOT_FOUND')) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, names.length) }, worker));
  const rows = out.filter((x): x is ContainerSummary => x !== null);
  // the running application containers; `names` are system containers
  const skip = new Set(names);
  for (const r of await listApplicationRecords(lxcpath)) {
    if (skip.has(r.name)) continue;
    try {
      const li = await opts.slow(r.name);
      if (li.state !== 'STOPPED') rows.push({ name: r.name, state: li.state, pid: li.pid, ipv4: li.ipv4, autostart: false, groups: [], protected: false, kind: 'application', command: r.command });
    } catch (e) {
      if (!isLxdeckError(e, 'E_NOT_FOUND')) throw e;
    }
  }
  return rows;
}
