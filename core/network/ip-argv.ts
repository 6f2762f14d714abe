/**
 * Pure argv builders for iproute2's `ip` (ip-link(8), ip-address(8), ip-route(8)).
 * Nothing here runs anything; core/network/bridge.ts runs them through the Runner.
 */

/** `ip link add name BR type bridge` */
export function bridgeAddArgv(bridge: string): string[] {
  return ['link', 'add', 'name', bridge, 'type', 'bridge'];
}

/** `ip address add ADDR/PREFIX dev DEV` */
export function addrAddArgv(dev: string, cidr: string): string[] {
  return ['address', 'add', cidr, 'dev', dev];
}

/** `ip link set DEV up` */
export function linkUpArgv(dev: string): string[] {
  return ['link', 'set', 'dev', dev, 'up'];
}

/** `ip link delete DEV` */
export function linkDelArgv(dev: string): string[] {
  return ['link', 'delete', 'dev', dev];
}

/** `ip -j link show dev DEV` (JSON) */
export function linkShowArgv(dev: string): string[] {
  return ['-j', 'link', 'show', 'dev', dev];
}

/** `ip -j -4 address show dev DEV` (JSON) */
export function addrShowArgv(dev: string): string[] {
  return ['-j', '-4', 'address', 'show', 'dev', dev];
}

/** `ip -j -4 route show table all` (JSON): every IPv4 route, the source of subnets in use */
export function routesArgv(): string[] {
  return ['-j', '-4', 'route', 'show', 'table', 'all'];
}

/** `ip -j -d link show dev DEV` (JSON with details: `linkinfo.info_kind` is `bridge` for a bridge) */
export function linkShowDetailsArgv(dev: string): string[] {
  return ['-j', '-d', 'link', 'show', 'dev', dev];
}
