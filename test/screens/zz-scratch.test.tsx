import React from 'react';
import { it } from 'vitest';
import { App } from '../../src/App.js';
import { FakeEngine, passOf, sample, summary } from '../helpers/fake-engine.js';
import { renderAt } from './render.js';
it('scratch', async () => {
  const e = new FakeEngine([summary('web-01', 'RUNNING')]);
  const src = e.withSampler();
  const s = renderAt(<App engine={e} refreshMs={0} listRefreshMs={0} theme={{ ascii: false, color: false }} services={{}} />, 80, 24);
  await s.waitFor((x) => x.includes('web-01'));
  src.emit(passOf([sample('web-01', { memory: { used: 40 << 20 } })]));
  await s.press('L');
  const f = await s.waitFor((x) => x.includes('in effect now'));
  console.log(f);
  s.unmount();
});
