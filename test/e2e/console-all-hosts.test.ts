/**
 * The all-hosts console (lxdeck --all) in a real terminal (tmux, 100x24): the local lxcpath (a
 * stopped container made here, nothing started) and a configured remote whose address refuses
 * connections (a closed port on loopback): the local row is listed with its HOST, the remote is
 * one UNREACHABLE row, H picks a host, q quits with status 0. Then a live remote (a network
 * namespace with its own sshd and lxcpath, test/helpers/remote-host.mjs) with a running
 * container: its row shows CPU and memory figures like a local row's, and `x` on it opens the shell
 * pane there (lxc-attach on an SSH channel with a pty).
 * Needs root, LXC's busybox, tmux, openssh-server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';
import { makeRemoteHost, remoteHostMissing, type RemoteHost } from '../helpers/remote-host.mjs';

const id = uniq(3);
const name = `eh${id}`;
const env = tempLxcpath();
const home = mkdtempSync(join(tmpdir(), 'lxdeck-allhosts-'));
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_CONFIG_DIR: join(home, 'config'), HOME: home, LXD_DIR: join(home, 'no-lxd'), SSH_AUTH_SOCK: '' };

describe.runIf(RUN_LXC)('lxdeck --all in a real terminal', () => {
  requireLxc();
  const terms: TmuxTerm[] = [];
  beforeAll(async () => {
    expect(haveTmux(), 'tmux is needed').toBe(true);
    await createNetlessContainer(env.lxcpath, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(home, 'id_ed25519')]);
    // port 1 on loopback: nothing listens, the connection is refused at once
    const r = runCli(['remote', 'add', 'deadhost', 'ssh://root@127.0.0.1:1', '--identity', join(home, 'id_ed25519')], cliEnv);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => {
    for (const t of terms) t.close();
    env.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('local rows with a HOST column, the dead remote UNREACHABLE, H picks a host, q quits 0', { timeout: 60_000 }, async () => {
    const t = new TmuxTerm();
    terms.push(t);
    t.start(`${sh(process.execPath)} ${sh(CLI)} --all`, cliEnv as Record<string, string>, 100, 24);
    const s = await t.waitForScreen('both hosts', (x) => x.includes(name) && x.includes('UNREACHABLE'), 20_000);
    expect(s).toMatch(/HOST\s+NAME\s+STATE/);
    expect(s).toMatch(new RegExp(`local\\s+${name}\\s+STOPPED`));
    expect(s).toMatch(/deadhost\s+deadhost:\s+UNREACHABLE/);
    expect(s).toContain('1 host unreachable');
    expect(s).toMatch(/H host/);
    t.keys('H');
    const l = await t.waitForScreen('host local', (x) => x.includes('[host local]'));
    expect(l).not.toContain('deadhost:');
    t.keys('H');
    const d = await t.waitForScreen('host deadhost', (x) => x.includes('[host deadhost]'));
    expect(d).not.toMatch(new RegExp(`local\\s+${name}`));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });
});

describe.runIf(RUN_LXC)('lxdeck --all with a live remote in a real terminal', () => {
  requireLxc();
  const rid = uniq(3);
  const REMOTE = `lab-${rid}`;
  const rct = `er${rid}`;
  const lct = `el${rid}`;
  const lenv = tempLxcpath();
  let remote: RemoteHost | undefined;
  let env: Record<string, string> = {};
  const terms: TmuxTerm[] = [];
  beforeAll(async () => {
    expect(haveTmux(), 'tmux is needed').toBe(true);
    expect(remoteHostMissing()).toBeNull();
    await createNetlessContainer(lenv.lxcpath, lct);
    execFileSync('lxc-start', ['-P', lenv.lxcpath, '-n', lct, '-d'], { stdio: 'ignore', timeout: 60_000 });
    remote = await makeRemoteHost({ id: rid });
    writeFileSync(join(remote.dir, 'known_hosts'), remote.knownHostsLine);
    env = { ...(remote.env as Record<string, string>), LXDECK_LXCPATH: lenv.lxcpath, LXD_DIR: join(remote.dir, 'no-lxd'), SSH_AUTH_SOCK: '' };
    const add = runCli(['remote', 'add', REMOTE, remote.url, '--lxcpath', remote.lxcpath, '--identity', remote.identity], env);
    expect(add.status, add.stderr).toBe(0);
    const c = runCli(['create', `${REMOTE}:${rct}`, '--privileged', '--start'], env);
    expect(c.status, c.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    for (const t of terms) t.close();
    remote?.cleanup();
    lenv.cleanup();
  });

  it('the remote row shows live CPU and memory like the local row', { timeout: 60_000 }, async () => {
    const t = new TmuxTerm();
    terms.push(t);
    t.start(`${sh(process.execPath)} ${sh(CLI)} --all`, env, 100, 24);
    // CPU % shows from the second pass of each host; memory used/limit from the first
    const live = (host: string, name: string) => new RegExp(`${host}\\s+${name}\\s+RUNNING\\s+\\d+\\.\\d\\s+\\d+(\\.\\d)?[KMG]?/unlimited`);
    const s = await t.waitForScreen('figures on both rows', (x) => live(REMOTE, `${REMOTE}:${rct}`).test(x) && live('local', lct).test(x), 30_000);
    expect(s).toMatch(/HOST\s+NAME\s+STATE\s+CPU%\s+MEM USED\/LIMIT/);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('L on the remote row: the sliders of the container there; a typed memory limit is set live there and saved', { timeout: 90_000 }, async () => {
    const t = new TmuxTerm();
    terms.push(t);
    t.start(`${sh(process.execPath)} ${sh(CLI)} --all`, env, 100, 24);
    await t.waitForScreen('both rows', (x) => x.includes(`${REMOTE}:${rct}`) && new RegExp(`local\\s+${lct}`).test(x), 30_000);
    // H picks a host: local first, then the remote; its row is the one selected
    t.keys('H');
    await t.waitForScreen('host local', (x) => x.includes('[host local]'));
    t.keys('H');
    const only = await t.waitForScreen(`host ${REMOTE}`, (x) => x.includes(`[host ${REMOTE}]`) && x.includes(`${REMOTE}:${rct}`));
    expect(only).toMatch(/\bL limits\b/);
    t.keys('L');
    await t.waitForScreen('the sliders', (x) => x.includes(`limits: ${REMOTE}:${rct}`) && x.includes('in effect now (cgroup'), 20_000);
    t.literal('72M');
    await t.waitForScreen('the typed value', (x) => x.includes('new value: 72M'));
    t.keys('Enter');
    await t.waitForScreen('the limit applied', (x) => /^\s+set live and saved/m.test(x) && /memory\s.*72M/.test(x), 20_000);
    // on the remote host: in its cgroup (read there by lxdeck's own reader) and in its config
    const l = JSON.parse(runCli(['limits', `${REMOTE}:${rct}`, '--json'], env).stdout);
    expect(l.applied.memory).toBe(72 * 1024 * 1024);
    const cfg = execFileSync('nsenter', ['-t', String(remote!.holderPid), '-m', 'cat', join(remote!.lxcpath, rct, 'config')], { encoding: 'utf8' });
    expect(cfg).toMatch(new RegExp(`^lxc\\.cgroup2?\\.memory\\.(limit_in_bytes|max) = ${72 * 1024 * 1024}$`, 'm'));
    // the local container was left alone
    const local = JSON.parse(runCli(['limits', lct, '--json'], env).stdout);
    expect(local.applied.memory).toBe('max');
    t.keys('Escape');
    await t.waitForScreen('the list again', (x) => !x.includes('limits:') && x.includes(`[host ${REMOTE}]`));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });

  it('x on the remote row: the shell pane runs lxc-attach there over SSH, a command answers in it, stty size follows the pane, Ctrl+a q leaves', { timeout: 90_000 }, async () => {
    const t = new TmuxTerm();
    terms.push(t);
    t.start(`${sh(process.execPath)} ${sh(CLI)} --all`, env, 100, 30);
    const id = `${REMOTE}:${rct}`;
    const row = (x: string) => x.split('\n').find((l) => l.includes(` ${id} `));
    await t.waitForScreen('the remote row RUNNING', (x) => /RUNNING/.test(row(x) ?? ''), 30_000);
    for (let i = 0; i < 20 && !/›/.test(row(t.screen()) ?? ''); i++) {
      t.keys('Down');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row(t.screen())).toMatch(/›/);
    t.keys('x');
    const rule = (x: string) => x.split('\n').findIndex((l) => l.includes(`── shell in ${id}`));
    let s = await t.waitForScreen('the pane with the shell prompt', (x) => rule(x) >= 0 && x.split('\n').slice(rule(x) + 1).some((l) => /#\s*$/.test(l)), 30_000);
    t.literal('echo remote-$((6*7)); hostname; stty size');
    t.keys('Enter');
    s = await t.waitForScreen('the output in the pane', (x) => /^remote-42\s*$/m.test(x) && new RegExp(`^${rct}\\s*$`, 'm').test(x) && /^\d+ \d+\s*$/m.test(x), 20_000);
    const pane = s.split('\n').slice(rule(s) + 1);
    const m = /(\d+)x(\d+)/.exec(s.split('\n')[rule(s)].slice(s.split('\n')[rule(s)].indexOf(`shell in ${id}`)));
    expect(pane.map((l) => l.trim())).toContain(rct);
    expect(pane.map((l) => l.trim())).toContain(`${m![2]} ${m![1]}`);
    expect(row(s)).toMatch(/RUNNING/); // the list stays live above the pane
    t.keys('C-a');
    t.keys('q');
    await t.waitForScreen('the list without the pane', (x) => x.includes(`left the shell in ${id}`) && rule(x) < 0, 20_000);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });
});
