import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LxdBackend } from '../../core/lxd/backend.js';
import { runCli } from '../helpers/cli.js';
import { linkExists, uniq } from '../helpers/lxc-env.js';
import { RUN_LXD, importBusyboxImage, requireLxd, startTestCluster, type TestCluster } from '../helpers/lxd-env.js';
import { ExecaRunner } from '../../core/exec/runner.js';

const id = uniq(3);
const alias = `bbc-${id}`;
let cluster: TestCluster | undefined;

describe.runIf(RUN_LXD)('integration: LXD backend on a 2-member cluster in network namespaces (issue 10, part 3)', () => {
  requireLxd();
  beforeAll(async () => {
    cluster = await startTestCluster(id);
    await importBusyboxImage(cluster, alias);
  }, 300_000);
  afterAll(async () => {
    if (!cluster) return;
    await cluster.cleanup();
    expect(existsSync(cluster.dir)).toBe(false);
    const ns = await new ExecaRunner().run('ip', ['netns', 'list']);
    for (const n of cluster.netns) expect(ns.stdout).not.toContain(n);
    expect(linkExists(`lxv${id}a`)).toBe(false);
  }, 180_000);

  it('both members are online; instances made on each carry their member as location, through either member', async () => {
    const members = (await new LxdBackend({ socketPath: cluster!.sockets[0] }).client.get<{ server_name: string; status: string }[]>('/1.0/cluster/members?recursion=1'))
      .map((m) => [m.server_name, m.status])
      .sort();
    expect(members).toEqual([
      ['m1', 'Online'],
      ['m2', 'Online'],
    ]);
    const b1 = new LxdBackend({ socketPath: cluster!.sockets[0] });
    expect(await b1.isClustered()).toBe(true);
    await b1.create(`on1-${id}`, { image: alias, target: 'm1' });
    const made = await b1.create(`on2-${id}`, { image: alias, target: 'm2' });
    expect(made.location).toBe('m2');
    for (const sock of cluster!.sockets) {
      const rows = (await new LxdBackend({ socketPath: sock }).list()).map((r) => [r.name, r.state, r.location]);
      expect(rows).toEqual([
        [`on1-${id}`, 'STOPPED', 'm1'],
        [`on2-${id}`, 'STOPPED', 'm2'],
      ]);
    }
  }, 180_000);

  it('instances start on either member (the members see the host cgroup tree under their own sysfs): start on m2 through m1, RUNNING there with a PID, then stop', async () => {
    const b1 = new LxdBackend({ socketPath: cluster!.sockets[0] });
    const b2 = new LxdBackend({ socketPath: cluster!.sockets[1] });
    for (const [n, member] of [[`st2-${id}`, 'm2'], [`st1-${id}`, 'm1']] as const) {
      await b1.create(n, { image: alias, target: member });
      await b1.start(n);
      const row = (await b2.list()).find((r) => r.name === n);
      expect(row).toMatchObject({ state: 'RUNNING', location: member });
      expect(row!.pid).toBeGreaterThan(1);
      expect(existsSync(`/proc/${row!.pid}`)).toBe(true); // its init is a process of this host
      const r = runCli(['attach', n, '--', 'sh', '-c', 'echo up; exit 4'], { LXD_DIR: cluster!.lxdDirs[0], LXDECK_BACKEND: 'lxd' });
      expect(r).toMatchObject({ status: 4, stdout: 'up\n' });
      await b1.stop(n, { kill: true });
      expect((await b1.list()).find((x) => x.name === n)?.state).toBe('STOPPED');
      await b1.destroy(n);
    }
  }, 240_000);

  it('CLI: ls shows a LOCATION column and --json a location; --location filters by member; create --target places it', () => {
    const env = { LXD_DIR: cluster!.lxdDirs[1], LXDECK_BACKEND: 'lxd' };
    const made = runCli(['create', `cli-${id}`, '--image', alias, '--target', 'm1'], env);
    expect(made).toMatchObject({ status: 0, stdout: `created cli-${id} from ${alias} on m1, STOPPED\n` });
    const all = JSON.parse(runCli(['ls', '--json'], env).stdout) as { name: string; location: string }[];
    expect(all.map((r) => [r.name, r.location])).toEqual([
      [`cli-${id}`, 'm1'],
      [`on1-${id}`, 'm1'],
      [`on2-${id}`, 'm2'],
    ]);
    const table = runCli(['ls'], env).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+STATE\s+AUTOSTART\s+PROTECTED\s+LOCATION\s+PID\s+IPV4$/);
    expect(table).toContainEqual(expect.stringMatching(new RegExp(`^on2-${id}\\s+STOPPED\\s+no\\s+-\\s+m2\\s+-\\s+-$`)));
    const onM2 = JSON.parse(runCli(['ls', '--json', '--location', 'm2'], env).stdout) as { name: string }[];
    expect(onM2.map((r) => r.name)).toEqual([`on2-${id}`]);
    expect(runCli(['ls', '--location', 'm9'], env)).toMatchObject({ status: 0, stdout: expect.stringMatching(/^no instances in lxd:.* on m9\n$/) });
    for (const n of [`cli-${id}`, `on1-${id}`, `on2-${id}`]) expect(runCli(['destroy', n], env)).toMatchObject({ status: 0, stdout: `destroyed ${n}\n` });
    expect(JSON.parse(runCli(['ls', '--json'], env).stdout)).toEqual([]);
  }, 180_000);
});
