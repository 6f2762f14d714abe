import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { parseIdmap } from '../../core/idmap.js';
import type { Template } from '../../core/rootfs/template.js';
import { TEMPLATES } from '../../templates/index.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxdc${id}`;
const env = tempLxcpath([bridge]);

function attach(name: string, argv: string[]): string {
  return execFileSync('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', ...argv], { encoding: 'utf8', timeout: 30_000 }).trim();
}
function config(name: string): string {
  return readFileSync(join(env.lxcpath, name, 'config'), 'utf8');
}
function hostUidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!;
  return Number(line.split(/\s+/)[1]);
}
function stagingLeft(): string[] {
  const d = join(env.lxcpath, '.lxdeck');
  return existsSync(d) ? readdirSync(d).filter((f) => f.startsWith('staging')) : [];
}
interface IpLink {
  ifname: string;
  master?: string;
}
function linksOn(br: string): string[] {
  const all = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'master', br], { encoding: 'utf8' }) || '[]') as IpLink[];
  return all.map((l) => l.ifname);
}

describe.runIf(RUN_LXC)('integration: create (unprivileged by default, N2, limits)', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
    expect(linkExists(bridge)).toBe(false);
  });
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  // case N2: names that plain truncation to 15 bytes would merge
  const a = `helloabcdef1`;
  const b = `helloabcdef2`;

  it('N2: helloabcdef1 and helloabcdef2 on the same bridge both start; their host veths are distinct and at most 15 bytes', async () => {
    await engine.create(a, { start: true });
    await engine.create(b, { start: true });
    for (const n of [a, b]) expect(execFileSync('lxc-info', ['-P', env.lxcpath, '-n', n, '-sH'], { encoding: 'utf8' }).trim()).toBe('RUNNING');
    const veths = linksOn(bridge);
    expect(veths.length).toBe(2);
    expect(new Set(veths).size).toBe(2);
    for (const v of veths) expect(Buffer.byteLength(v)).toBeLessThanOrEqual(15);
    const pairs = [a, b].map((n) => /^lxc\.net\.0\.veth\.pair = (.+)$/m.exec(config(n))![1]);
    expect(veths.sort()).toEqual(pairs.sort());
  });

  it('unprivileged by default: id -u inside is 0, init runs on the host as uid BASE, the two ranges do not overlap', async () => {
    const bases: number[] = [];
    for (const n of [a, b]) {
      const maps = config(n)
        .split('\n')
        .filter((l) => l.startsWith('lxc.idmap'))
        .map((l) => parseIdmap(l.split('=')[1])!);
      expect(maps.map((m) => m.type).sort()).toEqual(['g', 'u']);
      expect(maps[0].nsid).toBe(0);
      expect(maps[0].count).toBe(65536);
      expect(maps[0].hostid).toBe(maps[1].hostid);
      const base = maps[0].hostid;
      bases.push(base);
      expect(attach(n, ['id', '-u'])).toBe('0');
      const pid = (await engine.info(n)).pid!;
      expect(hostUidOf(pid)).toBe(base);
      // the rootfs is owned by the range on the host
      expect(execFileSync('stat', ['-c', '%u:%g', join(env.lxcpath, n, 'rootfs', 'etc', 'passwd')], { encoding: 'utf8' }).trim()).toBe(`${base}:${base}`);
    }
    expect(Math.abs(bases[0] - bases[1])).toBeGreaterThanOrEqual(65536);
    // root's range is in /etc/subuid and /etc/subgid (added when missing)
    for (const f of ['/etc/subuid', '/etc/subgid']) expect(readFileSync(f, 'utf8')).toMatch(/^(root|0):\d+:\d+$/m);
  });

  it('two creates at once get distinct addresses and idmap ranges (allocated under the lock)', async () => {
    const [x, y] = await Promise.all([engine.create(`par1-${id}`), localEngine({ lxcpath: env.lxcpath, bridge }).create(`par2-${id}`)]);
    expect(x.net[0].ipv4[0]).not.toBe(y.net[0].ipv4[0]);
    const base = (n: string) => Number(/^lxc\.idmap = u 0 (\d+) 65536$/m.exec(config(n))![1]);
    expect(Math.abs(base(x.name) - base(y.name))).toBeGreaterThanOrEqual(65536);
    expect(stagingLeft()).toEqual([]);
  });

  it('--dhcp writes no lxc.net.0.ipv4.address; a given hwaddr and veth pair are written as given; a given gateway too', async () => {
    const d = await engine.create(`dhcp-${id}`, { dhcp: true, hwaddr: '00:16:3E:AA:BB:CC', vethPair: `vp${id}x` });
    const cfg = config(d.name);
    expect(cfg).not.toMatch(/ipv4/);
    expect(cfg).toMatch(/^lxc\.net\.0\.hwaddr = 00:16:3e:aa:bb:cc$/m);
    expect(cfg).toMatch(new RegExp(`^lxc\\.net\\.0\\.veth\\.pair = vp${id}x$`, 'm'));
    expect(d.net[0].ipv4).toEqual([]);
    const s = await engine.create(`gw-${id}`, { ipv4: '192.168.250.7/24', gateway: '192.168.250.254' });
    expect(config(s.name)).toMatch(/^lxc\.net\.0\.ipv4\.address = 192\.168\.250\.7\/24$/m);
    expect(config(s.name)).toMatch(/^lxc\.net\.0\.ipv4\.gateway = 192\.168\.250\.254$/m);
    // the same veth pair again is refused before anything is written
    await expect(engine.create(`dup-${id}`, { vethPair: `vp${id}x` })).rejects.toThrow(/already used by another container/);
    expect(existsSync(join(env.lxcpath, `dup-${id}`))).toBe(false);
  });

  it('--privileged: no lxc.idmap, rootfs owned by host root, and it starts with init as host uid 0', async () => {
    const p = await engine.create(`priv-${id}`, { privileged: true, start: true });
    const cfg = config(p.name);
    expect(cfg).not.toMatch(/lxc\.idmap/);
    expect(cfg).not.toMatch(/userns\.conf/);
    expect(statSync(join(env.lxcpath, p.name, 'rootfs', 'etc', 'passwd')).uid).toBe(0);
    expect(p.state).toBe('RUNNING');
    expect(hostUidOf(p.pid!)).toBe(0);
    await engine.stop(p.name, { kill: true });
  });

  it('T1: a rootfs whose etc/hostname links to a file outside is never written through; nothing is left', async () => {
    const outsideDir = join(env.lxcpath, '..', `lxdeck-t1-${id}`);
    mkdirSync(outsideDir, { recursive: true });
    const outside = join(outsideDir, 'outside-hostname');
    writeFileSync(outside, 'host-owned\n');
    try {
      const evil: Template = {
        manifest: { name: 'evil', description: 'etc/hostname -> a host file', offline: true, options: [] },
        async build(ctx) {
          mkdirSync(join(ctx.rootfs, 'etc'), { recursive: true });
          symlinkSync(outside, join(ctx.rootfs, 'etc', 'hostname'));
          return { config: [] };
        },
      };
      const e = localEngine({ lxcpath: env.lxcpath, bridge }, { evil });
      await expect(e.create(`t1-${id}`, { template: 'evil' })).rejects.toSatisfy((err) => isLxdeckError(err, 'E_UNSAFE_PATH'));
      expect(readFileSync(outside, 'utf8')).toBe('host-owned\n');
      expect(lstatSync(outside).uid).toBe(0); // not chowned into a range either
      expect(existsSync(join(env.lxcpath, `t1-${id}`))).toBe(false);
      expect(stagingLeft()).toEqual([]);
    } finally {
      rmSync(outsideDir, { recursive: true, force: true });
    }
  });

  it('a cancel (AbortSignal) mid-template and a failing template leave a fresh lxcpath absent and remove the bridge they made', async () => {
    const fresh = join(env.lxcpath, 'fresh-engine');
    const br = `lxdf${id}`;
    let hit = false;
    const ac = new AbortController();
    const waits: Template = {
      manifest: { name: 'waits', description: 'busybox, then waits for the cancel', offline: true, options: [] },
      async build(ctx) {
        const r = await TEMPLATES.busybox.build(ctx);
        hit = true;
        ac.abort();
        await new Promise((res) => setTimeout(res, 50));
        return r;
      },
    };
    const fails: Template = {
      manifest: { name: 'fails', description: 'fails half way', offline: true, options: [] },
      async build(ctx) {
        await TEMPLATES.busybox.build(ctx);
        throw new Error('mirror unreachable');
      },
    };
    try {
      const e = localEngine({ lxcpath: fresh, bridge: br }, { waits, fails });
      await expect(e.create(`c-${id}`, { template: 'waits', signal: ac.signal })).rejects.toSatisfy((err) => isLxdeckError(err, 'E_CANCELLED'));
      expect(hit).toBe(true);
      expect(existsSync(fresh)).toBe(false);
      expect(linkExists(br)).toBe(false);
      await expect(e.create(`f-${id}`, { template: 'fails' })).rejects.toThrow(/mirror unreachable/);
      expect(existsSync(fresh)).toBe(false);
      expect(linkExists(br)).toBe(false);
    } finally {
      try {
        execFileSync('ip', ['link', 'delete', 'dev', br], { stdio: 'ignore' });
      } catch {
        /* removed by the create */
      }
    }
  });

  it('the sweep of a dead create\'s staging dir detaches a mount left inside first, so a host directory bound there keeps its files', async () => {
    const hostDir = join(env.lxcpath, '..', `lxdeck-bind-${id}`);
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, 'precious'), 'keep me');
    const staging = join(env.lxcpath, '.lxdeck', `staging-ghost-${id}-00000000`);
    const mnt = join(staging, 'rootfs', 'mnt');
    mkdirSync(mnt, { recursive: true });
    // an owner that is gone: a pid that exited (and a start time that cannot match)
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(staging, 'owner.json'), JSON.stringify({ pid: Number(dead), startTime: '0', name: `ghost-${id}`, vethPair: 'x', bridge }));
    execFileSync('mount', ['--bind', hostDir, mnt]);
    try {
      await engine.create(`sweep-${id}`);
      expect(existsSync(staging)).toBe(false);
      expect(readFileSync(join(hostDir, 'precious'), 'utf8')).toBe('keep me');
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(staging);
    } finally {
      try {
        execFileSync('umount', ['--lazy', mnt], { stdio: 'ignore' });
      } catch {
        /* detached by the sweep */
      }
      rmSync(hostDir, { recursive: true, force: true });
    }
  });
});
