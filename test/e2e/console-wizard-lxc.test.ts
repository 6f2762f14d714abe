/**
 * The built binary's console in a real terminal (tmux, 80x24) against real
 * LXC: the create wizard makes a busybox container (a 64 MiB limit given on
 * the resources step) in a temporary lxcpath on a unique bridge, starts it
 * from its last step; then `a` attaches from the list, a command runs inside
 * and its output appears, `exit` brings the list back in a sane terminal; the
 * action log pane shows what was done. Everything made is removed in
 * afterAll, also when a test fails. Needs root and LXC: under CI=true a host
 * without them FAILS (requireLxc), it is not skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { RUN_LXC, linkExists, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, delay, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const name = `wiz${id}`;
const bridge = `lxdw${id}`; // 10 bytes, within IFNAMSIZ
const env = tempLxcpath([bridge]);
const logDir = mkdtempSync(join(tmpdir(), 'lxdeck-wizlog-'));
const log = join(logDir, 'actions.log');
const cliEnv = { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge, LXDECK_LOG: log };

const hasFlag = (stty: string, flag: string): boolean => new RegExp(`(^|\\s)${flag}(\\s|$)`).test(stty);

/** The table row of the container on screen, or undefined. */
function row(screen: string): string | undefined {
  return screen.split('\n').find((l) => new RegExp(`^[› ] ${name} `).test(l));
}

function lxc(tool: string, ...args: string[]): string {
  try {
    return execFileSync(tool, ['-P', env.lxcpath, '-n', name, ...args], { encoding: 'utf8' }).trim();
  } catch {
    return 'GONE';
  }
}

