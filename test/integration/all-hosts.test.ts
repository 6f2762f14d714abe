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
