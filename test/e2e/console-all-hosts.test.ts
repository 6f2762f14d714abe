/**
 * The all-hosts console (lxdeck --all) in a real terminal (tmux, 100x24): the local lxcpath (a
 * stopped container made here, nothing started) and a configured remote whose address refuses
 * connections (a closed port on loopback): the local row is listed with its HOST, the remote is
 * one UNREACHABLE row, H picks a host, q quits with status 0. Needs root, LXC's busybox, tmux.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const name = `eh${id}`;
const env = tempLxcpath();
const home = mkdtempSync(join(tmpdir(), 'lxdeck-allhosts-'));
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_CONFIG_DIR: join(home, 'config'), HOME: home, LXD_DIR: join(home, 'no-lxd'), SSH_AUTH_SOCK: '' };

describe.runIf(RUN_LXC)('lxdeck --all in a real terminal', () => {
  requireLxc();
  const terms: TmuxTerm[] = [];
  beforeAll(async () => {
    expect(haveTmux(), 'tmux is needed').toBe(true);
    await createNetlessContainer(env.lxcpath, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(home, 'id_ed25519')]);
    // port 1 on loopback: nothing listens, the connection is refused at once
    const r = runCli(['remote', 'add', 'deadhost', 'ssh://root@127.0.0.1:1', '--identity', join(home, 'id_ed25519')], cliEnv);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => {
    for (const t of terms) t.close();
    env.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('local rows with a HOST column, the dead remote UNREACHABLE, H picks a host, q quits 0', { timeout: 60_000 }, async () => {
    const t = new TmuxTerm();
    terms.push(t);
    t.start(`${sh(process.execPath)} ${sh(CLI)} --all`, cliEnv as Record<string, string>, 100, 24);
    const s = await t.waitForScreen('both hosts', (x) => x.includes(name) && x.includes('UNREACHABLE'), 20_000);
    expect(s).toMatch(/HOST\s+NAME\s+STATE/);
    expect(s).toMatch(new RegExp(`local\\s+${name}\\s+STOPPED`));
    expect(s).toMatch(/deadhost\s+deadhost:\s+UNREACHABLE/);
    expect(s).toContain('1 host unreachable');
    expect(s).toMatch(/H host/);
    t.keys('H');
    const l = await t.waitForScreen('host local', (x) => x.includes('[host local]'));
    expect(l).not.toContain('deadhost:');
    t.keys('H');
    const d = await t.waitForScreen('host deadhost', (x) => x.includes('[host deadhost]'));
    expect(d).not.toMatch(new RegExp(`local\\s+${name}`));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  });
});
