/**
 * The LVM thin backing store's pure parts (issue 11): the checks of --backing lvm, --size,
 * --vgname/--thinpool against lvm(8)'s name rule and LXC's defaults, the argv of each LVM
 * command (as LXC's storage/lvm.c runs them), the reading of `lvs` and `vgs` output, the
 * `lvm:` rootfs value, and the active thin pools read from a sysfs fixture (device-mapper
 * names with doubled dashes). The real volumes are made in test/integration/create-lvm.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBacking } from '../../core/rootfs/create.js';
import { checkLvmName, checkLvmTarget, isThinPool, lvcreateThinArgv, lvDevice, lvremoveArgv, lvsnapshotArgv, parseLvmRootfs, parseLvs, parseVgs } from '../../core/rootfs/lvm.js';
import { activeThinPools, hostBackings, splitDmName } from '../../core/rootfs/backings.js';
import { HostFs } from '../../core/host/host-fs.js';
import { createCommandLine, lostFoundOwnedBy } from '../../core/rootfs/create.js';
import { statSync } from 'node:fs';

describe('--backing lvm options', () => {
  it("defaults to LXC's volume group lxc and thin pool lxc and 1G; --size, --vgname and --thinpool are checked", () => {
    expect(checkBacking('lvm', '256M', { vg: 'vg0', thinpool: 'pool-a' })).toEqual({ backing: 'lvm', sizeBytes: 256 * 1024 ** 2, lvm: { vg: 'vg0', thinpool: 'pool-a' } });
    expect(checkBacking('lvm', undefined)).toMatchObject({ lvm: { vg: 'lxc', thinpool: 'lxc' } });
    expect(() => checkBacking('lvm', '8M')).toThrow(/LVM thin volume size "8M" is not a size of at least 16M/);
    expect(() => checkBacking('dir', undefined, { vg: 'vg0' })).toThrow(expect.objectContaining({ code: 'E_USAGE', exitCode: 2 }));
    expect(() => checkBacking('lvm', undefined, { vg: '-bad' })).toThrow(expect.objectContaining({ code: 'E_INVALID_VALUE', exitCode: 2 }));
    expect(() => checkBacking('lvm', undefined, { thinpool: 'a/b' })).toThrow(/not a valid LVM thin pool name/);
  });

  it("lvm(8)'s name rule: no leading '-', no reserved prefixes or internal suffixes for volumes", () => {
    expect(checkLvmName('logical volume', 'web-01')).toBe('web-01');
    for (const bad of ['', '.', '..', '-x', 'a b', 'snapshot1', 'pvmove', 'x_tdata', 'x_tmeta2', 'a'.repeat(128)]) expect(() => checkLvmName('logical volume', bad), bad).toThrow();
    expect(checkLvmName('volume group', 'snapshot')).toBe('snapshot');
    expect(checkLvmTarget(undefined, undefined)).toEqual({ vg: 'lxc', thinpool: 'lxc' });
  });

  it('the create command line carries --backing lvm --size --vgname --thinpool', () => {
    expect(createCommandLine('c1', { backing: 'lvm', size: '512M', vgname: 'vg0', thinpool: 'tp' }).line).toBe('lxdeck create c1 --backing lvm --size 512M --vgname vg0 --thinpool tp');
  });
});

describe('LVM argv (as lxc storage/lvm.c)', () => {
  it('thin volume, thin snapshot with activation skip off, forced remove', () => {
    expect(lvcreateThinArgv({ vg: 'vg0', thinpool: 'tp' }, 'c1', 64 * 1024 ** 2)).toEqual(['-q', '-Wy', '--yes', '--thinpool', 'vg0/tp', '-V', '67108864b', '-n', 'c1', 'vg0']);
    expect(lvsnapshotArgv('vg0', 'c1', 'c2')).toEqual(['-q', '--yes', '-s', '-kn', '-n', 'c2', 'vg0/c1']);
    expect(lvremoveArgv('vg0', 'c2')).toEqual(['-f', 'vg0/c2']);
    expect(lvDevice('vg0', 'c1')).toBe('/dev/vg0/c1');
  });

  it('lxc.rootfs.path values: lvm:/dev/VG/LV and /dev/VG/LV are LVM, /dev/mapper and others are not', () => {
    expect(parseLvmRootfs('lvm:/dev/vg0/c1')).toEqual({ vg: 'vg0', lv: 'c1' });
    expect(parseLvmRootfs('/dev/vg0/c1')).toEqual({ vg: 'vg0', lv: 'c1' });
    for (const v of ['dir:/var/lib/lxc/c1/rootfs', 'loop:/var/lib/lxc/c1/rootdev', '/dev/mapper/vg0-c1', 'lvm:/dev/vg0', '', undefined]) expect(parseLvmRootfs(v), String(v)).toBeNull();
  });
});

describe('reading lvs and vgs', () => {
  it('rows of lv_name|lv_attr|pool_lv; a thin pool has attr t...', () => {
    const rows = parseLvs('  tp|twi-aotz--|\n  c1|Vwi-a-tz--|tp\n\n  garbage\n');
    expect(rows).toEqual([
      { name: 'tp', attr: 'twi-aotz--', pool: '' },
      { name: 'c1', attr: 'Vwi-a-tz--', pool: 'tp' },
    ]);
    expect(rows.map(isThinPool)).toEqual([true, false]);
    expect(parseVgs('  lxc\n  vg-data\n')).toEqual(['lxc', 'vg-data']);
  });
});

const root = mkdtempSync(join(tmpdir(), 'lxdeck-lvm-sysfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dm = (n: number, name: string, uuid: string) => {
  mkdirSync(join(root, `sys/block/dm-${n}/dm`), { recursive: true });
  writeFileSync(join(root, `sys/block/dm-${n}/dm/name`), `${name}\n`);
  writeFileSync(join(root, `sys/block/dm-${n}/dm/uuid`), `${uuid}\n`);
};
const tool = (name: string) => {
  mkdirSync(join(root, 'usr/sbin'), { recursive: true });
  writeFileSync(join(root, 'usr/sbin', name), '#!/bin/sh\n', { mode: 0o755 });
};

describe('active thin pools from sysfs (device-mapper names)', () => {
  it('splits VG-LV-layer with doubled dashes inside names', () => {
    expect(splitDmName('lxc-lxc-tpool')).toEqual(['lxc', 'lxc', 'tpool']);
    expect(splitDmName('my--vg-thin--pool-tpool')).toEqual(['my-vg', 'thin-pool', 'tpool']);
    expect(splitDmName('nodash')).toBeNull();
  });

  it('lists VG/POOL of each LVM -tpool device, lxc/lxc first; lvm is offered only with the tools and a pool', () => {
    const fs = new HostFs(root);
    expect(activeThinPools(fs)).toEqual([]);
    dm(0, 'data--vg-pool0_tmeta', 'LVM-aaaa-tmeta');
    dm(1, 'data--vg-pool0-tpool', 'LVM-aaaabbbb-tpool');
    dm(2, 'data--vg-pool0', 'LVM-aaaabbbb-pool');
    dm(3, 'crypt-root', 'CRYPT-LUKS2-xyz');
    dm(4, 'lxc-lxc-tpool', 'LVM-ccccdddd-tpool');
    expect(activeThinPools(fs)).toEqual(['lxc/lxc', 'data-vg/pool0']);
    const lvmOf = () => hostBackings('/var/lib/lxc', fs).find((b) => b.backing === 'lvm')!;
    expect(lvmOf()).toMatchObject({ available: false, apt: 'lvm2 thin-provisioning-tools' });
    tool('lvcreate');
    expect(lvmOf()).toMatchObject({ available: false, apt: 'thin-provisioning-tools' });
    tool('thin_check');
    expect(lvmOf()).toMatchObject({ available: false, apt: 'e2fsprogs' });
    tool('mke2fs');
    expect(lvmOf()).toMatchObject({ available: true, reason: expect.stringContaining('lxc/lxc, data-vg/pool0') });
    rmSync(join(root, 'sys'), { recursive: true });
    expect(lvmOf()).toMatchObject({ available: false, reason: expect.stringMatching(/no volume group has an active thin pool/) });
  });
});

describe('--backing zfs (only where the zfs program is installed; the real path is untested)', () => {
  it('without zfs: refused with where its tools are; with zfs: a dataset under --zfsroot (default lxc), no size', async () => {
    const { checkZfsRoot, parseZfsRootfs, zfsCreateArgv, zfsDestroyArgv } = await import('../../core/rootfs/zfs.js');
    expect(() => checkBacking('zfs', undefined)).toThrow(expect.objectContaining({ code: 'E_MISSING_PROGRAM', exitCode: 1, message: expect.stringContaining('needs the zfs program'), hint: expect.stringContaining('zfsutils-linux') }));
    expect(checkBacking('zfs', undefined, {}, { zfs: true })).toEqual({ backing: 'zfs', zfsRoot: 'lxc' });
    expect(checkBacking('zfs', undefined, { zfsroot: 'tank/lxc' }, { zfs: true })).toEqual({ backing: 'zfs', zfsRoot: 'tank/lxc' });
    expect(() => checkBacking('zfs', '1G', {}, { zfs: true })).toThrow(/takes none/);
    expect(() => checkBacking('dir', undefined, { zfsroot: 'tank' })).toThrow(/--zfsroot belongs to --backing zfs/);
    expect(() => checkZfsRoot('/tank')).toThrow(/not a ZFS dataset name/);
    expect(zfsCreateArgv('lxc/c1', '/var/lib/lxc/c1/rootfs')).toEqual(['create', '-o', 'mountpoint=/var/lib/lxc/c1/rootfs', '-o', 'canmount=noauto', '-p', 'lxc/c1']);
    expect(zfsDestroyArgv('lxc/c1')).toEqual(['destroy', '-r', 'lxc/c1']);
    expect(parseZfsRootfs('zfs:tank/lxc/c1')).toBe('tank/lxc/c1');
    expect(parseZfsRootfs('dir:/x')).toBeNull();
    expect(createCommandLine('c1', { backing: 'zfs', zfsroot: 'tank/lxc' }).line).toBe('lxdeck create c1 --backing zfs --zfsroot tank/lxc');
  });
});

describe('lost+found before mke2fs -d', () => {
  it('is made 0700 and owned by root inside (host id BASE for an unprivileged rootfs), so the ext4 has no file outside the map', () => {
    const r = join(root, 'rootfs-lf');
    mkdirSync(r, { recursive: true });
    lostFoundOwnedBy(r, 100000);
    const st = statSync(join(r, 'lost+found'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([100000, 100000, 0o700]);
    const p = join(root, 'rootfs-lf-priv');
    mkdirSync(p, { recursive: true });
    lostFoundOwnedBy(p, undefined);
    expect(statSync(join(p, 'lost+found')).uid).toBe(0);
  });
});
