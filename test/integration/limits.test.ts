/**
 * Limits through the engine on real LXC (root): a throwaway busybox
 * container (no network) in a temporary lxcpath. A limit set with
 * setLimits shows in the container's cgroup file at once and again after a
 * stop and start (saved in the config); C3, U2, and lxc-cgroup style keys.
 * Under CI=true it fails (never skips) when root or LXC is missing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../core/exec/runner.js';
import { isLxdeckError } from '../../core/errors.js';
import { HostFs } from '../../core/host/host-fs.js';
import { detectCgroupLayout, controllerDriver } from '../../core/cgroup/layout.js';
import { readCgroupPaths } from '../../core/cgroup/paths.js';
import { sampleCgroupDir } from '../../core/cgroup/limits.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';
import { runCli } from '../helpers/cli.js';

const M = 1024 ** 2;

describe.runIf(RUN_LXC)('integration: limits through the engine', () => {
  requireLxc();
  const runner = new ExecaRunner();
  const env = tempLxcpath();
  const name = `lim-${uniq(3)}`;
  const fs = new HostFs('/');
  const engine = localEngine({ lxcpath: env.lxcpath });
  const layout = detectCgroupLayout(fs);
  const memV2 = controllerDriver('memory', layout) === 'v2';
  const memFile = memV2 ? 'memory.max' : 'memory.limit_in_bytes';
  const memKey = `${memV2 ? 'lxc.cgroup2' : 'lxc.cgroup'}.${memFile}`;
  const otherMemKey = memV2 ? 'lxc.cgroup.memory.limit_in_bytes' : 'lxc.cgroup2.memory.max';
  const cfgPath = join(env.lxcpath, name, 'config');

  const lxc = async (tool: string, args: string[], output: 'pipe' | 'file' = 'pipe') => {
    const r = await runner.run(tool, ['-P', env.lxcpath, '-n', name, ...args], { output, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`);
    return r.stdout;
  };
  const start = async () => {
    await lxc('lxc-start', ['-d'], 'file');
    await lxc('lxc-wait', ['-s', 'RUNNING', '-t', '20']);
  };
  /** the container's cgroup file, read from the cgroup its init is in now */
  const cgFile = async (controller: string, file: string) => {
    const pid = Number((await lxc('lxc-info', ['-pH'])).trim());
    const paths = readCgroupPaths(fs, pid, layout, { name });
    const dir = controllerDriver(controller, layout) === 'v1' ? paths.v1[controller] : paths.v2;
    return readFileSync(join(dir!, file), 'utf8').trim();
  };

  beforeAll(async () => {
    await createNetlessContainer(env.lxcpath, name, [`${otherMemKey} = 2048M`]);
    await start();
  });

  afterAll(() => env.cleanup());

  it('U2: with no memory limit the limit in effect reads max, never a sentinel', async () => {
    const l = await engine.limits(name);
    expect(l.running).toBe(true);
    expect(l.applied!.memory).toBe('max');
    expect(JSON.stringify(l)).not.toContain('9223372036854771712');
    // C3: the other layout's key in the config is flagged
    expect(l.ignored.map((i) => i.key)).toContain(otherMemKey);
  });

  it('C3: a limit set through setLimits is in the cgroup file at once, saved in the host\'s key, the other key removed', async () => {
    const r = await engine.setLimits(name, { memory: '64M', pids: '50', cpus: '0.5', cpuWeight: '200' });
    expect(r.live).toBe(true);
    expect(await cgFile('memory', memFile)).toBe(String(64 * M));
    expect(await cgFile('pids', 'pids.max')).toBe('50');
    const cfg = readFileSync(cfgPath, 'utf8');
    expect(cfg).toContain(`${memKey} = ${64 * M}`);
    expect(cfg).not.toContain(otherMemKey);
    expect(r.removed).toContain(otherMemKey);
    const l = await engine.limits(name);
    expect(l.applied).toMatchObject({ memory: 64 * M, pids: 50, cpus: 0.5, cpuWeight: 200 });
    expect(l.ignored).toEqual([]);
  });

  it('the limits hold after a stop and a start (saved in the config)', async () => {
    await lxc('lxc-stop', ['-k']);
    await start();
    expect(await cgFile('memory', memFile)).toBe(String(64 * M));
    expect(await cgFile('pids', 'pids.max')).toBe('50');
    const l = await engine.limits(name);
    expect(l.applied).toMatchObject({ memory: 64 * M, pids: 50, cpus: 0.5, cpuWeight: 200 });
  });

  it('U4: a cpuset beyond the online CPUs is trimmed with a message', async () => {
    const r = await engine.setLimits(name, { cpuset: '0-63' });
    expect(r.messages.join(' ')).toMatch(/not online/);
    const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    expect(await cgFile('cpuset', 'cpuset.cpus')).toBe(online);
  });

  it('the kernel refusing a value is a named error and nothing is saved', async () => {
    const before = readFileSync(cfgPath, 'utf8');
    let e: unknown;
    try {
      await engine.setLimits(name, { ioRead: '250:999=1M' }); // no such block device: ENODEV
    } catch (x) {
      e = x;
    }
    expect(isLxdeckError(e, 'E_NOT_FOUND')).toBe(true);
    expect((e as Error).message).toMatch(/250:999.*ENODEV/);
    expect(readFileSync(cfgPath, 'utf8')).toBe(before);
  });

  it('cgroupGet/cgroupSet: a file of the other cgroup version is refused with this host\'s name in the hint', async () => {
    expect(await engine.cgroupGet(name, memFile)).toBe(String(64 * M));
    let e: (Error & { hint?: string }) | undefined;
    try {
      await engine.cgroupGet(name, memV2 ? 'memory.limit_in_bytes' : 'memory.max');
    } catch (x) {
      e = x as Error & { hint?: string };
    }
    expect(isLxdeckError(e, 'E_INVALID_VALUE')).toBe(true);
    expect(e!.hint).toBe(`use ${memV2 ? 'memory.max' : 'memory.limit_in_bytes'}`);
    await engine.cgroupSet(name, 'pids.max', '77');
    expect(await cgFile('pids', 'pids.max')).toBe('77');
  });

  it('a stopped container: setLimits only saves, and the next start applies it', async () => {
    await lxc('lxc-stop', ['-k']);
    const r = await engine.setLimits(name, { memory: '96M' });
    expect(r.live).toBe(false);
    expect(r.written).toEqual([]);
    expect((await engine.limits(name)).applied).toBeNull();
    await expect(engine.cgroupGet(name, 'pids.max')).rejects.toThrow(/not running/);
    await start();
    expect(await cgFile('memory', memFile)).toBe(String(96 * M));
  });

  // the trial: `limits web1 --io-weight 200` on a stopped container saved lxc.cgroup.blkio.weight on
  // a host whose blkio has no such file, and the next lxc-start failed; nothing could unset it
  const ioV1 = controllerDriver('blkio', layout) === 'v1';
  // looked up when the tests run, not when the file is collected: the container (started in
  // beforeAll) is then a child cgroup to look in; on a pure v2 guest with nothing running the root
  // has no child cgroup at collection time (the v2 lane's failure)
  let ioDir: string | null = null;
  let ioFiles: string[] = [];
  const lookUpIo = (): void => {
    ioDir = sampleCgroupDir(fs, layout, ioV1 ? 'v1' : 'v2', ioV1 ? 'blkio' : 'io');
    const dir = ioDir;
    ioFiles = (ioV1 ? ['blkio.weight', 'blkio.bfq.weight'] : ['io.weight', 'io.bfq.weight']).filter((f) => dir !== null && existsSync(join(dir, f)));
  };

  it('an I/O weight whose cgroup file this host lacks is refused before anything is saved, stopped or running', async () => {
    lookUpIo();
    expect(ioDir).not.toBeNull();
    const pidsBefore = await cgFile('pids', 'pids.max');
    const before = readFileSync(cfgPath, 'utf8');
    // running: refused before any write (pids.max, given with it, is unchanged)
    const live = await engine.setLimits(name, { pids: '61', ioWeight: '200' }).catch((x: unknown) => x);
    if (ioFiles.length === 0) {
      expect(isLxdeckError(live, 'E_UNSUPPORTED')).toBe(true);
      expect((live as Error).message).toMatch(/cannot write \S+\/blkio\.weight: no such file|cannot write \S+\/io\.weight: no such file/);
      expect(await cgFile('pids', 'pids.max')).toBe(pidsBefore);
      expect(readFileSync(cfgPath, 'utf8')).toBe(before);
    } else {
      expect(live).toMatchObject({ live: true });
    }
    // stopped: refused with the file named and a hint, the config unchanged
    await lxc('lxc-stop', ['-k']);
    const saved = await engine.setLimits(name, { ioWeight: '200' }).catch((x: unknown) => x);
    if (ioFiles.length === 0) {
      expect(isLxdeckError(saved, 'E_UNSUPPORTED')).toBe(true);
      expect((saved as Error).message).toMatch(/cannot save lxc\.cgroup2?\.(blkio|io)\.weight: .*no such file/);
      expect((saved as { hint?: string }).hint).toMatch(/BFQ/);
      expect(readFileSync(cfgPath, 'utf8')).not.toMatch(/weight/);
    } else {
      expect((saved as { saved: { key: string }[] }).saved[0].key).toMatch(new RegExp(ioFiles[0].replace('.', '\\.')));
    }
    await start();
  });

  it('--io-weight default removes a saved weight key (one this host lacks, so the container starts again); max removes a limit', async () => {
    if (ioDir === null) lookUpIo(); // while it runs (this test alone)
    await lxc('lxc-stop', ['-k']);
    // what the trial's lxdeck had saved
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8') + 'lxc.cgroup.blkio.weight = 1000\n');
    // the trial's fault is a v1 host's: with a blkio hierarchy but no blkio.weight file, LXC
    // cannot start the container (on a pure v2 host LXC leaves lxc.cgroup.* keys alone)
    if (ioV1 && !ioFiles.includes('blkio.weight')) {
      await expect(lxc('lxc-start', ['-d'], 'file')).rejects.toThrow(/lxc-start/);
    }
    const r = await engine.setLimits(name, { ioWeight: 'default', memory: 'max' });
    expect(r.removed).toEqual(expect.arrayContaining(['lxc.cgroup.blkio.weight', memKey]));
    const cfg = readFileSync(cfgPath, 'utf8');
    // no I/O weight key in either layout (a CPU weight set by an earlier test stays: on v2 it is cpu.weight)
    expect(cfg).not.toMatch(/(blkio|io)(\.bfq)?\.weight/);
    expect(cfg).not.toContain(memKey);
    await start();
    expect(await cgFile('memory', memFile)).toMatch(/^(max|\d{16,})$/);
    // on a running container default is written where the file exists, skipped where it does not
    await expect(engine.setLimits(name, { ioWeight: 'default' })).resolves.toMatchObject({ live: true });
  });

  // the trial: `limits web1 --memory 200M` (live and saved), then `restart web1` left the memory
  // limit of the container's first start: lxc-stop -r reboots with the config LXC loaded then
  it('restart (the CLI verb, the console\'s R) gives the container its saved limits, not those of its first start nor live-only ones', async () => {
    const cliEnv = { LXDECK_LXCPATH: env.lxcpath };
    // the container runs with no memory limit (the test above); set limits since its start
    const set = runCli(['limits', name, '--memory', '200M', '--pids', '40', '--cpu-weight', '300'], cliEnv);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(await cgFile('memory', memFile)).toBe(String(200 * M));
    // and one live only (lxc-cgroup style): a restart goes back to the saved value
    await engine.cgroupSet(name, 'pids.max', '33');
    const before = Number((await lxc('lxc-info', ['-pH'])).trim());
    const r = runCli(['restart', name], cliEnv);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Number((await lxc('lxc-info', ['-pH'])).trim())).not.toBe(before);
    expect(await cgFile('memory', memFile)).toBe(String(200 * M));
    expect(await cgFile('pids', 'pids.max')).toBe('40');
    const cpuV1 = controllerDriver('cpu', layout) === 'v1';
    expect(await cgFile('cpu', cpuV1 ? 'cpu.shares' : 'cpu.weight')).toBe(cpuV1 ? '3072' : '300');
    expect((await engine.limits(name)).applied).toMatchObject({ memory: 200 * M, pids: 40, cpuWeight: 300 });
  });

  // the trial: saved memory 24G, live 100M (lxdeck cgroup, live only), then `limits web2 --swap 1G`
  // saved memsw = live memory + swap, below the saved memory: the next lxc-start failed. And
  // `limits r1 --swap 1M` was refused though r1 had a memory limit (its live one had been undone)
  const memswFile = 'memory.memsw.limit_in_bytes';
  it('swap: the saved memsw (v1) comes from the saved memory and the live one from the live; the config starts; a side without a memory limit is named', async () => {
    const cliEnv = { LXDECK_LXCPATH: env.lxcpath };
    const cgDir = async () => {
      const pid = Number((await lxc('lxc-info', ['-pH'])).trim());
      const paths = readCgroupPaths(fs, pid, layout, { name });
      return memV2 ? paths.v2! : paths.v1.memory!;
    };
    const swapFile = memV2 ? 'memory.swap.max' : memswFile;
    if (!existsSync(join(await cgDir(), swapFile))) {
      // no swap accounting here: refused before anything is saved (the test above this host's files)
      const r = runCli(['limits', name, '--memory', '256M', '--swap', '64M'], cliEnv);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/no such file/);
      return;
    }
    expect(runCli(['limits', name, '--memory', '256M'], cliEnv).status).toBe(0);
    await engine.cgroupSet(name, memFile, String(100 * M)); // live only
    const r = runCli(['limits', name, '--swap', '64M'], cliEnv);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cfg = () => readFileSync(cfgPath, 'utf8');
    if (memV2) {
      // v2: swap alone (memory.swap.max), the same on both sides
      expect(cfg()).toContain(`lxc.cgroup2.memory.swap.max = ${64 * M}`);
      expect(await cgFile('memory', 'memory.swap.max')).toBe(String(64 * M));
    } else {
      expect(r.stdout).toMatch(/memory limit in effect \(100 MiB\) differs from the saved one \(256 MiB\)/);
      expect(cfg()).toContain(`lxc.cgroup.memory.memsw.limit_in_bytes = ${320 * M}`);
      expect(await cgFile('memory', memswFile)).toBe(String(164 * M));
    }
    // the saved config starts, with the saved values
    await lxc('lxc-stop', ['-k']);
    await engine.start(name);
    expect(await cgFile('memory', memFile)).toBe(String(256 * M));
    expect(await cgFile('memory', swapFile)).toBe(String((memV2 ? 64 : 320) * M));
    if (memV2) return;

    // v1: a memory limit on both sides and no memsw key yet: swap alone is accepted (the trial's r1)
    expect(runCli(['limits', name, '--swap', 'max'], cliEnv).status).toBe(0);
    expect(cfg()).not.toContain('memsw');
    const ok = runCli(['limits', name, '--swap', '1M'], cliEnv);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(cfg()).toContain(`lxc.cgroup.memory.memsw.limit_in_bytes = ${257 * M}`);
    // the one in effect made unlimited (live only): refused, exit 2, naming it, nothing written
    expect(runCli(['limits', name, '--swap', 'max'], cliEnv).status).toBe(0);
    await engine.cgroupSet(name, memFile, '-1');
    const before = cfg();
    const no = runCli(['limits', name, '--swap', '1M'], cliEnv);
    expect(no.status).toBe(2);
    expect(no.stderr).toMatch(/saved memory limit is 256 MiB but the one in effect is unlimited/);
    expect(no.stderr).toMatch(/--memory 256M --swap 1M/);
    expect(cfg()).toBe(before);
    expect(await cgFile('memory', memswFile)).toMatch(/^\d{16,}$/);

    // a hand-made config LXC cannot start (memsw, no memory key): a change that leaves it so is refused
    await lxc('lxc-stop', ['-k']);
    writeFileSync(cfgPath, cfg().replace(/^lxc\.cgroup\.memory\.limit_in_bytes = .*\n/m, '') + `lxc.cgroup.memory.memsw.limit_in_bytes = ${300 * M}\n`);
    const broken = cfg();
    const keep = runCli(['limits', name, '--memory', '1G'], cliEnv);
    expect(keep.status).toBe(2);
    expect(keep.stderr).toMatch(/not saved: .*300 MiB is below .*1 GiB/);
    expect(cfg()).toBe(broken);
    // giving both puts it right, and it starts
    expect(runCli(['limits', name, '--memory', '1G', '--swap', '64M'], cliEnv).status).toBe(0);
    await engine.start(name);
    expect(await cgFile('memory', memswFile)).toBe(String(1024 * M + 64 * M));
  });
});
