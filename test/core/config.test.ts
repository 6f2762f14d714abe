import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LxcConfig,
  formatProblem,
  isKnownKey,
  isLegacyKey,
  migrateLegacy,
  netInterfaces,
  readConfig,
  validateConfig,
  writeConfig,
} from '../../core/lxc/config.js';
import { LxdeckError } from '../../core/errors.js';
import { ExecaRunner } from '../../core/exec/runner.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'config');
const BUSYBOX = join(FIX, 'busybox-lxc5.conf');
const LEGACY = join(FIX, 'legacy-lxc2.conf');
const LEGACY_MIGRATED = join(FIX, 'legacy-lxc2.migrated.conf');

function thrown(fn: () => unknown): LxdeckError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LxdeckError);
    return e as LxdeckError;
  }
  throw new Error('expected a throw');
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lxdeck-config-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('grammar (LXC parse_line)', () => {
  it('C1: "#" starts a comment only at the start of a line; a trailing "#..." is part of the value', () => {
    const cfg = LxcConfig.parse('lxc.tty.max = 1 # one console\n  # indented comment\n\t\n');
    expect(cfg.get('lxc.tty.max')).toBe('1 # one console');
    const lines = cfg.allLines();
    expect(lines.map((l) => l.kind)).toEqual(['entry', 'comment', 'blank']);
  });

  it('C1: splits at the first "=", trims blanks, removes one pair of matching quotes', () => {
    const cfg = LxcConfig.parse(
      [
        'lxc.uts.name = "fix1"',
        "lxc.environment = 'A=b c'",
        'lxc.hook.pre-start=/bin/x --opt=1',
        '   lxc.arch\t=\t amd64  \t',
        'lxc.mount.entry = "unbalanced',
        'lxc.init.cmd = "/a" "/b"',
        'lxc.net.0.ipv4.address =',
      ].join('\n'),
    );
    expect(cfg.get('lxc.uts.name')).toBe('fix1');
    expect(cfg.get('lxc.environment')).toBe('A=b c');
    expect(cfg.get('lxc.hook.pre-start')).toBe('/bin/x --opt=1');
    expect(cfg.get('lxc.arch')).toBe('amd64');
    expect(cfg.get('lxc.mount.entry')).toBe('"unbalanced');
    expect(cfg.get('lxc.init.cmd')).toBe('/a" "/b');
    expect(cfg.get('lxc.net.0.ipv4.address')).toBe('');
  });

  it('C1: a line that is not key = value, comment or blank throws E_CONFIG naming file:line', () => {
    const e = thrown(() => LxcConfig.parse('lxc.arch = amd64\n\nlxc.tty.max 4\n', '/x/config'));
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toContain('/x/config:3');
    expect(e.message).toContain('lxc.tty.max 4');
    expect(thrown(() => LxcConfig.parse('= value')).message).toContain('<config>:1');
  });

  it('C1: last occurrence wins for get; getAll keeps order', () => {
    const cfg = LxcConfig.parse('lxc.idmap = u 0 1 2\nlxc.tty.max = 1\nlxc.idmap = g 0 1 2\nlxc.tty.max = 4\n');
    expect(cfg.get('lxc.tty.max')).toBe('4');
    expect(cfg.getAll('lxc.idmap')).toEqual(['u 0 1 2', 'g 0 1 2']);
    expect(cfg.get('lxc.nope')).toBeUndefined();
    expect(cfg.getAll('lxc.nope')).toEqual([]);
    expect(cfg.entries().map((e) => [e.key, e.lineNo])).toEqual([
      ['lxc.idmap', 1],
      ['lxc.tty.max', 2],
      ['lxc.idmap', 3],
      ['lxc.tty.max', 4],
    ]);
  });
});

