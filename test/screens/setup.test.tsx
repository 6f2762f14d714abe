/**
 * The console's first-time setup screen (issue 5) over the real core/setup
 * (planSetup, applySetup) with fake deps: a checkconfig fixture host (Debian
 * without veth and busybox), a runner that answers like a host without the
 * bridge and records argv, the fake engine, a temporary root for the files.
 * Commands are shown before they run, runs are confirmed, output is live,
 * the summary has the undo commands; a host where everything is done changes
 * nothing; an overlapping subnet is refused with the route named; Esc
 * cancels a running step through the AbortSignal. Frames fit 80x24.
 */
import React from 'react';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { setupServiceFor, type SetupService } from '../../src/console/services.js';
import { displayWidth } from '../../components/text.js';
import { HostFs } from '../../core/host/host-fs.js';
import type { RunOptions, RunResult, Runner } from '../../core/exec/runner.js';
import type { SetupDeps, SetupPlan } from '../../core/setup/index.js';
import { LOG_LIMIT, initialSetup, setupOfferText, setupReducer, subnetProblem, type SetupUi } from '../../src/screens/setup/setup-state.js';
import { LxdeckError } from '../../core/errors.js';
import { fixtureTree } from '../core/checkconfig/fixtures.js';
import { FakeEngine, summary } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, stripAnsi, type Rendered } from './render.js';

const plain = { ascii: false, color: false };
const temps: string[] = [];
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth9' },
  { dst: '10.0.3.0/24', dev: 'eth9', protocol: 'kernel' },
]);

/**
 * Answers like a host without the bridge and the nft table (so every network
 * step is to do), streams two lines for apt-get, records argv. A command
 * line starting with one of `hang` waits until its AbortSignal fires.
 */
