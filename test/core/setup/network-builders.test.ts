import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostFs } from '../../../core/host/host-fs.js';
import { dhcpRange, dhcpSatisfied, dnsmasqArgv, readDhcpState, type DhcpSpec } from '../../../core/network/dhcp.js';
import { formatIpv4, parseCidr } from '../../../core/network/ipv4.js';
import { natChainName, natRuleset, natSatisfied, nftDeleteChainArgv, parseNatTable, validateNftTable } from '../../../core/network/nat.js';
import { execLine, netUnit, netUnitName, systemctlEnableArgv, systemdQuote, unitWantsLink } from '../../../core/network/persist.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// `nft -j list table ip lxdeck` as nft 1.0.6 prints it for natRuleset's script (captured on this host)
const NFT_JSON = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'ip', name: 'lxdeck', handle: 2 } },
    { chain: { family: 'ip', table: 'lxdeck', name: 'postrouting_lxdeckbr0', handle: 1, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
    {
      rule: {
        family: 'ip', table: 'lxdeck', chain: 'postrouting_lxdeckbr0', handle: 2,
        expr: [
          { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.3.0', len: 24 } } } },
          { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: 'lxdeckbr0' } },
          { masquerade: null },
        ],
      },
    },
  ],
});

describe('NAT (nftables) builders', () => {
  const spec = { table: 'lxdeck', bridge: 'lxdeckbr0', subnet: parseCidr('10.0.3.1/24') };

  it('the ruleset replaces only the bridge\'s own chain in lxdeck\'s table, atomically, and masquerades the subnet to every interface but the bridge', () => {
    const r = natRuleset(spec);
    const lines = r.split('\n').map((l) => l.trim());
    // declare table and chain, flush the chain, add the rule: one nft batch, so a second run gives the same
    // ruleset, never fails on a missing table, and leaves other bridges' chains alone
    expect(lines.slice(1, 3)).toEqual(['table ip lxdeck {', 'chain postrouting_lxdeckbr0 {']);
    expect(r).toContain('type nat hook postrouting priority srcnat; policy accept;');
    expect(lines).toContain('flush chain ip lxdeck postrouting_lxdeckbr0');
    expect(lines).toContain('add rule ip lxdeck postrouting_lxdeckbr0 ip saddr 10.0.3.0/24 oifname != "lxdeckbr0" masquerade');
    expect(r).not.toMatch(/flush ruleset|delete table|table inet|table ip nat\b/);
  });

  it('each bridge has a chain of its own; names nft cannot take are mapped and hashed so they never collide', () => {
    expect(natChainName('lxdeckbr0')).toBe('postrouting_lxdeckbr0');
    expect(natChainName('br-a')).toMatch(/^postrouting_br_a_[0-9a-f]{8}$/);
    expect(natChainName('br-a')).not.toBe(natChainName('br_a'));
    expect(natChainName('br-a')).not.toBe(natChainName('br.a'));
    expect(nftDeleteChainArgv('lxdeck', 'lxdeckbr0')).toEqual(['delete', 'chain', 'ip', 'lxdeck', 'postrouting_lxdeckbr0']);
  });

  it('reads nft\'s JSON: the masquerade rule matches the spec, another subnet or bridge does not', () => {
    const st = parseNatTable(NFT_JSON);
    expect(st).toEqual({ exists: true, postroutingNat: true, masquerade: [{ chain: 'postrouting_lxdeckbr0', saddr: '10.0.3.0/24', notOifname: 'lxdeckbr0' }] });
    expect(natSatisfied(st, spec)).toBe(true);
    expect(natSatisfied(st, { ...spec, subnet: parseCidr('10.0.4.1/24') })).toBe(false);
    expect(natSatisfied(st, { ...spec, bridge: 'other0' })).toBe(false);
    expect(natSatisfied({ exists: false, postroutingNat: false, masquerade: [] }, spec)).toBe(false);
  });

  it('a masquerade rule outside a postrouting nat chain does not count', () => {
    const doc = JSON.parse(NFT_JSON) as { nftables: Record<string, Record<string, unknown>>[] };
    doc.nftables[2].chain.type = 'filter';
    expect(natSatisfied(parseNatTable(JSON.stringify(doc)), spec)).toBe(false);
  });

  it('table names are nft identifiers: injection through the name is refused', () => {
    expect(() => validateNftTable('lxdeck_t1')).not.toThrow();
    for (const bad of ['', '1x', 'a b', 'x; flush ruleset', 'a'.repeat(33)]) expect(() => validateNftTable(bad)).toThrow(/table name/);
  });
});

