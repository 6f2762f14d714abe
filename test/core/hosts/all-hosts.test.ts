import { describe, expect, it } from 'vitest';
import { listAllHosts, withTimeout } from '../../../core/hosts/all-hosts.js';
import { AllHostsBackend, parseRowId, rowId } from '../../../core/hosts/all-backend.js';
import { FakeEngine, summary } from '../../helpers/fake-engine.js';

/** A host whose list never settles (a dead link that drops packets). */
function hangingHost(): FakeEngine {
  const e = new FakeEngine([summary('never')]);
  e.list = () => new Promise(() => undefined);
  return e;
}

describe('listAllHosts', () => {
  it('rows of every host that answered, each with its host; a failing and a hanging host give a status, never rows', async () => {
    const local = new FakeEngine([summary('b', 'RUNNING'), summary('a')]);
    const lab1 = new FakeEngine([summary('web')]);
    const down = new FakeEngine([summary('x')]);
    down.failOn('list', { code: 'E_UNREACHABLE', message: 'root@192.0.2.1:22 is unreachable: connection refused' });
    const res = await listAllHosts(
      [
        { name: 'local', backend: local },
        { name: 'lab1', backend: lab1 },
        { name: 'lab2', backend: down },
        { name: 'lab3', backend: hangingHost() },
      ],
      { timeoutMs: 50 },
    );
    expect(res.containers.map((c) => [c.host, c.name, c.state])).toEqual([
      ['local', 'a', 'STOPPED'],
      ['local', 'b', 'RUNNING'],
      ['lab1', 'web', 'STOPPED'],
    ]);
    expect(res.hosts).toEqual([
      { name: 'local', ok: true },
      { name: 'lab1', ok: true },
      { name: 'lab2', ok: false, code: 'E_UNREACHABLE', error: 'root@192.0.2.1:22 is unreachable: connection refused' },
      { name: 'lab3', ok: false, code: 'E_UNREACHABLE', error: 'lab3 did not answer within 0.1 s' },
    ]);
  });

  it('withTimeout passes a result on and a late rejection is not unhandled', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'h')).resolves.toBe(7);
    let reject!: (e: Error) => void;
    const p = new Promise<number>((_, r) => (reject = r));
    await expect(withTimeout(p, 10, 'h')).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
    reject(new Error('late'));
  });
});

