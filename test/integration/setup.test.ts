/**
 * The first-time setup for real on this host (issue 5, step 3): a test bridge
 * and a subnet chosen from the routing table, lxdeck's NAT table under a
 * unique name, dnsmasq bound to the test bridge, the unit file in a temporary
 * root, containers in a temporary lxcpath. Traffic goes only to addresses the
 * test itself made (a network namespace behind a veth pair as the "uplink").
 * Everything is removed in afterAll, even when a test fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner, RecordingRunner } from '../../core/exec/runner.js';
import { HostFs } from '../../core/host/host-fs.js';
import { formatCidr, formatIpv4, networkOf, parseIpv4, type Cidr } from '../../core/network/ipv4.js';
import { applySetup, formatPlan, planSetup, readRoutes, summarizeSetup, type SetupDeps, type SetupLine, type SetupOptions } from '../../core/setup/index.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { freeTestSubnet } from '../core/setup/free-subnet.js';
import { CLI } from '../helpers/cli.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxds${id}`;
const table = `lxdeck_t${id}`;
const first = `st${id}`;
const dhcpCt = `dh${id}`;
const netns = `lxdn${id}`;
const uplinkHost = `lxdu${id}`;
const uplinkNs = `lxdv${id}`;
const env = tempLxcpath([bridge]);
const root = mkdtempSync(join(tmpdir(), 'lxdeck-setup-root-'));
const pidFile = join(root, 'run/lxdeck', `dnsmasq-${bridge}.pid`);
const leaseFile = join(root, 'var/lib/lxdeck', `dnsmasq-${bridge}.leases`);
const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();

function sh(file: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
function attach(name: string, argv: string[]): { status: number; out: string } {
  return sh('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', ...argv]);
}
function dnsmasqPid(): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0.endsWith('dnsmasq') ? pid : null;
  } catch {
    return null;
  }
}
function nftTable(): { status: number; json: string } {
  const r = spawnSync('nft', ['-j', 'list', 'table', 'ip', table], { encoding: 'utf8' });
  return { status: r.status ?? -1, json: r.stdout };
}

let subnet: Cidr;
let uplink: Cidr;
const runner = new ExecaRunner();
const engine = localEngine({ lxcpath: env.lxcpath, bridge, runner });
const deps: SetupDeps = { runner, fs: new HostFs('/'), engine, root };
const opts = (): SetupOptions => ({ bridge, subnet: formatCidr(subnet), natTable: table, container: first });

describe.runIf(RUN_LXC)('integration: lxdeck setup on this host', () => {
  requireLxc();
  beforeAll(async () => {
    for (const p of ['nft', 'dnsmasq']) expect(spawnSync('which', [p]).status, `${p} is needed (apt-get install nftables dnsmasq-base)`).toBe(0);
    subnet = await freeTestSubnet();
    uplink = await freeTestSubnet([subnet]);
  });
  afterAll(() => {
    const pid = dnsmasqPid();
    if (pid) process.kill(pid, 'SIGTERM');
    spawnSync('nft', ['delete', 'table', 'ip', table]);
    spawnSync('ip', ['netns', 'delete', netns]);
    spawnSync('ip', ['link', 'delete', 'dev', uplinkHost]);
    env.cleanup();
    writeFileSync('/proc/sys/net/ipv4/ip_forward', `${forwardBefore}\n`);
    rmSync(root, { recursive: true, force: true });
    expect(linkExists(bridge)).toBe(false);
    expect(nftTable().status).not.toBe(0);
    if (pid) expect(existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(bridge)).toBe(false);
  });

  it('a subnet that overlaps a route of this host is refused, naming the route; nothing is made', async () => {
    const routes = await readRoutes(runner);
    const taken = routes.find((r) => r.dst.prefix >= 8 && r.dst.prefix <= 30 && r.text.includes(' dev '))!;
    expect(taken, 'this host has at least one connected route').toBeDefined();
    const net = `${formatIpv4(networkOf(taken.dst))}/${taken.dst.prefix}`;
    await expect(planSetup(deps, { ...opts(), subnet: net })).rejects.toThrow(new RegExp(`overlaps the route ${taken.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(linkExists(bridge)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });

  it('planning alone (what --dry-run prints) changes nothing and shows every command', async () => {
    const plan = await planSetup(deps, opts());
    const text = formatPlan(plan);
    expect(text).toContain(`$ ip link add name ${bridge} type bridge`);
    expect(text).toContain(`$ ip address add ${formatIpv4(subnet.addr + 1)}/24 dev ${bridge}`);
    expect(text).toContain(`ip saddr ${formatCidr(subnet)} oifname != "${bridge}" masquerade`);
    expect(text).toMatch(/\$ dnsmasq .*--interface=/);
    expect(text).toContain(`$ lxdeck --lxcpath ${env.lxcpath} create ${first} --template busybox --bridge ${bridge}`);
    expect(plan.nothingToDo).toBe(false);
    expect(linkExists(bridge)).toBe(false);
    expect(nftTable().status).not.toBe(0);
    expect(readdirSync(root)).toEqual([]);
    expect(existsSync(join(env.lxcpath, first))).toBe(false);
  });

  it('setup makes the bridge, the NAT table, dnsmasq on the bridge, the unit file and a RUNNING first container', async () => {
    const plan = await planSetup(deps, opts());
    expect(plan.steps.find((s) => s.id === 'packages')!.status).toBe('done'); // lxc, busybox-static, nftables, dnsmasq-base are installed here
    const lines: SetupLine[] = [];
    const result = await applySetup(deps, plan, { onLine: (l) => lines.push(l) });
    expect(result.steps.filter((s) => s.outcome === 'failed')).toEqual([]);
    expect(result.ok).toBe(true);
    // the exact commands were shown as they ran
    expect(lines.filter((l) => l.stream === 'command').map((l) => l.line)).toContain(`ip link add name ${bridge} type bridge`);

    const addr = JSON.parse(execFileSync('ip', ['-j', '-4', 'address', 'show', 'dev', bridge], { encoding: 'utf8' })) as { addr_info: { local: string; prefixlen: number }[]; flags: string[] }[];
    expect(addr[0].addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual([`${formatIpv4(subnet.addr + 1)}/24`]);
    expect(addr[0].flags).toContain('UP');

    const t = nftTable();
    expect(t.status).toBe(0);
    const rules = (JSON.parse(t.json) as { nftables: { rule?: { chain: string; expr: Record<string, unknown>[] } }[] }).nftables.filter((x) => x.rule).map((x) => x.rule!);
    expect(rules).toHaveLength(1);
    expect(rules[0].expr.some((e) => 'masquerade' in e)).toBe(true);
    expect(JSON.stringify(rules[0].expr)).toContain(`"addr":"${formatIpv4(subnet.addr)}","len":24`);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('1');

    const pid = dnsmasqPid();
    expect(pid).not.toBeNull();
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toEqual(expect.arrayContaining([`--interface=${bridge}`, '--bind-interfaces', '--except-interface=lo']));

    const unit = readFileSync(join(root, `etc/systemd/system/lxdeck-net-${bridge}.service`), 'utf8');
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toContain(`address replace ${formatIpv4(subnet.addr + 1)}/24 dev ${bridge}`);
    expect(readFileSync(join(root, `etc/lxdeck/net-${bridge}.nft`), 'utf8')).toContain(`table ip ${table} {`);
    // systemd is not PID 1 here: the unit is written, not enabled, and the plan said so
    const comm = readFileSync('/proc/1/comm', 'utf8').trim();
    if (comm !== 'systemd') {
      expect(plan.steps.find((s) => s.id === 'persist')!.detail.join('\n')).toMatch(/systemd is not PID 1 here/);
      expect(existsSync(join(root, 'etc/systemd/system/multi-user.target.wants'))).toBe(false);
    }

    expect((await engine.info(first)).state).toBe('RUNNING');

    const sum = summarizeSetup(plan, result);
    const undo = sum.undo.flatMap((u) => u.commands);
    expect(undo).toEqual(expect.arrayContaining([`ip link delete dev ${bridge}`, `nft delete chain ip ${table} postrouting_${bridge}`, `lxdeck --lxcpath ${env.lxcpath} destroy --force ${first}`]));
    expect(undo.some((c) => c.startsWith('rm -f ') && c.endsWith(`lxdeck-net-${bridge}.service`))).toBe(true);
  }, 120_000);

  it('a second run changes nothing: every step is already done and no command runs while applying', async () => {
    const rec = new RecordingRunner(undefined, runner);
    const d2: SetupDeps = { ...deps, runner: rec, engine: localEngine({ lxcpath: env.lxcpath, bridge, runner: rec }) };
    const plan = await planSetup(d2, opts());
    expect(plan.steps.map((s) => [s.id, s.status])).toEqual([
      ['report', 'done'],
      ['packages', 'done'],
      ['bridge', 'done'],
      ['nat', 'done'],
      ['dhcp', 'done'],
      ['persist', 'done'],
      ['container', 'done'],
    ]);
    expect(plan.nothingToDo).toBe(true);
    expect(formatPlan(plan)).toContain('Every step is already done: setup changes nothing.');
    // planning only read: ip -j, nft -j list, lxc-start --version, lxc-info, vgs (checkconfig's lvm finding, where lvm2 is installed)
    for (const c of rec.calls) {
      const line = [c.file, ...c.args].join(' ');
      expect(line).toMatch(/^(ip -j |nft -j list table |lxc-start --version|lxc-info |vgs --noheadings )/);
    }
    const before = rec.calls.length;
    const result = await applySetup(d2, plan, { confirm: () => { throw new Error('nothing should need confirming'); } });
    expect(rec.calls.length).toBe(before);
    expect(result.steps.every((s) => s.outcome === 'already-done')).toBe(true);
    expect(dnsmasqPid()).not.toBeNull();
  }, 60_000);

  it('DHCP works: a container without a static address gets one from the pool via udhcpc', async () => {
    const info = await engine.create(dhcpCt, { bridge, dhcp: true, start: true });
    expect(info.net[0].ipv4).toEqual([]);
    const rootfs = (info.rootfs ?? join(env.lxcpath, dhcpCt, 'rootfs')).replace(/^dir:/, '');
    // the busybox rootfs has udhcpc but no default.script: write one for this test only
    mkdirSync(join(rootfs, 'usr/share/udhcpc'), { recursive: true });
    writeFileSync(
      join(rootfs, 'usr/share/udhcpc/default.script'),
      '#!/bin/sh\ncase "$1" in\n  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface" ;;\n  deconfig) ip addr flush dev "$interface" ;;\nesac\n',
      { mode: 0o755 },
    );
    const r = attach(dhcpCt, ['/bin/busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-t', '5', '-s', '/usr/share/udhcpc/default.script']);
    expect(r.status, r.out).toBe(0);
    const shown = attach(dhcpCt, ['/bin/busybox', 'ip', '-4', 'addr', 'show', 'dev', 'eth0']).out;
    const m = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(shown);
    expect(m, shown).not.toBeNull();
    const got = parseIpv4(m![1]);
    expect(m![2]).toBe('24');
    expect(networkOf({ addr: got, prefix: 24 })).toBe(subnet.addr);
    expect(got & 255).toBeGreaterThanOrEqual(128);
    expect(got & 255).toBeLessThanOrEqual(254);
    const hwaddr = info.net[0].hwaddr!;
    expect(readFileSync(leaseFile, 'utf8')).toMatch(new RegExp(`${hwaddr} ${m![1]} `));
  }, 90_000);

  it('NAT: the container reaches an address outside the bridge only through masquerading (the far side has no route back)', async () => {
    // the "uplink": a network namespace behind a veth pair, with its own subnet and no route to the container subnet
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['link', 'add', 'name', uplinkHost, 'type', 'veth', 'peer', 'name', uplinkNs]);
    execFileSync('ip', ['link', 'set', 'dev', uplinkNs, 'netns', netns]);
    const hostSide = formatIpv4(uplink.addr + 1);
    const far = formatIpv4(uplink.addr + 2);
    execFileSync('ip', ['address', 'add', `${hostSide}/24`, 'dev', uplinkHost]);
    execFileSync('ip', ['link', 'set', 'dev', uplinkHost, 'up']);
    execFileSync('ip', ['-n', netns, 'address', 'add', `${far}/24`, 'dev', uplinkNs]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'dev', uplinkNs, 'up']);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'dev', 'lo', 'up']);
    const nsRoutes = execFileSync('ip', ['-n', netns, '-4', 'route', 'show'], { encoding: 'utf8' });
    expect(nsRoutes).not.toMatch(/default|10\.\d+\.\d+\.0\/24 via/);
    expect(nsRoutes).not.toContain(formatCidr(subnet));

    const ctAddr = (await engine.info(first)).ipv4[0];
    expect(ctAddr).toBeDefined();
    const ping = () => attach(first, ['/bin/busybox', 'ping', '-c', '2', '-W', '2', far]);
    let r = ping();
    expect(r.status, r.out).toBe(0);
    // the host's conntrack shows the translation: the reply comes back to the uplink address, not the container
    const ct = readFileSync('/proc/net/nf_conntrack', 'utf8').split('\n').filter((l) => l.includes(`src=${ctAddr} dst=${far}`));
    expect(ct.some((l) => l.includes(`src=${far} dst=${hostSide}`)), ct.join('\n')).toBe(true);

    // without lxdeck's table the same ping gets no reply: the far side cannot route back to the container subnet
    execFileSync('nft', ['delete', 'table', 'ip', table]);
    r = ping();
    expect(r.status).not.toBe(0);

    // a new setup run puts back exactly the NAT step, and only that
    const plan = await planSetup(deps, opts());
    expect(plan.steps.filter((s) => s.status === 'todo').map((s) => s.id)).toEqual(['nat']);
    const result = await applySetup(deps, plan);
    expect(result.ok).toBe(true);
    r = ping();
    expect(r.status, r.out).toBe(0);

    // the uplink veth is not a bridge: setup refuses to take it over (and masquerade its subnet)
    await expect(planSetup(deps, { ...opts(), bridge: uplinkHost, subnet: undefined })).rejects.toThrow(`${uplinkHost} exists and is a veth link, not a bridge`);
  }, 90_000);

  it('after a simulated reboot (bridge, table and dnsmasq gone), the unit\'s ExecStart lines bring all of it back as setup left it', async () => {
    const oldPid = dnsmasqPid()!;
    process.kill(oldPid, 'SIGTERM');
    execFileSync('nft', ['delete', 'table', 'ip', table]);
    execFileSync('ip', ['link', 'delete', 'dev', bridge]);
    for (let i = 0; i < 50 && dnsmasqPid() === oldPid; i++) await new Promise((r) => setTimeout(r, 100));
    const down = await planSetup(deps, opts());
    expect(down.steps.filter((s) => s.status === 'todo').map((s) => s.id)).toEqual(['bridge', 'nat', 'dhcp']);

    // what systemd does at boot: each ExecStart= in order, a failure ignored only with the '-' prefix
    const unit = readFileSync(join(root, `etc/systemd/system/lxdeck-net-${bridge}.service`), 'utf8');
    for (const line of unit.split('\n').filter((l) => l.startsWith('ExecStart='))) {
      const ignore = line.startsWith('ExecStart=-');
      const [file, ...args] = line.slice(ignore ? 11 : 10).split(' ');
      const r = sh(file, args);
      if (!ignore) expect(r.status, `${line}\n${r.out}`).toBe(0);
    }
    const up = await planSetup(deps, opts());
    expect(up.steps.filter((s) => s.status === 'todo').map((s) => s.id)).toEqual([]);
    expect(up.nothingToDo).toBe(true);
  }, 60_000);

  it("the unit's ExecStop lines stop dnsmasq and remove its pid file; every undo command of the summary removes all setup made", async () => {
    const plan = await planSetup(deps, opts());
    expect(plan.nothingToDo).toBe(true);
    const unit = readFileSync(join(root, `etc/systemd/system/lxdeck-net-${bridge}.service`), 'utf8');
    const pid = dnsmasqPid()!;
    expect(pid).not.toBeNull();
    for (const line of unit.split('\n').filter((l) => l.startsWith('ExecStop=') && /pkill|rm /.test(l))) {
      const [file, ...args] = line.slice('ExecStop=-'.length).split(' ');
      sh(file, args);
    }
    for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
    // dnsmasq again, as setup left it, then the summary's undo commands, in order (the lxdeck one through the built binary)
    const again = await planSetup(deps, opts());
    expect((await applySetup(deps, again)).ok).toBe(true);
    expect(dnsmasqPid()).not.toBeNull();
    const undo = summarizeSetup(plan, { ok: true, steps: plan.steps.map((s) => ({ id: s.id, outcome: 'already-done' as const })) } as never).undo.flatMap((u) => u.commands);
    const record = join(process.env.LXDECK_STATE_DIR!, 'bridges', `${bridge}.json`);
    expect(existsSync(record)).toBe(true);
    expect(undo).toContain(`rm -f ${record}`);
    for (const c of undo) {
      if (c.startsWith('sysctl ')) continue; // the host's forwarding is put back by afterAll
      const r = sh('sh', ['-c', c.replace(/^lxdeck /, `${process.execPath} ${CLI} `)]);
      expect(r.status, `${c}\n${r.out}`).toBe(0);
    }
    for (let i = 0; i < 50 && dnsmasqPid() !== null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(dnsmasqPid()).toBeNull();
    expect(linkExists(bridge)).toBe(false);
    expect(nftTable().json).not.toContain(`postrouting_${bridge}`);
    for (const f of [record, pidFile, leaseFile, join(root, `etc/systemd/system/lxdeck-net-${bridge}.service`), join(root, `etc/lxdeck/net-${bridge}.nft`)]) expect(existsSync(f), f).toBe(false);
    expect(readdirSync(env.lxcpath).filter((n) => !n.startsWith('.') && existsSync(join(env.lxcpath, n, 'config')))).not.toContain(first);
  }, 90_000);
});
