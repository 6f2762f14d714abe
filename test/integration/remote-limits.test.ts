/**
 * Limits on a remote LXC host over SSH, for real (issue 10): the second "host" of
 * test/helpers/remote-host.mjs (a network namespace and a mount namespace of its own, its own
 * sshd, an lxcpath the real host never sees). `lxdeck limits REMOTE:CT ...` sets memory, CPU and
 * pids limits live and in the config there; the values are checked on the remote host's side
 * (nsenter into its namespaces: its cgroup files, its config), read back with `lxdeck limits`
 * (text and --json), and compared with the same verb on a local container: an invalid value and
 * the kernel's refusal give the same error, the result has the same shape. A stopped container's
 * limits are saved only, and its next start applies them. The all-hosts backend routes limits
 * and setLimits to the row's host.
 *
 * Uses the built CLI (dist/src/cli.js). Needs root, LXC, busybox-static, openssh-server.
 * Under CI=true it fails (never skips) when one is missing.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetlessContainer, lxcAvailable, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { runCli } from '../helpers/cli.js';
import { makeRemoteHost, remoteHostMissing, type RemoteHost } from '../helpers/remote-host.mjs';
import { HostFs } from '../../core/host/host-fs.js';
import { controllerDriver, detectCgroupLayout } from '../../core/cgroup/layout.js';
import { cgroupPathsFromEntries, parseProcCgroup } from '../../core/cgroup/paths.js';
import { RemoteLxcBackend } from '../../core/remote/backend.js';
import { AllHostsBackend } from '../../core/hosts/all-backend.js';
import { localEngine } from '../../src/local-engine.js';
import { isLxdeckError } from '../../core/errors.js';

function missing(): string | null {
  const a = lxcAvailable();
  if (!a.ok) return a.reason;
  return remoteHostMissing();
}
const why = missing();
// a skipped test is never counted as passing under CI: there it fails instead (as requireLxc)
const RUN = why === null || process.env.CI === 'true';

const M = 1024 ** 2;
const id = uniq(3);
const REMOTE = `lim-${id}`;
const CT = `rl-${id}`;
const LCT = `ll-${id}`;

// the remote shares this kernel: its cgroup layout is this host's
const layout = detectCgroupLayout(new HostFs('/'));
const v2 = (c: string) => controllerDriver(c, layout) === 'v2';
const memFile = v2('memory') ? 'memory.max' : 'memory.limit_in_bytes';
const memKey = `${v2('memory') ? 'lxc.cgroup2' : 'lxc.cgroup'}.${memFile}`;
const otherMemKey = v2('memory') ? 'lxc.cgroup.memory.limit_in_bytes' : 'lxc.cgroup2.memory.max';

let host: RemoteHost | undefined;
let env: Record<string, string | undefined> = {};
let localEnv: Record<string, string | undefined> = {};
const local = tempLxcpath();

/** A command run on the remote host's side: in its mount and network namespaces. */
function onRemote(args: string[]): string {
  return execFileSync('nsenter', ['-t', String(host!.holderPid), '-m', '-n', ...args], { encoding: 'utf8', timeout: 60_000 });
}
/** The config of CT as the remote host has it. */
const remoteConfig = () => onRemote(['cat', join(host!.lxcpath, CT, 'config')]);
/** One cgroup file of CT, read on the remote host's side from the cgroup its init is in. */
function remoteCgroup(controller: string, file: string): string {
  const pid = onRemote(['lxc-info', '-P', host!.lxcpath, '-n', CT, '-pH']).trim();
  const paths = cgroupPathsFromEntries(parseProcCgroup(onRemote(['cat', `/proc/${pid}/cgroup`])), layout, { name: CT });
  const dir = v2(controller) ? paths.v2 : paths.v1[controller];
  return onRemote(['cat', join(dir!, file)]).trim();
}
/** stderr with the container and host names made the same for both sides. */
const same = (s: string, name: string) => s.split(name).join('CT');

