/**
 * `lxdeck setup` through the built binary (dist/, npm run build), stdin not a
 * terminal: --dry-run changes nothing, no --yes refuses, an overlapping
 * --subnet is refused naming the route, and --yes --json applies then a
 * second run has nothing to do. Test bridge, nft table, root and lxcpath are
 * unique and removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../core/exec/runner.js';
import { formatCidr, formatIpv4, networkOf, type Cidr } from '../../core/network/ipv4.js';
import { readRoutes } from '../../core/setup/index.js';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { freeTestSubnet } from '../core/setup/free-subnet.js';

const id = uniq(3);
const bridge = `lxdc${id}s`;
const table = `lxdeck_c${id}`;
const env = tempLxcpath([bridge]);
const root = mkdtempSync(join(tmpdir(), 'lxdeck-setupcli-root-'));
const pidFile = join(root, 'run/lxdeck', `dnsmasq-${bridge}.pid`);
const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
let subnet: Cidr;

const base = () => ['--lxcpath', env.lxcpath, 'setup', '--bridge', bridge, '--subnet', formatCidr(subnet), '--root', root, '--nft-table', table, '--no-container'];
const tableExists = () => spawnSync('nft', ['list', 'table', 'ip', table]).status === 0;

describe.runIf(RUN_LXC)('integration: lxdeck setup (CLI, not a terminal)', () => {
  requireLxc();
  beforeAll(async () => {
    for (const p of ['nft', 'dnsmasq']) expect(spawnSync('which', [p]).status, `${p} is needed (apt-get install nftables dnsmasq-base)`).toBe(0);
    subnet = await freeTestSubnet();
  });
  afterAll(() => {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('dnsmasq') || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('/dnsmasq\0')) process.kill(pid, 'SIGTERM');
    } catch {
      /* not started */
    }
    spawnSync('nft', ['delete', 'table', 'ip', table]);
    env.cleanup();
    writeFileSync('/proc/sys/net/ipv4/ip_forward', `${forwardBefore}\n`);
    rmSync(root, { recursive: true, force: true });
    expect(linkExists(bridge)).toBe(false);
    expect(tableExists()).toBe(false);
  });

  it('--dry-run prints every command and changes nothing', () => {
    const r = runCli([...base(), '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`$ ip link add name ${bridge} type bridge`);
    expect(r.stdout).toContain(`$ nft -f - <<'EOF'`);
    expect(r.stdout).toMatch(/\$ dnsmasq .*--interface=/);
    expect(r.stdout).toContain('(dry run: nothing was changed)');
    // the steps are numbered 1..N as printed, and the count names the ones that would run
    const numbers = r.stdout.split('\n').filter((l) => /^\d+\. \[/.test(l)).map((l) => Number(l.split('.')[0]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    const todo = r.stdout.split('\n').filter((l) => /^\d+\. \[todo\]/.test(l)).map((l) => l.split('.')[0]);
    expect(r.stdout).toContain(`${todo.length} step(s) to apply: ${todo.join(', ')}.`);
    expect(linkExists(bridge)).toBe(false);
    expect(tableExists()).toBe(false);
    expect(readdirSync(root)).toEqual([]);
    const j = runCli([...base(), '--dry-run', '--json']);
    const doc = JSON.parse(j.stdout) as { dryRun: boolean; plan: { steps: { id: string; status: string; actions: { display: string }[] }[] } };
    expect(doc.dryRun).toBe(true);
    expect(doc.plan.steps.find((s) => s.id === 'bridge')!.actions.map((a) => a.display)).toEqual([
      `ip link add name ${bridge} type bridge`,
      `ip address add ${formatIpv4(subnet.addr + 1)}/24 dev ${bridge}`,
      `ip link set dev ${bridge} up`,
    ]);
    expect(linkExists(bridge)).toBe(false);
  });

  it('without --yes and without a terminal, setup refuses to change the host (exit 2)', () => {
    const r = runCli(base());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/stdin is not a terminal/);
    expect(r.stderr).toMatch(/hint: .*--yes/);
    expect(linkExists(bridge)).toBe(false);
  });

  it('a --subnet overlapping a route is refused with the route named (exit 1); a bad bridge name with exit 2', async () => {
    const routes = await readRoutes(new ExecaRunner());
    const taken = routes.find((x) => x.dst.prefix >= 8 && x.dst.prefix <= 30 && x.text.includes(' dev '))!;
    const net = `${formatIpv4(networkOf(taken.dst))}/${taken.dst.prefix}`;
    const r = runCli(['--lxcpath', env.lxcpath, 'setup', '--bridge', bridge, '--subnet', net, '--root', root, '--nft-table', table, '--dry-run']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`overlaps the route ${taken.text}`);
    const b = runCli(['setup', '--bridge', 'a-very-long-bridge-name', '--dry-run']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/at most 15 bytes/);
  });

  it('--yes --json applies every step; a second run has nothing to do and says so', async () => {
    subnet = await freeTestSubnet(); // picked again just before use
    const r = runCli([...base(), '--yes', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { result: { ok: boolean; steps: { id: string; outcome: string }[] }; summary: { undo: { commands: string[] }[] } };
    expect(doc.result.ok).toBe(true);
    expect(Object.fromEntries(doc.result.steps.map((s) => [s.id, s.outcome]))).toMatchObject({ bridge: 'applied', nat: 'applied', dhcp: 'applied', persist: 'applied', container: 'skipped' });
    expect(doc.summary.undo.flatMap((u) => u.commands)).toContain(`ip link delete dev ${bridge}`);
    // live command lines went to stderr, the JSON alone to stdout
    expect(r.stderr).toContain(`$ ip link add name ${bridge} type bridge`);
    expect(linkExists(bridge)).toBe(true);
    expect(tableExists()).toBe(true);
    expect(existsSync(join(root, `etc/systemd/system/lxdeck-net-${bridge}.service`))).toBe(true);

    const again = runCli(base()); // no --yes needed: nothing to confirm
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('Every step is already done: setup changes nothing.');
    expect(again.stdout).not.toContain('$ ');
    expect(again.stdout).toMatch(/Bridge .*: already in place/);
  });
});
