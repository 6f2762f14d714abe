import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine.js';
import { controllerDriver, detectCgroupLayout } from '../../core/cgroup/layout.js';
import { HostFs } from '../../core/host/host-fs.js';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxdk${id}`;
const bridge2 = `lxdj${id}`;
const env = tempLxcpath([bridge, bridge2]);
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge };
const DIST = join(import.meta.dirname, '../../dist');

function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(join(rel, e.name));
      if (e.isDirectory()) walk(join(d, e.name), join(rel, e.name));
    }
  };
  walk(dir, '');
  return out.sort();
}
function stagingIn(lxcpath: string): string[] {
  const d = join(lxcpath, '.lxdeck');
  return existsSync(d) ? readdirSync(d).filter((f) => f.startsWith('staging')) : [];
}
function state(lxcpath: string, n: string): string {
  return execFileSync('lxc-info', ['-P', lxcpath, '-n', n, '-sH'], { encoding: 'utf8' }).trim();
}

/** A child node process that creates `name` through the built engine with a template that builds busybox, prints MID, then runs a long `sleep`. */
function slowCreate(lxcpath: string, br: string, name: string, sleepArg: string) {
  const script = `
    const D = process.env.T_DIST;
    const { localEngine } = await import(D + '/src/local-engine.js');
    const { abortOnSignals } = await import(D + '/core/rootfs/create.js');
    const { TEMPLATES } = await import(D + '/templates/index.js');
    const slow = {
      manifest: { name: 'slow', description: 'busybox, then a long step', offline: true, options: [] },
      async build(ctx) {
        const r = await TEMPLATES.busybox.build(ctx);
        process.stdout.write('MID\\n');
        await ctx.runner.run('sleep', [process.env.T_SLEEP], { signal: ctx.signal, timeoutMs: 900000 });
        return r;
      },
    };
    const e = localEngine({ lxcpath: process.env.T_LXCPATH, bridge: process.env.T_BRIDGE }, { slow });
    const sig = abortOnSignals();
    try {
      await e.create(process.env.T_NAME, { template: 'slow', signal: sig.signal });
      process.stdout.write('DONE\\n');
      process.exitCode = 0;
    } catch (err) {
      process.stdout.write('ERR ' + err.code + '\\n');
      process.exitCode = 1;
    } finally {
      sig.dispose();
    }
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, T_DIST: DIST, T_LXCPATH: lxcpath, T_BRIDGE: br, T_NAME: name, T_SLEEP: sleepArg },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const mid = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stdout.includes('MID')) resolve();
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', () => reject(new Error(`child exited before MID: ${stdout} ${stderr}`)));
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, mid, exit, out: () => stdout, err: () => stderr };
}

/** PIDs of processes whose argv is exactly `sleep ARG`. */
function sleepPids(arg: string): number[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === 'sleep' && f[2] === arg && f.length === 3)
    .map((f) => Number(f[0]));
}

