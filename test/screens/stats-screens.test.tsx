import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { displayWidth } from '../../components/text.js';
import { FakeEngine, FakeStatsSource, passOf, sample, summary } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, type Rendered } from './render.js';
import type { StatsSample } from '../../core/stats/types.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function open(engine: FakeEngine, columns = 80, rows = 24, listRefreshMs = 0): Rendered {
  r = renderAt(<App engine={engine} refreshMs={0} listRefreshMs={listRefreshMs} theme={theme} services={{}} />, columns, rows);
  return r;
}

function rowOf(frame: string, name: string): string {
  const line = frame.split('\n').find((l) => new RegExp(`^[› ] ${name} `).test(l));
  if (!line) throw new Error(`no row for ${name} in\n${frame}`);
  return line;
}

const hasRow = (f: string, name: string): boolean => f.split('\n').some((l) => new RegExp(`^[› ] ${name} `).test(l));

/** Every line at most `w` cells, at most `h` lines. */
function fits(frame: string, w: number, h: number): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(h);
  for (const l of lines) expect(displayWidth(l), JSON.stringify(l)).toBeLessThanOrEqual(w);
}

async function setup(containers = [summary('web-01', 'RUNNING'), summary('db-01', 'RUNNING'), summary('old', 'STOPPED')]): Promise<{ e: FakeEngine; src: FakeStatsSource; s: Rendered }> {
  const e = new FakeEngine(containers);
  const src = e.withSampler();
  const s = open(e);
  await s.waitFor((x) => hasRow(x, 'web-01'), 'the first list');
  await delay(20);
  return { e, src, s };
}

describe('container list with live stats', () => {
  it('U2: CPU % and memory used/limit columns, unlimited spelled out, never a sentinel; 80x24 fits', async () => {
    const { src, s } = await setup();
    expect(src.open()).toHaveLength(1); // one stream for the whole console
    src.emit(
      passOf([
        sample('db-01', { cpu: { percent: 12.34 }, memory: { used: 45 << 20, limit: 512 << 20 } }),
        sample('old', { state: 'STOPPED' }),
        sample('web-01', { cpu: { percent: 100 }, memory: { used: 300 << 20, limit: 'max' } }),
      ]),
    );
    const f = await s.waitFor((x) => rowOf(x, 'web-01').includes('300M/unlimited'), 'the stats columns');
    expect(f.split('\n').find((l) => l.includes('CPU%'))).toMatch(/MEM USED\/LIMIT/);
    expect(rowOf(f, 'web-01')).toContain('100.0');
    expect(rowOf(f, 'db-01')).toContain('12.3');
    expect(rowOf(f, 'db-01')).toContain('45M/512M');
    expect(rowOf(f, 'old')).toMatch(/STOPPED\s+-\s+-/);
    expect(f).not.toMatch(/\d{19}/);
    expect(f).not.toMatch(/-\d+(\.\d)?[KMG]/);
    fits(f, 80, 24);
  });

  it('S2: a container gone from the passes turns STOPPED quietly (no error), and a full list follows', async () => {
    const { e, src, s } = await setup();
    src.emit(passOf([sample('db-01'), sample('old', { state: 'STOPPED' }), sample('web-01')]));
    await s.waitFor((x) => rowOf(x, 'web-01').includes('1.0'));
    const before = e.callsOf('list').length;
    e.setState('web-01', 'STOPPED'); // lxc-stop -k from another shell
    src.emit(passOf([sample('db-01'), sample('old', { state: 'STOPPED' }), sample('web-01', { state: 'STOPPED' })]));
    const f = await s.waitFor((x) => rowOf(x, 'web-01').includes('STOPPED'), 'the row to turn STOPPED');
    expect(f).not.toMatch(/✖|error|cannot/i);
    await s.waitFor(() => e.callsOf('list').length > before, 'a list for the addresses', 4000);
    expect(rowOf(s.frame(), 'web-01')).toContain('STOPPED');
  });

  it('passes do not run engine.list (lxc-info): state and PID come from the sampler', async () => {
    const { e, src, s } = await setup();
    const lists = e.callsOf('list').length;
    for (let i = 0; i < 6; i++) {
      src.emit(passOf([sample('db-01', { cpu: { percent: i } }), sample('old', { state: 'STOPPED' }), sample('web-01', { pid: 777 })]));
      await delay(15);
    }
    await s.waitFor((x) => rowOf(x, 'db-01').includes('5.0'));
    expect(rowOf(s.frame(), 'web-01')).toContain('777');
    expect(e.callsOf('list').length).toBe(lists);
  });

  it('a container started elsewhere shows RUNNING from the pass; r lists again', async () => {
    const { e, src, s } = await setup();
    src.emit(passOf([sample('db-01'), sample('old', { pid: 999 }), sample('web-01')]));
    await s.waitFor((x) => rowOf(x, 'old').includes('RUNNING'), 'old RUNNING');
    const n = e.callsOf('list').length;
    await s.press('r');
    await s.waitFor(() => e.callsOf('list').length > n, 'r to list');
  });

  it('a container started elsewhere is listed again until its DHCP address shows', { timeout: 20_000 }, async () => {
    const { e, src, s } = await setup();
    e.setState('old', 'RUNNING'); // lxc-start in another shell; no lease yet
    src.emit(passOf([sample('db-01'), sample('old', { pid: 999 }), sample('web-01')]));
    await s.waitFor((x) => rowOf(x, 'old').includes('RUNNING'));
    const n = e.callsOf('list').length;
    await s.waitFor(() => e.callsOf('list').length > n, 'the list the start asks for', 5000);
    e.setAddress('old', ['10.0.3.77']);
    await s.waitFor((x) => rowOf(x, 'old').includes('10.0.3.77'), 'the address from a follow-up list', 8000);
  });

  it('a failing stream is said once on the status line', async () => {
    const { src, s } = await setup();
    src.open()[0].fail(new Error('mountinfo unreadable'));
    await s.waitFor((x) => x.includes('live stats stopped: mountinfo unreadable'));
  });

  it('without a sampler the list has no stats columns and polls as before', async () => {
    const e = new FakeEngine([summary('a', 'RUNNING')]);
    const s = open(e);
    const f = await s.waitFor((x) => hasRow(x, 'a'));
    expect(f).not.toContain('CPU%');
    expect(f).toContain('PID');
  });

  it('at 60 columns the list drops PID and keeps CPU and memory', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    const src = e.withSampler();
    const s = open(e, 60, 20);
    await s.waitFor((x) => hasRow(x, 'web-01'));
    await delay(20);
    src.emit(passOf([sample('web-01', { memory: { used: 1024 ** 3, limit: 2 * 1024 ** 3 } })]));
    const f = await s.waitFor((x) => rowOf(x, 'web-01').includes('1G/2G'));
    expect(f).not.toContain(' PID');
    fits(f, 60, 20);
  });
});