describe('round trip', () => {
  const texts: [string, string][] = [
    ['busybox fixture', readFileSync(BUSYBOX, 'utf8')],
    ['legacy fixture', readFileSync(LEGACY, 'utf8')],
    ['no final newline', 'lxc.arch = amd64\n# c'],
    ['CRLF', 'lxc.arch = amd64\r\n# comment\r\n\r\nlxc.tty.max = 4\r\n'],
    ['empty', ''],
    ['only newline', '\n'],
    ['odd spacing', '\t lxc.arch=amd64   \n\n\n   # x = y\nlxc.include = /usr/share/lxc/config/common.conf\n'],
    ['BOM', '\uFEFFlxc.arch = amd64\n'],
  ];
  it.each(texts)('C1: parse then toString is byte-identical (%s)', (_n, text) => {
    expect(LxcConfig.parse(text).toString()).toBe(text);
  });

  it('C1: set() on one key changes only that line, keeping its spacing', async () => {
    const text = readFileSync(BUSYBOX, 'utf8');
    const cfg = LxcConfig.parse(text, BUSYBOX);
    cfg.set('lxc.tty.max', '2');
    const before = text.split('\n');
    const after = cfg.toString().split('\n');
    expect(after.length).toBe(before.length);
    const diff = before.flatMap((l, i) => (l === after[i] ? [] : [[l, after[i]]]));
    expect(diff).toEqual([['lxc.tty.max = 5', 'lxc.tty.max = 2']]);
    // spacing of an odd line is kept
    const odd = LxcConfig.parse('lxc.tty.max=5\n  lxc.arch  =\tamd64  \n');
    odd.set('lxc.arch', 'i686');
    odd.set('lxc.tty.max', '1');
    expect(odd.toString()).toBe('lxc.tty.max=1\n  lxc.arch  =\ti686  \n');
  });

  it('C1: set() keeps the quoting of a quoted value and quotes where the reader needs it', () => {
    const cfg = LxcConfig.parse('lxc.uts.name = "fix1"\n');
    cfg.set('lxc.uts.name', 'fix2');
    expect(cfg.toString()).toBe('lxc.uts.name = "fix2"\n');
    const c2 = LxcConfig.parse('');
    c2.set('lxc.environment', ' padded ');
    c2.set('lxc.init.cmd', '"quoted"');
    const back = LxcConfig.parse(c2.toString());
    expect(back.get('lxc.environment')).toBe(' padded ');
    expect(back.get('lxc.init.cmd')).toBe('"quoted"');
  });

  it('C1: set() replaces the last occurrence only; unset removes all; append groups lines', () => {
    const cfg = LxcConfig.parse(
      'lxc.net.0.type = veth\nlxc.net.0.link = br0\n\nlxc.net.1.type = veth\n\n# tail\nlxc.tty.max = 1\nlxc.tty.max = 2\n',
    );
    cfg.set('lxc.tty.max', '3');
    expect(cfg.getAll('lxc.tty.max')).toEqual(['1', '3']);
    cfg.unset('lxc.tty.max');
    expect(cfg.has('lxc.tty.max')).toBe(false);
    cfg.append('lxc.net.0.ipv4.address', '10.0.3.5/24');
    cfg.append('lxc.net.0.ipv4.address', '10.0.3.6/24');
    cfg.set('lxc.start.auto', '1');
    expect(cfg.toString()).toBe(
      'lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.ipv4.address = 10.0.3.5/24\nlxc.net.0.ipv4.address = 10.0.3.6/24\n\nlxc.net.1.type = veth\n\n# tail\nlxc.start.auto = 1\n',
    );
    expect(cfg.entries().find((e) => e.key === 'lxc.start.auto')!.lineNo).toBe(9);
  });

  it('C1: appending to a file with no final newline starts a new line', () => {
    const cfg = LxcConfig.parse('lxc.arch = amd64');
    cfg.set('lxc.tty.max', '1');
    expect(cfg.toString()).toBe('lxc.arch = amd64\nlxc.tty.max = 1\n');
  });

  it('C1: the writer refuses values that would break the line grammar', () => {
    const cfg = LxcConfig.parse('');
    expect(thrown(() => cfg.set('lxc.uts.name', 'a\nlxc.hook.pre-start = /evil')).code).toBe('E_INVALID_VALUE');
    expect(thrown(() => cfg.set('lxc.uts.name', 'a\rb')).code).toBe('E_INVALID_VALUE');
    expect(thrown(() => cfg.set('#lxc.x', '1')).code).toBe('E_INVALID_VALUE');
    expect(thrown(() => cfg.set('lxc.a = b', '1')).code).toBe('E_INVALID_VALUE');
    expect(cfg.toString()).toBe('');
  });

  it('C1: readConfig/writeConfig: unchanged lines, include and comments survive; mode kept; no temp left', async () => {
    const p = join(tmp, 'config');
    const text = readFileSync(BUSYBOX, 'utf8');
    writeFileSync(p, text);
    chmodSync(p, 0o600);
    const cfg = await readConfig(p);
    expect(cfg.file).toBe(p);
    await writeConfig(p, cfg);
    expect(readFileSync(p, 'utf8')).toBe(text);
    cfg.set('lxc.start.auto', '1');
    await writeConfig(p, cfg);
    const out = readFileSync(p, 'utf8');
    expect(out).toContain('#lxc.include = /usr/share/lxc/config/nesting.conf\n');
    expect(out).toContain('# When using LXC with apparmor, uncomment the next line to run unconfined:\n');
    expect(out.split('\n').length).toBe(text.split('\n').length + 1);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(readdirSync(tmp)).toEqual(['config']);
  });

  it('writeConfig makes a new file 0640 and leaves no temp file when it fails', async () => {
    const p = join(tmp, 'new', 'config');
    mkdirSync(join(tmp, 'new'));
    await writeConfig(p, LxcConfig.parse('lxc.arch = amd64\n'));
    expect(statSync(p).mode & 0o777).toBe(0o640);
    const missing = join(tmp, 'nodir', 'config');
    const e = await writeConfig(missing, LxcConfig.parse('')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LxdeckError);
    expect((e as LxdeckError).code).toBe('E_CONFIG');
    expect(readdirSync(join(tmp, 'new'))).toEqual(['config']);
  });

  it('readConfig: E_NOT_FOUND for a missing file, E_CONFIG with file:line for a bad line or non-UTF-8 bytes', async () => {
    const e1 = await readConfig(join(tmp, 'none')).catch((x: unknown) => x);
    expect((e1 as LxdeckError).code).toBe('E_NOT_FOUND');
    const bad = join(tmp, 'bad');
    writeFileSync(bad, 'lxc.arch = amd64\nnonsense\n');
    const e2 = (await readConfig(bad).catch((x: unknown) => x)) as LxdeckError;
    expect(e2.code).toBe('E_CONFIG');
    expect(e2.message).toContain(`${bad}:2`);
    const latin1 = join(tmp, 'latin1');
    writeFileSync(latin1, Buffer.from([0x6c, 0x78, 0x63, 0x2e, 0x61, 0x3d, 0xe9, 0x0a]));
    expect(((await readConfig(latin1).catch((x: unknown) => x)) as LxdeckError).code).toBe('E_CONFIG');
  });
});

