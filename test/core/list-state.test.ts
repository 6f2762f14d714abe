import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LxcConfig } from '../../core/lxc/config.js';
import { ListStateReader, commandSocketName, configLxcLoads, fibLocalAddresses, fnv1a64, netDevNames, unixSocketListed, type ListState } from '../../core/lxc/list-state.js';
import { HostFs } from '../../core/host/host-fs.js';
import { makeTree, type StatsTree } from './stats/tree.js';

const NET_DEV_LO = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
`;
const NET_DEV_ETH = `${NET_DEV_LO}  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
`;
// the shape of a real namespace's fib_trie: Main and Local tables repeat the LOCAL leaves
const fib = (addrs: string[]) => {
  const table = [
    '  +-- 0.0.0.0/0 3 0 5',
    '     +-- 10.0.3.0/24 2 0 2',
    '        |-- 10.0.3.0',
    '           /24 link UNICAST',
    ...addrs.flatMap((a) => [`        |-- ${a}`, '           /32 host LOCAL']),
    '        |-- 10.0.3.255',
    '           /32 link BROADCAST',
    '     +-- 127.0.0.0/8 2 0 2',
    '        |-- 127.0.0.0',
    '           /8 host LOCAL',
    '        |-- 127.0.0.1',
    '           /32 host LOCAL',
  ].join('\n');
  return `Main:\n${table}\nLocal:\n${table}\n`;
};

let tree: StatsTree | undefined;
afterEach(() => {
  tree?.done();
  tree = undefined;
});

/** a reader over the fixture tree whose lxc-info fallback records the names it was asked for */
function reader(t: StatsTree, answer: ListState = { state: 'STOPPING', pid: null, ipv4: [] }) {
  const asked: string[] = [];
  const r = new ListStateReader('/var/lib/lxc', async (n) => {
    asked.push(n);
    return answer;
  }, t.fs);
  return { r, asked };
}

describe('list state from cgroupfs and /proc (no lxc-info)', () => {
  for (const kind of ['v1', 'v2'] as const) {
    it(`${kind}: a located container is RUNNING with its init PID; only lo: no address, no lxc-info`, async () => {
      tree = makeTree(kind);
      tree.put('/proc/4242/net/dev', NET_DEV_LO);
      const { r, asked } = reader(tree);
      expect(await r.read('web1')).toEqual({ state: 'RUNNING', pid: 4242, ipv4: [] });
      expect(asked).toEqual([]);
    });
  }

  it("a running container costs six reads on v1 (no /proc/PID/stat: the init is the monitor's child by where it was found)", async () => {
    tree = makeTree('v1');
    tree.put('/proc/4242/net/dev', NET_DEV_LO);
    tree.rm('/proc/4242/stat');
    const reads: string[] = [];
    const fs = new (class extends HostFs {
      readTextOrNull(p: string): string | null {
        reads.push(p);
        return super.readTextOrNull(p);
      }
    })(tree.root);
    const r = new ListStateReader('/var/lib/lxc', async () => ({ state: 'STOPPING', pid: null, ipv4: [] }), fs);
    expect(await r.read('web1')).toEqual({ state: 'RUNNING', pid: 4242, ipv4: [] });
    expect(reads).toEqual([
      '/sys/fs/cgroup/pids/lxc.monitor.web1/cgroup.procs',
      '/proc/100/cmdline',
      '/proc/100/task/100/children',
      '/proc/4242/cgroup',
      '/sys/fs/cgroup/freezer/lxc.payload.web1/freezer.state',
      '/proc/4242/net/dev',
    ]);
  });

  it('a monitor of the same name in another lxcpath is not this container (its command line says which)', async () => {
    tree = makeTree('v1');
    tree.put('/proc/4242/net/dev', NET_DEV_LO);
    tree.put('/proc/100/cmdline', '[lxc monitor] /srv/lxc web1\0');
    tree.put('/proc/net/unix', 'Num Path\n0000: 00000002 00000000 00010000 0001 01 1 @/srv/lxc/web1/command\n');
    const { r, asked } = reader(tree);
    expect(await r.read('web1')).toEqual({ state: 'STOPPED', pid: null, ipv4: [] });
    expect(asked).toEqual([]);
  });

  it('one address on eth0 comes from fib_trie, loopback left out', async () => {
    tree = makeTree('v1');
    tree.put('/proc/4242/net/dev', NET_DEV_ETH);
    tree.put('/proc/4242/net/fib_trie', fib(['10.0.3.5']));
    const { r, asked } = reader(tree);
    expect(await r.read('web1')).toEqual({ state: 'RUNNING', pid: 4242, ipv4: ['10.0.3.5'] });
    expect(asked).toEqual([]);
  });

  it('FROZEN and FREEZING from the freezer, as lxc_getstate lets the freezer win', async () => {
    tree = makeTree('v1');
    tree.put('/proc/4242/net/dev', NET_DEV_LO);
    tree.put(`${tree.cg('freezer')}/freezer.state`, 'FROZEN\n');
    expect((await reader(tree).r.read('web1')).state).toBe('FROZEN');
    tree.put(`${tree.cg('freezer')}/freezer.state`, 'FREEZING\n');
    expect((await reader(tree).r.read('web1')).state).toBe('FREEZING');
  });

  it('no monitor and no command socket: STOPPED without lxc-info', async () => {
    tree = makeTree('v2');
    tree.rm('/sys/fs/cgroup/lxc.monitor.web1');
    tree.put('/proc/net/unix', 'Num       RefCount Protocol Flags    Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 1 @/var/lib/lxc/web10/command\n');
    const { r, asked } = reader(tree);
    expect(await r.read('web1')).toEqual({ state: 'STOPPED', pid: null, ipv4: [] });
    expect(asked).toEqual([]);
  });

  it('a listening monitor without a located init (STARTING, STOPPING, lxc.cgroup.dir) asks lxc-info', async () => {
    tree = makeTree('v2');
    tree.rm('/sys/fs/cgroup/lxc.monitor.web1');
    tree.put('/proc/net/unix', 'Num       RefCount Protocol Flags    Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 1 @/var/lib/lxc/web1/command\n');
    const { r, asked } = reader(tree);
    expect(await r.read('web1')).toEqual({ state: 'STOPPING', pid: null, ipv4: [] });
    expect(asked).toEqual(['web1']);
  });

  it('interfaces with no address, or several addresses: lxc-info gives the answer (down interface, getifaddrs order)', async () => {
    tree = makeTree('v1');
    tree.put('/proc/4242/net/dev', NET_DEV_ETH);
    tree.put('/proc/4242/net/fib_trie', fib([]));
    const a = reader(tree, { state: 'RUNNING', pid: 4242, ipv4: ['10.0.3.9'] });
    expect(await a.r.read('web1')).toEqual({ state: 'RUNNING', pid: 4242, ipv4: ['10.0.3.9'] });
    expect(a.asked).toEqual(['web1']);
    tree.put('/proc/4242/net/fib_trie', fib(['10.0.3.5', '10.0.3.6']));
    const b = reader(tree);
    await b.r.read('web1');
    expect(b.asked).toEqual(['web1']);
  });

  it("lxc-info's errors pass through the fallback", async () => {
    tree = makeTree('v2');
    tree.rm('/sys/fs/cgroup/lxc.monitor.web1');
    tree.put('/proc/net/unix', 'Num Path\n0000: 00000002 00000000 00010000 0001 01 1 @/var/lib/lxc/web1/command\n');
    const r = new ListStateReader('/var/lib/lxc', async () => {
      throw new Error('lxc-info failed');
    }, tree.fs);
    await expect(r.read('web1')).rejects.toThrow('lxc-info failed');
  });
});

describe('which configs the files-only listing trusts LXC to load', () => {
  it("LXC's busybox config with its includes from /usr/share/lxc: trusted", () => {
    const text = readFileSync(join(import.meta.dirname, '../fixtures/config/busybox-lxc5.conf'), 'utf8');
    expect(configLxcLoads(LxcConfig.parse(text))).toBe(true);
    expect(configLxcLoads(LxcConfig.parse('lxc.include = /usr/share/lxc/config/common.conf\nlxc.net.0.type = empty\n'))).toBe(true);
  });

  it('an unknown key, a legacy key, a bad value or an include from elsewhere: lxc-info decides (it fails on what LXC cannot load)', () => {
    expect(configLxcLoads(LxcConfig.parse('lxc.no.such.key = 1\n'))).toBe(false);
    expect(configLxcLoads(LxcConfig.parse('lxc.network.type = veth\n'))).toBe(false);
    expect(configLxcLoads(LxcConfig.parse('lxc.net.0.type = bogus\n'))).toBe(false);
    expect(configLxcLoads(LxcConfig.parse('lxc.include = /etc/lxc/extra.conf\n'))).toBe(false);
  });

  it('read(name, { askLxc: true }) asks lxc-info even for a container the files describe', async () => {
    tree = makeTree('v1');
    tree.put('/proc/4242/net/dev', NET_DEV_LO);
    const { r, asked } = reader(tree);
    await r.read('web1', { askLxc: true });
    expect(asked).toEqual(['web1']);
  });
});

describe('list state parsers', () => {
  it('fib_trie: /32 host LOCAL leaves once each, without 127.0.0.0/8 and without broadcast or prefix routes', () => {
    expect(fibLocalAddresses(fib(['10.0.3.5', '10.0.3.7']))).toEqual(['10.0.3.5', '10.0.3.7']);
    expect(fibLocalAddresses(fib([]))).toEqual([]);
  });

  it('net/dev names in order, lo included', () => {
    expect(netDevNames(NET_DEV_ETH)).toEqual(['lo', 'eth0']);
  });

  it("command socket: the plain abstract name, or liblxc's FNV-1a hash when it does not fit in sun_path", () => {
    expect(commandSocketName('/var/lib/lxc', 'web1')).toBe('/var/lib/lxc/web1/command');
    // FNV-1a 64 test vectors (Fowler/Noll/Vo reference: "" and "a")
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    const long = `/srv/${'x'.repeat(100)}`;
    expect(commandSocketName(long, 'c1')).toBe(`lxc/${fnv1a64(`${long}/c1`)}/command`);
  });

  it('a socket is listed only as the whole path, not as a prefix of a longer one', () => {
    const t = '0000: 00000002 00000000 00010000 0001 01 1 @/var/lib/lxc/web10/command\n';
    expect(unixSocketListed(t, '/var/lib/lxc/web1/command')).toBe(false);
    expect(unixSocketListed(t, '/var/lib/lxc/web10/command')).toBe(true);
  });
});
