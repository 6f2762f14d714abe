// The create wizard's security step: AppArmor choices only where the host has AppArmor enabled,
// seccomp (LXC's default, none with a warning, a profile file checked by planCreate), unconfined
// only after a warning; the summary shows the config lines and the command line.
import React from 'react';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { displayWidth } from '../../components/text.js';
import type { HostSecurity } from '../../core/rootfs/security.js';
import type { CreateOptions } from '../../core/types.js';
import { FakeEngine, fakeCreateEnv } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
const RIGHT = '\u001b[C';
const LEFT = '\u001b[D';
const flat = (f: string): string => f.replace(/\s+/g, ' ');

const NO_AA: HostSecurity = { apparmor: false, apparmorParser: null, apparmorProfiles: null, seccomp: true, defaultSeccompProfile: '/usr/share/lxc/config/common.seccomp' };
const AA: HostSecurity = {
  apparmor: true,
  apparmorParser: '/usr/sbin/apparmor_parser',
  apparmorProfiles: ['lxc-container-default', 'lxc-container-default-cgns', 'lxc-container-default-with-nesting'],
  seccomp: true,
  defaultSeccompProfile: '/usr/share/lxc/config/common.seccomp',
};

const scratch = mkdtempSync(join(tmpdir(), 'lxdeck-wsec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const PROFILE = join(scratch, 'deny-mount.seccomp');
writeFileSync(PROFILE, '2\ndenylist\nmount errno 1\n');

let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function open(engine: FakeEngine, security: HostSecurity): Rendered {
  r = renderAt(<App engine={engine} refreshMs={0} theme={theme} services={{ createEnv: () => ({ ...fakeCreateEnv(['br-lan']), security }) }} />, 80, 24);
  return r;
}

function expectFits(frame: string): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(24);
  for (const l of lines) expect(displayWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(80);
}

/** From the list to the security step of container `name` (busybox: no options step). */
async function toSecurity(s: Rendered, name: string): Promise<string> {
  await s.waitFor((x) => x.includes('lxdeck'), 'the list');
  await s.press('c');
  await s.waitFor((x) => x.includes('step 1 of 6: Name'), 'the name step');
  await delay(50);
  await s.press(name, KEY.enter, KEY.enter, KEY.enter, KEY.enter);
  return s.waitFor((x) => x.includes('step 5 of 6: Security'), 'the security step');
}

describe('create wizard: security step', () => {
  it('without AppArmor: says so and offers no profile; seccomp none shows a warning, clears the key in the summary and goes to the create', async () => {
    const e = new FakeEngine();
    const s = open(e, NO_AA);
    let f = await toSecurity(s, 'sec-none');
    expect(f).toContain('AppArmor: not enabled on this host');
    expect(f).not.toMatch(/^ *›? *AppArmor {2,}/m);
    expect(f).toMatch(/seccomp +(?:‹ )?LXC's default \(\/usr\/share\/lxc\/config\/common\.seccomp\)/);
    expectFits(f);
    await s.press(KEY.down, RIGHT);
    f = await s.waitFor((x) => /seccomp +(?:‹ )?none/.test(x), 'seccomp none');
    expect(flat(f)).toContain('No seccomp profile: the container may call kexec_load');
    expectFits(f);
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('step 6 of 6: Summary'), 'the summary');
    expect(f).toContain('lxc.seccomp.profile =');
    expect(f).not.toContain('lxc.apparmor.profile');
    await s.press(KEY.pageDown, KEY.pageDown);
    f = await s.waitFor((x) => flat(x).includes('--seccomp none'), 'the command line with --seccomp none');
    expect(flat(f)).toContain('No seccomp profile');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created sec-none'), 'created');
    const [[, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(opts.seccompProfile).toBe('none');
    expect(opts.apparmorProfile).toBeUndefined();
  });

  it('a seccomp profile file: a missing one is refused with the reason, an existing one is written with its path', async () => {
    const e = new FakeEngine();
    const s = open(e, NO_AA);
    await toSecurity(s, 'sec-file');
    await s.press(KEY.down, RIGHT, RIGHT);
    let f = await s.waitFor((x) => /seccomp +(?:‹ )?a profile file/.test(x) && /file +/.test(x), 'the file field');
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('give the path of the seccomp profile file'), 'empty path refused');
    await s.press(KEY.down, join(scratch, 'nope'), KEY.enter);
    f = await s.waitFor((x) => x.includes('no such file'), 'missing file refused');
    expect(f).toContain('step 5 of 6: Security');
    for (let i = 0; i < 'nope'.length; i++) await s.press(KEY.backspace);
    await s.press('deny-mount.seccomp', KEY.enter);
    f = await s.waitFor((x) => x.includes('step 6 of 6: Summary'), 'the summary');
    expect(flat(f)).toContain(`lxc.seccomp.profile = ${PROFILE}`);
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created sec-file'), 'created');
    const [[, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(opts.seccompProfile).toBe(PROFILE);
  });

  it('with AppArmor: profiles offered; a named profile must be loaded; unconfined only after the warning, then written and warned about in the summary', async () => {
    const e = new FakeEngine();
    const s = open(e, AA);
    let f = await toSecurity(s, 'sec-aa');
    expect(f).not.toContain('not enabled on this host');
    expect(f).toMatch(/AppArmor +(?:‹ )?LXC's default \(lxc-container-default-cgns\)/);
    await s.press(KEY.down, RIGHT);
    await s.waitFor((x) => /AppArmor +(?:‹ )?generated by LXC/.test(x), 'generated');
    await s.press(RIGHT);
    f = await s.waitFor((x) => /AppArmor +(?:‹ )?a loaded profile/.test(x) && /profile +/.test(x), 'named, with the profile field');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('give the name of the AppArmor profile'), 'empty name refused');
    await s.press(KEY.down, 'my-profile', KEY.enter);
    f = await s.waitFor((x) => x.includes('is not loaded on this host'), 'an unloaded profile refused');
    expect(flat(f)).toContain('lxc-container-default-cgns');
    // unconfined: the warning first; n keeps the named profile
    await s.press(KEY.up, RIGHT);
    f = await s.waitFor((x) => x.includes('Run it unconfined?'), 'the unconfined warning');
    expect(flat(f)).toContain('runs without an AppArmor profile');
    expectFits(f);
    await s.press('n');
    f = await s.waitFor((x) => !x.includes('Run it unconfined?'), 'the warning closed');
    expect(f).toMatch(/AppArmor +(?:‹ )?a loaded profile/);
    await s.press(RIGHT);
    await s.waitFor((x) => x.includes('Run it unconfined?'), 'the warning again');
    await s.press('y');
    f = await s.waitFor((x) => /AppArmor +(?:‹ )?unconfined/.test(x), 'unconfined chosen');
    expect(flat(f)).toContain('An unconfined container runs without an AppArmor profile');
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('step 6 of 6: Summary'), 'the summary');
    expect(f).toContain('lxc.apparmor.profile = unconfined');
    expect(f).not.toContain('lxc.seccomp.profile');
    await s.press(KEY.pageDown, KEY.pageDown);
    f = await s.waitFor((x) => flat(x).includes('--apparmor unconfined'), 'the command line with --apparmor');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created sec-aa'), 'created');
    const [[, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(opts.apparmorProfile).toBe('unconfined');
    expect(opts.seccompProfile).toBeUndefined();
  });

  it('with AppArmor: a loaded profile by name goes to the create; back to default writes no key', async () => {
    const e = new FakeEngine();
    const s = open(e, AA);
    await toSecurity(s, 'sec-named');
    await s.press(KEY.down, RIGHT, RIGHT, KEY.down, 'lxc-container-default-with-nesting', KEY.enter);
    let f = await s.waitFor((x) => x.includes('step 6 of 6: Summary'), 'the summary');
    expect(f).toContain('lxc.apparmor.profile = lxc-container-default-with-nesting');
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('step 5 of 6: Security'), 'back to security');
    await s.press(KEY.up, LEFT, LEFT);
    await s.waitFor((x) => /AppArmor +(?:‹ )?LXC's default/.test(x), 'default again');
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('step 6 of 6: Summary'), 'the summary');
    expect(f).not.toContain('lxc.apparmor.profile');
  });
});
