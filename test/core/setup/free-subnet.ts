import { randomInt } from 'node:crypto';
import { ExecaRunner } from '../../../core/exec/runner.js';
import { type Cidr, overlaps } from '../../../core/network/ipv4.js';
import { readRoutes } from '../../../core/setup/index.js';

/**
 * A /24 that no route of this host covers, read from the routing table (never
 * probed), picked at random in 10.100.0.0-10.250.255.0 so that tests of other
 * sessions running at the same time (which start at 10.0.3.0/24) do not take
 * the same one between the pick and the use. `avoid` adds subnets to skip.
 */
export async function freeTestSubnet(avoid: Cidr[] = []): Promise<Cidr> {
  const taken = [...(await readRoutes(new ExecaRunner())).map((r) => r.dst), ...avoid];
  for (let i = 0; i < 1000; i++) {
    const c: Cidr = { addr: ((10 << 24) | (randomInt(100, 251) << 16) | (randomInt(0, 256) << 8)) >>> 0, prefix: 24 };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  throw new Error('no free /24 in 10.100.0.0/16-10.250.255.0/24');
}
