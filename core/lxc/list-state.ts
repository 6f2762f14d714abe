/**
 * State, init PID and IPv4 addresses of the containers of one lxcpath for a
 * listing (`lxdeck ls`, the console's list), read from cgroupfs and /proc
 * instead of running `lxc-info -s -p -i` once per container (a process spawn,
 * 2-12 ms each; 50 containers cost about 300 ms on a 2-core host).
 *
 * What `lxc-info` (and `lxc-ls -f`, liblxc's `c->state()` and `c->get_ips()`) report, and where it is read here:
 *  - state: the monitor's state (STARTING, RUNNING, STOPPING, ABORTING, STOPPED), except
 *    that a freezer state of FROZEN or FREEZING wins (liblxc state.c lxc_getstate).
 *    Here: a container the sampler's locator finds (core/stats/locate.ts: the monitor in
 *    `lxc.monitor.NAME`, whose command line names this lxcpath, and its child, the init) is
 *    RUNNING unless its cgroup's freezer says FROZEN or FREEZING (core/cgroup/freezer.ts).
 *    One that is not found and whose command socket (`@LXCPATH/NAME/command`, or LXC's hashed
 *    `@lxc/<fnv64a>/command` for a long path) is not in /proc/net/unix has no monitor: STOPPED.
 *  - PID: the init found by the locator.
 *  - IPv4: every address of the container's network namespace but those on `lo`
 *    (lxccontainer.c do_lxcapi_get_ips), in the kernel's order. Here: `/proc/PID/net/dev`
 *    for the interfaces (only `lo`: no address to report) and the `/32 host LOCAL` entries
 *    of `/proc/PID/net/fib_trie` outside 127.0.0.0/8 for the addresses.
 *
 * Falls back to `lxc-info` (the `slow` callback) where these reads cannot give lxc-info's answer:
 * a config LXC may not load (the caller passes `askLxc`, see {@link configLxcLoads}: lxc-info then
 * fails and the listing leaves the container out, as lxc-ls does), a running monitor without a located init (STARTING, STOPPING, ABORTING, or a container placed
 * with lxc.cgroup.dir / lxc.cgroup.relative), a freezer that cannot be read, and a namespace with
 * interfaces besides `lo` but not exactly one address (none: an address on a down interface has no
 * LOCAL route; several: fib_trie is sorted by address, not in getifaddrs' order).
 * Known difference: in the few milliseconds between the init's fork and LXC's RUNNING, a starting
 * container reads RUNNING here where lxc-info says STARTING.
 */
import { resolve as resolvePath } from 'node:path';
import { detectCgroupLayout } from '../cgroup/layout.js';
import { containerStateOf, readFreezerState } from '../cgroup/freezer.js';
import { HostFs } from '../host/host-fs.js';
import { ContainerLocator } from '../stats/locate.js';
import type { ContainerState } from '../types.js';
import { type LxcConfig, validateConfig } from './config.js';

/** What a listing shows of a container's run state. */
export interface ListState {
  state: ContainerState;
  /** the init's PID on the host; null when STOPPED */
  pid: number | null;
  ipv4: string[];
}

/** sizeof(struct sockaddr_un.sun_path) - 1: the room for an abstract socket name after its leading NUL */
const ABSTRACT_ROOM = 107;

/**
 * FNV-1a, 64 bits, of a string's UTF-8 bytes (liblxc utils.c fnv_64a_buf with FNV1A_64_INIT).
 * @returns 16 lower-case hex digits
 */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/**
 * The abstract name (without the leading NUL, as /proc/net/unix shows it after `@`) of the
 * command socket of container `name` in `lxcpath`: `LXCPATH/NAME/command`, or, when that does not
 * fit in sun_path, `lxc/<fnv1a64 of "LXCPATH/NAME">/command` (liblxc commands_utils.c
 * lxc_make_abstract_socket_name).
 */
export function commandSocketName(lxcpath: string, name: string): string {
  const plain = `${lxcpath}/${name}/command`;
  if (Buffer.byteLength(plain) < ABSTRACT_ROOM) return plain;
  return `lxc/${fnv1a64(`${lxcpath}/${name}`)}/command`;
}

/** True when /proc/net/unix text lists the abstract socket `@sock` (the path column is the line's last). */
export function unixSocketListed(unixText: string, sock: string): boolean {
  const needle = ` @${sock}`;
  let i = unixText.indexOf(needle);
  while (i >= 0) {
    const end = i + needle.length;
    if (end === unixText.length || unixText[end] === '\n') return true;
    i = unixText.indexOf(needle, end);
  }
  return false;
}

/** Interface names in a /proc/PID/net/dev text, in the file's order (`lo` included). */
export function netDevNames(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i > 0) out.push(line.slice(0, i).trim());
  }
  return out;
}

/**
 * The local IPv4 addresses of a network namespace from its /proc/PID/net/fib_trie text: each
 * leaf followed by a `/32 host LOCAL` line, once each (the Main and Local tables repeat them),
 * in the file's (numeric) order, without 127.0.0.0/8.
 */
