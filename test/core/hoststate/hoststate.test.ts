import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingRunner } from '../../../core/exec/runner.js';
import { HostState } from '../../../core/hoststate/index.js';
import { parseCommandSockets } from '../../../core/hoststate/scan.js';
import { parseCidr } from '../../../core/network/ipv4.js';

const root = mkdtempSync(join(tmpdir(), 'lxdeck-hs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function container(lp: string, name: string, lines: string[]): void {
  mkdirSync(join(lp, name), { recursive: true });
  writeFileSync(join(lp, name, 'config'), `${lines.join('\n')}\n`);
}

// ip answers: the bridge holds 10.0.3.1/24, one neighbour 10.0.3.7 with an unknown MAC
const runner = new RecordingRunner((_f, args) => {
  if (args.includes('address')) return { stdout: JSON.stringify([{ addr_info: [{ family: 'inet', local: '10.0.3.1', prefixlen: 24 }] }]) };
  if (args.includes('neigh')) return { stdout: JSON.stringify([{ dst: '10.0.3.7', lladdr: '00:16:3e:aa:bb:cc', state: ['REACHABLE'] }]) };
  return { stdout: '' };
});

describe('host state: reconciliation across lxcpaths', () => {
  const lpA = join(root, 'a');
  const lpB = join(root, 'b');
  const proc = join(root, 'proc');
  mkdirSync(join(proc, 'net'), { recursive: true });
  mkdirSync(join(proc, '4242'), { recursive: true });
  const hs = new HostState({ dir: join(root, 'state'), runner, procRoot: proc, leaseFiles: () => [] });

  it('adopts addresses of two lxcpaths, the bridge and a neighbour; a new address is free in all of them', async () => {
    container(lpA, 'one', ['lxc.net.0.type = veth', 'lxc.net.0.link = br0', 'lxc.net.0.ipv4.address = 10.0.3.2/24', 'lxc.idmap = u 0 100000 65536']);
    container(lpB, 'two', ['lxc.net.0.type = veth', 'lxc.net.0.link = br0', 'lxc.net.0.ipv4.address = 10.0.3.3/24']);
    // lpB is known only through a running container's command socket
    writeFileSync(join(proc, 'net/unix'), `Num RefCount Protocol Flags Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 20474 @${lpB}/two/command\n`);
    writeFileSync(join(proc, '4242/uid_map'), '         0     165536      65536\n');
    const addr = await hs.withLock(() => hs.reserveAddressLocked({ bridge: 'br0', lxcpath: lpA, name: 'new', gateway: parseCidr('10.0.3.1/24') }));
    const rec = hs.readBridge('br0')!;
    expect(Object.keys(rec.addresses)).toEqual(expect.arrayContaining(['10.0.3.1', '10.0.3.2', '10.0.3.3', '10.0.3.7']));
    expect(rec.addresses['10.0.3.3']).toMatchObject({ lxcpath: lpB, name: 'two', source: 'config' });
    expect(addr.addr).toBe(parseCidr('10.0.3.4').addr);
    expect(rec.lxcpaths).toEqual([lpA, lpB].sort());
    const base = await hs.withLock(() => hs.reserveIdmapLocked({ lxcpath: lpB, name: 'x', available: [{ start: 100000, count: 65536 * 10 }] }));
    expect(base).toBe(100000 + 2 * 65536); // 100000 from a config, 165536 live in a user namespace
  });

  it('releases an entry whose container is gone; a stopped container of a seen lxcpath stays adopted', async () => {
    writeFileSync(join(proc, 'net/unix'), 'Num RefCount Protocol Flags Type St Inode Path\n');
    rmSync(join(lpA, 'one'), { recursive: true });
    await hs.release(lpA, 'new');
    const rec = await hs.reconcileBridge('br0', lpA);
    expect(rec.addresses['10.0.3.2']).toBeUndefined();
    expect(rec.addresses['10.0.3.4']).toBeUndefined();
    expect(rec.addresses['10.0.3.3']).toMatchObject({ lxcpath: lpB, name: 'two' });
  });

  it('reads command sockets of every lxcpath', () => {
    expect(parseCommandSockets('0: 2 0 10000 1 1 5 @/var/lib/lxc/web/command\n0: 2 0 10000 1 1 6 @/tmp/x/y/db/command\n0: 1 @other\n')).toEqual([
      { lxcpath: '/var/lib/lxc', name: 'web' },
      { lxcpath: '/tmp/x/y', name: 'db' },
    ]);
  });
});
