import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTION_SPECS, ActionLog, actingUser, actionLogPath, matchesAction, parseActionLog, readRecentActions, recordActions, renderEquivalent, type ActionEntry } from '../../../core/actionlog/index.js';
import { LxdeckError } from '../../../core/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'lxdeck-actionlog-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const entry = (i: number): ActionEntry => ({ time: new Date(1_700_000_000_000 + i).toISOString(), user: 'root', container: `c${i}`, action: 'start', command: `lxc-start -P /x -n c${i} -d`, result: 'ok', durationMs: i });

describe('action log file', () => {
  it('creates the directory 0700 and the file 0600, one JSON line per entry, appended', () => {
    const path = join(tmp, 'a', 'b', 'actions.log');
    const log = new ActionLog({ path });
    log.append(entry(1));
    log.append(entry(2));
    expect(statSync(join(tmp, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0])).toEqual(entry(1));
    expect(JSON.parse(lines[1])).toEqual(entry(2));
  });

  it('never throws into the action: the first failure is reported once, later ones are silent', () => {
    const errs: string[] = [];
    const notDir = join(tmp, 'plainfile');
    writeFileSync(notDir, 'x');
    const log = new ActionLog({ path: join(notDir, 'actions.log'), onError: (m) => errs.push(m) });
    expect(() => log.append(entry(1))).not.toThrow();
    expect(() => log.append(entry(2))).not.toThrow();
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain(join(notDir, 'actions.log'));
  });

  it('LXDECK_LOG overrides the default path; SUDO_USER names the acting user', () => {
    expect(actionLogPath({})).toBe('/var/log/lxdeck/actions.log');
    expect(actionLogPath({ LXDECK_LOG: '/tmp/x.log' })).toBe('/tmp/x.log');
    expect(actingUser({ SUDO_USER: 'alice' })).toBe('alice');
    expect(actingUser({})).toMatch(/\S/);
  });

  it('readRecentActions gives the last n entries oldest first, reading only the tail, skipping torn lines', () => {
    const path = join(tmp, 'many.log');
    const log = new ActionLog({ path });
    for (let i = 0; i < 300; i++) log.append(entry(i));
    appendFileSync(path, '{"torn": \n');
    const last = readRecentActions(5, path);
    expect(last.map((e) => e.container)).toEqual(['c295', 'c296', 'c297', 'c298', 'c299']);
    expect(readRecentActions(1000, path)).toHaveLength(300);
    expect(readRecentActions(3, join(tmp, 'absent.log'))).toEqual([]);
    expect(parseActionLog('garbage\n[1]\n')).toEqual([]);
  });

  it('a filter keeps the last n entries of one lxcpath and/or one container; an entry from before lxcpath was recorded matches no lxcpath', () => {
    const path = join(tmp, 'filtered.log');
    const log = new ActionLog({ path });
    log.append(entry(0)); // older lxdeck: no lxcpath
    for (let i = 1; i < 400; i++) log.append({ ...entry(i), lxcpath: i % 100 === 0 ? '/srv/b' : '/srv/a', container: i % 2 ? 'odd' : `c${i}` });
    // the 3 /srv/b entries are spread over the whole file: the window grows until it has them
    expect(readRecentActions(10, path, { lxcpath: '/srv/b' }).map((e) => e.container)).toEqual(['c100', 'c200', 'c300']);
    expect(readRecentActions(2, path, { lxcpath: '/srv/b/' }).map((e) => e.container)).toEqual(['c200', 'c300']); // a trailing / is the same lxcpath
    expect(readRecentActions(1000, path, { lxcpath: '/srv/a' })).toHaveLength(396);
    expect(readRecentActions(1000, path, { lxcpath: '/srv/a', container: 'odd' })).toHaveLength(200);
    expect(readRecentActions(1000, path, { container: 'c0' })).toHaveLength(1); // no lxcpath filter: the old entry shows
    expect(readRecentActions(1000, path, { lxcpath: '/x', container: 'c0' })).toEqual([]);
    expect(readRecentActions(1000, path)).toHaveLength(400);
    expect(matchesAction(entry(0), {})).toBe(true);
    expect(matchesAction({ ...entry(0), lxcpath: 'lxd:/var/lib/lxd/unix.socket' }, { lxcpath: 'lxd:/var/lib/lxd/unix.socket' })).toBe(true);
  });
});

