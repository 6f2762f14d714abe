import { afterEach, describe, expect, it } from 'vitest';
import { addressSuggestions, setSuggestionContext, suggestCommand } from '../../core/suggest.js';
import { LxdeckError, formatError } from '../../core/errors.js';
import { createCommandLine } from '../../core/rootfs/create.js';

describe('suggested lxdeck commands carry the lxcpath and remote in use', () => {
  afterEach(() => setSuggestionContext({}));
  const verbs = ['stop', 'start', 'ls', 'create', 'remote'];

  it('adds --lxcpath (quoted) after lxdeck for a known verb, leaves the default lxcpath, prose and addressed commands alone', () => {
    const c = { lxcpath: '/tmp/my lxc', verbs };
    expect(addressSuggestions('stop it first: lxdeck stop web1, or lxdeck ls', c)).toBe("stop it first: lxdeck --lxcpath '/tmp/my lxc' stop web1, or lxdeck --lxcpath '/tmp/my lxc' ls");
    expect(addressSuggestions('lxdeck stop web1', { lxcpath: '/var/lib/lxc/', verbs })).toBe('lxdeck stop web1');
    expect(addressSuggestions('what lxdeck made; /var/lib/lxdeck stop', c)).toBe('what lxdeck made; /var/lib/lxdeck stop');
    expect(addressSuggestions('lxdeck --lxcpath /x stop web1', c)).toBe('lxdeck --lxcpath /x stop web1');
    expect(addressSuggestions('lxdeck start web', { remote: 'lab1', verbs })).toBe('lxdeck --remote lab1 start web');
    expect(suggestCommand(['stop', 'web1'], { lxcpath: '/srv/lxc' })).toBe('lxdeck --lxcpath /srv/lxc stop web1');
  });

  it('formatError addresses every hint through the process context', () => {
    setSuggestionContext({ lxcpath: '/srv/lxc', verbs });
    expect(formatError(new LxdeckError('E_RUNNING', 'web1 is running', { hint: 'stop it first: lxdeck stop web1' })).hint).toBe('stop it first: lxdeck --lxcpath /srv/lxc stop web1');
  });

  it("the create wizard's command line names a non-default lxcpath", () => {
    expect(createCommandLine('web1', { template: 'busybox' }, { lxcpath: '/tmp/trial-lxc' }).line).toBe('lxdeck --lxcpath /tmp/trial-lxc create web1 --template busybox');
    expect(createCommandLine('web1', { template: 'busybox' }, { lxcpath: '/var/lib/lxc' }).line).toBe('lxdeck create web1 --template busybox');
  });
});
