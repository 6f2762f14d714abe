/**
 * src/console/young-gen.ts: the console's young generation stops growing at the cap (V8's
 * new space, both semi-spaces). Each case runs in a Node process of its own (tsc's output in
 * dist/: `npm run build` first) that allocates as a busy console does: many short-lived
 * objects and a share kept.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const mod = join(resolve(import.meta.dirname, '..'), 'dist/src/console/young-gen.js');

function newSpaceAfterWork(cap: boolean): number {
  const code = `
    const { capYoungGeneration, newSpaceBytes } = await import(${JSON.stringify(mod)});
    const stop = ${cap} ? capYoungGeneration(4 * 1024 * 1024) : () => {};
    let keep = [];
    for (let round = 0; round < 300; round++) {
      for (let i = 0; i < 20000; i++) { const o = { a: i, b: 'x' + i, c: [i, i] }; if (i % 20 === 0) keep.push(o); }
      if (keep.length > 100000) keep = keep.slice(50000);
      await new Promise((r) => setImmediate(r)); // a burst at a time, as a stats pass or a frame: the observer runs between them
    }
    stop();
    console.log(newSpaceBytes());
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  expect(r.stderr).toBe('');
  return Number(r.stdout.trim());
}

describe('capYoungGeneration', () => {
  it('new space grows to V8 default maximum without it, and stops at the cap with it', () => {
    const MiB = 1024 * 1024;
    const free = newSpaceAfterWork(false);
    const capped = newSpaceAfterWork(true);
    expect(free).toBeGreaterThanOrEqual(16 * MiB);
    expect(capped).toBeGreaterThanOrEqual(4 * MiB);
    expect(capped).toBeLessThanOrEqual(8 * MiB);
  });
});
