/**
 * Attach, info and processes against real LXC, through the built binary
 * (dist/src/cli.js): a temporary lxcpath, a unique bridge, an unprivileged
 * busybox container made with `lxdeck create`. Everything is removed in
 * afterAll even when a test fails; under CI=true a host without root/LXC
 * fails these tests (requireLxc) instead of skipping them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import type { ContainerInfo } from '../../core/types.js';
import type { ProcessInfo } from '../../core/ps/procs.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const name = `at${id}`;
const stopped = `st${id}`;
const bridge = `lxat${id}`; // 10 bytes, within IFNAMSIZ
const env = tempLxcpath([bridge]);
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge, LXDECK_LOG: `${env.lxcpath}/.actions.log` };

function lxc(tool: string, ...args: string[]): string {
  return execFileSync(tool, ['-P', env.lxcpath, '-n', name, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe.runIf(RUN_LXC)('attach, info and ps on a real container', () => {
  requireLxc();
  beforeAll(() => {
    const a = runCli(['create', name, '--start'], cliEnv);
    expect(a.status, a.stderr).toBe(0);
    const b = runCli(['create', stopped], cliEnv);
    expect(b.status, b.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    env.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });

  it("attach -- COMMAND runs it inside, prints its output and exits with its status", () => {
    const r = runCli(['attach', name, '--', 'sh', '-c', 'echo hi; exit 3'], cliEnv);
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(3);
    const ok = runCli(['attach', name, '--', 'cat', '/etc/hostname'], cliEnv);
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(name);
  });

  it('attach clears the environment except TERM', () => {
    const r = runCli(['attach', name, '--', 'env'], { ...cliEnv, TERM: 'xterm-test', SECRET_HOST_VAR: 'leak' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('TERM=xterm-test');
    expect(r.stdout).not.toContain('SECRET_HOST_VAR');
  });

  it('without a command, attach uses bash when the container has one at /bin/bash or /usr/bin/bash, else /bin/sh', async () => {
    const engine = localEngine({ lxcpath: env.lxcpath, bridge });
    const argv = await engine.attachArgv(name);
    expect(argv).toEqual(['lxc-attach', '-P', env.lxcpath, '-n', name, '--clear-env', '--keep-var', 'TERM', '--', '/bin/sh']);
    // an executable /usr/bin/bash in the rootfs, owned by the container's root (uid 0 inside)
    const rootfs = join(env.lxcpath, name, 'rootfs');
    const owner = statSync(join(rootfs, 'bin'));
    mkdirSync(join(rootfs, 'usr', 'bin'), { recursive: true });
    const bash = join(rootfs, 'usr', 'bin', 'bash');
    writeFileSync(bash, '#!/bin/sh\nexec /bin/sh "$@"\n');
    chmodSync(bash, 0o755);
    chownSync(bash, owner.uid, owner.gid);
    try {
      expect((await engine.attachArgv(name)).at(-1)).toBe('/usr/bin/bash');
    } finally {
      rmSync(bash);
    }
    expect((await engine.attachArgv(name)).at(-1)).toBe('/bin/sh');
  });

  it('attach to a stopped container is refused with E_STATE and a hint to start it', () => {
    const r = runCli(['attach', stopped, '--', 'true'], cliEnv);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${stopped} is STOPPED`));
    expect(r.stderr).toContain(`hint: start it first: lxdeck --lxcpath ${env.lxcpath} start ${stopped}`);
    // console without a terminal says so (exit 2) rather than handing a pipe to lxc-console
    const c = runCli(['console', name], cliEnv);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('lxdeck console needs a terminal');
  });

  it('info matches lxc-info (state, PID, IPs) and names a host veth that exists', () => {
    const r = runCli(['info', name, '--json', '--size'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    const i = JSON.parse(r.stdout) as ContainerInfo;
    expect(i.state).toBe(lxc('lxc-info', '-s', '-H').trim());
    expect(i.pid).toBe(Number(lxc('lxc-info', '-p', '-H').trim()));
    const ips = lxc('lxc-info', '-i', '-H').split('\n').map((s) => s.trim()).filter(Boolean);
    expect([...i.ipv4, ...(i.ipv6 ?? [])].sort()).toEqual(ips.sort());
    expect(i.ipv4.length).toBeGreaterThan(0);
    const net = i.net[0];
    expect(net.link).toBe(bridge);
    expect(net.hostVeth).toBeTruthy();
    expect(net.hostVethExists).toBe(true);
    // the veth exists on the host and is a port of the container's bridge
    const link = execFileSync('ip', ['link', 'show', 'dev', net.hostVeth!], { encoding: 'utf8' });
    expect(link).toContain(`master ${bridge}`);
    // LXC's own Link line names the same device
    expect(lxc('lxc-info')).toMatch(new RegExp(`Link:\\s+${net.hostVeth}\\b`));
    expect(net.ifname).toBe('eth0');
    // the MAC inside is the config's lxc.net.0.hwaddr
    expect(net.hwaddrInEffect).toBe(net.hwaddr?.toLowerCase());
    // unprivileged with its idmap; cgroup paths of the running container exist
    expect(i.unprivileged).toBe(true);
    expect(i.idmap?.map((m) => m.type).sort()).toEqual(['g', 'u']);
    const cgroupDirs = [...Object.values(i.cgroupPaths?.v1 ?? {}), ...(i.cgroupPaths?.v2 ? [i.cgroupPaths.v2] : [])];
    expect(cgroupDirs.length).toBeGreaterThan(0);
    for (const d of cgroupDirs) expect(readFileSync(`${d}/cgroup.procs`, 'utf8')).toContain(String(i.pid));
    expect(i.limits?.running).toBe(true);
    expect(i.rootfsBytes).toBeGreaterThan(0);
    expect(i.template).toBe('busybox');
    // the text form carries the same facts
    const text = runCli(['info', name], cliEnv).stdout;
    expect(text).toContain(`host veth ${net.hostVeth}`);
    expect(text).toMatch(/Privilege:\s+unprivileged, idmap u 0 \d+ 65536/);
  });

  it("ps --json lists the container's init as PID 1 inside, and agrees with ps and /proc on the host", () => {
    const r = runCli(['ps', name, '--json'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    const procs = JSON.parse(r.stdout) as ProcessInfo[];
    const init = procs.find((p) => p.nspid === 1);
    expect(init).toBeDefined();
    expect(init!.pid).toBe(Number(lxc('lxc-info', '-p', '-H').trim()));
    expect(init!.user).toBe('root'); // host uid 100000+ mapped back through the idmap, named from the container's passwd
    expect(init!.uid).toBeGreaterThanOrEqual(100000);
    for (const p of procs) {
      // the host's ps sees the same process, command and user id
      const host = execFileSync('ps', ['-o', 'uid=,rss=,args=', '-p', String(p.pid)], { encoding: 'utf8' }).trim();
      const [uid, rss, ...args] = host.split(/\s+/);
      expect(Number(uid)).toBe(p.uid);
      expect(args.join(' ')).toBe(p.command.startsWith('[') ? args.join(' ') : p.command);
      expect(Math.abs(Number(rss) * 1024 - p.rssBytes)).toBeLessThanOrEqual(256 * 1024);
      expect(readFileSync(`/proc/${p.pid}/status`, 'utf8')).toMatch(new RegExp(`NSpid:\\s+${p.pid}\\s+${p.nspid}\\b`));
    }
    // every process of the container's init's PID namespace is listed: compare with the host's view of the same cgroup
    const dir = (JSON.parse(runCli(['info', name, '--json'], cliEnv).stdout) as ContainerInfo).cgroupPaths!;
    const procsFile = `${dir.v1.pids ?? dir.v1.memory ?? dir.v2}/cgroup.procs`;
    const fromKernel = readFileSync(procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
    for (const pid of fromKernel) expect(procs.map((p) => p.pid)).toContain(pid);
    const table = runCli(['ps', name], cliEnv).stdout.split('\n');
    expect(table[0]).toMatch(/^\s*PID\s+NSPID\s+USER\s+TIME\s+RSS\s+COMMAND$/);
  });

  it('kill signals one process of the container and refuses a PID outside it', () => {
    expect(runCli(['attach', name, '--', 'sh', '-c', 'sleep 600 >/dev/null 2>&1 </dev/null & exit 0'], cliEnv).status).toBe(0);
    const sleeper = (JSON.parse(runCli(['ps', name, '--json'], cliEnv).stdout) as ProcessInfo[]).find((p) => p.command === 'sleep 600');
    expect(sleeper).toBeDefined();
    const outside = runCli(['kill', name, String(process.pid)], cliEnv);
    expect(outside.status).toBe(2);
    expect(outside.stderr).toContain(`process ${process.pid} is not in container ${name}`);
    const k = runCli(['kill', name, String(sleeper!.pid), '-s', 'KILL'], cliEnv);
    expect(k.status, k.stderr).toBe(0);
    const after = JSON.parse(runCli(['ps', name, '--json'], cliEnv).stdout) as ProcessInfo[];
    expect(after.find((p) => p.pid === sleeper!.pid && p.state !== 'Z')).toBeUndefined();
  });
});