describe.skipIf(!RUN)('limits on a remote LXC host over SSH', () => {
  beforeAll(async () => {
    if (why !== null) throw new Error(`this test needs: ${why}`);
    host = await makeRemoteHost({ id });
    env = host.env;
    localEnv = { ...host.env, LXDECK_LXCPATH: local.lxcpath };
    writeFileSync(join(host.dir, 'known_hosts'), host.knownHostsLine);
    const add = runCli(['remote', 'add', REMOTE, host.url, '--lxcpath', host.lxcpath, '--identity', host.identity], env);
    expect(add.status, add.stderr).toBe(0);
    const c = runCli(['create', `${REMOTE}:${CT}`, '--privileged'], env);
    expect(c.status, c.stderr).toBe(0);
    // the other cgroup version's key for the memory limit, which setting it removes (C3)
    onRemote(['sh', '-c', `echo '${otherMemKey} = 2048M' >> "$1"`, 'sh', join(host.lxcpath, CT, 'config')]);
    const s = runCli(['start', `${REMOTE}:${CT}`], env);
    expect(s.status, s.stderr).toBe(0);
    // a local container for the same verbs on this host
    await createNetlessContainer(local.lxcpath, LCT, [`${otherMemKey} = 2048M`]);
    const ls = runCli(['start', LCT], localEnv);
    expect(ls.status, ls.stderr).toBe(0);
  }, 180_000);

  afterAll(() => {
    host?.cleanup();
    local.cleanup();
  });

  it('memory, CPUs and pids set with NAME:container are in the cgroup files there at once and saved in that host\'s keys (the other key removed)', () => {
    const r = runCli(['limits', `${REMOTE}:${CT}`, '--memory', '64M', '--cpus', '0.5', '--pids', '50'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^set /sys/fs/cgroup/\\S*lxc\\.payload\\.${CT}/${memFile.replace('.', '\\.')} = ${64 * M}$`, 'm'));
    expect(r.stdout).toContain(`saved ${memKey} = ${64 * M}`);
    expect(r.stdout).toContain(`removed ${otherMemKey}`);
    // on the remote host's side
    expect(remoteCgroup('memory', memFile)).toBe(String(64 * M));
    expect(remoteCgroup('pids', 'pids.max')).toBe('50');
    if (v2('cpu')) expect(remoteCgroup('cpu', 'cpu.max')).toBe('50000 100000');
    else expect(remoteCgroup('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    const cfg = remoteConfig();
    expect(cfg).toContain(`${memKey} = ${64 * M}`);
    expect(cfg).toContain('pids.max = 50');
    expect(cfg).not.toContain(otherMemKey);
  });

  it('limits NAME:container reads them back, text and --json, in the shape of a local container\'s', () => {
    const j = runCli(['limits', `${REMOTE}:${CT}`, '--json'], env);
    expect(j.stderr).toBe('');
    expect(j.status).toBe(0);
    const l = JSON.parse(j.stdout);
    expect(l).toMatchObject({ name: CT, running: true, layout: layout.kind, applied: { memory: 64 * M, cpus: 0.5, pids: 50 }, ignored: [] });
    expect(l.saved).toContainEqual({ key: memKey, value: String(64 * M) });
    expect(l.saved.map((s: { key: string }) => s.key)).not.toContain(otherMemKey);
    // the same fields as locally, in effect too (the local container runs as well)
    const lr = runCli(['limits', LCT, '--json'], localEnv);
    expect(lr.status, lr.stderr).toBe(0);
    const ll = JSON.parse(lr.stdout);
    expect(Object.keys(l).sort()).toEqual(Object.keys(ll).sort());
    expect(Object.keys(l.applied).sort()).toEqual(Object.keys(ll.applied).sort());
    const t = runCli(['limits', `${REMOTE}:${CT}`], env);
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`^${CT}: running, cgroup ${layout.kind}\\nin effect:\\n`));
    expect(t.stdout).toMatch(/^ {2}memory\s+64 MiB$/m);
    expect(t.stdout).toMatch(/^ {2}pids\s+50$/m);
    expect(t.stdout).toContain(`saved in the config:\n`);
    expect(t.stdout).toContain(`  ${memKey} = ${64 * M}`);
    expect(t.stdout).not.toContain('warning:');
  });

  it('cgroup NAME:container reads and writes one file there as lxc-cgroup does, live only, with the local checks and errors', () => {
    const g = runCli(['cgroup', `${REMOTE}:${CT}`, memFile], env);
    expect(g.stderr).toBe('');
    expect(g.status).toBe(0);
    expect(g.stdout).toBe(`${64 * M}\n`);
    // the other cgroup version's file: refused as locally, the hint naming this host's file
    const other = v2('memory') ? 'memory.limit_in_bytes' : 'memory.max';
    const lo = runCli(['cgroup', LCT, other], localEnv);
    const ro = runCli(['cgroup', `${REMOTE}:${CT}`, other], env);
    expect(lo.status, lo.stderr).not.toBe(0);
    expect(ro.status).toBe(lo.status);
    expect(ro.stderr).toBe(lo.stderr);
    const before = remoteConfig();
    const s = runCli(['cgroup', `${REMOTE}:${CT}`, 'pids.max', '77'], env);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(remoteCgroup('pids', 'pids.max')).toBe('77');
    expect(remoteConfig()).toBe(before);
    // the kernel refuses a value: by its errno, as locally
    const lb = runCli(['cgroup', LCT, 'pids.max', 'lots'], localEnv);
    const rb = runCli(['cgroup', `${REMOTE}:${CT}`, 'pids.max', 'lots'], env);
    expect(rb.stderr).toMatch(/the kernel refused writing "lots" to \S+\/pids\.max: invalid argument \(EINVAL\)/);
    expect(rb.status).toBe(lb.status);
    expect(same(rb.stderr, CT)).toBe(same(lb.stderr, LCT));
    expect(remoteCgroup('pids', 'pids.max')).toBe('77');
  });

  it('an invalid value is refused with the same error and exit status as locally, and nothing changes there', () => {
    const before = remoteConfig();
    for (const args of [['--memory', '100K'], ['--cpu-weight', '0'], ['--cpus', 'lots'], ['--pids', '-3'], ['--io-read', 'sda=1M']]) {
      const lr = runCli(['limits', LCT, ...args], localEnv);
      const rr = runCli(['limits', `${REMOTE}:${CT}`, ...args], env);
      expect(lr.status, `${args.join(' ')}: ${lr.stderr}`).not.toBe(0);
      expect(rr.status, args.join(' ')).toBe(lr.status);
      expect(same(rr.stderr, CT), args.join(' ')).toBe(same(lr.stderr, LCT));
      expect(rr.stdout).toBe('');
    }
    expect(remoteConfig()).toBe(before);
    expect(remoteCgroup('memory', memFile)).toBe(String(64 * M));
    // no such container there: not found, as locally
    const ln = runCli(['limits', `no${LCT}`, '--memory', '64M'], localEnv);
    const rn = runCli(['limits', `${REMOTE}:no${CT}`, '--memory', '64M'], env);
    expect(rn.status).toBe(ln.status);
    expect(rn.stderr).toMatch(new RegExp(`no container (named )?no${CT} in ${host!.lxcpath}`));
  });

  it("the kernel's refusal comes back by its errno as locally (ENODEV for no such block device), and nothing is saved", () => {
    const before = remoteConfig();
    const lr = runCli(['limits', LCT, '--io-read', '250:999=1M'], localEnv);
    const rr = runCli(['limits', `${REMOTE}:${CT}`, '--io-read', '250:999=1M'], env);
    expect(rr.stderr).toMatch(/the kernel refused writing "250:999 1048576" to \S+: no such device \(ENODEV\)/);
    expect(rr.status).toBe(lr.status);
    expect(same(rr.stderr, CT)).toBe(same(lr.stderr, LCT));
    expect(remoteConfig()).toBe(before);
  });

  it('the all-hosts backend routes limits and setLimits to the row\'s host (a remote row: HOST:NAME)', async () => {
    const remote = new RemoteLxcBackend({ name: REMOTE, host: host!.addr, port: host!.port, user: 'root', identity: host!.identity, knownHosts: join(host!.dir, 'known_hosts'), lxcpath: host!.lxcpath });
    const all = new AllHostsBackend([
      { name: 'local', backend: localEngine({ lxcpath: local.lxcpath }) },
      { name: REMOTE, backend: remote },
    ]);
    try {
      expect(typeof all.limits).toBe('function');
      expect(typeof all.setLimits).toBe('function');
      const r = await all.setLimits!(`${REMOTE}:${CT}`, { pids: '60' });
      expect(r.live).toBe(true);
      expect(r.saved).toEqual([{ key: `${v2('pids') ? 'lxc.cgroup2' : 'lxc.cgroup'}.pids.max`, value: '60' }]);
      expect(remoteCgroup('pids', 'pids.max')).toBe('60');
      const l = await all.limits!(`${REMOTE}:${CT}`);
      expect(l).toMatchObject({ name: `${REMOTE}:${CT}`, running: true, applied: { pids: 60, memory: 64 * M } });
      // a local row goes to this host
      expect((await all.limits!(LCT)).name).toBe(LCT);
      // the remote's own checks: no limit given
      let e: unknown;
      try {
        await all.setLimits!(`${REMOTE}:${CT}`, {});
      } catch (x) {
        e = x;
      }
      expect(isLxdeckError(e, 'E_USAGE')).toBe(true);
    } finally {
      all.close();
    }
  });

  it('a stopped remote container: limits are saved only, and its next start applies them', () => {
    expect(runCli(['stop', `${REMOTE}:${CT}`, '--timeout', '0'], env).status).toBe(0);
    const r = runCli(['limits', `${REMOTE}:${CT}`, '--memory', '96M'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${CT} is not running: saved for its next start\nsaved ${memKey} = ${96 * M}\n`);
    const j = JSON.parse(runCli(['limits', `${REMOTE}:${CT}`, '--json'], env).stdout);
    expect(j).toMatchObject({ running: false, applied: null });
    expect(j.saved).toContainEqual({ key: memKey, value: String(96 * M) });
    expect(remoteConfig()).toContain(`${memKey} = ${96 * M}`);
    const cg = runCli(['cgroup', `${REMOTE}:${CT}`, 'pids.max'], env);
    expect(cg.status).not.toBe(0);
    expect(cg.stderr).toContain(`${CT} is not running`);
    expect(runCli(['start', `${REMOTE}:${CT}`], env).status).toBe(0);
    expect(remoteCgroup('memory', memFile)).toBe(String(96 * M));
    expect(remoteCgroup('pids', 'pids.max')).toBe('60');
  });
});
