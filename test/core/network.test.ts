import { describe, expect, it } from 'vitest';
import { ensureBridge } from '../../core/network/bridge.js';
import { RecordingRunner } from '../../core/exec/runner.js';
import { contains, formatCidr, formatIpv4, nextFreeAddress, overlaps, parseCidr, parseIpv4, pickFreeSubnet } from '../../core/network/ipv4.js';
import { addrAddArgv, bridgeAddArgv, linkUpArgv } from '../../core/network/ip-argv.js';
import { isLxdeckError } from '../../core/errors.js';

describe('ipv4 arithmetic', () => {
  it('parses and formats addresses and prefixes', () => {
    expect(formatIpv4(parseIpv4('10.0.3.5'))).toBe('10.0.3.5');
    expect(formatCidr(parseCidr('192.168.1.7/24'))).toBe('192.168.1.7/24');
    expect(parseCidr('10.1.2.3').prefix).toBe(32);
    for (const bad of ['10.0.3', '256.1.1.1', '10.0.3.5/33', 'a.b.c.d', '10.0.3.5/24/1', ''])
      expect(() => parseCidr(bad), bad).toThrow(/IPv4|prefix/);
  });

  it('overlap and containment', () => {
    expect(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.0.3.0/24'))).toBe(true);
    expect(overlaps(parseCidr('10.0.3.0/24'), parseCidr('10.0.4.0/24'))).toBe(false);
    expect(contains(parseCidr('10.0.3.1/24'), parseIpv4('10.0.3.254'))).toBe(true);
    expect(contains(parseCidr('10.0.3.1/24'), parseIpv4('10.0.4.1'))).toBe(false);
  });

  it('hands out the lowest free host address, skipping network, broadcast and taken ones', () => {
    const gw = parseCidr('10.0.3.1/24');
    expect(formatIpv4(nextFreeAddress(gw, [gw.addr]))).toBe('10.0.3.2');
    expect(formatIpv4(nextFreeAddress(gw, [gw.addr, parseIpv4('10.0.3.2'), parseIpv4('10.0.3.4')]))).toBe('10.0.3.3');
    const tiny = parseCidr('10.9.9.1/30'); // .1 and .2 usable
    expect(() => nextFreeAddress(tiny, [parseIpv4('10.9.9.1'), parseIpv4('10.9.9.2')])).toThrow(/no free IPv4/);
  });

  it('picks a /24 that overlaps no route (read from the routing table, not probed)', () => {
    expect(formatCidr(pickFreeSubnet([]))).toBe('10.0.3.0/24');
    expect(formatCidr(pickFreeSubnet([parseCidr('10.0.3.0/24'), parseCidr('10.0.4.0/23')]))).toBe('10.0.6.0/24');
    // a default route (0.0.0.0/0) does not count as use
    expect(formatCidr(pickFreeSubnet([parseCidr('0.0.0.0/0')]))).toBe('10.0.3.0/24');
    expect(() => pickFreeSubnet([parseCidr('10.0.0.0/8')])).toThrow(/no free private/);
  });
});

describe('ip argv builders and ensureBridge (recorded, nothing run)', () => {
  it('builds iproute2 argv arrays', () => {
    expect(bridgeAddArgv('br0')).toEqual(['link', 'add', 'name', 'br0', 'type', 'bridge']);
    expect(addrAddArgv('br0', '10.0.3.1/24')).toEqual(['address', 'add', '10.0.3.1/24', 'dev', 'br0']);
    expect(linkUpArgv('br0')).toEqual(['link', 'set', 'dev', 'br0', 'up']);
  });

  it('creates a missing bridge on the first free subnet from the routes', async () => {
    const routes = JSON.stringify([{ dst: 'default' }, { dst: '10.0.3.0/24' }, { dst: '192.0.2.0/24' }]);
    const runner = new RecordingRunner((file, args) => {
      if (args.includes('show') && args.includes('link')) return { exitCode: 1, stderr: 'Device "brx" does not exist.' };
      if (args.includes('route')) return { stdout: routes };
      return undefined;
    });
    const b = await ensureBridge(runner, 'brx');
    expect(formatCidr(b.gateway)).toBe('10.0.4.1/24');
    const argvs = runner.calls.map((c) => [c.file, ...c.args].join(' '));
    expect(argvs).toContain('ip link add name brx type bridge');
    expect(argvs).toContain('ip address add 10.0.4.1/24 dev brx');
    expect(argvs).toContain('ip link set dev brx up');
    expect(runner.calls.every((c) => c.file === 'ip')).toBe(true);
  });

  it('keeps an existing bridge address and refuses a preferred subnet that overlaps a route', async () => {
    const existing = new RecordingRunner((_f, args) => {
      if (args.includes('address') && args.includes('show')) return { stdout: JSON.stringify([{ addr_info: [{ family: 'inet', local: '10.7.0.1', prefixlen: 16 }] }]) };
      if (args.includes('-d')) return { stdout: JSON.stringify([{ flags: ['UP'], linkinfo: { info_kind: 'bridge' } }]) };
      return undefined;
    });
    expect(formatCidr((await ensureBridge(existing, 'br1')).gateway)).toBe('10.7.0.1/16');
    expect(existing.calls.some((c) => c.args.includes('add'))).toBe(false);

    const clash = new RecordingRunner((_f, args) => {
      if (args.includes('link') && args.includes('show')) return { exitCode: 1 };
      if (args.includes('route')) return { stdout: JSON.stringify([{ dst: '10.0.3.0/24' }]) };
      return undefined;
    });
    await expect(ensureBridge(clash, 'br2', '10.0.3.0/24')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NETWORK') && /overlaps/.test((e as Error).message));
  });

  it('refuses an existing interface that is not a bridge (eth0 is never a container link), and changes nothing', async () => {
    const eth = new RecordingRunner((_f, args) => {
      if (args.includes('-d')) return { stdout: JSON.stringify([{ flags: ['UP'] }]) };
      if (args.includes('address') && args.includes('show')) return { stdout: JSON.stringify([{ addr_info: [{ family: 'inet', local: '192.0.2.2', prefixlen: 24 }] }]) };
      return undefined;
    });
    await expect(ensureBridge(eth, 'eth0')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NETWORK') && /not a bridge/.test((e as Error).message));
    expect(eth.calls.some((c) => c.args.includes('add') || c.args.includes('set'))).toBe(false);
  });
});
