import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxds${id}`;
const env = tempLxcpath([bridge]);
const key = (name: string, k: string) => new RegExp(`^${k.replace(/\./g, '\\.')} = (.+)$`, 'm').exec(readFileSync(join(env.lxcpath, name, 'config'), 'utf8'))?.[1];

describe.runIf(RUN_LXC)('integration: copy --snapshot (lxc-copy -s -B overlay)', () => {
  requireLxc();
  afterAll(() => env.cleanup());
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  const src = `p-${id}`;
  const dst = `o-${id}`;

  it('an overlay clone of a privileged container has its own identity, starts with SRC and answers ping at its own address', async () => {
    await engine.create(src, { privileged: true });
    await engine.copy(src, dst, { snapshot: true });
    const rootfs = key(dst, 'lxc.rootfs.path')!;
    expect(rootfs).toMatch(/^overlay(fs)?:/);
    const upper = rootfs.slice(rootfs.lastIndexOf(':') + 1);
    expect(readFileSync(join(upper, 'etc', 'hostname'), 'utf8').trim()).toBe(dst);
    expect(readFileSync(join(env.lxcpath, src, 'rootfs', 'etc', 'hostname'), 'utf8').trim()).toBe(src);
    for (const k of ['lxc.net.0.hwaddr', 'lxc.net.0.ipv4.address', 'lxc.net.0.veth.pair', 'lxc.uts.name']) expect(key(dst, k)).not.toBe(key(src, k));
    await engine.start(src);
    await engine.start(dst);
    for (const n of [src, dst]) execFileSync('/bin/busybox', ['ping', '-c1', '-W2', '-I', bridge, key(n, 'lxc.net.0.ipv4.address')!.split('/')[0]], { stdio: 'ignore' });
    await engine.stop(dst, { kill: true });
    await engine.stop(src, { kill: true });
  });

  it('an unprivileged SRC is refused with E_USAGE and a hint to make a full copy; nothing is made (CLI exit 1 too)', async () => {
    const u = `u-${id}`;
    await engine.create(u);
    await expect(engine.copy(u, `uo-${id}`, { snapshot: true })).rejects.toMatchObject({ code: 'E_USAGE', hint: expect.stringContaining(`lxdeck copy ${u} uo-${id}`) });
    expect(existsSync(join(env.lxcpath, `uo-${id}`))).toBe(false);
    const r = runCli(['copy', u, `uo-${id}`, '--snapshot'], { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unprivileged.*\nhint: make a full copy/);
    expect(existsSync(join(env.lxcpath, `uo-${id}`))).toBe(false);
  });
});
