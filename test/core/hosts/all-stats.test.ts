/**
 * The all-hosts stats stream (core/hosts/all-stats.ts) over scripted hosts: samples named by
 * row id with their host, each host's status, and a host that hangs or fails never holding
 * the others' figures. The real thing (a remote over SSH) is in test/integration/all-hosts.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AllHostsStats } from '../../../core/hosts/all-stats.js';
import { AllHostsBackend } from '../../../core/hosts/all-backend.js';
import { LxdeckError } from '../../../core/errors.js';
import type { StatsPass, StatsSource, StatsStreamLike } from '../../../core/stats/types.js';
import { FakeEngine, FakeStatsSource, passOf, sample, summary } from '../../helpers/fake-engine.js';
import { mergeSampled } from '../../../src/state/list-merge.js';

const streams: StatsStreamLike[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.stop();
});

/** A source whose passes never settle (a host that stopped answering). */
const hanging: StatsSource = {
  pass: () => new Promise(() => undefined),
  stream: () => new FakeStatsSource().stream({ intervalMs: 1000 }),
};

/** Collects the next `n` passes of a stream. */
function take(s: StatsStreamLike, n: number): Promise<StatsPass[]> {
  return new Promise((resolve) => {
    const got: StatsPass[] = [];
    const off = s.onPass((p) => {
      got.push(p);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

describe('AllHostsStats', () => {
  it('pass(): every host at once; samples named by row id with their host; a hanging and a failing host are statuses', async () => {
    const local: StatsSource = { pass: async () => passOf([sample('web', { cpu: { percent: 12 } })]), stream: () => hanging.stream({ intervalMs: 1 }) };
    const lab1: StatsSource = { pass: async () => passOf([sample('db', { memory: { used: 1 << 20 } })]), stream: () => hanging.stream({ intervalMs: 1 }) };
    const down: StatsSource = {
      pass: async () => {
        throw new LxdeckError('E_UNREACHABLE', 'root@192.0.2.1:22 is unreachable: connection refused');
      },
      stream: () => hanging.stream({ intervalMs: 1 }),
    };
    const all = new AllHostsStats(
      [
        { name: 'local', source: local },
        { name: 'lab1', source: lab1 },
        { name: 'lab2', source: down },
        { name: 'lab3', source: hanging },
      ],
      { timeoutMs: 50 },
    );
    const p = await all.pass();
    expect(p.containers.map((c) => [c.name, c.host, c.cpu.percent, c.memory.used])).toEqual([
      ['web', 'local', 12, expect.any(Number)],
      ['lab1:db', 'lab1', expect.anything(), 1 << 20],
    ]);
    expect(p.hosts).toEqual([
      { name: 'local', ok: true },
      { name: 'lab1', ok: true },
      { name: 'lab2', ok: false, code: 'E_UNREACHABLE', error: 'root@192.0.2.1:22 is unreachable: connection refused' },
      { name: 'lab3', ok: false, code: 'E_UNREACHABLE', error: 'lab3 did not answer within 0.1 s' },
    ]);
    expect(Object.keys(p.hostTotals)).toEqual(['local', 'lab1']);
    // names are row ids: each host is asked for its own
    const asked: (readonly string[] | undefined)[] = [];
    const spy: StatsSource = { pass: async (n) => (asked.push(n), passOf([])), stream: () => hanging.stream({ intervalMs: 1 }) };
    await new AllHostsStats([{ name: 'local', source: spy }, { name: 'lab1', source: spy }]).pass(['web', 'lab1:db', 'lab9:x']);
    expect(asked).toEqual([['web'], ['db']]);
  });

  it('stream: each host in a loop of its own; a host that stops answering is reported after the timeout while the others keep coming', async () => {
    const local = new FakeStatsSource();
    const lab1 = new FakeStatsSource();
    const all = new AllHostsStats(
      [
        { name: 'local', source: local },
        { name: 'lab1', source: lab1 },
      ],
      { timeoutMs: 200, retryMs: 20 },
    );
    const s = all.stream({ intervalMs: 20 });
    streams.push(s);
    expect(local.open()).toHaveLength(1);
    expect(lab1.open()).toHaveLength(1);
    const first = take(s, 1);
    local.emit(passOf([sample('web', { cpu: { usageUsec: 1 } })]));
    lab1.emit(passOf([sample('db', { cpu: { usageUsec: 7 } })]));
    const [p1] = await first;
    expect(p1.containers.map((c) => c.name)).toEqual(['web', 'lab1:db']);
    expect(p1.hosts).toEqual([
      { name: 'local', ok: true },
      { name: 'lab1', ok: true },
    ]);
    // lab1 goes silent; local keeps sampling: its new figures come through, lab1 turns not ok
    const feed = setInterval(() => local.emit(passOf([sample('web', { cpu: { usageUsec: Date.now() } })])), 10);
    try {
      let p: StatsPass;
      do [p] = await take(s, 1);
      while (p.hosts!.find((h) => h.name === 'lab1')!.ok);
      expect(p.hosts!.find((h) => h.name === 'lab1')).toMatchObject({ ok: false, code: 'E_UNREACHABLE', error: 'lab1 did not answer within 0.2 s' });
      expect(p.containers.map((c) => c.name)).toEqual(['web']);
      const [q] = await take(s, 1);
      expect(q.containers[0].cpu.usageUsec).toBeGreaterThan(p1.containers[0].cpu.usageUsec!);
    } finally {
      clearInterval(feed);
    }
    // it fails, then answers again after retryMs: back in the passes
    lab1.open()[0].fail(new LxdeckError('E_UNREACHABLE', 'root@lab1:22 is unreachable: the connection was lost'));
    const [f] = await take(s, 1);
    expect(f.hosts!.find((h) => h.name === 'lab1')).toMatchObject({ ok: false, error: 'root@lab1:22 is unreachable: the connection was lost' });
    let again: StatsPass;
    do {
      for (const st of lab1.open()) st.emit(passOf([sample('db')]));
      [again] = await take(s, 1);
    } while (!again.hosts!.find((h) => h.name === 'lab1')!.ok);
    expect(again.containers.map((c) => c.name)).toContain('lab1:db');
    s.stop();
    expect(local.open()).toHaveLength(0);
    expect(lab1.open()).toHaveLength(0);
  });

  it('AllHostsBackend.sampler: only when a host has one; a host without one is left out of the stream', () => {
    const a = new FakeEngine([summary('web')]);
    const b = new FakeEngine([summary('db')]);
    expect(new AllHostsBackend([{ name: 'local', backend: a }, { name: 'lab1', backend: b }]).sampler).toBeUndefined();
    const src = b.withSampler();
    const all = new AllHostsBackend([{ name: 'local', backend: a }, { name: 'lab1', backend: b }]);
    const s = all.sampler!().stream({ intervalMs: 50 });
    streams.push(s);
    expect(src.open()).toHaveLength(1);
    expect(all.sampler!()).toBe(all.sampler!());
  });
});

describe('mergeSampled over a pass of several hosts', () => {
  const rows = [
    { ...summary('web', 'RUNNING', { pid: 1 }), host: 'local' },
    { ...summary('lab1:db', 'RUNNING', { pid: 2, ipv4: ['10.0.3.9'] }), host: 'lab1' },
    { ...summary('lab2:x', 'RUNNING', { pid: 3 }), host: 'lab2' },
    { name: 'lab3:', host: 'lab3', state: 'UNREACHABLE' as const, pid: null, ipv4: [], autostart: false },
  ];
  it('rows of hosts that answered follow the pass; the others are kept as they are', () => {
    const m = mergeSampled(rows, [{ ...sample('web', { pid: 11 }), host: 'local' }, { ...sample('lab1:db', { pid: 2 }), host: 'lab1' }, { ...sample('lab1:new', { pid: 5 }), host: 'lab1' }], new Set(), [
      { name: 'local', ok: true },
      { name: 'lab1', ok: true },
    ]);
    expect(m.containers.map((c) => [c.name, c.host, c.state, c.pid])).toEqual([
      ['web', 'local', 'RUNNING', 11],
      ['lab1:db', 'lab1', 'RUNNING', 2],
      ['lab2:x', 'lab2', 'RUNNING', 3],
      ['lab3:', 'lab3', 'UNREACHABLE', null],
      ['lab1:new', 'lab1', 'RUNNING', 5],
    ]);
    expect(m.containers[1].ipv4).toEqual(['10.0.3.9']);
    expect(m.needList).toBe(true); // lab1:new
  });
  it('a host that stops answering asks for a list (which shows it UNREACHABLE) once its rows are not its UNREACHABLE row yet; a host back drops that row', () => {
    const up = [{ name: 'local', ok: true }, { name: 'lab1', ok: true }];
    const same = (xs: typeof rows) => xs.filter((c) => c.host !== 'lab1').map((c) => ({ ...sample(c.name, { pid: c.pid }), host: c.host }));
    expect(mergeSampled(rows.slice(0, 2), same(rows.slice(0, 2)).concat([{ ...sample('lab1:db', { pid: 2 }), host: 'lab1' }]), new Set(), up).needList).toBe(false);
    const down = mergeSampled(rows.slice(0, 2), same(rows.slice(0, 2)), new Set(), [{ name: 'local', ok: true }, { name: 'lab1', ok: false }]);
    expect(down.needList).toBe(true);
    expect(down.containers.map((c) => c.name)).toEqual(['web', 'lab1:db']);
    const shown = [rows[0], { name: 'lab1:', host: 'lab1', state: 'UNREACHABLE' as const, pid: null, ipv4: [], autostart: false }];
    expect(mergeSampled(shown, same(shown), new Set(), [{ name: 'local', ok: true }, { name: 'lab1', ok: false }]).needList).toBe(false);
    const back = mergeSampled(shown, same(shown).concat([{ ...sample('lab1:db', { pid: 2 }), host: 'lab1' }]), new Set(), up);
    expect(back.containers.map((c) => c.name)).toEqual(['web', 'lab1:db']);
    expect(back.needList).toBe(true);
  });
});
