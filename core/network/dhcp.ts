/**
 * DHCP (and DNS) for a bridge's containers with dnsmasq, bound to that bridge
 * only, as lxc-net runs it (lxc's `config/init/common/lxc-net.in`). Sources:
 * dnsmasq(8) (`--interface`, `--bind-interfaces`, `--except-interface`,
 * `--listen-address`, `--dhcp-range`, `--dhcp-leasefile`, `--pid-file`,
 * `--conf-file`, `--port`), proc(5) (`/proc/PID/cmdline`).
 *
 * Builders are pure; {@link readDhcpState} reads the pid file and
 * `/proc/PID/cmdline` through a HostFs and changes nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LxdeckError } from '../errors.js';
import type { HostFs } from '../host/host-fs.js';
import { type Cidr, formatIpv4, maskOf, networkOf } from './ipv4.js';

export interface DhcpSpec {
  bridge: string;
  /** the host's address on the bridge with the prefix (the containers' gateway and DNS server), e.g. 10.0.3.1/24 */
  gateway: Cidr;
  /** directory of the pid file, e.g. /run/lxdeck */
  runDir: string;
  /** directory of the lease file, e.g. /var/lib/lxdeck */
  stateDir: string;
  /** serve DNS on the gateway address too (port 53), as lxc-net does; default true */
  dns?: boolean;
  /** lease time, dnsmasq's syntax ("1h", "45m"); default 1h */
  leaseTime?: string;
}

/** `<runDir>/dnsmasq-BR.pid` */
export function dhcpPidFile(spec: Pick<DhcpSpec, 'bridge' | 'runDir'>): string {
  return join(spec.runDir, `dnsmasq-${spec.bridge}.pid`);
}

/** `<stateDir>/dnsmasq-BR.leases` */
export function dhcpLeaseFile(spec: Pick<DhcpSpec, 'bridge' | 'stateDir'>): string {
  return join(spec.stateDir, `dnsmasq-${spec.bridge}.leases`);
}

/**
 * The DHCP pool of a bridge subnet: its upper half up to the last address
 * before broadcast (a /24 gives .128 to .254). lxdeck's static addresses are
 * handed out from the bottom (core/network/ipv4.ts nextFreeAddress), so the two
 * meet only when the subnet is nearly full; dnsmasq also pings an address
 * before offering it (dnsmasq(8), --no-ping).
 * @throws LxdeckError E_INVALID_VALUE for prefixes longer than /30 (no room for a pool).
 */
export function dhcpRange(gateway: Cidr): { start: number; end: number; netmask: number } {
  if (gateway.prefix > 30 || gateway.prefix < 1)
    throw new LxdeckError('E_INVALID_VALUE', `a /${gateway.prefix} subnet has no room for a DHCP pool`, { hint: 'use a /8 to /30 subnet, e.g. 10.0.3.0/24' });
  const net = networkOf(gateway);
  const size = 2 ** (32 - gateway.prefix);
  const start = (net + Math.max(2, size / 2)) >>> 0;
  const end = (net + size - 2) >>> 0;
  return { start, end, netmask: maskOf(gateway.prefix) };
}

/**
 * dnsmasq's argv (without the program) for DHCP on `spec.bridge` only:
 * `--conf-file=/dev/null` (no /etc/dnsmasq.conf), `--strict-order`,
 * `--bind-interfaces --except-interface=lo --interface=BR
 * --listen-address=GW`, `--dhcp-range=START,END,NETMASK,LEASE`,
 * `--dhcp-no-override --dhcp-authoritative`, the lease and pid files, and
 * `--port=0` when DNS is off. dnsmasq forks into the background and writes
 * the pid file itself.
 */
export function dnsmasqArgv(spec: DhcpSpec): string[] {
  const r = dhcpRange(spec.gateway);
  const argv = [
    '--conf-file=/dev/null',
    '--strict-order',
    '--bind-interfaces',
    '--except-interface=lo',
    `--interface=${spec.bridge}`,
    `--listen-address=${formatIpv4(spec.gateway.addr)}`,
    `--dhcp-range=${formatIpv4(r.start)},${formatIpv4(r.end)},${formatIpv4(r.netmask)},${spec.leaseTime ?? '1h'}`,
    `--dhcp-lease-max=${((r.end - r.start) >>> 0) + 1}`,
    '--dhcp-no-override',
    '--dhcp-authoritative',
    `--dhcp-leasefile=${dhcpLeaseFile(spec)}`,
    `--pid-file=${dhcpPidFile(spec)}`,
  ];
  if (spec.dns === false) argv.push('--port=0');
  return argv;
}

export interface DhcpState {
  /** the pid from the pid file when that process is alive and is a dnsmasq; else null */
  pid: number | null;
  /** its argv after the program name (from /proc/PID/cmdline); null when not running */
  args: string[] | null;
}

/**
 * Whether a dnsmasq started from `spec`'s pid file runs: reads the pid file
 * (a real path), then `/proc/PID/cmdline` through `fs`, and accepts the pid
 * only when that process's program is dnsmasq (a stale pid file whose pid was
 * reused by another program is "not running").
 */
export function readDhcpState(fs: HostFs, spec: Pick<DhcpSpec, 'bridge' | 'runDir'>): DhcpState {
  let pid: number;
  try {
    pid = Number(readFileSync(dhcpPidFile(spec), 'utf8').trim());
  } catch {
    return { pid: null, args: null };
  }
  if (!Number.isSafeInteger(pid) || pid <= 1) return { pid: null, args: null };
  let cmdline: string | null;
  try {
    cmdline = fs.readTextOrNull(`/proc/${pid}/cmdline`);
  } catch {
    cmdline = null;
  }
  if (!cmdline) return { pid: null, args: null };
  const argv = cmdline.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  if (!/(^|\/)dnsmasq$/.test(argv[0] ?? '')) return { pid: null, args: null };
  return { pid, args: argv.slice(1) };
}

/** True when the running dnsmasq has exactly the argv `spec` asks for. */
export function dhcpSatisfied(state: DhcpState, spec: DhcpSpec): boolean {
  if (state.pid === null || state.args === null) return false;
  const want = dnsmasqArgv(spec);
  return state.args.length === want.length && state.args.every((a, i) => a === want[i]);
}
