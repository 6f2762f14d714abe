/**
 * `lxdeck device` (issue 11), for real: a character node of the test's own (major 240, the
 * kernel's "local/experimental use" range, with no driver behind it) passed into a privileged
 * container live and into an unprivileged one at its next start, seen inside, allowed by the
 * devices controller (opening it gives ENXIO, "no such device": the cgroup let it through;
 * a denied node gives EPERM), and taken out again. A temporary lxcpath and bridge; the nodes
 * and containers are removed after, even on failure. Needs root and LXC: under CI=true a host
 * without them FAILS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LxcConfig } from '../../core/lxc/config.js';
import { addDeviceToConfig, configDevices, devMajor, devMinor, devicesAllowKey, removeDeviceFromConfig, validateDevicePath } from '../../core/lxc/device.js';
import type { CgroupLayout } from '../../core/cgroup/layout.js';
import { localEngine } from '../../src/local-engine.js';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

describe('device numbers and config (pure)', () => {
  it('splits a dev_t as glibc does, small and large numbers', () => {
    const makedev = (ma: bigint, mi: bigint) => Number(((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n));
    for (const [ma, mi] of [[1, 3], [10, 200], [240, 7], [259, 65536], [4095, 1048575]] as const) {
      const d = makedev(BigInt(ma), BigInt(mi));
      expect([devMajor(d), devMinor(d)]).toEqual([ma, mi]);
    }
  });

  it('refuses paths outside /dev, with .. or white space, with the rule in the message', () => {
    for (const bad of ['/etc/passwd', 'dev/null', '/dev/../etc/x', '/dev/a b', '/dev/', ''])
      expect(() => validateDevicePath(bad), bad).toThrow(/device .*: (it must|name a device)/);
    expect(validateDevicePath('/dev/net//tun')).toBe('/dev/net/tun');
  });

  it('adds the allow rule under the host\'s key and the bind mount once; removing takes both out and keeps the rest', () => {
    const v1 = { v1: { devices: '/sys/fs/cgroup/devices' } } as unknown as CgroupLayout;
    const v2 = { v1: {} } as unknown as CgroupLayout;
    expect(devicesAllowKey(v1)).toBe('lxc.cgroup.devices.allow');
    expect(devicesAllowKey(v2)).toBe('lxc.cgroup2.devices.allow');
    const cfg = LxcConfig.parse('lxc.uts.name = x # name\nlxc.mount.entry = /srv srv none bind 0 0\n');
    const d = { path: '/dev/net/tun', type: 'c' as const, major: 10, minor: 200 };
    expect(addDeviceToConfig(cfg, d, v2)).toEqual(['lxc.cgroup2.devices.allow = c 10:200 rwm', 'lxc.mount.entry = /dev/net/tun dev/net/tun none bind,optional,create=file 0 0']);
    expect(addDeviceToConfig(cfg, d, v2)).toEqual([]);
    expect(removeDeviceFromConfig(cfg, d)).toHaveLength(2);
    expect(cfg.toString()).toBe('lxc.uts.name = x # name\nlxc.mount.entry = /srv srv none bind 0 0\n');
  });
});

const id = uniq(3);
const bridge = `lxdv${id}`;
const env = tempLxcpath([bridge]);
const node = `/dev/lxdeck-t${id}`;
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge };

/** What opening the node for reading inside gives: `ok`, or the error text of busybox's cat. */
function openInside(name: string): string {
  const r = spawnSync('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', '/bin/busybox', 'sh', '-c', `ls -l ${node} && cat ${node}`], { encoding: 'utf8' });
  return `${r.stdout}\n${r.stderr}`;
}

