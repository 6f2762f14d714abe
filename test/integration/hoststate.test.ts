import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdmap } from '../../core/idmap.js';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, createNetlessContainer, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxdh${id}`;
const envA = tempLxcpath([bridge]);
const envB = tempLxcpath();
const envC = tempLxcpath();
const stateDir = process.env.LXDECK_STATE_DIR!;

function addrOf(lp: string, name: string): string {
  return /^lxc\.net\.0\.ipv4\.address = (.+)$/m.exec(readFileSync(join(lp, name, 'config'), 'utf8'))![1].split('/')[0];
}
function baseOf(lp: string, name: string): number {
  const l = readFileSync(join(lp, name, 'config'), 'utf8').split('\n').find((x) => x.startsWith('lxc.idmap'))!;
  return parseIdmap(l.split('=')[1])!.hostid;
}

describe.runIf(RUN_LXC)('integration: host-wide address and idmap records (issue 9 part 1)', () => {
  requireLxc();
  afterAll(() => {
    envC.cleanup();
    envB.cleanup();
    envA.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });
  const a = localEngine({ lxcpath: envA.lxcpath, bridge, hostStateDir: stateDir });
  const b = localEngine({ lxcpath: envB.lxcpath, bridge, hostStateDir: stateDir });
  const cli = (lp: string, args: string[]) => runCli(args, { LXDECK_LXCPATH: lp, LXDECK_BRIDGE: bridge, LXDECK_STATE_DIR: stateDir });

  // ping: busybox-static's (the host has no iputils ping); only to the test's own bridge
  it('containers created alternately in two lxcpaths on one bridge (engine and CLI) get distinct addresses; all start and answer ping', async () => {
    const made: [string, string][] = [];
    await a.create(`a1-${id}`, { start: true });
    made.push([envA.lxcpath, `a1-${id}`]);
    await b.create(`b1-${id}`, { start: true });
    made.push([envB.lxcpath, `b1-${id}`]);
    let r = cli(envA.lxcpath, ['create', `a2-${id}`, '--start']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    made.push([envA.lxcpath, `a2-${id}`]);
    r = cli(envB.lxcpath, ['create', `b2-${id}`, '--start']);
    expect(r.status).toBe(0);
    made.push([envB.lxcpath, `b2-${id}`]);
    const addrs = made.map(([lp, n]) => addrOf(lp, n));
    expect(new Set(addrs).size).toBe(addrs.length);
    for (const ip of addrs) execFileSync('/bin/busybox', ['ping', '-c1', '-W2', '-I', bridge, ip], { stdio: 'ignore' });
    // idmap: unprivileged containers of the two lxcpaths never overlap
    const bases = made.map(([lp, n]) => baseOf(lp, n)).sort((x, y) => x - y);
    for (let i = 1; i < bases.length; i++) expect(bases[i] - bases[i - 1]).toBeGreaterThanOrEqual(65536);
    const rec = JSON.parse(readFileSync(join(stateDir, 'bridges', `${bridge}.json`), 'utf8')) as { lxcpaths: string[] };
    expect(rec.lxcpaths).toEqual(expect.arrayContaining([envA.lxcpath, envB.lxcpath]));
  });

  it('a container made outside lxdeck with a static address in a third lxcpath is never handed out, running or stopped', async () => {
    const name = `plain-${id}`;
    const gw = (await a.ensureBridge()).gateway.split('/')[0];
    const ip = gw.replace(/\.\d+$/, '.9');
    await createNetlessContainer(envC.lxcpath, name, []);
    const p = join(envC.lxcpath, name, 'config');
    writeFileSync(p, readFileSync(p, 'utf8').replace('lxc.net.0.type = empty\n', `lxc.net.0.type = veth\nlxc.net.0.link = ${bridge}\nlxc.net.0.flags = up\nlxc.net.0.ipv4.address = ${ip}/24\n`));
    execFileSync('lxc-start', ['-P', envC.lxcpath, '-n', name, '-d'], { stdio: 'ignore' });
    // fill the addresses up to past .9 from both lxcpaths: none is .9
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = i % 2 ? b : a;
      const n = `f${i}-${id}`;
      await e.create(n, { privileged: true });
      got.push(addrOf(i % 2 ? envB.lxcpath : envA.lxcpath, n));
    }
    expect(got).not.toContain(ip);
    await expect(a.create(`want-${id}`, { ipv4: ip, privileged: true })).rejects.toThrow(new RegExp(`${name} in ${envC.lxcpath}`));
    execFileSync('lxc-stop', ['-P', envC.lxcpath, '-n', name, '-k'], { stdio: 'ignore' });
    // stopped: still adopted (its lxcpath is in the record now)
    await expect(b.create(`want2-${id}`, { ipv4: ip, privileged: true })).rejects.toThrow(/already used/);
    await a.create(`f3-${id}`, { privileged: true });
    expect(addrOf(envA.lxcpath, `f3-${id}`)).not.toBe(ip);
  });

  it('destroy releases the address: the next create gets it back', async () => {
    const before = addrOf(envA.lxcpath, `f3-${id}`);
    await a.destroy(`f3-${id}`);
    const rec = JSON.parse(readFileSync(join(stateDir, 'bridges', `${bridge}.json`), 'utf8')) as { addresses: Record<string, unknown> };
    expect(rec.addresses[before]).toBeUndefined();
    await b.create(`g-${id}`, { privileged: true });
    expect(addrOf(envB.lxcpath, `g-${id}`)).toBe(before);
  });
});