class FakeRunner implements Runner {
  calls: string[] = [];
  hang = new Set<string>();
  /** command lines starting with one of these exit 100 with an apt-like error */
  fail = new Set<string>();
  aborted: string[] = [];
  async run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const argv = [file, ...args];
    const line = argv.join(' ');
    this.calls.push(line);
    const res = (exitCode: number, stdout = '', stderr = ''): RunResult => ({ argv, exitCode, stdout, stderr, timedOut: false, durationMs: 1 });
    if ([...this.hang].some((h) => line.startsWith(h))) {
      opts.onLine?.('waiting…', 'stdout');
      await new Promise<void>((resolve) => {
        if (opts.signal?.aborted) return resolve();
        opts.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      this.aborted.push(line);
      return res(143, '', 'killed');
    }
    if ([...this.fail].some((f) => line.startsWith(f))) {
      opts.onLine?.('E: Unable to locate package nftables', 'stderr');
      return res(100, '', 'E: Unable to locate package nftables');
    }
    if (file === 'lxc-start') return res(0, '5.0.2\n');
    if (line.startsWith('ip -j -d link show')) return res(1, '', 'Device does not exist.');
    if (line.startsWith('ip -j -4 route show')) return res(0, ROUTES);
    if (line.startsWith('nft -j list')) return res(1, '', 'Error: No such file or directory');
    if (file === 'apt-get') {
      opts.onLine?.('Reading package lists...', 'stdout');
      opts.onLine?.('Setting up busybox-static', 'stdout');
    }
    return res(0);
  }
  /** commands that change the host (not the reads planning makes) */
  changes(): string[] {
    return this.calls.filter((c) => !/^ip -j |^nft -j |^lxc-start --version|^lxc-info/.test(c) && !c.startsWith('lxc-'));
  }
}

interface Setup {
  engine: FakeEngine;
  runner: FakeRunner;
  service: SetupService;
  root: string;
  applied: SetupPlan[];
}

function makeSetup(containers = [] as ReturnType<typeof summary>[]): Setup {
  const { root: fsRoot } = fixtureTree('no-veth');
  const root = temp('lxdeck-setup-screen-');
  const engine = new FakeEngine(containers, temp('lxdeck-setup-lxc-'));
  const runner = new FakeRunner();
  const deps: SetupDeps = { runner, fs: new HostFs(fsRoot), engine, root };
  const real = setupServiceFor(deps, 'lxdeckbr0');
  const applied: SetupPlan[] = [];
  const service: SetupService = { ...real, apply: (p, cb) => (applied.push(p), real.apply(p, cb)) };
  return { engine, runner, service, root, applied };
}

function open(s: Setup, columns = 80, rows = 24): Rendered {
  r = renderAt(<App engine={s.engine} refreshMs={0} theme={plain} services={{ setup: s.service }} />, columns, rows);
  return r;
}

/** Every frame written so far fits `columns` x `rows`. */
function expectAllFit(x: Rendered, columns = 80, rows = 24): void {
  expect(x.stdout.frames.length).toBeGreaterThan(0);
  for (const raw of x.stdout.frames) {
    const lines = stripAnsi(raw).replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(rows);
    for (const l of lines) expect(displayWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(columns);
  }
}

/** The frame as one line, runs of blanks made one space: lines wrapped at 80 columns read whole. */
function flat(f: string): string {
  return f.replace(/\s+/g, ' ');
}

/** Waits for a frame (tested flattened), then a moment for the screen's key handler to subscribe; returns it flattened. */
async function shown(x: Rendered, ok: (f: string) => boolean, what: string, ms = 3000): Promise<string> {
  const f = await x.waitFor((t) => ok(flat(t)), what, ms);
  await delay(40);
  return flat(f);
}

describe('setup screen', () => {
  it('the list offers setup on the status line when there is no bridge and no container; S opens it', async () => {
    const s = makeSetup();
    const x = open(s);
    const f = await shown(x, (t) => t.includes('press S for the first-time setup'), 'the offer');
    expect(f).toContain('no bridge lxdeckbr0 and no container yet: press S for the first-time setup');
    x.stdin.write('S');
    await shown(x, (t) => t.includes('First-time setup') && t.includes('step 1 of 7: Host report'), 'the report step');
    expect(setupOfferText('no container yet: run the first-time setup?')).toBe('no container yet: press S for the first-time setup');
  });

  it('walks the plan: report (errors first) → packages shown, asked, run live → network → each step shown before it runs → summary with undo', async () => {
    const s = makeSetup();
    const x = open(s);
    await shown(x, (t) => t.includes('press S'), 'the offer');
    x.stdin.write('S');
    let f = await shown(x, (t) => t.includes('What setup does'), 'the report');
    // errors before warnings, and the plan with its statuses
    const fail = f.indexOf('[FAIL]');
    expect(fail).toBeGreaterThan(-1);
    const warn = f.indexOf('[warn]');
    if (warn >= 0) expect(fail).toBeLessThan(warn);
    expect(f).toMatch(/error\(s\), \d+ warning\(s\) on Debian/);
    // numbered 1..7 as shown, and the count names the steps that will run
    expect(flat(f)).toContain('6 step(s) to apply: 2, 3, 4, 5, 6, 7.');
    expect(flat(f)).toMatch(/1\. \[done\] Host report.*2\. \[todo\].*3\. \[todo\] Bridge/);

    // step 2: the exact commands first, nothing run yet
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('Apply step 2 (Install missing packages)?'), 'the packages question');
    expect(f).toContain('step 2 of 7: Packages');
    expect(f).toContain('$ DEBIAN_FRONTEND=noninteractive apt-get update');
    expect(f).toContain('$ DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static dnsmasq-base nftables');
    expect(s.runner.changes()).toEqual([]);
    await x.press('y');
    f = await shown(x, (t) => t.includes('Install missing packages: done'), 'the packages outcome');
    expect(f).toContain('Setting up busybox-static'); // output live
    expect(s.runner.changes()).toEqual(['apt-get update', 'apt-get install -y busybox-static dnsmasq-base nftables']);

    // step 3: the choices, defaults from the plan (10.0.3.0/24 is routed here: 10.0.4.0/24)
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('steps 3-6 of 7: Network') && t.includes('IPv4 subnet'), 'the network form');
    expect(f).toMatch(/bridge\s+lxdeckbr0/);
    expect(f).toMatch(/IPv4 subnet\s+10\.0\.4\.0\/24/);
    expect(f).toMatch(/NAT\s+on/);
    expect(f).toMatch(/first container\s+first/);
    await x.press(KEY.enter);

    // each step: its commands shown, asked, then run
    f = await shown(x, (t) => t.includes('Apply step 3 (Bridge lxdeckbr0)?'), 'the bridge question');
    expect(f).toContain('$ ip link add name lxdeckbr0 type bridge');
    expect(f).toContain('$ ip address add 10.0.4.1/24 dev lxdeckbr0');
    expect(s.runner.changes().some((c) => c.startsWith('ip link add'))).toBe(false);
    await x.press('y');
    f = await shown(x, (t) => t.includes('Apply step 4 (NAT to the uplink (nftables))?'), 'the NAT question');
    expect(s.runner.changes()).toContain('ip link add name lxdeckbr0 type bridge');
    expect(f).toContain("$ nft -f - <<'EOF'");
    await x.press('y');
    f = await shown(x, (t) => t.includes('Apply step 5 (DHCP for containers (dnsmasq))?'), 'the DHCP question');
    // it changes the host: Enter (next on steps 1-3) does not apply it, only y does
    expect(x.frame()).toContain('y apply  n skip  Esc leave');
    expect(f).toContain('only y applies it');
    await x.press(KEY.enter, KEY.enter);
    await delay(100);
    expect(x.frame()).toContain('Apply step 5 (DHCP for containers (dnsmasq))?');
    expect(s.runner.changes().some((c) => c.startsWith('dnsmasq'))).toBe(false);
    await x.press('y');
    f = await shown(x, (t) => t.includes('Apply step 6 (Persistent network (lxdeck-net-lxdeckbr0.service))?'), 'the persistence question');
    await x.press('y');
    f = await shown(x, (t) => t.includes('Apply step 7 (First container first)?'), 'the container question');
    expect(f).toContain('step 7 of 7: First container');
    expect(f).toContain(`$ lxdeck --lxcpath ${s.engine.lxcpath} create first --template busybox --bridge lxdeckbr0`);
    await x.press('y');
    f = await shown(x, (t) => t.includes('Enter: the summary'), 'the end of the steps');
    expect(f).toContain('first is RUNNING');
    expect(s.engine.has('first')).toBe(true);
    expect(readFileSync(join(s.root, 'etc/systemd/system/lxdeck-net-lxdeckbr0.service'), 'utf8')).toContain('lxdeckbr0');

    // step 5: the summary, scrollable, with the undo commands
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('What was done:') && t.includes('─ Summary'), 'the summary');
    expect(f).toContain('Setup is done.');
    expect(f).toContain('2. Install missing packages: done now');
    let all = f;
    for (let i = 0; i < 6 && !all.includes('ip link delete dev lxdeckbr0'); i++) {
      await x.press(KEY.pageDown);
      all += flat(await x.waitFor(() => true));
    }
    expect(all).toContain('To undo (in this order):');
    expect(all).toContain(`lxdeck --lxcpath ${s.engine.lxcpath} destroy --force first`);
    expect(all).toContain('ip link delete dev lxdeckbr0');
    expect(all).toContain('apt-get remove busybox-static dnsmasq-base nftables');
    expect(all.indexOf('destroy --force first')).toBeLessThan(all.indexOf('ip link delete dev lxdeckbr0'));

    // back to the list: the new container selected and RUNNING
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('first-time setup done') && /› first RUNNING/.test(t), 'the list with the new container');
    expectAllFit(x);
  }, 20_000);

  it('a host where every step is done: the report says so, the summary says nothing changed, nothing runs', async () => {
    const s = makeSetup([summary('first', 'RUNNING')]);
    mkdirSync(join(s.engine.lxcpath, 'first'));
    writeFileSync(join(s.engine.lxcpath, 'first', 'config'), 'lxc.uts.name = first\n');
    const real = s.service.plan;
    const done = async (o: Parameters<SetupService['plan']>[0]): Promise<SetupPlan> => {
      const p = await real(o);
      const steps = p.steps.map((st) => (st.status === 'todo' ? { ...st, status: 'done' as const, actions: [] } : st));
      return { ...p, steps, nothingToDo: true };
    };
    s.service = { ...s.service, plan: done };
    const x = open(s);
    await shown(x, (t) => t.includes('first'), 'the list');
    x.stdin.write('S');
    let f = await shown(x, (t) => t.includes('What setup does'), 'the report');
    expect(f).toContain('Every step is already done: setup changes nothing.');
    expect(f).not.toContain('[todo]');
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('What was done:') && t.includes('─ Summary'), 'the summary');
    expect(f).toContain('Every step is already done: setup changed nothing.');
    expect(f).toContain('already in place');
    expect(s.applied).toEqual([]);
    expect(s.runner.changes()).toEqual([]);
    await x.press(KEY.escape);
    await shown(x, (t) => t.includes('every step was already done, nothing changed'), 'the list');
    expectAllFit(x);
  });

  it('a typed subnet that overlaps a route is flagged as typed and refused on Enter with the route named; another one goes on', async () => {
    const s = makeSetup();
    const x = open(s);
    await shown(x, (t) => t.includes('press S'), 'the offer');
    x.stdin.write('S');
    await shown(x, (t) => t.includes('What setup does'), 'the report');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('Apply step 2'), 'the packages question');
    await x.press('n');
    let f = await shown(x, (t) => t.includes('skipped (you said no)'), 'packages declined');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('IPv4 subnet'), 'the form');
    await x.press(KEY.down);
    for (let i = 0; i < 12; i++) await x.press(KEY.backspace);
    x.stdin.write('10.0.3.0/24');
    f = await shown(x, (t) => t.includes('overlaps the route'), 'the live check');
    expect(f).toContain('subnet 10.0.3.0/24: overlaps the route 10.0.3.0/24 dev eth9 already on this host');
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('subnet 10.0.3.0/24 overlaps the route 10.0.3.0/24 dev eth9 already on this host'), 'the refusal');
    expect(f).toContain('hint: choose a subnet no route covers');
    expect(f).toContain('steps 3-6 of 7: Network');
    expect(s.applied.map((p) => p.steps.map((st) => st.id))).toEqual([['packages']]);
    for (let i = 0; i < 12; i++) await x.press(KEY.backspace);
    x.stdin.write('10.0.9.0/24');
    f = await shown(x, (t) => t.includes('no route of this host overlaps 10.0.9.0/24'), 'a free subnet');
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('Apply step 3 (Bridge lxdeckbr0)?'), 'the bridge question');
    expect(f).toContain('$ ip address add 10.0.9.1/24 dev lxdeckbr0');
    expect(subnetProblem('10.0.3.0/24', [{ dst: { addr: 0x0a000300, prefix: 24 }, text: '10.0.3.0/24 dev lxdeckbr0' }], 'lxdeckbr0')).toBeNull();
    expect(subnetProblem('10.0.3.0', null, 'x')).toMatch(/prefix/);
    expect(subnetProblem('10.0.3.0/31', null, 'x')).toMatch(/\/8 to \/30/);
    expectAllFit(x);
  });

  it('NAT, DHCP and persistence can be turned off: their steps are skipped, never asked', async () => {
    const s = makeSetup();
    const x = open(s);
    await shown(x, (t) => t.includes('press S'), 'the offer');
    x.stdin.write('S');
    await shown(x, (t) => t.includes('What setup does'), 'the report');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('Apply step 2'), 'the packages question');
    await x.press('n');
    await shown(x, (t) => t.includes('skipped (you said no)'), 'packages declined');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('IPv4 subnet'), 'the form');
    await x.press(KEY.down, KEY.down, ' ', KEY.down, ' ', KEY.down, ' ');
    let f = await shown(x, (t) => /persistent\s+‹ off/.test(t), 'the choices off');
    expect(f).toMatch(/NAT\s+off/);
    expect(f).toMatch(/DHCP\s+off/);
    await x.press(KEY.down);
    for (let i = 0; i < 6; i++) await x.press(KEY.backspace);
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('Apply step 3 (Bridge lxdeckbr0)?'), 'the bridge question');
    await x.press('y');
    f = await shown(x, (t) => t.includes('Enter: the summary'), 'the end');
    expect(f).not.toContain('Apply step 4 (NAT');
    expect(s.runner.changes().filter((c) => /^(nft|dnsmasq|sysctl)/.test(c))).toEqual([]);
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('What was done:'), 'the summary');
    expect(f).toMatch(/NAT to the uplink \(nftables\): skipped/);
    expect(f).toMatch(/First container: skipped/);
  });

  it('Esc while a step runs cancels it through the AbortSignal and leaves; later steps never run', async () => {
    const s = makeSetup();
    s.runner.hang.add('ip link add');
    const x = open(s);
    await shown(x, (t) => t.includes('press S'), 'the offer');
    x.stdin.write('S');
    await shown(x, (t) => t.includes('What setup does'), 'the report');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('Apply step 2'), 'the packages question');
    await x.press('n');
    await shown(x, (t) => t.includes('skipped (you said no)'), 'packages declined');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('IPv4 subnet'), 'the form');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('Apply step 3 (Bridge lxdeckbr0)?'), 'the bridge question');
    await x.press('y');
    let f = await shown(x, (t) => t.includes('waiting…'), 'the running command');
    expect(f).toContain('Esc cancels it');
    await x.press(KEY.escape);
    f = await shown(x, (t) => t.includes('setup cancelled at step 3 (Bridge lxdeckbr0)'), 'the list with the cancel status');
    expect(s.runner.aborted).toEqual(['ip link add name lxdeckbr0 type bridge']);
    await delay(100);
    expect(s.runner.changes().filter((c) => /^(nft|dnsmasq|sysctl)/.test(c))).toEqual([]);
    expect(s.engine.has('first')).toBe(false);
    expect(f).not.toContain('First-time setup');
  });

  it('Esc at a question leaves without running that step', async () => {
    const s = makeSetup();
    const x = open(s);
    await shown(x, (t) => t.includes('press S'), 'the offer');
    x.stdin.write('S');
    await shown(x, (t) => t.includes('What setup does'), 'the report');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('Apply step 2'), 'the packages question');
    await x.press(KEY.escape);
    await shown(x, (t) => !t.includes('First-time setup'), 'the list');
    await delay(50);
    expect(s.runner.changes()).toEqual([]);
  });

  it('a failing step shows its error and hint; setup goes no further and the summary says where it stopped', async () => {
    const s = makeSetup();
    s.runner.fail.add('apt-get install');
    const x = open(s);
    await shown(x, (t) => t.includes('press S'), 'the offer');
    x.stdin.write('S');
    await shown(x, (t) => t.includes('What setup does'), 'the report');
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('Apply step 2'), 'the packages question');
    await x.press('y');
    let f = await shown(x, (t) => t.includes('Setup stopped here'), 'the failure');
    expect(f).toContain('E: Unable to locate package nftables'); // stderr live
    expect(f).toMatch(/Install missing packages: FAILED: apt-get install -y busybox-static… exited 100/);
    expect(f).toContain('hint: the command was: DEBIAN_FRONTEND=noninteractive apt-get install');
    await x.press(KEY.enter);
    f = await shown(x, (t) => t.includes('What was done:') && t.includes('─ Summary'), 'the summary');
    expect(f).toContain('Setup stopped: Install missing packages failed');
    expect(f).toContain('3. Bridge lxdeckbr0: not reached');
    expect(s.runner.changes().some((c) => c.startsWith('ip link add'))).toBe(false);
    await x.press(KEY.enter);
    await shown(x, (t) => t.includes('setup stopped: Install missing packages failed'), 'the list with the error');
  });

  it('a plan that cannot be made says why and Esc leaves', async () => {
    const s = makeSetup();
    s.service = { ...s.service, plan: async () => Promise.reject(new LxdeckError('E_NETWORK', 'eth9 exists and is a network device, not a bridge', { hint: 'name a bridge' })) };
    const x = open(s);
    await shown(x, (t) => t.includes('press S'), 'the offer');
    x.stdin.write('S');
    const f = await shown(x, (t) => t.includes('cannot plan the setup'), 'the error');
    expect(f).toContain('cannot plan the setup: eth9 exists and is a network device, not a bridge');
    expect(f).toContain('hint: name a bridge');
    await x.press(KEY.escape);
    await shown(x, (t) => !t.includes('First-time setup'), 'the list');
  });
});

