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

describe('the snapshot listing read from a remote in one command', () => {
  it('parses RS/US records: LXC order, ts as ISO 8601, a comment (even empty or multi-line) only where the file exists', async () => {
    const { parseRemoteSnapshots } = await import('../../../core/remote/backend.js');
    const text = '\x1esnap10\x1f2026:12:06 05:33:28\n\x1f' + '\x1esnap2\x1f2026:12:06 05:30:00\n\x1f1line one\nline two\n' + '\x1esnap3\x1fgarbage\x1f1';
    expect(parseRemoteSnapshots(text)).toEqual([
      { name: 'snap2', created: new Date(2026, 11, 6, 5, 30, 0).toISOString(), comment: 'line one\nline two' },
      { name: 'snap3', created: null, comment: '' },
      { name: 'snap10', created: new Date(2026, 11, 6, 5, 33, 28).toISOString(), comment: null },
    ]);
    expect(parseRemoteSnapshots('')).toEqual([]);
  });
});
