/**
 * The console's first-time setup in a real terminal (tmux, 80x24), the built
 * binary against real LXC, as root: the list offers setup (no bridge, no
 * container), S opens it; the report; packages (nothing missing here: nft
 * and dnsmasq are required); the network form where a subnet overlapping a
 * real route of this host is refused with the route named, then a free test
 * subnet picked from the routing table; bridge, NAT, DHCP, persistence and
 * the first container each shown with its commands and confirmed; a RUNNING
 * container, the bridge, the nft table and dnsmasq really there; the summary
 * with the undo commands; setup opened again says every step is done and
 * changes nothing.
 *
 * Isolation: a temporary lxcpath, a unique bridge (10 bytes), a unique nft
 * table (LXDECK_NFT_TABLE), the unit/nft/pid/lease files under a temporary
 * root (LXDECK_SETUP_ROOT); all removed in afterAll even when a test fails,
 * and ip_forward put back. Needs root, LXC, tmux, nft, dnsmasq and the built
 * binary (npx tsc -p tsconfig.json); under CI=true a host without them FAILS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../core/exec/runner.js';
import { formatCidr, formatIpv4, networkOf, type Cidr } from '../../core/network/ipv4.js';
import { readRoutes, type RouteEntry } from '../../core/setup/index.js';
import { CLI } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { freeTestSubnet } from '../core/setup/free-subnet.js';
import { TmuxTerm, delay, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const bridge = `lxds${id}`; // 10 bytes, within IFNAMSIZ
const table = `lxdeck_s${id}`;
const name = `set${id}`;
const env = tempLxcpath([bridge]);
const root = mkdtempSync(join(tmpdir(), 'lxdeck-console-setup-'));
const logDir = mkdtempSync(join(tmpdir(), 'lxdeck-setuplog-'));
const pidFile = join(root, 'run/lxdeck', `dnsmasq-${bridge}.pid`);
const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
const consoleEnv = {
  LXDECK_LXCPATH: env.lxcpath,
  LXDECK_BRIDGE: bridge,
  LXDECK_SETUP_ROOT: root,
  LXDECK_NFT_TABLE: table,
  LXDECK_LOG: join(logDir, 'actions.log'),
};

/** The screen as one line, blanks collapsed: a command wrapped at 80 columns reads whole. */
const flat = (s: string): string => s.replace(/\s+/g, ' ');

function lxcState(): string {
  try {
    return execFileSync('lxc-info', ['-P', env.lxcpath, '-n', name, '-sH'], { encoding: 'utf8' }).trim();
  } catch {
    return 'GONE';
  }
}

function dnsmasqPid(): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith('dnsmasq') ? pid : null;
  } catch {
    return null;
  }
}

