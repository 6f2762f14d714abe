/**
 * The remote stats reader's protocol (core/remote/stats.ts READER_SCRIPT and StatsReader), run
 * against a real `sh` on this host through its stdio instead of an SSH channel: walk, tick
 * list, the reader walking by itself when the container set changes or a listed PID is gone,
 * and a reader that dies or stops answering. No containers: an lxcpath of plain directories.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { READER_SCRIPT, RemoteStatsSource, StatsReader, type ReaderChannel } from '../../../core/remote/stats.js';

const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'lxdeck-reader-'));
  dirs.push(d);
  return d;
}

/** The reader script in a local sh, as a ReaderChannel. */
function localChannel(lxcpath: string): { ch: ReaderChannel; proc: ChildProcess } {
  const proc = spawn('sh', ['-c', READER_SCRIPT, 'sh', lxcpath], { stdio: ['pipe', 'pipe', 'pipe'] });
  procs.push(proc);
  proc.stdin!.on('error', () => undefined); // EPIPE once it is gone
  const ch: ReaderChannel = {
    write: (d) => proc.stdin!.write(d),
    onData: (fn) => proc.stdout!.on('data', fn),
    onStderr: (fn) => proc.stderr!.on('data', fn),
    onClose: (fn) => proc.on('close', (code) => fn(code)),
    close: () => proc.stdin!.end(),
  };
  return { ch, proc };
}

