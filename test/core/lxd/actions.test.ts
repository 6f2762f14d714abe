import { describe, expect, it } from 'vitest';
import { recordActions, renderEquivalent, type ActionEntry } from '../../../core/actionlog/index.js';
import { LxdeckError } from '../../../core/errors.js';
import { LXD_ACTION_SPECS, lxcClientArgv } from '../../../core/lxd/actions.js';
import { clusteredFrom } from '../../../core/lxd/backend.js';

const line = (method: string, lxcpath: string, args: unknown[], result?: unknown) => renderEquivalent(LXD_ACTION_SPECS[method].equivalent(lxcpath, args, result));
const DEFAULT = 'lxd:/var/lib/lxd/unix.socket';

describe('LXD action log specs (LXD 5.0 lxc client equivalents)', () => {
  it('names the daemon: nothing for the default socket, env LXD_DIR for another LXD_DIR, a note for an odd socket', () => {
    expect(lxcClientArgv(DEFAULT)).toEqual({ argv: ['lxc'] });
    expect(lxcClientArgv('lxd:/tmp/t/lxd/unix.socket')).toEqual({ argv: ['env', 'LXD_DIR=/tmp/t/lxd', 'lxc'] });
    expect(line('start', 'lxd:/run/x.sock', ['web'])).toBe('lxc start web # LXD at /run/x.sock');
  });

  it('lifecycle verbs map to lxc start/stop/restart/pause/delete', () => {
    expect(line('start', DEFAULT, ['web'])).toBe('lxc start web');
    expect(line('stop', DEFAULT, ['web', { timeoutSec: 5 }])).toBe('lxc stop web --timeout 5');
    expect(line('stop', DEFAULT, ['web', { kill: true }])).toBe('lxc stop web --force');
    expect(line('restart', DEFAULT, ['web', {}])).toBe('lxc restart web --timeout 30');
    expect(line('freeze', DEFAULT, ['web'])).toBe('lxc pause web');
    expect(line('unfreeze', DEFAULT, ['web'])).toBe("lxc start web # LXD's client resumes a frozen instance with start");
    expect(line('destroy', 'lxd:/tmp/t/lxd/unix.socket', ['web', { force: true }])).toBe('env LXD_DIR=/tmp/t/lxd lxc delete web --force');
  });

  it('create is lxc init with the config LXD saved (or the options asked when it failed), and start after it', () => {
    const made = { name: 'web', config: { 'limits.memory': '128MiB', 'limits.cpu': '1', 'volatile.base_image': 'abc' } };
    expect(line('create', DEFAULT, ['web', { image: 'bb', memory: '128M', cpus: 1, profiles: ['default', 'x'], bridge: 'br1', target: 'm2', start: true }], made)).toBe(
      'lxc init bb web -p default -p x -c limits.cpu=1 -c limits.memory=128MiB --network br1 --target m2 && lxc start web',
    );
    expect(line('create', DEFAULT, ['web', { image: 'bb', memory: '128M', privileged: true }])).toBe('lxc init bb web -c limits.memory=128M -c security.privileged=true');
  });

  it('limits are lxc config set / unset; exec and attach are lxc exec', () => {
    expect(line('setLimits', DEFAULT, ['web', { memory: '64M', cpus: 'max' }], { saved: [{ key: 'limits.memory', value: '64MiB' }], removed: ['limits.cpu'] })).toBe(
      'lxc config set web limits.memory=64MiB && lxc config unset web limits.cpu',
    );
    expect(line('setLimits', DEFAULT, ['web', { memory: 'x' }])).toBe('# requested {"memory":"x"}');
    expect(line('exec', DEFAULT, ['web', ['sh', '-c', 'exit 3']])).toBe("lxc exec web -- sh -c 'exit 3'");
    expect(line('attach', DEFAULT, ['web'])).toBe('lxc exec web -- sh');
    expect(line('console', DEFAULT, ['web'])).toBe('lxc console web');
  });

  it('recordActions with these specs records an LXD-like backend: the result, the error code, exec exit status', async () => {
    const entries: ActionEntry[] = [];
    const fake = {
      lxcpath: DEFAULT,
      async start(_n: string) {},
      async freeze(n: string) {
        throw new LxdeckError('E_STATE', `LXD: ${n} is not running`);
      },
      async exec(_n: string, argv: string[]) {
        return { argv, exitCode: 3, stdout: '', stderr: '' };
      },
      async list() {
        return [];
      },
    };
    const b = recordActions(fake, (e) => entries.push(e), { specs: LXD_ACTION_SPECS, env: { SUDO_USER: 'ann' }, now: () => 0 });
    await b.start('web');
    await expect(b.freeze('web')).rejects.toThrow(/not running/);
    await b.exec('web', ['false']);
    await b.list();
    expect(entries.map((e) => [e.user, e.container, e.action, e.command, e.result, e.exitStatus])).toEqual([
      ['ann', 'web', 'start', 'lxc start web', 'ok', undefined],
      ['ann', 'web', 'freeze', 'lxc pause web', 'E_STATE', undefined],
      ['ann', 'web', 'attach', 'lxc exec web -- false', 'ok', 3],
    ]);
  });
});

describe('clusteredFrom: LXD 5.0 instances carry their member as location, "none" when not clustered', () => {
  it('reads it from the list, and cannot from an empty one', () => {
    expect(clusteredFrom([{ location: 'none' }, { location: 'none' }])).toBe(false);
    expect(clusteredFrom([{ location: 'm1' }])).toBe(true);
    expect(clusteredFrom([])).toBeUndefined();
  });
});
