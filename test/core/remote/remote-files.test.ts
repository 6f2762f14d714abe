/**
 * The remote file reads and writes of core/remote/files.ts, run through a real `sh` on this
 * host (as over SSH, without the connection) against the cgroup fixture trees: READ_SCRIPT's
 * copies, readThrough giving the local answer (containerLimitsFrom, planContainerLimits over
 * the tree itself) in a few requests, WRITE_SCRIPT writing what applyLimit writes and reporting
 * a refusal by its errno.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_READ_ROUNDS, READ_SCRIPT, WRITE_SCRIPT, parseReadReply, readThrough, refusalOf, writeArgs, type RemoteFiles } from '../../../core/remote/files.js';
import { SnapshotFs } from '../../../core/remote/snapshot-fs.js';
import { HostFs } from '../../../core/host/host-fs.js';
import { LxcConfig } from '../../../core/lxc/config.js';
import { containerLimitsFrom, limitsOfInput, planContainerLimits } from '../../../core/cgroup/resources.js';
import { applyLimit, cgroupWriteError } from '../../../core/cgroup/limits.js';
import { isLxdeckError } from '../../../core/errors.js';
import { detectCgroupLayout } from '../../../core/cgroup/layout.js';
import { readCgroupPaths } from '../../../core/cgroup/paths.js';
import { FIX } from '../cgroup/helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function copyOf(tree: string): string {
  const d = mkdtempSync(join(tmpdir(), `lxdeck-rfiles-${tree}-`));
  dirs.push(d);
  cpSync(join(FIX, tree), d, { recursive: true });
  return d;
}

/** READ_SCRIPT in a local sh over a tree rooted at `root` (host paths in, host paths out), counting requests. */
function reader(root: string): { read: (paths: string[]) => Promise<RemoteFiles>; asked: string[][] } {
  const asked: string[][] = [];
  const read = async (paths: string[]) => {
    asked.push(paths);
    const out = execFileSync('sh', ['-c', READ_SCRIPT, 'sh', ...paths.map((p) => root + p)], { encoding: 'utf8' });
    const got = parseReadReply(out);
    const strip = <T>(m: Map<string, T>) => new Map([...m].map(([k, v]) => [k.slice(root.length), v] as [string, T]));
    return { files: strip(got.files), listings: strip(got.listings) };
  };
  return { read, asked };
}

const CONFIG = '/var/lib/lxc/web1/config';
const SEED = [CONFIG, '/proc/self/mountinfo', '/sys/devices/system/cpu/online', '/sys/fs/cgroup/cgroup.controllers', '/sys/fs/cgroup/unified/cgroup.controllers', '/proc/4242/cgroup'];
const CONFIG_TEXT = 'lxc.uts.name = web1\nlxc.cgroup2.memory.max = 1G\nlxc.cgroup.pids.max = 10\n';

describe('READ_SCRIPT and parseReadReply', () => {
  it('copies files exactly (final newline or not), lists directories, leaves out what is missing', async () => {
    const d = mkdtempSync(join(tmpdir(), 'lxdeck-rfiles-'));
    dirs.push(d);
    execFileSync('sh', ['-c', 'mkdir -p "$1/a/sub" "$1/empty" && printf "x\\ny\\n" > "$1/a/f" && printf "z" > "$1/g" && : > "$1/a/.h"', 'sh', d]);
    const out = execFileSync('sh', ['-c', READ_SCRIPT, 'sh', `${d}/a`, `${d}/g`, `${d}/missing`, `${d}/a/f`, `${d}/empty`], { encoding: 'utf8' });
    const r = parseReadReply(out);
    expect(r.files).toEqual(new Map([[`${d}/g`, 'z'], [`${d}/a/f`, 'x\ny\n']]));
    expect(r.listings).toEqual(new Map([[`${d}/a`, ['.h', 'f', 'sub']], [`${d}/empty`, []]]));
    // only directories: no head at all
    const only = parseReadReply(execFileSync('sh', ['-c', READ_SCRIPT, 'sh', `${d}/a/sub`], { encoding: 'utf8' }));
    expect(only).toEqual({ files: new Map(), listings: new Map([[`${d}/a/sub`, []]]) });
  });

  it('SnapshotFs with listings: entries exist, misses are recorded (files, exists, readdir)', () => {
    const fs = new SnapshotFs();
    fs.load(new Map([['/a/b', '1']]), new Map([['/c', ['d', 'e']]]));
    const r = fs.record(() => [fs.exists('/c/d'), fs.exists('/c/x'), fs.readdir('/c'), fs.readTextOrNull('/c/d'), fs.exists('/a'), (() => { try { return fs.readdir('/z'); } catch { return null; } })()]);
    expect(r.value).toEqual([true, false, ['d', 'e'], null, true, null]);
    expect([...r.misses].sort()).toEqual(['/c/d', '/c/x', '/z']);
  });
});