describe('setup state', () => {
  it('a step asked: heading, detail and every command in the log, the view opens at its heading; outcomes replace by step', () => {
    const step = { id: 'bridge' as const, number: 3 as const, title: 'Bridge br0', status: 'todo' as const, detail: ['make br0'], undo: [], actions: [{ kind: 'mkdir' as const, path: '/x', display: 'mkdir -p /x' }] };
    let u = setupReducer({ ...initialSetup, phase: 'apply', log: [{ kind: 'ok', text: 'before' }] }, { type: 'ask', step });
    expect(u.asking).toBe('bridge');
    expect(u.log.map((l) => l.text)).toEqual(['before', '', '3. Bridge br0', '   make br0', '   These commands run, in this order:', '   $ mkdir -p /x']);
    expect(u.askAt).toBe(2);
    u = setupReducer(u, { type: 'answered' });
    u = setupReducer(u, { type: 'step', step, phase: 'start' });
    expect(u.running).toBe('bridge');
    u = setupReducer(u, { type: 'line', line: { step: 'bridge', stream: 'command', line: "cat > f <<'EOF'\na\nEOF" } });
    expect(u.log.at(-1)!.text).toBe("   $ cat > f <<'EOF' (2 more lines)");
    u = setupReducer(u, { type: 'step', step, phase: 'failed', error: { message: 'boom', hint: 'try again' } });
    u = setupReducer(u, { type: 'step', step, phase: 'applied' });
    expect(u.outcomes.filter((o) => o.id === 'bridge').map((o) => o.outcome)).toEqual(['applied']);
    expect(u.running).toBeNull();
  });

  it('the log keeps the last LOG_LIMIT lines', () => {
    let u: SetupUi = { ...initialSetup, phase: 'packages' };
    for (let i = 0; i < LOG_LIMIT + 5; i++) u = setupReducer(u, { type: 'line', line: { step: 'packages', stream: 'stdout', line: `l${i}` } });
    expect(u.log.length).toBe(LOG_LIMIT);
    expect(u.log[0].text.trim()).toBe('l5');
  });
});
