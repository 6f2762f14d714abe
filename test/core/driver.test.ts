import { describe, expect, it } from 'vitest';
import { LxcDriver, lastLxcError, parseLxcInfo } from '../../core/lxc/driver.js';
import { RecordingRunner } from '../../core/exec/runner.js';
import { isLxdeckError } from '../../core/errors.js';

describe('lxc-info parsing', () => {
  it('reads state, PID and addresses', () => {
    const i = parseLxcInfo('State:          RUNNING\nPID:            4242\nIP:             10.0.3.5\nIP:             fd42::5\nIP:             10.0.4.9\n');
    expect(i).toEqual({ state: 'RUNNING', pid: 4242, ipv4: ['10.0.3.5', '10.0.4.9'], ipv6: ['fd42::5'] });
  });
  it('a stopped container has no PID; transitional states are kept (S3)', () => {
    expect(parseLxcInfo('State:          STOPPED\n')).toEqual({ state: 'STOPPED', pid: null, ipv4: [], ipv6: [] });
    expect(parseLxcInfo('State:          FREEZING\nPID: 12\n').state).toBe('FREEZING');
  });
  it('refuses output with no state', () => {
    expect(() => parseLxcInfo('garbage')).toThrow(/no state/);
  });
  it('picks the message of the last ERROR line, ignoring the lxc.seccomp noise of common.conf', () => {
    const err = [
      'lxc-start: c1: 20261129 ERROR confile - confile.c:parse_line:3001 - Unsupported config key "lxc.seccomp"',
      'lxc-start: c1: network.c: ERROR network - network.c:instantiate_veth:215 - Failed to attach "vethX" to bridge "nobr0"',
    ].join('\n');
    expect(lastLxcError(err)).toBe('Failed to attach "vethX" to bridge "nobr0"');
  });
});

describe('driver argv: every call carries -P <lxcpath> and a timeout', () => {
  it('start uses -d with output to files, then lxc-wait RUNNING|STOPPED (P1)', async () => {
    const r = new RecordingRunner((f) => (f === 'lxc-info' ? { stdout: 'State: RUNNING\nPID: 42\n' } : undefined));
    await new LxcDriver(r, '/x/lxc').start('c1', 10);
    expect(r.calls[0].file).toBe('lxc-start');
    expect(r.calls[0].args.slice(0, 5)).toEqual(['-P', '/x/lxc', '-n', 'c1', '-d']);
    expect(r.calls[0].opts.output).toBe('file');
    expect(r.calls[0].opts.timeoutMs).toBe(10_000);
    expect(r.calls[1].file).toBe('lxc-wait');
    expect(r.calls[1].args).toEqual(['-P', '/x/lxc', '-n', 'c1', '-s', 'RUNNING|STOPPED', '-t', '10']);
    expect(r.calls[2].file).toBe('lxc-info');
    for (const c of r.calls) expect(c.opts.timeoutMs).toBeGreaterThan(0);
  });
  it('an init that exits at once is reported, not waited on for the whole timeout', async () => {
    const r = new RecordingRunner((f) => (f === 'lxc-info' ? { stdout: 'State: STOPPED\n' } : undefined));
    await expect(new LxcDriver(r, '/x').start('c1', 10)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_COMMAND') && /stopped right after it started/.test((e as Error).message));
  });
  it('stop is clean with a timeout, or -k (also for a timeout of 0); it returns once STOPPED; "not running" is not an error', async () => {
    const r = new RecordingRunner((f, args) => (f === 'lxc-stop' && args.includes('-k') ? { exitCode: 2, stderr: 'c1 is not running' } : undefined));
    const d = new LxcDriver(r, '/x');
    await d.stop('c1', { timeoutSec: 7 });
    await d.stop('c1', { kill: true });
    await d.stop('c1', { timeoutSec: 0 });
    expect(r.calls.map((c) => [c.file, ...c.args.slice(4)])).toEqual([
      ['lxc-stop', '-t', '7'],
      ['lxc-wait', '-s', 'STOPPED', '-t', '10'],
      ['lxc-stop', '-k'],
      ['lxc-wait', '-s', 'STOPPED', '-t', '10'],
      ['lxc-stop', '-k'],
      ['lxc-wait', '-s', 'STOPPED', '-t', '10'],
    ]);
  });
  it('a timed-out child becomes E_TIMEOUT naming the command', async () => {
    const r = new RecordingRunner(() => ({ exitCode: 124, timedOut: true, durationMs: 30_000 }));
    await expect(new LxcDriver(r, '/x').freeze('c1')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_TIMEOUT') && /lxc-freeze -P \/x -n c1/.test((e as Error).message));
  });
  it('an unknown container is E_NOT_FOUND', async () => {
    const r = new RecordingRunner(() => ({ exitCode: 1, stderr: "c9 doesn't exist" }));
    await expect(new LxcDriver(r, '/x').info('c9')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND'));
  });
});
