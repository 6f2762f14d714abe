/**
 * The console over one remote (`lxdeck --remote NAME`) while its host is out of reach, in a real
 * terminal (tmux, 80x24): the remote is a network namespace with its own sshd and lxcpath
 * (test/helpers/remote-host.mjs) whose sshd is killed first. The title names the remote, the
 * list says it cannot list (not `loading…` forever), the status area has the whole error and
 * its hint; when sshd is back the list comes by itself (retried every 5 s) and says so, and
 * `r` retries at once. Needs root, tmux, openssh-server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';
import { makeRemoteHost, remoteHostMissing, type RemoteHost } from '../helpers/remote-host.mjs';

const flat = (screen: string): string => screen.replace(/\s+/g, ' ');

describe.runIf(RUN_LXC)('lxdeck --remote NAME while the host is out of reach', () => {
  requireLxc();
  const rid = uniq(3);
  const REMOTE = `down-${rid}`;
  let remote: RemoteHost | undefined;
  let env: Record<string, string> = {};
  const terms: TmuxTerm[] = [];
  beforeAll(async () => {
    expect(haveTmux(), 'tmux is needed').toBe(true);
    expect(remoteHostMissing()).toBeNull();
    remote = await makeRemoteHost({ id: rid });
    writeFileSync(join(remote.dir, 'known_hosts'), remote.knownHostsLine);
    env = { ...(remote.env as Record<string, string>), SSH_AUTH_SOCK: '' };
    const add = runCli(['remote', 'add', REMOTE, remote.url, '--lxcpath', remote.lxcpath, '--identity', remote.identity], env);
    expect(add.status, add.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    for (const t of terms) t.close();
    remote?.cleanup();
  });

  it('says the host is unreachable with the error and a hint, names the remote in the title, and lists once sshd is back', { timeout: 90_000 }, async () => {
    remote!.killSshd();
    const t = new TmuxTerm();
    terms.push(t);
    t.start(`${sh(process.execPath)} ${sh(CLI)} --remote ${REMOTE}`, env, 80, 24);
    const s = await t.waitForScreen('the list error', (x) => x.includes('cannot list containers on'), 30_000);
    expect(s.split('\n')[0]).toContain(`lxdeck ${REMOTE}:${remote!.lxcpath}`);
    expect(s).not.toContain('loading');
    const f = flat(s);
    expect(f).toMatch(/cannot list containers: \S+ is unreachable: ECONNREFUSED/);
    expect(f).toContain('hint: check that the host is up and sshd listens there');
    expect(f).toContain('retrying every 5 s; r retries now');
    // sshd back: the next retry lists (nothing there yet) and says the host is reachable again
    await remote!.startSshd();
    const back = await t.waitForScreen('the list after the host came back', (x) => x.includes('no containers in'), 30_000);
    expect(flat(back)).toContain(`${REMOTE} is reachable again: listed 0 containers`);
    // down again while the console runs: r asks at once, the error shows over the kept list
    remote!.killSshd();
    t.keys('r');
    await t.waitForScreen('the error again', (x) => flat(x).includes('cannot list containers:'), 20_000);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });
});
