/**
 * `lxdeck setup` in a real terminal (tmux), answered as a user would: each
 * step is shown with its commands and asked for; the run ends with a running
 * first container and a summary with undo commands; a second run asks nothing
 * and changes nothing; Ctrl+C at a prompt stops before the step runs.
 * Needs root, LXC and the built binary (npm run build). Test bridge, nft
 * table, root dir and lxcpath are unique and removed afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatCidr, type Cidr } from '../../core/network/ipv4.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';
import { freeTestSubnet } from '../core/setup/free-subnet.js';

const cli = resolve(import.meta.dirname, '../../dist/src/cli.js');
const id = uniq(3);
const bridge = `lxde${id}`;
const bridge2 = `lxdf${id}`;
const table = `lxdeck_e${id}`;
const first = `e2e${id}`;
const env = tempLxcpath([bridge, bridge2]);
const root = mkdtempSync(join(tmpdir(), 'lxdeck-setup-e2e-'));
const pidFile = join(root, 'run/lxdeck', `dnsmasq-${bridge}.pid`);
const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
let subnet: Cidr;
let term: TmuxTerm | undefined;

function command(extra: string[]): string {
  const argv = [process.execPath, cli, '--lxcpath', env.lxcpath, 'setup', '--root', root, '--nft-table', table, ...extra];
  return argv.map(sh).join(' ');
}

/** Answers every `Apply step N (...)? [Y/n]` prompt with `answer` until the command exits; returns the prompts seen. */
async function answerAll(t: TmuxTerm, answer: string, timeoutMs = 90_000): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + timeoutMs;
  while (t.status() === undefined) {
    if (Date.now() > end) throw new Error(`setup did not finish; screen:\n${t.screen()}`);
    const last = t.screen().split('\n').filter((l) => l.trim()).pop() ?? '';
    const m = /Apply step \d \((.+)\)\? \[Y\/n\]\s*$/.exec(last);
    if (m && !seen.includes(m[1])) {
      seen.push(m[1]);
      t.literal(answer);
      t.keys('Enter');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

describe.runIf(RUN_LXC)('e2e: lxdeck setup in a real terminal', () => {
  requireLxc();
  beforeAll(async () => {
    for (const p of ['nft', 'dnsmasq']) expect(spawnSync('which', [p]).status, `${p} is needed (apt-get install nftables dnsmasq-base)`).toBe(0);
    expect(haveTmux(), 'tmux is needed for the terminal tests').toBe(true);
    expect(existsSync(cli), 'dist/ is missing: run npm run build first').toBe(true);
    subnet = await freeTestSubnet();
  });
  afterEach(() => {
    term?.close();
    term = undefined;
  });
  afterAll(() => {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith('dnsmasq')) process.kill(pid, 'SIGTERM');
    } catch {
      /* not started */
    }
    spawnSync('nft', ['delete', 'table', 'ip', table]);
    env.cleanup();
    writeFileSync('/proc/sys/net/ipv4/ip_forward', `${forwardBefore}\n`);
    rmSync(root, { recursive: true, force: true });
    expect(linkExists(bridge)).toBe(false);
    expect(linkExists(bridge2)).toBe(false);
  });

  it('each step is shown and confirmed; the run ends with a RUNNING container and the undo commands', async () => {
    const t = (term = new TmuxTerm());
    subnet = await freeTestSubnet();
    t.start(command(['--bridge', bridge, '--subnet', formatCidr(subnet), '--container', first]), {}, 120, 50);
    const prompts = await answerAll(t, 'y');
    expect(prompts).toEqual([`Bridge ${bridge}`, 'NAT to the uplink (nftables)', 'DHCP for containers (dnsmasq)', `Persistent network (lxdeck-net-${bridge}.service)`, `First container ${first}`]);
    const screen = t.screen();
    expect(t.status(), screen).toBe(0);
    expect(screen).toContain('To undo (in this order):');
    expect(screen).toContain(`lxdeck --lxcpath ${env.lxcpath} destroy --force ${first}`);
    expect(screen).toContain(`ip link delete dev ${bridge}`);
    expect(execFileSync('lxc-info', ['-P', env.lxcpath, '-n', first, '-sH'], { encoding: 'utf8' }).trim()).toBe('RUNNING');
    expect(linkExists(bridge)).toBe(true);
  }, 120_000);

  it('a second run asks nothing and changes nothing', async () => {
    const t = (term = new TmuxTerm());
    t.start(command(['--bridge', bridge, '--container', first]), {}, 120, 50);
    const prompts = await answerAll(t, 'y', 60_000);
    expect(prompts).toEqual([]);
    const screen = t.screen();
    expect(t.status(), screen).toBe(0);
    expect(screen).toContain('Every step is already done: setup changes nothing.');
    expect(screen).not.toMatch(/^\$ /m);
  }, 90_000);

  it('Ctrl+C at a prompt stops before that step runs (exit 1, nothing made)', async () => {
    const t = (term = new TmuxTerm());
    t.start(command(['--bridge', bridge2, '--no-nat', '--no-dhcp', '--no-persist', '--no-container']), {}, 120, 50);
    await t.waitForScreen('the bridge prompt', (s) => s.includes(`Apply step 3 (Bridge ${bridge2})? [Y/n]`), 30_000);
    t.keys('C-c');
    const status = await t.waitForExit(15_000);
    expect(status, t.screen()).toBe(1);
    expect(t.screen()).toMatch(/Bridge .*: not reached/);
    expect(linkExists(bridge2)).toBe(false);
  }, 60_000);
});