describe('DHCP (dnsmasq) builders', () => {
  const spec: DhcpSpec = { bridge: 'lxdeckbr0', gateway: parseCidr('10.0.3.1/24'), runDir: '/run/lxdeck', stateDir: '/var/lib/lxdeck' };

  it('the pool is the upper half of the subnet (static addresses come from the bottom)', () => {
    const r = dhcpRange(parseCidr('10.0.3.1/24'));
    expect([formatIpv4(r.start), formatIpv4(r.end), formatIpv4(r.netmask)]).toEqual(['10.0.3.128', '10.0.3.254', '255.255.255.0']);
    const s = dhcpRange(parseCidr('172.16.0.1/16'));
    expect([formatIpv4(s.start), formatIpv4(s.end)]).toEqual(['172.16.128.0', '172.16.255.254']);
    const t = dhcpRange(parseCidr('10.1.1.1/30'));
    expect([formatIpv4(t.start), formatIpv4(t.end)]).toEqual(['10.1.1.2', '10.1.1.2']);
    expect(() => dhcpRange(parseCidr('10.1.1.1/31'))).toThrow(/no room/);
  });

  it('dnsmasq is bound to the bridge only, reads no config file, and keeps its pid and leases where told', () => {
    const a = dnsmasqArgv(spec);
    expect(a).toEqual(expect.arrayContaining([
      '--conf-file=/dev/null',
      '--bind-interfaces',
      '--except-interface=lo',
      '--interface=lxdeckbr0',
      '--listen-address=10.0.3.1',
      '--dhcp-range=10.0.3.128,10.0.3.254,255.255.255.0,1h',
      '--dhcp-leasefile=/var/lib/lxdeck/dnsmasq-lxdeckbr0.leases',
      '--pid-file=/run/lxdeck/dnsmasq-lxdeckbr0.pid',
    ]));
    expect(a).not.toContain('--port=0');
    expect(dnsmasqArgv({ ...spec, dns: false })).toContain('--port=0');
  });

  it('reads the pid file and /proc/PID/cmdline: the same argv is satisfied; other args, another program or a dead pid are not', () => {
    const root = mkdtempSync(join(tmpdir(), 'lxdeck-dhcp-'));
    dirs.push(root);
    const runDir = join(root, 'run');
    mkdirSync(runDir);
    mkdirSync(join(root, 'proc/4242'), { recursive: true });
    mkdirSync(join(root, 'proc/4343'), { recursive: true });
    const s = { ...spec, runDir };
    const fs = new HostFs(root);
    expect(readDhcpState(fs, s)).toEqual({ pid: null, args: null });
    writeFileSync(join(runDir, 'dnsmasq-lxdeckbr0.pid'), '4242\n');
    writeFileSync(join(root, 'proc/4242/cmdline'), ['/usr/sbin/dnsmasq', ...dnsmasqArgv(s), ''].join('\0'));
    const st = readDhcpState(fs, s);
    expect(st.pid).toBe(4242);
    expect(dhcpSatisfied(st, s)).toBe(true);
    expect(dhcpSatisfied(st, { ...s, leaseTime: '2h' })).toBe(false);
    writeFileSync(join(runDir, 'dnsmasq-lxdeckbr0.pid'), '4343\n');
    writeFileSync(join(root, 'proc/4343/cmdline'), ['/bin/sleep', '100', ''].join('\0'));
    expect(readDhcpState(fs, s)).toEqual({ pid: null, args: null });
    writeFileSync(join(runDir, 'dnsmasq-lxdeckbr0.pid'), '4444\n');
    expect(readDhcpState(fs, s)).toEqual({ pid: null, args: null });
  });
});

