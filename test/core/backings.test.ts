import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostFs } from '../../core/host/host-fs.js';
import { availableBackings, hostBackings } from '../../core/rootfs/backings.js';
import { checkBackings, type CheckContext } from '../../core/checkconfig/checks.js';
import { RecordingRunner } from '../../core/exec/runner.js';

const root = mkdtempSync(join(tmpdir(), 'lxdeck-backings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const tool = (name: string) => {
  mkdirSync(join(root, 'usr/sbin'), { recursive: true });
  writeFileSync(join(root, 'usr/sbin', name), '#!/bin/sh\n', { mode: 0o755 });
};

describe('backing stores this host can use', () => {
  it('a host tree without tools: dir only; loop, btrfs and lvm name their package, zfs says contrib', () => {
    const fs = new HostFs(root);
    const b = hostBackings('/var/lib/lxc', fs);
    expect(b.map((x) => [x.backing, x.available, x.apt])).toEqual([
      ['dir', true, undefined],
      ['loop', false, 'e2fsprogs'],
      ['btrfs', false, 'btrfs-progs'],
      ['lvm', false, 'lvm2 thin-provisioning-tools'],
      ['zfs', false, undefined],
    ]);
    expect(b[4].reason).toMatch(/contrib/);
    expect(availableBackings('/var/lib/lxc', fs)).toEqual(['dir']);
  });

  it('with mke2fs and btrfs but the lxcpath not on btrfs: dir and loop; btrfs says why; checkconfig shows each as info with its remedy', async () => {
    tool('mke2fs');
    tool('btrfs');
    const fs = new HostFs(root);
    expect(availableBackings('/var/lib/lxc', fs)).toEqual(['dir', 'loop']);
    expect(hostBackings('/var/lib/lxc', fs)[2].reason).toMatch(/is not on btrfs/);
    const ctx = { fs, runner: new RecordingRunner(), lxcpath: '/var/lib/lxc' } as unknown as CheckContext;
    const f = await checkBackings(ctx);
    expect(f.map((x) => [x.id, x.severity])).toEqual([
      ['storage.backing.dir', 'info'],
      ['storage.backing.loop', 'info'],
      ['storage.backing.btrfs', 'info'],
      ['storage.backing.lvm', 'info'],
      ['storage.backing.zfs', 'info'],
    ]);
    expect(f[2].explanation).toMatch(/^not available: btrfs-progs is installed/);
    expect(f[2].facts).toMatchObject({ lxcpathOnBtrfs: false });
    expect(f[3].remedy).toMatchObject({ apt: 'lvm2 thin-provisioning-tools', dnf: 'lvm2 device-mapper-persistent-data' });
    expect(await checkBackings({ ...ctx, lxcpath: 'lxd:/x' })).toEqual([]);
  });
});

describe('--backing and --size messages', () => {
  it('a bad image size says why and what a size is, without offering unlimited; the backing hint names zfs too', async () => {
    const { checkBacking } = await import('../../core/rootfs/create.js');
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as { message: string; hint?: string };
      }
      throw new Error('no error');
    };
    const x = err(() => checkBacking('loop', '1X'));
    expect(x.message).toBe('loop image size "1X" is not a size of at least 16M: unknown unit "X"');
    expect(x.hint).not.toMatch(/max|unlimited|-1/);
    expect(x.hint).toMatch(/--size 2G/);
    expect(err(() => checkBacking('loop', 'max')).message).toMatch(/cannot be unlimited/);
    expect(err(() => checkBacking('floppy', undefined)).hint).toMatch(/dir, loop, btrfs, lvm and zfs where the zfs program is installed/);
  });
});