describe.runIf(RUN_LXC)('integration: lxdeck create from the command line, cancel and kill', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
    expect(linkExists(bridge)).toBe(false);
  });

  it('dist is built (npm test builds it first)', () => {
    expect(existsSync(CLI)).toBe(true);
    expect(existsSync(join(DIST, 'core/rootfs/create.js'))).toBe(true);
  });

  it('templates --json lists each template with its options', () => {
    const r = runCli(['templates', '--json'], cliEnv);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; description: string; options: { name: string; type: string }[] }[];
    const bb = list.find((t) => t.name === 'busybox');
    expect(bb?.description).toMatch(/busybox/);
    expect(Array.isArray(bb?.options)).toBe(true);
    const text = runCli(['templates'], cliEnv);
    expect(text.stdout).toMatch(/^busybox: /m);
    // oci:DIR and docker-archive:FILE are offline: only docker:// needs the network
    expect(text.stdout).toMatch(/^oci \(network for docker:\/\/ only\): /m);
    expect(list.find((t) => t.name === 'oci')).toMatchObject({ offline: false, network: 'network for docker:// only' });
  });

  it('autostart reads a last word that is not on or off as a mistyped setting, not as a second name', () => {
    const r = runCli(['autostart', `web-${id}`, 'maybe'], cliEnv);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"maybe" is not on or off');
    // the suggested command names the lxcpath in use (LXDECK_LXCPATH here), so it acts where this one did
    expect(r.stderr).toContain(`hint: lxdeck --lxcpath ${env.lxcpath} autostart web-${id} on|off`);
  });

  it('N2: a 16-byte --veth-pair is refused naming the 15-byte limit, and nothing is written', () => {
    const before = listing(env.lxcpath);
    const r = runCli(['create', `v16-${id}`, '--veth-pair', 'abcdefghijklmnop'], cliEnv);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/16 bytes/);
    expect(r.stderr).toMatch(/at most 15 bytes/);
    expect(r.stderr).toMatch(/IFNAMSIZ/);
    expect(listing(env.lxcpath)).toEqual(before);
  });

  it('U1: sizes that are not in the grammar are refused with the grammar, before anything is written', () => {
    const before = listing(env.lxcpath);
    for (const bad of ['12x', '1Gb', '-5M']) {
      const r = runCli(['create', `u1-${id}`, '--memory', bad], cliEnv);
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`invalid size "${bad}"`));
      expect(r.stderr).toMatch(/hint: accepted: .*KiB\.\.PiB.*-1 or max/); // the accepted grammar in the hint
    }
    const help = runCli(['create', '--help'], cliEnv);
    expect(help.stdout).toMatch(/SIZE: .*powers of 1024.*powers of 1000/s);
    // other checks that come before any write: an unknown template option, conflicting flags, a bad MAC
    expect(runCli(['create', `u1-${id}`, '--option', 'nope=1'], cliEnv).stderr).toMatch(/has no option "nope"/);
    expect(runCli(['create', `u1-${id}`, '--dhcp', '--ipv4', '10.9.9.9/24'], cliEnv).stderr).toMatch(/exclude each other/);
    expect(runCli(['create', `u1-${id}`, '--hwaddr', '01:00:5e:00:00:01'], cliEnv).stderr).toMatch(/multicast/);
    expect(listing(env.lxcpath)).toEqual(before);
  });

  it('--memory/--swap/--cpus/--cpu-weight land in the config under this host\'s keys and in the running cgroup; --start starts it', () => {
    const n = `mem-${id}`;
    const r = runCli(['create', n, '--memory', '512M', '--swap', '256MiB', '--cpus', '0.5', '--cpu-weight', '200', '--start'], cliEnv);
    // nothing but, when this create is the first on the test's own bridge, the note that it made it
    expect(r.stderr).toMatch(new RegExp(`^(lxdeck: warning: made the host bridge ${bridge} \\(.*\\n)?$`));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`created ${n} \\(10\\.[0-9.]+/\\d+ on ${bridge}, unprivileged\\), RUNNING`));
    expect(state(env.lxcpath, n)).toBe('RUNNING');
    const cfg = readFileSync(join(env.lxcpath, n, 'config'), 'utf8');
    const layout = detectCgroupLayout(new HostFs('/'));
    const memDriver = controllerDriver('memory', layout);
    const pid = Number(execFileSync('lxc-info', ['-P', env.lxcpath, '-n', n, '-pH'], { encoding: 'utf8' }).trim());
    const procCg = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    if (memDriver === 'v1') {
      expect(cfg).toMatch(/^lxc\.cgroup\.memory\.limit_in_bytes = 536870912$/m);
      expect(cfg).toMatch(/^lxc\.cgroup\.memory\.memsw\.limit_in_bytes = 805306368$/m);
      expect(cfg).not.toMatch(/^lxc\.cgroup2\.memory/m);
      const rel = procCg.find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l))!.split(':')[2];
      expect(readFileSync(join(layout.v1.memory, rel, 'memory.limit_in_bytes'), 'utf8').trim()).toBe('536870912');
    } else {
      expect(cfg).toMatch(/^lxc\.cgroup2\.memory\.max = 536870912$/m);
      expect(cfg).toMatch(/^lxc\.cgroup2\.memory\.swap\.max = 268435456$/m);
      const rel = procCg.find((l) => l.startsWith('0::'))!.slice(3);
      expect(readFileSync(join(layout.v2Mount!, rel, 'memory.max'), 'utf8').trim()).toBe('536870912');
    }
    if (controllerDriver('cpu', layout) === 'v1') {
      expect(cfg).toMatch(/^lxc\.cgroup\.cpu\.shares = 2048$/m);
      expect(cfg).toMatch(/^lxc\.cgroup\.cpu\.cfs_quota_us = 50000$/m);
    } else {
      expect(cfg).toMatch(/^lxc\.cgroup2\.cpu\.weight = 200$/m);
      expect(cfg).toMatch(/^lxc\.cgroup2\.cpu\.max = 50000 100000$/m);
    }
    execFileSync('lxc-stop', ['-P', env.lxcpath, '-n', n, '-k'], { timeout: 30_000 });
  });

  it('a global --bridge before the verb and --bridge after it both name lxc.net.0.link', () => {
    const n = `br-${id}`;
    const r = runCli(['create', n, '--bridge', bridge2], cliEnv);
    expect(r.status).toBe(0);
    expect(readFileSync(join(env.lxcpath, n, 'config'), 'utf8')).toMatch(new RegExp(`^lxc\\.net\\.0\\.link = ${bridge2}$`, 'm'));
    expect(linkExists(bridge2)).toBe(true);
    const n2 = `br2-${id}`;
    expect(runCli(['--bridge', bridge2, 'create', n2], cliEnv).status).toBe(0);
    expect(readFileSync(join(env.lxcpath, n2, 'config'), 'utf8')).toMatch(new RegExp(`^lxc\\.net\\.0\\.link = ${bridge2}$`, 'm'));
  });

  it('a create killed with SIGTERM mid-template removes all it made: the lxcpath it made, the bridge it made, the template\'s child', async () => {
    const fresh = join(env.lxcpath, 'fresh');
    const br = `lxdt${id}`;
    const sleepArg = `${600 + Math.floor(Math.random() * 300)}.${id.length}${Date.now() % 1000}`;
    expect(existsSync(fresh)).toBe(false);
    const c = slowCreate(fresh, br, `term-${id}`, sleepArg);
    try {
      await c.mid;
      expect(stagingIn(fresh).length).toBe(1); // mid-template: the staging dir is there
      expect(linkExists(br)).toBe(true);
      expect(sleepPids(sleepArg).length).toBe(1);
      c.child.kill('SIGTERM');
      const ex = await c.exit;
      expect(c.out()).toMatch(/ERR E_CANCELLED/);
      expect(ex.code).toBe(1);
      expect(existsSync(fresh)).toBe(false); // the lxcpath is as it was: absent
      expect(linkExists(br)).toBe(false);
      expect(sleepPids(sleepArg)).toEqual([]);
    } finally {
      if (c.child.exitCode === null) c.child.kill('SIGKILL');
      for (const p of sleepPids(sleepArg)) process.kill(p, 'SIGKILL');
      try {
        execFileSync('ip', ['link', 'delete', 'dev', br], { stdio: 'ignore' });
      } catch {
        /* removed by the create, as it should be */
      }
    }
  });

  it('a create killed with SIGKILL leaves no container, and the next create sweeps its staging dir', async () => {
    const sleepArg = `${600 + Math.floor(Math.random() * 300)}.${Date.now() % 1000}9`;
    const name = `kill-${id}`;
    const c = slowCreate(env.lxcpath, bridge, name, sleepArg);
    try {
      await c.mid;
      expect(stagingIn(env.lxcpath).length).toBe(1);
      c.child.kill('SIGKILL');
      const ex = await c.exit;
      expect(ex.signal).toBe('SIGKILL');
    } finally {
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      // the template's child was in its own process group and outlived lxdeck: end it (by pid)
      for (const p of sleepPids(sleepArg)) process.kill(p, 'SIGKILL');
    }
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
    expect(stagingIn(env.lxcpath).length).toBe(1); // left by the killed create...
    const lines: string[] = [];
    await localEngine({ lxcpath: env.lxcpath, bridge }).create(`after-${id}`, { onProgress: (e) => e.line && lines.push(e.line) });
    expect(stagingIn(env.lxcpath)).toEqual([]); // ...swept by the next one
    expect(lines.some((l) => /left by a create that did not finish/.test(l))).toBe(true);
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
    const ls = execFileSync('lxc-ls', ['-P', env.lxcpath, '-1'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(ls).not.toContain(name);
    expect(ls).toContain(`after-${id}`);
  });
});