describe('validateConfig', () => {
  it('C1: reports "lxc.tty.max = 1 # one console" with file, line and the hint to move the comment', () => {
    const cfg = LxcConfig.parse('# header\nlxc.arch = amd64\nlxc.tty.max = 1 # one console\n', '/var/lib/lxc/c1/config');
    const problems = validateConfig(cfg);
    expect(problems).toHaveLength(1);
    const p = problems[0];
    expect(p).toMatchObject({ lineNo: 3, key: 'lxc.tty.max', file: '/var/lib/lxc/c1/config' });
    expect(p.message).toContain('1 # one console');
    expect(p.hint).toMatch(/move the comment to its own line/);
    expect(formatProblem(p)).toMatch(/^\/var\/lib\/lxc\/c1\/config:3: lxc\.tty\.max: /);
  });

  it('C1: reports values the engine cannot take, each with its line', () => {
    const cfg = LxcConfig.parse(
      [
        'lxc.tty.max = four', // 1
        'lxc.start.auto = yes', // 2
        'lxc.net.0.type = veth', // 3
        'lxc.net.0.ipv4.address = 10.0.3.5', // 4
        'lxc.net.0.ipv4.address = 10.0.3.300/24', // 5
        'lxc.net.0.veth.pair = aaaaaaaaaaaaaaaa', // 6
        'lxc.net.0.hwaddr = 00:16:3e:zz:00:00', // 7
        'lxc.net.0.ipv4.gateway = 10.0.3', // 8
        'lxc.net.x.type = veth', // 9
        'lxc.net.1.type = bridge', // 10
        'lxc.start.delay = -1', // 11
        'lxc.utsname = old', // 12
        'foo = bar', // 13
        'lxc.uts.name = web # the web server', // 14
        'lxc.pty.max = 1024', // 15: fine
        'lxc.net.0.ipv4.address = 10.0.3.5/24 10.0.3.255', // 16: fine (LXC allows a broadcast)
        'lxc.net.0.hwaddr = 00:16:3e:xx:xx:xx', // 17: fine (x = random)
        'lxc.net.0.ipv4.gateway = auto', // 18: fine
        'lxc.net.0.link = lxcbr0', // 19: fine
      ].join('\n'),
      'cfg',
    );
    const problems = validateConfig(cfg);
    expect(problems.map((p) => p.lineNo)).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    for (const p of problems) expect(p.file).toBe('cfg');
    const at = (n: number) => problems.find((p) => p.lineNo === n)!;
    expect(at(4).message).toMatch(/A\.B\.C\.D\/N/);
    expect(at(6).message).toMatch(/at most 15 bytes/);
    expect(at(12).message).toMatch(/legacy/);
    expect(at(13).message).toMatch(/does not start with "lxc\."/);
    expect(at(14).hint).toMatch(/move the comment/);
  });

  it('C1: the busybox config lxc-create wrote has nothing to report', async () => {
    expect(validateConfig(await readConfig(BUSYBOX))).toEqual([]);
  });

  it('C1: reports keys liblxc does not know (it refuses the whole config)', () => {
    const cfg = LxcConfig.parse('lxc.tty.mx = 1\nlxc.net.0.veth.par = x\nlxc.cgroup2.memory.max = 1G\nlxc.prlimit.nofile = 10\nlxc.sysctl.net.ipv4.ip_forward = 1\nlxc.hook.pre-start = /x\n');
    const problems = validateConfig(cfg);
    expect(problems.map((p) => [p.lineNo, p.key])).toEqual([
      [1, 'lxc.tty.mx'],
      [2, 'lxc.net.0.veth.par'],
    ]);
    expect(problems[0].message).toMatch(/Unsupported config key/);
    expect(isKnownKey('lxc.cgroup.memory.limit_in_bytes')).toBe(true);
    expect(isKnownKey('lxc.cgroup.dir.bogus')).toBe(false);
    expect(isKnownKey('lxc.utsname')).toBe(false);
  });

  it('C3: with the host cgroup layout, flags limits the host ignores (v1 key on a v2-only host)', () => {
    const cfg = LxcConfig.parse(
      'lxc.cgroup.memory.limit_in_bytes = 2048M\nlxc.cgroup2.memory.max = 2G\nlxc.cgroup2.devices.allow = c 1:3 rwm\nlxc.cgroup.dir = lxdeck\n',
      'c3.conf',
    );
    const v2only = validateConfig(cfg, { cgroup: { v1: [], v2: ['cpuset', 'cpu', 'io', 'memory', 'pids'] } });
    expect(v2only).toHaveLength(1);
    expect(v2only[0]).toMatchObject({ lineNo: 1, key: 'lxc.cgroup.memory.limit_in_bytes', file: 'c3.conf' });
    expect(v2only[0].message).toMatch(/cgroup v2 only.*ignores/);
    expect(v2only[0].hint).toMatch(/lxc\.cgroup2\.memory\.max/);
    // a hybrid host like this one: memory on v1, no controller on the cgroup2 mount
    const hybrid = validateConfig(cfg, { cgroup: { v1: ['cpu', 'cpuacct', 'memory', 'pids'], v2: [] } });
    expect(hybrid.map((p) => p.lineNo)).toEqual([2]);
    expect(hybrid[0].message).toMatch(/"memory" controller is not enabled.*bound to cgroup v1/);
    // no layout given: nothing about cgroups
    expect(validateConfig(cfg)).toEqual([]);
  });

  it('C1: a CRLF line reads as LXC 5.0.2 reads it (the CR is not part of the value); a BOM is reported', () => {
    const cfg = LxcConfig.parse('lxc.tty.max = 1\r\nlxc.uts.name = ab \r\n');
    expect(cfg.get('lxc.uts.name')).toBe('ab');
    expect(validateConfig(cfg)).toEqual([]);
    cfg.set('lxc.uts.name', 'cd');
    expect(cfg.toString()).toBe('lxc.tty.max = 1\r\nlxc.uts.name = cd \r\n');
    const bom = validateConfig(LxcConfig.parse('\uFEFFlxc.tty.max = 1\n'));
    expect(bom).toHaveLength(1);
    expect(bom[0].message).toMatch(/byte order mark/);
  });
});

