/**
 * Findings of a fresh user's trial of the command line (branch trialfix4): a missing lxcpath said
 * everywhere, JSON errors on stdout for every verb that takes --json, exit statuses of a signal and
 * of a value the kernel refused, one time format in JSON. Real containers in a temporary lxcpath.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { runCli } from '../helpers/cli.js';

const id = uniq(3);
const env = tempLxcpath();
const n = (s: string) => `${s}-${id}`;

describe.runIf(RUN_LXC)('cli: findings of the fourth fresh-user trial', () => {
  requireLxc();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
  });

  it('a missing lxcpath is said to be missing by ls (exit 0 as lxc-ls, in text and --json) and by every verb on a name; an existing one is not', async () => {
    const missing = join(env.lxcpath, 'typo');
    const ls = runCli(['--lxcpath', missing, 'ls']);
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toContain(`${missing} does not exist`);
    expect(ls.stderr).toMatch(/^hint: .*create NAME makes it/m);
    const js = runCli(['--lxcpath', missing, 'ls', '--json']);
    expect(js.status, js.stderr).toBe(0);
    expect(JSON.parse(js.stdout)).toEqual([]);
    expect(js.stderr).toContain(`lxdeck: warning: the lxcpath ${missing} does not exist`);
    for (const verb of [['start', 'web1'], ['info', 'web1'], ['stop', 'web1'], ['destroy', 'web1'], ['limits', 'web1'], ['ps', 'web1'], ['stats', 'web1', '--count', '1'], ['copy', 'web1', 'web2'], ['rename', 'web1', 'web3'], ['protect', 'web1', 'on'], ['snapshots', 'web1']]) {
      const r = runCli(['--lxcpath', missing, ...verb]);
      expect(r.status, `${verb.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`lxdeck: no container named web1: the lxcpath ${missing} does not exist`);
      expect(r.stderr).toMatch(/^hint: a mistyped --lxcpath .*default is \/var\/lib\/lxc/m);
    }
    expect(existsSync(missing)).toBe(false);
    // the lxcpath exists and holds a container: the plain "no container named" of the name alone
    await createNetlessContainer(env.lxcpath, n('c'));
    const r = runCli(['--lxcpath', env.lxcpath, 'info', 'web1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`lxdeck: no container named web1 in ${env.lxcpath}`);
    expect(r.stderr).not.toContain('does not exist');
    const ok = runCli(['--lxcpath', env.lxcpath, 'ls']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(n('c'));
  });
});
