/**
 * Findings of a fresh user's trial of the command line (branch trialfix2): the lxcpath checked
 * once for every verb, --json on the state verbs, suggested commands that keep --lxcpath, an
 * unknown remote, exit statuses, read-only verbs as a user, top on a pipe, hints.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LXC, createNetlessContainer, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { runCli } from '../helpers/cli.js';

const id = uniq(3);
const bridge = `lxtf${id}`;
const env = tempLxcpath([bridge]);
const n = (s: string) => `${s}-${id}`;
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge };

describe.runIf(RUN_LXC)('cli: findings of a fresh-user trial', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
    expect(linkExists(bridge)).toBe(false);
  });

  it('checks the lxcpath once for every verb: empty refused (2), a file refused (2) with a hint, nothing recorded first', () => {
    const stateDir = process.env.LXDECK_STATE_DIR!;
    const before = existsSync(stateDir) ? readdirSync(stateDir).sort() : [];
    for (const args of [['--lxcpath', '', 'create', n('e1')], ['--lxcpath', '', 'ls'], ['start', n('e1')]]) {
      const r = runCli(args, args[0] === '--lxcpath' ? { LXDECK_BRIDGE: bridge } : { LXDECK_LXCPATH: '', LXDECK_BRIDGE: bridge });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^lxdeck: the lxcpath is empty/m);
      expect(r.stderr).toMatch(/^hint: /m);
    }
    const file = join(env.lxcpath, 'afile');
    writeFileSync(file, '');
    for (const verb of [['ls'], ['create', n('f1')], ['info', n('f1')], ['stats', '--count', '1']]) {
      const r = runCli(['--lxcpath', file, ...verb], { LXDECK_BRIDGE: bridge });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`lxdeck: the lxcpath ${file} is not a directory`);
      expect(r.stderr).toMatch(/^hint: /m);
      expect(r.stderr).not.toMatch(/ENOTDIR|ENOENT/);
    }
    const r = runCli(['--lxcpath', join(file, 'sub'), 'ls']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/a parent of it is a file/);
    expect(existsSync(stateDir) ? readdirSync(stateDir).sort() : []).toEqual(before);
  });

  it('takes a relative lxcpath from the current directory for ls and create alike; ls of a missing one says so with a hint', () => {
    const ls = runCli(['--lxcpath', 'rel', 'ls'], {}, { cwd: env.lxcpath });
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toContain(`no containers: ${join(env.lxcpath, 'rel')} does not exist`);
    expect(ls.stderr).toMatch(/^hint: lxdeck .*create NAME makes it/m);
    const c = runCli(['--lxcpath', 'rel', 'create', n('r1'), '--privileged'], { LXDECK_BRIDGE: bridge }, { cwd: env.lxcpath });
    expect(c.status, c.stderr).toBe(0);
    expect(existsSync(join(env.lxcpath, 'rel', n('r1'), 'config'))).toBe(true);
    const ls2 = runCli(['--lxcpath', 'rel', 'ls', '--json'], {}, { cwd: env.lxcpath });
    expect((JSON.parse(ls2.stdout) as { name: string }[]).map((x) => x.name)).toEqual([n('r1')]);
    const d = runCli(['--lxcpath', join(env.lxcpath, 'rel'), 'destroy', n('r1')], { LXDECK_BRIDGE: bridge });
    expect(d.status, d.stderr).toBe(0);
  });

  it('start, stop, freeze, unfreeze, restart, destroy and protect take --json: one entry per name, even one, with the exit status of the text form', async () => {
    const c = n('js');
    await createNetlessContainer(env.lxcpath, c);
    type Entry = { name: string; ok: boolean; state?: string; pid?: number | null; destroyed?: boolean; error?: { code: string; message: string; hint?: string } };
    const run = (...a: string[]) => {
      const r = runCli([...a, '--json'], cliEnv);
      return { ...r, entries: JSON.parse(r.stdout) as Entry[] };
    };
    const s = run('start', c, n('none'));
    expect(s.status).toBe(1);
    expect(s.stderr).toBe('');
    expect(s.entries[0]).toMatchObject({ name: c, ok: true, state: 'RUNNING' });
    expect(s.entries[0].pid).toBeGreaterThan(1);
    expect(s.entries[1]).toMatchObject({ name: n('none'), ok: false, error: { code: 'E_NOT_FOUND' } });
    expect(run('freeze', c).entries).toEqual([{ name: c, ok: true, state: 'FROZEN' }]);
    expect(run('unfreeze', c).entries).toEqual([{ name: c, ok: true, state: 'RUNNING' }]);
    const one = run('destroy', c);
    expect(one.status).toBe(1);
    expect(one.entries).toMatchObject([{ name: c, ok: false, error: { code: 'E_RUNNING' } }]);
    // the suggested command acts on this lxcpath, not /var/lib/lxc
    expect(one.entries[0].error?.hint).toContain(`lxdeck --lxcpath ${env.lxcpath} stop ${c}`);
    const text = runCli(['destroy', c], cliEnv);
    expect(text.stderr).toContain(`hint: stop it first (lxdeck --lxcpath ${env.lxcpath} stop ${c})`);
    const bad = run('stop', 'a/b');
    expect(bad.status).toBe(2);
    expect(bad.entries).toMatchObject([{ name: 'a/b', ok: false, error: { code: 'E_NAME_INVALID' } }]);
    expect(run('protect', c, 'on').entries).toEqual([{ name: c, ok: true, protected: true }]);
    expect(run('protect', c, 'off').status).toBe(0);
    expect(run('stop', c, '--kill').entries).toEqual([{ name: c, ok: true, state: 'STOPPED', pid: null }]);
    const d = run('destroy', c);
    expect(d.status).toBe(0);
    expect(d.entries).toEqual([{ name: c, ok: true, destroyed: true }]);
  });

  it('REMOTE:NAME of a remote that is not configured is "no remote named REMOTE" with the hint to list them, for every verb', () => {
    const cfg = { ...cliEnv, LXDECK_CONFIG_DIR: join(env.lxcpath, '.config') };
    for (const args of [['start', 'nosuchremote:web'], ['info', 'nosuchremote:web'], ['destroy', 'web', 'nosuchremote:web'], ['autostart', 'nosuchremote:web', 'on'], ['ls', 'nosuchremote:']]) {
      const r = runCli(args, cfg);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^lxdeck: no remote named nosuchremote\b/m);
      expect(r.stderr).toMatch(/^hint: lxdeck .*remote ls/m);
    }
  });

  it('exit status: a host tool or feature missing is 1 for every backing store (zfs as btrfs), an unknown one is usage (2); nothing is made', () => {
    const zfs = runCli(['create', n('z1'), '--backing', 'zfs'], cliEnv);
    expect(zfs.status, zfs.stderr).toBe(1);
    expect(zfs.stderr).toMatch(/needs the zfs program.*\nhint: .*zfsutils-linux.*contrib/);
    const btrfs = runCli(['create', n('z1'), '--backing', 'btrfs'], cliEnv);
    expect(btrfs.status, btrfs.stderr).toBe(1);
    const nope = runCli(['create', n('z1'), '--backing', 'nope'], cliEnv);
    expect(nope.status, nope.stderr).toBe(2);
    expect(existsSync(join(env.lxcpath, n('z1')))).toBe(false);
  });

  it('read-only verbs work for a user as far as the files allow (ls, log, setup --dry-run); what needs root is refused with the hint', () => {
    const open = join(env.lxcpath, 'open');
    mkdirSync(open);
    chmodSync(env.lxcpath, 0o711); // searchable, not readable, by others
    chmodSync(open, 0o755);
    const log = join(open, 'actions.log');
    writeFileSync(log, '');
    chmodSync(log, 0o644);
    const user = { user: 'nobody' };
    const ls = runCli(['--lxcpath', open, 'ls'], {}, user);
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toBe(`no containers in ${open}\n`);
    const denied = runCli(['--lxcpath', env.lxcpath, 'ls'], {}, user);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/^lxdeck: permission denied for .*\nhint: run it as root/m);
    expect(denied.stderr).not.toMatch(/EACCES/);
    const lg = runCli(['log'], { LXDECK_LOG: log }, user);
    expect(lg.status, lg.stderr).toBe(0);
    expect(lg.stdout).toContain('no actions logged');
    const dryBridge = `${bridge}d`; // not made by any test: the dry run must not make it either
    const dry = runCli(['--lxcpath', open, 'setup', '--dry-run', '--bridge', dryBridge, '--no-container', '--no-install'], {}, user);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`$ ip link add name ${dryBridge} type bridge`);
    expect(dry.stdout).toContain('(dry run: nothing was changed)');
    expect(linkExists(dryBridge)).toBe(false);
    const start = runCli(['--lxcpath', open, 'start', n('x')], {}, user);
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(/^lxdeck: managing system containers needs root\nhint: run it as root/m);
    const apply = runCli(['--lxcpath', open, 'setup', '--yes', '--bridge', bridge], {}, user);
    expect(apply.status).toBe(1);
    expect(apply.stderr).toMatch(/needs root/);
    chmodSync(env.lxcpath, 0o700);
  });

  it('info, snapshots and limits (reading) work for a user who can read the files, running or not; unreadable is permission denied with the hint, setting limits needs root', async () => {
    const c = n('ro');
    await createNetlessContainer(env.lxcpath, c);
    expect(runCli(['snapshot', c, '--comment', 'before'], cliEnv).status).toBe(0);
    expect(runCli(['start', c], cliEnv).status).toBe(0);
    const user = { user: 'nobody' };
    const dir = join(env.lxcpath, c);
    try {
      // LXC's modes (lxc-create makes 0770 directories, a 0640 config): a user cannot read them
      chmodSync(env.lxcpath, 0o755);
      chmodSync(dir, 0o770);
      chmodSync(join(dir, 'config'), 0o640);
      chmodSync(join(dir, 'snaps', 'snap0'), 0o770);
      for (const [args, path] of [[['info', c], `${dir}/config`], [['limits', c], `${dir}/config`]] as const) {
        const r = runCli(['--lxcpath', env.lxcpath, ...args], {}, user);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(`lxdeck: permission denied for ${path}`);
        expect(r.stderr).toMatch(/^hint: run it as root/m);
        expect(r.stderr).not.toContain('no container named');
      }
      // made readable: the verbs read what root reads (lxc-info cannot run as this user: its lock)
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'config'), 0o644);
      const rootInfo = JSON.parse(runCli(['info', c, '--json'], cliEnv).stdout) as { state: string; pid: number };
      const info = runCli(['--lxcpath', env.lxcpath, 'info', c, '--json'], {}, user);
      expect(info.status, info.stderr).toBe(0);
      const ui = JSON.parse(info.stdout) as { state: string; pid: number; name: string };
      expect(ui).toMatchObject({ name: c, state: 'RUNNING', pid: rootInfo.pid });
      const lim = runCli(['--lxcpath', env.lxcpath, 'limits', c], {}, user);
      expect(lim.status, lim.stderr).toBe(0);
      expect(lim.stdout).toMatch(new RegExp(`^${c}: running, cgroup `));
      // the snapshot directory is LXC's 0770: refused, not "no snapshots"
      const snapDenied = runCli(['--lxcpath', env.lxcpath, 'snapshots', c], {}, user);
      expect(snapDenied.status).toBe(1);
      expect(snapDenied.stderr).toContain(`permission denied for ${dir}/snaps/snap0/config`);
      chmodSync(join(dir, 'snaps', 'snap0'), 0o755);
      chmodSync(join(dir, 'snaps', 'snap0', 'config'), 0o644);
      // lxc-snapshot keeps the comment 0600: still refused, naming that file
      const commentDenied = runCli(['--lxcpath', env.lxcpath, 'snapshots', c], {}, user);
      expect(commentDenied.status).toBe(1);
      expect(commentDenied.stderr).toContain(`permission denied for ${dir}/snaps/snap0/comment`);
      chmodSync(join(dir, 'snaps', 'snap0', 'comment'), 0o644);
      const snaps = runCli(['--lxcpath', env.lxcpath, 'snapshots', c], {}, user);
      expect(snaps.status, snaps.stderr).toBe(0);
      expect(snaps.stdout).toMatch(/^snap0\s+\S+\s+before$/m);
      // setting a limit changes the cgroup and the config: root
      const set = runCli(['--lxcpath', env.lxcpath, 'limits', c, '--memory', '64M'], {}, user);
      expect(set.status).toBe(1);
      expect(set.stderr).toMatch(/^lxdeck: managing system containers needs root\nhint: run it as root/m);
    } finally {
      chmodSync(env.lxcpath, 0o700);
      expect(runCli(['destroy', '--force', '--snapshots', c], cliEnv).status).toBe(0);
    }
  });

  it('top on a pipe without --count prints one table (a running container with its CPU rate) and ends', async () => {
    const c = n('tp');
    await createNetlessContainer(env.lxcpath, c);
    expect(runCli(['start', c], cliEnv).status).toBe(0);
    const t0 = Date.now();
    const r = runCli(['top', '--interval', '0.3'], cliEnv);
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.stdout.match(/^lxdeck top - /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(new RegExp(`^${c}\\s+RUNNING\\s+\\d`, 'm'));
    expect(runCli(['destroy', '--force', c], cliEnv).status).toBe(0);
  });
});