describe.runIf(RUN_LXC)('e2e: first-time setup in the console, real terminal, real LXC', () => {
  requireLxc();
  let term: TmuxTerm | undefined;
  let subnet: Cidr;
  let routed: RouteEntry | undefined;

  beforeAll(async () => {
    for (const p of ['nft', 'dnsmasq']) expect(spawnSync('which', [p]).status, `${p} is needed (apt-get install nftables dnsmasq-base)`).toBe(0);
    expect(haveTmux(), 'tmux is needed for the terminal tests').toBe(true);
    expect(existsSync(CLI), 'dist/ is missing: build first (npx tsc -p tsconfig.json)').toBe(true);
    // a real route of this host (main table, a network) for the refusal
    routed = (await readRoutes(new ExecaRunner())).find((r) => !/^[a-z]+ /.test(r.text) && r.dst.prefix >= 8 && r.dst.prefix <= 30);
  });

  afterAll(() => {
    term?.close();
    const pid = dnsmasqPid();
    if (pid) process.kill(pid, 'SIGTERM');
    spawnSync('nft', ['delete', 'table', 'ip', table]);
    env.cleanup();
    writeFileSync('/proc/sys/net/ipv4/ip_forward', `${forwardBefore}\n`);
    rmSync(root, { recursive: true, force: true });
    rmSync(logDir, { recursive: true, force: true });
    expect(linkExists(bridge)).toBe(false);
  });

  it('S from the list walks report → packages → network (overlap refused) → each step confirmed → RUNNING container → summary with undo; again: nothing to do', { timeout: 240_000 }, async () => {
    const t = (term = new TmuxTerm());
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, consoleEnv, 80, 24);
    const step = async (keys: string[], what: string, ok: (s: string) => boolean, ms = 15_000): Promise<string> => {
      if (keys.length) t.keys(...keys);
      const s = await t.waitForScreen(what, (x) => ok(flat(x)), ms);
      await delay(150);
      return flat(s);
    };

    let s = await step([], 'the offer on the list', (x) => x.includes('press S for the first-time setup'), 30_000);
    expect(s).toContain(`no bridge ${bridge} and no container yet`);

    s = await step(['S'], 'the report', (x) => x.includes('step 1 of 7: Host report') && x.includes('What setup does'), 60_000);
    expect(s).toMatch(/\d+ error\(s\), \d+ warning\(s\)/);

    // packages: nothing is missing on a host with nft and dnsmasq; decline anything else (no downloads in tests)
    s = await step(['Enter'], 'the packages step', (x) => x.includes('step 2 of 7: Packages') && (x.includes('Apply step 2') || x.includes('Enter: go on to the network')), 30_000);
    if (s.includes('Apply step 2')) s = await step(['n'], 'packages declined', (x) => x.includes('Enter: go on to the network'));

    s = await step(['Enter'], 'the network form', (x) => x.includes('steps 3-6 of 7: Network') && x.includes('IPv4 subnet'));
    expect(s).toContain(`bridge ${bridge}`);
    const erase = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) t.keys('BSpace');
      await delay(200);
    };
    t.keys('Down');
    await erase();
    if (routed) {
      const cidr = `${formatIpv4(networkOf(routed.dst))}/${routed.dst.prefix}`;
      t.literal(cidr);
      await step([], 'the live check', (x) => x.includes('overlaps the route'));
      s = await step(['Enter'], 'the refusal', (x) => x.includes(`overlaps the route ${routed!.text} already on this host`));
      expect(s).toContain('steps 3-6 of 7: Network');
      expect(linkExists(bridge)).toBe(false);
      await erase();
    }
    subnet = await freeTestSubnet();
    t.literal(formatCidr(subnet));
    await step([], 'a free subnet', (x) => x.includes(`no route of this host overlaps ${formatCidr(subnet)}`));
    // the first container's name
    t.keys('Down', 'Down', 'Down', 'Down');
    await erase();
    t.literal(name);
    await step([], 'the name typed', (x) => x.includes(`first container ${name}`));

    const gw = `${formatIpv4((subnet.addr + 1) >>> 0)}/${subnet.prefix}`;
    s = await step(['Enter'], 'the bridge question', (x) => x.includes(`Apply step 3 (Bridge ${bridge})?`), 30_000);
    expect(s).toContain(`$ ip link add name ${bridge} type bridge`);
    expect(s).toContain(`$ ip address add ${gw} dev ${bridge}`);
    expect(linkExists(bridge), 'nothing runs before the answer').toBe(false);

    // answer y to every question until the steps end
    const asked: string[] = [];
    const end = Date.now() + 120_000;
    for (;;) {
      const x = flat(t.screen());
      if (x.includes('Enter: the summary')) break;
      if (x.includes('Setup stopped here')) throw new Error(`a step failed:\n${t.screen()}`);
      const m = /Apply step \d \((.+?)\)\? It changes this host: only y applies it/.exec(x);
      if (m && !asked.includes(m[1])) {
        asked.push(m[1]);
        t.keys('y');
      }
      if (Date.now() > end) throw new Error(`the steps did not end; screen:\n${t.screen()}`);
      await delay(100);
    }
    expect(asked).toEqual([`Bridge ${bridge}`, 'NAT to the uplink (nftables)', 'DHCP for containers (dnsmasq)', `Persistent network (lxdeck-net-${bridge}.service)`, `First container ${name}`]);
    expect(flat(t.screen())).toContain(`${name} is RUNNING`);
    expect(lxcState()).toBe('RUNNING');
    expect(linkExists(bridge)).toBe(true);
    expect(execFileSync('ip', ['-4', '-o', 'address', 'show', 'dev', bridge], { encoding: 'utf8' })).toContain(gw);
    expect(execFileSync('nft', ['list', 'table', 'ip', table], { encoding: 'utf8' })).toContain(`oifname != "${bridge}" masquerade`);
    expect(dnsmasqPid()).not.toBeNull();
    expect(readFileSync(join(root, `etc/systemd/system/lxdeck-net-${bridge}.service`), 'utf8')).toContain(bridge);

    s = await step(['Enter'], 'the summary', (x) => x.includes('Summary') && x.includes('To undo (in this order):'));
    expect(s).toContain('Setup is done.');
    expect(s).toContain('To undo (in this order):');
    expect(s).toContain(`destroy --force ${name}`);
    s = await step(['PageDown'], 'the end of the undo list', (x) => x.includes(`ip link delete dev ${bridge}`));
    expect(s).toContain(`nft delete chain ip ${table} postrouting_${bridge}`);

    s = await step(['Enter'], 'the list with the container', (x) => x.includes('first-time setup done') && new RegExp(`› ${name} RUNNING`).test(x), 30_000);

    // again: every step is in place, nothing is asked or run
    s = await step(['S'], 'the report again', (x) => x.includes('What setup does'), 60_000);
    expect(s).toContain('Every step is already done: setup changes nothing.');
    expect(s).not.toContain('[todo]');
    s = await step(['Enter'], 'the summary again', (x) => x.includes('Summary') && x.includes('setup changed nothing'));
    expect(s).toContain('Every step is already done: setup changed nothing.');
    s = await step(['Escape'], 'the list again', (x) => x.includes('every step was already done, nothing changed'));
    expect(lxcState()).toBe('RUNNING');

    t.keys('q');
    expect(await t.waitForExit(15_000)).toBe(0);
  });
});
