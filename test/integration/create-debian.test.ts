// The done-when from one command line: a Debian container with a static address,
// 512 MiB of memory and an extra package, started, unprivileged. Needs the Debian mirror
// (debootstrap); slow the first time (the template caches the base system).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { controllerDriver, detectCgroupLayout } from '../../core/cgroup/layout.js';
import { HostFs } from '../../core/host/host-fs.js';
import { formatIpv4, networkOf, parseCidr } from '../../core/network/ipv4.js';
import { CLI } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxdd${id}`;
const env = tempLxcpath([bridge]);
const name = `deb-${id}`;

describe.runIf(RUN_LXC)('integration: lxdeck create a Debian container in one line (issue 3 done-when)', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });

  it('debootstrap + --option packages=less + --memory 512MiB + --ipv4 + --start: runs unprivileged with all of it', { timeout: 900_000 }, async () => {
    const gw = parseCidr((await localEngine({ lxcpath: env.lxcpath, bridge }).ensureBridge()).gateway);
    const addr = `${formatIpv4((networkOf(gw) + 200) >>> 0)}/${gw.prefix}`;
    const r = spawnCli(['create', name, '--template', 'debootstrap', '--option', 'packages=less', '--memory', '512MiB', '--ipv4', addr, '--start']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`created ${name} (${addr} on ${bridge}, unprivileged), RUNNING`);
    const at = (argv: string[]) => execFileSync('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', ...argv], { encoding: 'utf8', timeout: 60_000 });
    expect(at(['id', '-u']).trim()).toBe('0');
    expect(at(['dpkg-query', '-W', '-f', '${Status}', 'less'])).toBe('install ok installed');
    expect(at(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).toContain(addr);
    const cfg = readFileSync(join(env.lxcpath, name, 'config'), 'utf8');
    const base = Number(/^lxc\.idmap = u 0 (\d+) 65536$/m.exec(cfg)![1]);
    const pid = Number(execFileSync('lxc-info', ['-P', env.lxcpath, '-n', name, '-pH'], { encoding: 'utf8' }).trim());
    const uid = Number(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!.split(/\s+/)[1]);
    expect(uid).toBe(base);
    // the limit sits on the container's payload cgroup (systemd inside moves init into init.scope below it)
    const layout = detectCgroupLayout(new HostFs('/'));
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    const payload = (p: string) => p.slice(0, p.indexOf(`lxc.payload.${name}`) + `lxc.payload.${name}`.length);
    if (controllerDriver('memory', layout) === 'v1') {
      expect(cfg).toMatch(/^lxc\.cgroup\.memory\.limit_in_bytes = 536870912$/m);
      const rel = payload(lines.find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l))!.split(':')[2]);
      expect(readFileSync(join(layout.v1.memory, rel, 'memory.limit_in_bytes'), 'utf8').trim()).toBe('536870912');
    } else {
      expect(cfg).toMatch(/^lxc\.cgroup2\.memory\.max = 536870912$/m);
      const rel = payload(lines.find((l) => l.startsWith('0::'))!.slice(3));
      expect(readFileSync(join(layout.v2Mount!, rel, 'memory.max'), 'utf8').trim()).toBe('536870912');
    }
    expect(existsSync(join(env.lxcpath, '.lxdeck'))).toBe(true);
  });
});

/** The built CLI with a timeout long enough for a first debootstrap (runCli's is 2 minutes). */
function spawnCli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 840_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
