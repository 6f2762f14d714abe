import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../../core/errors.js';
import { LxdClient, lxdSocketPath } from '../../../core/lxd/client.js';
import { lxdIpv4, lxdLimitCpus, lxdSample, lxdSizeText, lxdState, lxdSummary, parseLxdSize } from '../../../core/lxd/backend.js';
import type { LxdInstance } from '../../../core/lxd/types.js';
import { backendFromArgv } from '../../../src/cli-lxd.js';

/** An instance as LXD 5.0 answers /1.0/instances?recursion=2 (fields trimmed to those read). */
function instance(over: Partial<LxdInstance> = {}): LxdInstance {
  return {
    name: 'web',
    type: 'container',
    status: 'Running',
    status_code: 103,
    architecture: 'x86_64',
    config: { 'limits.memory': '64MiB' },
    expanded_config: { 'limits.memory': '64MiB', 'boot.autostart': 'true' },
    devices: {},
    expanded_devices: { eth0: { type: 'nic', network: 'br0', name: 'eth0' } },
    profiles: ['default'],
    ephemeral: false,
    stateful: false,
    description: '',
    created_at: '2026-12-06T02:00:00Z',
    last_used_at: '2026-12-06T02:00:00Z',
    location: 'none',
    project: 'default',
    state: {
      status: 'Running',
      status_code: 103,
      disk: null,
      memory: { usage: 4 * 2 ** 20, usage_peak: 5 * 2 ** 20, swap_usage: 0, swap_usage_peak: 0 },
      network: {
        lo: { addresses: [{ family: 'inet', address: '127.0.0.1', netmask: '8', scope: 'local' }], counters: null, hwaddr: '', host_name: '', mtu: 65536, state: 'up', type: 'loopback' },
        eth0: {
          addresses: [
            { family: 'inet', address: '10.9.8.7', netmask: '24', scope: 'global' },
            { family: 'inet6', address: 'fe80::1', netmask: '64', scope: 'link' },
          ],
          counters: { bytes_received: 1000, bytes_sent: 500, packets_received: 10, packets_sent: 5 },
          hwaddr: '00:16:3e:00:00:01',
          host_name: 'vethabc',
          mtu: 1500,
          state: 'up',
          type: 'broadcast',
        },
      },
      pid: 4242,
      processes: 3,
      cpu: { usage: 2_000_000_000 },
    },
    ...over,
  };
}

describe('LXD shapes to lxdeck shapes', () => {
  it("maps LXD's status to ContainerState: the same words upper-cased, Error and unknown ones STOPPED", () => {
    expect(['Running', 'Stopped', 'Frozen', 'Freezing', 'Starting', 'Error', 'Weird'].map(lxdState)).toEqual(['RUNNING', 'STOPPED', 'FROZEN', 'FREEZING', 'STARTING', 'STOPPED', 'STOPPED']);
  });

  it('a list row: global IPv4 of non-loopback interfaces, pid, autostart, location only when clustered', () => {
    const i = instance();
    expect(lxdIpv4(i.state)).toEqual(['10.9.8.7']);
    expect(lxdSummary(i, false)).toEqual({ name: 'web', state: 'RUNNING', pid: 4242, ipv4: ['10.9.8.7'], autostart: true, groups: [], protected: false, status: 'Running', type: 'container' });
    expect(lxdSummary({ ...i, location: 'm2' }, true).location).toBe('m2');
    const stopped = instance({ status: 'Stopped', state: { ...i.state!, status: 'Stopped', pid: -1, network: null } });
    expect(lxdSummary(stopped, false)).toMatchObject({ state: 'STOPPED', pid: null, ipv4: [] });
  });

  it("LXD's size texts both ways; a percentage is not a byte count", () => {
    expect(lxdSizeText(64 * 2 ** 20)).toBe('64MiB');
    expect(lxdSizeText(3 * 2 ** 30)).toBe('3GiB');
    expect(lxdSizeText(1000)).toBe('1000');
    expect(parseLxdSize('64MiB')).toBe(64 * 2 ** 20);
    expect(parseLxdSize('1GB')).toBe(1e9);
    expect(parseLxdSize('512')).toBe(512);
    expect(parseLxdSize('50%')).toBeNull();
    expect(parseLxdSize(undefined)).toBeNull();
  });

  it('CPUs from limits.cpu (a count or a list) and limits.cpu.allowance', () => {
    expect(lxdLimitCpus({})).toBeNull();
    expect(lxdLimitCpus({ 'limits.cpu': '2' })).toBe(2);
    expect(lxdLimitCpus({ 'limits.cpu': '0-1,3' })).toBe(3);
    expect(lxdLimitCpus({ 'limits.cpu.allowance': '50ms/100ms' })).toBe(0.5);
  });

  it('a stats sample: bytes, CPU ns to us, rates on the second pass, unknown values null (never 0)', () => {
    const host = { cpus: 2, memoryBytes: 2 ** 30 };
    const a = lxdSample(instance(), host, undefined, 1_000_000);
    expect(a.sample.cpu).toEqual({ usageUsec: 2_000_000, percent: null, percentOfHost: null, percentOfLimit: null, limitCpus: 2 });
    expect(a.sample.memory).toMatchObject({ used: 4 * 2 ** 20, limit: 64 * 2 ** 20, percent: 6.25, percentOf: 'limit', cache: null });
    expect(a.sample.blkio.readBytes).toBeNull();
    expect(a.sample.net).toMatchObject({ rxBytes: 1000, txBytes: 500, interfaces: ['vethabc'], rxBps: null });
    const later = instance();
    later.state!.cpu = { usage: 2_500_000_000 }; // 0.5 s of CPU in 1 s
    later.state!.network!.eth0.counters!.bytes_received = 3000;
    const b = lxdSample(later, host, a.counters, 2_000_000);
    expect(b.sample.cpu.percent).toBeCloseTo(50);
    expect(b.sample.cpu.percentOfHost).toBeCloseTo(25);
    expect(b.sample.net?.rxBps).toBe(2000);
    const unknown = instance();
    unknown.state!.memory = { usage: 0, usage_peak: 0, swap_usage: -1, swap_usage_peak: 0 };
    unknown.state!.cpu = { usage: 0 };
    const u = lxdSample(unknown, host, undefined, 1);
    expect(u.sample.memory.used).toBeNull();
    expect(u.sample.memory.swap).toBeNull();
    expect(u.sample.cpu.usageUsec).toBeNull();
    expect(lxdSample(instance({ status: 'Stopped', state: null }), host, undefined, 1).sample.state).toBe('STOPPED');
  });
});