describe('legacy keys', () => {
  it('C2: two lxc.network.type blocks become lxc.net.0.* and lxc.net.1.*; utsname, rootfs converted; backend dropped', async () => {
    const legacy = await readConfig(LEGACY);
    const { config, changes } = migrateLegacy(legacy);
    expect(config.toString()).toBe(readFileSync(LEGACY_MIGRATED, 'utf8'));
    expect(config.get('lxc.net.0.ipv4.address')).toBe('10.0.3.100/24');
    expect(config.get('lxc.net.0.type')).toBe('veth');
    expect(config.get('lxc.net.1.type')).toBe('veth');
    expect(config.get('lxc.net.1.link')).toBe('lxcbr1');
    expect(config.get('lxc.uts.name')).toBe('old1');
    expect(config.get('lxc.rootfs.path')).toBe('dir:/var/lib/lxc/old1/rootfs');
    expect(config.has('lxc.rootfs.backend')).toBe(false);
    expect(config.entries().some((e) => isLegacyKey(e.key))).toBe(false);
    expect(changes).toContainEqual({ from: 'lxc.rootfs.backend', to: null, lineNo: 26 });
    expect(changes).toContainEqual({ from: 'lxc.network.ipv4', to: 'lxc.net.0.ipv4.address', lineNo: 13 });
    expect(changes).toContainEqual({ from: 'lxc.utsname', to: 'lxc.uts.name', lineNo: 34 });
    // the input is not changed
    expect(legacy.toString()).toBe(readFileSync(LEGACY, 'utf8'));
  });

  it('C2: converting twice gives the same result', async () => {
    const once = migrateLegacy(await readConfig(LEGACY)).config;
    const twice = migrateLegacy(once);
    expect(twice.changes).toEqual([]);
    expect(twice.config.toString()).toBe(once.toString());
    expect(validateConfig(once)).toEqual([]);
  });

  it('C2: the LXC key table: each legacy key and its new name', () => {
    const table: [string, string | null][] = [
      ['lxc.id_map', 'lxc.idmap'],
      ['lxc.pts', 'lxc.pty.max'],
      ['lxc.tty', 'lxc.tty.max'],
      ['lxc.devttydir', 'lxc.tty.dir'],
      ['lxc.aa_profile', 'lxc.apparmor.profile'],
      ['lxc.aa_allow_incomplete', 'lxc.apparmor.allow_incomplete'],
      ['lxc.se_context', 'lxc.selinux.context'],
      ['lxc.mount', 'lxc.mount.fstab'],
      ['lxc.utsname', 'lxc.uts.name'],
      ['lxc.seccomp', 'lxc.seccomp.profile'],
      ['lxc.console', 'lxc.console.path'],
      ['lxc.haltsignal', 'lxc.signal.halt'],
      ['lxc.rebootsignal', 'lxc.signal.reboot'],
      ['lxc.stopsignal', 'lxc.signal.stop'],
      ['lxc.syslog', 'lxc.log.syslog'],
      ['lxc.loglevel', 'lxc.log.level'],
      ['lxc.logfile', 'lxc.log.file'],
      ['lxc.init_cmd', 'lxc.init.cmd'],
      ['lxc.init_uid', 'lxc.init.uid'],
      ['lxc.init_gid', 'lxc.init.gid'],
      ['lxc.limit.nofile', 'lxc.prlimit.nofile'],
      ['lxc.pivotdir', null],
      ['lxc.kmsg', null],
      ['lxc.rootfs.backend', null],
    ];
    const text = table.map(([k]) => `${k} = v`).join('\n') + '\n';
    const { config, changes } = migrateLegacy(LxcConfig.parse(text));
    expect(changes.map((c) => [c.from, c.to])).toEqual(table);
    expect(config.entries().map((e) => e.key)).toEqual(table.filter(([, t]) => t !== null).map(([, t]) => t));
    // keys that merely share a prefix are not touched
    const modern = 'lxc.tty.max = 1\nlxc.mount.entry = a b c\nlxc.console.logfile = /x\nlxc.seccomp.profile = /p\nlxc.rootfs.path = /r\nlxc.prlimit.nofile = 1\n';
    expect(migrateLegacy(LxcConfig.parse(modern)).changes).toEqual([]);
  });

  it('C2: every legacy network subkey, unindexed and indexed forms', () => {
    const text = [
      'lxc.network.type = veth', // -> 0
      'lxc.network.veth.pair = vp0',
      'lxc.network.ipv4.gateway = 10.0.3.1',
      'lxc.network.ipv6 = fd00::2/64',
      'lxc.network.ipv6.gateway = fd00::1',
      'lxc.network.script.up = /bin/up',
      'lxc.network.type = macvlan', // -> 1
      'lxc.network.macvlan.mode = bridge',
      'lxc.network.0.ipv4 = 10.0.3.7/24', // indexed: the first interface
      'lxc.network.1.link = eth0',
      'lxc.network.1.ipv4 = 192.168.1.2/24',
    ].join('\n');
    const { config } = migrateLegacy(LxcConfig.parse(text));
    expect(config.entries().map((e) => `${e.key} = ${e.value}`)).toEqual([
      'lxc.net.0.type = veth',
      'lxc.net.0.veth.pair = vp0',
      'lxc.net.0.ipv4.gateway = 10.0.3.1',
      'lxc.net.0.ipv6.address = fd00::2/64',
      'lxc.net.0.ipv6.gateway = fd00::1',
      'lxc.net.0.script.up = /bin/up',
      'lxc.net.1.type = macvlan',
      'lxc.net.1.macvlan.mode = bridge',
      'lxc.net.0.ipv4.address = 10.0.3.7/24',
      'lxc.net.1.link = eth0',
      'lxc.net.1.ipv4.address = 192.168.1.2/24',
    ]);
  });

  it('C2: legacy interfaces are numbered after lxc.net.N already in the file; rootfs backend becomes the prefix', () => {
    const text = 'lxc.net.0.type = veth\nlxc.network.type = veth\nlxc.network.link = br1\nlxc.rootfs = /dev/vg/c1\nlxc.rootfs.backend = lvm\n';
    const { config } = migrateLegacy(LxcConfig.parse(text));
    expect(config.toString()).toBe('lxc.net.0.type = veth\nlxc.net.1.type = veth\nlxc.net.1.link = br1\nlxc.rootfs.path = lvm:/dev/vg/c1\n');
    const prefixed = migrateLegacy(LxcConfig.parse('lxc.rootfs = overlayfs:/a:/b\n')).config;
    expect(prefixed.get('lxc.rootfs.path')).toBe('overlayfs:/a:/b');
  });

  it('C2: comments that mention legacy keys stay as written', () => {
    const text = '#lxc.utsname = x\n# lxc.network.type = veth\n';
    const r = migrateLegacy(LxcConfig.parse(text));
    expect(r.config.toString()).toBe(text);
    expect(r.changes).toEqual([]);
  });
});

