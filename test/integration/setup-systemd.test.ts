/**
 * The persistence step with real systemd tools, in a temporary root: the
 * unit lxdeck writes passes `systemd-analyze verify`, and on a host whose PID 1
 * is systemd (simulated by a HostFs that answers /proc/1/comm, since this
 * machine's PID 1 is not systemd) setup enables it with
 * `systemctl --root=ROOT enable`, which makes the wants link; a second plan
 * finds it done. Only the persist step is applied: no bridge is made.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecaRunner, RecordingRunner } from '../../core/exec/runner.js';
import { HostFs } from '../../core/host/host-fs.js';
import { applyStep, planSetup, type SetupDeps, type SetupOptions } from '../../core/setup/index.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

/** The real host, except that PID 1 is systemd. */
class SystemdPid1Fs extends HostFs {
  override readTextOrNull(path: string): string | null {
    return path === '/proc/1/comm' ? 'systemd\n' : super.readTextOrNull(path);
  }
}

const id = uniq(3);
const bridge = `lxdy${id}`;
const env = tempLxcpath([bridge]);
const root = mkdtempSync(join(tmpdir(), 'lxdeck-setup-sd-'));
const have = (p: string) => spawnSync('which', [p]).status === 0;

describe.runIf(RUN_LXC)(`integration: lxdeck-net-${bridge}.service with systemd tools`, () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    rmSync(root, { recursive: true, force: true });
  });
  // no --subnet: the plan takes the first free /24 from the routing table (nothing is addressed: only the persist step is applied)
  const opts: SetupOptions = { bridge, container: false, install: false };

  it('the unit passes systemd-analyze verify, is enabled with systemctl --root, and a second plan finds it done', async () => {
    expect(have('systemd-analyze') && have('systemctl'), 'systemd-analyze and systemctl (package systemd) are needed').toBe(true);
    const runner = new ExecaRunner();
    const deps: SetupDeps = { runner, fs: new SystemdPid1Fs('/'), engine: localEngine({ lxcpath: env.lxcpath, bridge, runner }), root };
    const plan = await planSetup(deps, opts);
    expect(plan.systemd).toBe(true);
    const persist = plan.steps.find((s) => s.id === 'persist')!;
    expect(persist.actions.map((a) => a.display)).toContain(`systemctl --root=${root} enable lxdeck-net-${bridge}.service`);
    await applyStep(deps, persist);

    const unitFile = join(root, `etc/systemd/system/lxdeck-net-${bridge}.service`);
    const v = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stderr).not.toMatch(new RegExp(`lxdeck-net-${bridge}\\.service:\\d+:`)); // no complaint about a line of ours
    expect(readlinkSync(join(root, `etc/systemd/system/multi-user.target.wants/lxdeck-net-${bridge}.service`))).toBe(`/etc/systemd/system/lxdeck-net-${bridge}.service`);
    expect(existsSync(join(root, `etc/lxdeck/net-${bridge}.nft`))).toBe(true);

    const rec = new RecordingRunner(undefined, runner);
    const again = await planSetup({ ...deps, runner: rec }, opts);
    expect(again.steps.find((s) => s.id === 'persist')!.status).toBe('done');
    expect(again.steps.find((s) => s.id === 'persist')!.detail).toContain(`lxdeck-net-${bridge}.service is enabled`);
    expect(rec.calls.some((c) => c.file === 'systemctl')).toBe(false);
  });
});