describe('the command line picks the backend', () => {
  it('--backend X or --backend=X before a lone --, else LXDECK_BACKEND, else local', () => {
    expect(backendFromArgv(['ls'], {})).toBe('local');
    expect(backendFromArgv(['--backend', 'lxd', 'ls'], {})).toBe('lxd');
    expect(backendFromArgv(['ls', '--backend=lxd'], {})).toBe('lxd');
    expect(backendFromArgv(['attach', 'c', '--', 'x', '--backend', 'lxd'], {})).toBe('local');
    expect(backendFromArgv(['ls'], { LXDECK_BACKEND: 'lxd' })).toBe('lxd');
    expect(backendFromArgv(['--backend', 'local', 'ls'], { LXDECK_BACKEND: 'lxd' })).toBe('local');
  });

  it('the socket: explicit, else $LXD_DIR/unix.socket, else /var/lib/lxd/unix.socket', () => {
    expect(lxdSocketPath('/x.sock', { LXD_DIR: '/d' })).toBe('/x.sock');
    expect(lxdSocketPath(undefined, { LXD_DIR: '/d' })).toBe('/d/unix.socket');
    expect(lxdSocketPath(undefined, {})).toBe('/var/lib/lxd/unix.socket');
  });
});

describe('LxdClient over a unix socket (a small server speaking the REST envelope)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-lxdsock-'));
  const sock = join(dir, 'unix.socket');
  let server: Server;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/1.0') return send(200, { type: 'sync', status_code: 200, metadata: { api_version: '1.0' } });
      if (req.url === '/1.0/instances/x/state') return send(202, { type: 'async', status_code: 100, operation: '/1.0/operations/op1', metadata: {} });
      if (req.url === '/1.0/instances/y/state') return send(202, { type: 'async', status_code: 100, operation: '/1.0/operations/op2', metadata: {} });
      if (req.url?.startsWith('/1.0/operations/op1/wait')) return send(200, { type: 'sync', metadata: { id: 'op1', status: 'Success', status_code: 200, err: '', metadata: { return: 0 } } });
      if (req.url?.startsWith('/1.0/operations/op2/wait')) return send(200, { type: 'sync', metadata: { id: 'op2', status: 'Failure', status_code: 400, err: 'The instance is already running', metadata: null } });
      if (req.url === '/1.0/instances/gone') return send(404, { type: 'error', error_code: 404, error: 'Instance not found' });
      send(500, { type: 'error', error_code: 500, error: 'boom' });
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sync metadata; an async answer is waited for with /wait?timeout=N', async () => {
    const c = new LxdClient({ socketPath: sock });
    expect(await c.get('/1.0')).toEqual({ api_version: '1.0' });
    const op = await c.call('PUT', '/1.0/instances/x/state', { action: 'start' }, 7);
    expect(op).toMatchObject({ id: 'op1', status_code: 200 });
    expect(seen).toContain('GET /1.0/operations/op1/wait?timeout=7');
  });

  it("errors carry stable codes: 404 E_NOT_FOUND, a failed operation's state error E_STATE, others E_API", async () => {
    const c = new LxdClient({ socketPath: sock });
    await expect(c.get('/1.0/instances/gone')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND') && /Instance not found/.test(e.message));
    await expect(c.call('PUT', '/1.0/instances/y/state', {})).rejects.toSatisfy((e) => isLxdeckError(e, 'E_STATE'));
    await expect(c.get('/1.0/other')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_API') && e.message === 'LXD: boom');
  });

  it('a missing socket is E_UNREACHABLE with a hint to start the daemon or point at its socket', async () => {
    const c = new LxdClient({ socketPath: join(dir, 'none.socket') });
    await expect(c.get('/1.0')).rejects.toSatisfy((e) => isLxdeckError(e, 'E_UNREACHABLE') && /none\.socket/.test(e.message) && /--lxd-socket|LXD_DIR/.test(e.hint ?? ''));
  });
});
