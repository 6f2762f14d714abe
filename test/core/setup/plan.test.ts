/**
 * planSetup / applySetup against checkconfig fixture trees and a fake runner:
 * which packages per distribution, the subnet from the routing table, refusal
 * of an overlapping subnet, systemd or not, and how apply walks the steps
 * (live lines, confirmation, failure, summary order). No root needed.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LxdeckError } from '../../../core/errors.js';
import type { RunOptions, RunResult, Runner } from '../../../core/exec/runner.js';
import { HostFs } from '../../../core/host/host-fs.js';
import { applySetup, formatPlan, planCountLine, planSetup, stepsToApply, resolveSetupOptions, setupSuggestion, summarizeSetup, type SetupDeps } from '../../../core/setup/index.js';
import type { ContainerInfo, CreateOptions } from '../../../core/types.js';
import { fixtureTree } from '../checkconfig/fixtures.js';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'lxdeck-setup-unit-'));
  temps.push(d);
  return d;
}

const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth9' },
  { dst: '10.0.3.0/24', dev: 'eth9', protocol: 'kernel' },
  { type: 'local', dst: '10.0.3.7', dev: 'eth9', table: 'local' },
]);

/** A runner that answers like a host without the bridge and the nft table, records argv, and streams two lines for package installs. */
class FakeRunner implements Runner {
  calls: { argv: string[]; opts: RunOptions }[] = [];
  fail = new Set<string>();
  async run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const argv = [file, ...args];
    this.calls.push({ argv, opts });
    const res = (exitCode: number, stdout = '', stderr = ''): RunResult => ({ argv, exitCode, stdout, stderr, timedOut: false, durationMs: 1 });
    const line = argv.join(' ');
    if ([...this.fail].some((f) => line.startsWith(f))) return res(1, '', `${file}: simulated failure`);
    if (file === 'lxc-start') return res(0, '5.0.2\n');
    if (line.startsWith('ip -j -d link show')) return res(1, '', 'Device "x" does not exist.');
    if (line.startsWith('ip -j -4 route show')) return res(0, ROUTES);
    if (line.startsWith('nft -j list')) return res(1, '', 'Error: No such file or directory');
    if (file === 'apt-get' || file === 'zypper') {
      opts.onLine?.('Reading package lists...', 'stdout');
      opts.onLine?.('Setting up busybox-static', 'stdout');
    }
    return res(0);
  }
}

function fakeEngine(lxcpath: string) {
  const made: string[] = [];
  return {
    made,
    lxcpath,
    async info(name: string): Promise<ContainerInfo> {
      throw new LxdeckError('E_NOT_FOUND', `no container named ${name}`);
    },
    async create(name: string, opts?: CreateOptions): Promise<ContainerInfo> {
      made.push(`create ${name} ${opts?.template} ${opts?.bridge}`);
      opts?.onProgress?.({ phase: 'rootfs', line: 'linking 400 applets' });
      return {} as ContainerInfo;
    },
    async start(name: string): Promise<void> {
      made.push(`start ${name}`);
    },
  };
}

function depsFor(tree: string, runner = new FakeRunner()) {
  const { root: fsRoot } = fixtureTree(tree);
  const root = tempRoot();
  const engine = fakeEngine(join(root, 'lxc'));
  const deps: SetupDeps = { runner, fs: new HostFs(fsRoot), engine, root };
  return { deps, runner, engine, fsRoot, root };
}

describe('setup options', () => {
  it('defaults: lxdeckbr0, NAT, DHCP, persistence, a busybox container named first, table lxdeck', () => {
    expect(resolveSetupOptions()).toEqual({ bridge: 'lxdeckbr0', subnet: null, nat: true, dhcp: true, persist: true, install: true, container: 'first', template: 'busybox', natTable: 'lxdeck' });
  });
  it('refuses a bridge past IFNAMSIZ, a subnet without prefix or outside /8../30, a bad container name', () => {
    expect(() => resolveSetupOptions({ bridge: 'sixteen-bytes-br' })).toThrow(/at most 15 bytes/);
    expect(() => resolveSetupOptions({ subnet: '10.0.3.0' })).toThrow(/needs a prefix/);
    expect(() => resolveSetupOptions({ subnet: '10.0.3.0/31' })).toThrow(/\/8 to \/30/);
    expect(() => resolveSetupOptions({ container: '../x' })).toThrow();
    expect(resolveSetupOptions({ container: false }).container).toBeNull();
  });
});

