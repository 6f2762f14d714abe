/**
 * `lxdeck ls --all` (issue 10, part 4) for real: the local lxcpath and a remote host (a network
 * namespace with its own sshd and lxcpath, test/helpers/remote-host.mjs) in one list with a host
 * field; then its sshd is killed: the remote turns unreachable in the `hosts` list and the local
 * rows are still listed, exit status 0. Uses the built CLI. Needs root, LXC, openssh-server.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetlessContainer, lxcAvailable, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { runCli } from '../helpers/cli.js';
import { makeRemoteHost, remoteHostMissing, type RemoteHost } from '../helpers/remote-host.mjs';
import { localEngine } from '../../src/local-engine.js';
import { RemoteLxcBackend } from '../../core/remote/backend.js';
import { AllHostsBackend } from '../../core/hosts/all-backend.js';
import type { StatsPass } from '../../core/stats/types.js';

const why = lxcAvailable().ok ? remoteHostMissing() : lxcAvailable().reason;
// a skipped test is never counted as passing under CI: there it fails instead
const RUN = why === null || process.env.CI === 'true';

const id = uniq(3);
const REMOTE = `lab-${id}`;
const LOCAL_CT = `al-${id}`;
const REMOTE_CT = `ar-${id}`;

interface AllJson {
  containers: { host: string; name: string; state: string; pid: number | null }[];
  hosts: { name: string; ok: boolean; error?: string; code?: string }[];
}

describe.skipIf(!RUN)('ls --all: local and a remote over SSH, then the remote down', () => {
  let remote: RemoteHost | undefined;
  let local: { lxcpath: string; cleanup: () => void } | undefined;
  let env: Record<string, string | undefined> = {};

  beforeAll(async () => {
    if (why !== null) throw new Error(`this test needs: ${why}`);
    local = tempLxcpath();
    await createNetlessContainer(local.lxcpath, LOCAL_CT);
    execFileSync('lxc-start', ['-P', local.lxcpath, '-n', LOCAL_CT, '-d'], { stdio: 'ignore', timeout: 60_000 });
    execFileSync('lxc-wait', ['-P', local.lxcpath, '-n', LOCAL_CT, '-s', 'RUNNING', '-t', '30'], { stdio: 'ignore', timeout: 60_000 });
    remote = await makeRemoteHost({ id });
    // no LXD daemon in this test: its socket is looked for in a directory that has none
    env = { ...remote.env, LXDECK_LXCPATH: local.lxcpath, LXD_DIR: join(remote.dir, 'no-lxd') };
    writeFileSync(join(remote.dir, 'known_hosts'), remote.knownHostsLine);
    const add = runCli(['remote', 'add', REMOTE, remote.url, '--lxcpath', remote.lxcpath, '--identity', remote.identity], env);
    if (add.status !== 0) throw new Error(add.stderr);
    const c = runCli(['create', `${REMOTE}:${REMOTE_CT}`, '--privileged'], env);
    if (c.status !== 0) throw new Error(c.stderr);
  });

  afterAll(() => {
    remote?.cleanup();
    local?.cleanup();
  });

  it('lists the containers of both hosts, each row with its host; both hosts ok', () => {
    const r = runCli(['ls', '--all', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout) as AllJson;
    expect(res.hosts).toEqual([
      { name: 'local', ok: true },
      { name: REMOTE, ok: true },
    ]);
    expect(res.containers).toEqual([
      expect.objectContaining({ host: 'local', name: LOCAL_CT, state: 'RUNNING' }),
      expect.objectContaining({ host: REMOTE, name: REMOTE_CT, state: 'STOPPED' }),
    ]);
    const text = runCli(['ls', '--all'], env);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^HOST\s+NAME\s+STATE/);
    expect(text.stdout).toMatch(new RegExp(`^local\\s+${LOCAL_CT}\\s+RUNNING`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^${REMOTE}\\s+${REMOTE_CT}\\s+STOPPED`, 'm'));
  });

  it('the all-hosts stats stream: live CPU and memory for the remote row as for the local one; the remote silenced (SIGSTOP) does not hold the local figures', async () => {
    const st = runCli(['start', `${REMOTE}:${REMOTE_CT}`], env);
    expect(st.status, st.stderr).toBe(0);
    const lab = new RemoteLxcBackend({ name: REMOTE, user: 'root', host: remote!.addr, port: remote!.port, lxcpath: remote!.lxcpath, identity: remote!.identity, knownHosts: join(remote!.dir, 'known_hosts'), connectTimeoutMs: 3000 });
    const all = new AllHostsBackend(
      [
        { name: 'local', backend: localEngine({ lxcpath: local!.lxcpath }) },
        { name: REMOTE, backend: lab },
      ],
      { statsTimeoutMs: 3000 },
    );
    const stream = all.sampler!().stream({ intervalMs: 300 });
    const stopped: number[] = [];
    try {
      const rowOf = (p: StatsPass, id: string) => p.containers.find((c) => c.name === id);
      // one loop (leaving a for-await stops the stream): first both rows with figures, then the
      // remote silenced, then local passes that keep coming
      let live: StatsPass | undefined;
      let silent: StatsPass | undefined;
      let after = 0;
      for await (const x of stream) {
        if (!live) {
          // CPU % needs two passes of each host
          if (rowOf(x, `${REMOTE}:${REMOTE_CT}`)?.cpu.percent == null || rowOf(x, LOCAL_CT)?.cpu.percent == null) continue;
          live = x;
          const r = rowOf(x, `${REMOTE}:${REMOTE_CT}`)!;
          const l = rowOf(x, LOCAL_CT)!;
          expect(x.hosts).toEqual([
            { name: 'local', ok: true },
            { name: REMOTE, ok: true },
          ]);
          for (const smp of [r, l]) {
            expect(smp.state).toBe('RUNNING');
            expect(smp.memory.used).toBeGreaterThan(0);
            expect(smp.cpu.usageUsec).toBeGreaterThan(0);
            expect(smp.cpu.percent).toBeGreaterThanOrEqual(0);
          }
          expect(r.host).toBe(REMOTE);
          expect(x.hostTotals![REMOTE].cpus).toBeGreaterThan(0);
          // the remote stops answering: within the timeout it is reported, and local passes keep coming
          // every sshd of the namespace, the one serving this connection included
          stopped.push(...remote!.sshdPids());
          for (const pid of stopped) process.kill(pid, 'SIGSTOP');
        } else if (silent) {
          expect(rowOf(x, LOCAL_CT)?.state).toBe('RUNNING');
          if (x.time > silent.time && ++after === 3) break;
        } else if (x.hosts!.find((h) => h.name === REMOTE)?.ok === false) {
          silent = x;
          expect(x.hosts![1]).toMatchObject({ name: REMOTE, ok: false, code: 'E_UNREACHABLE' });
          expect(rowOf(x, `${REMOTE}:${REMOTE_CT}`)).toBeUndefined();
          expect(rowOf(x, LOCAL_CT)?.memory.used).toBeGreaterThan(0);
        }
      }
      expect(after).toBe(3);
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
      stream.stop();
      all.close();
    }
  });

  it('with the remote sshd killed: the remote is unreachable, the local rows still listed, exit 0', () => {
    remote!.killSshd();
    const r = runCli(['ls', '--all', '--json', '--timeout', '3'], env);
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout) as AllJson;
    expect(res.hosts[0]).toEqual({ name: 'local', ok: true });
    expect(res.hosts[1]).toMatchObject({ name: REMOTE, ok: false, code: 'E_UNREACHABLE' });
    expect(res.hosts[1].error).toMatch(/unreachable|did not answer/);
    expect(res.containers).toEqual([expect.objectContaining({ host: 'local', name: LOCAL_CT, state: 'RUNNING' })]);
    expect(r.stderr).toContain(`lxdeck: warning: ${REMOTE}: `);
    const text = runCli(['ls', '--all', '--timeout', '3'], env);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^local\\s+${LOCAL_CT}\\s+RUNNING`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^${REMOTE}\\s+-\\s+UNREACHABLE`, 'm'));
  });
});
