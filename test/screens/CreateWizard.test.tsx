import React from 'react';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostState } from '../../core/hoststate/index.js';
import { ExecaRunner } from '../../core/exec/runner.js';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { displayWidth } from '../../components/text.js';
import { SIZE_GRAMMAR } from '../../core/units.js';
import type { CreateOptions } from '../../core/types.js';
import { FakeEngine, fakeCreateEnv, summary } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, stripAnsi, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function open(engine: FakeEngine, columns = 80, rows = 24): Rendered {
  r = renderAt(<App engine={engine} refreshMs={0} theme={theme} services={{ createEnv: () => fakeCreateEnv(['br-lan']) }} />, columns, rows);
  return r;
}

const flat = (f: string): string => f.replace(/\s+/g, ' ');
const RIGHT = '\u001b[C';
const LEFT = '\u001b[D';

/** Opens the wizard from the list and waits for the name step. */
async function openWizard(s: Rendered): Promise<void> {
  await s.waitFor((x) => x.includes('lxdeck'), 'the list');
  await s.press('c');
  await s.waitFor((x) => x.includes('step 1 of 6: Name'), 'the name step');
  // the frame is drawn before the screen's key handler is subscribed (a passive effect): a
  // key in between would be lost, which a person typing never hits
  await delay(50);
}

function step(n: number, title: string): (f: string) => boolean {
  return (f) => new RegExp(`step ${n} of [67]: ${title}`).test(f);
}

function expectFits(frame: string, columns: number, rows: number): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(displayWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(columns);
}

