/**
 * Backing stores at create (issue 11): `--backing loop --size S` makes the rootfs an ext4 image
 * (`<lxcpath>/NAME/rootdev`, lxc.rootfs.path = loop:...) that LXC mounts at start, unprivileged
 * (ids shifted inside the image) and privileged; a rootfs that does not fit leaves nothing; what
 * is not built is refused before anything is written. A temporary lxcpath and bridge, removed
 * after (LXC detaches its loop devices when the containers stop). Needs root and LXC: under
 * CI=true a host without them FAILS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBacking } from '../../core/rootfs/create.js';
import type { Template } from '../../core/rootfs/template.js';
import { TEMPLATES } from '../../templates/index.js';
import { localEngine } from '../../src/local-engine.js';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

describe('--backing and --size (pure)', () => {
  it('takes dir, loop, btrfs and lvm; sizes by the one grammar, 1G by default, at least 16M; refuses the rest with what is accepted', () => {
    expect(checkBacking(undefined, undefined)).toEqual({ backing: 'dir' });
    expect(checkBacking('loop', undefined)).toEqual({ backing: 'loop', sizeBytes: 1024 ** 3 });
    expect(checkBacking('loop', '256M')).toEqual({ backing: 'loop', sizeBytes: 256 * 1024 ** 2 });
    expect(checkBacking('loop', '1GB')).toEqual({ backing: 'loop', sizeBytes: 1e9 - (1e9 % 4096) });
    expect(checkBacking('lvm', undefined)).toEqual({ backing: 'lvm', sizeBytes: 1024 ** 3, lvm: { vg: 'lxc', thinpool: 'lxc' } });
    expect(() => checkBacking('overlay', undefined)).toThrow(/not one lxdeck builds/);
    expect(() => checkBacking('zfs', undefined)).toThrow(expect.objectContaining({ hint: expect.stringContaining('lxc-create -B zfs') }));
    expect(() => checkBacking('dir', '1G')).toThrow(/takes none/);
    for (const bad of ['1M', 'max', '12x', '-1']) expect(() => checkBacking('loop', bad), bad).toThrow();
  });
});

const id = uniq(3);
const bridge = `lxlp${id}`;
const env = tempLxcpath([bridge]);
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge };
const attach = (name: string, ...cmd: string[]) => spawnSync('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', ...cmd], { encoding: 'utf8' });

describe.runIf(RUN_LXC)('integration: create --backing loop', () => {
  requireLxc();
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  afterAll(() => env.cleanup());

  it('an unprivileged container on a 64M ext4 image: root is that file system inside, owned by root inside, a file survives a stop and start, destroy removes the image', async () => {
    const name = `lu-${id}`;
    const r = runCli(['create', name, '--backing', 'loop', '--size', '64M', '--start'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    const dir = join(env.lxcpath, name);
    expect(readFileSync(join(dir, 'config'), 'utf8')).toMatch(new RegExp(`^lxc\\.rootfs\\.path = loop:${dir}/rootdev$`, 'm'));
    expect(statSync(join(dir, 'rootdev')).size).toBe(64 * 1024 ** 2);
    expect(readdirSync(join(dir, 'rootfs'))).toEqual([]);
    const df = attach(name, 'df', '-k', '/');
    expect(df.status, df.stderr).toBe(0);
    const total = Number(df.stdout.trim().split('\n').pop()!.trim().split(/\s+/)[1]);
    expect(total).toBeGreaterThan(40 * 1024);
    expect(total).toBeLessThanOrEqual(64 * 1024);
    expect(attach(name, 'stat', '-c', '%u', '/bin/busybox').stdout.trim()).toBe('0');
    expect(attach(name, 'stat', '-c', '%u', '/').stdout.trim()).toBe('0');
    expect(attach(name, 'stat', '-c', '%u %a', '/lost+found').stdout.trim()).toBe('0 700'); // root's inside, not host root's
    expect(attach(name, 'cat', '/etc/hostname').stdout.trim()).toBe(name);
    const w = attach(name, 'sh', '-c', 'echo kept > /root-file && sync');
    expect(w.status, w.stderr).toBe(0);
    await engine.stop(name);
    await engine.start(name);
    expect(attach(name, 'cat', '/root-file').stdout.trim()).toBe('kept');
    // copy and rename say what they do not do yet, and change nothing
    await engine.stop(name);
    const cp = runCli(['copy', name, `lc-${id}`], cliEnv);
    expect(cp.status).toBe(1);
    expect(cp.stderr).toMatch(/loop-backed: lxdeck copies a dir-backed .*\nhint: lxc-copy /);
    expect(existsSync(join(env.lxcpath, `lc-${id}`))).toBe(false);
    await engine.destroy(name);
    expect(existsSync(dir)).toBe(false);
  });

  it('rename moves the image with the directory: config paths, hostname inside the image, veth name follow; it starts with its files; refused while running', async () => {
    const a = `la-${id}`;
    const b = `lr-${id}`;
    await engine.create(a, { backing: 'loop', size: '48M', start: true });
    expect(attach(a, 'sh', '-c', 'echo moved > /root-file && sync').status).toBe(0);
    const running = runCli(['rename', a, b], cliEnv);
    expect(running.status).toBe(1);
    expect(running.stderr).toMatch(/is RUNNING.*\nhint: stop it first/);
    await engine.stop(a);
    const idmapBefore = /^lxc\.idmap = u 0 (\d+) /m.exec(readFileSync(join(env.lxcpath, a, 'config'), 'utf8'))![1];
    const r = runCli(['rename', a, b], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(env.lxcpath, a))).toBe(false);
    const dir = join(env.lxcpath, b);
    const cfg = readFileSync(join(dir, 'config'), 'utf8');
    expect(cfg).toMatch(new RegExp(`^lxc\\.rootfs\\.path = loop:${dir}/rootdev$`, 'm'));
    expect(cfg).not.toContain(`/${a}/`);
    expect(cfg).toMatch(new RegExp(`^lxc\\.uts\\.name = ${b}$`, 'm'));
    expect(/^lxc\.idmap = u 0 (\d+) /m.exec(cfg)![1]).toBe(idmapBefore);
    expect(statSync(join(dir, 'rootdev')).size).toBe(48 * 1024 ** 2);
    expect(readdirSync(join(dir, 'rootfs'))).toEqual([]); // unmounted again
    expect(spawnSync('losetup', ['-j', join(dir, 'rootdev')], { encoding: 'utf8' }).stdout.trim()).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'lxdeck.json'), 'utf8'))).toMatchObject({ backing: 'loop' });
    await engine.start(b);
    expect(attach(b, 'cat', '/root-file').stdout.trim()).toBe('moved');
    expect(attach(b, 'cat', '/etc/hostname').stdout.trim()).toBe(b);
    expect(attach(b, 'stat', '-c', '%u', '/bin/busybox').stdout.trim()).toBe('0');
    await engine.stop(b, { kill: true });
    await engine.destroy(b);
    expect(existsSync(dir)).toBe(false);
  });

  it('a privileged one starts from its image too', async () => {
    const name = `lp-${id}`;
    await engine.create(name, { backing: 'loop', size: '48M', privileged: true, start: true });
    expect(attach(name, 'sh', '-c', 'grep " / " /proc/mounts').stdout).toMatch(/ \/ ext4 /);
    await engine.stop(name, { kill: true });
  });

  it('snapshots of a loop container: restore in place brings the image back; restore --as and rename say what lxdeck does not do (no raw error, no copy hint), nothing half-made', async () => {
    const name = `ls-${id}`;
    await engine.create(name, { backing: 'loop', size: '48M', start: true });
    expect(attach(name, 'sh', '-c', 'echo before > /state && sync').status).toBe(0);
    await engine.stop(name);
    const snap = runCli(['snapshot', name], cliEnv);
    expect(snap.status, snap.stderr).toBe(0);
    await engine.start(name);
    expect(attach(name, 'sh', '-c', 'echo after > /state && sync').status).toBe(0);
    await engine.stop(name);
    // rename is refused while it has snapshots; the hint does not offer copy (lxdeck does not copy a loop rootfs)
    const rn = runCli(['rename', name, `${name}x`], cliEnv);
    expect(rn.status).toBe(1);
    expect(rn.stderr).toMatch(/LXC cannot rename a container with snapshots/);
    expect(rn.stderr).not.toMatch(/lxdeck copy/);
    // restore as a new container: refused before lxc-snapshot runs, with what to do instead
    const as = runCli(['restore', name, 'snap0', '--as', `${name}n`], cliEnv);
    expect(as.status).toBe(1);
    expect(as.stderr).toMatch(/loop-backed: lxdeck makes a new container from a dir-backed/);
    expect(as.stderr).not.toMatch(/ENOENT|lstat/);
    expect(existsSync(join(env.lxcpath, `${name}n`))).toBe(false);
    // in place: the image is the snapshot's again
    const rs = runCli(['restore', name, 'snap0'], cliEnv);
    expect(rs.status, rs.stderr).toBe(0);
    expect(readFileSync(join(env.lxcpath, name, 'config'), 'utf8')).toMatch(new RegExp(`^lxc\\.rootfs\\.path = loop:${join(env.lxcpath, name)}/rootdev$`, 'm'));
    await engine.start(name);
    expect(attach(name, 'cat', '/state').stdout.trim()).toBe('before');
    await engine.stop(name, { kill: true });
    expect(runCli(['snapshot-delete', name, 'snap0'], cliEnv).status).toBe(0);
    await engine.destroy(name);
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
  });

  it('a rootfs that does not fit: E_COMMAND with a hint to give a larger --size, nothing left behind; bad options exit 2 before anything is written', async () => {
    const before = readdirSync(env.lxcpath).filter((n) => !n.startsWith('.')).sort();
    // busybox plus a 24 MB file cannot fit in a 16M image
    const big: Template = {
      manifest: { name: 'big', description: 'busybox and a 24 MB file', offline: true, options: [] },
      async build(ctx) {
        const r = await TEMPLATES.busybox.build(ctx);
        writeFileSync(join(ctx.rootfs, 'big'), Buffer.alloc(24 * 1024 ** 2, 1));
        return r;
      },
    };
    const e = localEngine({ lxcpath: env.lxcpath, bridge }, { big });
    await expect(e.create(`lt-${id}`, { template: 'big', backing: 'loop', size: '16M' })).rejects.toMatchObject({ code: 'E_COMMAND', hint: expect.stringMatching(/^the rootfs does not fit in 16/) });
    expect(readdirSync(env.lxcpath).filter((n) => !n.startsWith('.')).sort()).toEqual(before);
    for (const [args, msg] of [
      [['--size', '1G'], /takes none/],
      [['--backing', 'loop', '--size', '1M'], /at least 16M/],
    ] as const) {
      const r = runCli(['create', `lb-${id}`, ...args], cliEnv);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    // a missing host tool is the action failing here (1), as for btrfs and lvm; not bad usage
    const z = runCli(['create', `lb-${id}`, '--backing', 'zfs'], cliEnv);
    expect(z.status, z.stderr).toBe(1);
    expect(z.stderr).toMatch(/^lxdeck: --backing zfs needs the zfs program, which is not installed\nhint: .*zfsutils-linux/m);
    expect(readdirSync(env.lxcpath).filter((n) => !n.startsWith('.')).sort()).toEqual(before);
  });
});
