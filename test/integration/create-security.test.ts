// The security choices of a create: lxc.apparmor.profile and lxc.seccomp.profile (lxc.container.conf(5)).
// Pure checks first (no root), then real LXC on this host: --seccomp none starts, a custom profile denies its syscall.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CgroupLayout } from '../../core/cgroup/layout.js';
import { isLxdeckError } from '../../core/errors.js';
import { HostFs } from '../../core/host/host-fs.js';
import { LxcConfig } from '../../core/lxc/config.js';
import { LXC_COMMON_CONF, createCommandLine, planCreate, renderConfig } from '../../core/rootfs/create.js';
import { checkApparmor, checkSeccomp, detectHostSecurity, parseApparmorProfiles, type HostSecurity } from '../../core/rootfs/security.js';
import { getTemplate } from '../../templates/index.js';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const v2: CgroupLayout = { kind: 'v2', v2Mount: '/sys/fs/cgroup', v2MountRoot: '/', v2Controllers: ['cpu', 'memory', 'pids', 'io', 'cpuset'], v1: {}, v1MountRoots: {} };
const NO_AA: HostSecurity = { apparmor: false, apparmorParser: null, apparmorProfiles: null, seccomp: true, defaultSeccompProfile: '/usr/share/lxc/config/common.seccomp' };
const AA: HostSecurity = {
  apparmor: true,
  apparmorParser: '/usr/sbin/apparmor_parser',
  apparmorProfiles: ['lxc-container-default', 'lxc-container-default-cgns', 'lxc-container-default-with-nesting', '/usr/bin/man'],
  seccomp: true,
  defaultSeccompProfile: '/usr/share/lxc/config/common.seccomp',
};
const env = (security: HostSecurity) => ({ defaultBridge: 'lxdeckbr0', layout: v2, template: getTemplate, security });
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (isLxdeckError(e)) return `${e.code}: ${e.message} | hint: ${e.hint ?? ''}`;
    throw e;
  }
  return 'no error';
};

