/**
 * Making lxdeck's container network come back after a reboot: a systemd
 * oneshot unit per bridge, `lxdeck-net-BRIDGE.service`, that makes the bridge, its address, NAT
 * and DHCP again, as lxc's own `lxc-net.service` does (Type=oneshot,
 * RemainAfterExit=yes). Sources: systemd.service(5) (Type=, RemainAfterExit=,
 * ExecStart= with the `-` prefix, command-line quoting and `%` specifiers),
 * systemd.unit(5) ([Install] WantedBy=), systemctl(1) (`--root`).
 *
 * Everything here is pure text; core/setup writes the files and runs systemctl.
 */
import { join } from 'node:path';
import { type Cidr, formatCidr } from './ipv4.js';
import { nftDeleteChainArgv } from './nat.js';

/**
 * The unit's file name for one bridge: `lxdeck-net-BRIDGE.service`. One unit per bridge, so a
 * second bridge's setup never replaces the first one's unit (the bridge, NAT and DHCP of each
 * come back after a reboot). Bridge names (validateIfName) hold only bytes systemd takes in a unit name.
 */
export function netUnitName(bridge: string): string {
  return `lxdeck-net-${bridge}.service`;
}

/** The target that pulls the unit in at boot ([Install] WantedBy=). */
export const NET_UNIT_WANTED_BY = 'multi-user.target';

/**
 * One argument of an ExecStart= line, quoted for systemd.service(5)'s
 * command-line rules: `%` doubled (specifiers), and double quotes with
 * backslash escapes around anything holding white space, quotes, `\`, `;` or `$`.
 */
export function systemdQuote(arg: string): string {
  const s = arg.replace(/%/g, '%%');
  if (s !== '' && !/[\s"'\\;$]/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')}"`;
}

/** An ExecStart=/ExecStop= value: the program's absolute path and its args, quoted; `ignoreFailure` adds systemd's `-` prefix. */
export function execLine(argv: string[], ignoreFailure = false): string {
  return `${ignoreFailure ? '-' : ''}${argv.map(systemdQuote).join(' ')}`;
}

export interface NetUnitSpec {
  bridge: string;
  /** the host's address on the bridge, e.g. 10.0.3.1/24 */
  gateway: Cidr;
  /** absolute paths of the programs the unit runs (systemd wants absolute paths) */
  programs: { ip: string; nft?: string; sysctl?: string; dnsmasq?: string; mkdir?: string; pkill?: string; rm?: string };
  /** NAT: the nft script file the unit loads with `nft -f`, and the table it makes */
  nat?: { rulesFile: string; table: string };
  /** DHCP: dnsmasq's args (core/network/dhcp.ts dnsmasqArgv) and the directories its pid and lease files live in */
  dhcp?: { args: string[]; dirs: string[]; pidFile?: string };
}

/**
 * The text of `lxdeck-net-BRIDGE.service` for `spec`. Start: `ip link add` (failure
 * ignored: the bridge may exist), `ip address replace` and `ip link set up`
 * (both idempotent), then with NAT `sysctl -w net.ipv4.ip_forward=1` and
 * `nft -f RULES` (the script replaces the bridge's chain in lxdeck's table atomically), then with
 * DHCP the directories and dnsmasq, which forks and stays in the unit's
 * cgroup. Stop: dnsmasq is stopped by its pid file (`pkill -F`, and the file removed; the cgroup's kill would end it too); the
 * bridge's NAT chain and the bridge are deleted (failures ignored; other bridges keep theirs).
 */
export function netUnit(spec: NetUnitSpec): string {
  const { ip } = spec.programs;
  const gw = formatCidr(spec.gateway);
  const start: string[] = [
    execLine([ip, 'link', 'add', 'name', spec.bridge, 'type', 'bridge'], true),
    execLine([ip, 'address', 'replace', gw, 'dev', spec.bridge]),
    execLine([ip, 'link', 'set', 'dev', spec.bridge, 'up']),
  ];
  const stop: string[] = [];
  const what = [`bridge ${spec.bridge} (${gw})`];
  if (spec.nat) {
    start.push(execLine([spec.programs.sysctl ?? '/usr/sbin/sysctl', '-w', 'net.ipv4.ip_forward=1']));
    start.push(execLine([spec.programs.nft ?? '/usr/sbin/nft', '-f', spec.nat.rulesFile]));
    stop.push(execLine([spec.programs.nft ?? '/usr/sbin/nft', ...nftDeleteChainArgv(spec.nat.table, spec.bridge)], true));
    what.push('NAT');
  }
  if (spec.dhcp) {
    if (spec.dhcp.dirs.length) start.push(execLine([spec.programs.mkdir ?? '/bin/mkdir', '-p', ...spec.dhcp.dirs]));
    start.push(execLine([spec.programs.dnsmasq ?? '/usr/sbin/dnsmasq', ...spec.dhcp.args]));
    // stop: dnsmasq by its pid file (pkill -F FILE dnsmasq), then the pid file; not left to the cgroup's kill alone
    if (spec.dhcp.pidFile) {
      stop.push(execLine([spec.programs.pkill ?? '/usr/bin/pkill', '-F', spec.dhcp.pidFile, 'dnsmasq'], true)); // only a dnsmasq: a stale pid is left alone
      stop.push(execLine([spec.programs.rm ?? '/bin/rm', '-f', spec.dhcp.pidFile], true));
    }
    what.push('DHCP');
  }
  stop.push(execLine([ip, 'link', 'delete', 'dev', spec.bridge], true));
  return [
    `# Written by lxdeck setup. Undo: systemctl disable --now ${netUnitName(spec.bridge)}, then remove this file.`,
    '[Unit]',
    `Description=lxdeck container network: ${what.join(', ')}`,
    'After=network-online.target',
    'Wants=network-online.target',
    'Before=lxc.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    ...start.map((l) => `ExecStart=${l}`),
    ...stop.map((l) => `ExecStop=${l}`),
    '',
    '[Install]',
    `WantedBy=${NET_UNIT_WANTED_BY}`,
    '',
  ].join('\n');
}

/** The symlink `systemctl enable` makes: `<unitDir>/multi-user.target.wants/lxdeck-net-BRIDGE.service`. */
export function unitWantsLink(unitDir: string, bridge: string): string {
  return join(unitDir, `${NET_UNIT_WANTED_BY}.wants`, netUnitName(bridge));
}

/** `systemctl [--root=ROOT] enable lxdeck-net-BRIDGE.service` (ROOT only when it is not `/`) */
export function systemctlEnableArgv(bridge: string, root = '/'): string[] {
  return [...(root === '/' ? [] : [`--root=${root}`]), 'enable', netUnitName(bridge)];
}

/** `systemctl daemon-reload` */
export function systemctlReloadArgv(): string[] {
  return ['daemon-reload'];
}

/** `systemctl disable --now lxdeck-net-BRIDGE.service` (undo) */
export function systemctlDisableArgv(bridge: string, root = '/'): string[] {
  return root === '/' ? ['disable', '--now', netUnitName(bridge)] : [`--root=${root}`, 'disable', netUnitName(bridge)];
}