/** A stand-in engine: the methods recordActions wraps, with an internal call that must not be recorded. */
class FakeEngine {
  readonly lxcpath = '/srv/lxc';
  calls: string[] = [];
  async start(name: string): Promise<void> {
    this.calls.push(`start ${name}`);
  }
  async create(name: string, opts: { template?: string; start?: boolean } = {}): Promise<{ name: string }> {
    this.calls.push(`create ${name}`);
    if (opts.start) await this.start(name);
    return { name };
  }
  async stop(name: string, _o: { kill?: boolean; timeoutSec?: number } = {}): Promise<void> {
    throw new LxdeckError('E_STATE', `${name} is not running`);
  }
  async destroy(name: string, _o: { force?: boolean } = {}): Promise<void> {
    this.calls.push(`destroy ${name}`);
  }
  async attach(name: string, command?: string[]): Promise<{ argv: string[]; exitCode: number }> {
    return { argv: ['lxc-attach', '-P', this.lxcpath, '-n', name, '--', ...(command ?? ['/bin/sh'])], exitCode: 3 };
  }
  async kill(_name: string, _pid: number, _sig: string): Promise<void> {}
  async list(): Promise<string[]> {
    return ['not recorded'];
  }
}

describe('recordActions', () => {
  it('records one entry per action with its equivalent lxc-* command, the result and the duration', async () => {
    const entries: ActionEntry[] = [];
    let t = 1000;
    const fake = new FakeEngine();
    const e = recordActions(fake, (x) => entries.push(x), { env: { SUDO_USER: 'bob' }, now: () => (t += 5) });
    await e.create('web 1', { template: 'busybox', start: true });
    await expect(e.stop('web1', { kill: true })).rejects.toThrow('not running');
    await e.destroy('web1', { force: true });
    expect(await e.attach('web1', ['sh', '-c', 'echo hi; exit 3'])).toEqual(expect.objectContaining({ exitCode: 3 }));
    await e.kill('web1', 4242, 'SIGKILL');
    expect(await e.list()).toEqual(['not recorded']);
    expect(e.lxcpath).toBe('/srv/lxc');
    // the internal start of create ran, unrecorded
    expect(fake.calls).toEqual(['create web 1', 'start web 1', 'destroy web1']);
    expect(entries.map((x) => x.action)).toEqual(['create', 'stop', 'destroy', 'attach', 'kill']);
    expect(entries[0]).toMatchObject({
      user: 'bob',
      lxcpath: '/srv/lxc',
      container: 'web 1',
      command: "lxc-create -P /srv/lxc -n 'web 1' -t busybox && lxc-start -P /srv/lxc -n 'web 1' -d",
      result: 'ok',
      durationMs: 5,
    });
    expect(entries[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(entries[1]).toMatchObject({ command: 'lxc-stop -P /srv/lxc -n web1 -k', result: 'E_STATE', message: 'web1 is not running' });
    expect(entries[2].command).toBe('lxc-destroy -P /srv/lxc -n web1 -f');
    expect(entries[3]).toMatchObject({ command: "lxc-attach -P /srv/lxc -n web1 -- sh -c 'echo hi; exit 3'", result: 'ok', exitStatus: 3 });
    expect(entries[4].command).toBe('kill -s KILL 4242');
  });

  it("logs an oci, download or loop-backed create as LXC's own templates and lxc-create -B take it", () => {
    const cmd = (o: object): string => renderEquivalent(ACTION_SPECS.create.equivalent('/p', ['c', o], undefined));
    expect(cmd({ template: 'oci', options: { image: 'docker://busybox:latest' } })).toBe("lxc-create -P /p -n c -t oci -- --url docker://busybox:latest");
    expect(cmd({ template: 'download', options: { distro: 'debian', release: 'bookworm', arch: 'amd64' } })).toBe('lxc-create -P /p -n c -t download -- --dist debian --release bookworm --arch amd64');
    expect(cmd({ template: 'busybox', backing: 'loop', size: '2G' })).toBe('lxc-create -P /p -n c -t busybox -B loop --fssize 2G');
    expect(cmd({ template: 'busybox', backing: 'dir' })).toBe('lxc-create -P /p -n c -t busybox');
  });

  it('a throwing log does not break the action', async () => {
    const e = recordActions(new FakeEngine(), () => {
      throw new Error('disk full');
    });
    await expect(e.start('x')).resolves.toBeUndefined();
  });

  it('renders limits as lxc-cgroup lines with the saved config keys as a comment', () => {
    expect(renderEquivalent({ argvs: [['lxc-cgroup', '-P', '/p', '-n', 'c', 'memory.max', '536870912']], note: 'in /p/c/config: lxc.cgroup2.memory.max = 536870912' })).toBe(
      'lxc-cgroup -P /p -n c memory.max 536870912 # in /p/c/config: lxc.cgroup2.memory.max = 536870912',
    );
  });
});