const scratch = mkdtempSync(join(tmpdir(), 'lxdeck-sec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const DENY_MOUNT = join(scratch, 'deny-mount.seccomp');
writeFileSync(DENY_MOUNT, '2\ndenylist\nreject_force_umount\n[all]\nmount errno 1\n');

describe('AppArmor choice (lxc.apparmor.profile)', () => {
  it('default or nothing writes no key, on any host', () => {
    for (const v of [undefined, '', 'default', ' default ']) {
      expect(checkApparmor(v, NO_AA)).toBeUndefined();
      expect(checkApparmor(v, AA)).toBeUndefined();
    }
  });

  it('a host without AppArmor refuses a profile (LXC would ignore the key), with a hint to leave it out', () => {
    const m = code(() => checkApparmor('unconfined', NO_AA));
    expect(m).toMatch(/^E_CONFIG: AppArmor is not enabled on this host/);
    expect(m).toMatch(/hint: leave out --apparmor/);
    expect(code(() => checkApparmor('lxc-container-default-cgns', NO_AA))).toMatch(/^E_CONFIG/);
  });

  it('a profile name must be one safe token; on an AppArmor host it must be loaded; generated needs apparmor_parser', () => {
    for (const bad of ['a b', 'x#y', 'p=1', '-rf', '/usr/bin/x', 'a\nlxc.init.cmd = /bin/sh', 'x'.repeat(256)])
      expect(code(() => checkApparmor(bad, AA))).toMatch(/^E_INVALID_VALUE: AppArmor profile .* is not a profile name/);
    expect(checkApparmor('lxc-container-default-with-nesting', AA)).toBe('lxc-container-default-with-nesting');
    expect(checkApparmor('unconfined', AA)).toBe('unconfined');
    expect(checkApparmor('generated', AA)).toBe('generated');
    expect(checkApparmor('unchanged', AA)).toBe('unchanged');
    const m = code(() => checkApparmor('my-profile', AA));
    expect(m).toMatch(/^E_INVALID_VALUE: AppArmor profile my-profile is not loaded/);
    expect(m).toMatch(/lxc-container-default-cgns/);
    expect(code(() => checkApparmor('generated', { ...AA, apparmorParser: null }))).toMatch(/^E_CONFIG: .*apparmor_parser/);
    // the loaded list unreadable: a name is taken as given
    expect(checkApparmor('my-profile', { ...AA, apparmorProfiles: null })).toBe('my-profile');
  });

  it('the loaded profiles are read from securityfs lines NAME (MODE)', () => {
    expect(parseApparmorProfiles('lxc-container-default-cgns (enforce)\n/usr/bin/man (complain)\nfoo//bar (enforce)\n')).toEqual([
      'lxc-container-default-cgns',
      '/usr/bin/man',
      'foo//bar',
    ]);
  });
});

describe('seccomp choice (lxc.seccomp.profile)', () => {
  it('default, none, and a file made absolute', () => {
    expect(checkSeccomp(undefined)).toEqual({ mode: 'default' });
    expect(checkSeccomp('default')).toEqual({ mode: 'default' });
    expect(checkSeccomp('none')).toEqual({ mode: 'none' });
    expect(checkSeccomp(DENY_MOUNT)).toEqual({ mode: 'file', path: DENY_MOUNT });
    expect(checkSeccomp('deny-mount.seccomp', scratch)).toEqual({ mode: 'file', path: DENY_MOUNT });
  });

  it('refuses a missing file, a directory, and a file not in LXC format', () => {
    expect(code(() => checkSeccomp(join(scratch, 'nope')))).toMatch(/^E_INVALID_VALUE: seccomp profile .*nope: no such file/);
    mkdirSync(join(scratch, 'dir'), { recursive: true });
    expect(code(() => checkSeccomp(join(scratch, 'dir')))).toMatch(/is not a regular file/);
    writeFileSync(join(scratch, 'v3'), '3\ndenylist\n');
    expect(code(() => checkSeccomp(join(scratch, 'v3')))).toMatch(/not the version 1 or 2/);
    writeFileSync(join(scratch, 'nopolicy'), '2\nmount errno 1\n');
    expect(code(() => checkSeccomp(join(scratch, 'nopolicy')))).toMatch(/is not a policy type/);
    // LXC's own default profile is accepted as a file
    if (existsSync('/usr/share/lxc/config/common.seccomp')) expect(checkSeccomp('/usr/share/lxc/config/common.seccomp').mode).toBe('file');
  });
});

describe('planCreate, renderConfig and the command line', () => {
  const render = (opts: Parameters<typeof planCreate>[1], sec = NO_AA) => {
    const plan = planCreate('sec1', opts, env(sec));
    return { plan, text: renderConfig(plan, { dir: '/var/lib/lxc/sec1', ipv4: '10.0.3.5/24', gateway: '10.0.3.1', idmapBase: 100000, templateConfig: [], created: '2026-01-01T00:00:00.000Z' }) };
  };

  it('LXC defaults write no security key and no warning', () => {
    const { plan, text } = render({});
    expect(text).not.toMatch(/apparmor|seccomp/);
    expect(plan.warnings).toEqual([]);
    expect(render({ apparmorProfile: 'default', seccompProfile: 'default' }).text).not.toMatch(/apparmor|seccomp/);
  });

  it('seccomp none clears the key after common.conf is included, with a warning; a file is written as its absolute path', () => {
    const none = render({ seccompProfile: 'none' });
    const cfg = LxcConfig.parse(none.text);
    expect(cfg.get('lxc.seccomp.profile')).toBe('');
    const lines = none.text.split('\n');
    if (existsSync(LXC_COMMON_CONF)) expect(lines.indexOf(`lxc.include = ${LXC_COMMON_CONF}`)).toBeLessThan(lines.indexOf('lxc.seccomp.profile ='));
    expect(none.plan.warnings.join(' ')).toMatch(/No seccomp profile/);
    const file = render({ seccompProfile: DENY_MOUNT });
    expect(LxcConfig.parse(file.text).get('lxc.seccomp.profile')).toBe(DENY_MOUNT);
    expect(file.plan.warnings).toEqual([]);
  });

  it('an AppArmor profile is written on an AppArmor host; unconfined carries a warning; refused on this kind of host without it', () => {
    const aa = render({ apparmorProfile: 'unconfined' }, AA);
    expect(LxcConfig.parse(aa.text).get('lxc.apparmor.profile')).toBe('unconfined');
    expect(aa.plan.warnings.join(' ')).toMatch(/unconfined container runs without an AppArmor profile/);
    expect(code(() => planCreate('sec1', { apparmorProfile: 'generated' }, env(NO_AA)))).toMatch(/^E_CONFIG: AppArmor is not enabled/);
    expect(code(() => planCreate('sec1', { seccompProfile: join(scratch, 'missing') }, env(NO_AA)))).toMatch(/^E_INVALID_VALUE: seccomp profile/);
  });

  it('the command line has --apparmor and --seccomp only when not the default', () => {
    expect(createCommandLine('sec1', { apparmorProfile: 'default', seccompProfile: 'default' }).argv).toEqual(['create', 'sec1']);
    expect(createCommandLine('sec1', { apparmorProfile: 'unconfined', seccompProfile: '/etc/my profile.seccomp' }).line).toBe(
      "lxdeck create sec1 --apparmor unconfined --seccomp '/etc/my profile.seccomp'",
    );
    expect(createCommandLine('sec1', { seccompProfile: 'none' }).argv).toEqual(['create', 'sec1', '--seccomp', 'none']);
  });
});

describe('detectHostSecurity: what checkconfig sees', () => {
  function tree(files: Record<string, string>): HostFs {
    const root = mkdtempSync(join(scratch, 'root-'));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text, { mode: 0o755 });
    }
    return new HostFs(root);
  }

  it('an AppArmor host: enabled, the parser, the loaded profiles, and common.conf\'s seccomp profile', () => {
    const fs = tree({
      '/sys/module/apparmor/parameters/enabled': 'Y\n',
      '/usr/sbin/apparmor_parser': '#!/bin/sh\n',
      '/sys/kernel/security/apparmor/profiles': 'lxc-container-default-cgns (enforce)\nlxc-container-default (enforce)\n',
      '/usr/share/lxc/config/common.conf': 'lxc.tty.max = 4\nlxc.seccomp.profile = /usr/share/lxc/config/common.seccomp\n',
      '/proc/self/status': 'Name:\tx\nSeccomp:\t0\nSeccomp_filters:\t0\n',
    });
    expect(detectHostSecurity(fs)).toEqual({
      apparmor: true,
      apparmorParser: '/usr/sbin/apparmor_parser',
      apparmorProfiles: ['lxc-container-default-cgns', 'lxc-container-default'],
      seccomp: true,
      defaultSeccompProfile: '/usr/share/lxc/config/common.seccomp',
    });
  });

  it('a host with AppArmor disabled or absent, and no common.conf', () => {
    const off = detectHostSecurity(tree({ '/sys/module/apparmor/parameters/enabled': 'N\n', '/usr/sbin/apparmor_parser': '#!/bin/sh\n' }));
    expect(off).toMatchObject({ apparmor: false, apparmorParser: null, apparmorProfiles: null, defaultSeccompProfile: null });
    expect(detectHostSecurity(tree({ '/etc/hostname': 'x\n' })).apparmor).toBe(false);
  });

  it('this host: AppArmor as /sys/module/apparmor/parameters/enabled says', () => {
    let enabled = false;
    try {
      enabled = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
    } catch {
      enabled = false;
    }
    const h = detectHostSecurity();
    expect(h.apparmor).toBe(enabled);
    if (existsSync(LXC_COMMON_CONF)) expect(h.defaultSeccompProfile).toBe(LxcConfig.parse(readFileSync(LXC_COMMON_CONF, 'utf8')).get('lxc.seccomp.profile') ?? null);
  });
});

