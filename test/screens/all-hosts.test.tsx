/** The console's all-hosts view (lxdeck --all) over in-memory hosts: HOST column, filter, host picker, UNREACHABLE. */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { AllHostsBackend } from '../../core/hosts/all-backend.js';
import { FakeEngine, summary } from '../helpers/fake-engine.js';
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
});
