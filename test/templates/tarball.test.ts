import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { checkMembers } from '../../templates/common/archive.js';
import { checkBootable } from '../../templates/common/rootfs-files.js';
import { tarballTemplate } from '../../templates/tarball/template.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { busyboxRootfs, makeCtx, startAndAttach, state, stopAndDestroy, tar, writeMinimalConfig } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'lxdeck-tarball-'));
const src = join(work, 'src');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  await busyboxRootfs(src);
  tar(['--numeric-owner', '-czf', join(work, 'bb.tar.gz'), '-C', src, '.']);
  tar(['--numeric-owner', '-cJf', join(work, 'bb.tar.xz'), '-C', src, '.']);
  tar(['--numeric-owner', '--zstd', '-cf', join(work, 'bb.tar.zst'), '-C', src, '.']);
});

function freshRootfs(): string {
  const d = mkdtempSync(join(work, 'rootfs-'));
  return d;
}

describe('tarball: member checks (pure)', () => {
  it('accepts relative members and finds the init and shell among them', () => {
    const r = checkMembers(['./', './bin/', './bin/sh', './sbin/init', './etc/hostname']);
    expect(r.bootables).toEqual(['/bin/sh', '/sbin/init']);
    expect(r.count).toBe(5);
  });
  it('refuses an absolute member and a member with ..', () => {
    expect(() => checkMembers(['./bin/sh', '/etc/passwd'])).toThrow(/absolute member/);
    expect(() => checkMembers(['./bin/sh', 'etc/../../x'])).toThrow(/leaves the rootfs/);
    expect(() => checkMembers(['./bin/sh', '../x'])).toSatisfy((f: () => void) => {
      try {
        f();
        return false;
      } catch (e) {
        return isLxdeckError(e, 'E_UNSAFE_PATH');
      }
    });
  });
  it('refuses an archive with no /sbin/init nor /bin/sh, and accepts the usr-merged forms', () => {
    expect(() => checkMembers(['./etc/', './etc/passwd'])).toThrow(/no \/sbin\/init nor \/bin\/sh/);
    expect(checkMembers(['./usr/sbin/init', './sbin']).bootables).toEqual(['/usr/sbin/init']);
  });
});

