/**
 * Findings of a fresh user's trial of the command line (branch trialfix4): a missing lxcpath said
 * everywhere, JSON errors on stdout for every verb that takes --json, exit statuses of a signal and
 * of a value the kernel refused, one time format in JSON. Real containers in a temporary lxcpath.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LXC, createNetlessContainer, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { CLI, runCli } from '../helpers/cli.js';

const id = uniq(3);
const bridge = `lxt4${id}`;
const bridge2 = `lxu4${id}`;
const env = tempLxcpath([bridge, bridge2]);
const n = (s: string) => `${s}-${id}`;

describe.runIf(RUN_LXC)('cli: findings of the fourth fresh-user trial', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
    expect(linkExists(bridge)).toBe(false);
    expect(linkExists(bridge2)).toBe(false);
  });

  it('a missing lxcpath is said to be missing by ls (exit 0 as lxc-ls, in text and --json) and by every verb on a name; an existing one is not', async () => {
    const missing = join(env.lxcpath, 'typo');
    const ls = runCli(['--lxcpath', missing, 'ls']);
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toContain(`${missing} does not exist`);
    expect(ls.stderr).toMatch(/^hint: .*create NAME makes it/m);
    const js = runCli(['--lxcpath', missing, 'ls', '--json']);
    expect(js.status, js.stderr).toBe(0);
    expect(JSON.parse(js.stdout)).toEqual([]);
    expect(js.stderr).toContain(`lxdeck: warning: the lxcpath ${missing} does not exist`);
    for (const verb of [['start', 'web1'], ['info', 'web1'], ['stop', 'web1'], ['destroy', 'web1'], ['limits', 'web1'], ['ps', 'web1'], ['stats', 'web1', '--count', '1'], ['copy', 'web1', 'web2'], ['rename', 'web1', 'web3'], ['protect', 'web1', 'on'], ['snapshots', 'web1']]) {
      const r = runCli(['--lxcpath', missing, ...verb]);
      expect(r.status, `${verb.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`lxdeck: no container named web1: the lxcpath ${missing} does not exist`);
      expect(r.stderr).toMatch(/^hint: a mistyped --lxcpath .*default is \/var\/lib\/lxc/m);
    }
    expect(existsSync(missing)).toBe(false);
    // the lxcpath exists and holds a container: the plain "no container named" of the name alone
    await createNetlessContainer(env.lxcpath, n('c'));
    const r = runCli(['--lxcpath', env.lxcpath, 'info', 'web1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`lxdeck: no container named web1 in ${env.lxcpath}`);
    expect(r.stderr).not.toContain('does not exist');
    const ok = runCli(['--lxcpath', env.lxcpath, 'ls']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(n('c'));
  });

  it('every verb that takes --json prints its error as JSON on stdout (the state verbs\' shape), nothing on stderr, with the text form\'s exit status', async () => {
    await createNetlessContainer(env.lxcpath, n('j'));
    const cli = (...a: string[]) => runCli(['--lxcpath', env.lxcpath, ...a]);
    type Err = { name?: string; ok: boolean; error: { code: string; message: string; hint?: string } };
    for (const verb of [['info'], ['limits'], ['ps'], ['snapshots'], ['device', '$', 'ls']]) {
      const args = verb.length === 1 ? [verb[0], 'nosuch', '--json'] : [verb[0], 'nosuch', ...verb.slice(2), '--json'];
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toBe('');
      const j = JSON.parse(r.stdout) as Err;
      expect(j).toMatchObject({ name: 'nosuch', ok: false, error: { code: 'E_NOT_FOUND', message: `no container named nosuch in ${env.lxcpath}` } });
      expect(j.error.hint).toMatch(/ls lists the containers/);
    }
    // a usage error of a verb's own option: the same shape, exit 2; one entry per name for the state verbs
    const stop = cli('stop', n('j'), 'nosuch', '--timeout', 'x', '--json');
    expect(stop.status).toBe(2);
    expect(stop.stderr).toBe('');
    expect((JSON.parse(stop.stdout) as Err[]).map((e) => [e.name, e.ok, e.error.code])).toEqual([[n('j'), false, 'E_USAGE'], ['nosuch', false, 'E_USAGE']]);
    // stats prints JSON lines: its error is one line
    const st = cli('stats', 'nosuch', '--json', '--count', '1');
    expect(st.status).toBe(1);
    expect(st.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(st.stdout)).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
    const copy = cli('copy', 'nosuch', n('k'), '--json');
    expect(copy.status).toBe(1);
    expect(JSON.parse(copy.stdout)).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
    // the lxcpath check itself (before the verb runs) answers in JSON too
    const file = join(env.lxcpath, n('j'), 'config');
    const bad = runCli(['--lxcpath', file, 'info', 'x', '--json']);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ name: 'x', ok: false, error: { code: 'E_USAGE' } });
    // without --json: the text form on stderr, stdout empty
    const text = cli('info', 'nosuch');
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^lxdeck: no container named nosuch/);
  });

  it('a create cancelled by SIGINT exits 130 and by SIGTERM 143 (as the console and a shell report a signal), leaving nothing behind', { timeout: 120_000 }, async () => {
    const src = n('src');
    await createNetlessContainer(env.lxcpath, src);
    const archive = join(env.lxcpath, `${src}.tar.gz`);
    execFileSync('tar', ['-C', join(env.lxcpath, src, 'rootfs'), '-czf', archive, '.']);
    // a `tar` ahead of the real one on PATH that waits first: the create is mid-template when the signal comes
    const shim = join(env.lxcpath, 'shim');
    mkdirSync(shim);
    const mark = join(shim, 'started');
    writeFileSync(join(shim, 'tar'), `#!/bin/sh\ntouch '${mark}'\nsleep 300\nexec /usr/bin/tar "$@"\n`);
    chmodSync(join(shim, 'tar'), 0o755);
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const name = n(sig.toLowerCase());
      execFileSync('rm', ['-f', mark]);
      const child = spawn(process.execPath, [CLI, '--lxcpath', env.lxcpath, 'create', name, '--template', 'tarball', '--option', `path=${archive}`, '--bridge', bridge, '--privileged'], {
        env: { ...process.env, PATH: `${shim}:${process.env.PATH}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      const until = Date.now() + 60_000;
      while (!existsSync(mark) && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(mark), stderr).toBe(true);
      child.kill(sig);
      const status = await exit;
      expect(status, stderr).toBe(code);
      expect(stderr).toContain(`create of ${name} cancelled; nothing was left behind`);
      expect(existsSync(join(env.lxcpath, name))).toBe(false);
      expect(readdirSync(env.lxcpath).filter((f) => f.includes(name))).toEqual([]);
    }
  });

  it('a value the kernel refuses is a failure (1, E_INVALID_VALUE); a value lxdeck rejects before writing is bad usage (2)', async () => {
    const c = n('k');
    await createNetlessContainer(env.lxcpath, c);
    const cli = (...a: string[]) => runCli(['--lxcpath', env.lxcpath, ...a]);
    try {
      expect(cli('start', c).status).toBe(0);
      // pids.max is pids.max on v1 and v2 alike; "lots" is not a number: the kernel says EINVAL
      const k = cli('cgroup', c, 'pids.max', 'lots');
      expect(k.stderr).toMatch(/the kernel refused writing "lots" to \S+pids\.max: invalid argument \(EINVAL\)/);
      expect(k.status).toBe(1);
      expect(cli('cgroup', c, 'pids.max')).toMatchObject({ status: 0, stdout: 'max\n' }); // nothing was changed
      // lxdeck's own check before any write: usage (2), the same code
      const own = cli('limits', c, '--pids', '5000000', '--json');
      expect(own.status).toBe(2);
      expect(JSON.parse(own.stdout)).toMatchObject({ name: c, ok: false, error: { code: 'E_INVALID_VALUE' } });
      const u = cli('limits', c, '--memory', 'banana');
      expect(u.stderr).toMatch(/invalid size "banana"/);
      expect(u.status).toBe(2);
    } finally {
      cli('stop', c, '--kill');
    }
  });

  it('a create that makes a host bridge says so on stderr (what, how to undo), and names the bridge the lxcpath\'s other containers use', () => {
    const lp = join(env.lxcpath, 'br');
    const first = runCli(['--lxcpath', lp, 'create', n('b0'), '--bridge', bridge, '--privileged']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`lxdeck: warning: made the host bridge ${bridge} (`);
    expect(first.stderr).toContain(`ip link del ${bridge}`);
    expect(first.stderr).not.toContain('other containers');
    // no --bridge: the default bridge (LXDECK_BRIDGE here, lxdeckbr0 otherwise) is made, and the one the others use named
    const second = runCli(['--lxcpath', lp, 'create', n('b1'), '--privileged'], { LXDECK_BRIDGE: bridge2 });
    expect(second.status, second.stderr).toBe(0);
    expect(linkExists(bridge2)).toBe(true);
    expect(second.stderr).toContain(`lxdeck: warning: made the host bridge ${bridge2} (`);
    expect(second.stderr).toContain(`ip link del ${bridge2}, and its record bridges/${bridge2}.json`);
    expect(second.stderr).toContain(`The other containers of ${lp} use ${bridge}: --bridge ${bridge} joins them`);
    // a bridge that is there already: nothing said
    const third = runCli(['--lxcpath', lp, 'create', n('b2'), '--bridge', bridge, '--privileged']);
    expect(third.status, third.stderr).toBe(0);
    expect(third.stderr).not.toContain('made the host bridge');
  });
});
