import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine.js';
import { isLxdeckError } from '../../core/errors.js';
import { parseIdmap } from '../../core/idmap.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

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
  const engine = new Engine({ lxcpath: env.lxcpath, bridge });
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
});
