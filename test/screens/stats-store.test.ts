import { describe, expect, it } from 'vitest';
import { PointRing, StatsStore } from '../../src/state/stats-store.js';
import { mergeSampled } from '../../src/state/list-merge.js';
import { liveCellsOf } from '../../src/screens/ContainerList.js';
import { SLIDERS, fractionOf, stepValue, valueOf } from '../../src/state/limit-sliders.js';
import { compactBytes, limitText, memText } from '../../src/screens/stats-format.js';
import { FakeStatsSource, passOf, sample, summary } from '../helpers/fake-engine.js';

describe('stats store', () => {
  it('the history ring is bounded: the oldest samples drop, newest last', () => {
    const st = new StatsStore({ historySize: 5 });
    for (let i = 0; i < 12; i++) st.ingest(passOf([sample('a', { cpu: { percent: i } })]));
    const h = st.history('a');
    expect(h).toHaveLength(5);
    expect(h.map((s) => s.cpu.percent)).toEqual([7, 8, 9, 10, 11]);
    expect(st.getSnapshot().version).toBe(12);
  });

  it('the history keeps the sparkline figures of older passes and the whole newest sample', () => {
    const st = new StatsStore({ historySize: 3 });
    const net = { rxBytes: 10, txBytes: 20, rxBps: 1, txBps: 2, interfaces: ['veth0'] };
    for (let i = 0; i < 4; i++) st.ingest(passOf([sample('a', { cpu: { percent: i, limitCpus: 2 }, memory: { used: 100 + i, limit: 1 << 20 }, net: { ...net, rxBps: i } })]));
    const h = st.history('a');
    expect(h.map((s) => [s.cpu.percent, s.memory.used, s.net?.rxBps])).toEqual([
      [1, 101, 1],
      [2, 102, 2],
      [3, 103, 3],
    ]);
    // older: the drawn figures only; newest: the sample as the pass gave it
    expect(h[0].cpu.limitCpus).toBeNull();
    expect(h[0].memory.limit).toBeNull();
    expect(h[2]).toBe(st.getSnapshot().latest.get('a'));
    expect(h[2].cpu.limitCpus).toBe(2);
    expect(h[2].memory.limit).toBe(1 << 20);
  });

  it('PointRing keeps capacity points in order, nulls as null, and refuses a zero capacity', () => {
    const r = new PointRing(3);
    [1, 2, 3, 4].forEach((x) => r.push(sample('a', { cpu: { percent: x }, memory: { used: x * 100, swap: null }, net: null, state: x === 4 ? 'FROZEN' : 'RUNNING' })));
    expect(r.length).toBe(3);
    const pts = r.toArray();
    expect(pts.map((p) => [p.cpuPercent, p.memUsed, p.state])).toEqual([
      [2, 200, 'RUNNING'],
      [3, 300, 'RUNNING'],
      [4, 400, 'FROZEN'],
    ]);
    expect(pts[0].swap).toBeNull();
    expect(pts[0].net).toBe(false);
    r.push(sample('a', { state: 'FREEZING', pid: null, cpu: { percent: null }, net: { rxBytes: 1, txBytes: 2, rxBps: 5, txBps: null, interfaces: [] } }));
    const last = r.toArray()[2];
    expect(last).toMatchObject({ state: 'FREEZING', pid: null, cpuPercent: null, net: true, rxBps: 5, txBps: null });
    expect(() => new PointRing(0)).toThrow(RangeError);
  });

  it("the list's cells: the last map again when no cell changed, a new one keeping the unchanged cells when one did", () => {
    const st = new StatsStore();
    const a = sample('a', { cpu: { percent: 1.25 } });
    const b = sample('b', { memory: { used: 10 << 20, limit: 'max' } });
    st.ingest(passOf([a, b, sample('c', { state: 'STOPPED' })]));
    const first = liveCellsOf(st.getSnapshot());
    expect([...first]).toEqual([
      ['a', { cpu: '1.3', mem: '10M/unlimited' }],
      ['b', { cpu: '1.0', mem: '10M/unlimited' }],
    ]);
    // the next pass: new sample objects, the same figures (as the sampler gives idle containers)
    st.ingest(passOf([{ ...a }, { ...b, memory: { ...b.memory } }, sample('c', { state: 'STOPPED' })]));
    expect(liveCellsOf(st.getSnapshot(), first)).toBe(first);
    st.ingest(passOf([{ ...a, cpu: { ...a.cpu, percent: 50 } }, b, sample('c', { state: 'STOPPED' })]));
    const third = liveCellsOf(st.getSnapshot(), first);
    expect(third).not.toBe(first);
    expect(third.get('a')).toEqual({ cpu: '50.0', mem: '10M/unlimited' });
    expect(third.get('b')).toBe(first.get('b'));
    // a container that stops loses its cells
    st.ingest(passOf([sample('a', { state: 'STOPPED' }), b]));
    expect([...liveCellsOf(st.getSnapshot(), third).keys()]).toEqual(['b']);
  });

  it('a container gone from the passes is forgotten; a stopped one keeps its history', () => {
    const st = new StatsStore();
    st.ingest(passOf([sample('a'), sample('b')]));
    st.ingest(passOf([sample('a', { state: 'STOPPED' })]));
    expect(st.history('b')).toEqual([]);
    expect(st.history('a').map((s) => s.state)).toEqual(['RUNNING', 'STOPPED']);
  });

  it('snapshots change once per pass, listeners hear each pass once', () => {
    const st = new StatsStore();
    let calls = 0;
    const off = st.subscribe(() => calls++);
    const s0 = st.getSnapshot();
    expect(st.getSnapshot()).toBe(s0);
    st.ingest(passOf([sample('a')]));
    expect(st.getSnapshot()).not.toBe(s0);
    expect(calls).toBe(1);
    off();
    st.ingest(passOf([sample('a')]));
    expect(calls).toBe(1);
  });

  it('connect runs ONE stream; a failed stream is reported and started again; disconnect stops it', async () => {
    const st = new StatsStore({ retryMs: 20 });
    const src = new FakeStatsSource();
    const stop = st.connect(src, 1000);
    expect(src.open()).toHaveLength(1);
    expect(src.streams[0].opts.intervalMs).toBe(1000);
    src.emit(passOf([sample('a')]));
    expect(st.getSnapshot().latest.get('a')?.state).toBe('RUNNING');
    src.open()[0].fail(new Error('boom'));
    expect(st.getSnapshot().error?.message).toBe('boom');
    await new Promise((r) => setTimeout(r, 50));
    expect(src.open()).toHaveLength(1);
    expect(src.streams).toHaveLength(2);
    src.emit(passOf([sample('a')]));
    expect(st.getSnapshot().error).toBeNull();
    stop();
    expect(src.open()).toHaveLength(0);
  });
});

