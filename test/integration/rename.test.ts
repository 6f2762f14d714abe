import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vethName } from '../../core/names.js';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxdr${id}`;
const env = tempLxcpath([bridge]);
const key = (name: string, k: string) => new RegExp(`^${k.replace(/\./g, '\\.')} = (.+)$`, 'm').exec(readFileSync(join(env.lxcpath, name, 'config'), 'utf8'))?.[1];
const addr = (name: string) => key(name, 'lxc.net.0.ipv4.address')!.split('/')[0];
const lxcLs = () => execFileSync('lxc-ls', ['-P', env.lxcpath, '-1'], { encoding: 'utf8' }).split('\n').filter(Boolean);
const ping = (a: string) => execFileSync('/bin/busybox', ['ping', '-c1', '-W2', '-I', bridge, a], { stdio: 'ignore' });

describe.runIf(RUN_LXC)('integration: rename (lxc-copy -R) and restore --as', () => {
  requireLxc();
  afterAll(() => env.cleanup());
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  const a = `a-${id}`;
  const b = `b-${id}`;

  it('renames a stopped container: lxc-ls sees NEW only, same address and hwaddr recorded under NEW, veth/hostname/sidecar follow, protection kept, it starts', async () => {
    await engine.create(a);
    await engine.setProtected(a, true);
    const before = { addr: addr(a), hw: key(a, 'lxc.net.0.hwaddr'), idmap: key(a, 'lxc.idmap'), mode: statSync(join(env.lxcpath, a)).mode };
    await engine.rename(a, b);
    expect(lxcLs()).toContain(b);
    expect(lxcLs()).not.toContain(a);
    expect(existsSync(join(env.lxcpath, a))).toBe(false);
    expect(addr(b)).toBe(before.addr);
    expect(key(b, 'lxc.net.0.hwaddr')).toBe(before.hw);
    expect(key(b, 'lxc.idmap')).toBe(before.idmap);
    expect(key(b, 'lxc.net.0.veth.pair')).toBe(vethName(b, 0, env.lxcpath));
    expect(key(b, 'lxc.uts.name')).toBe(b);
    expect(readFileSync(join(env.lxcpath, b, 'rootfs', 'etc', 'hostname'), 'utf8').trim()).toBe(b);
    expect(statSync(join(env.lxcpath, b)).mode).toBe(before.mode);
    expect(JSON.parse(readFileSync(join(env.lxcpath, b, 'lxdeck.json'), 'utf8')).protected).toBe(true);
    const rec = engine.hostState.readBridge(bridge)!.addresses[before.addr];
    expect(rec).toMatchObject({ lxcpath: env.lxcpath, name: b });
    await engine.setProtected(b, false);
    // a following create does not get the address
    await engine.create(`c-${id}`);
    expect(addr(`c-${id}`)).not.toBe(before.addr);
    await engine.start(b);
    ping(before.addr);
  });

  it('a running container is refused with E_STATE (hint lxdeck stop OLD) and nothing changes', async () => {
    await expect(engine.rename(b, `z-${id}`)).rejects.toMatchObject({ code: 'E_STATE', hint: expect.stringContaining(`lxdeck stop ${b}`) });
    expect(lxcLs()).toContain(b);
    expect(existsSync(join(env.lxcpath, `z-${id}`))).toBe(false);
    await engine.stop(b, { kill: true });
  });

  it('N1: a NEW name that is a path is refused before anything is written; an existing NEW is E_EXISTS', async () => {
    await expect(engine.rename(b, '../x')).rejects.toMatchObject({ code: 'E_NAME_INVALID' });
    await expect(engine.rename(b, `c-${id}`)).rejects.toMatchObject({ code: 'E_EXISTS' });
    expect(lxcLs()).toContain(b);
  });

  it('a container with snapshots is refused (LXC cannot rename it) with a hint', async () => {
    await engine.snapshot(b);
    await expect(engine.rename(b, `y-${id}`)).rejects.toMatchObject({ code: 'E_STATE', hint: expect.stringContaining('lxdeck copy') });
    expect(lxcLs()).toContain(b);
  });

  it('restore --as NEW: a new identity; both start at once at different addresses and answer ping', async () => {
    const r = `r-${id}`;
    await engine.restoreSnapshot(b, 'snap0', { as: r });
    for (const k of ['lxc.net.0.hwaddr', 'lxc.net.0.ipv4.address', 'lxc.net.0.veth.pair', 'lxc.uts.name', 'lxc.idmap']) expect(key(r, k)).not.toBe(key(b, k));
    expect(readFileSync(join(env.lxcpath, r, 'rootfs', 'etc', 'hostname'), 'utf8').trim()).toBe(r);
    expect(JSON.parse(readFileSync(join(env.lxcpath, r, 'lxdeck.json'), 'utf8')).restoredFrom).toBe(`${b}/snap0`);
    // its directory and rootfs are owned by its own root, not by b's (the trial's web1-snap1)
    const base = Number(key(r, 'lxc.idmap')!.split(/\s+/)[2]);
    for (const p of [join(env.lxcpath, r), join(env.lxcpath, r, 'rootfs')]) expect([p, statSync(p).uid, statSync(p).gid]).toEqual([p, base, base]);
    await engine.start(b);
    await engine.start(r);
    ping(addr(b));
    ping(addr(r));
    await engine.stop(b, { kill: true });
    await engine.stop(r, { kill: true });
  });

  it('T1: a symlinked etc/hostname is never written through: rename and restore --as fail with E_UNSAFE_PATH, nothing made', async () => {
    const outside = join(env.lxcpath, '..', `outside-rn-${id}`);
    try {
      writeFileSync(outside, 'untouched\n');
      const t = `t1-${id}`;
      await engine.create(t, { privileged: true });
      await engine.snapshot(t);
      for (const h of [join(env.lxcpath, t, 'rootfs', 'etc', 'hostname'), join(env.lxcpath, t, 'snaps', 'snap0', 'rootfs', 'etc', 'hostname')]) {
        rmSync(h);
        symlinkSync(outside, h);
      }
      await expect(engine.restoreSnapshot(t, 'snap0', { as: `t1r-${id}` })).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
      expect(existsSync(join(env.lxcpath, `t1r-${id}`))).toBe(false);
      await engine.deleteSnapshot(t, 'snap0');
      await expect(engine.rename(t, `t1n-${id}`)).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
      expect(existsSync(join(env.lxcpath, `t1n-${id}`))).toBe(false);
      expect(lxcLs()).toContain(t);
      expect(readFileSync(outside, 'utf8')).toBe('untouched\n');
    } finally {
      rmSync(outside, { force: true });
    }
  });

  it('CLI: rename exits 0 and lxc-ls follows; restore --as exits 0; a missing OLD exits 1 with a hint; N1 exits 2', () => {
    const cli = (args: string[]) => runCli(args, { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge });
    const ok = cli(['rename', `c-${id}`, `d-${id}`]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(lxcLs()).toContain(`d-${id}`);
    expect(lxcLs()).not.toContain(`c-${id}`);
    const as = cli(['restore', b, 'snap0', '--as', `s-${id}`]);
    expect(as.stderr).toBe('');
    expect(as.status).toBe(0);
    expect(lxcLs()).toContain(`s-${id}`);
    const miss = cli(['rename', `nope-${id}`, `e-${id}`]);
    expect(miss.status).toBe(1);
    expect(miss.stderr).toMatch(/^lxdeck: no container named nope-\S+ in .+\nhint: /);
    const bad = cli(['rename', `d-${id}`, 'a/b']);
    expect(bad.status).toBe(2);
    expect(existsSync(join(env.lxcpath, 'a'))).toBe(false);
  });
});