function fleet(): StatsSample[] {
  return [
    sample('alpha', { cpu: { percent: 5 }, memory: { used: 300 << 20 }, pids: { current: 40 }, blkio: { readBps: 10, writeBps: 0 }, net: { rxBytes: 0, txBytes: 0, rxBps: 5000, txBps: 0, interfaces: [] } }),
    sample('bravo', { cpu: { percent: 80 }, memory: { used: 100 << 20 }, pids: { current: 5 }, blkio: { readBps: 5_000_000, writeBps: 0 }, net: { rxBytes: 0, txBytes: 0, rxBps: 10, txBps: 0, interfaces: [] } }),
    sample('charlie', { cpu: { percent: 20 }, memory: { used: 200 << 20 }, pids: { current: 12 }, blkio: { readBps: 1000, writeBps: 0 }, net: null }),
    sample('delta', { state: 'STOPPED' }),
  ];
}

/** Row names in screen order (lines starting with the pointer column and a name of the fleet). */
function order(frame: string): string[] {
  return frame
    .split('\n')
    .map((l) => /^[› ] (alpha|bravo|charlie|delta) /.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

describe('top screen', () => {
  it('lists the running containers sorted by CPU, and c m b e p n r sort like lxc-top', async () => {
    const e = new FakeEngine(['alpha', 'bravo', 'charlie', 'delta'].map((n) => summary(n, n === 'delta' ? 'STOPPED' : 'RUNNING')));
    const src = e.withSampler();
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'alpha'));
    await s.press('T');
    await s.waitFor((x) => x.includes('top: running containers'));
    src.emit(passOf(fleet()));
    let f = await s.waitFor((x) => order(x).length === 3, 'three running rows');
    expect(order(f)).toEqual(['bravo', 'charlie', 'alpha']);
    fits(f, 80, 24);
    const expectOrder = async (key: string, want: string[]): Promise<void> => {
      await s.press(key);
      f = await s.waitFor((x) => JSON.stringify(order(x)) === JSON.stringify(want), `order after ${key}: ${want}`);
    };
    await expectOrder('m', ['alpha', 'charlie', 'bravo']);
    await expectOrder('b', ['bravo', 'charlie', 'alpha']);
    await expectOrder('e', ['alpha', 'bravo', 'charlie']);
    await expectOrder('p', ['alpha', 'charlie', 'bravo']);
    await expectOrder('n', ['alpha', 'bravo', 'charlie']);
    await expectOrder('r', ['charlie', 'bravo', 'alpha']);
    expect(f).toContain('NAME▼');
    await s.press(KEY.escape);
    await s.waitFor((x) => hasRow(x, 'delta'), 'back to the list');
  });
});