describe('mergeSampled', () => {
  const list = [summary('a', 'RUNNING', { ipv4: ['10.0.3.2'], autostart: true }), summary('b', 'STOPPED'), summary('skipme', 'STOPPED')];

  it('same states and PIDs: the same array, no list needed', () => {
    const m = mergeSampled(list, [sample('a', { pid: list[0].pid }), sample('b', { state: 'STOPPED' })], new Set(['skipme']));
    expect(m.changed).toBe(true); // skipme is not in the pass
    const m2 = mergeSampled(m.containers, [sample('a', { pid: list[0].pid }), sample('b', { state: 'STOPPED' }), sample('skipme', { state: 'STOPPED' })], new Set(['skipme']));
    expect(m2.changed).toBe(false);
    expect(m2.containers).toBe(m.containers);
    expect(m2.needList).toBe(false);
  });

  it('S2/S3: stopped, frozen and freezing from the pass; addresses dropped and a list asked for only when running-ness flips', () => {
    const m = mergeSampled(list, [sample('a', { state: 'FREEZING', pid: list[0].pid }), sample('b', { state: 'STOPPED' }), sample('skipme', { state: 'STOPPED' })]);
    expect(m.containers[0]).toMatchObject({ state: 'FREEZING', ipv4: ['10.0.3.2'], autostart: true });
    expect(m.needList).toBe(false);
    const g = mergeSampled(list, [sample('a', { state: 'STOPPED' }), sample('b', { pid: 77 }), sample('skipme', { state: 'STOPPED' })]);
    expect(g.containers[0]).toMatchObject({ state: 'STOPPED', pid: null, ipv4: [] });
    expect(g.containers[1]).toMatchObject({ state: 'RUNNING', pid: 77 });
    expect(g.needList).toBe(true);
  });

  it('new names are added (sorted, after the others), vanished ones dropped', () => {
    const m = mergeSampled(list, [sample('zz', { state: 'STOPPED' }), sample('c'), sample('a', { pid: list[0].pid })]);
    expect(m.containers.map((c) => c.name)).toEqual(['a', 'c', 'zz']);
    expect(m.needList).toBe(true);
  });
});

describe('stats texts (U2)', () => {
  it('sizes are short, unlimited is spelled out, unknown is -', () => {
    expect(compactBytes(512 * 1024 ** 2)).toBe('512M');
    expect(compactBytes(1.5 * 1024 ** 3)).toBe('1.5G');
    expect(compactBytes(1023.9 * 1024)).toBe('1M');
    expect(compactBytes(null)).toBe('-');
    expect(compactBytes(-1)).toBe('-');
    expect(limitText('max')).toBe('unlimited');
    expect(memText(sample('a', { memory: { used: 10 << 20, limit: 'max' } }))).toBe('10M/unlimited');
    expect(memText(sample('a', { state: 'STOPPED' }))).toBe('-');
  });
});