export function fibLocalAddresses(text: string): string[] {
  const out: string[] = [];
  let leaf: string | null = null;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('|-- ')) leaf = t.slice(4).trim();
    else if (leaf !== null && /^\/32 host LOCAL\b/.test(t)) {
      if (!leaf.startsWith('127.') && !out.includes(leaf)) out.push(leaf);
    } else if (!t.startsWith('/')) leaf = null;
  }
  return out;
}

/**
 * One listing's reader: the cgroup layout, /proc/net/unix and the locator are read once and
 * shared by every {@link ListStateReader.read} of the same listing; make a new one per listing.
 */
export class ListStateReader {
  private locator: ContainerLocator | null | undefined;
  private unixText: string | undefined;
  private readonly lxcpaths: string[];

  /**
   * @param lxcpath the lxcpath as LXC is given it (`-P`)
   * @param slow lxc-info's answer for one container (core/lxc/driver.ts LxcDriver.info); its errors pass through
   * @param fs the host's file system (fixture trees in tests)
   */
  constructor(
    private readonly lxcpath: string,
    private readonly slow: (name: string) => Promise<ListState>,
    private readonly fs: HostFs = new HostFs('/'),
  ) {
    this.lxcpaths = [...new Set([lxcpath, resolvePath(lxcpath)])];
  }

  private loc(): ContainerLocator | null {
    if (this.locator === undefined) {
      try {
        this.locator = new ContainerLocator(this.lxcpath, detectCgroupLayout(this.fs), this.fs);
      } catch {
        this.locator = null; // no readable mountinfo: every container through lxc-info
      }
    }
    return this.locator;
  }

  /** Whether LXC's command socket of `name` is listed: a monitor runs for it (/proc/net/unix read once). */
  private monitorListening(name: string): boolean {
    this.unixText ??= this.fs.readTextOrNull('/proc/net/unix') ?? '';
    return this.lxcpaths.some((p) => unixSocketListed(this.unixText!, commandSocketName(p, name)));
  }

  /**
   * State, PID and IPv4 of container `name`, as `lxc-info -s -p -i` reports them (see the module's
   * comment for the sources and when it asks lxc-info). `opts.askLxc`: ask lxc-info whatever the
   * files say (the caller doubts LXC can load the container's config: see {@link configLxcLoads}).
   * Reads per running container: the monitor's cgroup.procs, cmdline and children, the init's
   * /proc/PID/cgroup ({@link ContainerLocator.locateOnce}), the freezer (one file on v1, two on a
   * hybrid or v2 host: {@link readFreezerState}) and /proc/PID/net/dev (and fib_trie when the
   * namespace has an interface besides lo); per stopped container the monitor's cgroup.procs
   * (not there), and /proc/net/unix once per listing.
   * @throws whatever `slow` throws (LxdeckError E_COMMAND, E_NOT_FOUND from lxc-info)
   */
  async read(name: string, opts: { askLxc?: boolean } = {}): Promise<ListState> {
    if (opts.askLxc) return this.slow(name);
    const loc = this.loc();
    if (loc === null) return this.slow(name);
    const rc = loc.locateOnce(name);
    if (rc === null) return this.monitorListening(name) ? this.slow(name) : { state: 'STOPPED', pid: null, ipv4: [] };
    const fz = readFreezerState(rc.paths, this.fs);
    if (fz === null) return this.slow(name);
    const ipv4 = this.addresses(rc.initPid);
    if (ipv4 === null) return this.slow(name);
    return { state: containerStateOf(fz), pid: rc.initPid, ipv4 };
  }

  /** The IPv4 addresses lxc-info would print for the netns of `pid`; null when only lxc-info can tell. */
  private addresses(pid: number): string[] | null {
    const dev = this.fs.readTextOrNull(`/proc/${pid}/net/dev`);
    if (dev === null) return null;
    if (netDevNames(dev).every((n) => n === 'lo')) return [];
    const fib = this.fs.readTextOrNull(`/proc/${pid}/net/fib_trie`);
    if (fib === null) return null;
    const addrs = fibLocalAddresses(fib);
    return addrs.length === 1 ? addrs : null;
  }
}

/** Where LXC's own config snippets live (lxc.include of common.conf, userns.conf...). */
const LXC_SHARED_CONFIG = '/usr/share/lxc/';

/**
 * Whether LXC can be trusted to load this config as the files-only listing assumes: nothing
 * {@link validateConfig} flags (a key liblxc does not know, a legacy key, a bad value...) and no
 * lxc.include outside LXC's own /usr/share/lxc/. When false, the listing asks lxc-info, which
 * fails on a config LXC cannot load, so the container is left out with a warning, as lxc-ls
 * leaves it out (liblxc confile.c: an unknown key fails the whole load).
 */
export function configLxcLoads(cfg: LxcConfig): boolean {
  if (validateConfig(cfg).length > 0) return false;
  return cfg.getAll('lxc.include').every((p) => p.trim().startsWith(LXC_SHARED_CONFIG));
}