describe('readThrough: the local answer over a copy, learnt in a few requests', () => {
  for (const tree of ['v1', 'v2', 'hybrid'] as const) {
    it(`${tree}: containerLimitsFrom and planContainerLimits give what they give over the tree itself`, async () => {
      const root = copyOf(tree);
      execFileSync('mkdir', ['-p', join(root, 'var/lib/lxc/web1')]);
      writeFileSync(join(root, CONFIG), CONFIG_TEXT);
      const fs = new HostFs(root);
      const cfg = () => LxcConfig.parse(readFileSync(join(root, CONFIG), 'utf8'), CONFIG);

      const local = containerLimitsFrom(fs, 'web1', cfg(), 4242);
      const { read, asked } = reader(root);
      const remote = await readThrough(read, SEED, (s) => containerLimitsFrom(s, 'web1', LxcConfig.parse(s.readText(CONFIG), CONFIG), 4242));
      expect(remote.value).toEqual(local);
      expect(local.running).toBe(true);
      // the seed, then the cgroup files its paths name (v2 controllers come with the seed)
      expect(remote.rounds).toBeLessThanOrEqual(2);
      expect(asked.length).toBe(remote.rounds);

      const input = { memory: '512M', cpus: '1.5', cpuset: '0-1', pids: '99', ioWeight: '300', cpuWeight: '50' };
      const lp = planContainerLimits(fs, 'web1', cfg(), 4242, limitsOfInput(fs, input));
      const rp = await readThrough(reader(root).read, SEED, (s) => planContainerLimits(s, 'web1', LxcConfig.parse(s.readText(CONFIG), CONFIG), 4242, limitsOfInput(s, input)));
      const { config: lc, ...lrest } = lp;
      const { config: rc, ...rrest } = rp.value;
      expect(rrest).toEqual(lrest);
      expect(rc.toString()).toBe(lc.toString());
      expect(lrest.written.length).toBeGreaterThan(3);
      // the I/O weight's file test reads a directory listing: one or two requests more
      expect(rp.rounds).toBeLessThanOrEqual(4);

      // and a stopped container: the config only
      const sp = await readThrough(reader(root).read, SEED.slice(0, -1), (s) => planContainerLimits(s, 'web1', LxcConfig.parse(s.readText(CONFIG), CONFIG), null, limitsOfInput(s, { memory: '64M' })));
      expect(sp.value.live).toBe(false);
      expect(sp.value.written).toEqual([]);
      // the memory file is looked for in another cgroup of the hierarchy (the key must not name a
      // file the host lacks): the hierarchy's listing, then that cgroup's: two requests more at most
      expect(sp.rounds).toBeLessThanOrEqual(3);
      const { config: sc, ...srest } = sp.value;
      const { config: slc, ...slrest } = planContainerLimits(fs, 'web1', cfg(), null, limitsOfInput(fs, { memory: '64M' }));
      expect(srest).toEqual(slrest);
      expect(sc.toString()).toBe(slc.toString());
    });
  }

  it('an error of a complete pass is thrown; one of a pass that lacked files is taken for that lack', async () => {
    const root = copyOf('v1');
    const { read } = reader(root);
    // invalid input: thrown from the first pass already, as nothing it read was missing
    const asked: string[][] = [];
    const counted = (paths: string[]) => (asked.push(paths), read(paths));
    await expect(readThrough(counted, SEED.slice(1, -1), (s) => planContainerLimits(s, 'web1', LxcConfig.parse('', CONFIG), null, limitsOfInput(s, { memory: '100K' })))).rejects.toThrow(/memory limit 100 KiB \(102400 bytes\) is not allowed/);
    expect(asked.length).toBe(1);
    // mountinfo not in the seed: readText throws ENOENT in the first pass; it is copied and the second pass works
    const r = await readThrough(read, ['/sys/devices/system/cpu/online'], (s) => s.readText('/proc/self/mountinfo').length > 0);
    expect(r).toEqual({ value: true, rounds: 2 });
    // a file that is not there is an answer (null), not a reason to ask again
    const n = await readThrough(read, [], (s) => s.readTextOrNull('/no/such/file'));
    expect(n).toEqual({ value: null, rounds: 2 });
    // a reader that keeps finding new paths gives up
    let i = 0;
    await expect(readThrough(read, [], (s) => s.exists(`/new/${i++}`))).rejects.toThrow(new RegExp(`more than ${MAX_READ_ROUNDS} requests`));
  });
});

