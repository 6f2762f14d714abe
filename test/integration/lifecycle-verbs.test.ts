import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { recordActions } from '../../core/actionlog/index.js';
import type { ActionEntry } from '../../core/actionlog/index.js';
import { RUN_LXC, createNetlessContainer, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { runCli } from '../helpers/cli.js';
import { localEngine } from '../../src/local-engine.js';

const id = uniq(3);
const bridge = `lxlc${id}`;
const env = tempLxcpath([bridge]);
const n = (s: string) => `${s}-${id}`;
const log = join(env.lxcpath, '.actions.log'); // removed with the lxcpath
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge, LXDECK_LOG: log };

function lxc(tool: string, ...args: string[]): string {
  return execFileSync(tool, ['-P', env.lxcpath, ...args], { encoding: 'utf8' });
}
const state = (c: string) => lxc('lxc-info', '-n', c, '-sH').trim();
const pid = (c: string) => Number(lxc('lxc-info', '-n', c, '-pH').trim());
const rootfile = (c: string, f: string) => join(env.lxcpath, c, 'rootfs', f);
const logEntries = (): ActionEntry[] => JSON.parse(runCli(['log', '--json', '-n', '200'], cliEnv).stdout) as ActionEntry[];

describe.runIf(RUN_LXC)('integration: restart, snapshots, autostart, protection, several names (issue 9)', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
    expect(linkExists(bridge)).toBe(false);
  });
  const entries: ActionEntry[] = [];
  const engine = recordActions(localEngine({ lxcpath: env.lxcpath, bridge }), (e) => entries.push(e));

  it('restart stops a running busybox container cleanly and starts it: RUNNING again with a new init PID; a frozen one is thawed first', async () => {
    const c = n('rs');
    await createNetlessContainer(env.lxcpath, c);
    await expect(engine.restart(c)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_STATE') && /lxdeck start/.test(e.hint ?? ''));
    await engine.start(c);
    const before = pid(c);
    await engine.restart(c);
    expect(state(c)).toBe('RUNNING');
    expect(pid(c)).not.toBe(before);
    const second = pid(c);
    await engine.freeze(c);
    await engine.restart(c);
    expect(state(c)).toBe('RUNNING');
    expect(pid(c)).not.toBe(second);
    const e = entries.filter((x) => x.action === 'restart');
    expect(e.map((x) => x.result)).toEqual(['E_STATE', 'ok', 'ok']);
    expect(e[1].command).toBe(`lxc-stop -P ${env.lxcpath} -n ${c} -t 30 && lxc-start -P ${env.lxcpath} -n ${c} -d`);
    await engine.stop(c, { kill: true });
  });

  it('an ephemeral container (lxc.ephemeral = 1, which a stop destroys) is rebooted by restart (lxc-stop -r) and is still there; a kill restart is refused', async () => {
    const c = n('re');
    await createNetlessContainer(env.lxcpath, c, ['lxc.ephemeral = 1']);
    await engine.start(c);
    const before = pid(c);
    await engine.restart(c);
    expect(state(c)).toBe('RUNNING');
    expect(pid(c)).not.toBe(before);
    expect(existsSync(join(env.lxcpath, c, 'config'))).toBe(true);
    await expect(engine.restart(c, { kill: true })).rejects.toSatisfy((x) => isLxdeckError(x, 'E_STATE') && /ephemeral/.test((x as Error).message));
    expect(state(c)).toBe('RUNNING');
    const e = entries.filter((x) => x.action === 'restart' && x.container === c);
    expect(e[0].command).toBe(`lxc-stop -P ${env.lxcpath} -n ${c} -r -t 30`);
    // a stop destroys it: nothing left to clean up
    await engine.stop(c, { kill: true });
    expect(existsSync(join(env.lxcpath, c))).toBe(false);
  });

  for (const kind of ['privileged', 'unprivileged'] as const) {
    it(`snapshot, list, restore in place and delete a ${kind} container in lxc-snapshot's layout`, async () => {
      const c = n(kind === 'privileged' ? 'sp' : 'su');
      if (kind === 'privileged') await createNetlessContainer(env.lxcpath, c);
      else await engine.create(c);
      const ownerBefore = statSync(rootfile(c, 'root')).uid;
      writeFileSync(rootfile(c, 'root/marker'), 'first\n');
      await engine.setProtected(c, true);
      const s0 = await engine.snapshot(c, { comment: 'before the change' });
      expect(s0.name).toBe('snap0');
      expect(s0.comment).toBe('before the change');
      expect(s0.created).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      // lxc-snapshot sees what lxdeck made, with the comment
      const listed = lxc('lxc-snapshot', '-n', c, '-L', '-C');
      expect(listed).toMatch(new RegExp(`^snap0 \\(${env.lxcpath}/${c}/snaps\\) \\d{4}:\\d{2}:\\d{2} `, 'm'));
      expect(listed).toContain('before the change');
      const s1 = await engine.snapshot(c);
      expect(s1).toMatchObject({ name: 'snap1', comment: null });
      expect((await engine.snapshots(c)).map((s) => s.name)).toEqual(['snap0', 'snap1']);

      writeFileSync(rootfile(c, 'root/marker'), 'second\n');
      const identity = () => readFileSync(join(env.lxcpath, c, 'config'), 'utf8').split('\n').filter((l) => /^lxc\.(net\.\d+\.(hwaddr|veth\.pair|link|ipv4\.address|ipv4\.gateway)|idmap)\s*=/.test(l));
      const idBefore = identity();
      if (kind === 'unprivileged') expect(idBefore.join('\n')).toMatch(/hwaddr[\s\S]*idmap|idmap[\s\S]*hwaddr/);
      await engine.restoreSnapshot(c, 'snap0');
      expect(readFileSync(rootfile(c, 'root/marker'), 'utf8')).toBe('first\n');
      // the trial: the MAC address changed (LXC's restore is a clone, which makes a new one); the
      // container keeps its identity: hwaddr, veth name, bridge, address, idmap
      expect(identity()).toEqual(idBefore);
      // the sidecar (protection, template, idmap base) survives LXC's destroy-and-clone
      expect((await engine.list()).find((x) => x.name === c)?.protected).toBe(true);
      expect(statSync(rootfile(c, 'root')).uid).toBe(ownerBefore);
      expect(readdirNoStaging()).toEqual([]);
      await engine.start(c);
      expect(state(c)).toBe('RUNNING');
      // LXC refuses to snapshot a running dir-backed container; so does lxdeck, with a hint
      await expect(engine.snapshot(c)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_STATE') && /lxdeck stop/.test(e.hint ?? ''));
      await expect(engine.restoreSnapshot(c, 'snap1')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_STATE'));
      await engine.stop(c, { kill: true });

      await engine.deleteSnapshot(c, 'snap1');
      expect(lxc('lxc-snapshot', '-n', c, '-L')).not.toContain('snap1');
      await expect(engine.deleteSnapshot(c, 'snap1')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND'));
      await engine.setProtected(c, false);
      // lxc-destroy refuses a container with snapshots: said plainly, with the way out
      await expect(engine.destroy(c)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_STATE') && /lxdeck destroy --snapshots/.test(e.hint ?? ''));
      // --snapshots takes them with it, but only once nothing else refuses: a running container keeps them
      await engine.start(c);
      await expect(engine.destroy(c, { snapshots: true })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_RUNNING'));
      expect(lxc('lxc-snapshot', '-n', c, '-L')).toContain('snap0');
      await engine.stop(c, { kill: true });
      await engine.destroy(c, { snapshots: true });
      expect(existsSync(join(env.lxcpath, c))).toBe(false);
    });
  }

  function readdirNoStaging(): string[] {
    const d = join(env.lxcpath, '.lxdeck');
    return existsSync(d) ? readdirSync(d).filter((f) => f.startsWith('restore-')) : [];
  }

  it('a restore that LXC fails leaves the container as it was: rootfs, config and sidecar', async () => {
    const c = n('rf');
    await createNetlessContainer(env.lxcpath, c);
    await engine.snapshot(c);
    await engine.setProtected(c, true);
    writeFileSync(rootfile(c, 'root/keep'), 'now\n');
    const config = readFileSync(join(env.lxcpath, c, 'config'), 'utf8');
    const side = readFileSync(join(env.lxcpath, c, 'lxdeck.json'), 'utf8');
    // a snapshot whose rootfs is gone: lxc-snapshot -r destroys the container, then fails to clone
    const snapRootfs = join(env.lxcpath, c, 'snaps', 'snap0', 'rootfs');
    renameSync(snapRootfs, `${snapRootfs}.away`);
    await expect(engine.restoreSnapshot(c, 'snap0')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_COMMAND'));
    expect(readFileSync(rootfile(c, 'root/keep'), 'utf8')).toBe('now\n');
    expect(readFileSync(join(env.lxcpath, c, 'config'), 'utf8')).toBe(config);
    expect(readFileSync(join(env.lxcpath, c, 'lxdeck.json'), 'utf8')).toBe(side);
    expect(readdirNoStaging()).toEqual([]);
    renameSync(`${snapRootfs}.away`, snapRootfs);
    await engine.start(c);
    expect(state(c)).toBe('RUNNING');
    await engine.stop(c, { kill: true });
  });

  it('N1: snapshot names that are paths, options, NUL, empty or ALL are refused before anything runs', async () => {
    const c = n('n1');
    await createNetlessContainer(env.lxcpath, c);
    await engine.snapshot(c);
    const before = lxc('lxc-snapshot', '-n', c, '-L');
    for (const bad of ['a/b', '../x', '-rf', 'x\0y', '', 'ALL', '..', '.']) {
      await expect(engine.restoreSnapshot(c, bad)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NAME_INVALID') && /letters, digits/.test(e.message));
      await expect(engine.deleteSnapshot(c, bad)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NAME_INVALID'));
    }
    expect(lxc('lxc-snapshot', '-n', c, '-L')).toBe(before);
    const r = runCli(['snapshot-delete', c, '--', '../x'], cliEnv);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a snapshot name/);
    expect(runCli(['restore', c, 'ALL'], cliEnv).status).toBe(2);
    expect(lxc('lxc-snapshot', '-n', c, '-L')).toBe(before);
  });

  it('autostart --apply starts as lxc-autostart does: lxc.start.auto only, no-group containers by default, ascending lxc.start.order, group passes', async () => {
    const [a, b, g, off] = [n('aa'), n('ab'), n('ag'), n('ao')];
    for (const c of [a, b, g, off]) await createNetlessContainer(env.lxcpath, c);
    expect(runCli(['autostart', a, 'on', '--order', '20'], cliEnv).status).toBe(0);
    expect(runCli(['autostart', b, 'on', '--order', '10', '--delay', '1'], cliEnv).status).toBe(0);
    const set = runCli(['autostart', g, 'on', '--order', '1', '--group', 'onboot', '--group', 'web', '--json'], cliEnv);
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual([{ name: g, ok: true, autostart: { auto: true, order: 1, delay: null, groups: ['onboot', 'web'] } }]);
    expect(runCli(['autostart', off, 'off', '--order', '0'], cliEnv).status).toBe(0);
    const cfg = readFileSync(join(env.lxcpath, g, 'config'), 'utf8');
    expect(cfg).toMatch(/^lxc\.start\.auto = 1$/m);
    expect(cfg).toMatch(/^lxc\.group = onboot$/m);
    expect(cfg).toMatch(/^lxc\.include = /m); // other lines kept

    // what lxc-autostart would do, on the same lxcpath
    const lxcList = (groups?: string) => lxc('lxc-autostart', '-L', ...(groups !== undefined ? ['-g', groups] : [])).trim().split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
    expect(lxcList()).toEqual([b, a]);
    expect(lxcList('onboot')).toEqual([g]);
    expect(lxcList('web,')).toEqual([g, b, a]);

    const ls = JSON.parse(runCli(['ls', '--json'], cliEnv).stdout) as { name: string; autostart: boolean; groups: string[] }[];
    expect(ls.find((x) => x.name === g)).toMatchObject({ autostart: true, groups: ['onboot', 'web'] });
    // one way in every text: yes/no (ls, info, the verb), a boolean in every JSON
    const lsText = runCli(['ls'], cliEnv).stdout;
    expect(lsText).toMatch(new RegExp(`^${g}\\s+STOPPED\\s+yes\\s+onboot,web\\s`, 'm'));
    expect(lsText).toMatch(new RegExp(`^${off}\\s+STOPPED\\s+no\\s+-\\s`, 'm'));
    expect(runCli(['info', g], cliEnv).stdout).toMatch(/^Autostart:\s+yes \(order 1, delay 0 s, groups onboot,web\)$/m);
    expect(runCli(['info', b], cliEnv).stdout).toMatch(/^Autostart:\s+yes \(order 10, delay 1 s, no groups\)$/m);
    expect(runCli(['info', off], cliEnv).stdout).toMatch(/^Autostart:\s+no \(order 0, delay 0 s, no groups\)$/m); // order 0 is set
    const infoJson = JSON.parse(runCli(['info', b, '--json'], cliEnv).stdout) as { autostart: unknown; startOrder: unknown; startDelay: unknown };
    expect(infoJson).toMatchObject({ autostart: true, startOrder: 10, startDelay: 1 });
    expect(typeof (JSON.parse(runCli(['info', off, '--json'], cliEnv).stdout) as { autostart: unknown }).autostart).toBe('boolean');
    expect(ls.every((x) => typeof x.autostart === 'boolean')).toBe(true);
    const verb = runCli(['autostart', off, 'off'], cliEnv);
    expect(verb.stdout.trim()).toBe(`${off} autostart: no (order 0, delay 0 s, no groups)`);
    for (const t of [lsText, verb.stdout]) expect(t).not.toMatch(/autostart (on|off)\b|\b(true|false)\b/);

    const r1 = await engine.applyAutostart();
    expect(r1).toEqual({ started: [b, a], skipped: [], failed: [] });
    expect([a, b, g, off].map(state)).toEqual(['RUNNING', 'RUNNING', 'STOPPED', 'STOPPED']);
    const r2 = JSON.parse(runCli(['autostart', '--apply', '--group', 'web,', '--json'], cliEnv).stdout);
    expect(r2).toEqual({ started: [g], skipped: [b, a], failed: [] });
    expect(state(off)).toBe('STOPPED');
    const applies = [...entries.filter((e) => e.action === 'autostart-apply'), ...logEntries().filter((e) => e.action === 'autostart-apply')];
    expect(applies.map((e) => e.command)).toEqual([`lxc-autostart -P ${env.lxcpath} # started ${b}, ${a}`, `lxc-autostart -P ${env.lxcpath} -g web, # started ${g}`]);
    const sets = logEntries().filter((e) => e.action === 'autostart' && e.container === g);
    expect(sets[0].command).toBe(`# in ${env.lxcpath}/${g}/config: lxc.start.auto = 1; lxc.start.order = 1; lxc.group = onboot; lxc.group = web`);
    for (const c of [a, b, g]) await engine.stop(c, { kill: true });
  });

  it('protect: a protected container is not destroyed, not even with --force; one lxc-create made gets a sidecar; ls shows it', async () => {
    const c = n('pr');
    await createNetlessContainer(env.lxcpath, c);
    expect(existsSync(join(env.lxcpath, c, 'lxdeck.json'))).toBe(false);
    expect(runCli(['protect', c, 'on'], cliEnv).status).toBe(0);
    expect(JSON.parse(readFileSync(join(env.lxcpath, c, 'lxdeck.json'), 'utf8'))).toEqual({ protected: true });
    for (const args of [['destroy', c], ['destroy', '--force', c]]) {
      const r = runCli(args, cliEnv);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`lxdeck: ${c} is protected against deletion\nhint: lxdeck --lxcpath ${env.lxcpath} protect ${c} off\n`);
    }
    expect(state(c)).toBe('STOPPED');
    expect((JSON.parse(runCli(['info', c, '--json'], cliEnv).stdout) as { protected: boolean }).protected).toBe(true);
    expect(runCli(['ls'], cliEnv).stdout).toMatch(new RegExp(`^${c}\\s+STOPPED\\s+no\\s+-\\s+yes\\s`, 'm'));
    expect(runCli(['protect', c, 'off'], cliEnv).status).toBe(0);
    const p = logEntries().filter((e) => e.action === 'protect' && e.container === c);
    expect(p.map((e) => e.command)).toEqual([
      `# protected: true set in ${env.lxcpath}/${c}/lxdeck.json (no lxc-* equivalent: LXC has no delete protection)`,
      `# protected removed in ${env.lxcpath}/${c}/lxdeck.json (no lxc-* equivalent: LXC has no delete protection)`,
    ]);
    expect(runCli(['destroy', c], cliEnv).status).toBe(0);
    expect(existsSync(join(env.lxcpath, c))).toBe(false);
  });

  it('several names per verb: each tried in order, a failure stops none of the others, each printed with its hint, exit 1', async () => {
    const [x, y] = [n('mx'), n('my')];
    const missing = n('missing');
    for (const c of [x, y]) await createNetlessContainer(env.lxcpath, c);
    const s = runCli(['start', x, missing, y], cliEnv);
    expect(s.status).toBe(1);
    expect(s.stdout).toMatch(new RegExp(`^${x} RUNNING pid \\d+\\n${y} RUNNING pid \\d+\\n$`));
    expect(s.stderr).toBe(`lxdeck: no container named ${missing} in ${env.lxcpath}\nhint: lxdeck --lxcpath ${env.lxcpath} ls lists the containers\n`);
    const pids = [pid(x), pid(y)];
    const r = runCli(['restart', x, y], cliEnv);
    expect(r.status).toBe(0);
    expect([pid(x), pid(y)].every((p, i) => p !== pids[i])).toBe(true);
    expect(runCli(['freeze', x, y], cliEnv).stdout).toBe(`${x} FROZEN\n${y} FROZEN\n`);
    expect(runCli(['unfreeze', x, y], cliEnv).stdout).toBe(`${x} RUNNING\n${y} RUNNING\n`);
    // a running container cannot be snapshotted: one entry per name, the failure with its code
    const snapRunning = runCli(['snapshot', x, '--json'], cliEnv);
    expect(snapRunning.status).toBe(1);
    const st = runCli(['stop', '-k', x, y], cliEnv);
    expect(st.stdout).toBe(`${x} STOPPED\n${y} STOPPED\n`);
    const snap = runCli(['snapshot', x, missing, y, '--comment', 'bulk', '--json'], cliEnv);
    expect(snap.status).toBe(1);
    const j = JSON.parse(snap.stdout) as { name: string; ok: boolean; snapshot?: { name: string; comment: string }; error?: { code: string } }[];
    expect(j.map((e) => [e.name, e.ok, e.snapshot?.name ?? e.error?.code])).toEqual([[x, true, 'snap0'], [missing, false, 'E_NOT_FOUND'], [y, true, 'snap0']]);
    expect(j[0].snapshot?.comment).toBe('bulk');
    const snaps = JSON.parse(runCli(['snapshots', y, '--json'], cliEnv).stdout);
    expect(snaps).toEqual([{ name: 'snap0', created: expect.stringMatching(/^\d{4}-/), comment: 'bulk' }]);
    const pr = runCli(['protect', x, y, 'on'], cliEnv);
    expect(pr.status).toBe(0);
    const d = runCli(['destroy', x, 'bad/name', y], cliEnv);
    expect(d.status).toBe(1);
    expect(d.stderr.split('\n').filter((l) => l.startsWith('lxdeck: '))).toHaveLength(3);
    expect(runCli(['protect', x, y, 'off'], cliEnv).status).toBe(0);
    expect(runCli(['snapshot-delete', x, 'snap0'], cliEnv).status).toBe(0);
    // only bad names failed: usage status 2
    expect(runCli(['destroy', x, 'a/b'], cliEnv).status).toBe(2);
    expect(existsSync(join(env.lxcpath, x))).toBe(false);
    const actions = logEntries().map((e) => `${e.action} ${e.container} ${e.result}`);
    expect(actions).toContain(`snapshot ${x} ok`);
    expect(actions).toContain(`restart ${y} ok`);
    expect(logEntries().find((e) => e.action === 'snapshot' && e.container === y)?.command).toBe(
      `lxc-snapshot -P ${env.lxcpath} -n ${y} -c COMMENTFILE # COMMENTFILE holds "bulk"; made snap0`,
    );
  });
});