describe('stats detail view', () => {
  it('draws sparklines of the history and the current values; a stopped container is said, not an error', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    const src = e.withSampler();
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'web-01'));
    await s.press('v');
    await s.waitFor((x) => x.includes('stats: web-01'));
    for (const pct of [0, 25, 50, 100, 50]) {
      src.emit(passOf([sample('web-01', { cpu: { percent: pct }, memory: { used: (pct + 1) << 20, limit: 256 << 20 }, blkio: { readBps: pct * 1000, writeBps: 0 } })]));
      await delay(15);
    }
    const f = await s.waitFor((x) => x.includes('50.0% of one CPU'), 'the CPU value');
    const cpu = f.split('\n').find((l) => l.startsWith('CPU'))!;
    expect(cpu).toMatch(/▁.*█/u);
    expect(f.split('\n').find((l) => l.startsWith('memory'))).toContain('of 256M');
    expect(f.split('\n').find((l) => l.startsWith('I/O read'))).toMatch(/49K\/s|48.8K\/s/);
    expect(f).toContain('the last 5 passes');
    fits(f, 80, 24);
    src.emit(passOf([sample('web-01', { state: 'STOPPED' })]));
    const g = await s.waitFor((x) => x.includes('web-01 is STOPPED'));
    expect(g).not.toMatch(/✖/);
  });
});