describe('netInterfaces', () => {
  it('reads lxc.net.N.* (repeated ipv4.address, broadcast dropped, empty value clears)', () => {
    const cfg = LxcConfig.parse(
      [
        'lxc.net.1.type = veth',
        'lxc.net.1.link = br1',
        'lxc.net.0.type = veth',
        'lxc.net.0.link = lxdeckbr0',
        'lxc.net.0.veth.pair = vlweb-abc123',
        'lxc.net.0.hwaddr = 00:16:3e:00:00:01',
        'lxc.net.0.ipv4.address = 10.0.9.9/24',
        'lxc.net.0.ipv4.address =',
        'lxc.net.0.ipv4.address = 10.0.3.5/24 10.0.3.255',
        'lxc.net.0.ipv4.address = 10.0.4.5/24',
        'lxc.net.0.ipv4.gateway = 10.0.3.1',
      ].join('\n'),
    );
    expect(netInterfaces(cfg)).toEqual([
      {
        index: 0,
        type: 'veth',
        link: 'lxdeckbr0',
        vethPair: 'vlweb-abc123',
        hwaddr: '00:16:3e:00:00:01',
        ipv4: ['10.0.3.5/24', '10.0.4.5/24'],
        ipv4Gateway: '10.0.3.1',
      },
      { index: 1, type: 'veth', link: 'br1', ipv4: [] },
    ]);
  });

  it('C2: reads a legacy config through the migration', async () => {
    const nets = netInterfaces(await readConfig(LEGACY));
    expect(nets.map((n) => [n.index, n.type, n.link, n.ipv4])).toEqual([
      [0, 'veth', 'lxcbr0', ['10.0.3.100/24']],
      [1, 'veth', 'lxcbr1', []],
    ]);
    expect(nets[0].vethPair).toBe('vethold0');
    expect(nets[0].ipv4Gateway).toBe('10.0.3.1');
  });

  it('the busybox fixture has one veth on lxcbr0', async () => {
    expect(netInterfaces(await readConfig(BUSYBOX))).toEqual([{ index: 0, type: 'veth', link: 'lxcbr0', ipv4: [] }]);
  });
});

