/** The console's all-hosts view (lxdeck --all) over in-memory hosts: HOST column, filter, host picker, UNREACHABLE. */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { AllHostsBackend } from '../../core/hosts/all-backend.js';
import { FakeEngine, passOf, sample, summary } from '../helpers/fake-engine.js';
import { renderAt, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function setup(): { local: FakeEngine; lab1: FakeEngine; all: AllHostsBackend; s: Rendered } {
  const local = new FakeEngine([summary('web', 'RUNNING', { pid: 1234, ipv4: ['10.0.3.5'] }), summary('db')]);
  const lab1 = new FakeEngine([summary('web'), summary('cache', 'RUNNING', { pid: 99 })]);
  const dead = new FakeEngine([summary('gone')]);
  dead.list = () => new Promise(() => undefined); // never answers
  const all = new AllHostsBackend(
    [
      { name: 'local', backend: local },
      { name: 'lab1', backend: lab1 },
      { name: 'lab2', backend: dead },
    ],
    { timeoutMs: 30 },
  );
  r = renderAt(<App engine={all} refreshMs={0} theme={theme} services={{ setup: undefined, checkAtStart: false }} />, 100, 24);
  return { local, lab1, all, s: r };
}

describe('all-hosts console', () => {
  it('a HOST column; every host rows; a host that never answers is one UNREACHABLE row and does not hold back the others', async () => {
    const { s } = setup();
    const f = await s.waitFor((x) => x.includes('lab2:'), 'the list with lab2');
    expect(f).toMatch(/HOST\s+NAME\s+STATE/);
    expect(f).toMatch(/local\s+web\s+RUNNING/);
    expect(f).toMatch(/local\s+db\s+STOPPED/);
    expect(f).toMatch(/lab1\s+lab1:cache\s+RUNNING/);
    expect(f).toMatch(/lab1\s+lab1:web\s+STOPPED/);
    expect(f).toMatch(/lab2\s+lab2:\s+UNREACHABLE/);
    expect(f).toContain('4 containers, 2 running, 1 host unreachable');
    expect(f).toMatch(/H host/);
  });

  it('/ filters on the host too', async () => {
    const { s } = setup();
    await s.waitFor((x) => x.includes('lab2:'));
    await s.press('/');
    await s.press('l', 'a', 'b', '1');
    const f = await s.waitFor((x) => !x.includes('local ') && x.includes('lab1:cache'), 'only lab1 rows');
    expect(f).toContain('lab1:web');
    expect(f).not.toMatch(/^\S?\s*local\s+db/m);
  });

  it('H picks one host at a time, then every host again', async () => {
    const { s } = setup();
    await s.waitFor((x) => x.includes('lab2:'));
    await s.press('H');
    let f = await s.waitFor((x) => x.includes('[host local]'), 'host local');
    expect(f).not.toContain('lab1:');
    expect(f).toMatch(/local\s+db/);
    await s.press('H');
    f = await s.waitFor((x) => x.includes('[host lab1]'), 'host lab1');
    expect(f).toContain('lab1:cache');
    expect(f).not.toMatch(/local\s+db/);
    await s.press('H', 'H');
    f = await s.waitFor((x) => !x.includes('[host '), 'every host');
    expect(f).toMatch(/local\s+db/);
    expect(f).toContain('lab1:cache');
  });

  it('an action on a remote row goes to that host backend, with the container name there', async () => {
    const { s, local, lab1 } = setup();
    await s.waitFor((x) => x.includes('lab2:'));
    // rows: db, web (local), lab1:cache, lab1:web, lab2: (by host, then by name)
    await s.press('G');
    await s.press('k');
    await s.press('s');
    await s.waitFor((x) => /lab1\s+lab1:web\s+RUNNING/.test(x), 'lab1:web RUNNING');
    expect(lab1.callsOf('start')).toEqual([['web']]);
    expect(local.callsOf('start')).toEqual([]);
  });

  it('live CPU and MEM on every row, remote rows too, from each host sampler; a host whose stats stop keeps the others current', async () => {
    const local = new FakeEngine([summary('web', 'RUNNING', { pid: 1234, ipv4: ['10.0.3.5'] })]);
    const lab1 = new FakeEngine([summary('cache', 'RUNNING', { pid: 99 })]);
    const ls = local.withSampler();
    const rs = lab1.withSampler();
    const all = new AllHostsBackend(
      [
        { name: 'local', backend: local },
        { name: 'lab1', backend: lab1 },
      ],
      { timeoutMs: 200, statsTimeoutMs: 300 },
    );
    r = renderAt(<App engine={all} refreshMs={0} statsMs={20} theme={theme} services={{ setup: undefined, checkAtStart: false }} />, 100, 24);
    await r.waitFor((x) => x.includes('lab1:cache'), 'the list');
    const mem = (mb: number) => ({ used: mb * 1024 * 1024, limit: 'max' as const });
    // each host's sampler delivers a pass every 20 ms, as a real one does every interval
    let localCpu = 12.5;
    let lab1Up = true;
    const feed = setInterval(() => {
      ls.emit(passOf([sample('web', { pid: 1234, cpu: { percent: localCpu }, memory: mem(3) })]));
      if (lab1Up) rs.emit(passOf([sample('cache', { pid: 99, cpu: { percent: 42 }, memory: mem(7) })]));
    }, 20);
    try {
      let f = await r.waitFor((x) => /lab1:cache\s+RUNNING\s+42\.0\s+7M\/unlimited/.test(x), 'lab1:cache with CPU and MEM');
      expect(f).toMatch(/local\s+web\s+RUNNING\s+12\.5\s+3M\/unlimited/);
      expect(f).toMatch(/HOST\s+NAME\s+STATE\s+CPU%\s+MEM/);
      // lab1 goes silent (its stats and its list): local's figures still move, and after the
      // stats timeout lab1 shows UNREACHABLE
      lab1Up = false;
      lab1.list = () => new Promise(() => undefined);
      localCpu = 55;
      f = await r.waitFor((x) => /local\s+web\s+RUNNING\s+55\.0/.test(x), 'local figures while lab1 is silent');
      expect(f).toMatch(/lab1:cache/);
      localCpu = 60;
      f = await r.waitFor((x) => /lab1\s+lab1:\s+UNREACHABLE/.test(x), 'lab1 UNREACHABLE', 5000);
      expect(f).toMatch(/local\s+web\s+RUNNING\s+60\.0\s+3M/);
    } finally {
      clearInterval(feed);
    }
  });
});
