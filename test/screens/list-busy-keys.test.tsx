/**
 * Two races between the list and the screens it opens:
 * an action that finishes while another screen is on top must still settle
 * the busy flag and its outcome (the list takes keys again when it comes back),
 * and keys typed right after the key that opens a screen go to that screen,
 * never to the list below it.
 */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { FakeEngine, fakeCreateEnv, summary } from '../helpers/fake-engine.js';
import { KEY, delay, renderAt, type Rendered } from './render.js';

const theme = { ascii: false, color: false };
let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

function open(engine: FakeEngine): Rendered {
  r = renderAt(<App engine={engine} refreshMs={0} theme={theme} services={{ createEnv: () => fakeCreateEnv() }} />, 80, 24);
  return r;
}

const ACTIONS = ['start', 'stop', 'freeze', 'unfreeze', 'destroy', 'create', 'attach', 'console'] as const;
function actionCalls(e: FakeEngine): unknown[] {
  return ACTIONS.flatMap((m) => e.callsOf(m).map((a) => [m, ...a]));
}

describe('an action that ends while another screen is open', () => {
  it('stop finishes under the action log: back on the list, the outcome shows and action keys work again', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    e.actionDelayMs = 150;
    const s = open(e);
    await s.waitFor((x) => x.includes('web-01'), 'the list');
    await s.press('t', 'l');
    await s.waitFor((x) => !x.includes('RUNNING') && !x.includes('stopping'), 'the log screen');
    await s.waitFor((x) => x.includes('no actions logged yet'), 'the log read');
    await delay(300); // the stop ends while the log is on screen
    expect(e.callsOf('stop').map((a) => a[0])).toEqual(['web-01']);
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('stopped web-01') && !x.includes('stopping'), 'the outcome on the list');
    await s.waitFor((x) => /web-01\s+STOPPED/.test(x), 'the list refreshed');
    await delay(50); // the list's frame is drawn before its key handler is subscribed
    await s.press('s');
    await s.waitFor((x) => x.includes('started web-01'), 'the next action');
    expect(e.callsOf('start')).toEqual([['web-01']]);
  });

  it('a failed freeze under the log screen shows its error on return and leaves the list usable', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    e.actionDelayMs = 150;
    e.failOn('freeze', { code: 'E_CGROUP', message: 'freezer refused', times: 1 } as never);
    const s = open(e);
    await s.waitFor((x) => x.includes('web-01'), 'the list');
    await s.press('f', 'l');
    await delay(300);
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('freezer refused') && !x.includes('freezing'), 'the error on the list');
    // the list's frame is drawn before its key handler is subscribed (a passive effect)
    await delay(50);
    await s.press('f');
    await s.waitFor((x) => x.includes('froze web-01'), 'the second freeze');
    expect(e.callsOf('freeze')).toEqual([['web-01'], ['web-01']]);
  });

  it('one action at a time even when the list was left and came back while it ran', async () => {
    const e = new FakeEngine([summary('a'), summary('b')]);
    e.actionDelayMs = 1000; // long enough to leave for the log and come back while it runs
    const s = open(e);
    await s.waitFor((x) => x.includes(' b '), 'the list');
    await s.press('s', 'l');
    // a lone Esc is held by Ink until the next tick; the log screen re-keys itself once loaded, and
    // Ink drops a held Esc when no handler is subscribed for a moment: let it settle first
    await s.waitFor((x) => x.includes('no actions logged yet'), 'the log screen');
    await delay(50);
    await s.press(KEY.escape);
    await s.waitFor((x) => x.includes('starting a'), 'the busy line back on the list');
    await delay(50);
    await s.press(KEY.down, 's');
    await s.waitFor((x) => x.includes('started a'), 'the first action to finish');
    await delay(50);
    expect(e.callsOf('start')).toEqual([['a']]);
  });
});

describe('keys typed right after the key that opens a screen', () => {
  for (const gap of [0, 1, 20]) {
    it(`c then f a s t ${gap} ms apart: the wizard's name is "fast" and no action runs`, async () => {
      const e = new FakeEngine([summary('web-01', 'RUNNING')]);
      const s = open(e);
      await s.waitFor((x) => x.includes('web-01'), 'the list');
      for (const k of ['c', 'f', 'a', 's', 't']) {
        s.stdin.write(k);
        if (gap > 0) await delay(gap);
      }
      await s.waitFor((x) => x.includes('step 1 of 6: Name') && /name +fast_?$/m.test(x), 'the name "fast" in the wizard');
      await delay(50);
      expect(actionCalls(e)).toEqual([]);
    });
  }

  it('c and the name in one chunk: the name goes to the wizard', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    const s = open(e);
    await s.waitFor((x) => x.includes('web-01'), 'the list');
    s.stdin.write('cfast1');
    await s.waitFor((x) => /name +fast1_?$/m.test(x), 'the name "fast1" in the wizard');
    expect(actionCalls(e)).toEqual([]);
  });

  it('keys pressed before the first list arrives say nothing about a selection', async () => {
    const e = new FakeEngine([summary('web-01', 'RUNNING')]);
    e.listDelayMs = 200;
    const s = open(e);
    await s.waitFor((x) => x.includes('loading'), 'the loading list');
    await s.press('t', 'f', 'i');
    await s.waitFor((x) => x.includes('web-01'), 'the list');
    await delay(50);
    expect(s.frame()).not.toContain('no container selected');
    expect(s.stdout.frames.join('')).not.toContain('no container selected');
    expect(actionCalls(e)).toEqual([]);
  });
});