describe('planSetup on fixture hosts', () => {
  it('Debian without veth and busybox: apt-get update, then install busybox-static, dnsmasq-base and nftables; veth named as not fixable by a package', async () => {
    const { deps } = depsFor('no-veth');
    const plan = await planSetup(deps);
    const pk = plan.steps.find((s) => s.id === 'packages')!;
    expect(pk.status).toBe('todo');
    expect(pk.actions.map((a) => a.display)).toEqual(['DEBIAN_FRONTEND=noninteractive apt-get update', 'DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static dnsmasq-base nftables']);
    expect(pk.actions.every((a) => a.kind === 'run' && a.timeoutMs === 30 * 60_000)).toBe(true);
    // a kernel is never installed by setup: the veth finding's remedy (linux-image-amd64) is named, not run
    expect(pk.detail.join('\n')).toMatch(/needs another kernel \(setup does not install one\): Veth pair device; install linux-image-\S+ and reboot/);
    expect(pk.undo).toEqual(['apt-get remove busybox-static dnsmasq-base nftables']);
    // the report step lists errors before warnings
    const rep = plan.steps[0].detail;
    const lastFail = rep.map((l) => l.startsWith('[FAIL]')).lastIndexOf(true);
    const firstWarn = rep.findIndex((l) => l.startsWith('[warn]'));
    expect(lastFail).toBeGreaterThan(0);
    if (firstWarn >= 0) expect(lastFail).toBeLessThan(firstWarn);
  });

  it('openSUSE gets zypper and its package names; an unknown distribution is blocked with every manager\'s names', async () => {
    const a = depsFor('no-veth');
    writeFileSync(join(a.fsRoot, 'etc/os-release'), 'ID="opensuse-leap"\nID_LIKE="suse opensuse"\nPRETTY_NAME="openSUSE Leap 15.6"\n');
    const p = (await planSetup(a.deps)).steps.find((s) => s.id === 'packages')!;
    expect(p.actions.map((x) => x.display)).toEqual(['zypper --non-interactive install busybox-static dnsmasq nftables']);

    const b = depsFor('no-veth');
    unlinkSync(join(b.fsRoot, 'etc/os-release'));
    const q = (await planSetup(b.deps)).steps.find((s) => s.id === 'packages')!;
    expect(q.status).toBe('blocked');
    expect(q.actions).toEqual([]);
    expect(q.detail).toEqual(expect.arrayContaining(['apt: busybox-static dnsmasq-base nftables', 'dnf: busybox dnsmasq nftables']));
  });

  it('the steps are numbered 1..7 in the order shown, and the count under the plan names the steps that will run', async () => {
    const { deps } = depsFor('no-veth');
    const plan = await planSetup(deps);
    expect(plan.steps.map((s) => [s.number, s.id])).toEqual([
      [1, 'report'],
      [2, 'packages'],
      [3, 'bridge'],
      [4, 'nat'],
      [5, 'dhcp'],
      [6, 'persist'],
      [7, 'container'],
    ]);
    const text = formatPlan(plan, { commands: false });
    const shown = text.split('\n').filter((l) => /^\d+\. \[/.test(l)).map((l) => Number(l.split('.')[0]));
    expect(shown).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const todo = plan.steps.filter((s) => s.status === 'todo');
    expect(text).toContain(`${todo.length} step(s) to apply: ${todo.map((s) => s.number).join(', ')}.`);
    expect(text.match(/\[todo\]/g)).toHaveLength(todo.length);
    // a blocked network step ends the run (applySetup): what follows it is not counted
    const blocked = { ...plan, steps: plan.steps.map((s) => (s.id === 'nat' ? { ...s, status: 'blocked' as const, actions: [] } : s)) };
    expect(stepsToApply(blocked).map((s) => s.id)).toEqual(plan.steps.filter((s) => s.status === 'todo' && (s.id === 'packages' || s.id === 'bridge')).map((s) => s.id));
    const res = await applySetup(deps, blocked, { confirm: async () => false });
    expect(res.steps.filter((r) => r.outcome === 'declined').map((r) => r.id)).toEqual(stepsToApply(blocked).map((s) => s.id));
    expect(planCountLine({ ...plan, nothingToDo: true })).toBe('Every step is already done: setup changes nothing.');
  });

  it('--no-nat --no-dhcp needs neither nftables nor dnsmasq', async () => {
    const { deps } = depsFor('no-veth');
    const p = (await planSetup(deps, { nat: false, dhcp: false })).steps.find((s) => s.id === 'packages')!;
    expect(p.actions.map((x) => x.display)).toEqual(['DEBIAN_FRONTEND=noninteractive apt-get update', 'DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static']);
  });

  it('the subnet is the first /24 no route covers (10.0.3.0/24 is routed here, so 10.0.4.0/24); the bridge commands use it', async () => {
    const { deps } = depsFor('hybrid');
    const plan = await planSetup(deps);
    expect(plan.gateway).toBe('10.0.4.1/24');
    expect(plan.steps.find((s) => s.id === 'bridge')!.actions.map((a) => a.display)).toEqual([
      'ip link add name lxdeckbr0 type bridge',
      'ip address add 10.0.4.1/24 dev lxdeckbr0',
      'ip link set dev lxdeckbr0 up',
    ]);
    expect(formatPlan(plan)).toMatch(/ip saddr 10\.0\.4\.0\/24 oifname != "lxdeckbr0" masquerade/);
  });

  it('a given subnet that overlaps a route is refused with the route named, before anything runs', async () => {
    const { deps, runner } = depsFor('hybrid');
    await expect(planSetup(deps, { subnet: '10.0.3.0/24' })).rejects.toThrow('subnet 10.0.3.0/24 overlaps the route 10.0.3.0/24 dev eth9 already on this host');
    await expect(planSetup(deps, { subnet: '10.0.0.0/16' })).rejects.toThrow(/overlaps the route 10\.0\.3\.0\/24 dev eth9/);
    expect(runner.calls.map((c) => c.argv[0])).not.toContain('nft');
  });

  it('a --bridge that names an existing device of another kind is refused: setup never takes over eth0 or a veth', async () => {
    const runner = new FakeRunner();
    const { deps } = depsFor('hybrid', runner);
    const orig = runner.run.bind(runner);
    runner.run = async (file, args, opts) => {
      if (file === 'ip' && args.join(' ') === '-j -d link show dev eth9')
        return { argv: [file, ...args], exitCode: 0, stdout: '[{"ifname":"eth9","flags":["UP"]}]', stderr: '', timedOut: false, durationMs: 1 };
      if (file === 'ip' && args.join(' ') === '-j -d link show dev vx1')
        return { argv: [file, ...args], exitCode: 0, stdout: '[{"ifname":"vx1","flags":["UP"],"linkinfo":{"info_kind":"veth"}}]', stderr: '', timedOut: false, durationMs: 1 };
      return orig(file, args, opts);
    };
    await expect(planSetup(deps, { bridge: 'eth9' })).rejects.toThrow('eth9 exists and is a network device, not a bridge');
    await expect(planSetup(deps, { bridge: 'vx1' })).rejects.toThrow('vx1 exists and is a veth link, not a bridge');
  });

  it('systemd as PID 1: the unit is enabled (with --root for another root); otherwise the plan says it is written but not enabled', async () => {
    const a = depsFor('hybrid');
    const without = (await planSetup(a.deps)).steps.find((s) => s.id === 'persist')!;
    expect(without.detail.join('\n')).toMatch(/systemd is not PID 1 here .*written but not enabled/);
    expect(without.actions.some((x) => x.display.startsWith('systemctl'))).toBe(false);

    mkdirSync(join(a.fsRoot, 'proc/1'), { recursive: true });
    writeFileSync(join(a.fsRoot, 'proc/1/comm'), 'systemd\n');
    const plan = await planSetup(a.deps);
    expect(plan.systemd).toBe(true);
    const withSd = plan.steps.find((s) => s.id === 'persist')!;
    expect(withSd.actions.map((x) => x.display)).toContain(`systemctl --root=${a.root} enable lxdeck-net-lxdeckbr0.service`);
    expect(withSd.undo[0]).toBe(`systemctl --root=${a.root} disable lxdeck-net-lxdeckbr0.service`);
  });
});

describe('applySetup', () => {
  it('runs the actions in plan order, streams output lines, creates and starts the container, and the summary undoes the container first', async () => {
    const { deps, runner, engine, root } = depsFor('no-veth');
    const plan = await planSetup(deps);
    const planned = plan.steps.flatMap((s) => s.actions.filter((a) => a.kind === 'run').map((a) => (a.kind === 'run' ? [a.file, ...a.args].join(' ') : '')));
    const before = runner.calls.length;
    const lines: string[] = [];
    const result = await applySetup(deps, plan, { onLine: (l) => lines.push(`${l.step}/${l.stream}: ${l.line}`) });
    expect(result.ok).toBe(true);
    expect(runner.calls.slice(before).map((c) => c.argv.join(' '))).toEqual(planned);
    expect(runner.calls.find((c) => c.argv[1] === 'install')!.opts.env).toEqual({ DEBIAN_FRONTEND: 'noninteractive' });
    expect(lines).toContain('packages/command: DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static dnsmasq-base nftables');
    expect(lines).toContain('packages/stdout: Setting up busybox-static');
    expect(lines).toContain('container/stdout: rootfs: linking 400 applets');
    expect(engine.made).toEqual(['create first busybox lxdeckbr0', 'start first']);
    // the files of the persist step are really written under the root
    const unit = await import('node:fs').then((f) => f.readFileSync(join(root, 'etc/systemd/system/lxdeck-net-lxdeckbr0.service'), 'utf8'));
    expect(unit).toContain('ExecStart=/usr/sbin/ip address replace 10.0.4.1/24 dev lxdeckbr0');
    const sum = summarizeSetup(plan, result);
    expect(sum.undo.map((u) => u.step)).toEqual(['container', 'persist', 'dhcp', 'nat', 'bridge', 'packages']);
  });

  it('a declined step is skipped and the next ones still run; a failing step stops the run and is reported with its stderr', async () => {
    const { deps, runner } = depsFor('hybrid');
    const plan = await planSetup(deps, { container: false });
    const r1 = await applySetup(deps, plan, { confirm: (s) => s.id !== 'nat' });
    expect(Object.fromEntries(r1.steps.map((s) => [s.id, s.outcome]))).toMatchObject({ bridge: 'applied', nat: 'declined', dhcp: 'applied', container: 'skipped' });
    expect(runner.calls.some((c) => c.argv[0] === 'nft' && c.argv[1] === '-f')).toBe(false);

    runner.fail.add('nft -f');
    const r2 = await applySetup(deps, plan);
    expect(r2.ok).toBe(false);
    const nat = r2.steps.find((s) => s.id === 'nat')!;
    expect(nat.outcome).toBe('failed');
    expect(nat.error!.message).toMatch(/nft .*exited 1: nft: simulated failure/);
    expect(r2.steps.filter((s) => s.outcome === 'not-reached').map((s) => s.id)).toEqual(['dhcp', 'persist', 'container']);
  });

  it('declining the bridge skips what needs it (DHCP, the container) with a note; NAT and persistence are still asked', async () => {
    const { deps, engine } = depsFor('hybrid');
    const plan = await planSetup(deps);
    const asked: string[] = [];
    const r = await applySetup(deps, plan, { confirm: (s) => (asked.push(s.id), s.id !== 'bridge') });
    expect(asked).toEqual(['packages', 'bridge', 'nat', 'persist']); // the fixture lacks nft and dnsmasq
    const dhcp = r.steps.find((s) => s.id === 'dhcp')!;
    expect(dhcp.outcome).toBe('skipped');
    expect(dhcp.error!.message).toBe('needs step 3 (Bridge lxdeckbr0), which was declined');
    expect(r.steps.find((s) => s.id === 'container')!.outcome).toBe('skipped');
    expect(engine.made).toEqual([]);
  });

  it('an aborted signal stops before the next step', async () => {
    const { deps } = depsFor('hybrid');
    const plan = await planSetup(deps, { container: false });
    const ac = new AbortController();
    ac.abort();
    const r = await applySetup(deps, plan, { signal: ac.signal });
    expect(r.ok).toBe(false);
    expect(r.steps.find((s) => s.id === 'bridge')!.outcome).toBe('not-reached');
  });
});

describe('setupSuggestion (the console offers setup when no bridge or no container exists)', () => {
  it('missing bridge and empty lxcpath: suggested; a bridge and one container: not', async () => {
    const lxcpath = tempRoot();
    const runner = new FakeRunner();
    const a = await setupSuggestion(runner, lxcpath, 'lxdeckbr0');
    expect(a).toEqual({ suggest: true, bridgeExists: false, containers: 0, reason: 'no bridge lxdeckbr0 and no container yet: run the first-time setup?' });
    expect(runner.calls.map((c) => c.argv.join(' '))).toEqual(['ip -j -d link show dev lxdeckbr0']);
    const up: Runner = { run: async (file, args) => ({ argv: [file, ...args], exitCode: 0, stdout: '[{}]', stderr: '', timedOut: false, durationMs: 1 }) };
    mkdirSync(join(lxcpath, 'web1'));
    writeFileSync(join(lxcpath, 'web1', 'config'), 'lxc.uts.name = web1\n');
    mkdirSync(join(lxcpath, '.lxdeck'));
    const b = await setupSuggestion(up, lxcpath, 'lxdeckbr0');
    expect(b.suggest).toBe(false);
    expect(b.containers).toBe(1);
    expect((await setupSuggestion(up, join(lxcpath, 'missing'), 'lxdeckbr0')).reason).toBe('no container yet: run the first-time setup?');
  });
});