describe('remote stats reader (a local sh through its stdio)', () => {
  it('is valid POSIX sh (sh -n)', () => {
    execFileSync('sh', ['-n', '-c', READER_SCRIPT]);
  });

  it('W walks: the host files and each container config; a tick copies exactly its list (NULs, empty and missing files)', async () => {
    const lp = tmp();
    mkdirSync(join(lp, 'c1'));
    writeFileSync(join(lp, 'c1', 'config'), 'lxc.uts.name = c1\n');
    const { ch } = localChannel(lp);
    const r = new StatsReader(ch, 'local', 20_000);
    const w = await r.request({ walk: true });
    expect(w.walked).toBe(true);
    expect(w.files.get('/proc/uptime')).toMatch(/^\d+\.\d+ \d+\.\d+\n$/);
    expect(w.files.get('/proc/meminfo')).toMatch(/^MemTotal:/);
    expect(w.files.get('/proc/self/mountinfo')).toContain(' - ');
    expect(w.files.get(join(lp, 'c1', 'config'))).toBe('lxc.uts.name = c1\n');

    const d = tmp();
    writeFileSync(join(d, 'a b'), 'line1\nline2\n');
    writeFileSync(join(d, 'cmdline'), '[lxc monitor] /x c1\0');
    writeFileSync(join(d, 'empty'), '');
    writeFileSync(join(d, '*'), 'star, not a glob\n');
    const list = ['/proc/uptime', join(d, 'a b'), join(d, 'cmdline'), join(d, 'empty'), join(d, 'missing'), join(d, '*')];
    const t = await r.request({ walk: false, list, pids: [process.pid] });
    expect(t.walked).toBe(false);
    expect([...t.files.keys()].sort()).toEqual([join(d, '*'), join(d, 'a b'), join(d, 'cmdline'), join(d, 'empty'), '/proc/uptime'].sort());
    expect(t.files.get(join(d, 'a b'))).toBe('line1\nline2\n');
    expect(t.files.get(join(d, 'cmdline'))).toBe('[lxc monitor] /x c1\0');
    expect(t.files.get(join(d, 'empty'))).toBe('');
    expect(t.files.get(join(d, '*'))).toBe('star, not a glob\n');
    // the list stays: the next tick needs no list
    const t2 = await r.request({ walk: false });
    expect(t2.walked).toBe(false);
    expect(t2.files.get(join(d, 'a b'))).toBe('line1\nline2\n');
    // the limit list: copied only when asked for with the tick list
    const lim = await r.request({ walk: false, limitList: [join(d, 'empty'), '/proc/meminfo'] });
    expect(lim.files.has('/proc/meminfo')).toBe(false);
    const f = await r.request({ walk: false, limits: true });
    expect(f.walked).toBe(false);
    expect(f.files.get('/proc/meminfo')).toMatch(/^MemTotal:/);
    expect(f.files.get(join(d, 'a b'))).toBe('line1\nline2\n');
    expect((await r.request({ walk: false })).files.has('/proc/meminfo')).toBe(false);
    r.close();
  });

  it('a tick walks instead when a container appears or goes, or a listed PID is gone', async () => {
    const lp = tmp();
    const { ch } = localChannel(lp);
    const r = new StatsReader(ch, 'local', 20_000);
    expect((await r.request({ walk: true })).walked).toBe(true);
    expect((await r.request({ walk: false, list: ['/proc/uptime'], pids: [process.pid] })).walked).toBe(false);
    mkdirSync(join(lp, 'new'));
    writeFileSync(join(lp, 'new', 'config'), '');
    const w = await r.request({ walk: false });
    expect(w.walked).toBe(true);
    expect(w.files.has(join(lp, 'new', 'config'))).toBe(true);
    expect((await r.request({ walk: false })).walked).toBe(false);
    rmSync(join(lp, 'new'), { recursive: true });
    expect((await r.request({ walk: false })).walked).toBe(true);
    // a PID that is not there (pid_max is at most 2^22)
    expect((await r.request({ walk: false, list: ['/proc/uptime'], pids: [process.pid, 4194305] })).walked).toBe(true);
    r.close();
  });

  it('a reader that dies fails the request with E_UNREACHABLE and stays closed; one that stops answering too', async () => {
    const lp = tmp();
    const a = localChannel(lp);
    const r = new StatsReader(a.ch, 'local', 20_000);
    await r.request({ walk: true });
    a.proc.kill('SIGKILL');
    await expect(r.request({ walk: false, list: ['/proc/uptime'] })).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
    expect(r.closed).toBe(true);
    await expect(r.request({ walk: true })).rejects.toMatchObject({ code: 'E_UNREACHABLE' });

    const b = localChannel(lp);
    const s = new StatsReader(b.ch, 'local', 300);
    await s.request({ walk: true });
    b.proc.kill('SIGSTOP');
    try {
      await expect(s.request({ walk: false })).rejects.toMatchObject({ code: 'E_UNREACHABLE', message: expect.stringMatching(/did not answer/) });
      expect(s.closed).toBe(true);
    } finally {
      b.proc.kill('SIGCONT');
    }
  });

  it('RemoteStatsSource: the first pass walks, the next ones are ticks; a dead reader is started again by the next pass', async () => {
    const lp = tmp();
    mkdirSync(join(lp, 'c1'));
    writeFileSync(join(lp, 'c1', 'config'), 'lxc.net.0.type = empty\n');
    let last: ChildProcess | null = null;
    const src = new RemoteStatsSource(null, lp, {
      where: 'local',
      open: async () => {
        const c = localChannel(lp);
        last = c.proc;
        return c.ch;
      },
    });
    const p1 = await src.pass();
    expect(src.lastRequest?.kind).toBe('walk');
    expect(p1.containers.map((c) => [c.name, c.state])).toEqual([['c1', 'STOPPED']]);
    expect(p1.host.cpus).toBeGreaterThan(0);
    const p2 = await src.pass();
    expect(src.lastRequest?.kind).not.toBe('walk');
    expect(p2.containers.map((c) => [c.name, c.state])).toEqual([['c1', 'STOPPED']]);
    expect((await src.pass()).containers).toHaveLength(1);
    expect(src.lastRequest?.kind).toBe('tick');
    // limitsEveryMs 0: every tick copies the limit list too
    const every = new RemoteStatsSource(null, lp, { where: 'local', limitsEveryMs: 0, open: async () => localChannel(lp).ch });
    await every.pass();
    expect(every.lastRequest?.kind).toBe('walk');
    expect((await every.pass()).host.memoryBytes).toBeGreaterThan(0);
    expect(every.lastRequest?.kind).toBe('limits');
    every.close();
    last!.kill('SIGKILL');
    await expect(src.pass()).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
    const p3 = await src.pass();
    expect(src.lastRequest?.kind).toBe('walk');
    expect(p3.containers.map((c) => c.name)).toEqual(['c1']);
    src.close();
  });
});
