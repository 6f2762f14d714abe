import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LxcConfig } from '../../core/lxc/config.js';
import { applyAutostartSettings, autostartPlan, parseGroupSelection, readAutostart, readGroups, type AutostartCandidate } from '../../core/lxc/autostart.js';
import { listSnapshots, parseSnapshotTs, validateSnapshotName } from '../../core/lxc/snapshot.js';
import { assertNotProtected, isProtected, writeProtected } from '../../core/lxc/protect.js';
import { ACTION_SPECS, renderEquivalent } from '../../core/actionlog/record.js';
import { isLxdeckError } from '../../core/errors.js';
import { atomicWrite } from '../../core/engine.js';

const tmp = mkdtempSync(join(tmpdir(), 'lxdeck-lifecycle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lxc.group and autostart keys as LXC reads them (confile.c set_config_group)', () => {
  it('splits a value at white space, accumulates lines, and an empty value clears what came before', () => {
    const cfg = LxcConfig.parse('lxc.group = a b\nlxc.group = old\nlxc.group =\nlxc.group = onboot\tweb\nlxc.group = web\n', 'x');
    expect(readGroups(cfg)).toEqual(['onboot', 'web']);
  });

  it('writes only the given fields, keeps other lines and comments, null removes a key', () => {
    const cfg = LxcConfig.parse('# mine\nlxc.uts.name = x\nlxc.group = old\nlxc.start.delay = 3\n', 'x');
    expect(applyAutostartSettings(cfg, { auto: true, order: -5, groups: ['onboot', 'web'], delay: null })).toEqual([
      'lxc.start.auto = 1',
      'lxc.start.order = -5',
      'lxc.start.delay unset',
      'lxc.group = onboot; lxc.group = web',
    ]);
    const text = cfg.toString();
    expect(text).toContain('# mine\nlxc.uts.name = x\n');
    expect(text).not.toContain('old');
    expect(readAutostart(LxcConfig.parse(text, 'x'))).toEqual({ auto: true, order: -5, delay: null, groups: ['onboot', 'web'] });
  });

  it('refuses group names LXC or lxc-autostart -g would split, and orders out of range', () => {
    for (const g of ['a,b', 'a b', '', 'x#y'])
      expect(() => applyAutostartSettings(LxcConfig.parse('', 'x'), { groups: [g] })).toThrow(/not a group name/);
    expect(() => applyAutostartSettings(LxcConfig.parse('', 'x'), { order: 2 ** 31 })).toThrow(/whole number/);
    expect(() => applyAutostartSettings(LxcConfig.parse('', 'x'), { delay: -1 })).toThrow(/whole seconds/);
  });

  it('plans as lxc_autostart.c: auto only, ascending order then name, one pass per group, "" = no group', () => {
    const c = (name: string, auto: boolean, order: number | null, groups: string[] = []): AutostartCandidate => ({ name, settings: { auto, order, delay: null, groups } });
    const all = [c('z', true, 20), c('b', true, 10), c('a', true, 10), c('g', true, 1, ['onboot']), c('off', false, 0), c('n', true, null), c('w', true, 0, ['web', 'onboot'])];
    expect(autostartPlan(all).map((x) => x.name)).toEqual(['n', 'a', 'b', 'z']);
    expect(autostartPlan(all, ['onboot']).map((x) => x.name)).toEqual(['w', 'g']);
    expect(autostartPlan(all, parseGroupSelection(['web,onboot', ''])).map((x) => x.name)).toEqual(['w', 'g', 'n', 'a', 'b', 'z']);
    expect(parseGroupSelection(['onboot,', 'onboot'])).toEqual(['onboot', '']);
  });
});

describe('snapshots in lxc-snapshot layout', () => {
  it('N1: refuses names that are paths, options, NUL, empty or ALL, with the rule', () => {
    for (const bad of ['a/b', '../x', '-rf', 'x\0y', '', 'ALL', '.', '..', 'a'.repeat(64)]) {
      try {
        validateSnapshotName(bad);
        throw new Error(`accepted ${JSON.stringify(bad)}`);
      } catch (e) {
        expect(isLxdeckError(e, 'E_NAME_INVALID')).toBe(true);
        expect((e as Error).message).toMatch(/letters, digits/);
      }
    }
    for (const ok of ['snap0', 'snap12', 'before-upgrade']) expect(() => validateSnapshotName(ok)).not.toThrow();
  });

  it('lists snaps/* with a config, snap2 before snap10, reading ts (local time) and comment', async () => {
    const dir = join(tmp, 'c1');
    for (const [s, ts, comment] of [['snap10', '2026:01:02 03:04:05', null], ['snap2', '2026:12:04 23:15:53', 'hello\n'], ['junk', null, null]] as const) {
      mkdirSync(join(dir, 'snaps', s), { recursive: true });
      if (s === 'junk') continue;
      writeFileSync(join(dir, 'snaps', s, 'config'), '');
      if (ts) writeFileSync(join(dir, 'snaps', s, 'ts'), ts);
      if (comment) writeFileSync(join(dir, 'snaps', s, 'comment'), comment);
    }
    expect(await listSnapshots(dir)).toEqual([
      { name: 'snap2', created: new Date(2026, 11, 4, 23, 15, 53).toISOString(), comment: 'hello' },
      { name: 'snap10', created: new Date(2026, 0, 2, 3, 4, 5).toISOString(), comment: null },
    ]);
    expect(await listSnapshots(join(tmp, 'none'))).toEqual([]);
    expect(parseSnapshotTs('garbage')).toBeNull();
  });
});

describe('delete protection in the sidecar', () => {
  it('keeps the other fields, makes a sidecar when there is none, and refuses on unreadable JSON (fail safe)', async () => {
    const dir = join(tmp, 'p1');
    mkdirSync(dir);
    await writeProtected(dir, false, atomicWrite);
    expect(() => readFileSync(join(dir, 'lxdeck.json'))).toThrow();
    await writeProtected(dir, true, atomicWrite);
    expect(JSON.parse(readFileSync(join(dir, 'lxdeck.json'), 'utf8'))).toEqual({ protected: true });
    writeFileSync(join(dir, 'lxdeck.json'), JSON.stringify({ template: 'busybox', idmapBase: 100000, protected: true }));
    await expect(assertNotProtected(dir, 'p1')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_PROTECTED') && e.hint === 'lxdeck protect p1 off');
    await writeProtected(dir, false, atomicWrite);
    expect(JSON.parse(readFileSync(join(dir, 'lxdeck.json'), 'utf8'))).toEqual({ template: 'busybox', idmapBase: 100000 });
    expect(await isProtected(dir)).toBe(false);
    writeFileSync(join(dir, 'lxdeck.json'), '{broken');
    await expect(assertNotProtected(dir, 'p1')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_CONFIG'));
  });
});

describe('action log equivalents of the lifecycle methods', () => {
  const eq = (m: string, args: unknown[], result?: unknown) => renderEquivalent(ACTION_SPECS[m].equivalent('/L', args, result));
  it('names the lxc-* command of each', () => {
    // a stop and a start (the saved config); lxc-stop -r only for an ephemeral container (its config says lxc.ephemeral = 1)
    expect(eq('restart', ['c'])).toBe('lxc-stop -P /L -n c -t 30 && lxc-start -P /L -n c -d');
    expect(eq('restart', ['c', { kill: true }])).toBe('lxc-stop -P /L -n c -k && lxc-start -P /L -n c -d');
    expect(eq('snapshot', ['c', {}], { name: 'snap3' })).toBe('lxc-snapshot -P /L -n c # made snap3');
    expect(eq('restoreSnapshot', ['c', 'snap0', {}])).toBe('lxc-snapshot -P /L -n c -r snap0');
    expect(eq('restoreSnapshot', ['c', 'snap0', { as: 'd' }])).toBe('lxc-snapshot -P /L -n c -r snap0 -N d');
    expect(eq('deleteSnapshot', ['c', 'snap0'])).toBe('lxc-snapshot -P /L -n c -d snap0');
    expect(eq('setAutostart', ['c', { auto: false }], {})).toBe('# in /L/c/config: lxc.start.auto = 0');
    expect(eq('applyAutostart', [{ groups: ['onboot', ''] }], { started: ['a'], skipped: [], failed: [{ name: 'b', message: 'x' }] })).toBe(
      'lxc-autostart -P /L -g onboot, # started a; failed b',
    );
    expect(eq('setProtected', ['c', true])).toMatch(/^# protected: true set in \/L\/c\/lxdeck\.json/);
  });
});
