/**
 * The busybox template's init on real LXC (root), in a temporary lxcpath: no inittab entry can
 * jam init (core/rootfs/inittab.ts). The fault it guards against: an entry whose program is not in
 * the rootfs (the old template's `tty1::respawn:/bin/getty`, getty being /sbin/getty) is re-run
 * every second; each failed exec writes "can't run" to tty1, which nobody reads until
 * `lxc-console -t 1` attaches, and about 6 minutes later the write blocks, with init in vfork
 * behind it: no stop, no reboot. Rather than wait 6 minutes, these tests show what makes it
 * impossible: every program the inittab runs is there, the getty on tty1 is started once and
 * stays (init forks nothing more), tty1 holds one login prompt and nothing else, and init
 * halts on lxc.signal.halt. A container started with the old line shows the fault's start
 * (can't-run lines piling up on tty1) so the checks are seen to catch it; `lxdeck start` puts
 * the old line right.
 * Under CI=true it fails (never skips) when root or LXC is missing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPty } from '../../core/exec/pty.js';
import { consoleArgv } from '../../core/lxc/attach.js';
import { inittabProblems, resolveInRootfs } from '../../core/rootfs/inittab.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const env = tempLxcpath();
const id = uniq(3);
const lxc = (tool: string, name: string, ...args: string[]) => execFileSync(tool, ['-P', env.lxcpath, '-n', name, ...args], { encoding: 'utf8', timeout: 60_000 });
const initPid = (name: string) => Number(lxc('lxc-info', name, '-pH').trim());
const rootfs = (name: string) => join(env.lxcpath, name, 'rootfs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The processes whose parent is `ppid`, with their argv. */
function childrenOf(ppid: number): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== ppid) continue;
      out.push({ pid: Number(d), argv: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The getty processes init runs now (their PIDs). */
const gettys = (name: string) => childrenOf(initPid(name)).filter((p) => /getty$/.test(p.argv[0] ?? '')).map((p) => p.pid);

/**
 * Runs lxc-console `argv` on a pty, types `input` (after the first output or 1 s), collects what
 * it prints until `until` matches or `ms` pass, then leaves with Ctrl+a q.
 */
async function consoleText(argv: string[], input: string[], until: RegExp, ms = 15_000): Promise<string> {
  const p = await spawnPty(argv, { cols: 100, rows: 30, env: { ...process.env, TERM: 'vt100' } });
  let text = '';
  p.onData((d) => (text += d));
  try {
    await sleep(1000);
    for (const s of input) {
      p.write(s);
      await sleep(300);
    }
    const t0 = Date.now();
    while (!until.test(text) && Date.now() - t0 < ms) await sleep(100);
    return text;
  } finally {
    p.write('\x01q');
    await Promise.race([p.exited, sleep(3000)]);
    await p.end(1000);
  }
}

describe.runIf(RUN_LXC)('integration: busybox init never jams on a tty nobody reads', () => {
  requireLxc();
  afterAll(() => env.cleanup());
  const engine = localEngine({ lxcpath: env.lxcpath });
  const name = `bbi-${id}`;
  const old = `bbo-${id}`;

  it('every program the template\'s inittab and rcS run is in its rootfs, at the path busybox links it to', async () => {
    await createNetlessContainer(env.lxcpath, name);
    expect(inittabProblems(rootfs(name), 1)).toEqual([]);
    const inittab = readFileSync(join(rootfs(name), 'etc/inittab'), 'utf8');
    expect(inittab).toMatch(/^tty1::respawn:\/\S*getty /m);
    const rcs = readFileSync(join(rootfs(name), 'etc/init.d/rcS'), 'utf8');
    const programs = [rcs.split('\n')[0].slice(2), ...rcs.split('\n').slice(1).filter((l) => l.startsWith('/')).map((l) => l.split(' ')[0])];
    expect(programs.length).toBeGreaterThanOrEqual(4);
    for (const p of programs) expect(resolveInRootfs(rootfs(name), p), p).not.toBeNull();
  });

  it('started, init runs the tty1 getty once and it stays: no respawn, init waits (not in D state)', async () => {
    await engine.start(name);
    await sleep(1000);
    const first = gettys(name);
    expect(first).toHaveLength(1);
    await sleep(3000);
    expect(gettys(name)).toEqual(first);
    const stat = readFileSync(`/proc/${initPid(name)}/stat`, 'utf8');
    expect(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)).toBe('S');
  });

  it('lxc-console -t 1 finds a login prompt on tty1 and nothing piled up before it', async () => {
    const text = await consoleText(['lxc-console', '-P', env.lxcpath, '-n', name, '-t', '1'], [], /login: /);
    expect(text).toContain(`${name} login: `);
    expect(text).not.toMatch(/can't run/);
    expect(text.match(/login: /g)).toHaveLength(1);
    // leaving the console left the getty where it was
    expect(gettys(name)).toHaveLength(1);
  });

  it('`o` (lxc-console -t 0, the console) gets a shell after Enter', async () => {
    const text = await consoleText(consoleArgv(env.lxcpath, name), ['\r', 'echo bb-$((6*7))\r'], /bb-42/);
    expect(text).toMatch(/bb-42/);
  });

  it('init halts on lxc.signal.halt: lxc-stop --nokill (no kill after the timeout) succeeds', () => {
    lxc('lxc-stop', name, '-t', '20', '--nokill');
    expect(lxc('lxc-info', name, '-sH').trim()).toBe('STOPPED');
  });

  it('the old inittab line (/bin/getty) re-runs init every second and piles can\'t-run lines on tty1: what the checks above catch', async () => {
    await createNetlessContainer(env.lxcpath, old);
    const tab = join(rootfs(old), 'etc/inittab');
    writeFileSync(tab, readFileSync(tab, 'utf8').replace(/^tty1::respawn:\S+/m, 'tty1::respawn:/bin/getty'));
    expect(inittabProblems(rootfs(old), 1).map((p) => p.kind)).toEqual(['missing']);
    lxc('lxc-start', old, '-d');
    lxc('lxc-wait', old, '-s', 'RUNNING', '-t', '20');
    await sleep(3500);
    expect(gettys(old)).toEqual([]); // none ever stays: each exec fails
    const text = await consoleText(['lxc-console', '-P', env.lxcpath, '-n', old, '-t', '1'], [], /(can't run[^]*){3}/, 5000);
    expect((text.match(/can't run '\/bin\/getty'/g) ?? []).length).toBeGreaterThanOrEqual(3);
    lxc('lxc-stop', old, '-k');
  });

  it('lxdeck start puts the old line right (the same-named program in /sbin, a comment saying why), then it behaves', async () => {
    await engine.start(old);
    const tab = readFileSync(join(rootfs(old), 'etc/inittab'), 'utf8');
    expect(tab).toMatch(/^tty1::respawn:\/sbin\/getty -L tty1 115200 vt100$/m);
    expect(tab).toMatch(/^# lxdeck: \/bin\/getty is not in this rootfs.*now \/sbin\/getty$/m);
    expect(inittabProblems(rootfs(old), 1)).toEqual([]);
    await sleep(1500);
    const first = gettys(old);
    expect(first).toHaveLength(1);
    await sleep(2000);
    expect(gettys(old)).toEqual(first);
    // a second start changes nothing more
    await engine.stop(old, { kill: true });
    await engine.start(old);
    expect(readFileSync(join(rootfs(old), 'etc/inittab'), 'utf8')).toBe(tab);
    lxc('lxc-stop', old, '-t', '20', '--nokill');
  });
});