describe('WRITE_SCRIPT', () => {
  const run = (args: string[]) => spawnSync('sh', ['-c', WRITE_SCRIPT, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('writes each planned value to its file, then the config (its mode kept, no temporary file left)', () => {
    const a = copyOf('v1');
    const b = copyOf('v1');
    const ta = new HostFs(a);
    const plan = planContainerLimits(ta, 'web1', LxcConfig.parse('', CONFIG), 4242, limitsOfInput(ta, { memory: '256M', pids: '7', cpus: '0.5' }));
    const paths = plan.written.map((w) => w.path);
    execFileSync('mkdir', ['-p', join(b, 'cfg')]);
    const cfgPath = join(b, 'cfg', 'config');
    writeFileSync(cfgPath, 'old\n');
    chmodSync(cfgPath, 0o640);
    const r = run(writeArgs(plan.written.map((w) => ({ path: b + w.path, value: w.value })), { path: cfgPath, text: plan.config.toString() }));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const p of paths) expect(readFileSync(b + p, 'utf8'), p).toBe(plan.written.find((w) => w.path === p)!.value);
    expect(readFileSync(cfgPath, 'utf8')).toBe(plan.config.toString());
    expect(statSync(cfgPath).mode & 0o777).toBe(0o640);
    expect(execFileSync('ls', [join(b, 'cfg')], { encoding: 'utf8' })).toBe('config\n');
  });

  it('applyLimit and the script leave the same files', () => {
    const a = copyOf('hybrid');
    const b = copyOf('hybrid');
    const fa = new HostFs(a);
    const limits = limitsOfInput(fa, { memory: '300M', pids: '12' }).limits;
    const pathsA = planContainerLimits(fa, 'web1', LxcConfig.parse('', CONFIG), 4242, { limits, messages: [] }).written;
    applyLimit(readCgroupPaths(fa, 4242, detectCgroupLayout(fa), { name: 'web1' }), limits, fa);
    const r = run(writeArgs(pathsA.map((w) => ({ path: b + w.path, value: w.value })), null));
    expect(r.status).toBe(0);
    for (const w of pathsA) expect(readFileSync(b + w.path, 'utf8')).toBe(readFileSync(a + w.path, 'utf8'));
  });

  it('a missing file is refused (never created) and stops everything, config included; the refusal maps like a local errno', () => {
    const b = copyOf('v1');
    const cfgPath = join(b, 'config');
    writeFileSync(cfgPath, 'old\n');
    const first = join(b, 'sys/fs/cgroup/pids/lxc.payload.web1/pids.max');
    const r = run(writeArgs([{ path: first, value: '5' }, { path: join(b, 'sys/fs/cgroup/pids/lxc.payload.web1/nope'), value: '1' }, { path: first, value: '9' }], { path: cfgPath, text: 'new\n' }));
    expect(r.status).toBe(3);
    const ref = refusalOf(r.stdout)!;
    expect(ref.index).toBe(1);
    expect(ref.error.code).toBe('ENOENT');
    expect(readFileSync(first, 'utf8')).toBe('5'); // written before the refusal, as applyLimit does
    expect(readFileSync(cfgPath, 'utf8')).toBe('old\n');
    expect(execFileSync('ls', [join(b, 'sys/fs/cgroup/pids/lxc.payload.web1')], { encoding: 'utf8' })).not.toContain('nope');
    const e = cgroupWriteError(ref.error, '/x/nope', '1');
    expect(isLxdeckError(e, 'E_NOT_FOUND')).toBe(true);
  });

  it("refusalOf: the kernel's words to errno codes, and the local errors from them", () => {
    const cases: [string, string | undefined, string][] = [
      ['Invalid argument', 'EINVAL', 'E_INVALID_VALUE'],
      ['Device or resource busy', 'EBUSY', 'E_STATE'],
      ['No such device', 'ENODEV', 'E_NOT_FOUND'],
      ['Permission denied', 'EACCES', 'E_NOT_ROOT'],
      ['Operation not permitted', 'EPERM', 'E_NOT_ROOT'],
      ['Something new', undefined, 'E_STATE'],
    ];
    for (const [text, code, lx] of cases) {
      const r = refusalOf(`refused 2 ${text}\n`)!;
      expect(r.index).toBe(2);
      expect(r.error.code).toBe(code);
      expect(isLxdeckError(cgroupWriteError(r.error, '/p', 'v'), lx as never), text).toBe(true);
    }
    expect(refusalOf('')).toBeNull();
  });
});
