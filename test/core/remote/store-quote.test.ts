import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteStore, configDir, parseSshUrl, remoteUrl } from '../../../core/remote/store.js';
import { quoteArgv } from '../../../core/remote/ssh.js';
import { SnapshotFs, parseHeadFrames } from '../../../core/remote/stats.js';
import { parseLxcLsFancy } from '../../../core/remote/backend.js';
import { isLxdeckError } from '../../../core/errors.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lxdeck-rs-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('quoteArgv: argv for the remote POSIX shell', () => {
  const nasty = ["it's $HOME", '`id`', 'a"b\\c', '!x', '$(id)', '-n', '', 'a\nb', '*', '~', '#c', ';ls', '\\', "'", '"', 'a b\tc', '>f', '|', '&'];
  for (const shell of ['sh', 'bash']) {
    it(`${shell} -c gives back exactly the words`, () => {
      const out = execFileSync(shell, ['-c', `printf '%s\\0' ${quoteArgv(nasty)}`]).toString().split('\0').slice(0, -1);
      expect(out).toEqual(nasty);
    });
  }
});

describe('ssh URLs', () => {
  it('parses user, host, port; default port 22; IPv6 in brackets', () => {
    expect(parseSshUrl('ssh://root@host1')).toEqual({ user: 'root', host: 'host1', port: 22 });
    expect(parseSshUrl('ssh://admin@10.0.0.2:2222')).toEqual({ user: 'admin', host: '10.0.0.2', port: 2222 });
    expect(parseSshUrl('ssh://root@[fd00::1]:22')).toEqual({ user: 'root', host: 'fd00::1', port: 22 });
    expect(remoteUrl({ user: 'root', host: 'fd00::1', port: 2222 })).toBe('ssh://root@[fd00::1]:2222');
  });
  it('refuses another scheme, no user, a path, a password', () => {
    for (const u of ['http://root@h', 'ssh://h', 'ssh://root@h/var', 'ssh://root:pw@h', 'nonsense'])
      expect(() => parseSshUrl(u), u).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});

describe('RemoteStore', () => {
  it('configDir: LXDECK_CONFIG_DIR, else XDG_CONFIG_HOME/lxdeck, else ~/.config/lxdeck', () => {
    expect(configDir({ LXDECK_CONFIG_DIR: '/x', XDG_CONFIG_HOME: '/y', HOME: '/h' })).toBe('/x');
    expect(configDir({ XDG_CONFIG_HOME: '/y', HOME: '/h' })).toBe('/y/lxdeck');
    expect(configDir({ HOME: '/h' })).toBe('/h/.config/lxdeck');
    expect(configDir({ XDG_CONFIG_HOME: 'relative', HOME: '/h' })).toBe('/h/.config/lxdeck');
  });

  it('add, list, get, remove; the file is 0600 and no temp file is left', () => {
    const d = tmp();
    const s = new RemoteStore(join(d, 'sub', 'remotes.json'));
    expect(s.list()).toEqual([]);
    s.add({ name: 'lab1', user: 'root', host: '10.0.0.2', port: 2222, lxcpath: '/srv/lxc' });
    s.add({ name: 'a-2', user: 'root', host: 'h', port: 22, lxcpath: '/var/lib/lxc', identity: '/k', knownHosts: '/kh' });
    expect(statSync(join(d, 'sub', 'remotes.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(d, 'sub'))).toEqual(['remotes.json']);
    expect(s.list().map((r) => r.name)).toEqual(['a-2', 'lab1']);
    expect(s.get('lab1')).toEqual({ name: 'lab1', user: 'root', host: '10.0.0.2', port: 2222, lxcpath: '/srv/lxc' });
    expect(JSON.parse(readFileSync(s.path, 'utf8')).remotes.lab1.url).toBe('ssh://root@10.0.0.2:2222');
    expect(() => s.add({ name: 'lab1', user: 'r', host: 'h', port: 22, lxcpath: '/x' })).toThrow(expect.objectContaining({ code: 'E_EXISTS' }));
    s.remove('lab1');
    expect(s.list().map((r) => r.name)).toEqual(['a-2']);
    expect(() => s.get('lab1')).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
  });

  it('names are validated (no ":" so NAME:container parses); a relative lxcpath is refused', () => {
    const s = new RemoteStore(join(tmp(), 'r.json'));
    for (const n of ['', 'Lab', '1lab', 'a:b', 'a/b', 'x'.repeat(33)])
      expect(() => s.add({ name: n, user: 'r', host: 'h', port: 22, lxcpath: '/x' }), n).toThrow(expect.objectContaining({ code: 'E_NAME_INVALID' }));
    expect(() => s.add({ name: 'ok', user: 'r', host: 'h', port: 22, lxcpath: 'rel' })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });

  it('a broken file is E_CONFIG, not a crash', () => {
    const f = join(tmp(), 'r.json');
    writeFileSync(f, '{nope');
    try {
      new RemoteStore(f).list();
      throw new Error('no error');
    } catch (e) {
      expect(isLxdeckError(e, 'E_CONFIG')).toBe(true);
    }
  });
});

describe('remote stats framing and the snapshot file system', () => {
  it('parseHeadFrames (head -v output) keeps contents byte for byte: NULs, no trailing newline, empty files', () => {
    const d = tmp();
    writeFileSync(join(d, 'a'), 'line1\nline2\n');
    writeFileSync(join(d, 'cmdline'), '[lxc monitor] /x c1\0');
    writeFileSync(join(d, 'empty'), '');
    writeFileSync(join(d, 'children'), '1234 ');
    const names = ['a', 'cmdline', 'empty', 'children', 'a'].map((n) => join(d, n));
    // as the script runs it: through xargs, then one newline after the last file
    const out = execFileSync('sh', ['-c', `printf '%s\\0' "$@" | xargs -0 -r sh -c 'head -v -c 16777216 -- "$@"; echo' sh`, 'sh', ...names]).toString();
    const f = parseHeadFrames(out);
    expect(f.get(join(d, 'a'))).toBe('line1\nline2\n');
    expect(f.get(join(d, 'cmdline'))).toBe('[lxc monitor] /x c1\0');
    expect(f.get(join(d, 'empty'))).toBe('');
    expect(f.get(join(d, 'children'))).toBe('1234 ');
  });

  it('SnapshotFs: directories are those the paths imply; a path not copied is ENOENT; reads can be recorded', () => {
    const fs = new SnapshotFs(new Map([['/a/b', 'x\n'], ['/a/c', ''], ['/proc/1/cmdline', 'c\0']]));
    expect(fs.readdir('/a')).toEqual(['b', 'c']);
    expect(fs.readdir('/')).toEqual(['a', 'proc']);
    expect(fs.readTextOrNull('/a/d')).toBeNull();
    const r = fs.record(() => [fs.readTextOrNull('/a/b'), fs.readTextOrNull('/a/d'), fs.exists('/a/c'), fs.exists('/a')]);
    expect(r.value).toEqual(['x\n', null, true, true]);
    expect([...r.reads].sort()).toEqual(['/a/b', '/a/c', '/a/d']);
  });
});

describe('parseLxcLsFancy', () => {
  it('reads lxc-ls -f -F NAME,STATE,PID,IPV4,AUTOSTART,GROUPS columns', () => {
    const text = [
      'NAME  STATE   PID  IPV4                  AUTOSTART GROUPS  ',
      'c1    RUNNING 4242 10.0.3.5, 10.0.3.6    1         web,db  ',
      'c2    STOPPED -    -                     0         -       ',
      '',
    ].join('\n');
    expect(parseLxcLsFancy(text)).toEqual([
      { name: 'c1', state: 'RUNNING', pid: 4242, ipv4: ['10.0.3.5', '10.0.3.6'], autostart: true, groups: ['web', 'db'] },
      { name: 'c2', state: 'STOPPED', pid: null, ipv4: [], autostart: false, groups: [] },
    ]);
    expect(parseLxcLsFancy('')).toEqual([]);
  });
});
