import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import type { CreateOptions } from '../../core/types.js';
import type { Backing } from '../../core/rootfs/create.js';
import { FakeEngine, fakeCreateEnv } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});
const RIGHT = '\u001b[C';
const flat = (f: string): string => f.replace(/\s+/g, ' ');

async function toStorage(e: FakeEngine, backings: Backing[], lvmPools?: string[]): Promise<Rendered> {
  r = renderAt(<App engine={e} refreshMs={0} theme={theme} services={{ createEnv: () => ({ ...fakeCreateEnv(['br-lan']), backings, lvmPools }) }} />, 100, 30);
  const s = r;
  await s.waitFor((x) => x.includes('lxdeck'), 'the list');
  await s.press('c');
  await s.waitFor((x) => x.includes('step 1 of 7: Name'), 'the name step, 7 steps with storage');
  await delay(50);
  await s.press('disk-01', KEY.enter);
  await s.waitFor((x) => x.includes('step 2 of 7: Template'));
  await s.press(KEY.enter);
  await s.waitFor((x) => x.includes('step 3 of 7: Network'));
  await s.press(KEY.enter);
  await s.waitFor((x) => x.includes('step 4 of 7: Resources'));
  await s.press(KEY.enter);
  await s.waitFor((x) => x.includes('step 5 of 7: Storage'));
  return s;
}

describe('create wizard: the storage step', () => {
  it('offers only the backing stores the host can do; loop asks for a size; the summary, the command line and the create carry --backing and --size', async () => {
    const e = new FakeEngine();
    const s = await toStorage(e, ['dir', 'loop']);
    let f = s.frame();
    expect(f).toMatch(/dir \(a directory in the lxcpath\)/);
    expect(f).not.toMatch(/btrfs/);
    expect(f).not.toMatch(/size/);
    await s.press(RIGHT);
    f = await s.waitFor((x) => x.includes('loop (an ext4 image file'), 'loop chosen');
    await s.waitFor((x) => /size/.test(x), 'the size field');
    await s.press(KEY.down, '256M', KEY.enter);
    await s.waitFor((x) => x.includes('step 6 of 7: Security'));
    // back: the choice and the size are kept
    await s.press(KEY.escape);
    f = await s.waitFor((x) => x.includes('step 5 of 7: Storage'));
    expect(f).toMatch(/size +256M/);
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('step 6 of 7: Security'));
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('step 7 of 7: Summary'));
    expect(f).toMatch(/lxc\.rootfs\.path = loop:.*\/disk-01\/rootdev/);
    await s.press(KEY.pageDown, KEY.pageDown);
    f = await s.waitFor((x) => x.includes('lxdeck create disk-01'), 'the command line');
    expect(flat(f)).toContain('--backing loop --size 256M');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created disk-01'), 'created');
    const [[name, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(name).toBe('disk-01');
    expect(opts).toMatchObject({ backing: 'loop', size: '256M' });
  });

  it('btrfs where the host can: chosen, it goes to the create with no size', async () => {
    const e = new FakeEngine();
    const s = await toStorage(e, ['dir', 'loop', 'btrfs']);
    await s.press(RIGHT, RIGHT);
    await s.waitFor((x) => x.includes('btrfs (a subvolume'), 'btrfs chosen');
    expect(s.frame()).not.toMatch(/ size /);
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('step 6 of 7: Security'));
    await s.press(KEY.enter);
    const f = await s.waitFor((x) => x.includes('step 7 of 7: Summary'));
    expect(f).toMatch(/lxc\.rootfs\.path = btrfs:.*\/disk-01\/rootfs/);
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created disk-01'), 'created');
    const [[, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(opts.backing).toBe('btrfs');
    expect(opts.size).toBeUndefined();
  });

  it('lvm where the host has a thin pool: the pool is chosen among the host\'s (VG/POOL), with a size; the create gets --vgname and --thinpool', async () => {
    const e = new FakeEngine();
    const s = await toStorage(e, ['dir', 'loop', 'lvm'], ['lxc/lxc', 'data-vg/pool0']);
    await s.press(RIGHT, RIGHT);
    await s.waitFor((x) => x.includes('lvm (a thin volume'), 'lvm chosen');
    let f = await s.waitFor((x) => /thin pool\W+lxc\/lxc/.test(x), 'the thin pool field, LXC\'s default first');
    expect(f).toMatch(/size/);
    await s.press(KEY.down, RIGHT);
    await s.waitFor((x) => /thin pool\W+data-vg\/pool0/.test(x), 'the other pool');
    await s.press(KEY.down, '128M', KEY.enter);
    await s.waitFor((x) => x.includes('step 6 of 7: Security'));
    await s.press(KEY.enter);
    f = await s.waitFor((x) => x.includes('step 7 of 7: Summary'));
    expect(f).toMatch(/lxc\.rootfs\.path = lvm:\/dev\/data-vg\/disk-01/);
    await s.press(KEY.pageDown, KEY.pageDown);
    f = await s.waitFor((x) => x.includes('lxdeck create disk-01'), 'the command line');
    expect(flat(f)).toContain('--backing lvm --size 128M --vgname data-vg --thinpool pool0');
    await s.press(KEY.enter);
    await s.waitFor((x) => x.includes('Created disk-01'), 'created');
    const [[, opts]] = e.callsOf('create') as [string, CreateOptions][];
    expect(opts).toMatchObject({ backing: 'lvm', size: '128M', vgname: 'data-vg', thinpool: 'pool0' });
  });
});
