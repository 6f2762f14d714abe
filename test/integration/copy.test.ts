import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdmap } from '../../core/idmap.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxdk${id}`;
const env = tempLxcpath([bridge]);
const key = (name: string, k: string) => new RegExp(`^${k.replace(/\./g, '\\.')} = (.+)$`, 'm').exec(readFileSync(join(env.lxcpath, name, 'config'), 'utf8'))?.[1];

describe.runIf(RUN_LXC)('integration: copy (full, dir) with a new identity', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  const src = `src-${id}`;
  const dst = `dst-${id}`;

  it('DST has its own hwaddr, address, veth, idmap range (rootfs owned by it), hostname; both run at once and answer ping', async () => {
    await engine.create(src);
    await engine.copy(src, dst);
    for (const k of ['lxc.net.0.hwaddr', 'lxc.net.0.ipv4.address', 'lxc.net.0.veth.pair', 'lxc.uts.name']) expect(key(dst, k)).not.toBe(key(src, k));
    const base = parseIdmap(key(dst, 'lxc.idmap')!)!.hostid;
    expect(base).not.toBe(parseIdmap(key(src, 'lxc.idmap')!)!.hostid);
    expect(statSync(join(env.lxcpath, dst, 'rootfs', 'etc', 'passwd')).uid).toBe(base);
    // each container's directory and rootfs are owned by its own root (lxc-create's rule), never
    // by another's: the trial found a copy's directory owned by the source's base
    for (const n of [src, dst]) {
      const b = parseIdmap(key(n, 'lxc.idmap')!)!.hostid;
      for (const p of [join(env.lxcpath, n), join(env.lxcpath, n, 'rootfs')]) expect({ p, uid: statSync(p).uid, gid: statSync(p).gid }).toEqual({ p, uid: b, gid: b });
    }
    // a rename of the copy (the trial's next step) keeps it owned by its own root
    await engine.rename(dst, `${dst}r`);
    await engine.rename(`${dst}r`, dst);
    expect(statSync(join(env.lxcpath, dst)).uid).toBe(base);
    expect(readFileSync(join(env.lxcpath, dst, 'rootfs', 'etc', 'hostname'), 'utf8').trim()).toBe(dst);
    expect(JSON.parse(readFileSync(join(env.lxcpath, dst, 'lxdeck.json'), 'utf8')).copiedFrom).toBe(src);
    await engine.start(src);
    await engine.start(dst);
    for (const n of [src, dst]) execFileSync('/bin/busybox', ['ping', '-c1', '-W2', '-I', bridge, key(n, 'lxc.net.0.ipv4.address')!.split('/')[0]], { stdio: 'ignore' });
  });

  it('a running SRC is refused with E_STATE and nothing is made', async () => {
    await expect(engine.copy(src, `x-${id}`)).rejects.toMatchObject({ code: 'E_STATE' });
    expect(await engine.names()).not.toContain(`x-${id}`);
  });

  it('N1: a DST name that is a path is refused before anything is written', async () => {
    await expect(engine.copy(src, '../x')).rejects.toMatchObject({ code: 'E_NAME_INVALID' });
  });
});

describe.runIf(RUN_LXC)('integration: copy T1 (symlinks in a rootfs)', () => {
  requireLxc();
  const id2 = uniq(3);
  const br = `lxdt${id2}`;
  const e2 = tempLxcpath([br]);
  const outside = join(e2.lxcpath, '..', `outside-hostname-${id2}`);
  afterAll(() => {
    e2.cleanup();
    rmSync(outside, { force: true });
  });
  it('T1: etc/hostname -> a host file: the file outside is never written, the copy fails with E_UNSAFE_PATH and leaves no DST', async () => {
    const eng = localEngine({ lxcpath: e2.lxcpath, bridge: br });
    await eng.create(`t1-${id2}`, { privileged: true });
    writeFileSync(outside, 'untouched\n');
    const h = join(e2.lxcpath, `t1-${id2}`, 'rootfs', 'etc', 'hostname');
    rmSync(h);
    symlinkSync(outside, h);
    await expect(eng.copy(`t1-${id2}`, `t1c-${id2}`)).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
    expect(readFileSync(outside, 'utf8')).toBe('untouched\n');
    expect(existsSync(join(e2.lxcpath, `t1c-${id2}`))).toBe(false);
  });
});
