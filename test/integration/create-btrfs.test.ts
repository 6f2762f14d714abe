/**
 * `--backing btrfs` (issue 11): on a btrfs file system of the test's own (a file, mkfs.btrfs,
 * a loop device of its own, mounted on the temporary lxcpath) the rootfs is a subvolume
 * (lxc.rootfs.path = btrfs:DIR, as lxc-create -B btrfs writes it), unprivileged and privileged;
 * a file survives a stop and start; `copy --snapshot` is a btrfs snapshot (its subvolume names
 * the source's as parent) with a new identity; destroy removes the subvolume; on a lxcpath that
 * is not btrfs it is refused before anything is written. afterAll destroys the containers,
 * unmounts, detaches the loop device and removes the file, even when a test failed.
 * Needs root, LXC and btrfs-progs: under CI=true a host without them FAILS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBacking, isBtrfsSubvolume, onBtrfs } from '../../core/rootfs/create.js';
import { localEngine } from '../../src/local-engine.js';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

const haveBtrfs = spawnSync('which', ['mkfs.btrfs'], { stdio: 'ignore' }).status === 0 && spawnSync('which', ['btrfs'], { stdio: 'ignore' }).status === 0;

describe('--backing btrfs (pure)', () => {
  it('takes btrfs without --size; zfs is refused with where its tools are', () => {
    expect(checkBacking('btrfs', undefined)).toEqual({ backing: 'btrfs' });
    expect(() => checkBacking('btrfs', '1G')).toThrow(/takes none/);
    expect(() => checkBacking('zfs', undefined)).toThrow(expect.objectContaining({ hint: expect.stringContaining('contrib') }));
  });
});

const id = uniq(3);
const bridge = `lxbt${id}`;
const env = tempLxcpath([bridge]);
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge };
const attach = (name: string, ...cmd: string[]) => spawnSync('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', ...cmd], { encoding: 'utf8' });
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });

describe.runIf(RUN_LXC)('integration: create --backing btrfs', () => {
  requireLxc();
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  const imgDir = mkdtempSync(join(tmpdir(), 'lxdeck-btrfs-img-'));
  const image = join(imgDir, 'pool.img');
  let loopdev = '';
  let mounted = false;

  beforeAll(() => {
    if (!haveBtrfs) throw new Error('this test needs btrfs-progs (apt-get install btrfs-progs)');
    sh('truncate', '-s', '512M', image);
    sh('mkfs.btrfs', '-q', image);
    loopdev = sh('losetup', '-f', '--show', image).trim();
    sh('mount', loopdev, env.lxcpath);
    mounted = true;
  });

  afterAll(() => {
    // the containers first (lxc-destroy deletes their subvolumes), then the file system, the loop device, the file
    try {
      for (const n of readdirSync(env.lxcpath).filter((x) => !x.startsWith('.') && existsSync(join(env.lxcpath, x, 'config')))) {
        spawnSync('lxc-stop', ['-P', env.lxcpath, '-n', n, '-k'], { stdio: 'ignore', timeout: 30_000 });
        spawnSync('lxc-destroy', ['-P', env.lxcpath, '-n', n], { stdio: 'ignore', timeout: 30_000 });
      }
    } catch {
      /* not mounted */
    }
    if (mounted && spawnSync('umount', [env.lxcpath], { stdio: 'ignore' }).status !== 0) spawnSync('umount', ['--lazy', env.lxcpath], { stdio: 'ignore' });
    if (loopdev) spawnSync('losetup', ['-d', loopdev], { stdio: 'ignore' });
    rmSync(imgDir, { recursive: true, force: true });
    env.cleanup();
    if (loopdev) expect(spawnSync('losetup', ['-j', image], { encoding: 'utf8' }).stdout.trim()).toBe('');
  });

  it('an unprivileged container on a subvolume: config as lxc-create -B btrfs writes it, root-owned inside, a file survives a stop and start', async () => {
    expect(onBtrfs(env.lxcpath)).toBe(true);
    const name = `bu-${id}`;
    const r = runCli(['create', name, '--backing', 'btrfs', '--start'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    const dir = join(env.lxcpath, name);
    expect(readFileSync(join(dir, 'config'), 'utf8')).toMatch(new RegExp(`^lxc\\.rootfs\\.path = btrfs:${dir}/rootfs$`, 'm'));
    expect(isBtrfsSubvolume(join(dir, 'rootfs'))).toBe(true);
    expect(sh('btrfs', 'subvolume', 'show', join(dir, 'rootfs'))).toMatch(/Parent UUID:\s+-/);
    expect(statSync(join(dir, 'rootfs', 'bin', 'busybox')).uid).toBeGreaterThanOrEqual(100000);
    expect(attach(name, 'stat', '-c', '%u', '/bin/busybox').stdout.trim()).toBe('0');
    expect(attach(name, 'cat', '/etc/hostname').stdout.trim()).toBe(name);
    const w = attach(name, 'sh', '-c', 'echo kept > /root-file && sync');
    expect(w.status, w.stderr).toBe(0);
    await engine.stop(name);
    await engine.start(name);
    expect(attach(name, 'cat', '/root-file').stdout.trim()).toBe('kept');
    await engine.stop(name);
  });

  it('copy --snapshot of the unprivileged one is a btrfs snapshot with its own identity and idmap range; the source keeps its files; destroy removes the subvolume', async () => {
    const src = `bu-${id}`;
    const dst = `bs-${id}`;
    const r = runCli(['copy', src, dst, '--snapshot'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    const srcRoot = join(env.lxcpath, src, 'rootfs');
    const dstRoot = join(env.lxcpath, dst, 'rootfs');
    const cfg = readFileSync(join(env.lxcpath, dst, 'config'), 'utf8');
    expect(cfg).toMatch(new RegExp(`^lxc\\.rootfs\\.path = btrfs:${dstRoot}$`, 'm'));
    const srcUuid = /^\s*UUID:\s+(\S+)/m.exec(sh('btrfs', 'subvolume', 'show', srcRoot))![1];
    expect(sh('btrfs', 'subvolume', 'show', dstRoot)).toMatch(new RegExp(`Parent UUID:\\s+${srcUuid}`));
    const srcCfg = readFileSync(join(env.lxcpath, src, 'config'), 'utf8');
    const idmap = (t: string) => /^lxc\.idmap = u 0 (\d+) /m.exec(t)![1];
    expect(idmap(cfg)).not.toBe(idmap(srcCfg));
    expect(String(statSync(join(dstRoot, 'bin', 'busybox')).uid)).toBe(idmap(cfg));
    expect(String(statSync(join(srcRoot, 'bin', 'busybox')).uid)).toBe(idmap(srcCfg));
    expect(/^lxc\.net\.0\.hwaddr = (\S+)/m.exec(cfg)![1]).not.toBe(/^lxc\.net\.0\.hwaddr = (\S+)/m.exec(srcCfg)![1]);
    expect(readFileSync(join(dstRoot, 'etc', 'hostname'), 'utf8').trim()).toBe(dst);
    expect(readFileSync(join(srcRoot, 'etc', 'hostname'), 'utf8').trim()).toBe(src);
    await engine.start(dst);
    expect(attach(dst, 'cat', '/root-file').stdout.trim()).toBe('kept');
    expect(attach(dst, 'stat', '-c', '%u', '/bin/busybox').stdout.trim()).toBe('0');
    await engine.stop(dst, { kill: true });
    await engine.destroy(dst);
    expect(existsSync(join(env.lxcpath, dst))).toBe(false);
    expect(sh('btrfs', 'subvolume', 'list', env.lxcpath)).not.toContain(dst);
    await engine.destroy(src);
    expect(sh('btrfs', 'subvolume', 'list', env.lxcpath)).not.toContain(src);
  });

  it('a privileged one starts on its subvolume; its snapshot clone too; a full copy is a subvolume of its own', async () => {
    const name = `bp-${id}`;
    await engine.create(name, { backing: 'btrfs', privileged: true, start: true });
    expect(attach(name, 'sh', '-c', 'grep " / " /proc/mounts').stdout).toMatch(/ \/ btrfs /);
    expect(statSync(join(env.lxcpath, name, 'rootfs', 'bin', 'busybox')).uid).toBe(0);
    await engine.stop(name, { kill: true });
    await engine.copy!(name, `bq-${id}`, { snapshot: true });
    expect(sh('btrfs', 'subvolume', 'show', join(env.lxcpath, `bq-${id}`, 'rootfs'))).not.toMatch(/Parent UUID:\s+-\s*$/m);
    await engine.start(`bq-${id}`);
    expect(attach(`bq-${id}`, 'cat', '/etc/hostname').stdout.trim()).toBe(`bq-${id}`);
    await engine.stop(`bq-${id}`, { kill: true });
    // a full copy of a btrfs container: lxc-copy keeps the backing store; a subvolume of its own with the new identity
    await engine.copy!(name, `bf-${id}`);
    const full = join(env.lxcpath, `bf-${id}`, 'rootfs');
    expect(readFileSync(join(env.lxcpath, `bf-${id}`, 'config'), 'utf8')).toMatch(new RegExp(`^lxc\\.rootfs\\.path = btrfs:${full}$`, 'm'));
    expect(isBtrfsSubvolume(full)).toBe(true);
    expect(readFileSync(join(full, 'etc', 'hostname'), 'utf8').trim()).toBe(`bf-${id}`);
  });

  it('rename moves the subvolume with the directory (same file system, nothing copied): config paths and hostname follow; it starts with its files', async () => {
    const a = `ba-${id}`;
    const b = `br-${id}`;
    await engine.create(a, { backing: 'btrfs', start: true });
    expect(attach(a, 'sh', '-c', 'echo moved > /root-file && sync').status).toBe(0);
    await engine.stop(a);
    const uuid = /^\s*UUID:\s+(\S+)/m.exec(sh('btrfs', 'subvolume', 'show', join(env.lxcpath, a, 'rootfs')))![1];
    const r = runCli(['rename', a, b], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(env.lxcpath, a))).toBe(false);
    const dir = join(env.lxcpath, b);
    const cfg = readFileSync(join(dir, 'config'), 'utf8');
    expect(cfg).toMatch(new RegExp(`^lxc\\.rootfs\\.path = btrfs:${dir}/rootfs$`, 'm'));
    expect(cfg).not.toContain(`/${a}/`);
    expect(cfg).toMatch(new RegExp(`^lxc\\.uts\\.name = ${b}$`, 'm'));
    expect(isBtrfsSubvolume(join(dir, 'rootfs'))).toBe(true);
    // the same subvolume, moved: not a copy or snapshot
    expect(sh('btrfs', 'subvolume', 'show', join(dir, 'rootfs'))).toMatch(new RegExp(`UUID:\\s+${uuid}`));
    expect(readFileSync(join(dir, 'rootfs', 'etc', 'hostname'), 'utf8').trim()).toBe(b);
    await engine.start(b);
    expect(attach(b, 'cat', '/root-file').stdout.trim()).toBe('moved');
    expect(attach(b, 'cat', '/etc/hostname').stdout.trim()).toBe(b);
    await engine.stop(b, { kill: true });
    await engine.destroy(b);
    expect(sh('btrfs', 'subvolume', 'list', env.lxcpath)).not.toContain(b);
  });

  it('refused with a hint on a lxcpath that is not btrfs, before anything is written', () => {
    const plain = mkdtempSync(join(tmpdir(), 'lxdeck-notbtrfs-'));
    try {
      const r = runCli(['create', `bn-${id}`, '--backing', 'btrfs'], { ...cliEnv, LXDECK_LXCPATH: plain });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/needs the lxcpath on btrfs.*\nhint: use --backing dir or loop/);
      expect(readdirSync(plain)).toEqual([]);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
