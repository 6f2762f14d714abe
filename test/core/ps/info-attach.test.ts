import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingRunner } from '../../../core/exec/runner.js';
import { HostFs } from '../../../core/host/host-fs.js';
import { detectCgroupLayout } from '../../../core/cgroup/layout.js';
import { LxcConfig } from '../../../core/lxc/config.js';
import { attachArgv, consoleArgv, findShell, INTERACTIVE_TIMEOUT_MS, shellProbeArgv } from '../../../core/lxc/attach.js';
import { ignoredKeysOf } from '../../../core/ps/inspect.js';
import { localEngine } from '../../../src/local-engine.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/host');
const tmp = mkdtempSync(join(tmpdir(), 'lxdeck-info-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('console and attach argv', () => {
  it('console is lxc-console on tty 0 with -P', () => {
    expect(consoleArgv('/srv/lxc', 'web1')).toEqual(['lxc-console', '-P', '/srv/lxc', '-n', 'web1', '-t', '0']);
  });
  it('attach clears the environment but TERM and puts the command after --', () => {
    expect(attachArgv('/srv/lxc', 'web1', ['sh', '-c', 'echo hi'])).toEqual(['lxc-attach', '-P', '/srv/lxc', '-n', 'web1', '--clear-env', '--keep-var', 'TERM', '--', 'sh', '-c', 'echo hi']);
    expect(() => attachArgv('/srv/lxc', 'web1', [])).toThrow();
  });
  it('the shell is the bash the probe inside reports, else /bin/sh', async () => {
    const withBash = new RecordingRunner(() => ({ exitCode: 0, stdout: '/usr/bin/bash\n' }));
    expect(await findShell(withBash, '/srv/lxc', 'web1')).toBe('/usr/bin/bash');
    expect(withBash.calls[0].file).toBe('lxc-attach');
    expect(withBash.calls[0].args).toEqual(shellProbeArgv('/srv/lxc', 'web1').slice(1));
    expect(withBash.calls[0].args.slice(0, 4)).toEqual(['-P', '/srv/lxc', '-n', 'web1']);
    expect(withBash.calls[0].opts.timeoutMs).toBeGreaterThan(0);
    expect(await findShell(new RecordingRunner(() => ({ exitCode: 1, stdout: '' })), '/srv/lxc', 'web1')).toBe('/bin/sh');
    // a probe printing something else is not trusted as a path
    expect(await findShell(new RecordingRunner(() => ({ exitCode: 0, stdout: '/tmp/evil\n' })), '/srv/lxc', 'web1')).toBe('/bin/sh');
  });
  it('the engine runs attach on the real terminal with no effective timeout and passes the exit status through', async () => {
    const lxcpath = join(tmp, 'lxc-attach');
    mkdirSync(join(lxcpath, 'web1'), { recursive: true });
    writeFileSync(join(lxcpath, 'web1', 'config'), 'lxc.uts.name = web1\n');
    const runner = new RecordingRunner((file) => (file === 'lxc-info' ? { stdout: 'State: RUNNING\nPID: 4242\n' } : file === 'lxc-attach' ? { exitCode: 3 } : undefined));
    const e = localEngine({ lxcpath, runner });
    let told = 0;
    const r = await e.attach('web1', ['sh', '-c', 'exit 3'], { beforeHandover: () => told++ });
    expect(r).toEqual({ argv: attachArgv(lxcpath, 'web1', ['sh', '-c', 'exit 3']), exitCode: 3 });
    expect(told).toBe(1);
    const call = runner.calls.find((c) => c.file === 'lxc-attach')!;
    expect(call.opts.output).toBe('inherit');
    expect(call.opts.timeoutMs).toBe(INTERACTIVE_TIMEOUT_MS);
  });
  it('attach and console refuse a stopped container with E_STATE and a hint, before handing anything over', async () => {
    const lxcpath = join(tmp, 'lxc-stopped');
    mkdirSync(join(lxcpath, 'web1'), { recursive: true });
    writeFileSync(join(lxcpath, 'web1', 'config'), 'lxc.uts.name = web1\n');
    const runner = new RecordingRunner((file) => (file === 'lxc-info' ? { stdout: 'State: STOPPED\n' } : undefined));
    const e = localEngine({ lxcpath, runner });
    let told = 0;
    await expect(e.attach('web1', undefined, { beforeHandover: () => told++ })).rejects.toMatchObject({ code: 'E_STATE', hint: expect.stringContaining('lxdeck start web1') });
    await expect(e.console('web1', { beforeHandover: () => told++ })).rejects.toMatchObject({ code: 'E_STATE' });
    expect(told).toBe(0);
    expect(runner.calls.filter((c) => c.file !== 'lxc-info')).toEqual([]);
  });
});

describe('C3: config keys the host ignores, in info', () => {
  it('C3: lxc.cgroup.memory.limit_in_bytes = 2048M on a host whose memory controller is v2 is flagged with lxc.cgroup2.memory.max', async () => {
    const lxcpath = join(tmp, 'lxc-c3');
    mkdirSync(join(lxcpath, 'old1'), { recursive: true });
    writeFileSync(join(lxcpath, 'old1', 'config'), 'lxc.uts.name = old1\nlxc.rootfs.path = dir:/nowhere\nlxc.cgroup.memory.limit_in_bytes = 2048M\nlxc.cgroup2.pids.max = 100\nlxc.cgroup.dir = custom\n');
    const runner = new RecordingRunner((file) => (file === 'lxc-info' ? { stdout: 'State: STOPPED\n' } : undefined));
    const e = localEngine({ lxcpath, runner, hostFs: new HostFs(join(FIXTURES, 'v2')) });
    const info = await e.info('old1');
    expect(info.ignoredKeys).toEqual([
      {
        key: 'lxc.cgroup.memory.limit_in_bytes',
        value: '2048M',
        reason: expect.stringContaining('only cgroup v2'),
        replacement: 'lxc.cgroup2.memory.max',
        replacementLine: 'lxc.cgroup2.memory.max = 2147483648',
      },
    ]);
    expect(info.limits?.layout).toBe('v2');
    expect(info.limits?.applied).toBeNull();
    expect(info.unprivileged).toBe(false);
    expect(info.cgroupPaths).toBeNull();
    expect(info.rootfsDir).toBe('/nowhere');
  });
  it('C3: the same key on the hybrid layout (memory on v1) is not flagged; a v2 key for a v1-bound controller is', () => {
    const hybrid = detectCgroupLayout(new HostFs(join(FIXTURES, 'hybrid')));
    const cfg = LxcConfig.parse('lxc.cgroup.memory.limit_in_bytes = 2048M\n');
    expect(ignoredKeysOf(cfg, hybrid)).toEqual([]);
    const v2key = ignoredKeysOf(LxcConfig.parse('lxc.cgroup2.memory.max = 1G\n'), hybrid);
    expect(v2key).toHaveLength(1);
    expect(v2key[0]).toMatchObject({ key: 'lxc.cgroup2.memory.max', replacement: 'lxc.cgroup.memory.limit_in_bytes' });
    const v2 = detectCgroupLayout(new HostFs(join(FIXTURES, 'v2')));
    expect(ignoredKeysOf(LxcConfig.parse('lxc.cgroup2.memory.max = 1G\nlxc.idmap = u 0 100000 65536\n'), v2)).toEqual([]);
  });
});
