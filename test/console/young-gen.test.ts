/**
 * src/console/young-gen.ts on this process's own V8: new space grown by a burst of surviving
 * allocations is not given back while frames come, and is after an idle spell with the trim.
 */
import { describe, expect, it } from 'vitest';
import { newSpaceBytes, trimYoungGenerationWhenIdle } from '../../src/console/young-gen.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('young generation trim when idle', () => {
  it('frames hold it off; once idle, one young collection lets V8 shrink new space again', async () => {
    // a burst whose objects survive a scavenge or two: V8 grows new space to its largest
    let keep: { i: number; s: string }[] | null = [];
    for (let r = 0; r < 40; r++) {
      for (let i = 0; i < 200_000; i++) keep.push({ i, s: `x${i}` });
      if (keep.length > 600_000) keep = keep.slice(300_000);
    }
    keep = null;
    expect(newSpaceBytes()).toBeGreaterThan(8 * MiB);
    const t = trimYoungGenerationWhenIdle({ idleMs: 300, everyMs: 100 });
    try {
      // frames every 100 ms: never idle, never trimmed
      for (let i = 0; i < 10; i++) {
        t.frame();
        await sleep(100);
      }
      expect(t.trims()).toBe(0);
      // idle: trimmed until V8's allocation rate over its last 5 s is low and it shrinks
      const until = Date.now() + 15_000;
      while (newSpaceBytes() > 4 * MiB && Date.now() < until) await sleep(200);
      expect(t.trims()).toBeGreaterThan(0);
      expect(newSpaceBytes()).toBeLessThanOrEqual(4 * MiB);
      // small already: no more collections asked for
      const n = t.trims();
      await sleep(500);
      expect(t.trims()).toBe(n);
    } finally {
      t.stop();
    }
  }, 30_000);
});
