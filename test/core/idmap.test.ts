import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import {
  IDMAP_SIZE,
  addRootRange,
  allocateIdmapBase,
  ensureRootSubids,
  idmapValues,
  intersectRanges,
  parseIdmap,
  parseSubidFile,
  rootRanges,
  shiftRootfsOwnership,
  usedRanges,
} from '../../core/idmap.js';

describe('subordinate id files (subuid(5))', () => {
  it('parses NAME:START:COUNT lines, skipping comments and junk, and finds root by name or uid 0', () => {
    const e = parseSubidFile('# c\nalice:100000:65536\n\nroot:200000:131072\n0:500000:65536\nbad line\nbob:x:1\n');
    expect(e).toEqual([
      { owner: 'alice', start: 100000, count: 65536 },
      { owner: 'root', start: 200000, count: 131072 },
      { owner: '0', start: 500000, count: 65536 },
    ]);
    expect(rootRanges(e)).toEqual([
      { start: 200000, count: 131072 },
      { start: 500000, count: 65536 },
    ]);
  });

  it('adds a root range at 100000 to an empty file, and past other owners when they reach higher', () => {
    expect(addRootRange('').text).toBe(`root:100000:${IDMAP_SIZE * 10000}\n`);
    const r = addRootRange('alice:100000:65536');
    expect(r.range.start).toBe(165536);
    expect(r.text).toBe(`alice:100000:65536\nroot:165536:${IDMAP_SIZE * 10000}\n`);
    // the same range as the other file when it is free here
    expect(addRootRange('', { start: 300000, count: 65536 }).range).toEqual({ start: 300000, count: 65536 });
  });

  it('ensureRootSubids writes both files when root has no range, keeps them when it has', async () => {
    const d = mkdtempSync(join(tmpdir(), 'lxdeck-subid-'));
    try {
      const paths = { subuid: join(d, 'subuid'), subgid: join(d, 'subgid') };
      writeFileSync(paths.subuid, '');
      const writes: string[] = [];
      const write = async (p: string, t: string) => {
        writes.push(p);
        writeFileSync(p, t);
      };
      const a = await ensureRootSubids(write, paths);
      expect(writes).toEqual([paths.subuid, paths.subgid]);
      expect(readFileSync(paths.subuid, 'utf8')).toMatch(/^root:100000:\d+\n$/);
      expect(readFileSync(paths.subgid, 'utf8')).toBe(readFileSync(paths.subuid, 'utf8'));
      expect(a.ranges).toEqual([{ start: 100000, count: IDMAP_SIZE * 10000 }]);
      const b = await ensureRootSubids(write, paths);
      expect(writes.length).toBe(2);
      expect(b.added).toEqual([]);
      expect(b.ranges).toEqual(a.ranges);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('idmap allocation', () => {
  it('parses lxc.idmap values and renders the two root-owned maps', () => {
    expect(parseIdmap('u 0 100000 65536')).toEqual({ type: 'u', nsid: 0, hostid: 100000, count: 65536 });
    expect(parseIdmap('b 0 1 2')).toBeNull();
    expect(idmapValues(231072)).toEqual(['u 0 231072 65536', 'g 0 231072 65536']);
  });

  it('hands out non-overlapping ranges inside what both files give root', () => {
    const avail = intersectRanges([{ start: 100000, count: 65536 * 4 }], [{ start: 100000 + 65536, count: 65536 * 10 }]);
    expect(avail).toEqual([{ start: 165536, count: 65536 * 3 }]);
    const used: { start: number; count: number }[] = [];
    const bases: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = allocateIdmapBase(avail, used);
      bases.push(b);
      used.push({ start: b, count: IDMAP_SIZE });
    }
    expect(bases).toEqual([165536, 231072, 296608]);
    expect(() => allocateIdmapBase(avail, used)).toThrow(/no free range of 65536/);
  });

  it('skips a range another container maps, even partly, and one mapped only for gids', () => {
    const avail = [{ start: 100000, count: 65536 * 10 }];
    const used = usedRanges(['u 0 100000 65536', 'g 0 100000 65536', 'g 0 170000 10', 'junk']);
    expect(used).toEqual([
      { start: 100000, count: 65536 },
      { start: 100000, count: 65536 },
      { start: 170000, count: 10 },
    ]);
    expect(allocateIdmapBase(avail, used)).toBe(170010);
  });

  it('refuses with E_CONFIG and a hint when root has no range', () => {
    try {
      allocateIdmapBase([], []);
      expect.unreachable();
    } catch (e) {
      expect(isLxdeckError(e, 'E_CONFIG')).toBe(true);
      expect((e as Error & { hint: string }).hint).toMatch(/root:100000:/);
    }
  });
});

describe.runIf(process.getuid?.() === 0)('shifting a rootfs (as root)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lchowns every entry by BASE, never follows a symlink, keeps setuid/setgid, shifts a hard link once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lxdeck-shift-'));
    const outside = join(dir, 'outside');
    writeFileSync(outside, 'host');
    const root = join(dir, 'rootfs');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin/su'), 'x');
    chmodSync(join(root, 'bin/su'), 0o4755);
    writeFileSync(join(root, 'bin/wall'), 'x');
    const { chownSync } = await import('node:fs');
    chownSync(join(root, 'bin/wall'), 0, 5);
    chmodSync(join(root, 'bin/wall'), 0o2755);
    writeFileSync(join(root, 'bin/a'), 'x');
    linkSync(join(root, 'bin/a'), join(root, 'bin/b'));
    symlinkSync(outside, join(root, 'escape'));
    const base = 300000;
    const r = await shiftRootfsOwnership(root, base);
    expect(statSync(outside).uid).toBe(0); // the target outside is untouched
    expect(lstatSync(join(root, 'escape')).uid).toBe(base); // the link itself is shifted
    expect(statSync(join(root, 'bin/su')).uid).toBe(base);
    expect(statSync(join(root, 'bin/su')).mode & 0o7777).toBe(0o4755);
    expect(statSync(join(root, 'bin/wall')).gid).toBe(base + 5);
    expect(statSync(join(root, 'bin/wall')).mode & 0o7777).toBe(0o2755);
    expect(statSync(join(root, 'bin/a')).uid).toBe(base); // not base*2: shifted once
    expect(statSync(root).uid).toBe(base);
    expect(r.modesRestored).toBe(2);
    expect(r.entries).toBe(6); // rootfs, bin, su, wall, a(=b), escape
  });

  it('refuses a file owned by an id the 65536-id range cannot hold, and stops when cancelled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lxdeck-shift-'));
    const root = join(dir, 'rootfs');
    mkdirSync(root);
    writeFileSync(join(root, 'f'), '');
    const { chownSync } = await import('node:fs');
    chownSync(join(root, 'f'), 70000, 0);
    await expect(shiftRootfsOwnership(root, 300000)).rejects.toThrow(/owned by 70000:0/);
    const ac = new AbortController();
    ac.abort();
    chownSync(root, 0, 0);
    chownSync(join(root, 'f'), 0, 0);
    await expect(shiftRootfsOwnership(root, 400000, { signal: ac.signal })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_CANCELLED'));
    expect(statSync(join(root, 'f')).uid).toBe(0);
  });
});