describe('resource sliders', () => {
  async function openLimits(): Promise<{ e: FakeEngine; src: FakeStatsSource; s: Rendered }> {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    const src = e.withSampler();
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'web-01'));
    src.emit(passOf([sample('web-01', { memory: { used: 40 << 20 } })]));
    await s.press('L');
    await s.waitFor((x) => x.includes('limits: web-01') && x.includes('in effect now'), 'the sliders');
    return { e, src, s };
  }

  it('the list\'s MEM column shows a limit set in the sliders as soon as it is set, after Esc, before the next stats pass', async () => {
    const { e, src, s } = await openLimits();
    const listed = await (async () => {
      await s.press('\u001b[D'); // left from unlimited: the host's memory, 2G
      await s.waitFor(() => e.callsOf('setLimits').length === 1, 'the set');
      await s.waitFor((x) => /^\s+set live and saved/m.test(x), 'applied');
      await s.press(KEY.escape);
      // no pass is emitted after the set: the store's sample carries the new limit
      return s.waitFor((x) => hasRow(x, 'web-01') && !x.includes('limits: web-01'), 'the list');
    })();
    const row = listed.split('\n').find((l) => l.includes(' web-01 '))!;
    expect(row).toMatch(/40M\/2G\b/);
    // the next pass (the sampler's figures) replaces it as usual
    src.emit(passOf([sample('web-01', { memory: { used: 40 << 20, limit: 1 << 30 } })]));
    await s.waitFor((x) => /40M\/1G\b/.test(x.split('\n').find((l) => l.includes(' web-01 ')) ?? ''), 'the next pass');
  });

  it('one slider per limit with the value in effect and current use; 80x24 fits', async () => {
    const { s } = await openLimits();
    const f = await s.waitFor((x) => x.includes('used 40M'));
    for (const label of ['memory', 'swap', 'CPUs', 'CPU weight', 'pids', 'I/O weight']) expect(f).toContain(label);
    expect(f.split('\n').find((l) => l.includes('memory'))).toContain('unlimited');
    expect(f.split('\n').find((l) => l.includes('CPU weight'))).toContain('100 (default)');
    fits(f, 80, 24);
  });

  it('arrow keys move the value and setLimits gets it; Shift+arrow takes a big step; u makes it unlimited', async () => {
    const { e, s } = await openLimits();
    await s.press('\u001b[D'); // left from unlimited: the top of the scale (2 GiB host, 32 MiB steps)
    await s.waitFor(() => e.callsOf('setLimits').length === 1, 'the first set');
    expect(e.callsOf('setLimits')[0]).toEqual(['web-01', { memory: 2 * 1024 ** 3 }]);
    await s.waitFor((x) => /^\s+set live and saved/m.test(x));
    await s.press('\u001b[1;2D'); // Shift+left: 4 rungs of the ladder, a quarter
    await s.waitFor(() => e.callsOf('setLimits').length === 2);
    expect(e.callsOf('setLimits')[1]).toEqual(['web-01', { memory: 512 << 20 }]);
    await s.waitFor((x) => x.split('\n').some((l) => l.includes('memory') && l.includes('512M')));
    await s.press('u');
    await s.waitFor(() => e.callsOf('setLimits').length === 3);
    expect(e.callsOf('setLimits')[2]).toEqual(['web-01', { memory: 'max' }]);
  });

  it('from unlimited, left lands on the host memory, then each press takes about a third off (2G 1.5G 1G 768M 512M), the knob moving each time', async () => {
    const { e, s } = await openLimits();
    const memLine = (x: string): string => x.split('\n').find((l) => /^[› ] memory /.test(l)) ?? '';
    const knobAt = (x: string): number => memLine(x).indexOf('┃');
    const want = ['2G', '1.5G', '1G', '768M', '512M'];
    let knob = knobAt(s.frame());
    for (const [i, shown] of want.entries()) {
      await s.press('\u001b[D');
      const f = await s.waitFor((x) => new RegExp(`\\s${shown.replace('.', '\\.')} used 40M`).test(memLine(x)) && e.callsOf('setLimits').length === i + 1, `memory ${shown}`);
      if (i > 0) expect(knobAt(f)).toBeLessThan(knob); // every press after the first moves the knob left (unlimited and the host's memory both sit at the right end)
      knob = knobAt(f);
      await s.waitFor((x) => /^\s+set live and saved/m.test(x) && !memLine(x).includes('…'), 'applied');
    }
    expect(e.callsOf('setLimits').map((c) => (c[1] as { memory: number }).memory / 2 ** 20)).toEqual([2048, 1536, 1024, 768, 512]);
    // right goes back up the same rungs, and past the host's memory to unlimited
    await s.press('\u001b[C');
    await s.waitFor(() => e.callsOf('setLimits').length === 6);
    expect(e.callsOf('setLimits')[5]).toEqual(['web-01', { memory: 768 << 20 }]);
  });

  it('u on a weight sends default (the saved key removed), not a weight that still writes a key', async () => {
    const { e, s } = await openLimits();
    await s.press(KEY.up); // I/O weight, the last slider
    await s.press('u');
    await s.waitFor(() => e.callsOf('setLimits').length === 1, 'the unset');
    expect(e.callsOf('setLimits')[0]).toEqual(['web-01', { ioWeight: 'default' }]);
    await s.press(KEY.up, KEY.up); // CPU weight
    await s.press('u');
    await s.waitFor(() => e.callsOf('setLimits').length === 2);
    expect(e.callsOf('setLimits')[1]).toEqual(['web-01', { cpuWeight: 'default' }]);
    expect(s.frame()).toMatch(/u unset/);
  });

  it('End sets the top of the scale, Home the lowest: the host memory and the first rung for memory, 10000 and 1 for the CPU weight; the footer shows them', async () => {
    const { e, s } = await openLimits();
    expect(s.frame()).toMatch(/Home\/End min\/max/);
    await s.press('\u001b[F'); // End
    await s.waitFor(() => e.callsOf('setLimits').length === 1, 'End on memory');
    expect(e.callsOf('setLimits')[0]).toEqual(['web-01', { memory: 2 * 1024 ** 3 }]);
    await s.waitFor((x) => /^\s+set live and saved/m.test(x));
    await s.press('\u001b[H'); // Home
    await s.waitFor(() => e.callsOf('setLimits').length === 2, 'Home on memory');
    const low = (e.callsOf('setLimits')[1][1] as { memory: number }).memory;
    expect(low).toBeGreaterThan(0);
    expect(low).toBeLessThan(64 << 20);
    await s.press(KEY.down, KEY.down, KEY.down); // CPU weight
    await s.press('\u001b[F');
    await s.waitFor(() => e.callsOf('setLimits').length === 3, 'End on the CPU weight');
    expect(e.callsOf('setLimits')[2]).toEqual(['web-01', { cpuWeight: 10000 }]);
    await s.press('\u001b[1~'); // Home as the console sends it in some terminals (tmux, linux)
    await s.waitFor(() => e.callsOf('setLimits').length === 4, 'Home on the CPU weight');
    expect(e.callsOf('setLimits')[3]).toEqual(['web-01', { cpuWeight: 1 }]);
  });

  it('a typed value: Ctrl+W erases the last word, Ctrl+U the whole line', async () => {
    const { e, s } = await openLimits();
    await s.press('1', '2', '8', 'M');
    await s.waitFor((x) => x.includes('new value: 128M'));
    await s.press('\u0015'); // Ctrl+U
    await s.waitFor((x) => /new value: \s*$/m.test(x) || /new value: [▌_ ]*$/m.test(x), 'the line erased');
    expect(s.frame()).not.toContain('new value: 128M');
    await s.press('6', '4', 'M');
    await s.waitFor((x) => x.includes('new value: 64M'));
    await s.press('\u0017'); // Ctrl+W
    await s.waitFor((x) => !x.includes('new value: 64M'), 'the word erased');
    await s.press('3', '2', 'M', KEY.enter);
    await s.waitFor(() => e.callsOf('setLimits').length === 1);
    expect(e.callsOf('setLimits')[0]).toEqual(['web-01', { memory: 32 << 20 }]);
  });

  it('keys held down send one value: the last', async () => {
    const { e, s } = await openLimits();
    await s.press(KEY.down, KEY.down); // CPUs
    await s.press('\u001b[D', '\u001b[D', '\u001b[D');
    await s.waitFor(() => e.callsOf('setLimits').length >= 1);
    await delay(400);
    expect(e.callsOf('setLimits')).toEqual([['web-01', { cpus: 1.8 }]]);
  });

  it('a typed value uses the U1 grammar; a bad one is refused with what is accepted, nothing sent', async () => {
    const { e, s } = await openLimits();
    await s.press('256M'); // one read, as typed fast or pasted
    await s.waitFor((x) => x.includes('new value: 256M') && x.includes('accepted:'));
    await s.press(KEY.enter);
    await s.waitFor(() => e.callsOf('setLimits').length === 1);
    expect(e.callsOf('setLimits')[0]).toEqual(['web-01', { memory: 256 << 20 }]);
    await s.press('1', '2', 'x', KEY.enter);
    await s.waitFor((x) => x.includes('invalid size "12x"') && x.includes('hint: accepted: bytes, K M G'), 'the refusal with the grammar');
    await delay(400);
    expect(e.callsOf('setLimits')).toHaveLength(1);
  });

  it("the kernel's refusal is shown beside the slider with its hint, and the value in effect comes back", async () => {
    const { e, s } = await openLimits();
    e.failOn('setLimits', { code: 'E_INVALID_VALUE', message: 'the kernel refused memory.limit_in_bytes = 4194304: Device or resource busy', hint: 'the container uses more than that; free memory first', times: 1 });
    await s.press('1', 'M', KEY.enter);
    const f = await s.waitFor((x) => x.includes('the kernel refused'), 'the refusal');
    expect(f).toContain('hint: the container uses more than that');
    await s.waitFor((x) => x.split('\n').some((l) => / memory .*unlimited/.test(l)), 'the value in effect again');
    fits(s.frame(), 80, 24);
  });

  it('a stopped container: changes are saved for the next start', async () => {
    const e = new FakeEngine([summary('old', 'STOPPED')]);
    e.withSampler();
    const s = open(e);
    await s.waitFor((x) => hasRow(x, 'old'));
    await s.press('L');
    await s.waitFor((x) => x.includes('not running: changes are saved'));
    await s.press(KEY.down, KEY.down, KEY.down, KEY.down); // pids
    await s.press('6', '4', KEY.enter);
    await s.waitFor(() => e.callsOf('setLimits').length === 1);
    expect(e.callsOf('setLimits')[0]).toEqual(['old', { pids: 64 }]);
    await s.waitFor((x) => x.includes('saved: applies at the next start'));
  });
});

describe('R5 with LANG=C (ASCII theme)', () => {
  it('top, stats and sliders draw ASCII only', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    const src = e.withSampler();
    r = renderAt(<App engine={e} refreshMs={0} listRefreshMs={0} theme={{ ascii: true, color: false }} services={{}} />, 80, 24);
    const s = r;
    await s.waitFor((x) => /^[> ] web-01 /m.test(x));
    const emit = (): void => src.emit(passOf([sample('web-01', { cpu: { percent: 30 }, memory: { used: 5 << 20, limit: 64 << 20 } })]));
    emit();
    for (const [key, marker] of [['T', 'top: running'], ['v', 'stats: web-01'], ['L', 'limits: web-01']] as const) {
      await s.press(key);
      await s.waitFor((x) => x.includes(marker), marker);
      emit();
      emit();
      await delay(50);
      const f = s.frame();
      expect(f, f).toMatch(/^[\x20-\x7e\n]*$/);
      fits(f, 80, 24);
      await s.press(KEY.escape);
      await delay(30);
    }
  });
});