describe('create wizard', () => {
  it('goes forward through every step, Esc goes back with the values kept, the summary shows the config lines and the command line, Enter creates, y starts', async () => {
    const e = new FakeEngine([summary('old')]);
    const s = open(e);
    await openWizard(s);
    await s.press('web-01', KEY.enter);
    await s.waitFor(step(2, 'Template'));
    expect(s.frame()).toMatch(/› busybox +minimal system/);
    await s.press(KEY.enter); // busybox has no options: straight to the network
    let f = await s.waitFor(step(3, 'Network'), 'network (options skipped)');
    const hw = /generated: (00:16:3e:[0-9a-f:]{8})/.exec(f)?.[1];
    expect(hw).toBeDefined();
    await s.press(KEY.enter);
    await s.waitFor(step(4, 'Resources'));
    await s.press('512M', KEY.down, '256M', KEY.enter);
    await s.waitFor(step(5, 'Security'));
    expect(s.frame()).toMatch(/unprivileged \(lxc\.idmap/);
    // back twice: the name and the limits are still there
    await s.press(KEY.escape);
    f = await s.waitFor(step(4, 'Resources'));
    expect(f).toMatch(/memory +512M/);
    expect(f).toMatch(/swap +256M/);
    await s.press(KEY.escape, KEY.escape, KEY.escape);
    f = await s.waitFor(step(1, 'Name'));
    expect(f).toMatch(/name +web-01/);
    for (let i = 0; i < 4; i++) await s.press(KEY.enter);
    await s.waitFor(step(5, 'Security'), 'security again');
    await s.press(KEY.enter);
    f = await s.waitFor(step(6, 'Summary'));
    // the config lines renderConfig writes, limits in this host's (v2) keys
    expect(f).toContain('lxc.uts.name = web-01');
    expect(f).toContain('lxc.net.0.link = lxdeckbr0');
    expect(f).toContain('lxc.idmap = u 0 BASE 65536');
    await s.press(KEY.pageDown, KEY.pageDown);
    f = await s.waitFor((x) => x.includes('lxdeck create web-01'), 'the command line');
    expect(f).toContain(`lxc.net.0.hwaddr = ${hw}`);
    expect(f).toContain('lxc.cgroup2.memory.max = 536870912');
    expect(f).toContain('lxc.cgroup2.memory.swap.max = 268435456');
    expect(flat(f)).toContain(`lxdeck create web-01 --template busybox --memory 512M --swap 256M --bridge lxdeckbr0 --hwaddr ${hw}`);
    expect(e.callsOf('create')).toEqual([]);
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created web-01') && x.includes('Start web-01 now?'), 'the offer to start');
    const [[name, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(name).toBe('web-01');
    expect(opts).toMatchObject({ template: 'busybox', memory: '512M', swap: '256M', bridge: 'lxdeckbr0', hwaddr: hw });
    expect(opts.privileged).toBeUndefined();
    expect(opts.signal).toBeInstanceOf(AbortSignal);
    await s.press('y');
    f = await s.waitFor((x) => x.includes('created and started web-01') && /› web-01 +RUNNING/.test(x), 'the list with web-01 running and selected');
    expect(e.callsOf('start')).toEqual([['web-01']]);
  });

  it('N1: an invalid name is shown as typed and blocks the next step', async () => {
    const e = new FakeEngine();
    const s = open(e);
    await openWizard(s);
    await s.press('a/b');
    let f = await s.waitFor((x) => x.includes('not allowed'), 'the live check');
    expect(f).toContain('"/"');
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('hint: try'), 'the refusal with a hint');
    expect(f).toContain('step 1 of 6');
    await s.press(KEY.backspace, KEY.backspace, 'b');
    await s.waitFor((x) => x.includes('a valid name'), 'the name accepted as typed');
  });

  it('U1: an invalid size is refused on the resources step with the accepted grammar', async () => {
    const e = new FakeEngine();
    const s = open(e);
    await openWizard(s);
    await s.press('web', KEY.enter, KEY.enter, KEY.enter);
    await s.waitFor(step(4, 'Resources'));
    expect(flat(s.frame())).toContain(flat(`Sizes: ${SIZE_GRAMMAR}`).slice(0, 60));
    await s.press('12x', KEY.enter);
    const f = await s.waitFor((x) => x.includes('invalid size "12x"'), 'the refusal');
    expect(f).toContain('step 4 of 6');
    expect(f).toContain('hint: accepted:');
    await s.press(KEY.backspace, KEY.backspace, KEY.backspace, KEY.down, KEY.down, KEY.down, '20000', KEY.enter);
    await s.waitFor((x) => x.includes('CPU weight "20000"'), 'the CPU weight refusal');
  });

  it('privileged only after the warning: n keeps it unprivileged, y makes it privileged and the summary says so', async () => {
    const e = new FakeEngine();
    const s = open(e);
    await openWizard(s);
    await s.press('priv', KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await s.waitFor(step(5, 'Security'));
    await s.press(RIGHT);
    let f = await s.waitFor((x) => x.includes('Root in the container is root on the host'), 'the warning');
    expect(flat(f)).toContain('owns the whole machine');
    await s.press('n');
    f = await s.waitFor((x) => !x.includes('Make it privileged?'), 'the warning closed');
    expect(f).toMatch(/unprivileged \(lxc\.idmap/);
    await s.press(KEY.enter);
    f = await s.waitFor(step(6, 'Summary'));
    expect(f).toContain('lxc.idmap = u 0 BASE 65536');
    await s.press(KEY.escape);
    await s.waitFor(step(5, 'Security'));
    await s.press(LEFT);
    await s.waitFor((x) => x.includes('Make it privileged?'), 'the warning again');
    await s.press('y');
    f = await s.waitFor((x) => /mode +‹ privileged/.test(x), 'privileged chosen');
    await s.press(KEY.enter);
    f = await s.waitFor(step(6, 'Summary'));
    expect(f).toContain('# privileged: root in the container is root on the host');
    expect(f).not.toContain('lxc.idmap');
    await s.press(KEY.pageDown, KEY.pageDown);
    await s.waitFor((x) => flat(x).includes('--privileged'), 'the command line with --privileged');
  });

  it('template options: the options step shows the manifest defaults, a changed value goes to the create and the command line', async () => {
    const e = new FakeEngine();
    const s = open(e);
    await openWizard(s);
    await s.press('deb', KEY.enter);
    await s.waitFor(step(2, 'Template'));
    await s.press(KEY.down, KEY.enter);
    let f = await s.waitFor(step(3, 'Template options'), 'the options');
    expect(f).toMatch(/release +bookworm/);
    expect(f).toMatch(/variant +minbase/);
    for (let i = 0; i < 5; i++) await s.press(KEY.down);
    await s.press('less', KEY.enter);
    await s.waitFor(step(4, 'Network'));
    // static address: given, checked, and a back to the options keeps them
    await s.press(KEY.down, RIGHT, KEY.down, '10.0.3.0/24', KEY.enter);
    f = await s.waitFor((x) => x.includes('network address of its subnet'), 'the network address refused');
    expect(f).toContain('hint:');
    await s.press(KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, '7/24', KEY.enter);
    await s.waitFor(step(5, 'Resources'));
    await s.press(KEY.escape, KEY.escape);
    f = await s.waitFor(step(3, 'Template options'));
    expect(f).toMatch(/packages +less/);
    await s.press(KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await s.waitFor(step(7, 'Summary'));
    await s.press(KEY.pageDown, KEY.pageDown);
    await s.waitFor((x) => x.includes('lxc.net.0.ipv4.address = 10.0.3.7/24'), 'the static address line');
    f = await s.waitFor((x) => flat(x).includes('--option packages=less'), 'the option in the command line');
    expect(flat(f)).toContain('--template debootstrap --option packages=less --bridge lxdeckbr0 --ipv4 10.0.3.7/24');
    expect(flat(f)).not.toContain('release=');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created deb'));
    expect((e.callsOf('create')[0][1] as CreateOptions).options).toEqual({ packages: 'less' });
  });

  it("the network step checks a static address against the bridge's host-wide record: in use, off the subnet; the example is the next free one", async () => {
    // a real host state directory with lxdeckbr0's record, as core/hoststate writes it
    const dir = mkdtempSync(join(tmpdir(), 'lxdeck-wizard-state-'));
    try {
      mkdirSync(join(dir, 'bridges'));
      writeFileSync(
        join(dir, 'bridges', 'lxdeckbr0.json'),
        JSON.stringify({ version: 1, bridge: 'lxdeckbr0', gateway: '10.213.57.1/24', lxcpaths: ['/tmp/trial-lxc'], addresses: { '10.213.57.1': { source: 'bridge' }, '10.213.57.2': { lxcpath: '/tmp/trial-lxc', name: 'web1', source: 'config' } }, updated: new Date().toISOString() }),
      );
      const hs = new HostState({ dir, runner: new ExecaRunner() });
      const e = new FakeEngine();
      r = renderAt(<App engine={e} refreshMs={0} theme={theme} services={{ createEnv: () => ({ ...fakeCreateEnv(['br-lan']), bridgeRecord: (b: string) => hs.readBridge(b) }) }} />, 80, 24);
      const s = r;
      await openWizard(s);
      await s.press('web2', KEY.enter);
      await s.waitFor(step(2, 'Template'));
      await s.press(KEY.enter);
      await s.waitFor(step(3, 'Network'));
      await s.press(KEY.down, RIGHT, KEY.down);
      let f = await s.waitFor((x) => x.includes('e.g. 10.213.57.3/24 (the next free one)'), 'the example on the subnet');
      expect(f).not.toContain('10.0.3.5');
      await s.press('10.213.57.2/24', KEY.enter);
      f = await s.waitFor((x) => x.includes('10.213.57.2 is in use on lxdeckbr0 by web1 (/tmp/trial-lxc)'), 'the address in use, at this step');
      expect(f).toContain('hint: the next free address of lxdeckbr0 is 10.213.57.3/24');
      expect(f).toMatch(/step 3 of 6: Network/);
      for (let i = 0; i < 14; i++) await s.press(KEY.backspace);
      await s.press('10.0.3.5/24', KEY.enter);
      await s.waitFor((x) => x.includes("10.0.3.5/24 is not on lxdeckbr0's subnet 10.213.57.0/24"), 'off the subnet');
      for (let i = 0; i < 14; i++) await s.press(KEY.backspace);
      await s.press('10.213.57.1/24', KEY.enter);
      await s.waitFor((x) => x.includes("10.213.57.1 is lxdeckbr0's own address"), 'the gateway');
      for (let i = 0; i < 14; i++) await s.press(KEY.backspace);
      await s.press('10.213.57.3/24', KEY.enter);
      await s.waitFor(step(4, 'Resources'), 'a free address goes on');
      expect(e.callsOf('create')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('progress: phase, bar and log lines live; Esc cancels through the AbortSignal and nothing is made; back to the summary', async () => {
    const e = new FakeEngine();
    e.createProgress = [
      { phase: 'check', fraction: 0, line: 'template busybox, bridge lxdeckbr0' },
      { phase: 'rootfs', fraction: 0.3, line: 'linking 400 applets' },
      { phase: 'rootfs', fraction: 0.6, line: 'more' },
      { phase: 'config', fraction: 0.9 },
    ];
    e.createStepMs = 300;
    const s = open(e);
    await openWizard(s);
    await s.press('slow', KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await s.waitFor(step(6, 'Summary'));
    await s.press(KEY.enter);
    const f = await s.waitFor((x) => x.includes('Creating') && x.includes('30%') && x.includes('linking 400 applets'), 'the progress');
    expect(f).toMatch(/\[█+░+\] +30% rootfs/);
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('cancelled') && x.includes('nothing was left behind'), 'the cancel');
    const [[, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(opts.signal?.aborted).toBe(true);
    expect(e.cancelledCreates).toEqual(['slow']);
    expect(e.has('slow')).toBe(false);
    await s.press(KEY.enter);
    await s.waitFor(step(6, 'Summary'), 'back to the summary, values kept');
    expect(s.frame()).toContain('lxc.uts.name = slow');
  });

  it('a failed create shows the error and its hint', async () => {
    const e = new FakeEngine();
    e.failOn('create', { code: 'E_NETWORK', message: 'bridge lxdeckbr0 could not be made', hint: 'run lxdeck setup' });
    const s = open(e);
    await openWizard(s);
    await s.press('x1', KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await s.waitFor(step(6, 'Summary'));
    await s.press(KEY.enter);
    const f = await s.waitFor((x) => x.includes('bridge lxdeckbr0 could not be made'), 'the error');
    expect(f).toContain('hint: run lxdeck setup');
  });

  it('a long template list scrolls to keep the chosen template in view', async () => {
    const e = new FakeEngine();
    const env = fakeCreateEnv();
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `lxc:t${String(i).padStart(2, '0')}`, description: `script ${i}`, offline: false, options: [] }));
    r = renderAt(<App engine={e} refreshMs={0} theme={theme} services={{ createEnv: () => ({ ...env, templates: [...env.templates, ...many] }) }} />, 80, 24);
    const s = r;
    await openWizard(s);
    await s.press('t', KEY.enter);
    await s.waitFor(step(2, 'Template'));
    await s.press(...Array(50).fill(KEY.down)); // past the end: stays on the last
    const f = await s.waitFor((x) => /› lxc:t39 +script 39/.test(x), 'the last template chosen and shown');
    expect(f).not.toContain('busybox ');
    await s.press(...Array(50).fill(KEY.up));
    await s.waitFor((x) => /› busybox/.test(x), 'back at the top');
  });

  it('fits 80x24: no frame of a whole wizard run is wider than 80 cells or taller than 24 lines', async () => {
    const e = new FakeEngine();
    const s = open(e);
    await openWizard(s);
    await s.press('a-very-long-container-name-that-fills-the-title-line-of-the-wiz', KEY.enter);
    await s.press(KEY.down, KEY.enter);
    await s.waitFor(step(3, 'Template options'));
    await s.press('x'.repeat(150), KEY.enter);
    await s.waitFor(step(4, 'Network'));
    await s.press(KEY.down, RIGHT, KEY.down, '1'.repeat(100), KEY.enter);
    await s.waitFor((x) => x.includes('✖'), 'an address error');
    await s.press(...Array(100).fill(KEY.backspace), '10.0.3.9/24', KEY.enter);
    await s.waitFor(step(5, 'Resources'));
    await s.press('12x', KEY.enter);
    await s.waitFor((x) => x.includes('hint: accepted'), 'an error with a long hint');
    await s.press(KEY.backspace, KEY.backspace, KEY.backspace, KEY.enter, RIGHT);
    await s.waitFor((x) => x.includes('Make it privileged?'), 'the warning');
    await s.press('y', KEY.enter);
    await s.waitFor(step(7, 'Summary'));
    await s.press(KEY.pageDown, KEY.pageDown, KEY.pageDown);
    await s.waitFor((x) => x.includes('lxdeck create'), 'the command line');
    expect(s.stdout.frames.length).toBeGreaterThan(10);
    for (const raw of s.stdout.frames) expectFits(stripAnsi(raw), 80, 24);
  });
});