describe.runIf(RUN_LXC)('integration: lxdeck device', () => {
  requireLxc();
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  const priv = `dp-${id}`;
  const unpriv = `du-${id}`;

  beforeAll(() => {
    execFileSync('mknod', ['-m', '0666', node, 'c', '240', String(Number.parseInt(id.slice(0, 2), 16))]);
  });
  afterAll(() => {
    rmSync(node, { force: true });
    env.cleanup();
  });

  it('a running privileged container gets the node live (ENXIO inside: the cgroup allows it), keeps it across a stop and start, and loses it on rm', async () => {
    await engine.create(priv, { privileged: true, start: true });
    expect(openInside(priv)).toMatch(/No such file or directory/);
    const r = runCli(['device', priv, 'add', node], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`passed ${node} \\(c 240:\\d+\\) into ${priv}, live`));
    let inside = openInside(priv);
    expect(inside).toMatch(/^c.* 240,/m);
    expect(inside).toMatch(/No such device or address/);
    expect(inside).not.toMatch(/Operation not permitted/);
    const cfg = readFileSync(join(env.lxcpath, priv, 'config'), 'utf8');
    expect(cfg).toMatch(new RegExp(`^lxc\\.mount\\.entry = ${node} ${node.slice(1)} none bind,optional,create=file 0 0$`, 'm'));
    expect(cfg).toMatch(/^lxc\.cgroup2?\.devices\.allow = c 240:\d+ rwm$/m);
    const info = JSON.parse(runCli(['info', priv, '--json'], cliEnv).stdout) as { devices: { path: string }[] };
    expect(info.devices.map((d) => d.path)).toEqual([node]);

    // a new start, not lxc-stop -r: a reboot keeps the config LXC loaded when it first started
    await engine.stop(priv, { kill: true });
    await engine.start(priv);
    inside = openInside(priv);
    expect(inside).toMatch(/No such device or address/);

    const rm = runCli(['device', priv, 'rm', node], cliEnv);
    expect(rm.status, rm.stderr).toBe(0);
    expect(rm.stdout).toMatch(/, live/);
    expect(openInside(priv)).toMatch(/No such file or directory|Operation not permitted/);
    expect(readFileSync(join(env.lxcpath, priv, 'config'), 'utf8')).not.toContain(node);
    expect(await engine.devices(priv)).toEqual([]);
  });

  it('an unprivileged container gets it at its next start, and is told so', async () => {
    await engine.create(unpriv, { start: true });
    const r = await engine.addDevice(unpriv, node);
    expect(r.live).toBe(false);
    expect(r.messages.join(' ')).toMatch(/unprivileged: .* next start/);
    await engine.stop(unpriv, { kill: true });
    await engine.start(unpriv);
    const inside = openInside(unpriv);
    expect(inside).toMatch(/^c.* 240,/m);
    expect(inside).toMatch(/No such device or address/);
    expect(configDevices(LxcConfig.parse(readFileSync(join(env.lxcpath, unpriv, 'config'), 'utf8'))).map((d) => d.path)).toEqual([node]);
    // a node only host root may open is of no use to root inside (an unmapped uid): said, with the way out
    const closed = `${node}c`;
    execFileSync('mknod', ['-m', '0600', closed, 'c', '240', '250']);
    try {
      const c = await engine.addDevice(unpriv, closed);
      expect(c.messages.join('\n')).toMatch(new RegExp(`is mode 600 owned by 0:0: it cannot open it\. Give it access on the host first, e\.g\. chown \\d+ ${closed}`));
    } finally {
      rmSync(closed, { force: true });
    }
  });

  it('refuses what is not a device node, a standard node, a missing one, and rm of one never passed in', async () => {
    const cases: [string[], number, RegExp][] = [
      [['device', priv, 'add', '/dev/null'], 2, /a node LXC gives every container already/],
      [['device', priv, 'add', '/etc/passwd'], 2, /under \/dev\//],
      [['device', priv, 'add', `/dev/nope-${id}`], 1, /no device node/],
      [['device', priv, 'rm', node], 1, /does not pass/],
      [['device', priv, 'frob', node], 2, /unknown device action/],
    ];
    for (const [args, status, msg] of cases) {
      const r = runCli(args, cliEnv);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(status);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toMatch(/\nhint: /);
    }
  });
});