describe('AllHostsBackend', () => {
  it('row ids: local names plain, others HOST:NAME', () => {
    expect(parseRowId('web')).toEqual({ host: 'local', name: 'web' });
    expect(parseRowId('lab1:web')).toEqual({ host: 'lab1', name: 'web' });
    expect(rowId('local', 'web')).toBe('web');
    expect(rowId('lab1', 'web')).toBe('lab1:web');
  });

  it('lists every host, an UNREACHABLE row per host that did not answer, and sends each action to the row host', async () => {
    const local = new FakeEngine([summary('web')]);
    const lab1 = new FakeEngine([summary('web')]);
    const b = new AllHostsBackend(
      [
        { name: 'local', backend: local },
        { name: 'lab1', backend: lab1 },
        { name: 'lab2', backend: hangingHost() },
      ],
      { timeoutMs: 50 },
    );
    expect(b.hostNames()).toEqual(['local', 'lab1', 'lab2']);
    const rows = await b.list();
    expect(rows.map((c) => [c.name, c.host, c.state])).toEqual([
      ['web', 'local', 'STOPPED'],
      ['lab1:web', 'lab1', 'STOPPED'],
      ['lab2:', 'lab2', 'UNREACHABLE'],
    ]);
    await b.start('lab1:web');
    expect(lab1.callsOf('start')).toEqual([['web']]);
    expect(local.callsOf('start')).toEqual([]);
    await b.stop('web');
    expect(local.callsOf('stop')).toEqual([['web', undefined]]);
    expect((await b.info('lab1:web')).name).toBe('lab1:web');
    await expect(b.start('lab2:')).rejects.toMatchObject({ code: 'E_UNREACHABLE', message: expect.stringContaining('lab2 did not answer') });
    await expect(b.start('nohost:x')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it("routes the lifecycle (copy, rename, snapshots, restart, autostart) to the row's host; never across hosts; a host without it refuses", async () => {
    const local = new FakeEngine([summary('web')]);
    const lab1 = new FakeEngine([summary('db')]);
    const bare = new FakeEngine([summary('x')]).without('copy', 'snapshot', 'snapshots', 'restart');
    const b = new AllHostsBackend([
      { name: 'local', backend: local },
      { name: 'lab1', backend: lab1 },
      { name: 'lab2', backend: bare },
    ]);
    await b.list();
    const copied = await b.copy!('lab1:db', 'db2');
    expect(copied.name).toBe('lab1:db2');
    expect(lab1.callsOf('copy')).toEqual([['db', 'db2', undefined]]);
    expect(local.callsOf('copy')).toEqual([]);
    await b.copy!('lab1:db', 'lab1:db3');
    expect(lab1.callsOf('copy')[1].slice(0, 2)).toEqual(['db', 'db3']);
    await expect(b.copy!('lab1:db', 'lab2:db4')).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('copy stays on lab1') });
    await expect(b.rename!('web', 'lab1:web')).rejects.toMatchObject({ code: 'E_USAGE' });
    await b.rename!('web', 'web2');
    expect(local.callsOf('rename')).toEqual([['web', 'web2']]);
    await b.snapshot!('lab1:db', { comment: 'c' });
    expect(lab1.callsOf('snapshot')).toEqual([['db', { comment: 'c' }]]);
    await b.setAutostart!('lab1:db', { auto: true });
    expect(lab1.callsOf('setAutostart')).toEqual([['db', { auto: true }]]);
    await expect(b.snapshot!('lab2:x')).rejects.toMatchObject({ code: 'E_USAGE', message: 'snapshot is not supported on lab2' });
    await expect(b.restart!('lab2:x')).rejects.toMatchObject({ code: 'E_USAGE' });
    // a method no host has is not offered at all (the console hides its key)
    const none = new AllHostsBackend([{ name: 'local', backend: new FakeEngine().without('copy') }]);
    expect(none.copy).toBeUndefined();
    expect(none.rename).toBeDefined();
  });

  it("routes limits and setLimits (the L sliders) to the row's host, the row id kept; a host without them refuses; no host with them: not offered", async () => {
    const local = new FakeEngine([summary('web')]);
    const lab1 = new FakeEngine([summary('db')]);
    const lxd = new FakeEngine([summary('x')]).without('limits', 'setLimits');
    const b = new AllHostsBackend([
      { name: 'local', backend: local },
      { name: 'lab1', backend: lab1 },
      { name: 'lxd', backend: lxd },
    ]);
    await b.list();
    const r = await b.setLimits!('lab1:db', { memory: '64M' });
    expect(r.live).toBe(false);
    expect(lab1.callsOf('setLimits')).toEqual([['db', { memory: '64M' }]]);
    expect(local.callsOf('setLimits')).toEqual([]);
    const l = await b.limits!('lab1:db');
    expect(l.name).toBe('lab1:db');
    expect(lab1.callsOf('limits')).toEqual([['db']]);
    expect((await b.limits!('web')).name).toBe('web');
    expect(local.callsOf('limits')).toEqual([['web']]);
    await expect(b.setLimits!('lxd:x', { pids: '5' })).rejects.toMatchObject({ code: 'E_USAGE', message: 'setLimits is not supported on lxd' });
    await expect(b.limits!('lxd:x')).rejects.toMatchObject({ code: 'E_USAGE' });
    const none = new AllHostsBackend([{ name: 'lxd', backend: new FakeEngine().without('limits', 'setLimits') }]);
    expect(none.limits).toBeUndefined();
    expect(none.setLimits).toBeUndefined();
  });

  it('throws when no host answered (the list says it cannot list)', async () => {
    const down = new FakeEngine([]);
    down.failOn('list', { code: 'E_UNREACHABLE', message: 'refused' });
    await expect(new AllHostsBackend([{ name: 'local', backend: down }]).list()).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
  });
});
