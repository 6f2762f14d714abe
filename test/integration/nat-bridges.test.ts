/**
 * NAT and persistence are host state shared by every bridge: `lxdeck setup` on a
 * second bridge must not replace the first bridge's masquerade rule (one chain
 * per bridge in lxdeck's table) or its unit and nft script (one of each per
 * bridge). Real nft, real bridges of the test's own, a table of the test's
 * own, files under a temporary root; all removed after, even on failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../core/exec/runner.js';
import { HostFs } from '../../core/host/host-fs.js';
import { formatCidr, type Cidr } from '../../core/network/ipv4.js';
import { natChainName, natSatisfied, nftDeleteChainArgv, readNatState } from '../../core/network/nat.js';
import { applySetup, planSetup, type SetupDeps, type SetupOptions } from '../../core/setup/index.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { freeTestSubnet } from '../core/setup/free-subnet.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridgeA = `lxna${id}`;
const bridgeB = `lxnb${id}`;
const table = `lxdeck_n${id}`;
const env = tempLxcpath([bridgeA, bridgeB]);
const root = mkdtempSync(join(tmpdir(), 'lxdeck-nat-root-'));
const runner = new ExecaRunner();
const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
let subnetA: Cidr;
let subnetB: Cidr;

const deps = (bridge: string): SetupDeps => ({ runner, fs: new HostFs('/'), engine: localEngine({ lxcpath: env.lxcpath, bridge, runner }), root });
const opts = (bridge: string, subnet: Cidr): SetupOptions => ({ bridge, subnet: formatCidr(subnet), natTable: table, container: false, dhcp: false, install: false });

describe.runIf(RUN_LXC)('integration: NAT and persistence per bridge', () => {
  requireLxc();
  beforeAll(async () => {
    expect(spawnSync('which', ['nft']).status, 'nft is needed (apt-get install nftables)').toBe(0);
    subnetA = await freeTestSubnet();
    subnetB = await freeTestSubnet([subnetA]);
  });
  afterAll(() => {
    spawnSync('nft', ['delete', 'table', 'ip', table]);
    env.cleanup();
    writeFileSync('/proc/sys/net/ipv4/ip_forward', `${forwardBefore}\n`);
    rmSync(root, { recursive: true, force: true });
    expect(linkExists(bridgeA)).toBe(false);
    expect(linkExists(bridgeB)).toBe(false);
  });

  it('setup of a second bridge keeps the first bridge\'s masquerade rule, unit and nft script; undoing one bridge\'s NAT keeps the other\'s', async () => {
    for (const [br, sn] of [[bridgeA, subnetA], [bridgeB, subnetB]] as const) {
      const plan = await planSetup(deps(br), opts(br, sn));
      const r = await applySetup(deps(br), plan);
      expect(r.steps.filter((s) => s.outcome === 'failed')).toEqual([]);
    }
    const specA = { table, bridge: bridgeA, subnet: subnetA };
    const specB = { table, bridge: bridgeB, subnet: subnetB };
    let state = await readNatState(runner, table);
    expect(natSatisfied(state, specA), JSON.stringify(state)).toBe(true);
    expect(natSatisfied(state, specB), JSON.stringify(state)).toBe(true);
    expect(state.masquerade.map((m) => m.chain).sort()).toEqual([natChainName(bridgeA), natChainName(bridgeB)].sort());

    // each bridge has its own unit and script, each loading only its own chain
    for (const br of [bridgeA, bridgeB]) {
      const unit = readFileSync(join(root, `etc/systemd/system/lxdeck-net-${br}.service`), 'utf8');
      expect(unit).toContain(`nft -f ${join(root, `etc/lxdeck/net-${br}.nft`)}`);
      expect(unit).toContain(`nft delete chain ip ${table} ${natChainName(br)}`);
      const script = readFileSync(join(root, `etc/lxdeck/net-${br}.nft`), 'utf8');
      expect(script).not.toMatch(/delete table/);
    }

    // bridge A's setup again: already done, and B's chain is still there
    const again = await planSetup(deps(bridgeA), opts(bridgeA, subnetA));
    expect(again.steps.find((s) => s.id === 'nat')!.status).toBe('done');

    // the boot path: B's script applied again (as its unit does) leaves A's rule in place
    execFileSync('nft', ['-f', join(root, `etc/lxdeck/net-${bridgeB}.nft`)]);
    state = await readNatState(runner, table);
    expect(natSatisfied(state, specA)).toBe(true);
    expect(state.masquerade).toHaveLength(2);

    // undo of A's NAT (the command setup's summary lists) keeps B's
    execFileSync('nft', nftDeleteChainArgv(table, bridgeA));
    state = await readNatState(runner, table);
    expect(natSatisfied(state, specA)).toBe(false);
    expect(natSatisfied(state, specB)).toBe(true);
    expect(existsSync(join(root, `etc/systemd/system/lxdeck-net-${bridgeA}.service`))).toBe(true);
  });
});