describe('slider scales', () => {
  const host = { memoryBytes: 2 * 1024 ** 3, cpus: 2 };
  const mem = SLIDERS.find((s) => s.id === 'memory')!;
  const cpus = SLIDERS.find((s) => s.id === 'cpus')!;
  const weight = SLIDERS.find((s) => s.id === 'cpuWeight')!;

  it('from unlimited one step down is the top of the scale, then rungs about 1.5x apart; past the top is unlimited again', () => {
    const sc = mem.scale(host);
    expect(sc.max).toBe(2 * 1024 ** 3);
    expect(sc.ladder!.slice(-6).map((x) => x / 2 ** 20)).toEqual([384, 512, 768, 1024, 1536, 2048]);
    expect(stepValue('max', sc, -1)).toBe(2 * 1024 ** 3);
    expect(stepValue(2 * 1024 ** 3, sc, -1)).toBe(1536 << 20);
    expect(stepValue(1536 << 20, sc, -1)).toBe(1024 << 20);
    expect(stepValue(2 * 1024 ** 3, sc, -1, true)).toBe(512 << 20); // a big step: 4 rungs, a factor of 4
    expect(stepValue('max', sc, -1, true)).toBe(2 * 1024 ** 3); // from unlimited even a big step stops at the host's memory first
    expect(stepValue(300 << 20, sc, -1)).toBe(256 << 20); // a typed value between rungs: to the next rung
    expect(stepValue(300 << 20, sc, 1)).toBe(384 << 20);
    expect(stepValue(2 * 1024 ** 3, sc, 1)).toBe('max');
    expect(stepValue(2 * 1024 ** 3 - (10 << 20), sc, 1)).toBe(2 * 1024 ** 3);
    expect(stepValue(sc.min, sc, -1)).toBe(sc.min);
    expect(sc.min).toBe(4 << 20);
    expect(stepValue(2 << 20, sc, -1)).toBe(2 << 20); // typed under the scale: left never raises it
    expect(stepValue(2 << 20, sc, 1)).toBe(sc.min);
    expect(stepValue(null, sc, 1)).toBe(512 << 20);
    // the knob moves as far for each rung
    const f = sc.ladder!.map((v) => fractionOf(v, sc)!);
    expect(f[0]).toBe(0);
    expect(f[f.length - 1]).toBe(1);
    for (let i = 1; i < f.length; i++) expect(f[i] - f[i - 1]).toBeCloseTo(1 / (f.length - 1));
  });

  it('on a large host the steps stay a share of the value: 24 GiB down to 256 MiB in 14 presses, not 94', () => {
    const sc = mem.scale({ memoryBytes: 24 * 1024 ** 3, cpus: 8 });
    let v: number | 'max' = 'max';
    const seen: number[] = [];
    while (v === 'max' || v > 256 << 20) {
      v = stepValue(v, sc, -1);
      seen.push(v as number);
    }
    expect(seen.map((x) => x / 2 ** 20)).toEqual([24576, 16384, 12288, 8192, 6144, 4096, 3072, 2048, 1536, 1024, 768, 512, 384, 256]);
    const swap = SLIDERS.find((s) => s.id === 'swap')!.scale({ memoryBytes: 24 * 1024 ** 3, cpus: 8 });
    expect(stepValue(4 << 20, swap, -1)).toBe(0);
    expect(stepValue(0, swap, 1)).toBe(4 << 20);
  });

  it('CPUs step by 0.1 and 0.5 without float drift; a weight stops at 10000', () => {
    const sc = cpus.scale(host);
    expect(stepValue(1, sc, -1)).toBe(0.9);
    expect(stepValue(0.3, sc, 1)).toBe(0.4);
    expect(stepValue(1, sc, 1, true)).toBe(1.5);
    expect(stepValue(10000, weight.scale(host), 1)).toBe(10000);
    expect(fractionOf('max', sc)).toBe(1);
    expect(fractionOf(null, sc)).toBeNull();
  });

  it('the value in effect, or the one saved in the config of a stopped container', () => {
    const saved = [
      { key: 'lxc.cgroup.memory.limit_in_bytes', value: '536870912' },
      { key: 'lxc.cgroup.memory.memsw.limit_in_bytes', value: '805306368' },
      { key: 'lxc.cgroup2.cpu.max', value: '150000 100000' },
      { key: 'lxc.cgroup.cpu.shares', value: '2048' },
      { key: 'lxc.cgroup2.pids.max', value: 'max' },
    ];
    const l = { name: 'x', running: false, layout: 'hybrid' as const, applied: null, saved, ignored: [] };
    const by = (id: string) => valueOf(SLIDERS.find((s) => s.id === id)!, l);
    expect(by('memory')).toBe(512 << 20);
    expect(by('swap')).toBe(256 << 20);
    expect(by('cpus')).toBe(1.5);
    expect(by('cpuWeight')).toBe(200);
    expect(by('pids')).toBe('max');
    expect(by('ioWeight')).toBeNull();
  });
});