describe.runIf(RUN_LXC)('create wizard and attach in a real terminal against real LXC', () => {
  requireLxc();
  let term: TmuxTerm | undefined;

  beforeAll(() => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
  });

  afterAll(() => {
    term?.close();
    env.cleanup();
    rmSync(logDir, { recursive: true, force: true });
    expect(linkExists(bridge)).toBe(false);
  });

  it('c → name → template → network → resources → security → summary → create → y starts it; a attaches, runs a command, exit 3 comes back with its status; processes; console and Ctrl+a q', { timeout: 240_000 }, async () => {
    const t = new TmuxTerm();
    term = t;
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv, 80, 24);
    await t.waitForScreen('the empty list', (s) => s.includes('press c to create one'), 20_000);

    /** One key, then the screen it leads to (a screen reads keys once it is drawn and subscribed). */
    const step = async (keys: string[], what: string, ok: (s: string) => boolean, ms = 10_000): Promise<string> => {
      t.keys(...keys);
      const s = await t.waitForScreen(what, ok, ms);
      await delay(150);
      return s;
    };

    // a storage step (after resources) is there when this host can do more than dir (loop needs only mke2fs)
    let s = await step(['c'], 'the name step', (x) => /step 1 of [67]: Name/.test(x));
    const of = /step 1 of ([67])/.exec(s)![1];
    t.literal(name);
    await step(['Enter'], 'the template step', (x) => x.includes(`step 2 of ${of}: Template`) && /› busybox/.test(x));
    s = await step(['Enter'], 'the network step', (x) => x.includes(`step 3 of ${of}: Network`));
    expect(s).toContain(`bridge ‹ ${bridge}`);
    await step(['Enter'], 'the resources step', (x) => x.includes(`step 4 of ${of}: Resources`));
    t.literal('64M');
    if (of === '7') {
      s = await step(['Enter'], 'the storage step', (x) => x.includes('step 5 of 7: Storage'));
      expect(s).toMatch(/dir \(a directory in the lxcpath\)/);
    }
    s = await step(['Enter'], 'the security step', (x) => x.includes(`step ${of === '7' ? 6 : 5} of ${of}: Security`));
    expect(s).toMatch(/‹ unprivileged/);
    s = await step(['Enter'], 'the summary', (x) => x.includes(`step ${of} of ${of}: Summary`));
    expect(s).toContain(`lxc.uts.name = ${name}`);
    expect(s).toContain('lxc.idmap = u 0 BASE 65536');
    // the command line acts on this lxcpath, not /var/lib/lxc
    s = await step(['PageDown', 'PageDown'], 'the command line', (x) => x.includes(`lxdeck --lxcpath ${env.lxcpath} create ${name}`));
    expect(s).toMatch(/lxc\.cgroup2?\.memory\.(limit_in_bytes|max) = 67108864/);

    s = await step(['Enter'], 'the offer to start', (x) => x.includes(`Created ${name}`) && x.includes('now?'), 60_000);
    expect(lxc('lxc-info', '-s', '-H')).toBe('STOPPED');
    const config = readFileSync(join(env.lxcpath, name, 'config'), 'utf8');
    expect(config).toContain(`lxc.net.0.link = ${bridge}`);
    expect(config).toMatch(/lxc\.cgroup2?\.memory\.(limit_in_bytes|max) = 67108864/);

    s = await step(['y'], `${name} RUNNING in the list`, (x) => /RUNNING/.test(row(x) ?? ''), 60_000);
    expect(s).toContain(`created and started ${name}`);
    expect(lxc('lxc-info', '-s', '-H')).toBe('RUNNING');
    expect(hasFlag(t.stty(), '-icanon'), 'raw mode in the list').toBe(true);

    // attach: the shell inside gets the real terminal (cooked mode, main screen)
    await step(['a'], 'the shell inside', (x) => x.includes(`attached to ${name}`) && /^\/ #\s*$/m.test(x), 30_000);
    expect(t.format('#{alternate_on}')).toBe('0');
    t.literal('echo out-$((6*7)) $(hostname) uid=$(id -u)');
    await step(['Enter'], 'the command output', (x) => x.includes(`out-42 ${name} uid=0`));
    // Ctrl+C typed into the shell is the shell's: lxdeck goes on
    t.keys('C-c');
    await delay(300);
    expect(t.status()).toBeUndefined();
    t.literal('exit 3');
    s = await step(['Enter'], 'the list again', (x) => x.includes(`back from attach to ${name} (exit status 3)`) && row(x) !== undefined, 30_000);
    expect(row(s)).toMatch(/RUNNING/);
    expect(t.format('#{alternate_on}')).toBe('1');
    expect(hasFlag(t.stty(), '-icanon'), 'raw mode again in the list').toBe(true);
    expect(s).not.toContain('out-42'); // redrawn whole: nothing of the shell left on the console's screen

    // keys work again, and the log pane shows what was done with its commands
    s = await step(['l'], 'the action log', (x) => x.includes('Action log') && x.includes(`attach ${name}  ok, exit 3`));
    expect(s).toContain(`create ${name}  ok`);
    expect(s).toContain(`$ lxc-start -P ${env.lxcpath} -n ${name} -d`);
    await step(['Escape'], 'the list', (x) => row(x) !== undefined);

    // the processes view lists the container's init: PID 1 inside, its host PID as lxc-info says
    const initPid = lxc('lxc-info', '-p', '-H');
    s = await step(['p'], 'the processes', (x) => x.includes(`Processes of ${name}`) && new RegExp(`^› +${initPid} +1 +root `, 'm').test(x), 20_000);
    await step(['Escape'], 'the list', (x) => row(x) !== undefined);

    // the console: the escape sequence first, lxc-console gets the terminal, Ctrl+a q comes back
    await step(['o'], 'the escape sequence', (x) => x.includes('type Ctrl+a q'));
    await step(['Enter'], 'lxc-console', (x) => x.includes(`console of ${name}; type Ctrl+a q`) && /Ctrl\+a q/.test(x.split('\n').slice(1).join('\n')), 30_000);
    expect(t.format('#{alternate_on}')).toBe('0');
    t.keys('C-a');
    s = await step(['q'], 'the list after the console', (x) => x.includes(`back from the console of ${name}`) && row(x) !== undefined, 30_000);
    expect(t.format('#{alternate_on}')).toBe('1');
    expect(lxc('lxc-info', '-s', '-H')).toBe('RUNNING');

    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    const after = t.stty();
    expect(hasFlag(after, 'icanon')).toBe(true);
    expect(hasFlag(after, 'echo')).toBe(true);
    expect(t.format('#{alternate_on}')).toBe('0');
  });
});
