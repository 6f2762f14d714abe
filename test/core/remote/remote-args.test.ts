import { describe, expect, it } from 'vitest';
import { splitRemoteAddressing } from '../../../src/cli-remote.js';

const known = (n: string) => ['lab1', 'note'].includes(n);

describe('NAME:container addressing (incus form)', () => {
  it('strips a known remote prefix from container arguments and reports the remote', () => {
    expect(splitRemoteAddressing(['start', 'lab1:web', 'lab1:db'], known)).toEqual({ args: ['start', 'web', 'db'], remote: 'lab1' });
    expect(splitRemoteAddressing(['ls', 'lab1:', '--json'], known)).toEqual({ args: ['ls', '--json'], remote: 'lab1' });
  });
  it('leaves everything else alone: unknown prefixes, MACs, arguments after --', () => {
    expect(splitRemoteAddressing(['create', 'web', '--hwaddr', '00:16:3e:aa:bb:cc'], known)).toEqual({ args: ['create', 'web', '--hwaddr', '00:16:3e:aa:bb:cc'], remote: undefined });
    expect(splitRemoteAddressing(['snapshot', 'c1', '--comment', 'todo:fix'], known)).toEqual({ args: ['snapshot', 'c1', '--comment', 'todo:fix'], remote: undefined });
    expect(splitRemoteAddressing(['attach', 'lab1:c1', '--', 'echo', 'lab1:x'], known)).toEqual({ args: ['attach', 'c1', '--', 'echo', 'lab1:x'], remote: 'lab1' });
  });
  it('two different remotes in one command are refused', () => {
    expect(() => splitRemoteAddressing(['start', 'lab1:a', 'note:b'], known)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});