// LXC itself is the judge of the grammar: what lxdeck reports, liblxc must do.
const haveLxc = existsSync('/usr/bin/lxc-info');
describe.skipIf(!haveLxc)('against liblxc on this host', () => {
  const runner = new ExecaRunner();
  async function lxcReads(configText: string, key: string): Promise<{ ok: boolean; out: string }> {
    const dir = join(tmp, 'c1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config'), configText);
    const r = await runner.run('lxc-info', ['-P', tmp, '-n', 'c1', '-c', key], { timeoutMs: 10_000 });
    return { ok: r.exitCode === 0, out: r.stdout.trim() };
  }

  it('C1: liblxc refuses "lxc.tty.max = 1 # one console", as validateConfig says', async () => {
    const text = 'lxc.tty.max = 1 # one console\n';
    expect(validateConfig(LxcConfig.parse(text))).toHaveLength(1);
    expect((await lxcReads(text, 'lxc.tty.max')).ok).toBe(false);
    const fixed = 'lxc.tty.max = 1\n# one console\n';
    expect(validateConfig(LxcConfig.parse(fixed))).toEqual([]);
    expect(await lxcReads(fixed, 'lxc.tty.max')).toEqual({ ok: true, out: 'lxc.tty.max = 1' });
  });

  it('C1: liblxc refuses a key it does not know, as validateConfig says', async () => {
    const text = 'lxc.tty.mx = 1\n';
    expect(validateConfig(LxcConfig.parse(text))).toHaveLength(1);
    expect((await lxcReads(text, 'lxc.tty.max')).ok).toBe(false);
  });

  it('C1: liblxc drops the CR of a CRLF line and skips a line behind a BOM, as the reader does', async () => {
    expect(await lxcReads('lxc.uts.name = ab\r\n', 'lxc.uts.name')).toEqual({ ok: true, out: 'lxc.uts.name = ab' });
    expect(LxcConfig.parse('lxc.uts.name = ab\r\n').get('lxc.uts.name')).toBe('ab');
    const bom = '\uFEFFlxc.tty.max = 3\n';
    expect(LxcConfig.parse(bom).get('lxc.tty.max')).toBeUndefined();
    expect(await lxcReads(bom, 'lxc.tty.max')).toEqual({ ok: true, out: 'lxc.tty.max = 0' });
  });

  it('C1: liblxc removes one pair of quotes, as the reader does', async () => {
    const text = 'lxc.uts.name = "fix1"\n';
    expect(LxcConfig.parse(text).get('lxc.uts.name')).toBe('fix1');
    expect(await lxcReads(text, 'lxc.uts.name')).toEqual({ ok: true, out: 'lxc.uts.name = fix1' });
  });

  it('C2: liblxc refuses the legacy fixture and accepts its migration', async () => {
    const legacy = readFileSync(LEGACY, 'utf8').replace(/^lxc\.include.*$/m, '');
    expect((await lxcReads(legacy, 'lxc.uts.name')).ok).toBe(false);
    const migrated = migrateLegacy(LxcConfig.parse(legacy)).config.toString();
    expect(await lxcReads(migrated, 'lxc.uts.name')).toEqual({ ok: true, out: 'lxc.uts.name = old1' });
    expect(await lxcReads(migrated, 'lxc.net.0.ipv4.address')).toEqual({
      ok: true,
      out: 'lxc.net.0.ipv4.address = 10.0.3.100/24',
    });
    expect((await lxcReads(migrated, 'lxc.net.1.link')).out).toBe('lxc.net.1.link = lxcbr1');
  });
});
