import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostFs, isVanishedError } from '../../../core/host/host-fs.js';
import { isLxdeckError } from '../../../core/errors.js';

const FIX = new URL('../../fixtures/host/', import.meta.url).pathname;

describe('HostFs', () => {
  let tmp: string | undefined;
  afterEach(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  it('reads host paths under a fixture root', () => {
    const fs = new HostFs(join(FIX, 'v1'));
    expect(fs.readText('/sys/devices/system/cpu/online')).toBe('0-3\n');
    expect(fs.exists('/proc/self/mountinfo')).toBe(true);
    expect(fs.exists('/proc/99999/cgroup')).toBe(false);
    expect(fs.readdir('/proc')).toEqual(['4242', 'self']);
  });

  it('readTextOrNull gives null for a vanished file, throws for others', () => {
    const fs = new HostFs(join(FIX, 'v1'));
    expect(fs.readTextOrNull('/proc/99999/cgroup')).toBeNull();
    expect(() => fs.readText('/proc/99999/cgroup')).toThrow(/ENOENT/);
    // reading a directory is EISDIR: not "vanished", so it is thrown
    expect(() => fs.readTextOrNull('/proc')).toThrow(/EISDIR/);
    expect(isVanishedError(Object.assign(new Error('x'), { code: 'ESRCH' }))).toBe(true);
    expect(isVanishedError(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(false);
  });

  it('refuses relative paths and keeps .. inside the root', () => {
    const fs = new HostFs(join(FIX, 'v1'));
    expect(() => fs.readText('proc/self/mountinfo')).toThrow(/absolute/);
    // /../../.. normalises to / of the fixture, never above it
    expect(fs.readText('/../../../sys/devices/system/cpu/online')).toBe('0-3\n');
  });

  it('realpath resolves symlinks inside the root and refuses ones leaving it', () => {
    tmp = mkdtempSync(join(tmpdir(), 'hostfs-'));
    mkdirSync(join(tmp, 'sys/fs/cgroup/cpu,cpuacct'), { recursive: true });
    symlinkSync('cpu,cpuacct', join(tmp, 'sys/fs/cgroup/cpu'));
    symlinkSync('/etc', join(tmp, 'outside'));
    const fs = new HostFs(tmp);
    expect(fs.realpath('/sys/fs/cgroup/cpu')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    let err: unknown;
    try {
      fs.realpath('/outside');
    } catch (e) {
      err = e;
    }
    expect(isLxdeckError(err, 'E_UNSAFE_PATH')).toBe(true);
  });

  it('writeText replaces the content and never creates a missing file', () => {
    tmp = mkdtempSync(join(tmpdir(), 'hostfs-'));
    writeFileSync(join(tmp, 'memory.max'), '1073741824\n');
    const fs = new HostFs(tmp);
    fs.writeText('/memory.max', 'max');
    expect(readFileSync(join(tmp, 'memory.max'), 'utf8')).toBe('max');
    expect(() => fs.writeText('/memory.high', '1')).toThrow(/ENOENT/);
    expect(fs.exists('/memory.high')).toBe(false);
  });
});