// ------------------------------------------------------------------ real LXC

const id = uniq(3);
const bridge = `lxds${id}`;
const lx = tempLxcpath([bridge]);

function seccompMode(pid: number): string {
  return /^Seccomp:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
}
function attach(name: string, script: string): { status: number; out: string } {
  const r = spawnSync('lxc-attach', ['-P', lx.lxcpath, '-n', name, '--', '/bin/sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}`.trim() };
}
const MOUNT = 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mounted';

describe.runIf(RUN_LXC)('integration: create with seccomp choices (real LXC)', () => {
  requireLxc();
  afterAll(() => {
    lx.cleanup();
    expect(existsSync(lx.lxcpath)).toBe(false);
    expect(linkExists(bridge)).toBe(false);
  });
  const engine = localEngine({ lxcpath: lx.lxcpath, bridge });

  it('--seccomp none: the config clears the key, the container starts, its init has no seccomp filter, and mount works inside', async () => {
    const n = `scn-${id}`;
    const info = await engine.create(n, { seccompProfile: 'none', start: true });
    expect(info.state).toBe('RUNNING');
    expect(readFileSync(join(lx.lxcpath, n, 'config'), 'utf8')).toMatch(/^lxc\.seccomp\.profile =$/m);
    expect(seccompMode(info.pid!)).toBe('0');
    const m = attach(n, MOUNT);
    expect(m.out).toBe('mounted');
    expect(m.status).toBe(0);
    await engine.stop(n, { kill: true });
  });

  it('a custom profile denying mount(2): the container starts under a seccomp filter and mount fails inside with EPERM', async () => {
    const n = `scf-${id}`;
    const info = await engine.create(n, { seccompProfile: DENY_MOUNT, start: true });
    expect(info.state).toBe('RUNNING');
    expect(LxcConfig.parse(readFileSync(join(lx.lxcpath, n, 'config'), 'utf8')).get('lxc.seccomp.profile')).toBe(DENY_MOUNT);
    expect(seccompMode(info.pid!)).toBe('2');
    const m = attach(n, MOUNT);
    expect(m.status).not.toBe(0);
    expect(m.out).not.toContain('mounted');
    // busybox mount reports EPERM as "permission denied"
    expect(m.out).toMatch(/permission denied|operation not permitted/i);
    // the rest still works
    expect(attach(n, 'echo ok').out).toBe('ok');
    await engine.stop(n, { kill: true });
  });

  it('--apparmor on this host without AppArmor is refused before anything is written', async () => {
    const enabled = detectHostSecurity().apparmor;
    const n = `saa-${id}`;
    if (enabled) {
      // not this host; an AppArmor host takes a known profile
      await expect(engine.create(n, { apparmorProfile: 'no-such-profile-lxdeck' })).rejects.toThrow(/not loaded/);
    } else {
      await expect(engine.create(n, { apparmorProfile: 'unconfined' })).rejects.toThrow(/AppArmor is not enabled on this host/);
    }
    expect(existsSync(join(lx.lxcpath, n))).toBe(false);
  });

  it('the create verb: --seccomp none warns on stderr even off a terminal; a missing profile and --apparmor here are refused with a hint, nothing made', () => {
    const cliEnv = { LXDECK_LXCPATH: lx.lxcpath, LXDECK_BRIDGE: bridge };
    const none = runCli(['create', `clin-${id}`, '--seccomp', 'none'], cliEnv);
    expect(none.stderr).toContain('lxdeck: warning: No seccomp profile');
    expect(none.status).toBe(0);
    expect(readFileSync(join(lx.lxcpath, `clin-${id}`, 'config'), 'utf8')).toMatch(/^lxc\.seccomp\.profile =$/m);

    const missing = runCli(['create', `clim-${id}`, '--seccomp', join(scratch, 'missing.seccomp')], cliEnv);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/seccomp profile .*missing\.seccomp: no such file/);
    expect(existsSync(join(lx.lxcpath, `clim-${id}`))).toBe(false);

    if (!detectHostSecurity().apparmor) {
      const aa = runCli(['create', `clia-${id}`, '--apparmor', 'generated'], cliEnv);
      expect(aa.status).toBe(1);
      expect(aa.stderr).toMatch(/AppArmor is not enabled on this host/);
      expect(aa.stderr).toMatch(/hint: leave out --apparmor/);
      expect(existsSync(join(lx.lxcpath, `clia-${id}`))).toBe(false);
      // default is no choice at all: accepted on any host, no key written
      const d = runCli(['create', `clid-${id}`, '--apparmor', 'default', '--seccomp', 'default'], cliEnv);
      expect(d.status).toBe(0);
      expect(readFileSync(join(lx.lxcpath, `clid-${id}`, 'config'), 'utf8')).not.toMatch(/apparmor|seccomp/);
    }
  });
});