describe('tarball: builds a rootfs from an archive', () => {
  for (const ext of ['tar.gz', 'tar.xz', 'tar.zst']) {
    it(`extracts a .${ext} rootfs that passes the sanity check, with its hostname`, async () => {
      const rootfs = freshRootfs();
      const ctx = makeCtx('tb-one', rootfs, { path: join(work, `bb.${ext}`) });
      const r = await tarballTemplate.build(ctx);
      expect(checkBootable(rootfs)).toEqual({ init: '/sbin/init', shell: '/bin/sh' });
      expect(readFileSync(join(rootfs, 'etc/hostname'), 'utf8')).toBe('tb-one\n');
      expect(readFileSync(join(rootfs, 'etc/hosts'), 'utf8')).toMatch(/^127\.0\.1\.1\s+tb-one$/m);
      // busybox init: the halt signal LXC must send
      expect(r.config).toContainEqual(['lxc.signal.halt', 'SIGUSR1']);
      expect(ctx.events.some((e) => /members/.test(e.line ?? ''))).toBe(true);
    });
  }

  it('refuses an archive with an absolute member before extracting anything', async () => {
    const outside = join(work, `abs-${uniq()}`);
    writeFileSync(outside, 'host file\n');
    const bad = join(work, 'abs.tar');
    tar(['-cPf', bad, '-C', src, './bin/sh', outside]);
    rmSync(outside);
    const rootfs = freshRootfs();
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, { path: bad }))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_UNSAFE_PATH'));
    expect(readdirSync(rootfs)).toEqual([]);
    expect(existsSync(outside)).toBe(false);
  });

  it('refuses an archive with a ".." member before extracting anything', async () => {
    mkdirSync(join(work, 'dd/inner'), { recursive: true });
    writeFileSync(join(work, 'dd/escape'), 'x');
    const bad = join(work, 'dotdot.tar.gz');
    tar(['-czPf', bad, '-C', join(work, 'dd/inner'), '../escape', '-C', src, './bin/sh']);
    const rootfs = freshRootfs();
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, { path: bad }))).rejects.toThrow(/leaves the rootfs/);
    expect(readdirSync(rootfs)).toEqual([]);
  });

  it('refuses an archive that is not a rootfs (no /sbin/init nor /bin/sh)', async () => {
    const bad = join(work, 'etc-only.tar.gz');
    tar(['-czf', bad, '-C', src, './etc']);
    const rootfs = freshRootfs();
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, { path: bad }))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_TEMPLATE'));
    expect(readdirSync(rootfs)).toEqual([]);
  });

  it('refuses a missing path, an unknown suffix, and an unknown option', async () => {
    const rootfs = freshRootfs();
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, {}))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_USAGE'));
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, { path: join(work, 'nope.tar.gz') }))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_INVALID_VALUE'));
    writeFileSync(join(work, 'x.zip'), 'PK');
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, { path: join(work, 'x.zip') }))).rejects.toThrow(/not a tar archive/);
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, { path: join(work, 'bb.tar.gz'), relase: 'x' }))).rejects.toThrow(/no option "relase"/);
  });

  it('T1: an archive whose etc/hostname and etc/network are symlinks to host paths never writes outside the rootfs', async () => {
    const outsideFile = join(work, `outside-hostname-${uniq()}`);
    const outsideDir = join(work, `outside-dir-${uniq()}`);
    writeFileSync(outsideFile, 'untouched\n');
    mkdirSync(outsideDir);
    const evil = join(work, 'evil-src');
    await busyboxRootfs(evil);
    rmSync(join(evil, 'etc/hostname'));
    symlinkSync(outsideFile, join(evil, 'etc/hostname'));
    symlinkSync(outsideDir, join(evil, 'etc/network'));
    const bad = join(work, 'evil.tar.gz');
    tar(['--numeric-owner', '-czf', bad, '-C', evil, '.']);
    const rootfs = freshRootfs();
    await expect(tarballTemplate.build(makeCtx('tb', rootfs, { path: bad, 'root-password': 'pw' }))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_UNSAFE_PATH'));
    expect(readFileSync(outsideFile, 'utf8')).toBe('untouched\n');
    expect(readdirSync(outsideDir)).toEqual([]);
  });

  it('applies root-password as a SHA-512 crypt hash and ssh-key to authorized_keys', async () => {
    const rootfs = freshRootfs();
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestOnly0000000000000000000000000 t@h';
    await tarballTemplate.build(makeCtx('tb', rootfs, { path: join(work, 'bb.tar.gz'), 'root-password': 's3cret pw', 'ssh-key': key }));
    const shadow = readFileSync(join(rootfs, 'etc/shadow'), 'utf8');
    expect(shadow).toMatch(/^root:\$6\$[^:]+:\d+:/m);
    expect(shadow).not.toContain('s3cret');
    expect(readFileSync(join(rootfs, 'root/.ssh/authorized_keys'), 'utf8')).toBe(`${key}\n`);
  });
});

describe.runIf(RUN_LXC)('tarball: a real container from the archive starts and answers lxc-attach', () => {
  requireLxc();
  const env = tempLxcpath();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
  });
  it('starts, answers with its hostname, stops and is destroyed', async () => {
    const name = `tb-${uniq(3)}`;
    const rootfs = join(env.lxcpath, name, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    const r = await tarballTemplate.build(makeCtx(name, rootfs, { path: join(work, 'bb.tar.xz') }));
    writeMinimalConfig(env.lxcpath, name, rootfs, r.config);
    expect(startAndAttach(env.lxcpath, name, ['/bin/cat', '/etc/hostname'])).toBe(`${name}\n`);
    expect(state(env.lxcpath, name)).toBe('RUNNING');
    stopAndDestroy(env.lxcpath, name);
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
  });
});
