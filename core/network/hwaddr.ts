import { randomBytes } from 'node:crypto';

/**
 * A random MAC for lxc.net.N.hwaddr in the 00:16:3e OUI that LXC's own
 * templates use (`00:16:3e:xx:xx:xx`); locally unique by chance (24 random bits).
 */
export function randomHwaddr(): string {
  const b = randomBytes(3);
  return ['00', '16', '3e', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}
