import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { ExecaRunner } from '../../core/exec/runner.js';
import { cacheEntryDir, cacheRoot, copyTree, ensureCached, mountsUnder } from '../../core/rootfs/cache.js';

const root = mkdtempSync(join(tmpdir(), 'lxdeck-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('rootfs cache', () => {
  it('is under $LXDECK_CACHE when set, /var/cache/lxdeck otherwise, and refuses keys that are not one path component', () => {
    expect(cacheRoot({ LXDECK_CACHE: '/srv/c' })).toBe('/srv/c');
    expect(cacheRoot({})).toBe('/var/cache/lxdeck');
    expect(cacheEntryDir('rootfs', 'debian-bookworm-amd64', '/c')).toBe('/c/rootfs/debian-bookworm-amd64');
    for (const bad of ['../x', 'a/b', '', '.hidden'])
      expect(() => cacheEntryDir('rootfs', bad, '/c')).toSatisfy((f: () => void) => {
        try {
          f();
          return false;
        } catch (e) {
          return isLxdeckError(e, 'E_INVALID_VALUE');
        }
      });
  });

  it('two concurrent requests for the same entry build it once: the second waits for the lock, then reuses it', async () => {
    const dir = join(root, 'rootfs', 'one');
    let builds = 0;
    let waited = 0;
    const build = async (p: string) => {
      builds++;
      await new Promise((r) => setTimeout(r, 1500));
      writeFileSync(join(p, 'file'), 'built\n');
      return { n: builds };
    };
    const [a, b] = await Promise.all([ensureCached(dir, build, { onWait: () => waited++ }), ensureCached(dir, build, { onWait: () => waited++ })]);
    expect(builds).toBe(1);
    expect(waited).toBe(1);
    expect([a.hit, b.hit].sort()).toEqual([false, true]);
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('built\n');
    expect(a.info.n).toBe(1);
    expect(b.info.n).toBe(1);
    const c = await ensureCached(dir, build);
    expect(c.hit).toBe(true);
    expect(builds).toBe(1);
    const d = await ensureCached(dir, build, { refresh: true });
    expect(d.hit).toBe(false);
    expect(builds).toBe(2);
  });

  it('a failed or cancelled build leaves no partial tree and no entry', async () => {
    const dir = join(root, 'rootfs', 'fails');
    await expect(
      ensureCached(dir, async (p) => {
        writeFileSync(join(p, 'half'), 'x');
        throw new Error('mirror down');
      }),
    ).rejects.toThrow('mirror down');
    const ac = new AbortController();
    await expect(
      ensureCached(
        dir,
        async () => {
          ac.abort();
        },
        { signal: ac.signal },
      ),
    ).rejects.toSatisfy((e) => isLxdeckError(e, 'E_CANCELLED'));
    expect(readdirSync(join(root, 'rootfs')).filter((n) => n.startsWith('fails') && !n.endsWith('.lock'))).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('copies a tree keeping symlinks and modes (cp -a)', async () => {
    const from = mkdtempSync(join(root, 'from-'));
    const to = mkdtempSync(join(root, 'to-'));
    writeFileSync(join(from, 'x'), 'y', { mode: 0o750 });
    const { symlinkSync, lstatSync, readlinkSync, statSync } = await import('node:fs');
    symlinkSync('/etc/passwd', join(from, 'link'));
    await copyTree(new ExecaRunner(), from, to);
    expect(lstatSync(join(to, 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(to, 'link'))).toBe('/etc/passwd');
    expect(statSync(join(to, 'x')).mode & 0o777).toBe(0o750);
  });

  it('finds mount points below a directory from mountinfo, deepest first, with octal escapes decoded', async () => {
    const mi = join(root, 'mountinfo');
    writeFileSync(
      mi,
      [
        '22 1 8:1 / / rw - ext4 /dev/sda1 rw',
        '30 22 0:5 / /c/rootfs.partial-1/rootfs/proc rw - proc proc rw',
        '31 22 0:6 / /c/rootfs.partial-1/rootfs/sys rw - sysfs sysfs rw',
        '32 31 0:7 / /c/rootfs.partial-1/rootfs/sys/fs/cgroup rw - tmpfs tmpfs rw',
        '33 22 0:8 / /c/with\\040space rw - tmpfs tmpfs rw',
        '34 22 0:9 / /c/rootfs.partial-10 rw - tmpfs tmpfs rw',
      ].join('\n'),
    );
    expect(await mountsUnder('/c/rootfs.partial-1', mi)).toEqual([
      '/c/rootfs.partial-1/rootfs/sys/fs/cgroup',
      '/c/rootfs.partial-1/rootfs/proc',
      '/c/rootfs.partial-1/rootfs/sys',
    ]);
    expect(await mountsUnder('/c/with space', mi)).toEqual(['/c/with space']);
  });
});
