/**
 * The action log written by the built binary: create, start, stop, destroy
 * (and a refused action) each write one JSON line with the equivalent lxc-*
 * command, to a LXDECK_LOG file readable by root only. Real LXC in a
 * temporary lxcpath; everything removed in afterAll.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import type { ActionEntry } from '../../core/actionlog/index.js';

const id = uniq(3);
const name = `al${id}`;
const bridge = `lxal${id}`;
const env = tempLxcpath([bridge]);
const other = tempLxcpath(); // a second lxcpath on the same bridge, for the log's --lxcpath filter
const log = join(env.lxcpath, 'audit', 'actions.log');
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge, LXDECK_LOG: log, SUDO_USER: 'alice' };

function entries(): ActionEntry[] {
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ActionEntry);
}

describe.runIf(RUN_LXC)('action log through the CLI', () => {
  requireLxc();
  afterAll(() => {
    other.cleanup();
    env.cleanup();
    expect(linkExists(bridge)).toBe(false);
  });

  it('create, start, stop and destroy write one entry each with the equivalent lxc-* command; the file is 0600 in a 0700 dir', () => {
    for (const args of [['create', name], ['start', name], ['stop', name, '--timeout', '5'], ['destroy', name]]) {
      const r = runCli(args, cliEnv);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const P = env.lxcpath;
    const e = entries();
    expect(e.map((x) => x.action)).toEqual(['create', 'start', 'stop', 'destroy']);
    expect(e.map((x) => x.command)).toEqual([
      `lxc-create -P ${P} -n ${name} -t busybox`,
      `lxc-start -P ${P} -n ${name} -d`,
      `lxc-stop -P ${P} -n ${name} -t 5`,
      `lxc-destroy -P ${P} -n ${name}`,
    ]);
    for (const x of e) {
      expect(x).toMatchObject({ user: 'alice', container: name, result: 'ok' });
      expect(Number.isNaN(Date.parse(x.time))).toBe(false);
      expect(x.durationMs).toBeGreaterThanOrEqual(0);
    }
    // the logged lines do what lxdeck did: run the start and stop lines through a shell on a fresh container
    expect(runCli(['create', name], cliEnv).status).toBe(0);
    const state = () => execFileSync('lxc-info', ['-P', P, '-n', name, '-s', '-H'], { encoding: 'utf8' }).trim();
    execFileSync('sh', ['-c', e[1].command], { stdio: 'ignore', timeout: 30_000 });
    expect(state()).toBe('RUNNING');
    execFileSync('sh', ['-c', e[2].command], { stdio: 'ignore', timeout: 30_000 });
    expect(state()).toBe('STOPPED');
    expect(runCli(['destroy', name], cliEnv).status).toBe(0);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.lxcpath, 'audit')).mode & 0o777).toBe(0o700);
    // stdout of the verbs is unchanged by the log
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
  });

  it('a refused action is logged with its error code and message; lxdeck log prints the entries', () => {
    const r = runCli(['stop', name], cliEnv);
    expect(r.status).toBe(1);
    const last = entries().at(-1)!;
    expect(last).toMatchObject({ action: 'stop', container: name, result: 'E_NOT_FOUND', command: `lxc-stop -P ${env.lxcpath} -n ${name} -t 30` });
    expect(last.message).toContain(name);
    const json = runCli(['log', '--json', '-n', '2'], cliEnv);
    expect(json.status, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as ActionEntry[]).map((x) => x.action)).toEqual(['destroy', 'stop']);
    const text = runCli(['log', '-n', '1'], cliEnv).stdout;
    expect(text).toContain(`stop ${name}  E_NOT_FOUND`);
    expect(text).toContain(`$ lxc-stop -P ${env.lxcpath} -n ${name} -t 30`);
  });

  it('each entry records its lxcpath; log --lxcpath P shows only the actions in P (before or after the verb), --name only one container; older entries without an lxcpath show only unfiltered', () => {
    // an entry as lxdeck wrote them before it recorded the lxcpath
    appendFileSync(log, `${JSON.stringify({ time: '2026-01-01T00:00:00.000Z', user: 'root', container: name, action: 'start', command: `lxc-start -P ${env.lxcpath} -n ${name} -d`, result: 'ok', durationMs: 1 })}\n`);
    const b = `${name}b`;
    for (const args of [['create', name], ['--lxcpath', other.lxcpath, 'create', b], ['start', name], ['stop', name, '--kill'], ['destroy', name], ['--lxcpath', other.lxcpath, 'destroy', b]]) {
      const r = runCli(args, cliEnv);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const fresh = entries().slice(-6);
    expect(fresh.map((x) => x.lxcpath)).toEqual([env.lxcpath, other.lxcpath, env.lxcpath, env.lxcpath, env.lxcpath, other.lxcpath]);
    const logJson = (...args: string[]): ActionEntry[] => {
      const r = runCli(['log', '--json', '-n', '100', ...args], cliEnv);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as ActionEntry[];
    };
    // unfiltered (LXDECK_LXCPATH alone does not filter): every entry, the old one too
    const all = logJson();
    expect(all.some((x) => x.lxcpath === undefined && x.time === '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(all.some((x) => x.lxcpath === other.lxcpath)).toBe(true);
    // --lxcpath after the verb, and the global form before it (with a trailing /): the same filter
    const inA = logJson('--lxcpath', env.lxcpath);
    expect(inA.length).toBeGreaterThanOrEqual(4);
    expect(inA.every((x) => x.lxcpath === env.lxcpath)).toBe(true);
    expect(inA.slice(-4).map((x) => x.action)).toEqual(['create', 'start', 'stop', 'destroy']);
    const rB = runCli(['--lxcpath', `${other.lxcpath}/`, 'log', '--json'], cliEnv);
    expect(rB.status, rB.stderr).toBe(0);
    expect((JSON.parse(rB.stdout) as ActionEntry[]).map((x) => `${x.action} ${x.container}`)).toEqual([`create ${b}`, `destroy ${b}`]);
    // --name: one container's actions, in any lxcpath; -n counts those kept
    expect(logJson('--name', b).map((x) => x.action)).toEqual(['create', 'destroy']);
    expect(logJson('--name', name, '--lxcpath', env.lxcpath, '-n', '2').map((x) => x.action)).toEqual(['stop', 'destroy']);
    expect(logJson('--name', name).some((x) => x.lxcpath === undefined)).toBe(true);
    const none = runCli(['log', '--lxcpath', '/nonexistent', '--name', name], cliEnv);
    expect(none.status).toBe(0);
    expect(none.stdout.trim()).toBe(`no actions on ${name} in /nonexistent logged in ${log}`);
  });

  it('a log that cannot be written is reported once on stderr and the action still succeeds', () => {
    const r = runCli(['ls'], { ...cliEnv, LXDECK_LOG: '/proc/version/nope.log' });
    expect(r.status).toBe(0); // ls is not an action: nothing to log, nothing reported
    expect(r.stderr).toBe('');
    const s = runCli(['stop', `${name}x`], { ...cliEnv, LXDECK_LOG: '/proc/version/nope.log' });
    expect(s.status).toBe(1);
    expect(s.stderr.match(/cannot write the action log/g)).toHaveLength(1);
  });
});
