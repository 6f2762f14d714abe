/**
 * The list follows a backend's change notices (Backend.watch: LXD's event stream), with polling
 * off (refreshMs 0): a container started elsewhere shows at once; a dropped stream is on the
 * status line until it is back.
 */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/App.js';
import { LxdeckError } from '../../core/errors.js';
import { FakeEngine, fakeCreateEnv, summary } from '../helpers/fake-engine.js';
import { renderAt, type Rendered } from './render.js';

let r: Rendered | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

/** A fake backend that can push change notices, as LxdBackend.watch does from /1.0/events. */
class WatchedEngine extends FakeEngine {
  change: ((c: { name: string | null; action: string }) => void) | null = null;
  error: ((e: Error | null) => void) | null = null;
  unwatched = 0;
  watch(onChange: (c: { name: string | null; action: string }) => void, onError?: (e: Error | null) => void): () => void {
    this.change = onChange;
    this.error = onError ?? null;
    return () => {
      this.unwatched++;
    };
  }
}

const row = (frame: string, name: string) => frame.split('\n').find((l) => l.includes(` ${name} `)) ?? '';

describe('container list over a backend with change notices (LXD events)', () => {
  it('a start made by another client shows at once, without polling; a dropped stream is shown, then cleared', async () => {
    const e = new WatchedEngine([summary('web')]);
    r = renderAt(<App engine={e} refreshMs={0} theme={{ ascii: false, color: false }} services={{ createEnv: () => fakeCreateEnv() }} />, 80, 24);
    await r.waitFor((f) => row(f, 'web').includes('STOPPED'), 'the list');
    expect(e.change).not.toBeNull();
    e.setState('web', 'RUNNING'); // another client started it: nothing polls
    e.change!({ name: 'web', action: 'instance-started' });
    await r.waitFor((f) => row(f, 'web').includes('RUNNING'), 'RUNNING after the event');
    e.error!(new LxdeckError('E_UNREACHABLE', "LXD's event stream at /x closed; reconnecting", { hint: 'is the daemon running?' }));
    await r.waitFor((f) => f.includes('event stream at /x closed'), 'the drop shown');
    e.error!(null);
    await r.waitFor((f) => f.includes('event stream back') && !f.includes('closed; reconnecting'), 'the drop cleared');
    r.unmount();
    r = undefined;
    expect(e.unwatched).toBe(1);
  });
});