describe('lxdeck-net-BRIDGE.service', () => {
  const unit = netUnit({
    bridge: 'lxdeckbr0',
    gateway: parseCidr('10.0.3.1/24'),
    programs: { ip: '/usr/sbin/ip', nft: '/usr/sbin/nft', sysctl: '/usr/sbin/sysctl', dnsmasq: '/usr/sbin/dnsmasq', mkdir: '/bin/mkdir' },
    nat: { rulesFile: '/etc/lxdeck/net-lxdeckbr0.nft', table: 'lxdeck' },
    dhcp: { args: ['--interface=lxdeckbr0', '--pid-file=/run/lxdeck/dnsmasq-lxdeckbr0.pid'], dirs: ['/run/lxdeck'] },
  });

  it('is a oneshot that stays active, like lxc-net.service, with idempotent start commands', () => {
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=yes$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    const starts = unit.split('\n').filter((l) => l.startsWith('ExecStart='));
    expect(starts).toEqual([
      'ExecStart=-/usr/sbin/ip link add name lxdeckbr0 type bridge',
      'ExecStart=/usr/sbin/ip address replace 10.0.3.1/24 dev lxdeckbr0',
      'ExecStart=/usr/sbin/ip link set dev lxdeckbr0 up',
      'ExecStart=/usr/sbin/sysctl -w net.ipv4.ip_forward=1',
      'ExecStart=/usr/sbin/nft -f /etc/lxdeck/net-lxdeckbr0.nft',
      'ExecStart=/bin/mkdir -p /run/lxdeck',
      'ExecStart=/usr/sbin/dnsmasq --interface=lxdeckbr0 --pid-file=/run/lxdeck/dnsmasq-lxdeckbr0.pid',
    ]);
    expect(unit).toContain('ExecStop=-/usr/sbin/nft delete chain ip lxdeck postrouting_lxdeckbr0');
    expect(unit).not.toContain('delete table');
    expect(unit).toContain('ExecStop=-/usr/sbin/ip link delete dev lxdeckbr0');
  });

  it('without NAT and DHCP only the bridge is made', () => {
    const u = netUnit({ bridge: 'br1', gateway: parseCidr('10.9.0.1/24'), programs: { ip: '/sbin/ip' } });
    expect(u).not.toMatch(/nft|dnsmasq|ip_forward/);
    expect(u).toContain('ExecStart=/sbin/ip address replace 10.9.0.1/24 dev br1');
  });

  it('quotes arguments by systemd.service(5) rules: % doubled, spaces and $ quoted', () => {
    expect(systemdQuote('plain-arg')).toBe('plain-arg');
    expect(systemdQuote('50%')).toBe('50%%');
    expect(systemdQuote('a b')).toBe('"a b"');
    expect(systemdQuote('$HOME')).toBe('"$$HOME"');
    expect(systemdQuote('say "hi"')).toBe('"say \\"hi\\""');
    expect(execLine(['/bin/true', 'x'], true)).toBe('-/bin/true x');
  });

  it('enable uses --root only for another root; the wants link is where systemctl enable puts it', () => {
    expect(netUnitName('lxdeckbr0')).toBe('lxdeck-net-lxdeckbr0.service');
    expect(systemctlEnableArgv('lxdeckbr0', '/')).toEqual(['enable', 'lxdeck-net-lxdeckbr0.service']);
    expect(systemctlEnableArgv('br1', '/tmp/r')).toEqual(['--root=/tmp/r', 'enable', 'lxdeck-net-br1.service']);
    expect(unitWantsLink('/etc/systemd/system', 'lxdeckbr0')).toBe('/etc/systemd/system/multi-user.target.wants/lxdeck-net-lxdeckbr0.service');
  });
});
