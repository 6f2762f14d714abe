import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../../core/errors.js';
import { containerStateOf, freeze, readFreezerState, thaw, v2FreezerState } from '../../../core/cgroup/freezer.js';
import { HostFs } from '../../../core/host/host-fs.js';
import { openTree, type Tree } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('did not reject');
}

describe('freezer state machine on fixtures', () => {
  let t: Tree | undefined;
  afterEach(() => t?.done());

  it('S3: v2 cgroup.freeze 1 with frozen 0 reads FREEZING (h1 fixture); thaw works from there', async () => {
    t = openTree('h1', true);
    expect(readFreezerState(t.paths, t.fs)).toBe('FREEZING');
    expect(containerStateOf('FREEZING')).toBe('FREEZING');
    expect(await thaw(t.paths, t.fs)).toBe('THAWED');
    expect(readFileSync(join(t.root, 'cgroup2/lxc.payload.web1/cgroup.freeze'), 'utf8')).toBe('0');
    expect(containerStateOf(readFreezerState(t.paths, t.fs)!)).toBe('RUNNING');
  });

  it('S3: an interrupted v2 freeze (signal aborted) is left FREEZING and reported so; thaw recovers', async () => {
    t = openTree('v2', true);
    expect(readFreezerState(t.paths, t.fs)).toBe('THAWED');
    const ac = new AbortController();
    const p = freeze(t.paths, t.fs, { signal: ac.signal, pollMs: 5, timeoutMs: 5000 });
    ac.abort();
    const e = await rejection(p);
    expect(isLxdeckError(e, 'E_CANCELLED')).toBe(true);
    expect((e as Error).message).toContain('FREEZING');
    expect(readFreezerState(t.paths, t.fs)).toBe('FREEZING');
    expect(await thaw(t.paths, t.fs)).toBe('THAWED');
  });

  it('S3: a v2 freeze that never completes times out as E_TIMEOUT, state FREEZING', async () => {
    t = openTree('v2', true);
    const e = await rejection(freeze(t.paths, t.fs, { timeoutMs: 40, pollMs: 5 }));
    expect(isLxdeckError(e, 'E_TIMEOUT')).toBe(true);
    expect(readFreezerState(t.paths, t.fs)).toBe('FREEZING');
  });

  it('v2: the kernel reporting frozen 1 completes the freeze', async () => {
    t = openTree('v2', true);
    const events = join(t.root, 'sys/fs/cgroup/lxc.payload.web1/cgroup.events');
    const p = freeze(t.paths, t.fs, { pollMs: 5 });
    setTimeout(() => writeFileSync(events, 'populated 1\nfrozen 1\n'), 20);
    expect(await p).toBe('FROZEN');
    expect(readFreezerState(t.paths, t.fs)).toBe('FROZEN');
  });

  it('S3: v1 FREEZING is reported, and THAWED is written from it', async () => {
    t = openTree('v1', true);
    const state = join(t.root, 'sys/fs/cgroup/freezer/lxc.payload.web1/freezer.state');
    writeFileSync(state, 'FREEZING\n');
    expect(readFreezerState(t.paths, t.fs)).toBe('FREEZING');
    expect(await thaw(t.paths, t.fs)).toBe('THAWED');
    expect(readFileSync(state, 'utf8')).toBe('THAWED');
    expect(await freeze(t.paths, t.fs)).toBe('FROZEN');
  });

  it('hybrid: a freeze made through the unified hierarchy shows, and thaw clears it too', async () => {
    t = openTree('hybrid', true);
    const uni = join(t.root, 'sys/fs/cgroup/unified/lxc.payload.web1');
    writeFileSync(join(uni, 'cgroup.freeze'), '1\n');
    writeFileSync(join(uni, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    expect(readFreezerState(t.paths, t.fs)).toBe('FROZEN');
    writeFileSync(join(uni, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    expect(await thaw(t.paths, t.fs)).toBe('THAWED');
    expect(readFileSync(join(uni, 'cgroup.freeze'), 'utf8')).toBe('0');
  });

  it('reads: a thawed container costs one file on v1 and v2, two on hybrid; cgroup.events only once cgroup.freeze says 1', () => {
    const counted = (root: string) => {
      const reads: string[] = [];
      const fs = new (class extends HostFs {
        readTextOrNull(p: string): string | null {
          reads.push(p.slice(p.lastIndexOf('/') + 1));
          return super.readTextOrNull(p);
        }
      })(root);
      return { fs, reads };
    };
    for (const [kind, files] of [
      ['v1', ['freezer.state']],
      ['v2', ['cgroup.freeze']],
      ['hybrid', ['freezer.state', 'cgroup.freeze']],
    ] as const) {
      t = openTree(kind, true);
      const c = counted(t.root);
      expect(readFreezerState(t.paths, c.fs), kind).toBe('THAWED');
      expect(c.reads, kind).toEqual(files);
      t.done();
    }
    t = openTree('hybrid', true);
    const uni = join(t.root, 'sys/fs/cgroup/unified/lxc.payload.web1');
    writeFileSync(join(uni, 'cgroup.freeze'), '1\n');
    writeFileSync(join(uni, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    const c = counted(t.root);
    expect(readFreezerState(t.paths, c.fs)).toBe('FREEZING');
    expect(c.reads).toEqual(['freezer.state', 'cgroup.freeze', 'cgroup.events']);
  });

  it('a gone cgroup reads null and freezing it is E_STATE', async () => {
    t = openTree('v2');
    const gone = { v1: {}, v2: '/sys/fs/cgroup/lxc.payload.gone' };
    expect(readFreezerState(gone, t.fs)).toBeNull();
    expect(isLxdeckError(await rejection(freeze(gone, t.fs)), 'E_STATE')).toBe(true);
    expect(v2FreezerState('0', 'populated 0\nfrozen 0\n')).toBe('THAWED');
  });
});
